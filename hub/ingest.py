"""What an office's sync brings: its events (append-only, once each), health, and roll-ups."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from psycopg.types.json import Jsonb

from core import events as E
from core import stats
from core.timeutil import day_bounds

from . import db
from .rollup import COUNTS, FIGURES, refresh_months

HUB_TYPES = frozenset(E.names(hub=True, stored=True))
ROLLUP_COLUMNS = (*COUNTS, *FIGURES, "wait_max_s", "r1", "r2", "r3", "r4")


class BadBatch(ValueError):
    """A sync body that does not fit; nothing of it is stored."""


def _row(office: str, e) -> tuple:
    """One event of the body, checked, as a row of the events table."""
    if not isinstance(e, list) or len(e) != 9:
        raise BadBatch("each event is [id, at, day, type, ticket, service, counter, clerk, data]")
    eid, at, day, kind, ticket, service, counter, clerk, data = e
    if type(eid) is not int or eid <= 0 or not isinstance(at, int | float) or isinstance(at, bool):
        raise BadBatch("event id must be a positive integer and at a number")
    if kind not in HUB_TYPES:
        raise BadBatch(f"event type {kind!r} does not go to the hub")
    try:
        day = dt.date.fromisoformat(day)
    except (TypeError, ValueError):
        raise BadBatch(f"event {eid}: day must be YYYY-MM-DD") from None
    for v in (ticket, service, clerk, data):
        if v is not None and (not isinstance(v, str) or len(v) > 4000 or "\x00" in v):
            raise BadBatch(f"event {eid}: text fields must be short strings")
    if counter is not None and (type(counter) is not int or not 0 <= counter < 2**31):
        raise BadBatch(f"event {eid}: counter must be an integer")
    return (office, eid, float(at), day, kind, ticket, service, counter, clerk, data)


def parse(office: str, body) -> tuple[list[tuple], dict]:
    """The checked rows and the office's state of a sync body; BadBatch when it does not fit."""
    if not isinstance(body, dict) or not isinstance(body.get("events", []), list):
        raise BadBatch("the body must be an object with an events list")
    rows = [_row(office, e) for e in body.get("events", [])]
    ids = [r[1] for r in rows]
    if ids != sorted(set(ids)):
        raise BadBatch("events must come in rising id order, each once")
    state = body.get("office") or {}
    if not isinstance(state, dict):
        raise BadBatch("office must be an object")
    return rows, state


def _state_update(conn, office: str, state: dict, body: dict) -> None:
    """Remember the office's time zone, targets, config version, devices and live figures."""
    tz = state.get("timezone")
    try:
        ZoneInfo(tz) if isinstance(tz, str) else None
    except Exception:
        tz = None
    targets = state.get("targets")
    targets = (
        {k: int(v) for k, v in targets.items() if isinstance(v, int | float)}
        if isinstance(targets, dict)
        else None
    )
    dsa = state.get("day_starts_at")
    dsa = dsa if type(dsa) is int and 0 <= dsa <= 23 else None
    health = body.get("health") if isinstance(body.get("health"), dict) else None
    live = body.get("live") if isinstance(body.get("live"), dict) else None
    version = state.get("config_version")
    conn.execute(
        "UPDATE offices SET timezone = COALESCE(%s, timezone), "
        "day_starts_at = COALESCE(%s, day_starts_at), targets = COALESCE(%s, targets), "
        "config_version = COALESCE(%s, config_version), health = COALESCE(%s, health), "
        "live = COALESCE(%s, live), last_contact = now() WHERE code = %s",
        (tz if isinstance(tz, str) else None, dsa, Jsonb(targets) if targets is not None else None,
         str(version) if version is not None else None, Jsonb(health) if health else None,
         Jsonb(live) if live else None, office),
    )  # fmt: skip


def ingest(pool, office: str, body) -> dict:
    """Store a batch once (ON CONFLICT DO NOTHING), refresh the days it touched; the ack."""
    rows, state = parse(office, body)
    db.ensure_partitions(pool, {r[3] for r in rows})
    with pool.connection() as conn:
        _state_update(conn, office, state, body)
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
    refresh_months(conn, office, {d.replace(day=1) for d in days})
