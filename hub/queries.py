"""What the hub's pages and API read: the league table (roll-ups) and one office's day."""

from __future__ import annotations

import datetime as dt

from core import stats

from .rollup import COUNTS, FIGURES, RATINGS, SUMMED, league_sql


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def metrics(rest: list) -> dict:
    """The office block's keys (and no_show_pct) from a row of SUMMED sums and the max wait."""
    sums = dict(zip(SUMMED, rest[: len(SUMMED)], strict=True))
    m = stats.empty_metrics()
    m.update({k: int(sums[k]) for k in COUNTS})
    for f in FIGURES:  # one day: the day's own figure; a range: weighted by tickets issued
        n = sums[f"{f}_n"]
        m[f] = round(sums[f"{f}_w"] / n, 1) if n else None
    m["wait_max_s"] = rest[len(SUMMED)]
    m["ratings"] = {r[1]: int(sums[r]) for r in RATINGS}
    m["satisfied_pct"] = _pct(m["ratings"]["3"] + m["ratings"]["4"], sum(m["ratings"].values()))
    m["no_show_pct"] = _pct(m["no_show"], m["issued"])
    return m


def league(conn, start: dt.date, end: dt.date, office: str | None = None) -> list[dict]:
    """One row per office over [start, end]: the office block's keys, no_show_pct and `live`."""
    sql, args = league_sql(start, end, office)
    out = []
    for row in conn.execute(sql, args):
        code, name, live, health, contact, last_id, *rest = row
        m = metrics(rest)
        live = dict(live or {})
        live["last_contact"] = contact.isoformat() if contact else None
        live["last_event_id"] = last_id
        live["devices"] = {
            k: v.get("status") for k, v in (health or {}).items() if isinstance(v, dict)
        }
        out.append({"code": code, "name": name, **m, "live": live})
    return out


def trend(conn, office: str, start: dt.date, end: dt.date) -> list[dict]:
    """The office's days in [start, end] from the roll-up, oldest first."""
    rows = conn.execute(
        "SELECT to_char(day, 'YYYY-MM-DD'), issued, served, no_show, wait_p50_s, wait_p90_s, "
        "within_target_pct, r3 + r4, r1 + r2 + r3 + r4 FROM daily "
        "WHERE office = %s AND day BETWEEN %s AND %s ORDER BY day",
        (office, start, end),
    )
    keys = ("date", "issued", "served", "no_show", "wait_p50_s", "wait_p90_s", "within_target_pct")
    return [
        {**dict(zip(keys, r[:7], strict=True)), "satisfied_pct": _pct(r[7], r[8])} for r in rows
    ]
