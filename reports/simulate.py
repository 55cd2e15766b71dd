"""A seeded, realistic office history driven through QueueService with a hand-moved clock.

Citizens arrive by procedure with peaks at 8–10 and 14–15; clerks call, start, finish,
transfer, mark no-shows and take short breaks; most citizens who rate are satisfied. Every
change goes through the same service methods the API uses, so the event log is real.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from core import events
from core.errors import QueueError
from core.model import DAYS, Office
from core.service import QueueService
from core.store import Store
from core.timeutil import is_open

BASE_PER_DAY = 120
WEEKDAY_FACTOR = {"mon": 1.15, "tue": 1.0, "wed": 1.0, "thu": 1.0, "fri": 0.9, "sat": 0.8}
SHARE = {"hotich": 0.30, "chungthuc": 0.30, "datdai": 0.12, "ldtbxh": 0.12, "vhxh": 0.08,
         "khac": 0.08}  # fmt: skip
# (from hour, to hour, relative arrival intensity): the peaks of a commune hall.
INTENSITY = ((0, 8, 0.8), (8, 10, 2.2), (10, 12, 0.9), (12, 14, 0.7), (14, 15, 1.9), (15, 24, 0.6))
CLERKS = ("hoa.tt", "minh.nv", "duc.lv", "lan.pt", "tuan.nq", "mai.dt", "hung.pv", "thu.nh")
P_PRIORITY, P_NO_SHOW, P_TRANSFER, P_RATE, P_PRINT_FAIL = 0.05, 0.05, 0.03, 0.65, 0.004
RATING_WEIGHTS = ((4, 0.55), (3, 0.36), (2, 0.06), (1, 0.03))
P_LATE, P_BREAK = 0.08, 0.3


class NotEmpty(Exception):
    """The data dir already holds tickets on the days to simulate."""


@dataclass
class Desk:
    number: int
    services: tuple[str, ...]
    clerk: str
    busy: bool = False
    break_at: float | None = None


def _intensity(hour: float) -> float:
    return next(w for a, b, w in INTENSITY if a <= hour < b)


def _arrivals(rng: random.Random, sessions, day: dt.date, tz, expected: float) -> list[float]:
    """Arrival instants over the day's sessions, density shaped by INTENSITY."""
    pieces = []  # (start epoch, length s, weight)
    for s in sessions:
        t = dt.datetime.combine(day, s.start, tz)
        end = dt.datetime.combine(day, s.end, tz)
        while t < end:
            nxt = min(end, t.replace(minute=0, second=0) + dt.timedelta(hours=1))
            length = (nxt - t).total_seconds()
            pieces.append((t.timestamp(), length, _intensity(t.hour + t.minute / 60)))
            t = nxt
    total = sum(length * w for _, length, w in pieces)
    if not pieces or total <= 0:
        return []
    n = max(0, int(round(rng.gauss(expected, math.sqrt(max(expected, 1))))))
    out = []
    for _ in range(n):
        x = rng.random() * total
        for start, length, w in pieces:
            if x < length * w:
                out.append(start + x / w)
                break
            x -= length * w
    return sorted(out)


def _lognormal(rng: random.Random, mean: float, sigma: float = 0.5) -> float:
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def _rating(rng: random.Random) -> int:
    x = rng.random()
    for r, w in RATING_WEIGHTS:
        if x < w:
            return r
        x -= w
    return 4


