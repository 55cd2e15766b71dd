"""Login, logout, CSRF and role checks on pages, as a browser meets them."""

from __future__ import annotations

import hashlib
import threading

import pytest

from core import users as users_mod
from server import views as views_mod
from server.kernel import page_require
from tests.counter.pages import add_user, csrf_of, login


@pytest.fixture
def users(onestop):
    add_user(onestop, "clerk1", "clerk")
    add_user(onestop, "boss", "supervisor")


def test_login_page_has_form_and_csrf(client):
    r = client.get("/login")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'name="csrf_token"' in html and 'name="csrf-token"' in html
    assert "Đăng nhập" in html


def test_login_then_back_to_the_page_asked_for(client, users):
    r = client.get("/counter")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=/counter")
    r = login(client, "clerk1", next_="/counter")
    assert r.status_code == 302 and r.headers["Location"] == "/counter"
    assert client.get("/counter").status_code == 200


def test_login_never_redirects_off_site(client, users):
    r = login(client, "clerk1", next_="//evil.example/x")
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_wrong_password_is_refused(client, users):
    r = login(client, "clerk1", password="nope-nope")
    assert r.status_code == 401
    assert "Sai tên đăng nhập" in r.get_data(as_text=True)
    assert client.get("/counter").status_code == 302


def test_login_without_csrf_token_is_refused(client, users):
    client.get("/login")
    r = client.post("/login", data={"name": "clerk1", "password": "secret123"})
    assert r.status_code == 403
    assert client.get("/counter").status_code == 302


def test_five_failures_lock_the_address_even_for_the_right_password(client, users):
    for _ in range(5):
        assert login(client, "clerk1", password="wrong-one").status_code == 401
    r = login(client, "clerk1")
    assert r.status_code == 429
    # The account now waits a short, doubling time (the 5-minute lock is the address's).
    assert "thử lại sau 2 giây" in r.get_data(as_text=True)
    assert client.get("/counter").status_code == 302


def test_logout_needs_csrf_and_ends_the_session(client, users):
    login(client, "clerk1")
    assert client.post("/logout").status_code == 403
    assert client.get("/counter").status_code == 200
    r = client.post("/logout", data={"csrf_token": csrf_of(client, "/counter")})
    assert r.status_code == 302
    assert client.get("/counter").status_code == 302


def test_a_lower_role_gets_403_not_a_login_loop(app, users):
    app.add_url_rule(
        "/only-supervisors", "only_sup", page_require("supervisor")(lambda: "secret page")
    )
    client = app.test_client()
    assert client.get("/only-supervisors").status_code == 302
    login(client, "clerk1")
    r = client.get("/only-supervisors")
    assert r.status_code == 403
    assert "secret page" not in r.get_data(as_text=True)
    assert "supervisor" in r.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    login(client, "boss")
    assert client.get("/only-supervisors").get_data(as_text=True) == "secret page"


