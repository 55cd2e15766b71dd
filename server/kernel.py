"""The small shared kernel: what every feature may import from server/ (and nothing else).

The app's container (`Onestop`, with typed device fields), the accessor `ext()`, who is
asking (`current_actor`: a user or an enrolled device; `client_address`), the guards for
API routes and pages, the JSON error answer, the one JSON body parser, and the progress
bar of long commands (drawn on a terminal, silent in the journal). server/app.py wires;
this module serves. Enrolment and least privilege are explained in docs/security.md.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import ipaddress
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
from itsdangerous import BadSignature, URLSafeSerializer

from core import events
from core.devices import Devices as EnrolledDevices
from core.devices import SignIns
from core.errors import BadRequest, QueueError
from core.service import QueueService
from core.shapes import Call
from core.store import Store
from core.users import Users, has_role

if TYPE_CHECKING:  # the feature types, for the reader and the type checker only
    from core.dossiers import Dossiers
    from display.presence import Presence
    from kiosk.buttons import GpioButtons
    from printer.worker import PrintWorker
    from voice.service import VoiceService

    from .fanout import Fanout
    from .liveconfig import LiveConfig
    from .settings import Settings

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_HEADER = "X-CSRF-Token"
# An enrolled browser's device token, signed; HttpOnly and SameSite=Strict (see set_device_cookie).
DEVICE_COOKIE = "onestop_device"
# A cross-site page cannot send a custom header without a CORS preflight, which nobody answers.
DEVICE_HEADER = "X-Onestop-Device"
DEVICE_COOKIE_MAX_AGE = 10 * 365 * 86400  # enrolled once, for the device's life


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
    plan: Callable[[Call], Call] = unsaid  # voice's: what a call says, which audio says it
    enrolled: EnrolledDevices | None = None  # enrolled kiosks, displays and tablets
    sign_ins: SignIns | None = None  # the counter each clerk signed in at
    config: LiveConfig | None = None  # the office's configuration: versions, applied live
    dossiers: Dossiers | None = None  # dossiers, returns and the phone numbers kept with them


def ext() -> Onestop:
    """This app's container."""
    return current_app.extensions["onestop"]


class Unauthorized(QueueError):
    code = "unauthorized"
    status = 401


class Forbidden(QueueError):
    code = "forbidden"
    status = 403


class UnsupportedMediaType(QueueError):
    code = "unsupported_media_type"
    status = 415


class WrongCounter(QueueError):
    code = "wrong_counter"
    status = 403


class User(UserMixin):
    """A row of the users table, as Flask-Login wants it."""

    is_device = False

    def __init__(self, row: dict):
        self.id = row["id"]
        self.name = row["name"]
        self.role = row["role"]

    def get_id(self) -> str:
        return str(self.id)

    def can(self, role: str) -> bool:
        return has_role(self.role, role)


class Device:
    """An enrolled kiosk, lobby display or rating tablet acting on its own behalf."""

    is_device = True

    def __init__(self, row: dict):
        self.id = row["id"]
        self.name = row["name"]
        self.kind = row["kind"]
        self.counter = row["counter"]  # a tablet's counter; None for other kinds

    def can(self, role: str) -> bool:
        return False  # a device holds no staff role, whatever it is


def error_response(code: str, message: str, status: int, extra: dict | None = None):
    """The API's error answer: {"error": {"code", "message"}, **extra} with a 4xx/5xx status."""
    resp = jsonify({"error": {"code": code, "message": message}, **(extra or {})})
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


def is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address((address or "").split("%")[0]).is_loopback
    except ValueError:  # not an address (a unix socket's peer, or nothing)
        return False


def client_address() -> str:
    """The real client's address: nginx's X-Real-IP when it is the direct peer, else the peer.

    The header is believed only from a loopback peer and with `security.behind_proxy`
    on: anyone can send it, only the proxy on this machine is trusted to set it.
    """
    peer = request.remote_addr or ""
    if is_loopback(peer) and ext().settings["security"]["behind_proxy"]:
        real = request.headers.get("X-Real-IP", "").strip()
        if real:
            return real
    return peer


def is_local() -> bool:
    """Whether the request comes from the server machine itself (the demo's own browser)."""
    return client_address() in ("127.0.0.1", "::1", "::ffff:127.0.0.1")  # its own address only


