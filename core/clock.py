"""The office's clock: the wall clock is a hint; order and durations come from what never steps.

A Raspberry Pi has no battery clock: it boots with the time fake-hwclock saved (or older) and
NTP steps it later. `OfficeClock` compares the wall clock with `time.monotonic()` at every
reading (core/clock.steady_clock); when the two drift apart by more than STEP_THRESHOLD_S between readings, the wall
clock stepped (NTP's slewing moves it by milliseconds, never by minutes). A reading gives
`now` (the wall time, but never earlier than the newest stored event: the usual stale boot,
flagged `behind`) and `t`, a time that never steps (the start-up anchor plus monotonic time
elapsed), stored with every event for durations. When the office day changes only because
the clock stepped, `redate` moves the tickets of this run to the new day instead of expiring
them: a step never drops a citizen; only a day that ends on the wall clock with no step does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from . import states
from .timeutil import iso

STEP_THRESHOLD_S = 120.0
UPTIME = "/proc/uptime"


def _uptime() -> float:
    with open(UPTIME, "rb") as f:
        return float(f.read().split(maxsplit=1)[0])


def steady_clock() -> Callable[[], float]:
    """Seconds since boot (/proc/uptime, CLOCK_BOOTTIME, 10 ms), else time.monotonic.

    Neither steps. Boot time is read from a file, so libfaketime, which shifts every
    clock_gettime clock with the wall clock it fakes, leaves it alone: the tests can step a
    real server's wall clock and see what a Pi sees when NTP steps it.
    """
    try:
        _uptime()
    except (OSError, ValueError, IndexError):
        return time.monotonic
    return _uptime


@dataclass(frozen=True, slots=True)
class Step:
    """One jump of the wall clock: by `seconds` (signed), from `old_wall` to `new_wall`."""

    seconds: float
    old_wall: float
    new_wall: float


@dataclass(frozen=True, slots=True)
class Reading:
    now: float  # wall time for the day and `at`: max(wall, newest stored time at start-up)
    t: float  # never steps: for durations
    wall: float
    behind: bool  # the wall clock is earlier than what the log already holds


class OfficeClock:
    """Reads the wall clock beside a monotonic one and notices every step."""

    def __init__(
        self,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] | None = None,
        threshold: float = STEP_THRESHOLD_S,
    ):
        self.wall = wall
        # A test's hand-set clock is the truth it models: no monotonic clock to compare with.
        self.mono = mono if mono is not None else (steady_clock() if wall is time.time else None)
        self.steady = self.mono is not None  # steps can be seen (and a stale boot)
        self.threshold = threshold
        self.floor = float("-inf")
        self.steps: list[Step] = []  # every step seen while running
        self.pending: list[Step] = []  # seen but not yet handled by the service
        self._lock = threading.Lock()
        self._offset: float | None = None
        self._anchor: tuple[float, float] | None = None  # (t, mono) at start-up
        self._last_t = float("-inf")

    def start(self, floor: float | None, t_floor: float | None) -> None:
        """Anchor at start-up on the newest stored wall time and never-stepping time."""
        with self._lock:
            self.floor = floor if floor is not None and self.steady else float("-inf")
            wall = self.wall()
            base = max(wall, self.floor, t_floor if t_floor is not None else float("-inf"))
            self._last_t = base
            if self.mono is not None:
                m = self.mono()
                self._anchor = (base, m)
                self._offset = wall - m

    def read(self) -> Reading:
        """The time now; a step seen on the way is queued in `pending` (and kept in `steps`)."""
        with self._lock:
            wall = self.wall()
            if self.mono is None:
                t = max(self._last_t, wall)
            else:
                m = self.mono()
                offset = wall - m
                if self._offset is not None and abs(offset - self._offset) > self.threshold:
                    seconds = offset - self._offset
                    step = Step(seconds, wall - seconds, wall)
                    self.steps.append(step)
                    self.pending.append(step)
                self._offset = offset
                base, m0 = self._anchor or (wall, m)
                t = max(self._last_t, base + (m - m0))
            self._last_t = t
            return Reading(max(wall, self.floor), t, wall, wall < self.floor)

    def now(self) -> float:
        return self.read().now

    def take_pending(self) -> list[Step]:
        with self._lock:
            out, self.pending = self.pending, []
            return out

    def health(self, tz: ZoneInfo) -> dict:
        """The /api/health probe: degraded while behind the log or once it has stepped."""
        r = self.read()
        steps = [
            {"step_s": round(s.seconds), "old_wall": iso(s.old_wall, tz),
             "new_wall": iso(s.new_wall, tz)}
            for s in self.steps
        ]  # fmt: skip
        out = {"status": "degraded" if (r.behind or steps) else "ok", "wall": iso(r.wall, tz),
               "behind": r.behind, "steps": steps}  # fmt: skip
        if r.behind:
            out["behind_s"] = round(self.floor - r.wall)
        return out


def redate(conn, today: str, day: str | None, since: int) -> int:
    """Move to `today` the tickets of the day in effect (`day`) issued in this run.

    Called when the day changed only because the clock stepped: those tickets were dated by
    a wrong clock, and a citizen holds each. They keep their numbers and today's numbering
    continues after the highest of them, so no number is handed out twice (the day never
    moves back, so `today` has no tickets of its own yet). Earlier runs' leftovers (rowid <=
    `since`) and earlier days, already rolled, stay where they are.
    """
    cur = conn.execute(
        "UPDATE OR IGNORE tickets SET day = ? WHERE day = ? AND rowid > ?", (today, day, since)
    )
    if cur.rowcount:
        conn.execute(
            "INSERT INTO sequences (service, day, last)"
            " SELECT origin, day, MAX(n) FROM tickets WHERE day = ? GROUP BY origin"
            " ON CONFLICT (service, day) DO UPDATE SET last = MAX(last, excluded.last)",
            (today,),
        )
    return cur.rowcount


def start_state(conn) -> tuple[float | None, float | None, int, str | None]:
    """What start-up anchors on: newest event time, newest `t`, newest ticket, last day."""
    at, t = conn.execute("SELECT MAX(at), MAX(t) FROM events").fetchone()
    mark = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM tickets").fetchone()[0]
    day = conn.execute("SELECT value FROM meta WHERE key = 'day'").fetchone()
    return at, t, mark, day[0] if day else None


def expire(conn, which: str, day: str, log: Callable) -> int:
    """Expire the open tickets `which` selects (e.g. "day < ?"); log(row) each; count them."""
    rows = conn.execute(
        f"SELECT * FROM tickets WHERE {which} AND status IN ('waiting','called','serving')",
        (day,),
    ).fetchall()
    for t in rows:
        states.apply(t["status"], "expire")
        conn.execute("UPDATE tickets SET status = 'expired' WHERE id = ?", (t["id"],))
        conn.execute("UPDATE counters SET ticket_id = NULL WHERE ticket_id = ?", (t["id"],))
        log(t)
    return len(rows)
