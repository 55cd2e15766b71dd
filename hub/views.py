"""The hub's API beyond the league table: a procedure across offices, devices, the catalogue,
and the CSV/XLSX downloads of all three tables."""

from __future__ import annotations

import datetime as dt
import os
import re

from flask import Flask, Response, g, jsonify, request

from reports import exports

from . import auth, catalogue, compare
from .errors import HubError

STALE_AFTER_S = 900.0  # ONESTOP_HUB_STALE_AFTER_S: an office silent for longer is flagged
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_M = "export.m_"
METRICS = (
    ("issued", _M + "issued", "n"), ("served", _M + "served", "n"),
    ("no_show", _M + "no_show", "n"), ("cancelled", _M + "cancelled", "n"),
    ("expired", _M + "expired", "n"), ("transferred", _M + "transferred", "n"),
    ("no_show_pct", "hub.no_show_pct", "p"),
    ("wait_avg_s", _M + "wait_avg_s", "s"), ("wait_p50_s", _M + "wait_p50_s", "s"),
    ("wait_p90_s", _M + "wait_p90_s", "s"), ("wait_max_s", _M + "wait_max_s", "s"),
    ("service_avg_s", _M + "service_avg_s", "s"),
    ("within_target_pct", _M + "within_target_pct", "p"),
    ("rating_4", _M + "rating_4", "n"), ("rating_3", _M + "rating_3", "n"),
    ("rating_2", _M + "rating_2", "n"), ("rating_1", _M + "rating_1", "n"),
    ("satisfied_pct", _M + "satisfied_pct", "p"),
)  # fmt: skip
LEAGUE = (("code", "hub.code", "t"), ("name", "hub.office", "t"), *METRICS)
PROCEDURE = (*LEAGUE[:2], ("target_wait_s", "hub.target_wait", "s"), *METRICS)


def stale_after_s() -> float:
    """Seconds of silence after which an office is flagged (create_app checks it once)."""
    text = os.environ.get("ONESTOP_HUB_STALE_AFTER_S")
    value = float(text) if text else STALE_AFTER_S
    if not 0 < value < 10**7:
        raise ValueError(f"ONESTOP_HUB_STALE_AFTER_S must be seconds above 0, not {text!r}")
    return value


def fmt() -> str:
    """The ?format= of a table route (and its ?lang=, checked here too)."""
    value = request.args.get("format", "json")
    if value not in ("json", "csv", "xlsx"):
        raise HubError("bad_format", "format is json, csv or xlsx.", 400)
    lang()
    return value


def lang() -> str:
    """The language of a download's headers: vi unless ?lang=en."""
    value = request.args.get("lang", "vi")
    if value not in ("vi", "en"):
        raise HubError("bad_lang", "lang is vi or en.", 400)
    return value


def download(kind: str, stem: str, columns, rows: list[dict], title: str) -> Response:
    """A table as an attachment: CSV (UTF-8 with a BOM, for Excel) or XLSX."""
    flat = [exports.flat(r) for r in rows]
    if kind == "csv":
        body, mime = exports.table_csv(columns, flat, lang()), "text/csv; charset=utf-8"
    else:
        body, mime = exports.table_xlsx(title, columns, flat, lang()), XLSX
    return attachment(body, mime, f"{stem}.{kind}")


def attachment(body: bytes, mime: str, name: str) -> Response:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)  # no quote or newline in the header
    return Response(body, mimetype=mime,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def scope() -> str | None:
    return g.user["office"] if g.user["role"] == "office_viewer" else None


def init_app(app: Flask, pool, day, today) -> None:
    """Routes; `day(name, default)` reads a date argument, `today()` the province's date."""

    @app.get("/api/procedures/<code>")
    @auth.viewer
    def procedure(code):
        kind = fmt()
        start, end = day("from", today()), day("to", today())
        if not re.fullmatch(r"[a-z0-9_-]{1,32}", code):
            raise HubError("not_found", "No such procedure code.", 404)
        with pool().connection() as conn:
            rows = compare.procedure(conn, code, start, end, scope())
            entry = catalogue.names(conn).get(code)
        if kind != "json":
            return download(kind, f"thu-tuc-{code}-{start}-{end}", PROCEDURE, rows, code)
        return jsonify({"procedure": {"code": code, **(entry or {})}, "from": start.isoformat(),
                        "to": end.isoformat(), "offices": rows})  # fmt: skip

    @app.get("/api/devices")
    @auth.viewer
    def devices():
        now = dt.datetime.now(dt.UTC)
        with pool().connection() as conn:
            rows = compare.devices(conn, scope(), stale_after_s(), now)
        return jsonify({"stale_after_s": stale_after_s(), "now": now.isoformat(),
                        "offices": rows})  # fmt: skip

    @app.get("/api/catalogue")
    def catalogue_list():
        token = auth.bearer()
        if auth.office_for(pool(), token) is None and auth.user_for(pool(), token) is None:
            raise HubError("unauthorized", "An office sync token or a hub user's token.", 401)
        with pool().connection() as conn:
            etag = f'"v{catalogue.version(conn)}"'
            if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
                return Response(status=304, headers={"ETag": etag})
            body = catalogue.listing(conn)
        resp = jsonify(body)
        resp.headers["ETag"] = f'"v{body["version"]}"'
        return resp
