"""Logins: Flask-Login's session of a browser, and the CSRF token pages carry.

Who is asking and the role guards live in server/kernel.py (features import them there).
"""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask_login import LoginManager

from .kernel import Unauthorized, User, csrf_token, ext

login_manager = LoginManager()
login_manager.login_view = "views.login"


@login_manager.user_loader
def _load_user(user_id: str):
    try:
        row = ext().users.by_id(int(user_id))
    except ValueError:
        return None
    return User(row) if row else None


@login_manager.unauthorized_handler
def _unauthorized():
    if request.path.startswith("/api/"):
        raise Unauthorized("Log in or send an API token.")
    return redirect(url_for("views.login", next=request.full_path))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
