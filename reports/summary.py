"""Daily summaries: load a day's events, compute (core.stats), store and read back."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable

from core import dossier_stats, staffing, stats
from core import events as E
from core.model import Office
from core.timeutil import day_bounds, office_day

EVENT_COLUMNS = ", ".join(stats.FIELDS)
SCOPE_OF = {"services": "service", "counters": "counter", "clerks": "clerk", "hours": "hour"}
STAFFING_WINDOW_DAYS = 28


def load_events(conn, day: str) -> list[tuple]:
    """Every event of one office day, in log order, as tuples in core.stats.FIELDS order."""
    cur = conn.cursor()
    cur.row_factory = None  # plain tuples: a busy day has thousands of rows
    # A ticket's events belong to the ticket's day: one re-dated after a clock step
    # (core/clock.py) keeps its issue event under the day the wrong clock said. A dossier's
    # events name the ticket it was filed on but belong to the day they were logged (its
    # result may be ready a week later), as the hub counts them.
    cols = ", ".join(f"e.{f}" for f in stats.FIELDS)
    own_day = ", ".join("?" * len(dossier_stats.OWN_DAY))
    rows = cur.execute(
        f"SELECT {cols} FROM events e LEFT JOIN tickets t ON t.id = e.ticket_id"
        f" WHERE e.day = ? AND (t.day IS NULL OR t.day = e.day OR e.type IN ({own_day}))"
        f" UNION ALL SELECT {cols} FROM tickets t JOIN events e ON e.ticket_id = t.id"
        f" WHERE t.day = ? AND e.day != t.day AND e.type NOT IN ({own_day}) ORDER BY 1",
        (day, *dossier_stats.OWN_DAY, day, *dossier_stats.OWN_DAY),
    ).fetchall()
    if rows:  # the steps logged among them, whatever day they were logged under
        have = {r[0] for r in rows}
        rows += [
            r
            for r in cur.execute(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE type = ? AND id BETWEEN ? AND ?",
                (E.CLOCK_STEPPED, rows[0][0], rows[-1][0]),
            )
            if r[0] not in have
        ]
        rows.sort()
    return rows


def targets(conn, office: Office) -> dict[str, int]:
    """Target wait per procedure; rows of procedures no longer configured keep theirs."""
    out = {r[0]: r[1] for r in conn.execute("SELECT code, target_wait_s FROM services")}
    out.update({s.code: s.target_wait_s for s in office.services})
    return out


def today(office: Office, now: float) -> str:
    return office_day(now, office.tz, office.day_starts_at)


def compute(conn, office: Office, day: str, now: float | None = None) -> dict:
    """The day's report computed from the event log (now: for today's live figures)."""
    start, end = day_bounds(day, office.tz, office.day_starts_at)
    live_now = now if now is not None and start <= now < end else None
    report = stats.compute_day(
        load_events(conn, day), targets(conn, office), start, office.day_starts_at, live_now
    )
    return {"date": day, **report}


def save(store, day: str, report: dict, now: float | None = None) -> None:
    """Replace the day's stored summary with `report` (one transaction: idempotent)."""
    now = time.time() if now is None else now
    rows = [(day, "office", "", json.dumps(report["office"]), now)]
    for plural, scope in SCOPE_OF.items():
        for m in report[plural]:
            metrics = {k: v for k, v in m.items() if k != "key"}
            rows.append((day, scope, m["key"], json.dumps(metrics, ensure_ascii=False), now))
    rows.append((day, "day", "", json.dumps(report["day"], ensure_ascii=False), now))
    rows.append((day, "dossiers", "", json.dumps(report["dossiers"], ensure_ascii=False), now))
    with store.write() as conn:
        conn.execute("DELETE FROM summaries WHERE day = ?", (day,))
        conn.executemany(
            "INSERT INTO summaries (day, scope, key, metrics, computed_at) VALUES (?,?,?,?,?)", rows
        )


def load_saved(conn, day: str) -> dict | None:
    """The stored report of a day, or None when it was never summarised."""
    rows = conn.execute(
        "SELECT scope, key, metrics, computed_at FROM summaries WHERE day = ?", (day,)
    ).fetchall()
    if not rows:
        return None
    report: dict = {"date": day, **{p: [] for p in SCOPE_OF}}
    computed_at = None
    for scope, key, metrics, at in rows:
        value = json.loads(metrics)
        computed_at = at
        if scope == "office":
            report["office"] = value
        elif scope in ("day", "dossiers"):
            report[scope] = value
        else:
            plural = next(p for p, s in SCOPE_OF.items() if s == scope)
            report[plural].append({"key": key, **value})
    for plural in SCOPE_OF:
        report[plural].sort(key=lambda m: m["key"])
    report.setdefault("office", stats.empty_metrics())
    report.setdefault("day", stats.day_figures([], {}, 0, 0))
    report.setdefault("dossiers", dossier_stats.empty())  # summarised before dossiers existed
    report["computed_at"] = computed_at
    return report


