"""A clerk's own day for the console (waiting counts come from core.line, like everywhere)."""

from __future__ import annotations

from core import events


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


def advised(conn, ticket_id: str) -> bool:
    """Whether the visit of this ticket was marked advice only (no dossier filed)."""
    row = conn.execute(
        "SELECT 1 FROM events WHERE ticket_id = ? AND type = ? LIMIT 1",
        (ticket_id, events.ADVICE_ONLY),
    ).fetchone()
    return row is not None
