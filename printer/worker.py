"""The print worker: prints each issued ticket after commit, off the request path.

It subscribes to QueueService. On `ticket_issued` it queues a job for its own thread, so
neither the kiosk's request nor the event dispatcher ever waits for paper. A job that
fails or outlives `printer.timeout_s` is logged as a `print_failed` event; the ticket stays
valid and nothing is retried by itself (a late retry could print a duplicate). Staff can
reprint on request.
"""

from __future__ import annotations

import logging
import queue as stdqueue
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from escpos.exceptions import Error as EscposError

from core import events
from core.timeutil import iso

from . import adapters, layout

log = logging.getLogger(__name__)

OUTCOMES_KEPT = 2000
# A job still queued this long after its timeout (printer hung for a while) is dropped:
# the kiosk has already told the citizen to ask staff, and a late ticket would confuse.
STALE_AFTER_S = 10.0


def reason_of(exc: BaseException) -> str:
    """A short, stable code for the event log and the kiosk."""
    if isinstance(exc, adapters.PrinterError):
        return exc.reason
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(exc, EscposError | OSError):
        return "offline"
    return "error"


class PrintWorker:
    """Owns the printer: one job at a time, each with a hard timeout."""

    reason_of = staticmethod(reason_of)  # for callers that reach the worker through ext()

    def __init__(
        self,
        queue,
        cfg: dict,
        data_dir: Path,
        url_for: Callable[[dict], str],
        connect: Callable[[], object] | None = None,
    ):
        self.queue = queue
        self.cfg = cfg
        self.type = cfg["type"]
        self.enabled = self.type != "none"
        self.width = layout.WIDTHS.get(cfg.get("paper_mm", 80), 576)
        self.timeout = float(cfg.get("timeout_s", 5.0))
        self.url_for = url_for
        self._connect = connect or (lambda: adapters.connect(cfg, data_dir, self.timeout))
        self._jobs: stdqueue.Queue = stdqueue.Queue()
        self._outcomes: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.last: dict = {}

    def start(self) -> PrintWorker:
        if self.enabled:
            self.queue.subscribe(self.on_event)
        return self

    def on_event(self, name: str, payload: dict) -> None:
        """QueueService subscriber: queue a job for every new ticket (never blocks)."""
        if name == events.TICKET_ISSUED:
            self.submit(payload.ticket)

    def submit(self, ticket: dict, reprint: bool = False) -> None:
        if not self.enabled:
            raise adapters.PrinterError("disabled", "no printer is configured")
        self._set(ticket["id"], {"status": "pending", "reason": None, "reprint": reprint})
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="onestop-printer", daemon=True
                )
                self._thread.start()
        self._jobs.put((ticket, reprint, time.monotonic()))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued job is done (tests, shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._jobs.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def _set(self, ticket_id: str, outcome: dict) -> None:
        with self._lock:
            self._outcomes[ticket_id] = outcome
            self._outcomes.move_to_end(ticket_id)
            while len(self._outcomes) > OUTCOMES_KEPT:
                self._outcomes.popitem(last=False)

    def outcome(self, ticket_id: str) -> dict | None:
        """This process's knowledge of a ticket's print job, or None."""
        with self._lock:
            found = self._outcomes.get(ticket_id)
            return dict(found) if found else None

    def health(self) -> dict:
        """For /api/health: the last job's outcome, without touching the device."""
        if not self.enabled:
            return {"status": "disabled", "type": self.type}
        out = {"status": "ok", "type": self.type, "queued": self._jobs.unfinished_tasks}
        if self.last:
            out.update(self.last)
            if self.last.get("last_error"):
                out["status"] = "error"
            elif self.last.get("paper") == "low":
                out["status"] = "degraded"
        return out

    def _loop(self) -> None:
        while True:
            ticket, reprint, queued = self._jobs.get()
            try:
                if time.monotonic() - queued > self.timeout + STALE_AFTER_S:
                    self._finish(ticket, reprint, queued, reason="backlog",
                                 message="dropped: the printer was busy or hung too long")  # fmt: skip
                else:
                    self._run(ticket, reprint)
            except Exception:  # one bad job must not stop the printer thread
                log.exception("print job for %s failed unexpectedly", ticket.get("id"))
            finally:
                self._jobs.task_done()

    def image_for(self, ticket: dict, reprint: bool = False):
        """The exact image printed for this ticket."""
        data = layout.ticket_data(ticket, self.queue.office, self.url_for(ticket), reprint)
        return layout.render(data, self.width)

    def _run(self, ticket: dict, reprint: bool) -> None:
        started = time.monotonic()
        status = adapters.Status()
        try:
            image = self.image_for(ticket, reprint)
            status = self.print_image(image)
        except Exception as e:
            reason = reason_of(e)
            log.warning("ticket %s not printed: %s (%s)", ticket["number"], reason, e)
            self._finish(ticket, reprint, started, reason=reason, message=str(e), status=status)
        else:
            self._finish(ticket, reprint, started, status=status)

    def test_page(self, title: str, when: str) -> tuple[adapters.Status, float]:
        """Print the test page (office name, time); (status, ms). Raises like print_image."""
        image = layout.render_test(title, self.width, layout.format_time(when))
        started = time.monotonic()
        status = self.print_image(image)
        return status, (time.monotonic() - started) * 1000

    def print_image(self, image) -> adapters.Status:
        """Deliver one image within the timeout; raise PrinterError with a reason otherwise."""
        box: dict = {}

        def attempt():
            printer = None
            try:
                printer = self._connect()
                box["printer"] = printer
                status = adapters.read_status(printer)
                box["status"] = status
                if status.paper == "out":
                    raise adapters.PrinterError("paper_out", "the printer reports no paper")
                if status.online is False:
                    raise adapters.PrinterError("offline", "the printer reports an error state")
                if box.get("cancelled"):  # timed out while connecting: a late ticket would confuse
                    return
                adapters.send_image(printer, image)
            except BaseException as e:
                box["error"] = e
            finally:
                if printer is not None:
                    try:
                        printer.close()
                    except Exception:
                        pass

        t = threading.Thread(target=attempt, name="onestop-print-job", daemon=True)
        t.start()
        t.join(self.timeout)
        if t.is_alive():
            box["cancelled"] = True
            printer = box.get("printer")
            if printer is not None:  # unblocks a socket stuck in sendall
                try:
                    printer.close()
                except Exception:
                    pass
            raise adapters.PrinterError("timeout", f"no answer within {self.timeout:g} s")
        if "error" in box:
            raise box["error"]
        return box.get("status") or adapters.Status()

    def _finish(self, ticket, reprint, started, reason=None, message="", status=None) -> None:
        ms = round((time.monotonic() - started) * 1000)
        hint = status.as_dict() if status else {}
        now = iso(self.queue.clock(), self.queue.office.tz)
        if reason is None:
            self._set(ticket["id"], {"status": "printed", "reason": None, "reprint": reprint})
            self.last = {"last_printed_at": now, "last_error": None, "paper": hint.get("paper")}
            event = {"reprint": reprint, "ms": ms}
            kind = events.PRINTED
        else:
            self._set(ticket["id"], {"status": "failed", "reason": reason, "reprint": reprint})
            self.last = {**self.last, "last_error": reason, "last_error_at": now,
                         "message": message, "paper": hint.get("paper")}  # fmt: skip
            event = {"reason": reason, "message": message[:200], "reprint": reprint,
                     "number": ticket["number"], "printer": self.type}  # fmt: skip
            kind = events.PRINT_FAILED
        try:
            self.queue.record(kind, ticket["id"], **event)
        except Exception:  # the log is best effort here; the outcome is already known
            log.exception("could not record %s for %s", kind, ticket["id"])