def test_session_actions_need_the_csrf_header(client, users, onestop, kiosk):
    kiosk.take_ticket("hotich")
    onestop.sign_ins.sign_in(onestop.users.get("clerk1")["id"], 1)
    login(client, "clerk1")
    r = client.post("/api/counters/1/next", json={"current": None})
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "csrf_failed"
    assert onestop.queue.line.counter(1)["ticket"] is None  # nothing changed
    token = csrf_of(client, "/counter")
    r = client.post("/api/counters/1/next", json={"current": None}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200
    assert r.get_json()["ticket"]["number"] == "A001"
    r = client.post("/api/counters/1/recall", headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403


def test_anonymous_cannot_act_on_a_counter(client, kiosk, onestop):
    kiosk.take_ticket("hotich")
    for action in ("next", "recall", "start", "finish", "no-show", "pause", "resume"):
        r = client.post(f"/api/counters/1/{action}")
        assert r.status_code == 401, action
    assert client.get("/counter/api/state?counter=1").status_code == 401
    assert onestop.queue.line.counter(1)["ticket"] is None


def login_from(app, addr: str, name: str, password: str = "secret123"):
    """A login from another machine (its own client and address)."""
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = addr
    return c, login(c, name, password)


@pytest.fixture
def scrypt_calls(monkeypatch):
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


class SteppedTime:
    """time for server.views: monotonic() moved by hand, the rest real."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


def test_over_the_limit_no_hash_is_computed(app, users, scrypt_calls):
    for _ in range(5):
        assert login_from(app, "10.0.0.5", "clerk1", "wrong-one")[1].status_code == 401
    assert len(scrypt_calls) == 5
    scrypt_calls.clear()
    for _ in range(3):
        assert login_from(app, "10.0.0.5", "clerk1", "wrong-one")[1].status_code == 429
    assert scrypt_calls == []  # refused before the password hash


def test_a_parallel_burst_is_counted_before_hashing(app, users, scrypt_calls):
    clients = [app.test_client() for _ in range(40)]
    tokens = [csrf_of(c) for c in clients]
    codes, go = [], threading.Barrier(len(clients))

    def attempt(c, token):
        go.wait()
        r = c.post("/login", data={"name": "clerk1", "password": "x" * 8, "csrf_token": token})
        codes.append(r.status_code)

    threads = [
        threading.Thread(target=attempt, args=ct) for ct in zip(clients, tokens, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes.count(401) <= 5 and codes.count(429) >= 35
    assert len(scrypt_calls) <= 5  # not 40: the limit of 5 holds under a burst


def test_the_account_limit_holds_across_addresses(app, users):
    for i in range(5):
        assert login_from(app, f"10.0.1.{i}", "clerk1", "wrong-one")[1].status_code == 401
    assert login_from(app, "10.0.1.99", "clerk1")[1].status_code == 429
    # Another clerk behind the same addresses is not locked out by it.
    add_user(app.extensions["onestop"], "clerk2", "clerk")
    assert login_from(app, "10.0.1.0", "clerk2")[1].status_code == 302


def test_the_address_limit_is_separate_and_names_five_minutes(app, users):
    for i in range(20):
        login_from(app, "10.0.2.1", f"guess{i}", "wrong-one")
    _, r = login_from(app, "10.0.2.1", "clerk1")
    assert r.status_code == 429 and "5 phút" in r.get_data(as_text=True)
    assert login_from(app, "10.0.2.2", "clerk1")[1].status_code == 302


def test_a_real_clerk_is_slowed_not_locked_out(app, users, monkeypatch):
    clock = SteppedTime()
    monkeypatch.setattr(views_mod, "time", clock)
    for _ in range(5):
        login_from(app, "10.0.3.1", "clerk1", "wrong-one")
    clock.now += 1
    assert login_from(app, "10.0.3.1", "clerk1")[1].status_code == 429  # waits 2 s
    clock.now += 1.5
    assert login_from(app, "10.0.3.1", "clerk1", "wrong-two")[1].status_code == 401
    clock.now += 3
    assert login_from(app, "10.0.3.1", "clerk1")[1].status_code == 429  # then 4 s
    clock.now += 1.5
    assert login_from(app, "10.0.3.1", "clerk1")[1].status_code == 302
    # A success clears the count: the next slip is free again.
    assert login_from(app, "10.0.3.1", "clerk1", "wrong-one")[1].status_code == 401
    assert login_from(app, "10.0.3.1", "clerk1")[1].status_code == 302


def test_hashing_is_bounded_and_excess_gets_429(app, users, monkeypatch):
    monkeypatch.setattr(users_mod, "GATE", users_mod.HashGate(1, wait_s=0.2))
    users_mod.GATE.sem.acquire()  # another login is hashing
    try:
        c, r = login_from(app, "10.0.4.1", "clerk1")
        assert r.status_code == 429 and "bận" in r.get_data(as_text=True)
    finally:
        users_mod.GATE.sem.release()
    assert login(c, "clerk1").status_code == 302  # not counted as a failure


def copied_cookie(app, client):
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_logout_ends_the_session_on_the_server(app, client, users):
    login(client, "clerk1")
    thief = copied_cookie(app, client)
    assert thief.get("/counter").status_code == 200  # a copy works while the session lives
    client.post("/logout", data={"csrf_token": csrf_of(client, "/counter")})
    assert thief.get("/counter").status_code == 302


def test_password_change_and_disabling_end_sessions_at_once(app, client, onestop, users):
    login(client, "clerk1")
    thief = copied_cookie(app, client)
    onestop.users.set_password("clerk1", "new-secret-1")
    assert client.get("/counter").status_code == 302
    assert thief.get("/counter").status_code == 302
    assert login(client, "clerk1", "new-secret-1").status_code == 302
    onestop.users.set_active("clerk1", False)
    assert client.get("/counter").status_code == 302
    assert login(client, "clerk1", "new-secret-1").status_code == 401


def test_a_session_lasts_a_working_day(client, users, monkeypatch):
    login(client, "clerk1")
    assert client.get("/counter").status_code == 200
    real = users_mod.time.time
    monkeypatch.setattr(users_mod.time, "time", lambda: real() + 11.9 * 3600)
    assert client.get("/counter").status_code == 200
    monkeypatch.setattr(users_mod.time, "time", lambda: real() + 12.1 * 3600)
    assert client.get("/counter").status_code == 302