class Sim:
    """One run of the simulation over a store."""

    def __init__(self, store: Store, office: Office, seed: int, scale: float):
        self.now = 0.0
        self.rng = random.Random(seed)
        self.office = office
        self.scale = scale
        self.q = QueueService(store, office, clock=lambda: self.now)
        self.heap: list = []
        self.seq = 0
        self.tickets = 0
        self.desks = {
            c.number: Desk(c.number, c.services, CLERKS[i % len(CLERKS)])
            for i, c in enumerate(office.counters)
        }

    def at(self, t: float, kind: str, *args) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, args))

    def day(self, day: dt.date, stop: float | None) -> None:
        """Simulate one office day (up to `stop`, for today)."""
        tz = self.office.tz
        weekday = DAYS[day.weekday()]
        opened = []
        for s in self.office.services:
            sessions = s.hours.get(weekday, ())
            if not sessions or s.kind == "return":  # a return ticket needs a ready dossier
                continue
            share = SHARE.get(s.code, 1 / max(1, len(self.office.services)))
            expected = BASE_PER_DAY * WEEKDAY_FACTOR.get(weekday, 0.5) * share * self.scale
            if weekday == "sat":
                expected *= 0.5 / share if s.code == "hotich" else 1  # only civil status opens
            for t in _arrivals(self.rng, sessions, day, tz, expected):
                self.at(t, "arrive", s.code)
            opened.extend(sessions)
        if not opened:
            return
        first = min(dt.datetime.combine(day, s.start, tz).timestamp() for s in opened)
        last = max(dt.datetime.combine(day, s.end, tz).timestamp() for s in opened)
        for d in self.desks.values():
            d.busy = False
            d.break_at = first + self.rng.uniform(3600, 4 * 3600) if self.rng.random() < P_BREAK else None  # fmt: skip
            if any(s.hours.get(weekday) for s in self.office.services if s.code in d.services):
                # Now and then a clerk is held up (a meeting, a field visit) and opens late.
                late = self.rng.uniform(1800, 5400) if self.rng.random() < P_LATE else 0
                self.at(first + late + self.rng.uniform(0, 300), "try", d.number)
        closing = dt.datetime.combine(day, self.office_closing(), tz).timestamp()
        self.at(max(closing, last + 1800), "close", day.isoformat())
        self.run(stop)

    def office_closing(self) -> dt.time:
        return dt.time(17, 30)

    def run(self, stop: float | None) -> None:
        while self.heap:
            t, _, kind, args = self.heap[0]
            if stop is not None and t > stop:
                self.heap.clear()
                return
            heapq.heappop(self.heap)
            self.now = t
            try:
                getattr(self, f"on_{kind}")(*args)
            except QueueError:
                pass  # e.g. a rating racing the day's close: the service refused, as in life

    def wake(self, service: str) -> None:
        for d in self.desks.values():
            if not d.busy and service in d.services:
                d.busy = True  # reserved: it will call now
                self.at(self.now + self.rng.uniform(3, 25), "call", d.number)
                return

    def on_arrive(self, service: str) -> None:
        ticket, _ = self.q.issue(service, priority=self.rng.random() < P_PRIORITY, kiosk="kiosk-1")
        self.tickets += 1
        if self.rng.random() < P_PRINT_FAIL:
            self.q.record(events.PRINT_FAILED, ticket["id"], reason="paper_out",
                          message="Máy in hết giấy", number=ticket["number"])  # fmt: skip
        self.wake(service)

    def on_try(self, number: int) -> None:
        d = self.desks[number]
        if not d.busy:
            d.busy = True
            self.on_call(number)

    def on_call(self, number: int) -> None:
        d = self.desks[number]
        if d.break_at is not None and self.now >= d.break_at:
            d.break_at = None
            self.q.pause(number, clerk=d.clerk)
            self.at(self.now + self.rng.uniform(300, 900), "resume", number)
            return
        ticket = self.q.next(number, clerk=d.clerk)
        if ticket is None:
            d.busy = False
            return
        if self.rng.random() < P_NO_SHOW:
            self.at(self.now + self.rng.uniform(40, 90), "recall", number)
        else:
            self.at(self.now + self.rng.uniform(15, 60), "start", number, ticket["service"])

    def on_resume(self, number: int) -> None:
        self.q.resume(number, clerk=self.desks[number].clerk)
        self.on_call(number)

    def on_recall(self, number: int) -> None:
        self.q.recall(number, clerk=self.desks[number].clerk)
        self.at(self.now + self.rng.uniform(40, 90), "no_show", number)

    def on_no_show(self, number: int) -> None:
        self.q.no_show(number, clerk=self.desks[number].clerk)
        self.at(self.now + self.rng.uniform(5, 20), "call", number)

    def on_start(self, number: int, service: str) -> None:
        self.q.start(number, clerk=self.desks[number].clerk)
        svc = self.office.service(service)
        mean = svc.service_s if svc else 600
        # Transfer only to a procedure that takes dossiers right now (not a closed Saturday one).
        others = [
            s.code
            for s in self.office.services
            if s.code != service and s.kind != "return" and is_open(s, self.now, self.office.tz)
        ]
        if others and self.rng.random() < P_TRANSFER:
            self.at(
                self.now + self.rng.uniform(60, 180), "transfer", number, self.rng.choice(others)
            )
        else:
            self.at(self.now + max(30.0, _lognormal(self.rng, mean)), "finish", number)

    def on_transfer(self, number: int, service: str) -> None:
        self.q.transfer(number, service, clerk=self.desks[number].clerk)
        self.wake(service)
        self.at(self.now + self.rng.uniform(5, 20), "call", number)

    def on_finish(self, number: int) -> None:
        ticket = self.q.finish(number, clerk=self.desks[number].clerk)
        if self.rng.random() < P_RATE:
            self.at(self.now + self.rng.uniform(5, 40), "rate", ticket["id"], _rating(self.rng))
        self.at(self.now + self.rng.uniform(10, 60), "call", number)

    def on_rate(self, ticket_id: str, rating: int) -> None:
        self.q.feedback(ticket_id, rating)

    def on_close(self, day: str) -> None:
        self.q.close_day(day)


def run(
    store: Store,
    office: Office,
    days: int,
    seed: int,
    until: float,
    scale: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Simulate the `days` calendar days before `until`'s date, and that date up to `until`.

    progress(done, total), if given, is called after each calendar day (total: days + 1).
    """
    end = dt.datetime.fromtimestamp(until, office.tz)
    first = end.date() - dt.timedelta(days=days)
    conn = store.reader()
    if conn.execute(
        "SELECT 1 FROM tickets WHERE day >= ? LIMIT 1", (first.isoformat(),)
    ).fetchone():
        raise NotEmpty(
            f"The data dir already has tickets on or after {first}; simulate into a fresh"
            " ONESTOP_DATA directory."
        )
    events_before = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    sim = Sim(store, office, seed, scale)
    # Demo data only: a power cut mid-simulation just means simulating again.
    store.conn.execute("PRAGMA synchronous=OFF")
    day_list = []
    try:
        for i in range(days + 1):
            day = first + dt.timedelta(days=i)
            sim.day(day, until if day == end.date() else None)
            day_list.append(day.isoformat())
            if progress:
                progress(i + 1, days + 1)
    finally:
        store.conn.execute("PRAGMA synchronous=FULL")
    active = {
        r[0]
        for r in store.reader().execute(
            "SELECT DISTINCT day FROM events WHERE day >= ?", (first.isoformat(),)
        )
    }
    events = store.reader().execute("SELECT COUNT(*) FROM events").fetchone()[0] - events_before
    return {
        "days": len(active),
        "day_list": [d for d in day_list if d in active],
        "tickets": sim.tickets,
        "events": events,
    }
