"""The office's agent and the province catalogue: what it takes, and garbage changing nothing."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import site_config

GOOD = {"version": 4, "procedures": [
    {"code": "hotich", "name": "Hộ tịch (tỉnh)", "name_en": "Civil status", "target_wait_min": 9},
    {"code": "datdai", "name": "Đất đai (bỏ)", "name_en": "", "target_wait_min": 5, "retired": True},
    {"code": "xaydung", "name": "Xây dựng", "name_en": "", "target_wait_min": 30},
]}  # fmt: skip
GARBAGE = {
    "html": (200, b"<html>captive portal</html>"),
    "no_version": (200, json.dumps({"procedures": []}).encode()),
    "bad_entry": (200, json.dumps({"version": 5, "procedures": [{"code": "hotich", "name": "",
                                                                   "target_wait_min": 9}]}).encode()),
    "bad_target": (200, json.dumps({"version": 5, "procedures": [{"code": "hotich", "name": "x",
                                                                    "target_wait_min": 100000}]}).encode()),
    "error": (500, b"{}"),
}  # fmt: skip


@pytest.fixture
def hub():
    """A stand-in for the internet's side: acks every batch, answers the catalogue as told."""
    # Until the agent fixture has stopped the server's own thread, nothing to apply: a round
    # that thread makes before the test drives its own must not apply the catalogue first.
    state = {"catalogue": (503, b"{}"), "seen": []}

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status, body, headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self._send(200, b'{"acked": 999999999}')

        def do_GET(self):
            state["seen"].append(self.headers.get("If-None-Match"))
            status, body = state["catalogue"]
            if (
                self.headers.get("If-None-Match") == '"v4"'
                and status == 200
                and b'"version": 4' in body
            ):
                return self._send(304, b"")
            self._send(status, body, [("ETag", '"v4"')])

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()


@pytest.fixture
def config(hub):
    return site_config(hub={"url": hub["url"], "office_code": "XA1", "token": "t",
                            "interval_s": 3600, "timeout_s": 2.0})  # fmt: skip


@pytest.fixture
def agent(app, hub):
    agent = app.extensions["hubsync"]
    agent.close()  # the test drives the rounds itself
    agent.stop.clear()
    hub["catalogue"] = (200, json.dumps(GOOD).encode())
    hub["seen"].clear()
    yield agent
    agent.close()


def names(client) -> dict:
    return {s["code"]: (s["name"], s["name_en"], s["target_wait_s"])
            for s in client.get("/api/services").get_json()["services"]}  # fmt: skip


def test_the_catalogue_renames_only_what_the_office_offers(client, agent, hub, onestop):
    before = names(client)
    agent.sync()
    after = names(client)
    assert after["hotich"] == ("Hộ tịch (tỉnh)", "Civil status", 540)
    assert after["datdai"] == before["datdai"]  # retired at the province: the office's own
    assert "xaydung" not in after  # not offered here
    assert {k: v for k, v in after.items() if k != "hotich"} == {
        k: v for k, v in before.items() if k != "hotich"}  # fmt: skip
    assert onestop.config.version == 2
    history = onestop.config.versions.current()
    assert history["author"] == "hub" and history["reason"] == "province catalogue v4"
    health = client.get("/api/health").get_json()["checks"]["hub"]
    assert (health["catalogue_version"], health["catalogue_error"]) == (4, None)
    agent.sync()  # unchanged: If-None-Match, a 304, no new config version
    assert hub["seen"][-1] == '"v4"' and onestop.config.version == 2


@pytest.mark.parametrize("answer", list(GARBAGE))
def test_a_catalogue_that_does_not_fit_changes_nothing(client, agent, hub, onestop, answer):
    hub["catalogue"] = GARBAGE[answer]
    before = names(client)
    assert agent.sync() >= 0  # the events went all the same
    assert names(client) == before and onestop.config.version == 1
    health = client.get("/api/health").get_json()["checks"]["hub"]
    assert health["catalogue_error"] and health["catalogue_version"] is None
    assert health["failures"] == 0 and health["status"] == "ok"
    hub["catalogue"] = (200, json.dumps(GOOD).encode())
    agent.sync()  # a catalogue that fits, later: applied
    assert names(client)["hotich"][0] == "Hộ tịch (tỉnh)"


def test_flask_hub_sync_applies_it_too(runner, agent, hub, onestop, client):
    out = runner.invoke(args=["hub", "sync"])
    assert out.exit_code == 0, out.output
    assert hub["seen"] == [None] and onestop.config.versions.current()["author"] == "hub"
    assert names(client)["hotich"][0] == "Hộ tịch (tỉnh)"
