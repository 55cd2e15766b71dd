"""Every error as JSON {"error": {"code", "message"}} for the API; pages get plain text."""

from __future__ import annotations

import logging

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from core.errors import QueueError

from .kernel import error_response

log = logging.getLogger("onestop")


def _wants_json() -> bool:
    return (
        request.path.startswith("/api/")
        or request.is_json
        or request.accept_mimetypes.best == "application/json"
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(QueueError)
    def queue_error(e: QueueError):
        return error_response(e.code, e.message, e.status, e.extra)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if not _wants_json():
            return e
        code = (e.name or "error").lower().replace(" ", "_").replace("'", "")
        resp = error_response(code, e.description or e.name, e.code or 500)
        for name, value in e.get_headers():  # keep Allow (405), Retry-After, ...
            if name.lower() != "content-type":
                resp.headers[name] = value
        return resp

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        if type(e).__module__.startswith("gunicorn.http"):
            # The request itself was malformed (bad chunk, body cut short) while being read.
            return error_response("bad_request_body", "The request body is malformed.", 400)
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(
            "internal_error", "Something went wrong on the server; it has been logged.", 500
        )
