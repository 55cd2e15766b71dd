"""Printing fails safe: unreachable, paper out, timeout. The ticket stays, the event is
logged, the kiosk is told; staff can reprint; nothing is printed twice by itself."""

from __future__ import annotations

import json
import time

import pytest

from printer import adapters
from tests.helpers import free_port, site_config
from tests.printer.escpos_bytes import parse
from tests.printer.fakes import LoopbackPrinter


@pytest.fixture
def printer_cfg():
    return {"type": "network", "host": "127.0.0.1", "port": free_port(), "timeout_s": 1.0}


@pytest.fixture
def config(printer_cfg):
    return site_config(printer=printer_cfg)


def settle(onestop) -> None:
    onestop.queue.drain()
    assert onestop.devices.printer.wait_idle(15)


def events(onestop, ticket_id: str) -> list[tuple[str, dict]]:
    rows = onestop.store.reader().execute(
        "SELECT type, data FROM events WHERE ticket_id = ? ORDER BY id", (ticket_id,)
    )
    return [(r[0], json.loads(r[1] or "{}")) for r in rows]


def assert_failed_safely(onestop, client, ticket, reason):
    """The common promise of every failure path."""
    r = client.get(f"/api/tickets/{ticket['id']}/print")
    assert r.get_json()["print"] == {"status": "failed", "reason": reason, "reprint": False}
    kept = client.get(f"/api/tickets/{ticket['id']}").get_json()["ticket"]
    assert kept["status"] == "waiting" and kept["number"] == ticket["number"]
    assert client.get("/api/queue").get_json()["waiting"][ticket["service"]] == 1
    logged = events(onestop, ticket["id"])
    assert [t for t, _ in logged] == ["issued", "print_failed"]
    assert logged[1][1]["reason"] == reason
    assert logged[1][1]["number"] == ticket["number"]
    health = client.get("/api/health").get_json()["checks"]["printer"]
    assert health["status"] == "error" and health["last_error"] == reason


def test_unreachable_printer(onestop, kiosk, client):
    ticket = kiosk.take_ticket("hotich")
    settle(onestop)
    assert_failed_safely(onestop, client, ticket, "offline")


def test_paper_out_reported_by_the_printer(onestop, kiosk, client):
    fake = adapters.FakePrinter(paper="out")
    onestop.devices.printer._connect = lambda: fake
    ticket = kiosk.take_ticket("hotich")
    settle(onestop)
    assert_failed_safely(onestop, client, ticket, "paper_out")
    assert fake.jobs == [] and fake.output == b"", "nothing is sent to a printer without paper"


@pytest.mark.slow
def test_paper_out_read_from_a_network_printer(onestop, kiosk, client):
    # DLE EOT 4 answer 0x72: paper-end sensor bits (0x60) set.
    fake = LoopbackPrinter(status=b"\x72")
    onestop.devices.printer.cfg["port"] = fake.port
    try:
        ticket = kiosk.take_ticket("hotich")
        settle(onestop)
        assert_failed_safely(onestop, client, ticket, "paper_out")
        assert b"\x1dv0" not in fake.received
    finally:
        fake.close()


@pytest.mark.slow
def test_printer_that_never_reads_times_out(onestop, kiosk, client):
    stuck = LoopbackPrinter(reads=False)
    onestop.devices.printer.cfg["port"] = stuck.port
    try:
        ticket = kiosk.take_ticket("hotich")
        settle(onestop)
        assert_failed_safely(onestop, client, ticket, "timeout")
    finally:
        stuck.close()


@pytest.mark.slow
def test_network_printer_that_answers_status_prints(onestop, kiosk, client):
    good = LoopbackPrinter(status=b"\x12")
    onestop.devices.printer.cfg["port"] = good.port
    try:
        ticket = kiosk.take_ticket("hotich")
        settle(onestop)
        assert client.get(f"/api/tickets/{ticket['id']}/print").get_json()["print"]["status"] == (
            "printed"
        )
        job = bytes(good.received)
        # Status requests first, then exactly one job.
        assert job.startswith(adapters.RT_OFFLINE + adapters.RT_PAPER)
        assert len(parse(job[6:])) == 1
        health = client.get("/api/health").get_json()["checks"]["printer"]
        assert health["status"] == "ok" and health["paper"] == "ok"
    finally:
        good.close()


def test_failed_print_is_not_retried_by_itself(onestop, kiosk):
    fake = adapters.FakePrinter(fail="offline")
    onestop.devices.printer._connect = lambda: fake
    ticket = kiosk.take_ticket("hotich")
    settle(onestop)
    fake.fail = None
    settle(onestop)
    assert fake.jobs == []
    assert [t for t, _ in events(onestop, ticket["id"])] == ["issued", "print_failed"]


