"""Named errors of the domain, each with a stable code and an HTTP-like status."""


class QueueError(Exception):
    """Base error: `code` is snake_case and stable, `message` is for a person."""

    code = "queue_error"
    status = 400
    extra: dict = {}  # more keys for the error answer, beside "error" (e.g. not_ready's due)

    def __init__(self, message: str, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class BadRequest(QueueError):
    code = "bad_request"
    status = 400


class NotFound(QueueError):
    code = "not_found"
    status = 404


class Conflict(QueueError):
    code = "conflict"
    status = 409


class IllegalTransition(Conflict):
    """A ticket was asked to move in a way the state table forbids."""

    code = "illegal_transition"

    def __init__(self, state: str, action: str):
        super().__init__(f"Cannot {action.replace('_', ' ')} a ticket that is {state}.")
        self.state = state
        self.action = action
