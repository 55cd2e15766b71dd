"""Dossier routes (docs/dossiers.md): record at the counter, status, corrections, returns.

Views parse input, call one method of core/dossiers.py, answer JSON. A phone number leaves
only through GET /api/dossiers/CODE/contact (supervisor+, logged).
"""

from __future__ import annotations

import click
from flask import Blueprint, Flask, current_app, jsonify, request
from flask.cli import AppGroup
from werkzeug.routing import BaseConverter

from core.errors import BadRequest

from .api import absolute
from .kernel import (
    at_own_counter,
    body,
    clerk_name,
    current_device,
    ext,
    require,
    require_any,
)

bp = Blueprint("dossiers_api", __name__, url_prefix="/api")
RECORD_FIELDS = {"code", "due", "service", "phone", "consent", "notify_near"}
MAX_PAGE = 500


def _fields(data: dict, allowed: set[str], required: tuple[str, ...]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise BadRequest(f"Unknown field {sorted(unknown)[0]!r}.", "unknown_field")
    for name in required:
        if name not in data:
            raise BadRequest(f"'{name}' is required.", f"missing_{name}")


def _dossiers():
    return ext().dossiers


@bp.post("/counters/<int:number>/dossiers")
@require("clerk")
@at_own_counter
def record(number: int):
    data = body()
    _fields(data, RECORD_FIELDS, ("code", "due"))
    dossier = _dossiers().record(
        number, data["code"], data["due"], service=data.get("service"), actor=clerk_name(),
        phone=data.get("phone"), consent=data.get("consent", False),
        notify_near=data.get("notify_near", False),
    )  # fmt: skip
    return jsonify({"dossier": dossier.to_json()}), 201


@bp.post("/counters/<int:number>/advice-only")
@require("clerk")
@at_own_counter
def advice_only(number: int):
    body()
    ticket = _dossiers().advice_only(number, actor=clerk_name())
    return jsonify({"ticket": absolute(ticket), "advice_only": True})


@bp.get("/dossiers")
@require("clerk")
def listing():
    args = request.args
    limit, offset = _int(args.get("limit", "100"), "limit"), _int(args.get("offset", "0"), "offset")
    if not 1 <= limit <= MAX_PAGE:
        raise BadRequest(f"'limit' must be 1 to {MAX_PAGE}.", "bad_limit")
    page, total = _dossiers().page(args.get("day"), args.get("status"), limit, offset)
    return jsonify({"dossiers": [d.to_json() for d in page], "total": total, "limit": limit,
                    "offset": offset})  # fmt: skip


def _int(text: str, name: str) -> int:
    if not text.isdigit() or len(text) > 9:
        raise BadRequest(f"'{name}' must be a whole number.", f"bad_{name}")
    return int(text)


@bp.get("/dossiers/<dossier_code:code>")
@require("clerk")
def get(code: str):
    return jsonify({"dossier": _dossiers().get(code).to_json()})


@bp.post("/dossiers/<code>/status")
@require("clerk")
def set_status(code: str):
    data = body()
    _fields(data, {"status"}, ("status",))
    dossier = _dossiers().set_status(code, data["status"], actor=clerk_name())
    return jsonify({"dossier": dossier.to_json()})


@bp.post("/dossiers/<code>/correct")
@require("clerk")
def correct(code: str):
    data = body()
    _fields(data, {"field", "value"}, ("field", "value"))
    dossier = _dossiers().correct(code, data["field"], data["value"], actor=clerk_name())
    return jsonify({"dossier": dossier.to_json()})


@bp.get("/dossiers/<code>/contact")
@require("supervisor")
def contact(code: str):
    return jsonify({"contact": _dossiers().contact(code, actor=clerk_name())})


@bp.post("/returns")
@require_any("clerk", devices=("kiosk",), local=True)
def issue_return():
    data = body()
    _fields(data, {"code", "kiosk"}, ("code",))
    kiosk = data.get("kiosk")
    if kiosk is not None and (not isinstance(kiosk, str) or len(kiosk) > 64):
        raise BadRequest("'kiosk' must be a short text.", "invalid_kiosk")
    device = current_device()
    ticket, created = _dossiers().take_return(
        data["code"],
        kiosk=device.name if device is not None else kiosk,  # an enrolled kiosk is who it is
        key=request.headers.get("Idempotency-Key"),
    )
    return jsonify({"ticket": absolute(ticket)}), 201 if created else 200


dossiers_cli = AppGroup("dossiers", help="Dossiers and the phone numbers kept with them.")


@dossiers_cli.command("purge")
def purge_cmd():
    """Delete the phone numbers whose day has come (run nightly and at start-up)."""
    n = ext().dossiers.purge() + current_app.config.get("DOSSIERS_PURGED_AT_START", 0)
    click.echo(f"Deleted {n} phone number(s).")  # the app's start-up purge included


class DossierCode(BaseConverter):
    """A dossier code in a path, never the literal "import" (POST /api/dossiers/import's own
    path: GET there is 405, and the dossier IMPORT is read as /api/dossiers/IMPORT)."""

    regex = r"(?!import$)[^/]+"


def init_app(app: Flask) -> None:
    app.url_map.converters["dossier_code"] = DossierCode
    app.register_blueprint(bp)
    app.cli.add_command(dossiers_cli)