def daily(store, office: Office, day: str, now: float) -> dict:
    """A day's report: live for today (and any day never summarised), stored otherwise."""
    conn = store.reader()
    if day < today(office, now):
        saved = load_saved(conn, day)
        if saved is not None and saved["day"].get("last_event_id") == last_event_id(conn, day):
            return {**saved, "live": False}
        # Never summarised, or events arrived since (a late rating, the morning's expiries).
    return {**compute(conn, office, day, now), "live": True, "computed_at": now}


def last_event_id(conn, day: str) -> int | None:
    return conn.execute("SELECT MAX(id) FROM events WHERE day = ?", (day,)).fetchone()[0]


def summarize(
    store,
    office: Office,
    days: Iterable[str],
    now: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    office_for: Callable[[str], Office] | None = None,
) -> int:
    """Compute and store each day (idempotent); returns how many days were written.

    progress(done, total), if given, is called after each day. office_for(day), if given,
    is the office in force that day (its procedures' targets), else `office` for every day.
    """
    days = list(days)
    n = 0
    for day in days:
        that_day = office_for(day) if office_for else office
        save(store, day, compute(store.reader(), that_day, day), now)
        n += 1
        if progress:
            progress(n, len(days))
    return n


def date_range(first: str, last: str) -> list[str]:
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(a + dt.timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


def days_with_events(conn, first: str, last: str) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT day FROM events WHERE day BETWEEN ? AND ? ORDER BY day", (first, last)
    )
    return [r[0] for r in rows]


def trend(store, office: Office, last: str, now: float, days: int = 30) -> list[dict]:
    """Headline figures of the `days` office days ending with `last` (oldest first)."""
    first = (dt.date.fromisoformat(last) - dt.timedelta(days=days - 1)).isoformat()
    conn = store.reader()
    stored = {
        r[0]: json.loads(r[1])
        for r in conn.execute(
            "SELECT day, metrics FROM summaries WHERE scope = 'office' AND day BETWEEN ? AND ?",
            (first, last),
        )
    }
    last_ids = dict(
        conn.execute(
            "SELECT day, MAX(id) FROM events WHERE day BETWEEN ? AND ? GROUP BY day", (first, last)
        ).fetchall()
    )
    stored_ids = {
        r[0]: json.loads(r[1]).get("last_event_id")
        for r in conn.execute(
            "SELECT day, metrics FROM summaries WHERE scope = 'day' AND day BETWEEN ? AND ?",
            (first, last),
        )
    }
    active = set(last_ids)
    current = today(office, now)
    out = []
    for day in date_range(first, last):
        fresh = stored_ids.get(day) == last_ids.get(day)
        if day in stored and day < current and fresh:
            m = stored[day]
        elif day in active:
            m = compute(conn, office, day, now)["office"]
        else:
            continue
        out.append({"date": day, **m})
    return out


def staffing_hint(store, office: Office, day: str, now: float, goal_pct: float) -> dict:
    """Counters needed per hour (from the previous weeks) beside the counters open on `day`."""
    conn = store.reader()
    d = dt.date.fromisoformat(day)
    window = [(d - dt.timedelta(days=i)).isoformat() for i in range(1, STAFFING_WINDOW_DAYS + 1)]
    active = set(days_with_events(conn, window[-1], window[0]))
    same_weekday = [w for w in window if w in active and dt.date.fromisoformat(w).weekday() == d.weekday()]  # fmt: skip
    basis = same_weekday if len(same_weekday) >= 2 else sorted(active)
    hours_by_day, issued_by_service = [], {}
    for w in basis:
        report = daily(store, office, w, now)
        hours_by_day.append({m["key"]: m for m in report["hours"]})
        for m in report["services"]:
            issued_by_service[m["key"]] = issued_by_service.get(m["key"], 0) + m["issued"]
    tgt = targets(conn, office)
    total = sum(issued_by_service.values())
    if total:
        target_s = sum(tgt.get(k, stats.DEFAULT_TARGET_S) * n for k, n in issued_by_service.items()) / total  # fmt: skip
    else:
        target_s = min((s.target_wait_s for s in office.services), default=stats.DEFAULT_TARGET_S)
    default_service_s = sum(s.service_s for s in office.services) / max(1, len(office.services))
    actual = daily(store, office, day, now)["day"].get("counters_per_hour", {})
    return {
        "date": day,
        "goal_pct": goal_pct,
        "target_wait_s": round(target_s),
        "basis_days": basis,
        "same_weekday": basis is same_weekday,
        "hours": staffing.hint(
            staffing.hourly_profile(hours_by_day), target_s, goal_pct, default_service_s, actual
        ),
    }
