"""The office API's error format on the hub: {"error": {"code", "message"}} with a 4xx."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger("onestop.hub")


class HubError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def error_response(code: str, message: str, status: int):
    return jsonify({"error": {"code": code, "message": message}}), status


def init_app(app: Flask) -> None:
    @app.errorhandler(HubError)
    def hub_error(e: HubError):
        return error_response(e.code, e.message, e.status)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        code = (e.name or "error").lower().replace(" ", "_").replace("'", "")
        resp, status = error_response(code, e.description or e.name, e.code or 500)
        for name, value in e.get_headers():  # keep Allow (405), Retry-After, ...
            if name.lower() != "content-type":
                resp.headers[name] = value
        return resp, status

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        log.exception("unexpected error")
        return error_response("internal_error", "Something went wrong on the hub.", 500)
