"""Pages for citizens: the touch kiosk (/kiosk) and a ticket's status page (/t/<id>)."""

from __future__ import annotations

import io
import re

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, current_app, jsonify, render_template, request

from core.errors import BadRequest, NotFound
from core.model import DAYS
from core.timeutil import hours_text
from server.i18n import t
from server.kernel import current_device, ext

bp = Blueprint(
    "kiosk",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/kiosk/static",
)

KIOSK_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# Catalogue keys of the short day names ("T2" / "Mon"), in DAYS order.
DAY_KEYS = ("days.mon", "days.tue", "days.wed", "days.thu", "days.fri", "days.sat", "days.sun")


def hours_summary(service, lang: str) -> str:
    """Opening hours grouped by runs of days with the same sessions: 'T2–T6 07:30-11:30, ...'."""
    text = hours_text(service)
    names = {day: t(key, lang) for day, key in zip(DAYS, DAY_KEYS, strict=True)}
    parts: list[str] = []
    run: list[str] = []
    for day in (*DAYS, None):
        if run and (day is None or text[day] != text[run[0]]):
            if text[run[0]]:
                days = names[run[0]] if len(run) == 1 else f"{names[run[0]]}–{names[run[-1]]}"
                parts.append(f"{days} {text[run[0]]}")
            run = []
        if day is not None:
            run.append(day)
    return "; ".join(parts)


def _lang(default: str) -> str:
    lang = request.args.get("lang", default)
    return lang if lang in ("vi", "en") else default


def _services(e) -> list[dict]:
    office = e.settings.office
    out = []
    for s in e.queue.line.services():
        if s["kind"] == "return":
            continue  # reached through the collect-results screen, never a button
        svc = office.service(s["code"])
        out.append(
            {
                **s,
                "hours_vi": hours_summary(svc, "vi"),
                "hours_en": hours_summary(svc, "en"),
            }
        )
    return out


def _kiosk_data(e) -> dict:
    """What the kiosk page renders (also its JSON, re-read after a configuration change)."""
    office, k = e.settings["office"], e.settings["kiosk"]
    device = current_device()
    kiosk_id = request.args.get("kiosk", k["id"])
    if device is not None and device.kind == "kiosk":
        kiosk_id = device.name  # what the server records for its tickets anyway
    elif not KIOSK_ID.fullmatch(kiosk_id):
        raise BadRequest("'kiosk' must be 1-64 letters, digits, '.', '_' or '-'.", "invalid_kiosk")
    lang = _lang(office["language"])
    data = {
        "kiosk": kiosk_id,
        "lang": lang,
        "office": {"vi": office["name"], "en": office["name_en"] or office["name"]},
        "hotline": office["hotline"],
        "return_after_s": k["return_after_s"],
        "priority": {"vi": k["priority_categories"], "en": k["priority_categories_en"]},
        "services": _services(e),
    }
    return data


@bp.get("/kiosk")
def kiosk():
    e = ext()
    data = _kiosk_data(e)
    office = e.settings["office"]
    return render_template("kiosk/kiosk.html", office=office, lang=data["lang"], data=data)


@bp.get("/kiosk/data.json")
def kiosk_data():
    """The kiosk's office, priority groups and procedures (with hours) as JSON."""
    return jsonify(_kiosk_data(ext()))


@bp.get("/t/<ticket_id>")
def status(ticket_id: str):
    e = ext()
    office = e.settings["office"]
    lang = _lang(office["language"])
    try:
        ticket = e.queue.line.ticket(ticket_id)
    except NotFound:
        return render_template("kiosk/missing.html", office=office, lang=lang), 404
    data = {
        "ticket": ticket["id"],
        "lang": lang,
        "office": {"vi": office["name"], "en": office["name_en"] or office["name"]},
        "hotline": office["hotline"],
        "services": {s.code: {"vi": s.name, "en": s.name_en} for s in e.settings.office.services},
        "counters": {str(c.number): c.name for c in e.settings.office.counters},
    }
    return render_template("kiosk/status.html", office=office, lang=lang, data=data, ticket=ticket)


@bp.get("/t/<ticket_id>/qr.svg")
def qr_svg(ticket_id: str):
    """The ticket's status-page URL as a QR code (SVG), for the kiosk screen."""
    e = ext()
    ticket = e.queue.line.ticket(ticket_id)
    links = current_app.extensions["onestop_links"]
    image = qrcode.make(
        links.ticket_url(ticket),
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
        box_size=10,
    )
    buf = io.BytesIO()
    image.save(buf)
    resp = Response(buf.getvalue(), mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp
