"""The clerk console: its page, its state endpoint, and the guarantees of its buttons."""

from __future__ import annotations

import threading

import pytest

from tests.counter.pages import add_user, csrf_of, login, no_inline_script


@pytest.fixture
def clerk(client, onestop):
    """A browser session of clerk 'lan', logged in through /login."""
    add_user(onestop, "lan", "clerk")
    login(client, "lan")
    assert post(client, "/api/counters/1/sign-in").status_code == 200  # as the console does
    return client


def post(client, path, body=None):
    token = csrf_of(client, "/counter")
    return client.post(path, json=body, headers={"X-CSRF-Token": token})


def test_console_page_shows_buttons_with_shortcuts(clerk):
    r = clerk.get("/counter")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for label, key in [("Gọi tiếp", "N"), ("Gọi lại", "R"), ("Bắt đầu", "S"),
                       ("Hoàn thành", "F"), ("Vắng mặt", "V"), ("Chuyển", "T"),
                       ("Tạm dừng", "P")]:  # fmt: skip
        assert label in html and f"<kbd>{key}</kbd>" in html
    assert "Quầy 3 – Địa chính" in html  # the counter picker
    assert "/static/vendor/socket.io/socket.io.min.js" in html
    assert no_inline_script(html)


def test_console_needs_login(client):
    r = client.get("/counter")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_state_of_a_counter(clerk, kiosk, onestop, clock):
    kiosk.take_ticket("hotich")
    clock.advance(60)
    vip = kiosk.take_ticket("chungthuc", priority=True)
    kiosk.take_ticket("datdai")  # not served at counter 1
    r = clerk.get("/counter/api/state?counter=1")
    assert r.status_code == 200
    s = r.get_json()
    assert s["now"] == "2026-11-30T09:01:00+07:00"
    assert s["counter"]["number"] == 1 and s["counter"]["ticket"] is None
    assert [t["number"] for t in s["waiting"]] == [vip["number"], "A001"]  # priority first
    assert s["waiting"][0]["priority"] is True
    assert s["waiting_counts"] == {"hotich": 1, "chungthuc": 1}
    assert s["mine"] == {"clerk": "lan", "served": 0, "no_show": 0, "service_avg_s": None}


def test_own_count_and_average_service_time(clerk, kiosk, clock):
    for _ in range(3):
        kiosk.take_ticket("hotich")
    assert post(clerk, "/api/counters/1/next").status_code == 200
    clock.advance(200)
    assert post(clerk, "/api/counters/1/next").status_code == 200  # finishes the first
    clock.advance(100)
    assert post(clerk, "/api/counters/1/no-show").status_code == 200
    assert post(clerk, "/api/counters/1/next").status_code == 200
    assert post(clerk, "/api/counters/1/start").status_code == 200
    clock.advance(400)
    assert post(clerk, "/api/counters/1/finish").status_code == 200
    mine = clerk.get("/counter/api/state?counter=1").get_json()["mine"]
    assert mine == {"clerk": "lan", "served": 2, "no_show": 1, "service_avg_s": 300}


def test_bad_counter_numbers_are_clear_errors(clerk):
    r = clerk.get("/counter/api/state?counter=abc")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_counter"
    r = clerk.get("/counter/api/state?counter=99")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_counter"


def test_nobody_waiting_is_204(clerk):
    r = post(clerk, "/api/counters/1/next", {"current": None})
    assert r.status_code == 204


def test_double_click_next_does_not_skip_a_ticket(clerk, kiosk, onestop):
    a = kiosk.take_ticket("hotich")
    b = kiosk.take_ticket("hotich")
    # Both clicks were sent while the screen still showed no ticket.
    first = post(clerk, "/api/counters/1/next", {"current": None})
    second = post(clerk, "/api/counters/1/next", {"current": None})
    assert first.status_code == 200 and first.get_json()["ticket"]["id"] == a["id"]
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "stale_request"
    assert onestop.queue.line.ticket(a["id"])["status"] == "called"  # not finished unseen
    assert onestop.queue.line.ticket(b["id"])["status"] == "waiting"  # not skipped
    third = post(clerk, "/api/counters/1/next", {"current": a["id"]})
    assert third.get_json()["ticket"]["id"] == b["id"]
    assert onestop.queue.line.ticket(a["id"])["status"] == "done"


