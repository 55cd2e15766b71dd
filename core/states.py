"""Ticket states and the one table of legal moves between them."""

from .errors import IllegalTransition

WAITING = "waiting"
CALLED = "called"
SERVING = "serving"
DONE = "done"
NO_SHOW = "no_show"
CANCELLED = "cancelled"
EXPIRED = "expired"

STATES = (WAITING, CALLED, SERVING, DONE, NO_SHOW, CANCELLED, EXPIRED)
FINAL = frozenset({DONE, NO_SHOW, CANCELLED, EXPIRED})
ACTIVE = frozenset({CALLED, SERVING})  # held by a counter

# (state, action) -> new state. Anything not listed is illegal.
TRANSITIONS: dict[tuple[str, str], str] = {
    (WAITING, "call"): CALLED,
    (WAITING, "cancel"): CANCELLED,
    (WAITING, "expire"): EXPIRED,
    (CALLED, "recall"): CALLED,
    (CALLED, "start"): SERVING,
    (CALLED, "finish"): DONE,
    (CALLED, "no_show"): NO_SHOW,
    (CALLED, "transfer"): WAITING,
    (CALLED, "cancel"): CANCELLED,
    (CALLED, "expire"): EXPIRED,
    (SERVING, "finish"): DONE,
    (SERVING, "transfer"): WAITING,
    (SERVING, "expire"): EXPIRED,
}

ACTIONS = tuple(sorted({action for _, action in TRANSITIONS}))


def apply(state: str, action: str) -> str:
    """Return the state after `action`, or raise IllegalTransition."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(state, action) from None
