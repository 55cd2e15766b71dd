"""Logins: a browser's session, kept on the server (revocable), and the CSRF token pages carry.

Who is asking and the role guards live in server/kernel.py (features import them there).
The signed cookie holds a random session id; the sessions table says whether it still
stands (logout, a new password or a disabled user end it at once; it lasts a working day).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, redirect, request, session, url_for
from flask_login import LoginManager, login_user, logout_user

from core import users as users_mod

from .kernel import Unauthorized, User, csrf_token, ext

login_manager = LoginManager()
login_manager.login_view = "views.login"
SID = "sid"  # the session id's key in the signed cookie


@login_manager.user_loader
def _load_user(user_id: str):
    row = ext().users.session_user(session.get(SID))
    if row is None or str(row["id"]) != user_id:
        return None
    return User(row)


@login_manager.unauthorized_handler
def _unauthorized():
    if request.path.startswith("/api/"):
        raise Unauthorized("Log in or send an API token.")
    return redirect(url_for("views.login", next=request.full_path))


def start_session(row: dict) -> None:
    """Log `row` in: a fresh cookie (no fixation) bound to a new server-side session."""
    session.clear()
    session.permanent = True  # the cookie ends with the server's session, not the browser
    session[SID] = ext().users.open_session(row["id"])
    login_user(User(row))


def end_session() -> None:
    """Log out: the server forgets the session, so a copy of the cookie is worthless."""
    ext().users.end_session(session.get(SID))
    logout_user()
    session.clear()


def init_app(app: Flask) -> None:
    sec = app.extensions["onestop"].settings["security"]
    hours = float(sec["session_hours"])
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=hours)
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False  # absolute lifetime, not sliding
    app.extensions["onestop"].users.session_hours = hours
    users_mod.bound_hashing(int(sec["hash_concurrency"]))
    login_manager.init_app(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
