"""Enrolled devices and least privilege through the HTTP API, the CLI and the sockets."""

from __future__ import annotations

import json

import pytest
import requests

from server.kernel import DEVICE_COOKIE, DEVICE_HEADER
from server.sockets import DISPLAY, report_faults, socketio
from tests.faults.tools import dump
from tests.helpers import LiveServer

HALL = {"REMOTE_ADDR": "10.0.0.9"}  # a laptop on the hall's Wi-Fi, not the server machine


def err(r) -> str:
    return r.get_json()["error"]["code"]


def enrol(client, token: str) -> None:
    r = client.get(f"/devices/enrol?token={token}")
    assert r.status_code == 302, r.get_data()


def add(runner, *args) -> str:
    out = runner.invoke(args=["device", "add", *args])
    assert out.exit_code == 0, out.output
    return out.output.strip().splitlines()[-1]


def issue(client, headers=None, env=None, **kw):
    return client.post("/api/tickets", json={"service": "hotich"}, headers=headers or {},
                       environ_overrides=env or HALL, **kw)  # fmt: skip


def test_cli_add_list_revoke(runner, client, onestop):
    token = add(runner, "kiosk-cua", "--kind", "kiosk")
    add(runner, "tab-2", "--kind", "tablet", "--counter", "2")
    listed = runner.invoke(args=["device", "list"]).output.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [["kiosk-cua", "kiosk", ""],
                                                         ["tab-2", "tablet", "2"]]  # fmt: skip
    r = issue(client, {"Authorization": f"Bearer {token}"})
    assert r.status_code == 201 and r.get_json()["ticket"]["kiosk"] == "kiosk-cua"
    out = runner.invoke(args=["device", "revoke", "kiosk-cua"])
    assert out.exit_code == 0 and "Revoked kiosk-cua" in out.output
    r = issue(client, {"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and err(r) == "invalid_token"
    assert "revoked" in runner.invoke(args=["device", "list"]).output


@pytest.mark.parametrize(
    "args,message",
    [(["t", "--kind", "tablet"], "--counter"), (["t", "--kind", "tablet", "--counter", "99"],
     "No counter 99"), (["k", "--kind", "kiosk", "--counter", "1"], "--counter")],
)  # fmt: skip
def test_cli_refuses_bad_devices(runner, onestop, args, message):
    out = runner.invoke(args=["device", "add", *args])
    assert out.exit_code != 0 and message in out.output
    assert onestop.enrolled.list() == []


def test_only_a_kiosk_staff_or_the_server_machine_may_issue(client, runner, auth, onestop):
    before = dump(onestop.store.reader())
    r = issue(client)
    assert r.status_code == 401 and err(r) == "unauthorized"
    display = add(runner, "tv-1", "--kind", "display")
    r = issue(client, {"Authorization": f"Bearer {display}"})
    assert r.status_code == 403
    assert dump(onestop.store.reader())["tickets"] == before["tickets"]
    kiosk = add(runner, "kiosk-1", "--kind", "kiosk")
    assert issue(client, {"Authorization": f"Bearer {kiosk}"}).status_code == 201
    assert issue(client, auth["clerk"]).status_code == 201
    assert issue(client, env={"REMOTE_ADDR": "127.0.0.1"}).status_code == 201  # the demo
    assert issue(client, env={"REMOTE_ADDR": "::1"}).status_code == 201


@pytest.mark.parametrize("behind_proxy", [False, True])
def test_client_address_believes_x_real_ip_only_from_the_proxy(
    tmp_path, clock, config, behind_proxy
):
    from server.app import create_app

    config["security"] = {"behind_proxy": behind_proxy}
    app = create_app({"DATA_DIR": tmp_path, "CONFIG": config, "CLOCK": clock, "TESTING": True})
    try:
        c = app.test_client()
        hall = {"X-Real-IP": "10.0.0.9"}
        local = issue(c, hall, env={"REMOTE_ADDR": "127.0.0.1"}).status_code
        assert local == (401 if behind_proxy else 201)  # through nginx: the hall's laptop
        # Sent by anyone but the proxy on this machine, the header means nothing.
        assert issue(c, {"X-Real-IP": "127.0.0.1"}).status_code == 401
        assert issue(c, {"X-Real-IP": "127.0.0.1"}, env={"REMOTE_ADDR": "::1"}).status_code == 201
    finally:
        app.extensions["onestop"].store.close()


def test_an_enrolled_browser_issues_only_from_its_own_page(app, runner, onestop):
    token = add(runner, "kiosk-cua", "--kind", "kiosk")
    c = app.test_client()
    r = c.get(f"/devices/enrol?token={token}")
    assert r.status_code == 302 and r.headers["Location"] == "/kiosk"
    cookie = r.headers["Set-Cookie"]
    assert f"{DEVICE_COOKIE}=" in cookie and token not in cookie  # signed, not bare
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=" in cookie
    assert r.headers["Cache-Control"] == "no-store"
    mine = {DEVICE_HEADER: "1"}
    r = issue(c, mine)
    assert r.status_code == 201 and r.get_json()["ticket"]["kiosk"] == "kiosk-cua"
    # A cross-site page cannot add the header, nor pass for this origin.
    before = dump(onestop.store.reader())
    for headers in ({}, {**mine, "Origin": "http://evil.example"}):
        r = issue(c, headers)
        assert r.status_code == 403 and err(r) == "csrf_failed"
    r = c.post("/api/tickets", data={"service": "hotich"}, environ_overrides=HALL)
    assert r.status_code == 403
    assert dump(onestop.store.reader()) == before
    # The kiosk page shows the name it is enrolled as.
    assert '"kiosk": "kiosk-cua"' in c.get("/kiosk").get_data(as_text=True)


def test_enrolment_needs_a_live_token_and_a_forged_cookie_is_nobody(app, runner, onestop):
    c = app.test_client()
    for url in ("/devices/enrol", "/devices/enrol?token=nope"):
        r = c.get(url)
        assert r.status_code == 401 and err(r) == "invalid_token"
        assert "Set-Cookie" not in r.headers
    token = add(runner, "kiosk-1", "--kind", "kiosk")
    enrol(c, token)
    runner.invoke(args=["device", "revoke", "kiosk-1"])
    assert issue(c, {DEVICE_HEADER: "1"}).status_code == 401
    forged = app.test_client()
    forged.set_cookie(DEVICE_COOKIE, token)  # the bare token, unsigned
    assert issue(forged, {DEVICE_HEADER: "1"}).status_code == 401


@pytest.mark.slow
def test_the_enrolled_browser_stays_enrolled_across_a_restart(tmp_path):
    server = LiveServer(tmp_path / "live", env={"ONESTOP_SECURITY_BEHIND_PROXY": "true"}).start()
    try:
        token = server.flask("device", "add", "kiosk-cua", "--kind", "kiosk").splitlines()[-1]
        hall = {"X-Real-IP": "10.0.0.9", DEVICE_HEADER: "1"}  # as nginx passes the hall's kiosk
        url = f"{server.url}/api/tickets"
        browser = requests.Session()
        r = browser.get(f"{server.url}/devices/enrol?token={token}", timeout=5)
        assert r.status_code == 200 and r.url.endswith("/kiosk")
        stranger = requests.post(url, json={"service": "hotich"}, headers=hall, timeout=5)
        assert stranger.status_code == 401
        server.restart()
        r = browser.post(url, json={"service": "hotich"}, headers=hall, timeout=5)
        assert r.status_code == 201 and r.json()["ticket"]["kiosk"] == "kiosk-cua"
    finally:
        server.stop()


def screen(app, client=None, **auth):
    return socketio.test_client(app, namespace=DISPLAY, flask_test_client=client or app.test_client(),
                                auth=auth or None)  # fmt: skip


def test_presence_lists_only_enrolled_screens(app, runner, onestop, clock):
    presence = onestop.devices.presence
    fakes = [screen(app, kind="display", name=f"fake-{i}") for i in range(20)]
    assert all(f.is_connected(DISPLAY) and f.get_received(DISPLAY) for f in fakes)  # lobby: public
    browser = app.test_client()
    enrol(browser, add(runner, "tv-sanh", "--kind", "display"))
    tv = screen(app, browser)  # the cookie travels with the handshake: no token in the page
    by_token = screen(app, token=add(runner, "kiosk-1", "--kind", "kiosk"))
    assert [(d["kind"], d["name"]) for d in presence.snapshot()] == [
        ("display", "tv-sanh"), ("kiosk", "kiosk-1")]  # fmt: skip
    for s in (*fakes, tv, by_token):
        s.disconnect(DISPLAY)
    clock.advance(120)
    faults = report_faults(presence, onestop.queue)
    assert [f["name"] for f in faults] == ["tv-sanh"]
    rows = onestop.store.reader().execute("SELECT data FROM events WHERE type = 'display_lost'")
    assert [json.loads(r[0])["name"] for r in rows] == ["tv-sanh"]


@pytest.fixture
def finished(kiosk, counter):
    """A ticket finished at counter 1 and one finished at counter 2."""
    one, two = kiosk.take_ticket("hotich"), kiosk.take_ticket("hotich")
    counter.next(1)
    counter.post(1, "finish")
    counter.next(2)
    counter.post(2, "finish")
    return {1: one, 2: two}


def test_a_tablet_rates_only_tickets_of_its_own_counter(app, runner, onestop, finished):
    tablet = app.test_client()
    enrol(tablet, add(runner, "tab-2", "--kind", "tablet", "--counter", "2"))
    assert tablet.get("/rate/2").status_code == 200
    assert tablet.get("/rate/1").status_code == 403
    r = tablet.get("/api/counters/2/rating-ticket")
    assert r.status_code == 200 and r.get_json()["ticket"]["id"] == finished[2]["id"]
    r = tablet.get("/api/counters/1/rating-ticket")
    assert r.status_code == 403 and err(r) == "wrong_counter"
    mine = {DEVICE_HEADER: "1"}
    r = tablet.post(f"/api/tickets/{finished[1]['id']}/feedback", json={"rating": 1}, headers=mine)
    assert r.status_code == 403 and err(r) == "wrong_counter"
    assert onestop.queue.line.ticket(finished[1]["id"])["rating"] is None
    r = tablet.post(f"/api/tickets/{finished[2]['id']}/feedback", json={"rating": 4}, headers=mine)
    assert r.status_code == 201
    # The citizen rates their own ticket from their phone, with the id alone.
    phone = app.test_client()
    r = phone.post(f"/api/tickets/{finished[1]['id']}/feedback", json={"rating": 3},
                   environ_overrides=HALL)  # fmt: skip
    assert r.status_code == 201
    # A kiosk is no tablet.
    kiosk = add(runner, "kiosk-1", "--kind", "kiosk")
    r = phone.post(f"/api/tickets/{finished[2]['id']}/feedback", json={"rating": 1},
                   headers={"Authorization": f"Bearer {kiosk}"})  # fmt: skip
    assert r.status_code == 403


def test_a_clerk_acts_only_at_the_counter_signed_in_at(client, auth, kiosk, onestop):
    kiosk.take_ticket("hotich")
    before = dump(onestop.store.reader())
    for action in ("next", "pause", "recall", "finish"):
        r = client.post(f"/api/counters/2/{action}", headers=auth["clerk"])
        assert r.status_code == 403 and err(r) == "wrong_counter", action
    assert dump(onestop.store.reader()) == before
    assert client.post("/api/counters/2/sign-in", headers=auth["clerk"]).status_code == 200
    assert client.post("/api/counters/2/next", headers=auth["clerk"]).status_code == 200
    r = client.post("/api/counters/1/pause", headers=auth["clerk"])  # left counter 1
    assert r.status_code == 403 and err(r) == "wrong_counter"
    r = client.post("/api/counters/99/sign-in", headers=auth["clerk"])
    assert r.status_code == 404


def test_a_supervisors_override_is_logged(client, auth, kiosk, onestop):
    kiosk.take_ticket("hotich")
    assert client.post("/api/counters/2/next", headers=auth["supervisor"]).status_code == 200
    assert client.post("/api/counters/2/pause", headers=auth["supervisor"]).status_code == 200
    rows = (
        onestop.store.reader()
        .execute(
            "SELECT counter, clerk, data FROM events WHERE type = 'counter_overridden' ORDER BY id"
        )
        .fetchall()
    )
    assert [(r[0], r[1], json.loads(r[2])) for r in rows] == [
        (2, "supervisor1", {"action": "next", "signed_in": None}),
        (2, "supervisor1", {"action": "pause", "signed_in": None}),
    ]
    r = client.post("/api/counters/3/recall", headers=auth["supervisor"])  # nothing called there
    assert r.status_code == 409  # refused: nothing changed, no override logged
    client.post("/api/counters/2/sign-in", headers=auth["supervisor"])
    assert client.post("/api/counters/2/resume", headers=auth["supervisor"]).status_code == 200
    count = "SELECT COUNT(*) FROM events WHERE type = 'counter_overridden'"
    assert onestop.store.reader().execute(count).fetchone()[0] == 2  # at their own: no override


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", None],
)
def test_writes_need_a_json_body(client, auth, onestop, content_type):
    before = dump(onestop.store.reader())
    raw = '{"service": "hotich"}'
    for path, headers in (("/api/tickets", {}), ("/api/counters/1/pause", auth["clerk"])):
        r = client.post(path, data=raw, content_type=content_type, headers=headers)
        assert r.status_code == 415 and err(r) == "unsupported_media_type", path
    assert dump(onestop.store.reader()) == before
    # No body and no content type stays allowed, as the console's buttons send it.
    assert client.post("/api/counters/1/pause", headers=auth["clerk"]).status_code == 200
