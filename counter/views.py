"""The /counter page and the small JSON it refreshes from; actions use /api/counters/N/*."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from core.errors import BadRequest
from core.timeutil import iso, office_day
from server.kernel import current_actor, ext, jsonable, page_require, require

from .stats import own_today

bp = Blueprint(
    "counter",
    __name__,
    url_prefix="/counter",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.get("")
@bp.get("/")
@page_require("clerk")
def console():
    e = ext()
    return render_template("counter/console.html", office=e.settings["office"], **_office(e))


def _office(e) -> dict:
    """The procedures and open counters the console names (and re-reads after a change)."""
    services = [
        {"code": s["code"], "name": s["name"], "name_en": s["name_en"], "prefix": s["prefix"]}
        for s in e.settings.services
    ]
    counters = [
        {"number": c.number, "name": c.name, "services": list(c.services)}
        for c in e.settings.office.counters
    ]
    return {"services": services, "counters": counters}


@bp.get("/api/office")
@require("clerk")
def office():
    """The console's procedures and counters, re-read when the configuration changes."""
    return jsonify(_office(ext()))


@bp.get("/api/state")
@require("clerk")
def state():
    """Everything the console shows for one counter, with the server's clock."""
    e = ext()
    raw = request.args.get("counter", "")
    if not raw.isdigit():
        raise BadRequest("'counter' must be a counter number.", "invalid_counter")
    counter = e.queue.line.counter(int(raw))
    waiting = e.queue.line.waiting()
    now = e.clock()
    office = e.settings.office
    day = office_day(now, office.tz, office.day_starts_at)
    actor = current_actor()
    return jsonify(
        {
            "now": iso(now, office.tz),
            "counter": counter.to_json(),
            "waiting": jsonable(e.queue.line.waiting_list(counter.services, limit=30)),
            "waiting_counts": {s: waiting.get(s, 0) for s in counter.services},
            "mine": {"clerk": actor.name, **own_today(e.store.reader(), actor.name, day)},
        }
    )
