"""The office's sync agent: what leaves the office, and a bad hub changing nothing in the hall."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from server.hubsync import Agent
from tests.helpers import site_config

ANSWERS = {
    "garbage": (200, b"<html>captive portal</html>"),
    "short_ack": (200, b'{"acked": 0}'),
    "error": (500, b'{"error": {"code": "internal_error", "message": "x"}}'),
    "slow": (200, b'{"acked": 999999}'),  # after longer than the agent's timeout
}


@pytest.fixture
def bad_hub(request):
    mode = request.param
    status, body = ANSWERS[mode]
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(len(self.rfile.read(int(self.headers["Content-Length"]))))
            if mode == "slow":
                time.sleep(1.5)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


@pytest.fixture(autouse=True)
def stop_agent(app):
    """The agent's thread ends before the app fixture closes the store it reads."""
    yield
    agent = app.extensions.get("hubsync")
    if agent is not None:
        agent.close()


@pytest.fixture
def config(bad_hub):
    return site_config(hub={"url": bad_hub[0], "office_code": "XA1", "token": "t",
                            "interval_s": 0.1, "max_backoff_s": 1.0, "timeout_s": 1.0})  # fmt: skip


@pytest.mark.parametrize("bad_hub", list(ANSWERS), indirect=True)
def test_a_bad_hub_changes_nothing_in_the_hall(client, auth, kiosk, counter, bad_hub):
    url, seen = bad_hub
    for _ in range(6):
        kiosk.take_ticket("hotich")
    assert counter.next(1)["number"]
    before = len(seen)
    deadline = time.monotonic() + 10
    while len(seen) < before + 2 and time.monotonic() < deadline:  # it tried, and again
        time.sleep(0.05)
    assert len(seen) >= before + 2
    kiosk.take_ticket("hotich")
    assert counter.next(1)["number"]
    hub = client.get("/api/health").get_json()["checks"]["hub"]
    assert hub["cursor"] == 0 and hub["pending_events"] >= 9
    assert hub["status"] == "degraded" and hub["failures"] >= 1 and hub["last_error"], hub
    assert client.get("/api/health").status_code == 200


@pytest.mark.parametrize("bad_hub", ["error"], indirect=True)
def test_ticket_ids_and_kiosks_stay_home(app, onestop, kiosk, counter, bad_hub):
    t = kiosk.take_ticket("hotich", kiosk="kiosk-cua-chinh")
    counter.next(1)
    agent = Agent(onestop)
    rows = agent.batch()
    mine = [r for r in rows if r[4] is not None]
    assert {r[3] for r in mine} >= {"issued", "called"}
    assert len({r[4] for r in mine}) == 1  # one ticket, one key: the hub can join its events
    assert t["id"] not in json.dumps(rows)
    assert "kiosk-cua-chinh" not in json.dumps(rows) and "kiosk" not in json.dumps(rows)
    issued = next(r for r in mine if r[3] == "issued")
    assert json.loads(issued[8])["estimated_wait_s"] is not None  # what the reports need stays
    other = Agent(onestop)
    other._key = b"another office's secret"
    assert other.batch()[0][4] != rows[0][4]


@pytest.mark.parametrize("bad_hub", ["error"], indirect=True)
def test_the_cursor_only_moves_forward(onestop, bad_hub):
    from server.hubsync import _advance

    agent = Agent(onestop)
    _advance(onestop.store, 7)
    _advance(onestop.store, 3)  # a slower second sender acknowledging an older batch
    assert agent.cursor() == 7
