"""Dossiers: the codes a clerk records on a ticket, their status, returns and phone numbers.

Like core/service.py, every change is one IMMEDIATE transaction on the queue's store (a
row of `dossiers`, a logged event of the registry), published on the queue's bus after the
commit. Finishing a return ticket marks its dossier returned inside the finish's own
transaction (QueueService.finish_hooks). A phone number lives only in `dossier_contacts`,
read through `contact()` (logged) and deleted on schedule by `purge()`; see docs/dossiers.md.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from . import events
from .checks import MIN_KEY
from .dossier_rules import (
    CORRECTABLE,
    DEFAULT_PATTERN,
    MAX_CODE,
    MAX_DUE_DAYS,
    SELECT,
    TRANSITIONS,
    NotReady,
    RowError,
    UnknownDossier,
    checkpoint,
    flag,
    insert_events,
    normal_code,
    normal_phone,
    parse_date,
    plus_days,
    rows_of,
    shape,
    times_after,
)
from .errors import BadRequest, Conflict, NotFound
from .events import Logged
from .service import QueueService
from .shapes import DOSSIER_STATUSES, Dossier, Ticket
from .timeutil import iso


class Dossiers:
    """The one door through which dossiers and their contacts change."""

    def __init__(self, queue: QueueService, code_pattern: str = DEFAULT_PATTERN,
                 keep_phone_days: int = 30, max_phone_days: int = 90):  # fmt: skip
        self.queue = queue
        self.store = queue.store
        self.configure(code_pattern, keep_phone_days, max_phone_days)
        queue.finish_hooks.append(self._on_finish)

    def configure(self, code_pattern: str, keep_phone_days: int, max_phone_days: int) -> None:
        """The office's rules for codes and phone numbers (again after a config change)."""
        self.pattern = re.compile(code_pattern)
        self.keep_phone_days = keep_phone_days
        self.max_phone_days = max_phone_days

    def _shape(self, row) -> Dossier:
        return shape(row, self.queue.office.tz)

    def _row(self, conn, code: str):
        row = conn.execute(f"{SELECT} WHERE d.code = ?", (code,)).fetchone() if code else None
        if row is None:
            raise UnknownDossier(code)
        return row

    def get(self, code: Any) -> Dossier:
        """The dossier of `code` (any case); 404 unknown_dossier."""
        return self._shape(self._row(self.store.reader(), normal_code(code)))

    def for_ticket(self, ticket_id: str) -> list[Dossier]:
        """The dossiers recorded on a ticket, in the order recorded."""
        rows = self.store.reader().execute(
            f"{SELECT} WHERE d.ticket_id = ? ORDER BY d.received_at, d.rowid", (ticket_id,)
        )
        return [self._shape(r) for r in rows]

    def page(self, day: str | None = None, status: str | None = None, limit: int = 100,
             offset: int = 0) -> tuple[list[Dossier], int]:  # fmt: skip
        """Dossiers received on `day` and/or in `status`, newest first, and how many match."""
        where, args = [], []
        if day is not None:
            where.append("d.day = ?")
            args.append(parse_date(day, "day").isoformat())
        if status is not None:
            if status not in DOSSIER_STATUSES:
                raise BadRequest(f"'status' must be one of {', '.join(DOSSIER_STATUSES)}.",
                                 "bad_status")  # fmt: skip
            where.append("d.status = ?")
            args.append(status)
        cond = f" WHERE {' AND '.join(where)}" if where else ""
        conn = self.store.reader()
        total = conn.execute(f"SELECT COUNT(*) FROM dossiers d{cond}", args).fetchone()[0]
        rows = conn.execute(f"{SELECT}{cond} ORDER BY d.received_at DESC, d.rowid DESC"
                            " LIMIT ? OFFSET ?", (*args, limit, offset))  # fmt: skip
        return [self._shape(r) for r in rows], total

    def _event(self, now: float, type_: str, ticket_id, service, counter, clerk, data) -> tuple:
        """One events row (as core/service.py writes them), its data checked by the registry."""
        events.check_data(type_, data)
        return (now, self.queue.clock_.read().t, self.queue._day, type_, ticket_id, service,
                counter, clerk, json.dumps(data, ensure_ascii=False))  # fmt: skip

    def _message(self, now: float, row: tuple) -> tuple[str, Logged]:
        return row[3], Logged(row[4], iso(now, self.queue.office.tz), json.loads(row[8]))

    def _change(self, body) -> Any:
        """Run body(conn, now) -> (result, event rows) in one transaction; publish after."""
        q = self.queue
        with q.bus.changing():
            now = q._tick()
            with self.store.write() as conn:
                result, rows = body(conn, now)
                insert_events(conn, rows)
            q.bus.publish([self._message(now, r) for r in rows if events.get(r[3]).audience
                           != events.INTERNAL])  # fmt: skip
        return result

    def _code(self, code: Any) -> str:
        norm = normal_code(code)
        if not norm or len(norm) > MAX_CODE or not self.pattern.fullmatch(norm):
            raise BadRequest("The dossier code does not match the province's format.",
                             "bad_code")  # fmt: skip
        return norm

    def _due(self, due: Any, earliest: str) -> str:
        day = parse_date(due, "due")
        if day.isoformat() < earliest:
            raise BadRequest("The promised date is in the past.", "bad_due")
        if (day - dt.date.fromisoformat(self.queue._day)).days > MAX_DUE_DAYS:
            raise BadRequest("The promised date is more than three years away.", "bad_due")
        return day.isoformat()

    def _service(self, code: Any) -> str:
        svc = self.queue.office.service(code) if isinstance(code, str) else None
        if svc is None or svc.kind == "return":
            raise NotFound(f"No procedure {code!r} to file a dossier for.", "unknown_service")
        return svc.code

    def _default_service(self, code: str) -> str:
        svc = self.queue.office.service(code)
        if svc is None or svc.kind == "return":
            raise BadRequest("Name the dossier's procedure ('service').", "service_required")
        return svc.code

    def _held(self, conn, counter: int):
        """The ticket counter `counter` holds; 404 unknown counter, 409 no_ticket."""
        c = self.queue._counter_row(conn, counter)
        if not c["ticket_id"]:
            raise Conflict(f"Counter {counter} holds no ticket now.", "no_ticket")
        return self.queue.line.row(conn, c["ticket_id"])

    def record(self, counter: int, code: Any, due: Any, service: Any = None, actor=None,
               phone: Any = None, consent: Any = False, notify_near: Any = False) -> Dossier:  # fmt: skip
        """Attach dossier `code` to the ticket counter `counter` holds (see module doc)."""
        code = self._code(code)
        consent, notify_near = flag(consent, "consent"), flag(notify_near, "notify_near")
        if phone is not None and phone != "":
            if not consent:
                raise BadRequest("A phone number is kept only with the citizen's consent.",
                                 "consent_required")  # fmt: skip
            phone = normal_phone(phone)
        else:
            phone = None
        if service is not None:
            service = self._service(service)

        def body(conn, now):
            today = self.queue._day
            due_day = self._due(due, today)
            t = self._held(conn, counter)
            svc = service or self._default_service(t["service"])
            if conn.execute("SELECT 1 FROM dossiers WHERE code = ?", (code,)).fetchone():
                raise Conflict(f"Dossier {code} is recorded already.", "duplicate_code")
            conn.execute(
                "INSERT INTO dossiers (code, day, service, ticket_id, counter, clerk, status, due,"
                " received_at, updated_at) VALUES (?,?,?,?,?,?,'received',?,?,?)",
                (code, today, svc, t["id"], counter, actor, due_day, now, now),
            )
            if phone:
                conn.execute(
                    "INSERT INTO dossier_contacts (code, phone, consent_at, notify_near,"
                    " delete_after) VALUES (?,?,?,?,?)",
                    (code, phone, now, int(notify_near), plus_days(today, self.max_phone_days)),
                )
            data = {"code": code, "service": svc, "due": due_day}
            row = self._event(now, events.DOSSIER_RECEIVED, t["id"], svc, counter, actor, data)
            return self._shape(self._row(conn, code)), [row]

        return self._change(body)

    def advice_only(self, counter: int, actor=None) -> Ticket:
        """Mark the visit of the counter's ticket as advice only (no dossier filed), once."""

        def body(conn, now):
            t = self._held(conn, counter)
            ticket = self.queue.line.ticket_of(conn, t)
            seen = conn.execute("SELECT 1 FROM events WHERE ticket_id = ? AND type = ?",
                                (t["id"], events.ADVICE_ONLY)).fetchone()  # fmt: skip
            if seen:
                return ticket, []
            return ticket, [self._event(now, events.ADVICE_ONLY, t["id"], t["service"], counter,
                                        actor, {})]  # fmt: skip

        return self._change(body)

    def correct(self, code: Any, field: Any, value: Any, actor=None) -> Dossier:
        """Correct a mistyped code, promised date or procedure (logged with old and new)."""
        if field not in CORRECTABLE:
            raise BadRequest(f"'field' must be one of {', '.join(CORRECTABLE)}.", "bad_field")
        code = normal_code(code)
        new = {"code": self._code, "service": self._service}.get(field, lambda v: v)(value)

        def body(conn, now):
            d = self._row(conn, code)
            if field == "due":
                new_value = self._due(value, d["day"])
            else:
                new_value = new
            old = d[field]
            if new_value == old:
                return self._shape(d), []
            if field == "code":
                if conn.execute("SELECT 1 FROM dossiers WHERE code = ?", (new_value,)).fetchone():
                    raise Conflict(f"Dossier {new_value} is recorded already.", "duplicate_code")
                conn.execute("PRAGMA defer_foreign_keys = ON")  # both rows move in this commit
                conn.execute(
                    "UPDATE dossier_contacts SET code = ? WHERE code = ?", (new_value, code)
                )
            conn.execute(f"UPDATE dossiers SET {field} = ?, updated_at = ? WHERE code = ?",
                         (new_value, now, code))  # fmt: skip
            data = {"code": new_value if field == "code" else code, "field": field, "old": old,
                    "new": new_value}  # fmt: skip
            row = self._event(now, events.DOSSIER_CORRECTED, d["ticket_id"], d["service"],
                              d["counter"], actor, data)  # fmt: skip
            return self._shape(self._row(conn, data["code"])), [row]

        return self._change(body)

    def _status_step(self, conn, now, d, status: str, actor, source: str) -> tuple | None:
        """Apply one status change to row `d` (checked); its event row, or None if unchanged."""
        old = d["status"]
        if status == old:
            return None
        if status not in TRANSITIONS[old]:
            raise Conflict(f"A dossier that is {old} cannot become {status}.", "bad_transition")
        ready_at, returned_at = times_after(d, status, now)
        conn.execute(
            "UPDATE dossiers SET status = ?, ready_at = ?, returned_at = ?, updated_at = ?"
            " WHERE code = ?",
            (status, ready_at, returned_at, now, d["code"]),
        )
        if status == "returned":
            self._shorten_contact(conn, [d["code"]])
        data = {"code": d["code"], "status": status, "from": old, "due": d["due"],
                "source": source}  # fmt: skip
        if ready_at is not None:
            data["ready_at"] = iso(ready_at, self.queue.office.tz)
        return self._event(now, events.DOSSIER_STATUS, d["ticket_id"], d["service"],
                           d["counter"], actor, data)  # fmt: skip

    def _shorten_contact(self, conn, codes: list[str]) -> None:
        """Returned: the number goes keep_phone_days after today, if that comes first."""
        until = plus_days(self.queue._day, self.keep_phone_days)
        conn.executemany(
            "UPDATE dossier_contacts SET delete_after = MIN(delete_after, ?) WHERE code = ?",
            [(until, c) for c in codes],
        )

    def set_status(self, code: Any, status: Any, actor=None, source: str = "counter") -> Dossier:
        """Move a dossier to `status` (TRANSITIONS); the same status again changes nothing."""
        if status not in DOSSIER_STATUSES:
            raise BadRequest(f"'status' must be one of {', '.join(DOSSIER_STATUSES)}.",
                             "bad_status")  # fmt: skip
        code = normal_code(code)

        def body(conn, now):
            row = self._status_step(conn, now, self._row(conn, code), status, actor, source)
            return self._shape(self._row(conn, code)), [row] if row else []

        return self._change(body)

    def set_many(self, rows: list[tuple[str, str]], actor=None, source: str = "import") -> int:
        """Apply (code, status) rows in one transaction, all or none; how many changed.

        The first bad row raises RowError(index, code, reason) and nothing is applied.
        """
        wanted = [(i, normal_code(c), s) for i, (c, s) in enumerate(rows)]
        for i, code, status in wanted:
            if not code:
                raise RowError(i, str(rows[i][0])[:MAX_CODE], "no dossier code")
            if status not in DOSSIER_STATUSES:
                raise RowError(i, code, f"unknown status {str(status)[:40]!r}")

        def body(conn, now):
            current = rows_of(conn, {c for _, c, _ in wanted})
            updates, evs, returned = [], [], []
            for i, code, status in wanted:
                d = current.get(code)
                if d is None:
                    raise RowError(i, code, "unknown dossier")
                if status == d["status"]:
                    continue
                if status not in TRANSITIONS[d["status"]]:
                    raise RowError(i, code, f"{d['status']} cannot become {status}")
                evs.append(self._batch_step(now, d, status, actor, source, updates))
                if status == "returned":
                    returned.append(code)
            conn.executemany(
                "UPDATE dossiers SET status = ?, ready_at = ?, returned_at = ?, updated_at = ?"
                " WHERE code = ?",
                updates,
            )
            self._shorten_contact(conn, returned)
            return len(evs), evs

        return self._change(body)

    def _batch_step(self, now, d: dict, status, actor, source, updates: list) -> tuple:
        old = d["status"]
        d["ready_at"], d["returned_at"] = times_after(d, status, now)
        d["status"] = status
        updates.append((status, d["ready_at"], d["returned_at"], now, d["code"]))
        data = {"code": d["code"], "status": status, "from": old, "due": d["due"],
                "source": source}  # fmt: skip
        if d["ready_at"] is not None:
            data["ready_at"] = iso(d["ready_at"], self.queue.office.tz)
        return self._event(now, events.DOSSIER_STATUS, d["ticket_id"], d["service"],
                           d["counter"], actor, data)  # fmt: skip

    def issue_return(self, code: Any, kiosk: str | None = None, key: str | None = None) -> Ticket:
        """A ticket of the result-return procedure for a ready dossier (see take_return)."""
        return self.take_return(code, kiosk, key)[0]

    def take_return(self, code: Any, kiosk: str | None = None,
                    key: str | None = None) -> tuple[Ticket, bool]:  # fmt: skip
        """(ticket, created): a new return ticket, or the one this key or dossier holds."""
        q = self.queue
        if key is not None and (not isinstance(key, str) or not MIN_KEY <= len(key) <= 128):
            raise BadRequest(f"Idempotency-Key must be {MIN_KEY} to 128 characters.", "invalid_key")
        svc = q.office.return_service
        if svc is None:
            raise Conflict("This office has no result-return procedure.", "no_return_service")
        code = normal_code(code)
        with q.bus.changing():
            now = q._tick()
            with self.store.write() as conn:
                if key:
                    row = conn.execute(
                        "SELECT * FROM tickets WHERE COALESCE(kiosk, '') = ? AND day = ?"
                        " AND idempotency_key = ?", (kiosk or "", q._day, key),
                    ).fetchone()  # fmt: skip
                    if row is not None:
                        return q.line.ticket_of(conn, row), False
                d = self._row(conn, code)
                if d["status"] == "returned":
                    raise Conflict("This result has been collected already.", "already_returned")
                if d["status"] != "ready":
                    raise NotReady(d["due"], d["status"])
                held = self._live_return(conn, d)
                if held is not None:
                    return q.line.ticket_of(conn, held), False
                msg = q._issue(conn, now, svc, False, kiosk, key)
                conn.execute("UPDATE dossiers SET return_ticket_id = ?, updated_at = ?"
                             " WHERE code = ?", (msg.ticket.id, now, code))  # fmt: skip
            q.bus.publish([(events.TICKET_ISSUED, msg)])
        return msg.ticket, True

    def _live_return(self, conn, d):
        """The dossier's return ticket while it still waits or is being served today."""
        if not d["return_ticket_id"]:
            return None
        t = conn.execute("SELECT * FROM tickets WHERE id = ?", (d["return_ticket_id"],)).fetchone()
        live = t is not None and t["status"] in ("waiting", "called", "serving")
        return t if live and t["day"] == self.queue._day else None

    def _on_finish(self, conn, now, t) -> list:
        """A finished return ticket: its dossier is returned (in the finish's transaction)."""
        rows = []
        for d in conn.execute("SELECT * FROM dossiers WHERE return_ticket_id = ?", (t["id"],)):
            if d["status"] == "ready":
                rows.append(self._status_step(conn, now, d, "returned", t["clerk"], "return"))
        insert_events(conn, rows)
        return [self._message(now, r) for r in rows]

    def contact(self, code: Any, actor=None, purpose: str = "staff") -> dict:
        """The phone number kept for a dossier (logged as contact_read); 404 when none."""
        code = normal_code(code)

        def body(conn, now):
            d = self._row(conn, code)
            c = conn.execute("SELECT * FROM dossier_contacts WHERE code = ?", (code,)).fetchone()
            if c is None:
                raise NotFound("No phone number is kept for this dossier.", "no_contact")
            row = self._event(now, events.CONTACT_READ, d["ticket_id"], d["service"],
                              d["counter"], actor, {"code": code, "purpose": purpose})  # fmt: skip
            contact = {"code": code, "phone": c["phone"], "notify_near": bool(c["notify_near"]),
                       "consent_at": iso(c["consent_at"], self.queue.office.tz),
                       "delete_after": c["delete_after"]}  # fmt: skip
            return contact, [row]

        return self._change(body)

    def purge(self, now: float | None = None) -> int:
        """Delete the phone numbers whose day has come; checkpoint so none stays in the WAL.

        secure_delete (core/store.py) zeroes the freed bytes; the TRUNCATE checkpoint then
        copies those pages into the database file and empties the WAL, so a backup made
        afterwards holds no deleted number. Returns how many numbers were deleted.
        """
        q = self.queue
        with q.bus.changing():
            ticked = q._tick()  # rolls the office day first
            now = ticked if now is None else now
            today = q._today(now)
            with self.store.write() as conn:
                gone = conn.execute(
                    "SELECT c.code, d.ticket_id, d.service, d.counter FROM dossier_contacts c"
                    " JOIN dossiers d ON d.code = c.code WHERE c.delete_after <= ?",
                    (today,),
                ).fetchall()
                conn.executemany("DELETE FROM dossier_contacts WHERE code = ?",
                                 [(r["code"],) for r in gone])  # fmt: skip
                insert_events(conn, [
                    self._event(now, events.CONTACT_DELETED, r["ticket_id"], r["service"],
                                r["counter"], None, {"code": r["code"], "purpose": "schedule"})
                    for r in gone])  # fmt: skip
            if gone:
                checkpoint(self.store.conn)
        return len(gone)
