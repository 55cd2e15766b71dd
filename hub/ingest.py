"""What an office's sync brings: its events (append-only, once each), health, and roll-ups."""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from zoneinfo import ZoneInfo

from psycopg.types.json import Jsonb

from core import events as E
from core import stats
from core.timeutil import day_bounds

from . import db
from .rollup import COUNTS, FIGURES, refresh_months, refresh_service_months, refresh_services

HUB_TYPES = frozenset(E.names(hub=True, stored=True))
ROLLUP_COLUMNS = (*COUNTS, *FIGURES, "wait_max_s", "r1", "r2", "r3", "r4")


class BadBatch(ValueError):
    """A sync body that does not fit; nothing of it is stored."""


MAX_STATE_BYTES = 64 * 1024  # health and live figures of one office
DEVICE_KINDS = ("kiosk", "display", "tablet")


def storable(text: str) -> bool:
    """PostgreSQL text holds no NUL and only valid UTF-8 (JSON allows lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _finite(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _row(office: str, e) -> tuple:
    """One event of the body, checked, as a row of the events table."""
    if not isinstance(e, list) or len(e) != 9:
        raise BadBatch("each event is [id, at, day, type, ticket, service, counter, clerk, data]")
    eid, at, day, kind, ticket, service, counter, clerk, data = e
    if type(eid) is not int or not 0 < eid < 2**62 or not _finite(at):
        raise BadBatch("event id must be a positive integer and at a finite number")
    if kind not in HUB_TYPES:
        raise BadBatch(f"event type {kind!r} does not go to the hub")
    try:
        day = dt.date.fromisoformat(day)
    except (TypeError, ValueError):
        day = None
    if day is None or not 2000 <= day.year <= 2999:
        raise BadBatch(f"event {eid}: day must be YYYY-MM-DD (2000-2999)")
    for v in (ticket, service, clerk, data):
        if v is not None and (not isinstance(v, str) or len(v) > 4000 or not storable(v)):
            raise BadBatch(f"event {eid}: text fields must be short strings")
    if counter is not None and (type(counter) is not int or not 0 <= counter < 2**31):
        raise BadBatch(f"event {eid}: counter must be an integer")
    return (office, eid, float(at), day, kind, ticket, service, counter, clerk, data)


def _text(v, what: str, limit: int = 200) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str) or len(v) > limit or not storable(v):
        raise BadBatch(f"{what} must be a short string")
    return v


def _devices(value) -> list[dict] | None:
    """The office's kiosks and screens as it saw them: kind, name, connected, last seen, fault."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 500:
        raise BadBatch("devices must be a list of at most 500")
    out = []
    for d in value:
        if not isinstance(d, dict) or d.get("kind") not in DEVICE_KINDS:
            raise BadBatch(f"each device has a kind: {', '.join(DEVICE_KINDS)}")
        if not isinstance(d.get("connected"), bool) or not isinstance(d.get("fault"), bool):
            raise BadBatch("a device's connected and fault are true or false")
        out.append({"kind": d["kind"], "name": _text(d.get("name"), "device name", 64) or "",
                    "connected": d["connected"], "fault": d["fault"],
                    "last_seen": _text(d.get("last_seen"), "device last_seen", 40)})  # fmt: skip
    return out


