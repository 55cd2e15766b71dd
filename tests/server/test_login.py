"""Login, logout, CSRF and role checks on pages, as a browser meets them."""

from __future__ import annotations

import pytest

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
    assert "5 phút" in r.get_data(as_text=True)
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
