"""Who is asking: API tokens (Bearer) or a logged-in browser session plus its CSRF token."""

from __future__ import annotations

import functools
import hmac
import secrets

from flask import Flask, current_app, g, request, session
from flask_login import LoginManager, UserMixin, current_user

from core.errors import QueueError
from core.users import has_role

login_manager = LoginManager()
login_manager.login_view = "views.login"

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_HEADER = "X-CSRF-Token"


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


@login_manager.user_loader
def _load_user(user_id: str):
    try:
        row = current_app.extensions["onestop"].users.by_id(int(user_id))
    except ValueError:
        return None
    return User(row) if row else None


@login_manager.unauthorized_handler
def _unauthorized():
    from flask import redirect, url_for

    if request.path.startswith("/api/"):
        raise Unauthorized("Log in or send an API token.")
    return redirect(url_for("views.login", next=request.full_path))


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
        row = current_app.extensions["onestop"].users.for_token(header[7:].strip())
        if row is None:
            raise Unauthorized("The API token is unknown or revoked.", "invalid_token")
        actor = User(row)
    elif current_user.is_authenticated:
        if request.method in UNSAFE:
            check_csrf()
        actor = current_user._get_current_object()
    g.actor = actor
    return actor


def require(role: str):
    """View decorator: 401 for anonymous callers, 403 for a role below `role`."""

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


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
