"""Printer and voice faults under load, written against the interfaces every device uses:
`queue.subscribe(fn(name, payload))` after commit and `queue.record(type, ticket_id, ...)`.

Whatever a device subscriber does (raise, hang, vanish and come back), issuing and calling go
on, the other subscribers (the lobby display) keep up, and the faults land in the event log.
The printer and voice packages plug in here once merged: their subscribers replace the fakes.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from server.sockets import socketio
from tests.faults.tools import wait_for


class Recorder:
    """A well-behaved subscriber (a display): keeps every message in arrival order."""

    def __init__(self):
        self.messages: list[tuple[str, dict]] = []

    def __call__(self, name: str, payload: dict) -> None:
        self.messages.append((name, payload))

    def seqs(self) -> list[int]:
        return [p["seq"] for _, p in self.messages if "seq" in p]


class FlakyPrinter:
    """Prints issued tickets; while unplugged it records print_failed, as printer/ should."""

    def __init__(self, queue):
        self.queue = queue
        self.present = True
        self.printed: list[str] = []

    def __call__(self, name: str, payload: dict) -> None:
        if name != "ticket_issued":
            return
        ticket = payload["ticket"]
        if not self.present:
            self.queue.record("print_failed", ticket["id"], reason="printer not found")
            raise OSError("USB printer not found")
        self.printed.append(ticket["id"])


class HungPrinter:
    """Blocks on its first ticket (paper jam, USB stall) until released."""

    def __init__(self):
        self.release = threading.Event()
        self.seen: list[str] = []

    def __call__(self, name: str, payload: dict) -> None:
        if name == "ticket_issued":
            self.seen.append(payload["ticket"]["id"])
            self.release.wait(30)


class BrokenVoice:
    """The voice engine fails on every call; it records a voice_gap and raises."""

    def __init__(self, queue):
        self.queue = queue
        self.failures = 0

    def __call__(self, name: str, payload: dict) -> None:
        if name == "ticket_called":
            self.failures += 1
            self.queue.record(  # voice_failed before the registry; nothing records that
                "voice_gap", payload["call"]["ticket"]["id"], missing=["gTTS: no network"]
            )
            raise RuntimeError("no audio")


def events(onestop, type_: str) -> list[dict]:
    rows = onestop.store.reader().execute(
        "SELECT ticket_id, data FROM events WHERE type = ? ORDER BY id", (type_,)
    )
    return [{"ticket_id": r[0], **json.loads(r[1] or "{}")} for r in rows]


def issue_many(client, n: int, threads: int = 8) -> list[dict]:
    """n tickets from `threads` concurrent kiosks; every answer must be 201."""
    out, lock, left = [], threading.Lock(), iter(range(n))
    services = ("hotich", "chungthuc", "datdai", "khac")

    def kiosk():
        c = client.application.test_client()
        while True:
            with lock:
                i = next(left, None)
            if i is None:
                return
            r = c.post("/api/tickets", json={"service": services[i % 4]})
            with lock:
                out.append(r)

    ts = [threading.Thread(target=kiosk) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert [r.status_code for r in out] == [201] * n, [r.get_json() for r in out[:3]]
    return [r.get_json()["ticket"] for r in out]


def test_printer_vanishes_and_returns_during_load(client, onestop, counter, figures):
    printer = FlakyPrinter(onestop.queue)
    display = Recorder()
    onestop.queue.subscribe(printer)
    onestop.queue.subscribe(display)
    before = issue_many(client, 40)
    onestop.queue.drain()
    printer.present = False  # unplugged
    during = issue_many(client, 30)
    for n in (1, 2, 3, 4):
        assert counter.next(n) is not None  # calling goes on
    onestop.queue.drain()
    printer.present = True  # plugged back
    after = issue_many(client, 20)
    onestop.queue.drain()

    failed = events(onestop, "print_failed")
    assert {e["ticket_id"] for e in failed} == {t["id"] for t in during}
    assert all(e["reason"] == "printer not found" for e in failed)
    assert set(printer.printed) == {t["id"] for t in before + after}
    numbers = [t["number"] for t in before + during + after]
    assert len(numbers) == len(set(numbers)) == 90
    seqs = display.seqs()
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    called = [m for m in display.messages if m[0] == "ticket_called"]
    assert len(called) == 4
    figures(
        "printer vanishes (test_device_faults.py)",
        tickets=len(numbers),
        print_failed_events=len(failed),
        printed=len(printer.printed),
        calls_during_outage=len(called),
    )


def test_hung_printer_delays_neither_kiosks_nor_displays(client, onestop, counter):
    printer = HungPrinter()
    display = Recorder()
    onestop.queue.subscribe(printer)
    onestop.queue.subscribe(display)
    tickets = issue_many(client, 30)  # answered while the printer hangs on the first
    called = [counter.next(n) for n in (1, 2, 3)]
    assert all(called)
    # The display sees every change while the printer is still stuck.
    assert wait_for(lambda: len(display.messages) == 33, timeout=10), len(display.messages)
    assert len(printer.seen) == 1
    printer.release.set()
    assert wait_for(lambda: len(printer.seen) == 30, timeout=10)
    assert printer.seen == [m[1]["ticket"]["id"] for m in display.messages[:30]]
    assert {t["id"] for t in tickets} == set(printer.seen)


def test_voice_failure_keeps_calls_flowing_to_screens(app, client, onestop, kiosk, counter):
    voice = BrokenVoice(onestop.queue)
    onestop.queue.subscribe(voice)
    screen = socketio.test_client(app, namespace="/display")
    screen.get_received("/display")
    tickets = [kiosk.take_ticket(s) for s in ("hotich", "chungthuc", "datdai", "khac")]
    calls = [counter.next(n) for n in (1, 2, 3, 4)]
    assert r_ok(counter.post(1, "recall"))
    onestop.queue.drain()
    assert {c["id"] for c in calls} == {t["id"] for t in tickets}
    got = [m for m in screen.get_received("/display") if m["name"] == "ticket_called"]
    assert len(got) == 5  # four calls and a recall reached the lobby
    failed = events(onestop, "voice_gap")
    assert len(failed) == voice.failures == 5
    assert [e["ticket_id"] for e in failed][:4] == [c["id"] for c in calls]
    assert client.get("/api/queue").status_code == 200
    screen.disconnect(namespace="/display")


def r_ok(r) -> bool:
    return r.status_code == 200


@pytest.mark.parametrize(
    "probe,status",
    [(lambda: {"status": "error", "message": "out of paper"}, "error"),
     (lambda: (_ for _ in ()).throw(OSError("USB gone")), "error"),
     (lambda: {"status": "ok"}, "ok")],
)  # fmt: skip
def test_health_reports_device_faults_without_failing(client, onestop, probe, status):
    onestop.health["printer"] = probe
    onestop.health["voice"] = lambda: time.sleep(0) or {"status": "degraded"}
    r = client.get("/api/health")
    assert r.status_code == 200  # a device fault never takes the API down
    checks = r.get_json()["checks"]
    assert checks["db"]["status"] == "ok"
    assert checks["printer"]["status"] == status
    assert checks["voice"]["status"] == "degraded"
    assert client.post("/api/tickets", json={"service": "hotich"}).status_code == 201
