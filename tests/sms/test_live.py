"""A real server (gunicorn) through the API: a ready dossier's message waits with no gateway,
survives a power cut (SIGKILL), then leaves once through the HTTP gateway set by env."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from tests.helpers import LiveServer, sign_in
from tests.sms.conftest import PHONE, add_dossier, close, make_app, ready, rows, wait_for
from tests.sms.test_http import FakeGateway

pytestmark = pytest.mark.slow


def sms_health(server) -> dict:
    return requests.get(f"{server.url}/api/health", timeout=5).json()["checks"]["sms"]


def test_a_queued_message_survives_a_power_cut_and_leaves_once(tmp_path):
    fake = FakeGateway([])
    server = LiveServer(tmp_path / "live", env={"ONESTOP_OFFICE_ENFORCE_HOURS": "false"})
    try:
        server.start()
        headers = {"Authorization": f"Bearer {server.token('clerk1', 'clerk')}"}
        sign_in(server.url, headers, 1)
        api = f"{server.url}/api"
        r = requests.post(f"{api}/tickets", json={"service": "hotich"}, headers=headers, timeout=5)
        assert r.status_code == 201, r.text
        assert requests.post(f"{api}/counters/1/next", headers=headers, timeout=5).ok
        due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
        body = {"code": "HS-LIVE-0001", "due": due, "phone": PHONE, "consent": True}
        r = requests.post(f"{api}/counters/1/dossiers", json=body, headers=headers, timeout=5)
        assert r.status_code == 201, r.text
        r = requests.post(f"{api}/dossiers/HS-LIVE-0001/status", json={"status": "ready"},
                          headers=headers, timeout=5)  # fmt: skip
        assert r.status_code == 200, r.text
        assert wait_for(lambda: sms_health(server)["queued"] == 1)
        assert sms_health(server)["message"] == "no gateway"
        server.kill()  # a power cut with the message still queued
        server.env.update(ONESTOP_SMS_GATEWAY="http", ONESTOP_SMS_HTTP_URL=fake.url,
                          ONESTOP_SMS_RETRY_S="0.1")  # fmt: skip
        server.start()
        assert wait_for(lambda: sms_health(server)["sent"] == 1, timeout=20)
        server.restart()
        assert wait_for(lambda: sms_health(server)["status"] == "ok")
        assert [r["body"]["to"] for r in fake.received] == [PHONE]
        assert fake.received[0]["body"]["text"].startswith("Ket qua ho so HS-LIVE-0001 da co.")
    finally:
        server.stop()
        fake.close()
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log and PHONE not in log


def test_a_flask_command_queues_but_never_delivers(tmp_path):
    """Nightly jobs build the app too: only the server sends, so nothing leaves twice."""
    app = make_app(tmp_path)  # no gateway: the message waits
    ext = app.extensions["onestop"]
    add_dossier(ext, "CLI000001")
    ready(ext, "CLI000001")
    ext.queue.drain()
    close(app)
    fake = FakeGateway([])
    try:
        server = LiveServer(tmp_path / "data", env={"ONESTOP_SMS_GATEWAY": "http",
                                                    "ONESTOP_SMS_HTTP_URL": fake.url})  # fmt: skip
        out = server.flask("dossiers", "purge")  # the nightly job, with the gateway configured
        assert "Deleted 0" in out
        time.sleep(1.5)  # a delivering worker polls every second
        assert fake.received == []
        app = make_app(tmp_path, gateway="http", http_url=fake.url)  # the server itself
        ext = app.extensions["onestop"]
        try:
            assert wait_for(lambda: [r["state"] for r in rows(ext)] == ["sent"])
        finally:
            close(app)
        assert len(fake.received) == 1
    finally:
        fake.close()