def device_serializer(secret: str | None = None) -> URLSafeSerializer:
    return URLSafeSerializer(secret or current_app.secret_key, salt="onestop-device")


def set_device_cookie(resp, token: str):
    """Enrol this browser: a long-lived, HttpOnly, SameSite=Strict cookie with the token."""
    resp.set_cookie(
        DEVICE_COOKIE,
        device_serializer().dumps(token),
        max_age=DEVICE_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Strict",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return resp


def cookie_device() -> Device | None:
    """The enrolled device of this browser's cookie; None when absent, forged or revoked."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        token = device_serializer().loads(raw)
    except BadSignature:
        return None
    row = ext().enrolled.for_token(token)
    return Device(row) if row else None


def _check_device_origin() -> None:
    """A write by an enrolled browser: only from its own page (custom header, same Origin)."""
    origin = request.headers.get("Origin")
    same = origin is None or origin.rstrip("/") == request.host_url.rstrip("/")
    if not request.headers.get(DEVICE_HEADER) or not same:
        raise Forbidden("A device's page must send its own header; reload the page.", "csrf_failed")


def _bearer(token: str) -> User | Device:
    e = ext()
    row = e.users.for_token(token)
    if row is not None:
        return User(row)
    row = e.enrolled.for_token(token)
    if row is not None:
        return Device(row)
    raise Unauthorized("The API token is unknown or revoked.", "invalid_token")


def current_actor() -> User | Device | None:
    """Who is behind this request: a user (Bearer token or session), an enrolled device
    (Bearer token or the enrolment cookie), or None when anonymous."""
    if "actor" in g:
        return g.actor
    actor = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        actor = _bearer(header[7:].strip())
    elif current_user.is_authenticated:
        if request.method in UNSAFE:
            check_csrf()
        actor = current_user._get_current_object()
    else:
        actor = cookie_device()
        if actor is not None and request.method in UNSAFE:
            _check_device_origin()
    g.actor = actor
    return actor


def current_device() -> Device | None:
    actor = current_actor()
    return actor if actor is not None and actor.is_device else None


def clerk_name() -> str | None:
    """The staff member behind this request (never a device's name)."""
    actor = current_actor()
    return actor.name if actor is not None and not actor.is_device else None


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


def require_any(role: str = "clerk", devices: tuple[str, ...] = (), local: bool = False):
    """API decorator: staff of `role` or above, an enrolled device of a kind in `devices`,
    or (with `local`) anyone on the server machine itself; else 401 (anonymous) or 403."""

    def deco(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            try:
                actor = current_actor()
            except Forbidden as e:
                if not (local and e.code == "csrf_failed" and is_local()):
                    raise
                # The server machine needs no credentials: a stale page there is just local.
                actor = g.actor = None
            if actor is None:
                if local and is_local():
                    return view(*args, **kwargs)
                raise Unauthorized("Use an enrolled device or log in.", "unauthorized")
            allowed = actor.kind in devices if actor.is_device else actor.can(role)
            if not allowed:
                raise Forbidden("This device or role may not do this.")
            return view(*args, **kwargs)

        return wrapped

    return deco


def at_own_counter(view):
    """API decorator (after `require("clerk")`): a clerk acts only on the counter they signed
    in at (403 wrong_counter); a supervisor may act on any, and each override is logged."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        e = ext()
        number = kwargs["number"]
        e.queue.line.known_counter(number)  # an unknown counter: 404 before any 403
        actor = current_actor()
        signed = e.sign_ins.counter_of(actor.id)
        if signed != number and not actor.can("supervisor"):
            where = f"counter {signed}" if signed is not None else "no counter"
            raise WrongCounter(f"You are signed in at {where}; sign in at counter {number} first.")
        answer = view(*args, **kwargs)  # a refused action raises: no override to log
        if signed != number:
            e.queue.record(events.COUNTER_OVERRIDDEN, counter=number, clerk=actor.name,
                           action=request.path.rsplit("/", 1)[-1], signed_in=signed)  # fmt: skip
        return answer

    return wrapped


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
    if raw and request.method in ("POST", "PUT", "PATCH") and not _is_json(request.mimetype):
        # Forms and text/plain are what a cross-site page can send without asking: refuse.
        raise UnsupportedMediaType("Send the body as application/json.")
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


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def jsonable(value: Any) -> Any:
    """A shape (or list of shapes) as JSON data; anything else unchanged."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


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
