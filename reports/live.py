"""Today's live picture for the supervisor: queue, counters, devices, health, alerts."""

from __future__ import annotations

import json

from core import events
from core.timeutil import day_bounds, iso

from .summary import today

ALERT_TYPES = events.names(alert=True)


def _devices(ext) -> list[dict] | None:
    presence = ext.devices.presence
    if presence is None or not hasattr(presence, "snapshot"):
        return None
    try:
        return [dict(d) for d in presence.snapshot()]
    except Exception:  # a broken presence tracker must not take the supervisor page down
        return None


def _health(ext) -> dict:
    out = {}
    for name in ("printer", "voice", "sms"):
        probe = ext.health.get(name)
        try:
            out[name] = probe() if probe else {"status": "not_configured"}
        except Exception as e:
            out[name] = {"status": "error", "message": str(e)}
    return out


def snapshot(ext, now: float) -> dict:
    """Everything the 'today' page shows, as JSON."""
    office = ext.settings.office
    conn = ext.store.reader()
    day = today(office, now)
    line = ext.queue.line
    since = line.oldest_waiting(conn)
    waiting = [(code, n, since[code]) for code, n in line.waiting(conn).items() if n]
    oldest = min(since.values(), default=None)
    counters = line.counters_of(conn)
    start, _ = day_bounds(day, office.tz, office.day_starts_at)
    # On duty: open and used today (a counter row is "open" by default even when empty).
    used = {
        r[0]
        for r in conn.execute(
            "SELECT number FROM counters WHERE active = 1 AND updated_at >= ?", (start,)
        )
    }
    on_duty = [c for c in counters if c["status"] == "open" and c["number"] in used]
    alerts = [
        {
            "type": r["type"],
            "at": iso(r["at"], office.tz),
            "ticket_id": r["ticket_id"],
            "data": json.loads(r["data"]) if r["data"] else {},
        }
        for r in conn.execute(
            f"SELECT type, at, ticket_id, data FROM events WHERE day = ? AND type IN"
            f" ({','.join('?' * len(ALERT_TYPES))}) ORDER BY id DESC LIMIT 20",
            (day, *ALERT_TYPES),
        )
    ]
    names = {s.code: s.name for s in office.services}
    return {
        "date": day,
        "now": iso(now, office.tz),
        "waiting": sum(n for _, n, _ in waiting),
        "waiting_by_service": [
            {
                "service": code,
                "name": names.get(code, code),
                "waiting": n,
                "longest_wait_s": int(now - first),
            }
            for code, n, first in waiting
        ],  # fmt: skip
        "longest_wait_s": None if oldest is None else max(0, int(now - oldest)),
        "counters": [
            {
                "number": c["number"],
                "name": c["name"],
                "status": c["status"],
                "clerk": c.get("clerk"),
                "on_duty": c in on_duty,
                "ticket": c["ticket"]["number"] if c["ticket"] else None,
            }
            for c in counters
        ],
        "counters_on_duty": len(on_duty),
        "clerks_on_duty": sorted({c["clerk"] for c in on_duty if c.get("clerk")}),
        "devices": _devices(ext),
        "health": _health(ext),
        "alerts": alerts,
    }
