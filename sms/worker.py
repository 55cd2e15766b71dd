"""The SMS worker: queues messages from bus messages, delivers them on a thread of its own.

Queueing runs on the bus's dispatcher thread (a subscriber of its own), delivery on the
worker's thread: neither the kiosk's nor the clerk's request ever waits for a modem. A
message that fails is retried with a doubling wait; after `[sms] max_tries` (or a refusal
the gateway calls permanent) it is `failed`, which logs the `sms_failed` alert; the row
stays. Rows live in the database, so a restart resumes the queued ones.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable

from core import events
from core.errors import QueueError

from . import outbox
from .gateways import FAILED, SENT, Gateway, GatewayError
from .texts import fill

log = logging.getLogger(__name__)

# Messages after which people ahead of a return ticket may have changed.
LINE_MOVED = (events.TICKET_CALLED, events.QUEUE_CHANGED)
STALE_S = 600  # a message not out this long after queueing makes the health `degraded`
BATCH = 20  # due messages sent per round
SWEEP_EVERY_S = 3600  # how often the gateway's own copies are checked against the retention
MAX_WAIT_S = 6 * 3600  # the doubling retry wait stops growing here


def near_candidates(conn) -> list[sqlite3.Row]:
    """Waiting return tickets whose dossier's holder asked to hear when the number nears,
    and has not been told yet (dossiers and dossier_contacts: migration m007)."""
    return conn.execute(
        "SELECT d.code, t.id AS ticket_id FROM dossiers d"
        " JOIN dossier_contacts c ON c.code = d.code"
        " JOIN tickets t ON t.id = d.return_ticket_id"
        " WHERE t.status = 'waiting' AND c.notify_near"
        " AND NOT EXISTS (SELECT 1 FROM sms_outbox o WHERE o.code = d.code"
        " AND o.purpose = 'near')"
    ).fetchall()


class SmsWorker:
    """Owns the outbox's delivery: one message at a time, retries, alerts, health."""

    def __init__(
        self,
        queue,
        dossiers,
        gateway: Gateway,
        cfg: dict,
        templates: dict[str, str],
        office: str,
        keep_days: float = 90,
        poll_s: float = 1.0,
    ):
        self.queue = queue
        self.dossiers = dossiers  # core.dossiers.Dossiers: the phone is read through it (logged)
        self.store = queue.store
        self.clock: Callable[[], float] = queue.clock
        self.gateway = gateway
        self.cfg = cfg
        self.templates = templates  # purpose -> catalogue text with {code}, {office}, ...
        self.office = office
        self.keep_days = keep_days  # [dossiers] max_phone_days: no copy of a number outlives it
        self.poll_s = poll_s
        self._swept = -SWEEP_EVERY_S
        self.enabled = gateway.name != "none"
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, deliver: bool = True) -> SmsWorker:
        """Queue from the bus; with `deliver`, also send from a thread of this process."""
        self.queue.subscribe(self.on_event)
        if self.enabled and deliver:
            if not self.gateway.confirms:
                with self.store.write() as conn:
                    outbox.requeue_sending(conn)
            self._thread = threading.Thread(target=self._loop, name="onestop-sms", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    # -- queueing (the bus's dispatcher thread) ------------------------------------------

    def on_event(self, name: str, payload) -> None:
        """Bus subscriber: a dossier ready, or the line moved; never blocks the request."""
        try:
            if name == events.DOSSIER_STATUS and payload.get("status") == "ready":
                self.ready(payload.get("code"))
            elif name in LINE_MOVED:
                self.check_near()
        except QueueError as e:  # the dossier went meanwhile (corrected, purged)
            log.info("sms: nothing queued on %s: %s", name, e.code)

    def _text(self, purpose: str, **params) -> str:
        return fill(self.templates[purpose], self.cfg["ascii"], office=self.office, **params)

    def _phone(self, code: str, purpose: str) -> str | None:
        """The consented number of dossier `code`, unless this message was queued before."""
        conn = self.store.reader()
        if outbox.exists(conn, code, purpose):
            return None
        has = conn.execute("SELECT 1 FROM dossier_contacts WHERE code = ?", (code,)).fetchone()
        if has is None:
            return None
        return self.dossiers.contact(code, purpose="sms")["phone"]  # logged: contact_read

    def ready(self, code: str | None) -> int | None:
        """Queue "your result is ready" for dossier `code` if its holder consented."""
        phone = self._phone(code, outbox.READY) if code else None
        if phone is None:
            return None
        return self._enqueue(code, outbox.READY, phone, self._text("ready", code=code))

    def check_near(self) -> list[int]:
        """Queue "your number is near" for return tickets with few enough people ahead."""
        conn = self.store.reader()
        queued = []
        for c in near_candidates(conn):
            ticket = self.queue.line.row(conn, c["ticket_id"])
            ahead = self.queue.line.ahead(conn, ticket)
            if ahead > self.cfg["near_ahead"]:
                continue
            phone = self._phone(c["code"], outbox.NEAR)
            if phone is None:
                continue
            text = self._text("near", code=c["code"], number=ticket["number"], ahead=ahead)
            sms_id = self._enqueue(c["code"], outbox.NEAR, phone, text)
            if sms_id is not None:
                queued.append(sms_id)
        return queued

    def _enqueue(self, code: str, purpose: str, phone: str, text: str) -> int | None:
        with self.store.write() as conn:
            sms_id = outbox.enqueue(conn, code, purpose, phone, text, self.clock())
        if sms_id is not None:
            log.info("sms %s queued (%s, dossier %s)", sms_id, purpose, code)
            self.wake.set()
        return sms_id

    # -- delivery (the worker's thread) --------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.deliver_due()
            except Exception:  # one bad round must not stop the worker
                log.exception("sms delivery round failed")
                busy = False
            if not busy:
                self.wake.wait(self._pause())
                self.wake.clear()

    def _pause(self) -> float:
        """Until the next retry is due, at most poll_s (the gateway's outcomes are polled)."""
        try:
            nxt = outbox.next_due(self.store.reader())
        except sqlite3.Error:
            return self.poll_s
        if nxt is None:
            return self.poll_s
        return min(self.poll_s, max(0.01, nxt - self.clock()))

    def deliver_due(self) -> bool:
        """Send what is due and ask the gateway about what it holds; True if anything left."""
        if not self.enabled:
            return False
        conn = self.store.reader()
        rows = outbox.due(conn, self.clock(), BATCH)
        for row in rows:
            if self._stop.is_set():
                return False
            self._send(row)
        if self.gateway.confirms:
            for row in outbox.sending(conn):
                self._confirm(row)
        self._sweep()
        return len(rows) == BATCH

    def _sweep(self) -> None:
        now = time.monotonic()
        if now - self._swept < SWEEP_EVERY_S:
            return
        self._swept = now
        gone = self.gateway.sweep(self.keep_days * outbox.DAY_S)
        if gone:
            log.info("sms: %s of the gateway's message files outlived the retention", gone)

    def _send(self, row) -> None:
        if not self._still_true(row):
            log.info("sms %s cancelled: no longer true (%s, dossier %s)", row["id"],
                     row["purpose"], row["code"])  # fmt: skip
            return
        try:
            gateway_id = self.gateway.send(row["phone"], row["text"])
        except GatewayError as e:
            self._failed_try(row, e)
            return
        with self.store.write() as conn:
            if self.gateway.confirms:
                outbox.mark_sending(conn, row["id"], gateway_id)
            else:
                outbox.mark_sent(conn, row, gateway_id, self.clock())
        log.info("sms %s %s", row["id"], "handed to the modem" if self.gateway.confirms else "sent")

    def _still_true(self, row) -> bool:
        """Checked and cancelled in one transaction: a status committed meanwhile either
        sees the row cancelled (and queues it again) or is seen here."""
        with self.store.write() as conn:
            if outbox.still_true(conn, row):
                return True
            outbox.mark_cancelled(conn, row["id"])
            return False

    def _confirm(self, row) -> None:
        try:
            outcome = self.gateway.status(row["gateway_id"])
        except GatewayError as e:
            log.warning("sms %s: cannot read the gateway's outcome: %s", row["id"], e.message)
            return
        if outcome == SENT:
            with self.store.write() as conn:
                outbox.mark_sent(conn, row, row["gateway_id"], self.clock())
            log.info("sms %s sent", row["id"])
        elif outcome == FAILED:
            self._failed_try(row, GatewayError("the modem could not send it", temporary=True))

    def _failed_try(self, row, e: GatewayError) -> None:
        tries = row["tries"] + 1
        if e.temporary and tries < self.cfg["max_tries"]:
            wait = min(self.cfg["retry_s"] * 2 ** (tries - 1), MAX_WAIT_S)
            with self.store.write() as conn:
                outbox.mark_retry(conn, row["id"], tries, self.clock() + wait, e.message)
            log.warning("sms %s try %s failed (%s); again in %.0f s", row["id"], tries,
                        e.message, wait)  # fmt: skip
            return
        with self.store.write() as conn:
            outbox.mark_failed(conn, row["id"], tries, e.message)
        log.error("sms %s given up after %s tries: %s", row["id"], tries, e.message)
        self.queue.record(events.SMS_FAILED, id=row["id"], code=row["code"] or "",
                          purpose=row["purpose"] or "", tries=tries, error=e.message)  # fmt: skip

    def retry(self, sms_id: int) -> None:
        """A supervisor's retry of a failed message (the caller checked it is failed)."""
        with self.store.write() as conn:
            outbox.requeue(conn, sms_id, self.clock())
        log.info("sms %s queued again by a supervisor", sms_id)
        self.wake.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no message is due or awaiting the gateway (tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.queue.drain(max(0.0, deadline - time.monotonic()))
            conn = self.store.reader()
            if not outbox.due(conn, self.clock(), 1) and not outbox.sending(conn):
                return True
            self.wake.set()
            time.sleep(0.02)
        return False

    def health(self) -> dict:
        """For /api/health and the supervisor: the gateway and the outbox's counts."""
        conn = self.store.reader()
        counts = outbox.counts(conn)
        out = {"gateway": self.gateway.name, **self.gateway.health(), **counts}
        oldest = outbox.oldest_pending(conn)
        open_failed = outbox.retryable(conn)
        if out["status"] == "ok" and open_failed:
            out.update(status="degraded", message=f"{open_failed} failed (may be retried)")
        elif out["status"] == "ok" and oldest is not None and self.clock() - oldest > STALE_S:
            out.update(status="degraded", message="messages waiting to leave")
        return out
