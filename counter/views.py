"""The /counter page and the small JSON it refreshes from; actions use /api/counters/N/*."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request

from core.errors import BadRequest
from core.timeutil import iso, office_day
from server.auth import current_actor, require
from server.views import page_require

from .stats import own_today, waiting_counts

bp = Blueprint(
    "counter",
    __name__,
    url_prefix="/counter",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def ext():
    return current_app.extensions["onestop"]


@bp.get("")
@bp.get("/")
@page_require("clerk")
def console():
    e = ext()
    services = [
        {"code": s["code"], "name": s["name"], "name_en": s["name_en"], "prefix": s["prefix"]}
        for s in e.settings.services
    ]
    counters = [
        {"number": c.number, "name": c.name, "services": list(c.services)}
        for c in e.settings.office.counters
    ]
    return render_template(
        "counter/console.html",
        office=e.settings["office"],
        services=services,
        counters=counters,
    )


@bp.get("/api/state")
@require("clerk")
def state():
    """Everything the console shows for one counter, with the server's clock."""
    e = ext()
    raw = request.args.get("counter", "")
    if not raw.isdigit():
        raise BadRequest("'counter' must be a counter number.", "invalid_counter")
    counter = e.queue.counter(int(raw))
    now = e.clock()
    office = e.settings.office
    day = office_day(now, office.tz, office.day_starts_at)
    actor = current_actor()
    return jsonify(
        {
            "now": iso(now, office.tz),
            "counter": counter,
            "waiting": e.queue.waiting_list(counter["services"], limit=30),
            "waiting_counts": waiting_counts(e.store.reader(), counter["services"]),
            "mine": {"clerk": actor.name, **own_today(e.store.reader(), actor.name, day)},
        }
    )
