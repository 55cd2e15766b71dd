"""HttpGateway against a real local HTTP server standing in for the internet SMS gateway
(the only fake): 200, 500 then 200, 400, a hang; a restart with queued rows sends them once."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core import events
from sms.gateways import GatewayError, HttpGateway
from tests.sms.conftest import PHONE, add_dossier, close, make_app, ready, rows, wait_for


class FakeGateway:
    """A local HTTP server answering each POST with the next scripted status (200 after)."""

    def __init__(self, script: list):
        self.script = list(script)
        self.received: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    step = outer.script.pop(0) if outer.script else 200
                    outer.received.append({"body": body, "auth": self.headers.get("Authorization"),
                                           "answer": step})  # fmt: skip
                if step == "hang":
                    time.sleep(1.5)
                    step = 200
                out = json.dumps({"id": f"gw-{len(outer.received)}"}).encode()
                self.send_response(step)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def delivered(self) -> list[dict]:
        """Requests answered 2xx right away (a hung one timed out on our side)."""
        return [r for r in self.received if r["answer"] == 200]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    server = FakeGateway([])
    yield server
    server.close()


def http_app(tmp_path, fake, **sms):
    return make_app(tmp_path, gateway="http", http_url=fake.url, http_token="tok-123",
                    timeout_s=0.3, **sms)  # fmt: skip


def states(ext) -> list[str]:
    return [r["state"] for r in rows(ext)]


def test_200_is_sent_with_the_contract(tmp_path, fake, caplog):
    caplog.set_level(logging.DEBUG)
    app = http_app(tmp_path, fake)
    ext = app.extensions["onestop"]
    try:
        add_dossier(ext, "HTTP00001")
        ready(ext, "HTTP00001")
        assert wait_for(lambda: states(ext) == ["sent"])
        (req,) = fake.received
        assert req["auth"] == "Bearer tok-123"
        assert set(req["body"]) == {"to", "text"} and req["body"]["to"] == PHONE
        assert req["body"]["text"].startswith("Ket qua ho so HTTP00001 da co.")
        assert rows(ext)[0]["gateway_id"] == "gw-1"
    finally:
        close(app)
    assert PHONE not in caplog.text and "tok-123" not in caplog.text


def test_500_then_200_is_retried_and_sent_once(tmp_path, fake):
    fake.script = [500]
    app = http_app(tmp_path, fake)
    ext = app.extensions["onestop"]
    try:
        add_dossier(ext, "HTTP00002")
        ready(ext, "HTTP00002")
        assert wait_for(lambda: states(ext) == ["sent"])
        assert [r["answer"] for r in fake.received] == [500, 200]
        assert rows(ext)[0]["tries"] == 1
    finally:
        close(app)


def test_400_is_permanent_a_failed_alert(tmp_path, fake):
    fake.script = [400]
    app = http_app(tmp_path, fake)
    ext = app.extensions["onestop"]
    try:
        add_dossier(ext, "HTTP00003")
        ready(ext, "HTTP00003")

        def alerts():
            sql = "SELECT data FROM events WHERE type = ?"
            return ext.store.reader().execute(sql, (events.SMS_FAILED,)).fetchall()

        assert wait_for(lambda: len(alerts()) == 1)
        time.sleep(0.3)  # no retry follows
        assert len(fake.received) == 1 and states(ext) == ["failed"]
        data = json.loads(alerts()[0]["data"])
        assert data["error"] == "gateway answered HTTP 400" and data["code"] == "HTTP00003"
        health = app.test_client().get("/api/health").get_json()["checks"]["sms"]
        assert health["status"] == "degraded"
    finally:
        close(app)


def test_a_hanging_gateway_times_out_and_is_retried(tmp_path, fake):
    fake.script = ["hang"]
    app = http_app(tmp_path, fake)
    ext = app.extensions["onestop"]
    try:
        add_dossier(ext, "HTTP00004")
        started = time.monotonic()
        ready(ext, "HTTP00004")  # the clerk's request does not wait for the gateway
        assert time.monotonic() - started < 0.3
        assert wait_for(lambda: states(ext) == ["sent"])
        assert rows(ext)[0]["tries"] == 1 and len(fake.delivered()) == 1
        assert [r["answer"] for r in fake.received] == ["hang", 200]
    finally:
        close(app)


def test_queued_rows_survive_a_restart_and_leave_once(tmp_path, fake):
    app = make_app(tmp_path)  # no gateway yet: the messages wait in the outbox
    ext = app.extensions["onestop"]
    for code in ("RESTART01", "RESTART02"):
        add_dossier(ext, code)
        ready(ext, code)
    ext.queue.drain()
    assert states(ext) == ["queued", "queued"]
    close(app)
    for _ in range(2):  # the gateway configured, the server restarted (twice)
        app = http_app(tmp_path, fake)
        ext = app.extensions["onestop"]
        try:
            assert wait_for(lambda e=ext: states(e) == ["sent", "sent"])
        finally:
            close(app)
    assert sorted(r["body"]["text"][14:23] for r in fake.received) == ["RESTART01", "RESTART02"]


@pytest.mark.parametrize(
    "answer, temporary, message",
    [(500, True, "gateway answered HTTP 500"), (429, True, "gateway answered HTTP 429"),
     (403, False, "gateway answered HTTP 403"), ("hang", True, "no answer within 0.3 s")],
)  # fmt: skip
def test_the_gateway_s_answers_as_errors(fake, answer, temporary, message):
    fake.script = [answer]
    with pytest.raises(GatewayError) as e:
        HttpGateway(fake.url, timeout=0.3).send(PHONE, "x")
    assert (e.value.temporary, e.value.message) == (temporary, message)


def test_an_unreachable_gateway_is_temporary(fake):
    url = fake.url
    fake.close()
    with pytest.raises(GatewayError) as e:
        HttpGateway(url, timeout=0.3).send(PHONE, "x")
    assert e.value.temporary and PHONE not in e.value.message
