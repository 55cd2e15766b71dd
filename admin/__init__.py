"""The office's administration in the browser (/admin): pages and their finer API routes."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pages and the /api/admin routes (users, devices, printer, voice)."""
    from . import api, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    api.init_app(app)
