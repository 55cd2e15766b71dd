"""The per-ticket log (LogRow = Ticket + wait_s, service_s, clerk) of one office day."""

from __future__ import annotations

from core import stats

from .summary import load_events


def _secs(x: float | None) -> int | None:
    return None if x is None else int(x + 0.5)


def rows(queue, day: str, service=None, counter=None, status=None) -> list[dict]:
    """The day's tickets in issue order, filtered; times computed like the summaries."""
    conn = queue.store.reader()
    where, args = ["day = ?"], [day]
    if service:
        where.append("service = ?")
        args.append(service)
    if counter is not None:
        where.append("counter = ?")
        args.append(counter)
    if status:
        where.append("status = ?")
        args.append(status)
    tickets = conn.execute(
        f"SELECT * FROM tickets WHERE {' AND '.join(where)} ORDER BY issued_at, n", args
    ).fetchall()
    times = stats.ticket_times(load_events(conn, day)) if tickets else {}
    out = []
    for t in tickets:
        wait, service_s = times.get(t["id"], (None, None))
        view = queue.line.ticket_of(conn, t).to_json()  # the API's Ticket, one shape everywhere
        view.update(wait_s=_secs(wait), service_s=_secs(service_s), clerk=t["clerk"])
        out.append(view)
    return out