def test_staff_reprint_after_a_failure(onestop, kiosk, client, auth):
    fake = adapters.FakePrinter(paper="out")
    onestop.devices.printer._connect = lambda: fake
    ticket = kiosk.take_ticket("hotich")
    settle(onestop)
    fake.paper = "ok"  # paper loaded
    url = f"/api/tickets/{ticket['id']}/reprint"
    assert client.post(url).status_code == 401
    r = client.post(url, headers=auth["clerk"])
    assert r.status_code == 202
    assert r.get_json()["print"]["status"] == "pending"
    settle(onestop)
    assert len(fake.jobs) == 1 and len(parse(fake.jobs[0])) == 1
    out = client.get(f"/api/tickets/{ticket['id']}/print").get_json()["print"]
    assert out == {"status": "printed", "reason": None, "reprint": True}
    logged = events(onestop, ticket["id"])
    assert [t for t, _ in logged] == ["issued", "print_failed", "reprint_requested", "printed"]
    assert logged[2][1] == {} and logged[3][1]["reprint"] is True
    clerk = (
        onestop.store.reader()
        .execute("SELECT clerk FROM events WHERE type = 'reprint_requested'")
        .fetchone()[0]
    )
    assert clerk == "clerk1"


def test_reprint_errors(client, auth):
    r = client.post("/api/tickets/nope/reprint", headers=auth["clerk"])
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "unknown_ticket"
    r = client.post(
        "/api/tickets/nope/reprint",
        headers=auth["clerk"],
        data="[1,",
        content_type="application/json",
    )
    assert r.status_code == 400
    # The same junk without a JSON content type is refused before it is read.
    r = client.post("/api/tickets/nope/reprint", headers=auth["clerk"], data="[1,")
    assert r.status_code == 415
    assert r.get_json()["error"]["code"] == "unsupported_media_type"


def test_print_status_of_unknown_ticket_is_404(client):
    r = client.get("/api/tickets/nope/print")
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "unknown_ticket"


def test_outcome_survives_a_restart(onestop, kiosk, client):
    ticket = kiosk.take_ticket("hotich")
    settle(onestop)
    onestop.devices.printer._outcomes.clear()  # as after a restart: only the log remains
    out = client.get(f"/api/tickets/{ticket['id']}/print").get_json()["print"]
    assert out["status"] == "failed" and out["reason"] == "offline"


def test_supervisors_are_pushed_print_failures(app, auth, onestop, kiosk):
    from server.sockets import socketio

    token = auth["supervisor"]["Authorization"][7:]
    sio = socketio.test_client(app, namespace="/staff", auth={"token": token})
    lobby = socketio.test_client(app, namespace="/display")
    sio.get_received("/staff")
    lobby.get_received("/display")
    ticket = kiosk.take_ticket("hotich")
    settle(onestop)
    onestop.queue.drain()
    got = [m for m in sio.get_received("/staff") if m["name"] == "print_failed"]
    assert len(got) == 1
    assert got[0]["args"][0]["ticket_id"] == ticket["id"]
    assert got[0]["args"][0]["reason"] == "offline"
    assert not [m for m in lobby.get_received("/display") if m["name"] == "print_failed"]
    sio.disconnect(namespace="/staff")
    lobby.disconnect(namespace="/display")


class TestPrinterDisabled:
    @pytest.fixture
    def config(self):
        return site_config()  # type "none"

    def test_kiosk_is_told_there_is_no_printer(self, kiosk, client, auth):
        ticket = kiosk.take_ticket("hotich")
        r = client.get(f"/api/tickets/{ticket['id']}/print")
        assert r.get_json()["print"]["status"] == "disabled"
        r = client.post(f"/api/tickets/{ticket['id']}/reprint", headers=auth["clerk"])
        assert r.status_code == 409
        assert r.get_json()["error"]["code"] == "printer_disabled"
        assert client.get("/api/health").get_json()["checks"]["printer"]["status"] == "disabled"


def test_a_backlog_behind_a_hung_printer_is_dropped_not_printed_late(onestop, kiosk, client):
    import threading

    from printer import worker as worker_mod

    release = threading.Event()
    fake = adapters.FakePrinter()
    w = onestop.devices.printer

    def hung():
        release.wait(5)
        return fake

    w._connect = hung
    w.timeout = 0.2
    first = kiosk.take_ticket("hotich")
    onestop.queue.drain()
    # The second job waits behind the hung first one longer than timeout + STALE_AFTER_S.
    orig = worker_mod.STALE_AFTER_S
    worker_mod.STALE_AFTER_S = -0.15  # stale once queued 0.05 s: the first job takes 0.2 s
    try:
        second = kiosk.take_ticket("hotich")
        settle(onestop)
    finally:
        worker_mod.STALE_AFTER_S = orig
        release.set()  # the hung connection finally opens...
    time.sleep(0.2)
    assert client.get(f"/api/tickets/{first['id']}/print").get_json()["print"]["reason"] == (
        "timeout"
    )
    out = client.get(f"/api/tickets/{second['id']}/print").get_json()["print"]
    assert out == {"status": "failed", "reason": "backlog", "reprint": False}
    assert fake.jobs == [] and fake.output == b"", "...and prints nothing late"
