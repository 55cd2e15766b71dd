"""Time in the office's zone: the office day, opening hours, ISO output.

Time is always passed in as epoch seconds (float); nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .model import DAYS, Service


def local(ts: float, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz)


def office_day(ts: float, tz: ZoneInfo, day_starts_at: int = 0) -> str:
    """The office day (YYYY-MM-DD) that instant `ts` belongs to."""
    return (local(ts, tz) - dt.timedelta(hours=day_starts_at)).date().isoformat()


def day_bounds(day: str, tz: ZoneInfo, day_starts_at: int = 0) -> tuple[float, float]:
    """Epoch seconds [start, end) of an office day."""
    d = dt.date.fromisoformat(day)
    start = dt.datetime.combine(d, dt.time(day_starts_at), tz)
    end = dt.datetime.combine(d + dt.timedelta(days=1), dt.time(day_starts_at), tz)
    return start.timestamp(), end.timestamp()


def iso(ts: float | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the office's offset, or None."""
    if ts is None:
        return None
    return local(ts, tz).isoformat(timespec="seconds")


def is_open(service: Service, ts: float, tz: ZoneInfo) -> bool:
    """Whether `service` takes tickets at instant `ts`."""
    now = local(ts, tz)
    sessions = service.hours.get(DAYS[now.weekday()], ())
    t = now.time()
    return any(s.start <= t < s.end for s in sessions)


def hours_text(service: Service) -> dict[str, str]:
    """Opening hours as {"mon": "07:30-11:30, 13:30-17:00", ...} for display."""
    return {d: ", ".join(str(s) for s in service.hours.get(d, ())) for d in DAYS}