def test_two_clerks_pressing_next_at_once_never_get_one_ticket(app, onestop, kiosk):
    for i in range(40):
        kiosk.take_ticket("hotich" if i % 2 else "chungthuc")  # both served at counters 1, 2
    sessions = []
    for name in ("lan", "minh"):
        add_user(onestop, name, "clerk")
        c = app.test_client()
        login(c, name)
        sessions.append((c, csrf_of(c, "/counter")))
    for number, (c, token) in zip((1, 2), sessions, strict=True):
        c.post(f"/api/counters/{number}/sign-in", headers={"X-CSRF-Token": token})
    barrier = threading.Barrier(2)
    got: dict[int, list[str]] = {1: [], 2: []}
    errors: list[str] = []

    def clerk(number, client, token):
        current = None
        for _ in range(20):
            barrier.wait(timeout=10)
            r = client.post(f"/api/counters/{number}/next", json={"current": current},
                            headers={"X-CSRF-Token": token})  # fmt: skip
            if r.status_code != 200:
                errors.append(f"{number}: {r.status_code} {r.get_data(as_text=True)}")
                return
            current = r.get_json()["ticket"]["id"]
            got[number].append(current)

    threads = [
        threading.Thread(target=clerk, args=(n, c, t))
        for n, (c, t) in zip((1, 2), sessions, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(got[1]) == len(got[2]) == 20
    assert not set(got[1]) & set(got[2])  # never one ticket at two counters
    assert len(set(got[1] + got[2])) == 40
    rows = (
        onestop.store.reader()
        .execute("SELECT ticket_id, COUNT(*) FROM events WHERE type = 'called' GROUP BY ticket_id")
        .fetchall()
    )
    assert len(rows) == 40 and all(n == 1 for _, n in rows)


def test_transfer_pause_resume_from_the_console(clerk, kiosk, onestop):
    t = kiosk.take_ticket("hotich")
    post(clerk, "/api/counters/1/next", {"current": None})
    r = post(clerk, "/api/counters/1/transfer", {"service": "datdai"})
    assert r.status_code == 200
    assert onestop.queue.line.ticket(t["id"])["service"] == "datdai"
    assert clerk.get("/counter/api/state?counter=3").get_json()["waiting"][0]["id"] == t["id"]
    assert post(clerk, "/api/counters/1/pause").status_code == 200
    r = post(clerk, "/api/counters/1/next", {"current": None})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "counter_paused"
    assert post(clerk, "/api/counters/1/resume").status_code == 200
    assert clerk.get("/counter/api/state?counter=1").get_json()["counter"]["status"] == "open"


def test_state_carries_the_held_tickets_dossiers_and_the_advice_mark(clerk, kiosk, onestop):
    t = kiosk.take_ticket("hotich")
    assert post(clerk, "/api/counters/1/next").status_code == 200
    s = clerk.get("/counter/api/state?counter=1").get_json()
    assert s["dossiers"] == [] and s["advice_only"] is False
    for code in ("HS-000001", "HS-000002"):
        r = post(clerk, "/api/counters/1/dossiers", {"code": code, "due": "2026-12-03"})
        assert r.status_code == 201
    s = clerk.get("/counter/api/state?counter=1").get_json()
    assert [d["code"] for d in s["dossiers"]] == ["HS-000001", "HS-000002"]
    assert all(d["ticket_number"] == t["number"] for d in s["dossiers"])
    assert post(clerk, "/api/counters/1/advice-only", {}).status_code == 200
    assert clerk.get("/counter/api/state?counter=1").get_json()["advice_only"] is True
    assert post(clerk, "/api/counters/1/finish").status_code == 200
    s = clerk.get("/counter/api/state?counter=1").get_json()
    assert s["dossiers"] == [] and s["advice_only"] is False  # nothing held, nothing shown


def test_console_page_has_the_dossier_panel_and_the_status_table(clerk):
    html = clerk.get("/counter").get_data(as_text=True)
    assert "chỉ để báo kết quả hồ sơ này" in html  # the consent's purpose, said on the form
    assert 'id="d-consent"' in html and 'id="d-advice"' in html and 'id="ds-form"' in html
    # The return procedure is not one a dossier is filed for.
    form = html[html.index('id="d-service"') : html.index("</select>", html.index('id="d-service"'))]  # fmt: skip
    assert 'value="hotich"' in form and 'value="traketqua"' not in form
    assert "&#34;ready&#34;: [&#34;returned&#34;" in html  # the server's transitions, as data
