"""The /display page (public) and the list of connected devices (supervisors)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from display.presence import clean_name
from server.kernel import current_device, ext, require

bp = Blueprint(
    "display",
    __name__,
    url_prefix="/display",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def page_config(settings, name: str | None) -> dict:
    """What the page needs besides the live state: office, texts, and its filter."""
    office = settings["office"]
    shown = next((d for d in settings.displays if d["name"] == name), None)
    return {
        "name": name,
        "configured": shown is not None,
        "filter": {
            "counters": shown["counters"] if shown else [],
            "services": shown["services"] if shown else [],
        },
        "office": {
            "name": office["name"],
            "name_en": office["name_en"],
            "hotline": office["hotline"],
            "address": office["address"],
            "timezone": office["timezone"],
        },
        "display": dict(settings["display"]),
        "services": [
            {k: s[k] for k in ("code", "name", "name_en", "prefix", "fee", "fee_en")}
            for s in settings.services
        ],
        "counters": [
            {"number": c.number, "name": c.name, "services": list(c.services)}
            for c in settings.office.counters
        ],
        "notices": settings.notices,
        "officials": settings.officials,
    }


def _name() -> str | None:
    device = current_device()
    name = clean_name(request.args.get("name"))
    if name is None and device is not None and device.kind == "display":
        name = device.name  # an enrolled TV shows its own filter with no ?name=
    return name


@bp.get("")
@bp.get("/")
def page():
    settings = ext().settings
    return render_template(
        "display/display.html", office=settings["office"], config=page_config(settings, _name())
    )


@bp.get("/config.json")
def config_json():
    """What the page shows besides the live state, re-read after a configuration change."""
    return jsonify(page_config(ext().settings, _name()))


@bp.get("/devices")
@require("supervisor")
def devices():
    """Displays and kiosks the server has seen, with faults (see display/presence.py)."""
    presence = ext().devices.presence
    return jsonify({"devices": presence.snapshot()})
