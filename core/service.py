"""QueueService: every change to a ticket or counter, one transaction each.

Each transition runs one IMMEDIATE transaction: it writes the ticket row and a logged
event (core/events.py), bumps the broadcast sequence, commits, and only then hands its
message to the bus (core/bus.py), which delivers in commit order. Reads live in the line
(core/line.py, `queue.line`). Nothing here knows about screens, voice or the printer: they
subscribe to the bus.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from . import events, states
from .bus import Bus
from .checks import check_issue
from .clock import OfficeClock, Reading, expire, redate, start_state
from .errors import BadRequest, Conflict, NotFound
from .events import Logged, QueueChanged, TicketCalled, TicketIssued, TicketRated
from .line import DEFAULT_RECENT_CALLS, Line
from .model import Office
from .shapes import Counter, Ticket
from .store import Store, write_office
from .timeutil import iso, office_day

Clock = Callable[[], float]


class QueueService:
    """The one door through which the queue changes."""

    def __init__(
        self,
        store: Store,
        office: Office,
        clock: Clock = time.time,
        mono: Clock | None = None,
        status_url: Callable[[str], str] | None = None,
        recent_calls: int = DEFAULT_RECENT_CALLS,
    ):
        self.store = store
        self.office = office
        self.clock_ = OfficeClock(clock, mono)
        self.clock = self.clock_.now
        self.bus = Bus(store.lock)
        # fn(conn, now, ticket row) -> messages, run inside a finish's transaction (dossiers);
        # the messages are published after its commit, with the finish's own.
        self.finish_hooks: list[Callable[..., list]] = []
        self._later: list = []
        self.line = Line(store, office, self.clock, status_url, recent_calls, self._tick)
        self.line.steady = lambda: self.clock_.read().t
        at, t, self._since, self._day = start_state(store.reader())
        self.clock_.start(at, t)
        self.sync_office()
        self.bus.published_seq = self._read_seq(self.store.reader())

    def subscribe(self, fn: Callable[[str, Any], None], inline: bool = False) -> None:
        """See Bus.subscribe: fn(name, payload) after each commit, in commit order."""
        self.bus.subscribe(fn, inline=inline)

    def drain(self, timeout: float = 5.0) -> None:
        self.bus.drain(timeout)

    def _today(self, now: float) -> str:
        return office_day(now, self.office.tz, self.office.day_starts_at)

    def day(self) -> str:
        """Today's office day as numbering sees it (a step back of the clock never moves it)."""
        return self._day_of(self.clock())

    def _day_of(self, now: float) -> str:
        """The office day in effect: on a real clock it never moves back (a step back)."""
        today = self._today(now)
        return max(today, self._day or "") if self.clock_.steady else today

    @staticmethod
    def _read_seq(conn) -> int:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])

    def publish_outside_changes(self) -> bool:
        """Publish what another process committed (`flask day close`); True if anything."""
        self._tick()  # called every few seconds: a clock step is dealt with soon, even idle
        with self.bus.changing():
            conn = self.store.reader()
            if self._read_seq(conn) <= self.bus.published_seq:
                return False
            conn.execute("BEGIN")
            try:
                msg = QueueChanged(self._read_seq(conn), self.line.counters_of(conn),
                                   self.line.waiting(conn))  # fmt: skip
            finally:
                conn.execute("COMMIT")
            self.bus.publish([(events.QUEUE_CHANGED, msg)])
        return True

    def sync_office(self) -> None:
        """Write the configured procedures and counters; keep rows no longer configured."""
        with self.store.write() as conn:
            write_office(conn, self.office)
        with self.store.lock:
            self._roll_day(self.clock_.read(), force=True)

    def _tick(self) -> float:
        """The time now, once a clock step or a new office day has been dealt with (reads too)."""
        r = self.clock_.read()
        if self.clock_.pending or self._day_of(r.now) != self._day:
            with self.store.lock:
                self._roll_day(r)
        return r.now

    def _roll_day(self, r: Reading, force: bool = False) -> None:
        """Log the steps seen; on a new office day re-date what a wrong clock dated, expire the rest."""
        steps = self.clock_.take_pending()
        today = self._day_of(r.now)
        if not (steps or force or today != self._day):
            return
        tz = self.office.tz
        # Its own transaction: if the caller's failed, the day must not stay marked as rolled
        # with yesterday's tickets still waiting. The day never moves back (clock.py).
        said = [{"step_s": round(s.seconds, 3), "old_wall": iso(s.old_wall, tz),
                 "new_wall": iso(s.new_wall, tz)} for s in steps]  # fmt: skip
        with self.store.write() as conn:
            for data in said:  # under the day they open: the supervisor's today shows them
                self._log(conn, r.now, events.CLOCK_STEPPED, day=today, **data)
            if steps and today != self._day:
                redate(conn, today, self._day, self._since)
            self._expire(conn, r.now, "day < ?", today)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('day', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (today,),
            )
        self._day = today  # staff consoles hear of a step at once (delivered after the lock)
        self.bus.publish([(events.CLOCK_STEPPED, Logged(None, iso(r.now, tz), d)) for d in said])

    def _expire(self, conn, now: float, which: str, day: str) -> int:
        return expire(conn, which, day, lambda t: self._log(
            conn, now, events.EXPIRED, t, counter=t["counter"], previous=t["status"]))  # fmt: skip

    def close_day(self, day: str | None = None) -> int:
        """Expire every ticket of `day` (default: today) and earlier still open; count them."""
        with self.bus.changing():
            now = self._tick()
            day = day or self._day
            with self.store.write() as conn:
                n = self._expire(conn, now, "day <= ?", day)
                if n:
                    msg = QueueChanged(self._next_seq(conn), self.line.counters_of(conn),
                                       self.line.waiting(conn))  # fmt: skip
            if n:
                self.bus.publish([(events.QUEUE_CHANGED, msg)])
        return n

    def _log(self, conn, now, type_: str, ticket=None, counter=None, clerk=None, **data) -> None:
        """Append one event row; its type and data must fit the registry."""
        service, day = data.pop("service", None), data.pop("day", None) or self._day
        events.check_data(type_, data)  # an unknown type or a stray key fails the test suite
        conn.execute(
            "INSERT INTO events (at, t, day, type, ticket_id, service, counter, clerk, data)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (now, self.clock_.read().t, ticket["day"] if ticket else day, type_,
             ticket["id"] if ticket else None, ticket["service"] if ticket else service,
             counter, clerk, json.dumps(data, ensure_ascii=False) if data else None),
        )  # fmt: skip

    def _next_seq(self, conn, key: str = "seq") -> int:
        """The broadcast sequence (`seq`) or the line's order (`qseq`), plus one."""
        row = conn.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = ? RETURNING value",
            (key,),
        ).fetchone()
        return int(row[0])

    def _counter_row(self, conn, number: int):
        row = conn.execute(
            "SELECT * FROM counters WHERE number = ? AND active = 1", (number,)
        ).fetchone()
        if row is None:
            raise NotFound(f"No counter {number}.", "unknown_counter")
        return row

    def _current(self, conn, counter):
        if not counter["ticket_id"]:
            raise Conflict(f"Counter {counter['number']} has no ticket now.", "no_current_ticket")
        return self.line.row(conn, counter["ticket_id"])

    def issue(
        self,
        service: str,
        priority: bool = False,
        kiosk: str | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[Ticket, bool]:
        """Issue a ticket. Returns (ticket, created); a repeated key returns the first ticket."""
        check_issue(service, priority, kiosk, idempotency_key)
        svc = self.office.service(service)
        if svc is None:
            raise NotFound(f"No procedure {service!r}.", "unknown_service")
        with self.bus.changing():
            now = self._tick()
            with self.store.write() as conn:
                if idempotency_key:
                    row = conn.execute(
                        "SELECT * FROM tickets WHERE COALESCE(kiosk, '') = ? AND day = ?"
                        " AND idempotency_key = ?",
                        (kiosk or "", self._day, idempotency_key),
                    ).fetchone()
                    if row is not None:
                        return self.line.ticket_of(conn, row), False
                msg = self._issue(conn, now, svc, priority, kiosk, idempotency_key)
            self.bus.publish([(events.TICKET_ISSUED, msg)])
        return msg.ticket, True

    def _issue(self, conn, now, svc, priority, kiosk, idempotency_key) -> TicketIssued:
        if not self.line.is_open(svc.code, now):
            raise Conflict(f"{svc.name} is not receiving dossiers at this hour.", "service_closed")
        day = self._day
        n = conn.execute(
            "INSERT INTO sequences (service, day, last) VALUES (?, ?, 1)"
            " ON CONFLICT (service, day) DO UPDATE SET last = last + 1 RETURNING last",
            (svc.code, day),
        ).fetchone()[0]
        if n > svc.capacity:
            raise Conflict(f"All numbers of {svc.name} for today are used.", "numbers_exhausted")
        t = {"id": secrets.token_urlsafe(12), "service": svc.code, "n": n, "number": svc.label(n),
             "head": 0, "priority": int(priority), "qseq": self._next_seq(conn, "qseq"),
             "status": None}  # not in the table yet: not in waiting_counts either  # fmt: skip
        ahead = self.line.ahead(conn, t)
        estimate = self.line.estimate(conn, svc.code, ahead)
        conn.execute(
            "INSERT INTO tickets (id, day, service, origin, n, number, status, priority,"
            " kiosk, issued_at, queued_at, estimated_wait_s, idempotency_key, qseq)"
            " VALUES (?,?,?,?,?,?,'waiting',?,?,?,?,?,?,?)",
            (t["id"], day, svc.code, svc.code, n, t["number"], int(priority), kiosk, now, now,
             estimate, idempotency_key, t["qseq"]),
        )  # fmt: skip
        row = self.line.row(conn, t["id"])
        self._log(conn, now, events.ISSUED, row, priority=bool(priority), kiosk=kiosk,
                  estimated_wait_s=estimate, ahead=ahead)  # fmt: skip
        ticket = self.line.ticket_of(conn, row, ahead, estimate)
        return TicketIssued(self._next_seq(conn), ticket, self.line.waiting(conn))

    def _counter_change(self, counter: int, body) -> Any:
        """Run body(conn, now, counter_row) in one transaction; publish the message it makes.

        body returns (result, what): what is None (nothing to tell), QUEUE_CHANGED, or a
        (call, recall) pair for TICKET_CALLED; the message gets its seq, counters and
        waiting counts here, inside the transaction.
        """
        if not isinstance(counter, int) or isinstance(counter, bool) or not 0 < counter < 2**31:
            raise NotFound("No such counter.", "unknown_counter")
        with self.bus.changing():
            now = self._tick()
            self._later = []
            with self.store.write() as conn:
                result, what = body(conn, now, self._counter_row(conn, counter))
                if what is not None:
                    seq = self._next_seq(conn)
                    counters, waiting = self.line.counters_of(conn), self.line.waiting(conn)
                    if what == events.QUEUE_CHANGED:
                        message = (what, QueueChanged(seq, counters, waiting))
                    else:
                        call, recall = what
                        msg = TicketCalled(seq, call, recall, counters, waiting)
                        message = (events.TICKET_CALLED, msg)
            if what is not None:
                self.bus.publish([message, *self._later])
        return result

    def _finished(self, conn, now, t) -> None:
        for hook in self.finish_hooks:
            self._later.extend(hook(conn, now, t))

    def _finish_current(self, conn, now, c, clerk) -> bool:
        if not c["ticket_id"]:
            return False
        t = self.line.row(conn, c["ticket_id"])
        conn.execute("UPDATE counters SET ticket_id = NULL WHERE number = ?", (c["number"],))
        if t["status"] not in states.ACTIVE:
            return False
        states.apply(t["status"], "finish")
        conn.execute(
            "UPDATE tickets SET status = 'done', finished_at = ?, service_s = MAX(0, ? - begun_t)"
            " WHERE id = ?",
            (now, self.clock_.read().t, t["id"]),
        )
        self._log(conn, now, events.FINISHED, t, counter=c["number"], clerk=clerk)
        self._finished(conn, now, t)
        return True

    def next(self, counter: int, clerk: str | None = None, expect: Any = ...) -> Ticket | None:
        """Finish the counter's ticket and call the next; None when nobody waits.

        `expect` (the ticket id the clerk sees, or None) guards against a double click
        or a stale screen finishing a ticket the clerk has not seen.
        """

        def body(conn, now, c):
            if c["status"] == "paused":
                raise Conflict(f"Counter {c['number']} is paused.", "counter_paused")
            if expect is not ... and expect != c["ticket_id"]:
                raise Conflict(
                    "The counter's ticket changed meanwhile; the screen has been refreshed.",
                    "stale_request",
                )
            finished = self._finish_current(conn, now, c, clerk)
            line = self.line.first(conn, json.loads(c["services"]), 1)
            if not line:
                conn.execute(
                    "UPDATE counters SET clerk = ?, updated_at = ? WHERE number = ?",
                    (clerk, now, c["number"]),
                )
                return None, (events.QUEUE_CHANGED if finished else None)
            t = line[0][0]
            states.apply(t["status"], "call")
            conn.execute(
                "UPDATE tickets SET status = 'called', called_at = COALESCE(called_at, ?),"
                " begun_t = COALESCE(begun_t, ?), counter = ?, clerk = ?, head = 0 WHERE id = ?",
                (now, self.clock_.read().t, c["number"], clerk, t["id"]),
            )
            conn.execute(
                "UPDATE counters SET ticket_id = ?, clerk = ?, updated_at = ? WHERE number = ?",
                (t["id"], clerk, now, c["number"]),
            )
            self._log(conn, now, events.CALLED, t, counter=c["number"], clerk=clerk)
            call = self.line.call_of(conn, self.line.row(conn, t["id"]), c["number"], now)
            return call.ticket, (call, False)

        return self._counter_change(counter, body)

    def recall(self, counter: int, clerk: str | None = None) -> Ticket:
        def body(conn, now, c):
            t = self._current(conn, c)
            states.apply(t["status"], "recall")
            self._log(conn, now, events.RECALLED, t, counter=c["number"], clerk=clerk)
            call = self.line.call_of(conn, t, c["number"], now)
            return call.ticket, (call, True)

        return self._counter_change(counter, body)

    def _step(self, counter: int, clerk: str | None, action: str) -> Ticket:
        """start, finish, no_show: move the counter's current ticket one step."""

        def body(conn, now, c):
            t = self._current(conn, c)
            new = states.apply(t["status"], action)
            column = "started_at" if action == "start" else "finished_at"
            # Service time on the never-stepping clock: from the start (else the call).
            mono = "begun_t = ?" if action == "start" else "service_s = MAX(0, ? - begun_t)"
            conn.execute(
                f"UPDATE tickets SET status = ?, {column} = ?, {mono} WHERE id = ?",
                (new, now, self.clock_.read().t, t["id"]),
            )
            if new in states.FINAL:
                conn.execute(
                    "UPDATE counters SET ticket_id = NULL WHERE number = ?", (c["number"],)
                )
            self._log(conn, now, events.OF_ACTION[action], t, counter=c["number"], clerk=clerk)
            if action == "finish":
                self._finished(conn, now, t)
            ticket = self.line.ticket_of(conn, self.line.row(conn, t["id"]))
            return ticket, events.QUEUE_CHANGED

        return self._counter_change(counter, body)

    def start(self, counter: int, clerk: str | None = None) -> Ticket:
        return self._step(counter, clerk, "start")

    def finish(self, counter: int, clerk: str | None = None) -> Ticket:
        return self._step(counter, clerk, "finish")

    def no_show(self, counter: int, clerk: str | None = None) -> Ticket:
        return self._step(counter, clerk, "no_show")

    def transfer(self, counter: int, service: Any, clerk: str | None = None) -> Ticket:
        """Send the counter's ticket to the head of another procedure's queue, same number."""
        if not isinstance(service, str) or self.office.service(service) is None:
            raise NotFound(f"No procedure {service!r}.", "unknown_service")

        def body(conn, now, c):
            t = self._current(conn, c)
            states.apply(t["status"], "transfer")
            conn.execute(
                "UPDATE tickets SET status = 'waiting', service = ?, head = 1, queued_at = ?,"
                " qseq = ?, counter = NULL, transfers = transfers + 1 WHERE id = ?",
                (service, now, self._next_seq(conn, "qseq"), t["id"]),
            )
            conn.execute("UPDATE counters SET ticket_id = NULL WHERE number = ?", (c["number"],))
            self._log(conn, now, events.TRANSFERRED, t, counter=c["number"], clerk=clerk,
                      to=service, previous=t["status"])  # fmt: skip
            ticket = self.line.ticket_of(conn, self.line.row(conn, t["id"]))
            return ticket, events.QUEUE_CHANGED

        return self._counter_change(counter, body)

    def _set_counter_status(self, counter: int, clerk: str | None, status: str) -> Counter:
        def body(conn, now, c):
            if c["status"] == status:
                return None, None
            conn.execute(
                "UPDATE counters SET status = ?, clerk = COALESCE(?, clerk), updated_at = ?"
                " WHERE number = ?",
                (status, clerk, now, c["number"]),
            )
            kind = events.COUNTER_PAUSED if status == "paused" else events.COUNTER_RESUMED
            self._log(conn, now, kind, counter=c["number"], clerk=clerk)
            return None, events.QUEUE_CHANGED

        self._counter_change(counter, body)
        return self.line.counter(counter)

    def pause(self, counter: int, clerk: str | None = None) -> Counter:
        return self._set_counter_status(counter, clerk, "paused")

    def resume(self, counter: int, clerk: str | None = None) -> Counter:
        return self._set_counter_status(counter, clerk, "open")

    def feedback(self, ticket_id: str, rating: Any) -> Ticket:
        """Store the citizen's 1..4 rating once, for a finished ticket."""
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 4:
            raise BadRequest("'rating' must be 1, 2, 3 or 4.", "invalid_rating")
        if not isinstance(ticket_id, str) or len(ticket_id) > 64:
            raise NotFound("No such ticket.", "unknown_ticket")
        with self.bus.changing():
            now = self._tick()
            with self.store.write() as conn:
                t = self.line.row(conn, ticket_id)
                if t["status"] != states.DONE:
                    raise Conflict("Only a finished ticket can be rated.", "not_finished")
                if t["rating"] is not None:
                    raise Conflict("This ticket has been rated already.", "already_rated")
                conn.execute("UPDATE tickets SET rating = ? WHERE id = ?", (rating, ticket_id))
                self._log(conn, now, events.RATED, t, counter=t["counter"], clerk=t["clerk"],
                          rating=rating)  # fmt: skip
                view = self.line.ticket_of(conn, self.line.row(conn, ticket_id))
            self.bus.publish([(events.TICKET_RATED, TicketRated(view))])
        return view

    def record(self, type_: str, ticket_id: str | None = None, **data) -> None:
        """Log and publish a non-transition event (print_failed, ...) of the registry."""
        with self.bus.changing():
            now = self._tick()
            with self.store.write() as conn:
                t = self.line.row(conn, ticket_id) if ticket_id else None
                self._log(conn, now, type_, t, **data)
            message = Logged(ticket_id, iso(now, self.office.tz), data)
            self.bus.publish([(type_, message)])
