"""Per-client limits: buckets per address, 429 + Retry-After before a number is taken, sockets."""

from __future__ import annotations

import pytest

from server.limits import Bucket, Limits, client_key
from tests.helpers import site_config

ATTACKER = {"REMOTE_ADDR": "10.0.0.66"}


@pytest.fixture
def config():
    return site_config(limits={"issue_per_min": 2, "issue_burst": 3, "issue_total_per_min": 600})


def issue(client, environ, **headers):
    return client.post(
        "/api/tickets", json={"service": "hotich"}, environ_base=environ, headers=headers
    )


def issued_today(onestop) -> int:
    return onestop.store.reader().execute("SELECT count(*) FROM tickets").fetchone()[0]


def test_a_flood_is_shed_with_429_and_retry_after_before_it_takes_a_number(client, onestop):
    codes = [issue(client, ATTACKER).status_code for _ in range(10)]
    # Through the limiter the first three reach the enrolment check (an unenrolled
    # address: 401); the rest are shed before they reach the app at all.
    assert codes[:3] == [401, 401, 401] and set(codes[3:]) == {429}
    r = issue(client, ATTACKER)
    assert r.get_json()["error"]["code"] == "rate_limited"
    assert "/" in r.get_json()["error"]["message"]  # Vietnamese / English
    assert 1 <= int(r.headers["Retry-After"]) <= 30
    assert issued_today(onestop) == 0  # none reached the transaction


def test_buckets_are_per_address_and_the_local_kiosk_is_never_shed(client, onestop):
    for _ in range(5):
        issue(client, ATTACKER)
    assert issue(client, {"REMOTE_ADDR": "10.0.0.67"}).status_code == 401  # not shed: own bucket
    # The machine itself (the demo kiosk's browser) and staff tokens are not limited.
    assert all(issue(client, {"REMOTE_ADDR": "127.0.0.1"}).status_code == 201 for _ in range(10))


def test_staff_token_is_not_shed_but_an_unknown_token_buys_nothing(client, auth):
    for _ in range(3):
        issue(client, ATTACKER)
    assert issue(client, ATTACKER, **auth["clerk"]).status_code == 201
    assert issue(client, ATTACKER, Authorization="Bearer made-up").status_code == 429


def test_x_real_ip_is_read_only_behind_our_proxy(app, client, monkeypatch):
    limits = app.extensions["onestop_limits"]
    spoof = {"REMOTE_ADDR": "10.0.0.66", "HTTP_X_REAL_IP": "127.0.0.1"}
    for _ in range(3):
        issue(client, spoof)
    assert issue(client, spoof).status_code == 429  # the header is ignored: not behind nginx
    limits.proxy = True
    via_nginx = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "10.0.0.99"}
    assert [issue(client, via_nginx).status_code for _ in range(4)] == [201, 201, 201, 429]


def test_status_page_and_feedback_are_limited_too(client, kiosk):
    ticket = kiosk.take_ticket("hotich")
    codes = [
        client.get(f"/api/tickets/{ticket['id']}", environ_base=ATTACKER).status_code
        for _ in range(25)
    ]
    assert codes.count(200) == 20 and codes[-1] == 429
    assert client.get(f"/t/{ticket['id']}", environ_base=ATTACKER).status_code == 429
    fb = [
        client.post(
            f"/api/tickets/{ticket['id']}/feedback", json={"rating": 4}, environ_base=ATTACKER
        ).status_code
        for _ in range(5)
    ]
    assert fb[:3] == [409, 409, 409] and fb[3:] == [429, 429]  # not finished, then shed


def test_socket_handshakes_are_limited_per_address(client):
    codes = [
        client.get("/socket.io/?EIO=4&transport=polling", environ_base=ATTACKER).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]


def test_open_sockets_are_bounded_per_address_and_in_total(app, client):
    limits = app.extensions["onestop_limits"]
    here = client_key(ATTACKER["REMOTE_ADDR"])
    for _ in range(limits.cfg["sockets_per_address"]):
        assert limits.socket_opened(here) is None
    assert limits.socket_opened(here) == "too_many_sockets_here"
    upgrade = {**ATTACKER, "HTTP_UPGRADE": "websocket", "QUERY_STRING": "EIO=4&sid=x"}
    r = client.get("/socket.io/", environ_base=upgrade)
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "too_many_sockets_here"
    limits.socket_closed(here)
    assert limits.socket_opened(here) is None
    limits.open_total = limits.cfg["sockets_total"]
    assert limits.socket_opened("10.9.9.9") == "too_many_sockets"


def test_bucket_refills_at_its_rate():
    b = Bucket(rate=0.5, burst=2, tokens=2, at=0)
    assert [b.take(0), b.take(0)] == [0, 0]
    assert b.take(0) == pytest.approx(2.0)
    assert b.take(2.0) == 0 and b.take(2.0) > 0


def test_the_table_of_clients_stays_bounded(monkeypatch):
    monkeypatch.setattr("server.limits.MAX_CLIENTS", 100)
    now = [0.0]
    cfg = site_config()  # the defaults come from the config model
    from server.settings import Settings

    limits = Limits(dict(Settings(cfg, "<t>")["limits"]), lambda t: None, False, lambda: now[0])
    for i in range(1000):
        now[0] += 0.01
        limits.take("status", f"10.1.{i // 256}.{i % 256}")
    assert len(limits.buckets) <= 100


def test_ipv6_clients_are_one_per_64():
    assert client_key("2001:db8::1") == client_key("2001:db8::ffff:2") == "2001:db8::/64"
    assert client_key("::ffff:10.0.0.1") == "10.0.0.1"


def test_the_machine_itself_is_bound_only_by_the_total(app):
    limits = app.extensions["onestop_limits"]
    for _ in range(limits.cfg["sockets_per_address"] + 5):
        assert limits.socket_opened("127.0.0.1") is None
    limits.open_total = limits.cfg["sockets_total"]
    assert limits.socket_opened("127.0.0.1") == "too_many_sockets"


def test_an_enrolled_device_has_its_own_bucket_that_a_flood_cannot_drain(app, client):
    limits = app.extensions["onestop_limits"]
    limits.identify = lambda token: "device" if token == "kiosk-token" else None
    for _ in range(10):
        issue(client, ATTACKER)  # the same address as the kiosk, flooding
    kiosk = {"Authorization": "Bearer kiosk-token"}
    burst = limits.cfg["device_issue_burst"]
    seen = [limits.check({"PATH_INFO": "/api/tickets", "REQUEST_METHOD": "POST",
                          "REMOTE_ADDR": ATTACKER["REMOTE_ADDR"], "HTTP_AUTHORIZATION": k})
            for k in [kiosk["Authorization"]] * (burst + 1)]  # fmt: skip
    assert seen[:burst] == [None] * burst and seen[burst][0] == "rate_limited"
