"""The small shared kernel: what every feature may import from server/ (and nothing else).

The app's container (`Onestop`, with typed device fields), the accessor `ext()`, who is
asking (`current_actor`, `clerk_name`), the role guards for API routes and pages, the
JSON error answer, the one JSON body parser, and the progress bar of long commands
(drawn on a terminal, silent in the journal). server/app.py wires; this module serves.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import json
import secrets
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import UserMixin, current_user

from core.errors import BadRequest, QueueError
from core.service import QueueService
from core.shapes import Call
from core.store import Store
from core.users import Users, has_role

if TYPE_CHECKING:  # the feature types, for the reader and the type checker only
    from display.presence import Presence
    from kiosk.buttons import GpioButtons
    from printer.worker import PrintWorker
    from voice.service import VoiceService

    from .fanout import Fanout
    from .settings import Settings

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_HEADER = "X-CSRF-Token"


@dataclass
class Devices:
    """The parts that talk to hardware or sockets; None where not configured or not started."""

    printer: PrintWorker | None = None
    voice: VoiceService | None = None
    presence: Presence | None = None
    fanout: Fanout | None = None
    buttons: GpioButtons | None = None


def unsaid(call: Call) -> Call:
    """The plan of a call before voice is wired (create_app always wires it)."""
    return call


@dataclass
class Onestop:
    """What the views and the CLI reach through `ext()`."""

    settings: Settings
    store: Store
    queue: QueueService
    users: Users
    data_dir: Path
    clock: Callable[[], float]
    # name -> callable returning {"status": "ok"|"degraded"|"error"|..., ...}; see /api/health
    health: dict[str, Callable[[], dict]] = field(default_factory=dict)
    devices: Devices = field(default_factory=Devices)
    # What a call says and which audio says it: voice's plan, applied on the way out.
    plan: Callable[[Call], Call] = unsaid


def ext() -> Onestop:
    """This app's container."""
    return current_app.extensions["onestop"]


class Unauthorized(QueueError):
    code = "unauthorized"
    status = 401


class Forbidden(QueueError):
    code = "forbidden"
    status = 403


class User(UserMixin):
    """A row of the users table, as Flask-Login wants it."""

    def __init__(self, row: dict):
        self.id = row["id"]
        self.name = row["name"]
        self.role = row["role"]

    def get_id(self) -> str:
        return str(self.id)

    def can(self, role: str) -> bool:
        return has_role(self.role, role)


def error_response(code: str, message: str, status: int):
    """The API's error answer: {"error": {"code", "message"}} with a 4xx/5xx status."""
    resp = jsonify({"error": {"code": code, "message": message}})
    resp.status_code = status
    return resp


def csrf_token() -> str:
    """The session's CSRF token (created on first use); pages put it in a meta tag."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    sent = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token") or ""
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        raise Forbidden("Missing or wrong CSRF token; reload the page.", "csrf_failed")


def current_actor() -> User | None:
    """The user behind this request, from a Bearer token or the session; None if anonymous."""
    if "actor" in g:
        return g.actor
    actor = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        row = ext().users.for_token(header[7:].strip())
        if row is None:
            raise Unauthorized("The API token is unknown or revoked.", "invalid_token")
        actor = User(row)
    elif current_user.is_authenticated:
        if request.method in UNSAFE:
            check_csrf()
        actor = current_user._get_current_object()
    g.actor = actor
    return actor


def clerk_name() -> str | None:
    actor = current_actor()
    return actor.name if actor else None


def require(role: str):
    """API decorator: 401 for anonymous callers, 403 for a role below `role`."""

    def deco(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                raise Unauthorized("Log in or send an API token.")
            if not actor.can(role):
                raise Forbidden(f"This needs the {role} role.")
            return view(*args, **kwargs)

        return wrapped

    return deco


def _here() -> str:
    return request.full_path.rstrip("?")


def page_require(role: str):
    """Page decorator: anonymous visitors go to /login and come back; a lower role gets 403."""

    def deco(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("views.login", next=_here()))
            if not current_user.can(role):
                page = render_template(
                    "login.html", office=ext().settings["office"], forbidden=role, next=_here()
                )
                return page, 403
            return view(*args, **kwargs)

        return wrapped

    return deco


def body() -> dict:
    """The JSON object sent, {} for an empty body; 400 for anything else."""
    raw = request.get_data(cache=True)
    if request.content_length is not None and len(raw) != request.content_length:
        # The client went away mid-upload (gunicorn hands over what arrived): do not act on it.
        raise BadRequest("The body ended before its Content-Length.", "incomplete_body")
    if not raw.strip():
        return {}
    try:
        data = request.get_json(silent=True, force=True)
    except RecursionError:  # deeply nested JSON raises this, not ValueError
        data = None
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.", "invalid_json")
    try:
        # "\ud800" escapes parse to lone surrogates, which SQLite cannot store.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        raise BadRequest("The body must be valid UTF-8 text.", "invalid_json") from None
    return data


def jsonable(value: Any) -> Any:
    """A shape (or list of shapes) as JSON data; anything else unchanged."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


# -- progress of long commands ------------------------------------------------------------

Progress = Callable[[int, int], None]
"""progress(done, total): called after each step; `done` counts up to `total`."""


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


@contextlib.contextmanager
def terminal_bar(
    label: str, enabled: bool = True, show_pos: bool = True
) -> Iterator[Progress | None]:
    """A progress callback drawing a click progress bar on stderr, or None off a terminal.

    The bar is made at the first call, when the total is known; a changed total resizes it.
    Leaving the block ends the bar's line, so the command's summary starts on a fresh one.
    """
    stream = sys.stderr
    if not enabled or not _is_terminal(stream):
        yield None
        return
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=stream, show_pos=show_pos)
            bar.render_progress()
        bar.length = total
        bar.update(done - bar.pos)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.render_finish()
