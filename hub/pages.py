"""The hub's pages: the province dashboard, its login, and a live stream of new events."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from flask import Blueprint, Response, current_app, render_template, request, send_from_directory

from core.users import verify_password
from server.i18n import LANGS, catalogue

from . import auth
from .errors import HubError
from .ingest import storable

bp = Blueprint("hub_pages", __name__)
VENDOR = Path(__file__).resolve().parent.parent / "server" / "static" / "vendor"
CHANNEL = "hub_events"  # ingest NOTIFYs the office code after each batch it stores


def _lang() -> str:
    lang = request.args.get("lang")
    return lang if lang in LANGS else "vi"


@bp.get("/")
def dashboard():
    lang = _lang()
    strings = {lg: catalogue().export(lg, ("hub",)) for lg in LANGS}
    return render_template("hub/dashboard.html", lang=lang, s=strings[lang],
                           en=strings["en"], strings=json.dumps(strings, ensure_ascii=False),
                           common=catalogue().export(lang, ("common",)))  # fmt: skip


@bp.get("/offices/<code>")
def office_page(code):
    lang = _lang()
    strings = {lg: catalogue().export(lg, ("hub",)) for lg in LANGS}
    return render_template("hub/office.html", lang=lang, s=strings[lang], en=strings["en"],
                           strings=json.dumps(strings, ensure_ascii=False), code=code,
                           common=catalogue().export(lang, ("common",)))  # fmt: skip


def _page(template: str, script: str, **kw):
    lang = _lang()
    strings = {lg: catalogue().export(lg, ("hub",)) for lg in LANGS}
    return render_template(f"hub/{template}", lang=lang, s=strings[lang], script=script,
                           strings=json.dumps(strings, ensure_ascii=False),
                           common=catalogue().export(lang, ("common",)), **kw)  # fmt: skip


@bp.get("/procedures")
@bp.get("/procedures/<code>")
def procedure_page(code: str = ""):
    """A procedure compared across offices (the page picks the first of the catalogue)."""
    return _page("procedure.html", "procedure.js", code=code)


@bp.get("/compare")
def compare_page():
    """`/compare?service=CODE`: the same page."""
    return procedure_page(request.args.get("service", ""))


@bp.get("/devices")
def devices_page():
    return _page("devices.html", "devices.js")


@bp.get("/catalogue")
def catalogue_page():
    return _page("catalogue.html", "catalogue.js")


@bp.get("/favicon.ico")
def favicon():
    return Response(status=204)


@bp.get("/vendor/<path:name>")
def vendor(name):
    """The office's vendored Chart.js: no CDN, the province's network may be closed too."""
    return send_from_directory(VENDOR, name, max_age=86400)


@bp.post("/api/login")
def login():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) for k in ("name", "password")
    ):
        raise HubError("bad_body", "name and password are required.", 400)
    if not storable(body["name"]) or not storable(body["password"]):
        raise HubError("bad_login", "Wrong name or password.", 401)
    from .app import pool

    with pool().connection() as conn:
        row = conn.execute(
            "SELECT password_hash FROM users WHERE name = %s", (body["name"],)
        ).fetchone()
        if row is None or not verify_password(row[0], body["password"]):
            raise HubError("bad_login", "Wrong name or password.", 401)
        token, digest = auth.new_token()
        conn.execute(
            "INSERT INTO tokens (token_hash, user_name) VALUES (%s, %s)", (digest, body["name"])
        )
    return {"token": token}


@bp.get("/api/stream")
def stream():
    """Server-sent events: `changed` with the office code each time a batch is stored."""
    from .app import pool

    # EventSource cannot send headers: the token comes as ?token= on this route only.
    if auth.user_for(pool(), request.args.get("token")) is None:
        raise HubError("unauthorized", "A valid token is required.", 401)
    url = current_app.extensions["hub"]["url"]

    def events():
        yield "retry: 3000\n\n"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            while True:
                got = False
                for n in conn.notifies(timeout=15, stop_after=50):
                    got = True
                    yield f"event: changed\ndata: {json.dumps(n.payload)}\n\n"
                if not got:
                    yield ": keep-alive\n\n"  # also how a closed browser is noticed

    return Response(events(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})  # fmt: skip
