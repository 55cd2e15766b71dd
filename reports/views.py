"""Supervisor blueprint: report API, exports, the supervisor pages and the rating tablet."""

from __future__ import annotations

import datetime as dt
import functools
import re

from flask import (
    Blueprint,
    Response,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from core import dossier_stats, states
from core.errors import BadRequest, NotFound
from server.i18n import t
from server.kernel import WrongCounter, current_device, ext, require, require_any

from . import exports, live, log, summary

bp = Blueprint(
    "reports",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/reports/static",
)

DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NUMBER_RE = re.compile(r"[0-9]{1,6}")
FORMATS = ("json", "csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A finished ticket is offered for rating on the counter's tablet for this long.
RATE_WINDOW_S = 120
TREND_MAX_DAYS = 366


def now() -> float:
    return ext().clock()


def office():
    return ext().settings.office


def today() -> str:
    return summary.today(office(), now())


def parse_date(value: str | None, name: str = "date") -> str:
    """A YYYY-MM-DD office day; today when absent. A future day is simply empty."""
    if value is None:
        return today()
    try:
        if not DATE_RE.fullmatch(value):
            raise ValueError
        day = dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadRequest(f"'{name}' must be a date YYYY-MM-DD.", "invalid_date") from None
    return day


def parse_format() -> str:
    fmt = request.args.get("format", "json") or "json"
    if fmt not in FORMATS:
        raise BadRequest("'format' must be json, csv or xlsx.", "invalid_format")
    return fmt


def decorate(report: dict, o=None) -> dict:
    """Add procedure and counter names to a report (names are not stored with numbers):
    those of `o`, the office in force that day (default: today's)."""
    o = o or office()
    names = {s.code: s.name for s in o.services}
    counters = {str(c.number): c.name for c in o.counters}
    out = dict(report)
    out["office_name"] = o.name
    out["services"] = [{**m, "name": names.get(m["key"], m["key"])} for m in report["services"]]
    out["counters"] = [{**m, "name": counters.get(m["key"], t("common.counter_n", n=m["key"]))} for m in report["counters"]]  # fmt: skip
    out["clerks"] = [{**m, "name": m["key"]} for m in report["clerks"]]
    out["hours"] = [{**m, "name": f"{m['key']}:00"} for m in report["hours"]]
    day = dict(report.get("day") or {})
    day["utilisation"] = [
        {**u, "name": counters.get(str(u["counter"]), t("common.counter_n", n=u["counter"]))}
        for u in day.get("utilisation", [])
    ]
    out["day"] = day
    out["dossiers"] = _decorate_dossiers(
        report.get("dossiers") or dossier_stats.empty(), names, counters
    )
    out["targets"] = {s.code: s.target_wait_s for s in o.services}
    return out


def _decorate_dossiers(block: dict, names: dict, counters: dict) -> dict:
    """Names on the dossier block's procedures and counters, and on the return procedure."""
    out = dict(block)
    out["services"] = [{**m, "name": names.get(m["key"], m["key"])} for m in block["services"]]
    out["counters"] = [{**m, "name": counters.get(m["key"], t("common.counter_n", n=m["key"]))} for m in block["counters"]]  # fmt: skip
    code = block["returns"]["service"]
    out["returns"] = {**block["returns"], "name": names.get(code, code) if code else None}
    return out


def daily_report(day: str) -> dict:
    e = ext()
    that_day = e.config.office_for(day)  # a past day keeps its names and targets
    return decorate(summary.daily(e.store, that_day, day, now()), that_day)


def attachment(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/api/reports/daily")
@require("supervisor")
def api_daily():
    day = parse_date(request.args.get("date"))
    fmt = parse_format()
    report = daily_report(day)
    if fmt == "csv":
        return attachment(
            exports.daily_csv(report), "text/csv; charset=utf-8", f"bao-cao-{day}.csv"
        )
    if fmt == "xlsx":
        return attachment(exports.daily_xlsx(report, office().name), XLSX_TYPE, f"bao-cao-{day}.xlsx")  # fmt: skip
    return jsonify(report)


def log_filters() -> dict:
    args = request.args
    service = args.get("service")
    if service is not None and office().service(service) is None:
        known = ext().store.reader().execute("SELECT 1 FROM services WHERE code = ?", (service,))
        if known.fetchone() is None:
            raise BadRequest(f"No procedure {service!r}.", "invalid_service")
    counter = args.get("counter")
    if counter is not None:
        if not NUMBER_RE.fullmatch(counter):
            raise BadRequest("'counter' must be a counter number.", "invalid_counter")
        counter = int(counter)
    status = args.get("status")
    if status is not None and status not in states.STATES:
        raise BadRequest(f"'status' must be one of {', '.join(states.STATES)}.", "invalid_status")
    return {"service": service, "counter": counter, "status": status}


def log_rows(day: str, filters: dict) -> list[dict]:
    names = {s.code: s.name for s in office().services}
    rows = log.rows(ext().queue, day, **filters)
    for r in rows:
        r["service_name"] = names.get(r["service"], r["service"])
    return rows


@bp.get("/api/tickets")
@require("supervisor")
def api_tickets():
    day = parse_date(request.args.get("date"))
    filters = log_filters()
    fmt = parse_format()
    rows = log_rows(day, filters)
    if fmt == "csv":
        return attachment(exports.log_csv(rows), "text/csv; charset=utf-8", f"nhat-ky-{day}.csv")
    if fmt == "xlsx":
        return attachment(exports.log_xlsx(rows, day), XLSX_TYPE, f"nhat-ky-{day}.xlsx")
    return jsonify({"date": day, "tickets": rows})


@bp.get("/api/reports/live")
@require("supervisor")
def api_live():
    return jsonify(live.snapshot(ext(), now()))


@bp.get("/api/reports/trend")
@require("supervisor")
def api_trend():
    last = parse_date(request.args.get("end"), "end")
    days = request.args.get("days", "30")
    if not NUMBER_RE.fullmatch(days) or not 1 <= int(days) <= TREND_MAX_DAYS:
        raise BadRequest(f"'days' must be 1 to {TREND_MAX_DAYS}.", "invalid_days")
    rows = summary.trend(ext().store, office(), last, now(), int(days))
    return jsonify({"end": last, "days": int(days), "trend": rows})


@bp.get("/api/reports/staffing")
@require("supervisor")
def api_staffing():
    day = parse_date(request.args.get("date"))
    goal = ext().settings["office"]["target_share_pct"]
    return jsonify(summary.staffing_hint(ext().store, office(), day, now(), goal))


@bp.get("/api/counters/<int:number>/rating-ticket")
@require_any("clerk", devices=("tablet",))
def api_rating_ticket(number: int):
    """The counter's last finished, still unrated ticket of the last RATE_WINDOW_S seconds."""
    tablet = current_device()
    if tablet is not None and tablet.counter != number:
        raise WrongCounter(f"This tablet is enrolled at counter {tablet.counter}.")
    if office().counter(number) is None:
        raise NotFound(f"No counter {number}.", "unknown_counter")
    t = now()
    row = ext().queue.line.last_finished(number, t - RATE_WINDOW_S)
    if row is None or row["rating"] is not None:
        return jsonify({"ticket": None})
    ticket = {"id": row["id"], "number": row["number"], "finished_s_ago": int(t - row["finished_at"])}  # fmt: skip
    return jsonify({"ticket": ticket})


def page(role: str):
    """Page decorator: anonymous -> the login page, wrong role -> a 403 page."""

    def deco(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("views.login", next=request.full_path.rstrip("?")))
            if not current_user.can(role):
                return render_template("reports/forbidden.html", office=office(), role=role), 403
            return view(*args, **kwargs)

        return wrapped

    return deco


def page_date(value: str | None) -> tuple[str, str | None]:
    try:
        return parse_date(value or None), None  # an empty form field: today
    except BadRequest as e:
        return today(), e.message


@bp.get("/supervisor")
@page("supervisor")
def supervisor_today():
    return render_template("reports/today.html", office=office(), day=today(), user=current_user)


@bp.get("/supervisor/day")
@page("supervisor")
def supervisor_day():
    day, error = page_date(request.args.get("date"))
    try:
        filters = log_filters()
    except BadRequest as e:
        filters, error = {"service": None, "counter": None, "status": None}, e.message
    report = daily_report(day)
    rows = log_rows(day, filters)
    goal = ext().settings["office"]["target_share_pct"]
    return render_template(
        "reports/day.html",
        staffing=summary.staffing_hint(ext().store, office(), day, now(), goal),
        office=office(),
        day=day,
        today=today(),
        report=report,
        rows=rows,
        filters=filters,
        error=error,
        statuses=exports.statuses(),
        user=current_user,
        prev_day=(dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat(),
        next_day=(dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat(),
    ), (400 if error else 200)


@bp.get("/supervisor/trend")
@page("supervisor")
def supervisor_trend():
    return render_template("reports/trend.html", office=office(), day=today(), user=current_user)


@bp.get("/supervisor/print")
@page("supervisor")
def supervisor_print():
    day, error = page_date(request.args.get("date"))
    goal = ext().settings["office"]["target_share_pct"]
    return render_template(
        "reports/print.html",
        office=office(),
        day=day,
        report=daily_report(day),
        staffing=summary.staffing_hint(ext().store, office(), day, now(), goal),
        error=error,
        printed_at=dt.datetime.fromtimestamp(now(), office().tz).strftime("%H:%M %d/%m/%Y"),
    ), (400 if error else 200)


def tablet_or(role: str):
    """Page decorator: the rating tablet enrolled at this counter, or staff of `role`."""

    def deco(view):
        staff_view = page(role)(view)

        @functools.wraps(view)
        def wrapped(number: int):
            tablet = current_device()
            if tablet is None or tablet.kind != "tablet":
                return staff_view(number=number)
            if tablet.counter != number:
                return render_template("reports/forbidden.html", office=office(), role=role), 403
            return view(number=number)

        return wrapped

    return deco


@bp.get("/rate/<int:number>")
@tablet_or("clerk")
def rate(number: int):
    c = office().counter(number)
    if c is None:
        return render_template("reports/forbidden.html", office=office(), missing=number), 404
    return render_template("reports/rate.html", office=office(), counter=c)