def _state(body: dict) -> dict:
    """The office's clock, targets, config version, devices and live figures, checked."""
    office = body.get("office") or {}
    if not isinstance(office, dict):
        raise BadBatch("office must be an object")
    tz = _text(office.get("timezone"), "office.timezone")
    if tz is not None:
        try:
            ZoneInfo(tz)
        except Exception:
            raise BadBatch(f"unknown time zone {tz!r}") from None
    targets = office.get("targets")
    if targets is not None:
        if not isinstance(targets, dict) or not all(
            _finite(v) and 0 <= v <= 86400 and _text(k, "target code", 100)
            for k, v in targets.items()
        ):
            raise BadBatch("office.targets: procedure code -> seconds (0 to 86400)")
        targets = {k: int(v) for k, v in targets.items()}
    dsa = office.get("day_starts_at")
    if dsa is not None and not (type(dsa) is int and 0 <= dsa <= 23):
        raise BadBatch("office.day_starts_at must be an hour 0 to 23")
    cat = office.get("catalogue_version")
    if cat is not None and not (type(cat) is int and 0 <= cat < 2**31):
        raise BadBatch("office.catalogue_version must be a whole number")
    out = {"timezone": tz, "day_starts_at": dsa, "targets": targets, "catalogue_version": cat,
           "config_version": _text(office.get("config_version"), "office.config_version"),
           "devices": _devices(body.get("devices"))}  # fmt: skip
    for key in ("health", "live"):
        value = body.get(key)
        if value is not None:
            text = (
                json.dumps(value, allow_nan=False, ensure_ascii=False)
                if isinstance(value, dict)
                else None
            )
            if (
                text is None
                or len(text) > MAX_STATE_BYTES
                or not storable(text)
                or "\\u0000" in text
            ):
                raise BadBatch(f"{key} must be a small object")
        out[key] = value or None
    return out


def parse(office: str, body) -> tuple[list[tuple], dict]:
    """The checked rows and the office's state of a sync body; BadBatch when it does not fit."""
    if not isinstance(body, dict) or not isinstance(body.get("events", []), list):
        raise BadBatch("the body must be an object with an events list")
    rows = [_row(office, e) for e in body.get("events", [])]
    ids = [r[1] for r in rows]
    if ids != sorted(set(ids)):
        raise BadBatch("events must come in rising id order, each once")
    try:
        return rows, _state(body)
    except ValueError as e:  # NaN or infinity inside health or live
        raise BadBatch(str(e)) from None


def _state_update(conn, office: str, st: dict) -> bool:
    """Remember what the office said about itself (what it left out stays as it was); True
    when its devices' health changed, so the device board hears of it."""
    before = conn.execute(
        "SELECT health, devices FROM offices WHERE code = %s FOR UPDATE", (office,)
    ).fetchone()
    conn.execute(
        "UPDATE offices SET timezone = COALESCE(%s, timezone), "
        "day_starts_at = COALESCE(%s, day_starts_at), targets = COALESCE(%s, targets), "
        "config_version = COALESCE(%s, config_version), health = COALESCE(%s, health), "
        "live = COALESCE(%s, live), devices = COALESCE(%s, devices), "
        "catalogue_version = COALESCE(%s, catalogue_version), last_contact = now() "
        "WHERE code = %s",
        (st["timezone"], st["day_starts_at"], Jsonb(st["targets"]) if st["targets"] is not None else None,
         st["config_version"], Jsonb(st["health"]) if st["health"] else None,
         Jsonb(st["live"]) if st["live"] else None,
         Jsonb(st["devices"]) if st["devices"] is not None else None,
         st["catalogue_version"], office),
    )  # fmt: skip
    health = st["health"] if st["health"] else before[0]
    devices = st["devices"] if st["devices"] is not None else before[1]
    return (_statuses(health), _presence(devices)) != (_statuses(before[0]), _presence(before[1]))


def _presence(devices) -> list:
    """Devices without last_seen (a connected device's moves at every sync)."""
    return [
        (d.get("kind"), d.get("name"), d.get("connected"), d.get("fault")) for d in devices or []
    ]


def _statuses(health: dict | None) -> dict:
    """What the board shows of the health checks: each one's status and clock steps."""
    out = {k: v.get("status") for k, v in (health or {}).items() if isinstance(v, dict)}
    clock = (health or {}).get("clock")
    out["steps"] = len(clock.get("steps") or []) if isinstance(clock, dict) else 0
    return out


