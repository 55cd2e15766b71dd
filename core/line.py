"""The line: every read of the queue (who waits, in what order, how many ahead, how long).

One definition of "waiting", shared by the service, the clerk's console and the
supervisor's live page: the `waiting_counts` table kept by triggers (store.m002) and the
index `tickets_line` in call order (core/policy.py, store.m004). Reads never write; the service makes
sure the office day has rolled before a read (`before_read`).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable

from . import events, states
from .errors import NotFound
from .estimate import estimate_wait
from .model import Office
from .policy import CALL_ORDER, call_key
from .shapes import Call, Counter, Snapshot, Ticket
from .store import Store
from .timeutil import is_open, iso, office_day

RECENT_SERVICE_SAMPLE = 20
AHEAD_SCAN = 64  # index entries ahead() reads from the front before counting from the back
DEFAULT_RECENT_CALLS = 8


class Line:
    """Reads of the queue on the store's per-thread reader (or a writer's connection)."""

    def __init__(
        self,
        store: Store,
        office: Office,
        clock: Callable[[], float] = time.time,
        status_url: Callable[[str], str] | None = None,
        recent_calls: int = DEFAULT_RECENT_CALLS,
        before_read: Callable[[], None] = lambda: None,
    ):
        self.store = store
        self.office = office
        self.clock = clock
        self.status_url = status_url or (lambda ticket_id: f"/t/{ticket_id}")
        self.recent_calls = recent_calls
        self.before_read = before_read
        self.steady: Callable[[], float] | None = None  # the never-stepping time (clock.py)

    # -- counts and estimates ---------------------------------------------------------------

    def waiting(self, conn: sqlite3.Connection | None = None) -> dict[str, int]:
        """How many wait for each configured procedure (0 when none)."""
        conn = conn or self.store.reader()
        counts = {s.code: 0 for s in self.office.services}
        for service, n in conn.execute("SELECT service, n FROM waiting_counts"):
            if service in counts:
                counts[service] += n
        return counts

    def oldest_waiting(self, conn: sqlite3.Connection | None = None) -> dict[str, float]:
        """When the longest-waiting ticket of each procedure that has one was issued, on
        today's wall clock: measured on the never-stepping time, so a step adds no wait."""
        conn = conn or self.store.reader()
        out = {}
        for code, n in self.waiting(conn).items():
            if n:
                issued_at, t = conn.execute(
                    "SELECT MIN(tk.issued_at), MIN(e.t) FROM tickets tk LEFT JOIN events e"
                    " ON e.ticket_id = tk.id AND e.type = ? WHERE tk.status = 'waiting'"
                    " AND tk.service = ?",
                    (events.ISSUED, code),
                ).fetchone()
                if t is not None and self.steady is not None:
                    out[code] = self.clock() - max(0.0, self.steady() - t)
                elif issued_at is not None:
                    out[code] = issued_at
        return out

    def is_open(self, code: str, now: float) -> bool:
        """Whether procedure `code` takes tickets at `now`."""
        svc = self.office.service(code)
        if svc is None:
            return False
        return (not self.office.enforce_hours) or is_open(svc, now, self.office.tz)

    def _open_counters(self, conn, service: str) -> int:
        n = 0
        for c in conn.execute("SELECT services FROM counters WHERE active = 1 AND status = 'open'"):
            if service in json.loads(c["services"]):
                n += 1
        return n

    def _recent_service_s(self, conn, service: str) -> list[float]:
        # service_s: measured on the never-stepping clock (store.m004); older rows by the wall.
        rows = conn.execute(
            "SELECT COALESCE(service_s, finished_at - COALESCE(started_at, called_at)) FROM tickets"
            " WHERE service = ? AND status = 'done' AND finished_at IS NOT NULL"
            " ORDER BY finished_at DESC LIMIT ?",
            (service, RECENT_SERVICE_SAMPLE),
        ).fetchall()
        return [r[0] for r in rows if r[0] is not None and r[0] >= 0]

    def estimate(self, conn, service: str, ahead: int) -> int:
        """Seconds until a ticket with `ahead` people in front of it is likely called."""
        svc = self.office.service(service)
        default = svc.service_s if svc else 600
        return estimate_wait(
            ahead,
            self._recent_service_s(conn, service),
            self._open_counters(conn, service),
            default,
        )

    def ahead(self, conn, t) -> int:
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
            " AND (qseq, n, number) < (?, ?, ?) LIMIT ?)",
            (service, head, priority, t["qseq"], t["n"], t["number"], AHEAD_SCAN),
        ).fetchone()[0]
        if before == AHEAD_SCAN:  # far back in a long line: count those behind instead
            behind = conn.execute(
                f"SELECT COUNT(*) FROM tickets WHERE {part}"
                " AND (qseq, n, number) >= (?, ?, ?) AND id != ?",
                (service, head, priority, t["qseq"], t["n"], t["number"], t["id"]),
            ).fetchone()[0]
            before = own - int(t["status"] == states.WAITING) - behind  # `t` counts itself
        return ahead + before

    def first(self, conn, services: list[str], limit: int) -> list[tuple[sqlite3.Row, int]]:
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

    # -- shapes -------------------------------------------------------------------------------

    def ticket_of(self, conn, t, position: int | None = None, estimated: int | None = None):
        """The Ticket of a row read on `conn` (position and estimate computed if waiting)."""
        tz = self.office.tz
        if t["status"] == states.WAITING and position is None:
            position = self.ahead(conn, t)
            estimated = self.estimate(conn, t["service"], position)
        return Ticket(
            id=t["id"], number=t["number"], service=t["service"], status=t["status"],
            priority=bool(t["priority"]), issued_at=iso(t["issued_at"], tz),
            called_at=iso(t["called_at"], tz), started_at=iso(t["started_at"], tz),
            finished_at=iso(t["finished_at"], tz), counter=t["counter"], position=position,
            estimated_wait_s=estimated, estimated_wait_at_issue_s=t["estimated_wait_s"],
            rating=t["rating"], kiosk=t["kiosk"], day=t["day"], url=self.status_url(t["id"]),
        )  # fmt: skip

    def row(self, conn, ticket_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if row is None:
            raise NotFound("No such ticket.", "unknown_ticket")
        return row

    def counters_of(self, conn) -> list[Counter]:
        out = []
        for c in conn.execute("SELECT * FROM counters WHERE active = 1 ORDER BY number"):
            ticket = None
            if c["ticket_id"]:
                t = conn.execute("SELECT * FROM tickets WHERE id = ?", (c["ticket_id"],)).fetchone()
                ticket = self.ticket_of(conn, t) if t else None
            out.append(Counter(c["number"], c["name"], json.loads(c["services"]), c["status"],
                               c["clerk"], ticket))  # fmt: skip
        return out

    def call_of(self, conn, t, counter: int, at: float) -> Call:
        """A call as committed: what is said is planned later, by voice, off the domain."""
        return Call(self.ticket_of(conn, t), counter, iso(at, self.office.tz))

    def _recent(self, conn) -> list[Call]:
        today = office_day(self.clock(), self.office.tz, self.office.day_starts_at)
        rows = conn.execute(
            "SELECT e.at, e.counter, t.* FROM events e JOIN tickets t ON t.id = e.ticket_id"
            " WHERE e.day = ? AND e.type = ? ORDER BY e.id DESC LIMIT ?",
            (today, events.CALLED, self.recent_calls),
        ).fetchall()
        return [self.call_of(conn, r, r["counter"], r["at"]) for r in rows]

    # -- what the views read --------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The whole live state a display needs, with the seq it corresponds to."""
        self.before_read()
        conn = self.store.reader()
        conn.execute("BEGIN")  # one read transaction so seq and state agree
        try:
            seq = int(conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])
            return Snapshot(seq, self.counters_of(conn), self.waiting(conn), self._recent(conn),
                            iso(self.clock(), self.office.tz))  # fmt: skip
        finally:
            conn.execute("COMMIT")

    def ticket(self, ticket_id: str) -> Ticket:
        if not isinstance(ticket_id, str) or len(ticket_id) > 64:
            raise NotFound("No such ticket.", "unknown_ticket")
        conn = self.store.reader()
        return self.ticket_of(conn, self.row(conn, ticket_id))

    def services(self, now: float | None = None) -> list[dict]:
        """The API's Service objects: open now, how many wait, the estimated wait."""
        now = self.clock() if now is None else now
        self.before_read()
        conn = self.store.reader()
        waiting = self.waiting(conn)
        return [
            {
                "code": s.code, "name": s.name, "name_en": s.name_en, "prefix": s.prefix,
                "open": self.is_open(s.code, now), "waiting": waiting.get(s.code, 0),
                "estimated_wait_s": self.estimate(conn, s.code, waiting.get(s.code, 0)),
                "target_wait_s": s.target_wait_s, "kind": s.kind,
            }
            for s in self.office.services
        ]  # fmt: skip

    def procedures(self, day: str) -> list[dict]:
        """Every procedure ever configured (retired ones inactive), with `day`'s last number."""
        rows = self.store.reader().execute(
            "SELECT s.code, s.name, s.name_en, s.prefix, s.range_start, s.range_end, s.active,"
            " q.last AS last_today FROM services s LEFT JOIN sequences q"
            " ON q.service = s.code AND q.day = ? ORDER BY s.active DESC, s.sort",
            (day,),
        )
        return [{**dict(r), "active": bool(r["active"])} for r in rows]

    def known_counter(self, number: int) -> None:
        """404 unless `number` is one of this office's counters (no database read)."""
        if self.office.counter(number) is None:
            raise NotFound(f"No counter {number}.", "unknown_counter")

    def counters(self) -> list[Counter]:
        return self.counters_of(self.store.reader())

    def counter(self, number: int) -> Counter:
        for c in self.counters():
            if c.number == number:
                return c
        raise NotFound(f"No counter {number}.", "unknown_counter")

    def waiting_list(self, services: list[str], limit: int = 50) -> list[Ticket]:
        """Waiting tickets of these procedures in call order (for a clerk's console)."""
        conn = self.store.reader()
        estimates: dict[tuple[str, int], int] = {}
        out = []
        for row, ahead in self.first(conn, services, limit):
            key = (row["service"], ahead)
            if key not in estimates:
                estimates[key] = self.estimate(conn, row["service"], ahead)
            out.append(self.ticket_of(conn, row, ahead, estimates[key]))
        return out

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
