"""Supervisor reports: daily summaries, exports, pages, rating tablet, demo history."""

from __future__ import annotations

from flask import Flask


def duration(seconds) -> str:
    """Seconds as m:ss or h:mm:ss; an em dash when unknown."""
    if seconds is None or seconds == "":
        return "—"
    s = int(round(float(seconds)))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def percent(value) -> str:
    # Vietnamese decimal comma; a no-break space keeps "%" beside its number.
    return "—" if value is None else f"{float(value):.1f}\u00a0%".replace(".", ",")


def init_app(app: Flask) -> None:
    """Register the blueprint, template filters and the `summarize` / `demo` commands."""
    from . import cli, views

    app.register_blueprint(views.bp)
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["percent"] = percent
    cli.init_app(app)
