"""Small reads for the console: one clerk's day, waiting counts per procedure."""

from __future__ import annotations


def own_today(conn, clerk: str, day: str) -> dict:
    """Tickets `clerk` finished on office day `day`, no-shows, and the average service time."""
    row = conn.execute(
        "SELECT SUM(status = 'done'), SUM(status = 'no_show'),"
        " AVG(CASE WHEN status = 'done' THEN finished_at - COALESCE(started_at, called_at) END)"
        " FROM tickets WHERE day = ? AND clerk = ? AND status IN ('done', 'no_show')",
        (day, clerk),
    ).fetchone()
    return {
        "served": row[0] or 0,
        "no_show": row[1] or 0,
        "service_avg_s": round(row[2]) if row[2] is not None else None,
    }


def waiting_counts(conn, services: list[str]) -> dict[str, int]:
    """How many wait for each of these procedures (0 when none)."""
    counts = dict.fromkeys(services, 0)
    marks = ",".join("?" * len(services)) or "''"
    for code, n in conn.execute(
        f"SELECT service, COUNT(*) FROM tickets WHERE status = 'waiting'"
        f" AND service IN ({marks}) GROUP BY service",
        services,
    ):
        counts[code] = n
    return counts
