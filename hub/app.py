"""create_app() of the province hub: the pool, migrations, the API, the pages and the CLI."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import time
import zlib
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, jsonify, request

from reports import exports

from . import auth, cli, db, errors, ingest, openapi, pages, queries, views
from .errors import HubError

TZ = "Asia/Ho_Chi_Minh"
MAX_SYNC_BYTES = 64 * 1024 * 1024  # a decompressed batch; a week of a busy office is ~3 MB


def pool():
    return current_app.extensions["hub"]["pool"]


def _today() -> dt.date:
    """The province's date (the server's clock may well run in UTC)."""
    return dt.datetime.now(ZoneInfo(os.environ.get("ONESTOP_HUB_TIMEZONE") or TZ)).date()


def _day(name: str, default: dt.date) -> dt.date:
    text = request.args.get(name)
    if text is None:
        return default
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2999:  # month arithmetic stays inside the calendar
        raise HubError("bad_date", f"{name} must be a date YYYY-MM-DD (2000-2999).", 400)
    return day


def _body() -> dict:
    raw = request.get_data(cache=False)
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        try:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw = d.decompress(raw, MAX_SYNC_BYTES)
            if d.unconsumed_tail:
                raise HubError("too_large", "The batch is too large.", 413)
        except (zlib.error, gzip.BadGzipFile):
            raise HubError("bad_body", "The body is not valid gzip.", 400) from None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise HubError("bad_body", "The body must be JSON.", 400) from None


def _visible(code: str) -> None:
    """404 for an unknown office, 403 for another office's viewer."""
    if not ingest.storable(code):  # PostgreSQL text cannot hold it: no such office
        raise HubError("not_found", "No such office.", 404)
    if not auth.may_see(code):
        raise HubError("forbidden", "An office viewer sees only their own office.", 403)
    with pool().connection() as conn:
        if conn.execute("SELECT 1 FROM offices WHERE code = %s", (code,)).fetchone() is None:
            raise HubError("not_found", f"No office {code!r}.", 404)


def _routes(app: Flask) -> None:
    @app.get("/api/health")
    def health():
        try:
            with pool().connection(timeout=5) as conn:
                conn.execute("SELECT 1")
            return jsonify({"status": "ok", "checks": {"db": {"status": "ok"}}})
        except Exception as exc:
            return jsonify({"status": "error", "checks": {"db": {"status": "error",
                            "message": str(exc)}}}), 503  # fmt: skip

    @app.post("/api/sync")
    @auth.office_token
    def sync():
        fail = os.environ.get("ONESTOP_HUB_FAIL_FILE")
        if fail and os.path.exists(fail):  # test hook: the hub answers 500 for a while
            return errors.error_response("internal_error", "Failing on purpose.", 500)
        try:
            ack = ingest.ingest(pool(), g.office, _body())
        except ingest.BadBatch as e:
            raise HubError("bad_batch", str(e), 400) from None
        return jsonify(ack)


def _office_routes(app: Flask) -> None:
    @app.get("/api/offices")
    @auth.viewer
    def offices():
        today = _today()
        start, end = _day("from", today), _day("to", today)
        # to before from is an empty period: every office with nothing in it.
        kind = views.fmt()
        with pool().connection() as conn:
            rows = queries.league(conn, start, end, views.scope())
        if kind != "json":
            return views.download(kind, f"don-vi-{start}-{end}", views.LEAGUE, rows, f"{start}")
        return jsonify({"offices": rows, "from": start.isoformat(), "to": end.isoformat(),
                        "stale_after_s": views.stale_after_s()})  # fmt: skip

    @app.get("/api/offices/<code>/trend")
    @auth.viewer
    def office_trend(code):
        end = _day("to", _today())
        start = _day("from", end - dt.timedelta(days=29))
        _visible(code)
        with pool().connection() as conn:
            return jsonify({"trend": queries.trend(conn, code, start, end)})

    @app.get("/api/offices/<code>/daily")
    @auth.viewer
    def office_daily(code):
        day = _day("date", _today())
        kind = views.fmt()
        _visible(code)
        with pool().connection() as conn:
            report = ingest.compute(conn, code, day, time.time())
            name = conn.execute("SELECT name FROM offices WHERE code = %s", (code,)).fetchone()[0]
        stem = f"{code}-{day}"
        if kind == "csv":
            body = exports.daily_csv(report, views.lang())
            return views.attachment(body, "text/csv; charset=utf-8", stem + ".csv")
        if kind == "xlsx":
            body = exports.daily_xlsx(report, name, views.lang())
            return views.attachment(body, views.XLSX, stem + ".xlsx")
        return jsonify(report)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the hub; test_config may set DATABASE_URL and Flask keys."""
    test_config = dict(test_config or {})
    app = Flask(__name__, static_folder="static", template_folder="templates")
    url = test_config.pop("DATABASE_URL", None) or db.database_url()
    _today()  # a bad ONESTOP_HUB_TIMEZONE stops start-up, not every request
    views.stale_after_s()  # and so does a bad ONESTOP_HUB_STALE_AFTER_S
    app.config.update(JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=32 * 1024 * 1024)
    app.config.update(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["hub"] = {"pool": db.make_pool(url), "url": url}
    errors.init_app(app)
    _routes(app)
    _office_routes(app)
    views.init_app(app, pool, _day, _today)
    openapi.init_app(app)
    app.register_blueprint(pages.bp)
    cli.init_app(app)
    return app
