"""QueueService: every change to a ticket or counter, one transaction each.

Each public method runs one IMMEDIATE transaction, writes the ticket row and an event
row, bumps the broadcast sequence, commits, and only then hands the resulting messages
to subscribers in commit order: slow ones (printer, voice) on a dispatcher thread each,
the screens' fan-out (`inline=True`) on the committing thread once it has let go of the
write lock, which saves a thread hand-off on the way to the lobby.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import queue as stdqueue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from . import states
from .announce import Announcer, TextAnnouncer
from .errors import BadRequest, Conflict, NotFound
from .estimate import estimate_wait
from .model import Office
from .store import Store
from .timeutil import is_open, iso, office_day

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Subscriber = Callable[[str, dict], None]

RECENT_CALLS = 8
RECENT_SERVICE_SAMPLE = 20


def call_key(t) -> tuple:
    """CALL_ORDER in Python, to merge the lines of several procedures."""
    return (-t["head"], -t["priority"], t["queued_at"], t["n"], t["number"])


AHEAD_SCAN = 64  # index entries _ahead reads from the front before counting from the back
# SQL twin of core.policy.sort_key; tests check the two agree.
CALL_ORDER = "head DESC, priority DESC, queued_at, n, number"


class QueueService:
    """The one door through which the queue changes."""

    def __init__(
        self,
        store: Store,
        office: Office,
        clock: Clock = time.time,
        announcer: Announcer | None = None,
        status_url: Callable[[str], str] | None = None,
    ):
        self.store = store
        self.office = office
        self.clock = clock
        self.announcer = announcer or TextAnnouncer()
        self.status_url = status_url or (lambda ticket_id: f"/t/{ticket_id}")
        # One outbox and thread per subscriber: a hung printer must not hold back displays.
        self._subscribers: list[tuple[Subscriber, stdqueue.Queue]] = []
        self._inline: list[Subscriber] = []
        self._inline_pending: collections.deque = collections.deque()
        self._inline_lock = threading.Lock()  # one deliverer at a time keeps commit order
        self._depth = threading.local()  # nesting of _changing() in this thread
        self._day: str | None = None
        self.sync_office()
        self._published_seq = self._read_seq(self.store.reader())

    def subscribe(self, fn: Subscriber, inline: bool = False) -> None:
        """Call fn(event_name, payload) after each commit, in commit order.

        By default on a thread of its own. inline=True: on the thread that committed, after
        it has released the write lock; only for subscribers that never block (the screens'
        non-blocking fan-out), since the clerk's or kiosk's request waits for them.
        """
        if inline:
            self._inline.append(fn)
            return
        outbox: stdqueue.Queue = stdqueue.Queue()
        self._subscribers.append((fn, outbox))
        threading.Thread(
            target=self._dispatch_loop,
            args=(fn, outbox),
            name=f"onestop-dispatch-{len(self._subscribers)}",
            daemon=True,
        ).start()

    def _publish(self, messages: list[tuple[str, dict]]) -> None:
        for _, payload in messages:
            self._published_seq = max(self._published_seq, payload.get("seq") or 0)
        for _fn, outbox in self._subscribers:
            for message in messages:
                outbox.put(message)
        if self._inline:
            self._inline_pending.extend(messages)  # under the write lock: commit order

    @contextlib.contextmanager
    def _changing(self):
        """Hold the write lock; once this thread has let go of it, run inline subscribers."""
        with self.store.lock:
            self._depth.n = getattr(self._depth, "n", 0) + 1
            try:
                yield
            finally:
                self._depth.n -= 1
        if self._depth.n == 0:
            self._deliver_inline()

    def _deliver_inline(self) -> None:
        while self._inline_pending:
            with self._inline_lock:
                try:
                    name, payload = self._inline_pending.popleft()
                except IndexError:
                    return  # another thread delivered it
                for fn in self._inline:
                    self._tell(fn, name, payload)

    def _dispatch_loop(self, fn: Subscriber, outbox: stdqueue.Queue) -> None:
        while True:
            name, payload = outbox.get()
            try:
                self._tell(fn, name, payload)
            finally:
                outbox.task_done()

    @staticmethod
    def _tell(fn: Subscriber, name: str, payload: dict) -> None:
        try:
            fn(name, payload)
        except Exception:  # a broken subscriber must not stop later messages or others
            log.exception("subscriber %r failed on %s", fn, name)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until every published message has been handed out (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
            outbox.unfinished_tasks for _fn, outbox in self._subscribers
        ):
            time.sleep(0.002)

    @staticmethod
    def _read_seq(conn) -> int:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])

    def publish_outside_changes(self) -> bool:
        """Tell subscribers about changes another process committed (e.g. `flask day close`).

        Called periodically by the server; True when something was published.
        """
        with self._changing():
            conn = self.store.reader()
            if self._read_seq(conn) <= self._published_seq:
                return False
            conn.execute("BEGIN")
            try:
                payload = {
                    "seq": self._read_seq(conn),
                    "counters": self._counters(conn),
                    "waiting": self._waiting(conn),
                }
            finally:
                conn.execute("COMMIT")
            self._publish([("queue_changed", payload)])
        return True

    def sync_office(self) -> None:
        """Write the configured procedures and counters; keep rows no longer configured."""
        o = self.office
        with self.store.write() as conn:
            conn.execute("UPDATE services SET active = 0")
            for i, s in enumerate(o.services):
                conn.execute(
                    "INSERT INTO services (code, name, name_en, prefix, range_start, range_end,"
                    " target_wait_s, service_s, sort, active) VALUES (?,?,?,?,?,?,?,?,?,1)"
                    " ON CONFLICT (code) DO UPDATE SET name=excluded.name,"
                    " name_en=excluded.name_en, prefix=excluded.prefix,"
                    " range_start=excluded.range_start, range_end=excluded.range_end,"
                    " target_wait_s=excluded.target_wait_s, service_s=excluded.service_s,"
                    " sort=excluded.sort, active=1",
                    (s.code, s.name, s.name_en, s.prefix, s.range_start, s.range_end,
                     s.target_wait_s, s.service_s, i),
                )  # fmt: skip
            conn.execute("UPDATE counters SET active = 0")
            for c in o.counters:
                conn.execute(
                    "INSERT INTO counters (number, name, services, active) VALUES (?,?,?,1)"
                    " ON CONFLICT (number) DO UPDATE SET name=excluded.name,"
                    " services=excluded.services, active=1",
                    (c.number, c.name, json.dumps(list(c.services))),
                )
        self._roll_day(self.clock())

    def _ensure_today(self) -> None:
        """Before a read: if the office day changed since the last write, roll it now."""
        today = office_day(self.clock(), self.office.tz, self.office.day_starts_at)
        if self._day != today:
            with self.store.lock:
                self._roll_day(self.clock())

    def _event(self, conn, now, type_, ticket=None, counter=None, clerk=None, **data) -> None:
        day = (
            ticket["day"] if ticket else office_day(now, self.office.tz, self.office.day_starts_at)
        )
        conn.execute(
            "INSERT INTO events (at, day, type, ticket_id, service, counter, clerk, data)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (now, day, type_, ticket["id"] if ticket else None,
             ticket["service"] if ticket else data.pop("service", None),
             counter, clerk, json.dumps(data, ensure_ascii=False) if data else None),
        )  # fmt: skip

    def _next_seq(self, conn) -> int:
        row = conn.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING value"
        ).fetchone()
        return int(row[0])

    def _roll_day(self, now: float) -> None:
        """On the first write of a new office day, expire what earlier days left open."""
        today = office_day(now, self.office.tz, self.office.day_starts_at)
        if self._day != today:
            # Its own transaction: if the caller's failed and rolled back, the day must
            # not stay marked as rolled with yesterday's tickets still waiting.
            with self.store.write() as conn:
                self._expire(conn, now, before=today)
            self._day = today

    def _expire(self, conn, now: float, before: str | None = None, day: str | None = None) -> int:
        if before is not None:
            rows = conn.execute(
                "SELECT * FROM tickets WHERE day < ? AND status IN ('waiting','called','serving')",
                (before,),
            ).fetchall()
        else:
            rows = conn.execute(
                "SELECT * FROM tickets WHERE day <= ? AND status IN ('waiting','called','serving')",
                (day,),
            ).fetchall()
        for t in rows:
            states.apply(t["status"], "expire")
            conn.execute("UPDATE tickets SET status = 'expired' WHERE id = ?", (t["id"],))
            conn.execute("UPDATE counters SET ticket_id = NULL WHERE ticket_id = ?", (t["id"],))
            self._event(conn, now, "expired", t, counter=t["counter"], previous=t["status"])
        return len(rows)

    def _counter_row(self, conn, number: int) -> sqlite3.Row:
        row = conn.execute(
            "SELECT * FROM counters WHERE number = ? AND active = 1", (number,)
        ).fetchone()
        if row is None:
            raise NotFound(f"No counter {number}.", "unknown_counter")
        return row

    def _ticket_row(self, conn, ticket_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if row is None:
            raise NotFound("No such ticket.", "unknown_ticket")
        return row

    def _current(self, conn, counter: sqlite3.Row) -> sqlite3.Row:
        if not counter["ticket_id"]:
            raise Conflict(f"Counter {counter['number']} has no ticket now.", "no_current_ticket")
        return self._ticket_row(conn, counter["ticket_id"])

    def _open_counters(self, conn, service: str) -> int:
        n = 0
        for c in conn.execute("SELECT services FROM counters WHERE active = 1 AND status = 'open'"):
            if service in json.loads(c["services"]):
                n += 1
        return n

    def _recent_service_s(self, conn, service: str) -> list[float]:
        rows = conn.execute(
            "SELECT finished_at - COALESCE(started_at, called_at) FROM tickets"
            " WHERE service = ? AND status = 'done' AND finished_at IS NOT NULL"
            " ORDER BY finished_at DESC LIMIT ?",
            (service, RECENT_SERVICE_SAMPLE),
        ).fetchall()
        return [r[0] for r in rows if r[0] is not None and r[0] >= 0]

    def _estimate(self, conn, service: str, ahead: int) -> int:
        svc = self.office.service(service)
        default = svc.service_s if svc else 600
        return estimate_wait(
            ahead,
            self._recent_service_s(conn, service),
            self._open_counters(conn, service),
            default,
        )

    def _ahead(self, conn, t) -> int:
        """Waiting tickets of the same procedure that will be called before `t`.

        The line is split by (head, priority) into at most four parts kept counted by
        triggers (store.m002); only `t`'s own part is counted here: from the front when
        `t` is among the first AHEAD_SCAN, else from the back, so a new ticket at the end
        of a long line costs a few index reads.
        """
        service, head, priority = t["service"], t["head"], t["priority"]
        ahead = 0
        own = 0
        for h, p, n in conn.execute(
            "SELECT head, priority, n FROM waiting_counts WHERE service = ?", (service,)
        ):
            if (h, p) == (head, priority):
                own = n
            elif (-h, -p) < (-head, -priority):  # a part called before t's (CALL_ORDER)
                ahead += n
        part = "status = 'waiting' AND service = ? AND head = ? AND priority = ?"
        before = conn.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE {part}"
            " AND (queued_at, n, number) < (?, ?, ?) LIMIT ?)",
            (service, head, priority, t["queued_at"], t["n"], t["number"], AHEAD_SCAN),
        ).fetchone()[0]
        if before == AHEAD_SCAN:  # far back in a long line: count those behind instead
            behind = conn.execute(
                f"SELECT COUNT(*) FROM tickets WHERE {part}"
                " AND (queued_at, n, number) >= (?, ?, ?) AND id != ?",
                (service, head, priority, t["queued_at"], t["n"], t["number"], t["id"]),
            ).fetchone()[0]
            before = own - int(t["status"] == states.WAITING) - behind  # `t` counts itself
        return ahead + before

    def _ticket_view(
        self, conn, t, position: int | None = None, estimated: int | None = None
    ) -> dict:
        tz = self.office.tz
        if t["status"] == states.WAITING and position is None:
            position = self._ahead(conn, t)
            estimated = self._estimate(conn, t["service"], position)
        return {
            "id": t["id"],
            "number": t["number"],
            "service": t["service"],
            "status": t["status"],
            "priority": bool(t["priority"]),
            "issued_at": iso(t["issued_at"], tz),
            "called_at": iso(t["called_at"], tz),
            "started_at": iso(t["started_at"], tz),
            "finished_at": iso(t["finished_at"], tz),
            "counter": t["counter"],
            "position": position,
            "estimated_wait_s": estimated,
            "estimated_wait_at_issue_s": t["estimated_wait_s"],
            "rating": t["rating"],
            "kiosk": t["kiosk"],
            "day": t["day"],
            "url": self.status_url(t["id"]),
        }

    def _waiting(self, conn) -> dict[str, int]:
        counts = {s.code: 0 for s in self.office.services}
        for service, n in conn.execute("SELECT service, n FROM waiting_counts"):
            if service in counts:
                counts[service] += n
        return counts

    def _counters(self, conn) -> list[dict]:
        out = []
        for c in conn.execute("SELECT * FROM counters WHERE active = 1 ORDER BY number"):
            ticket = None
            if c["ticket_id"]:
                t = conn.execute("SELECT * FROM tickets WHERE id = ?", (c["ticket_id"],)).fetchone()
                ticket = self._ticket_view(conn, t) if t else None
            out.append(
                {
                    "number": c["number"],
                    "name": c["name"],
                    "services": json.loads(c["services"]),
                    "status": c["status"],
                    "clerk": c["clerk"],
                    "ticket": ticket,
                }
            )
        return out

    def _call_view(self, conn, t, counter: int, at: float) -> dict:
        said = self.announcer.call(t["number"], counter)
        return {
            "ticket": self._ticket_view(conn, t),
            "counter": counter,
            "at": iso(at, self.office.tz),
            "text": said["text"],
            "audio": said["audio"],
        }

    def _recent(self, conn) -> list[dict]:
        today = office_day(self.clock(), self.office.tz, self.office.day_starts_at)
        rows = conn.execute(
            "SELECT e.at, e.counter, t.* FROM events e JOIN tickets t ON t.id = e.ticket_id"
            " WHERE e.day = ? AND e.type = 'called' ORDER BY e.id DESC LIMIT ?",
            (today, RECENT_CALLS),
        ).fetchall()
        return [self._call_view(conn, r, r["counter"], r["at"]) for r in rows]

    def _snapshot(self, conn) -> dict:
        seq = int(conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])
        return {
            "seq": seq,
            "counters": self._counters(conn),
            "waiting": self._waiting(conn),
            "recent": self._recent(conn),
        }

    def snapshot(self) -> dict:
        """The whole live state a display needs, with the seq it corresponds to."""
        self._ensure_today()
        conn = self.store.reader()
        # One read transaction so seq and state agree.
        conn.execute("BEGIN")
        try:
            return self._snapshot(conn)
        finally:
            conn.execute("COMMIT")

    def ticket(self, ticket_id: str) -> dict:
        if not isinstance(ticket_id, str) or len(ticket_id) > 64:
            raise NotFound("No such ticket.", "unknown_ticket")
        conn = self.store.reader()
        return self._ticket_view(conn, self._ticket_row(conn, ticket_id))

    def services(self, now: float | None = None) -> list[dict]:
        now = self.clock() if now is None else now
        self._ensure_today()
        conn = self.store.reader()
        waiting = self._waiting(conn)
        out = []
        for s in self.office.services:
            out.append(
                {
                    "code": s.code,
                    "name": s.name,
                    "name_en": s.name_en,
                    "prefix": s.prefix,
                    "open": self.is_open(s.code, now),
                    "waiting": waiting.get(s.code, 0),
                    "estimated_wait_s": self._estimate(conn, s.code, waiting.get(s.code, 0)),
                    "target_wait_s": s.target_wait_s,
                }
            )
        return out

    def counters(self) -> list[dict]:
        return self._counters(self.store.reader())

    def counter(self, number: int) -> dict:
        for c in self.counters():
            if c["number"] == number:
                return c
        raise NotFound(f"No counter {number}.", "unknown_counter")

    def is_open(self, code: str, now: float) -> bool:
        svc = self.office.service(code)
        if svc is None:
            return False
        return (not self.office.enforce_hours) or is_open(svc, now, self.office.tz)

    def ticket_view(self, conn, row) -> dict:
        """The API's Ticket object for a row read on `conn` (for reports' ticket log)."""
        return self._ticket_view(conn, row)

    def last_finished(self, counter: int, since: float) -> dict | None:
        """The counter's most recent ticket finished at or after `since`, or None."""
        row = (
            self.store.reader()
            .execute(
                "SELECT id, number, finished_at, rating FROM tickets WHERE counter = ?"
                " AND status = 'done' AND finished_at >= ? ORDER BY finished_at DESC LIMIT 1",
                (counter, since),
            )
            .fetchone()
        )
        return dict(row) if row else None

    def waiting_list(self, services: list[str], limit: int = 50) -> list[dict]:
        """Waiting tickets of these procedures in call order (for a clerk's console)."""
        conn = self.store.reader()
        estimates: dict[tuple[str, int], int] = {}
        out = []
        for row, ahead in self._line(conn, services, limit):
            key = (row["service"], ahead)
            if key not in estimates:
                estimates[key] = self._estimate(conn, row["service"], ahead)
            out.append(self._ticket_view(conn, row, ahead, estimates[key]))
        return out

    def _line(self, conn, services: list[str], limit: int) -> list[tuple[sqlite3.Row, int]]:
        """The first `limit` waiting tickets of `services` in call order, each with the
        number ahead of it in its own procedure's line.

        One index range per procedure (store.m002's tickets_line), merged here: SQLite
        would otherwise sort every waiting row of all the procedures for each call.
        """
        merged = []
        for service in dict.fromkeys(services):
            rows = conn.execute(
                "SELECT * FROM tickets WHERE status = 'waiting' AND service = ?"
                f" ORDER BY {CALL_ORDER} LIMIT ?",
                (service, limit),
            ).fetchall()
            merged.extend((row, ahead) for ahead, row in enumerate(rows))
        merged.sort(key=lambda ra: call_key(ra[0]))
        return merged[:limit]

    def issue(
        self,
        service: str,
        priority: bool = False,
        kiosk: str | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[dict, bool]:
        """Issue a ticket. Returns (ticket, created); a repeated key returns the first ticket."""
        if not isinstance(service, str) or not service:
            raise BadRequest("'service' must be a procedure code.", "invalid_service")
        if not isinstance(priority, bool):
            raise BadRequest("'priority' must be true or false.", "invalid_priority")
        if kiosk is not None and (not isinstance(kiosk, str) or len(kiosk) > 64):
            raise BadRequest("'kiosk' must be a short text.", "invalid_kiosk")
        if idempotency_key is not None and (
            not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= 128
        ):
            raise BadRequest("Idempotency-Key must be 1 to 128 characters.", "invalid_key")
        svc = self.office.service(service)
        if svc is None:
            raise NotFound(f"No procedure {service!r}.", "unknown_service")
        with self._changing():
            now = self.clock()
            self._roll_day(now)
            with self.store.write() as conn:
                if idempotency_key:
                    row = conn.execute(
                        "SELECT * FROM tickets WHERE idempotency_key = ?", (idempotency_key,)
                    ).fetchone()
                    if row is not None:
                        return self._ticket_view(conn, row), False
                if not self.is_open(service, now):
                    raise Conflict(
                        f"{svc.name} is not receiving dossiers at this hour.", "service_closed"
                    )
                day = office_day(now, self.office.tz, self.office.day_starts_at)
                n = conn.execute(
                    "INSERT INTO sequences (service, day, last) VALUES (?, ?, 1)"
                    " ON CONFLICT (service, day) DO UPDATE SET last = last + 1 RETURNING last",
                    (service, day),
                ).fetchone()[0]
                if n > svc.capacity:
                    raise Conflict(
                        f"All numbers of {svc.name} for today are used.", "numbers_exhausted"
                    )
                t = {
                    "id": secrets.token_urlsafe(12),
                    "service": service,
                    "n": n,
                    "number": svc.label(n),
                    "head": 0,
                    "priority": int(priority),
                    "queued_at": now,
                    "status": None,  # not in the table yet: not in waiting_counts either
                }
                ahead = self._ahead(conn, t)
                estimate = self._estimate(conn, service, ahead)
                conn.execute(
                    "INSERT INTO tickets (id, day, service, origin, n, number, status, priority,"
                    " kiosk, issued_at, queued_at, estimated_wait_s, idempotency_key)"
                    " VALUES (?,?,?,?,?,?,'waiting',?,?,?,?,?,?)",
                    (t["id"], day, service, service, n, t["number"], int(priority), kiosk, now, now,
                     estimate, idempotency_key),
                )  # fmt: skip
                row = self._ticket_row(conn, t["id"])
                self._event(
                    conn, now, "issued", row, priority=bool(priority), kiosk=kiosk,
                    estimated_wait_s=estimate, ahead=ahead,
                )  # fmt: skip
                ticket = self._ticket_view(conn, row, ahead, estimate)
                msg = {
                    "seq": self._next_seq(conn),
                    "ticket": ticket,
                    "waiting": self._waiting(conn),
                }
            self._publish([("ticket_issued", msg)])
        return ticket, True

    def _counter_change(self, counter: int, clerk: str | None, body) -> Any:
        """Run body(conn, now, counter_row) in one transaction; publish what it returns."""
        if not isinstance(counter, int) or isinstance(counter, bool) or not 0 < counter < 2**31:
            raise NotFound("No such counter.", "unknown_counter")
        with self._changing():
            now = self.clock()
            self._roll_day(now)
            with self.store.write() as conn:
                row = self._counter_row(conn, counter)
                result, message = body(conn, now, row)
                if message is not None:
                    name, payload = message
                    payload["seq"] = self._next_seq(conn)
                    payload["counters"] = self._counters(conn)
                    payload["waiting"] = self._waiting(conn)
            if message is not None:
                self._publish([message])
        return result

    def _finish_current(self, conn, now, c, clerk) -> bool:
        if not c["ticket_id"]:
            return False
        t = self._ticket_row(conn, c["ticket_id"])
        if t["status"] not in states.ACTIVE:
            conn.execute("UPDATE counters SET ticket_id = NULL WHERE number = ?", (c["number"],))
            return False
        states.apply(t["status"], "finish")
        conn.execute(
            "UPDATE tickets SET status = 'done', finished_at = ? WHERE id = ?", (now, t["id"])
        )
        conn.execute("UPDATE counters SET ticket_id = NULL WHERE number = ?", (c["number"],))
        self._event(conn, now, "finished", t, counter=c["number"], clerk=clerk)
        return True

    def next(self, counter: int, clerk: str | None = None, expect: Any = ...) -> dict | None:
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
            line = self._line(conn, json.loads(c["services"]), 1)
            t = line[0][0] if line else None
            if t is None:
                conn.execute(
                    "UPDATE counters SET clerk = ?, updated_at = ? WHERE number = ?",
                    (clerk, now, c["number"]),
                )
                return None, (("queue_changed", {}) if finished else None)
            states.apply(t["status"], "call")
            conn.execute(
                "UPDATE tickets SET status = 'called', called_at = COALESCE(called_at, ?),"
                " counter = ?, clerk = ?, head = 0 WHERE id = ?",
                (now, c["number"], clerk, t["id"]),
            )
            conn.execute(
                "UPDATE counters SET ticket_id = ?, clerk = ?, updated_at = ? WHERE number = ?",
                (t["id"], clerk, now, c["number"]),
            )
            self._event(conn, now, "called", t, counter=c["number"], clerk=clerk)
            t = self._ticket_row(conn, t["id"])
            call = self._call_view(conn, t, c["number"], now)
            return call["ticket"], ("ticket_called", {"call": call, "recall": False})

        return self._counter_change(counter, clerk, body)

    def recall(self, counter: int, clerk: str | None = None) -> dict:
        def body(conn, now, c):
            t = self._current(conn, c)
            states.apply(t["status"], "recall")
            self._event(conn, now, "recalled", t, counter=c["number"], clerk=clerk)
            call = self._call_view(conn, t, c["number"], now)
            return call["ticket"], ("ticket_called", {"call": call, "recall": True})

        return self._counter_change(counter, clerk, body)

    def _simple(self, counter: int, clerk: str | None, action: str, **data) -> dict:
        """start, finish, no_show: move the counter's current ticket one step."""

        def body(conn, now, c):
            t = self._current(conn, c)
            new = states.apply(t["status"], action)
            sets = {"start": "started_at", "finish": "finished_at", "no_show": "finished_at"}
            conn.execute(
                f"UPDATE tickets SET status = ?, {sets[action]} = ? WHERE id = ?",
                (new, now, t["id"]),
            )
            if new in states.FINAL:
                conn.execute(
                    "UPDATE counters SET ticket_id = NULL WHERE number = ?", (c["number"],)
                )
            self._event(conn, now, states.EVENT_OF_ACTION[action], t, counter=c["number"],
                        clerk=clerk, **data)  # fmt: skip
            return self._ticket_view(conn, self._ticket_row(conn, t["id"])), ("queue_changed", {})

        return self._counter_change(counter, clerk, body)

    def start(self, counter: int, clerk: str | None = None) -> dict:
        return self._simple(counter, clerk, "start")

    def finish(self, counter: int, clerk: str | None = None) -> dict:
        return self._simple(counter, clerk, "finish")

    def no_show(self, counter: int, clerk: str | None = None) -> dict:
        return self._simple(counter, clerk, "no_show")

    def transfer(self, counter: int, service: Any, clerk: str | None = None) -> dict:
        """Send the counter's ticket to the head of another procedure's queue, same number."""
        if not isinstance(service, str) or self.office.service(service) is None:
            raise NotFound(f"No procedure {service!r}.", "unknown_service")

        def body(conn, now, c):
            t = self._current(conn, c)
            states.apply(t["status"], "transfer")
            conn.execute(
                "UPDATE tickets SET status = 'waiting', service = ?, head = 1, queued_at = ?,"
                " counter = NULL, transfers = transfers + 1 WHERE id = ?",
                (service, now, t["id"]),
            )
            conn.execute("UPDATE counters SET ticket_id = NULL WHERE number = ?", (c["number"],))
            self._event(conn, now, "transferred", t, counter=c["number"], clerk=clerk,
                        to=service, previous=t["status"])  # fmt: skip
            return self._ticket_view(conn, self._ticket_row(conn, t["id"])), ("queue_changed", {})

        return self._counter_change(counter, clerk, body)

    def _set_counter_status(self, counter: int, clerk: str | None, status: str) -> dict:
        def body(conn, now, c):
            if c["status"] == status:
                return None, None
            conn.execute(
                "UPDATE counters SET status = ?, clerk = COALESCE(?, clerk), updated_at = ?"
                " WHERE number = ?",
                (status, clerk, now, c["number"]),
            )
            kind = {"paused": "counter_paused", "open": "counter_resumed"}[status]
            self._event(conn, now, kind, counter=c["number"], clerk=clerk)
            return None, ("queue_changed", {})

        self._counter_change(counter, clerk, body)
        return self.counter(counter)

    def pause(self, counter: int, clerk: str | None = None) -> dict:
        return self._set_counter_status(counter, clerk, "paused")

    def resume(self, counter: int, clerk: str | None = None) -> dict:
        return self._set_counter_status(counter, clerk, "open")

    def feedback(self, ticket_id: str, rating: Any) -> dict:
        """Store the citizen's 1..4 rating once, for a finished ticket."""
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 4:
            raise BadRequest("'rating' must be 1, 2, 3 or 4.", "invalid_rating")
        if not isinstance(ticket_id, str) or len(ticket_id) > 64:
            raise NotFound("No such ticket.", "unknown_ticket")
        with self._changing():
            now = self.clock()
            with self.store.write() as conn:
                t = self._ticket_row(conn, ticket_id)
                if t["status"] != states.DONE:
                    raise Conflict("Only a finished ticket can be rated.", "not_finished")
                if t["rating"] is not None:
                    raise Conflict("This ticket has been rated already.", "already_rated")
                conn.execute("UPDATE tickets SET rating = ? WHERE id = ?", (rating, ticket_id))
                self._event(conn, now, "rated", t, counter=t["counter"], clerk=t["clerk"],
                            rating=rating)  # fmt: skip
                view = self._ticket_view(conn, self._ticket_row(conn, ticket_id))
            self._publish([("ticket_rated", {"ticket": view})])
        return view

    def record(self, type_: str, ticket_id: str | None = None, **data) -> None:
        """Log a non-transition event (print_failed, voice_gap, ...) and publish it."""
        with self._changing():
            now = self.clock()
            with self.store.write() as conn:
                t = self._ticket_row(conn, ticket_id) if ticket_id else None
                self._event(conn, now, type_, t, **data)
            self._publish(
                [(type_, {"ticket_id": ticket_id, "at": iso(now, self.office.tz), **data})]
            )

    def close_day(self, day: str | None = None) -> int:
        """Expire every ticket of `day` (default: today) and earlier still open; count them."""
        with self._changing():
            now = self.clock()
            day = day or office_day(now, self.office.tz, self.office.day_starts_at)
            with self.store.write() as conn:
                n = self._expire(conn, now, day=day)
                msg = None
                if n:
                    msg = ("queue_changed", {"seq": self._next_seq(conn),
                                             "counters": self._counters(conn),
                                             "waiting": self._waiting(conn)})  # fmt: skip
            if msg:
                self._publish([msg])
        return n