def ingest(pool, office: str, body) -> dict:
    """Store a batch once (ON CONFLICT DO NOTHING), refresh the days it touched; the ack."""
    rows, state = parse(office, body)
    db.ensure_partitions(pool, {r[3] for r in rows})
    with pool.connection() as conn:
        if _state_update(conn, office, state) and not rows:
            conn.execute("SELECT pg_notify('hub_events', %s)", (office,))
        inserted = 0
        if rows:
            with conn.cursor() as cur:
                cur.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS incoming (LIKE events INCLUDING DEFAULTS) "
                    "ON COMMIT DELETE ROWS"
                )
                with cur.copy(
                    "COPY incoming (office, id, at, day, type, ticket, service, counter, clerk, "
                    "data) FROM STDIN"
                ) as copy:
                    for r in rows:
                        copy.write_row(r)
                cur.execute("INSERT INTO events SELECT * FROM incoming ON CONFLICT DO NOTHING")
                inserted = cur.rowcount
            conn.execute(
                "UPDATE offices SET last_event_id = GREATEST(last_event_id, %s) WHERE code = %s",
                (rows[-1][1], office),
            )
            refresh_days(conn, office, sorted({r[3] for r in rows}))
            conn.execute("SELECT pg_notify('hub_events', %s)", (office,))  # delivered at commit
        acked = conn.execute(
            "SELECT last_event_id FROM offices WHERE code = %s", (office,)
        ).fetchone()[0]
    return {"acked": acked, "received": len(rows), "inserted": inserted}


def office_clock(conn, office: str) -> tuple[ZoneInfo, int, dict]:
    tz, dsa, targets = conn.execute(
        "SELECT timezone, day_starts_at, targets FROM offices WHERE code = %s", (office,)
    ).fetchone()
    return ZoneInfo(tz), dsa, targets


def day_rows(conn, office: str, day: dt.date) -> list[tuple]:
    """The day's events as tuples in core.stats.FIELDS order, in log order."""
    cur = conn.cursor()
    return cur.execute(
        "SELECT id, at, to_char(day, 'YYYY-MM-DD'), type, ticket, service, counter, clerk, data "
        "FROM events WHERE office = %s AND day = %s ORDER BY id",
        (office, day),
    ).fetchall()


def compute(conn, office: str, day: dt.date, now: float | None = None) -> dict:
    """The office's DailyReport for `day`, computed here by core.stats, as the office does."""
    tz, dsa, targets = office_clock(conn, office)
    start, end = day_bounds(day.isoformat(), tz, dsa)
    live_now = now if now is not None and start <= now < end else None
    report = stats.compute_day(day_rows(conn, office, day), targets, start, dsa, live_now)
    return {"date": day.isoformat(), **report}


def rollup_values(m: dict) -> tuple:
    """The office block's figures as the daily table's columns (ROLLUP_COLUMNS order)."""
    return (*(m[k] for k in COUNTS), *(m[k] for k in FIGURES), m["wait_max_s"],
            *(m["ratings"][r] for r in "1234"))  # fmt: skip


def refresh_days(conn, office: str, days: list[dt.date]) -> None:
    """Recompute and store the roll-up of each day (the league table reads only these)."""
    now = time.time()
    for day in days:
        report = compute(conn, office, day, now)
        conn.execute(
            f"INSERT INTO daily (office, day, report, last_event_id, {', '.join(ROLLUP_COLUMNS)}) "
            f"VALUES (%s, %s, %s, %s, {', '.join(['%s'] * len(ROLLUP_COLUMNS))}) "
            "ON CONFLICT (office, day) DO UPDATE SET report = EXCLUDED.report, "
            "last_event_id = EXCLUDED.last_event_id, computed_at = now(), "
            + ", ".join(f"{c} = EXCLUDED.{c}" for c in ROLLUP_COLUMNS),
            (office, day, Jsonb(report), report["day"]["last_event_id"] or 0,
             *rollup_values(report["office"])),
        )  # fmt: skip
        refresh_services(conn, office, day, report["services"])
    refresh_months(conn, office, {d.replace(day=1) for d in days})
    refresh_service_months(conn, office, {d.replace(day=1) for d in days})
