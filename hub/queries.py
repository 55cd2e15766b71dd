"""What the hub's pages and API read: the league table (roll-ups) and one office's day."""

from __future__ import annotations

import datetime as dt

from core import stats

from .ingest import COUNTS, FIGURES


def _weighted(col: str) -> str:
    """A day figure over a range: the mean of the days weighted by tickets issued."""
    return f"SUM({col} * issued) / NULLIF(SUM(CASE WHEN {col} IS NULL THEN 0 ELSE issued END), 0)"


LEAGUE_SQL = (
    "SELECT o.code, o.name, o.live, o.last_contact, o.last_event_id, "
    + ", ".join(f"COALESCE(SUM(d.{c}), 0)" for c in (*COUNTS, "r1", "r2", "r3", "r4"))
    + ", "
    + ", ".join(_weighted(f"d.{c}") for c in FIGURES)
    + ", MAX(d.wait_p90_s) FROM offices o LEFT JOIN daily d ON d.office = o.code "
    "AND d.day BETWEEN %s AND %s {where} GROUP BY o.code ORDER BY o.code"
)  # fmt: skip


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def league(conn, start: dt.date, end: dt.date, office: str | None = None) -> list[dict]:
    """One row per office over [start, end]: the office block's keys and `live`."""
    where, args = ("WHERE o.code = %s", (start, end, office)) if office else ("", (start, end))
    out = []
    for row in conn.execute(LEAGUE_SQL.format(where=where), args):
        code, name, live, contact, last_id, *rest = row
        counts = dict(zip(COUNTS, rest[:6], strict=True))
        ratings = dict(zip("1234", rest[6:10], strict=True))
        figures = dict(zip(FIGURES, rest[10:15], strict=True))
        m = stats.empty_metrics()
        m.update(counts)
        m.update({k: (round(v, 1) if v is not None else None) for k, v in figures.items()})
        m["wait_max_s"] = rest[15]
        m["ratings"] = ratings
        rated = sum(ratings.values())
        m["satisfied_pct"] = _pct(ratings["3"] + ratings["4"], rated)
        m["no_show_pct"] = _pct(counts["no_show"], counts["issued"])
        live = dict(live or {})
        live["last_contact"] = contact.isoformat() if contact else None
        live["last_event_id"] = last_id
        out.append({"code": code, "name": name, **m, "live": live})
    return out
