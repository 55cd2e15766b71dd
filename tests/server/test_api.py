"""Every route of the core API with its status codes and error format."""

import pytest


def err(r):
    body = r.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]["code"]


def count(onestop, table="tickets"):
    return onestop.store.reader().execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_health(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ok" and body["checks"]["db"]["status"] == "ok"
    assert {"db", "printer", "voice"} <= set(body["checks"])


def test_services(client):
    services = client.get("/api/services").get_json()["services"]
    assert [s["code"] for s in services][:2] == ["hotich", "chungthuc"]
    s = services[0]
    assert s["name"] == "Tư pháp – Hộ tịch" and s["prefix"] == "A"
    assert s["open"] is True and s["waiting"] == 0 and s["estimated_wait_s"] == 0


def test_issue_and_get_ticket(client, onestop):
    r = client.post("/api/tickets", json={"service": "hotich", "priority": True, "kiosk": "k1"})
    assert r.status_code == 201
    t = r.get_json()["ticket"]
    assert t["number"] == "A001" and t["status"] == "waiting" and t["priority"] is True
    assert t["issued_at"].endswith("+07:00")
    assert t["url"] == f"http://localhost/t/{t['id']}"
    got = client.get(f"/api/tickets/{t['id']}").get_json()["ticket"]
    assert got["id"] == t["id"] and got["position"] == 0
    assert count(onestop, "events") == 1


def test_idempotency_header(client, onestop):
    h = {"Idempotency-Key": "tap-0042"}
    r1 = client.post("/api/tickets", json={"service": "hotich"}, headers=h)
    r2 = client.post("/api/tickets", json={"service": "hotich"}, headers=h)
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.get_json()["ticket"]["id"] == r2.get_json()["ticket"]["id"]
    assert count(onestop) == 1


@pytest.mark.parametrize(
    "data,content_type,status,code",
    [
        ("{not json", "application/json", 400, "invalid_json"),
        ("[1, 2]", "application/json", 400, "invalid_json"),
        ('{"service": 5}', "application/json", 400, "invalid_service"),
        ('{"service": ""}', "application/json", 400, "invalid_service"),
        ('{"priority": true}', "application/json", 400, "missing_service"),
        ('{"service": "hotich", "priority": "yes"}', "application/json", 400, "invalid_priority"),
        ('{"service": "hotich", "extra": 1}', "application/json", 400, "unknown_field"),
        ('{"service": "nope"}', "application/json", 404, "unknown_service"),
        (b"\xff\xfe\x00", "application/json", 400, "invalid_json"),
        ("", "application/json", 400, "missing_service"),
    ],
)
def test_issue_bad_input_changes_nothing(client, onestop, data, content_type, status, code):
    r = client.post("/api/tickets", data=data, content_type=content_type)
    assert r.status_code == status
    assert err(r) == code
    assert count(onestop) == 0 and count(onestop, "events") == 0


def test_issue_too_large_body(client, onestop):
    r = client.post("/api/tickets", data="x" * (1024 * 1024), content_type="application/json")
    assert r.status_code == 413
    err(r)
    assert count(onestop) == 0


def test_issue_outside_hours_is_409(tmp_path, clock):
    from server.app import create_app
    from tests.helpers import site_config

    clock.set("2026-12-06 09:00")  # Sunday
    app = create_app(
        {
            "DATA_DIR": tmp_path,
            "CONFIG": site_config(office={"enforce_hours": True}),
            "CLOCK": clock,
        }
    )
    r = app.test_client().post("/api/tickets", json={"service": "hotich"})
    assert r.status_code == 409 and err(r) == "service_closed"


def test_unknown_ticket_404(client):
    r = client.get("/api/tickets/doesnotexist1234")
    assert r.status_code == 404 and err(r) == "unknown_ticket"


def test_unknown_route_is_json_404(client):
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and err(r) == "not_found"


def test_wrong_method_is_json_405(client):
    r = client.delete("/api/tickets")
    assert r.status_code == 405 and err(r) == "method_not_allowed"


def test_feedback(client, kiosk, counter):
    t = kiosk.take_ticket("hotich")
    r = client.post(f"/api/tickets/{t['id']}/feedback", json={"rating": 4})
    assert r.status_code == 409 and err(r) == "not_finished"
    counter.next(1)
    counter.post(1, "finish")
    for bad in ({"rating": 5}, {"rating": "4"}, {"rating": True}, {}):
        r = client.post(f"/api/tickets/{t['id']}/feedback", json=bad)
        assert r.status_code == 400 and err(r) == "invalid_rating"
    r = client.post(f"/api/tickets/{t['id']}/feedback", json={"rating": 4})
    assert r.status_code == 201 and r.get_json()["ticket"]["rating"] == 4
    r = client.post(f"/api/tickets/{t['id']}/feedback", json={"rating": 1})
    assert r.status_code == 409 and err(r) == "already_rated"
    r = client.post("/api/tickets/nope/feedback", json={"rating": 1})
    assert r.status_code == 404


def test_queue_snapshot(client, kiosk, counter):
    kiosk.take_ticket("hotich")
    kiosk.take_ticket("datdai")
    counter.next(1)
    snap = client.get("/api/queue").get_json()
    assert snap["seq"] == 3
    assert snap["waiting"]["datdai"] == 1 and snap["waiting"]["hotich"] == 0
    assert snap["counters"][0]["ticket"]["number"] == "A001"
    call = snap["recent"][0]
    assert (
        call["counter"] == 1 and call["text"] == "Mời công dân có số thứ tự A 0 0 1 đến quầy số 1"
    )


def test_counters_need_a_clerk(client, auth):
    assert client.get("/api/counters").status_code == 401
    r = client.get("/api/counters", headers=auth["clerk"])
    assert r.status_code == 200 and len(r.get_json()["counters"]) == 4
    r = client.get("/api/counters", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and err(r) == "invalid_token"


ACTIONS = ["next", "recall", "start", "finish", "no-show", "transfer", "pause", "resume"]


@pytest.mark.parametrize("action", ACTIONS)
def test_counter_actions_anonymous_401(client, kiosk, onestop, action):
    kiosk.take_ticket("hotich")
    r = client.post(f"/api/counters/1/{action}", json={})
    assert r.status_code == 401 and err(r) == "unauthorized"
    assert onestop.queue.line.counter(1)["ticket"] is None


@pytest.mark.parametrize("action", ACTIONS)
def test_counter_actions_unknown_counter_404(counter, action):
    r = counter.post(99, action, service="hotich")
    assert r.status_code == 404 and err(r) == "unknown_counter"


def test_counter_flow(client, kiosk, counter):
    a = kiosk.take_ticket("hotich")
    b = kiosk.take_ticket("hotich")
    r = counter.post(1, "next")
    assert r.status_code == 200 and r.get_json()["ticket"]["id"] == a["id"]
    assert counter.post(1, "recall").status_code == 200
    assert counter.post(1, "start").get_json()["ticket"]["status"] == "serving"
    assert counter.post(1, "finish").get_json()["ticket"]["status"] == "done"
    r = counter.post(1, "recall")
    assert r.status_code == 409 and err(r) == "no_current_ticket"
    assert counter.next(1)["id"] == b["id"]
    assert counter.post(1, "no-show").get_json()["ticket"]["status"] == "no_show"
    assert counter.post(1, "next").status_code == 204
    assert client.get("/api/counters/1/next").status_code == 405


def test_next_with_current_guards_double_click(kiosk, counter):
    kiosk.take_ticket("hotich")
    kiosk.take_ticket("hotich")
    r1 = counter.post(1, "next", current=None)
    assert r1.status_code == 200
    # Posting JSON null needs an explicit body: CounterDesk drops empty bodies.
    r2 = counter.client.post(
        "/api/counters/1/next", json={"current": None}, headers=counter.headers
    )
    assert r2.status_code == 409 and err(r2) == "stale_request"
    r3 = counter.post(1, "next", current=r1.get_json()["ticket"]["id"])
    assert r3.status_code == 200 and r3.get_json()["ticket"]["number"] == "A002"
    r4 = counter.post(1, "next", current=5)
    assert r4.status_code == 400


def test_transfer(kiosk, counter):
    kiosk.take_ticket("hotich")
    counter.next(1)
    r = counter.post(1, "transfer")
    assert r.status_code == 400 and err(r) == "missing_service"
    r = counter.post(1, "transfer", service="nope")
    assert r.status_code == 404 and err(r) == "unknown_service"
    r = counter.post(1, "transfer", service="datdai")
    t = r.get_json()["ticket"]
    assert r.status_code == 200 and t["service"] == "datdai" and t["status"] == "waiting"
    assert counter.next(3)["number"] == "A001"


def test_pause_resume(counter, kiosk):
    kiosk.take_ticket("hotich")
    r = counter.post(1, "pause")
    assert r.status_code == 200 and r.get_json()["counter"]["status"] == "paused"
    r = counter.post(1, "next")
    assert r.status_code == 409 and err(r) == "counter_paused"
    assert counter.post(1, "resume").get_json()["counter"]["status"] == "open"


def test_illegal_transition_is_409(kiosk, counter):
    kiosk.take_ticket("hotich")
    counter.next(1)
    counter.post(1, "start")
    r = counter.post(1, "no-show")
    assert r.status_code == 409 and err(r) == "illegal_transition"


def test_session_without_csrf_is_refused(client, onestop, kiosk):
    onestop.users.add("lan", "clerk", "secret123")
    onestop.sign_ins.sign_in(onestop.users.get("lan")["id"], 1)
    kiosk.take_ticket("hotich")
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    r = client.post("/login", data={"name": "lan", "password": "secret123", "csrf_token": token})
    assert r.status_code == 302
    r = client.post("/api/counters/1/next", headers={"X-CSRF-Token": token})
    assert r.status_code == 403 and err(r) == "csrf_failed"  # the token rotates at login
    r = client.post("/api/counters/1/next")
    assert r.status_code == 403 and err(r) == "csrf_failed"
    assert onestop.queue.line.counter(1)["ticket"] is None
    page = client.get("/").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    r = client.post("/api/counters/1/next", headers={"X-CSRF-Token": token})
    assert r.status_code == 200


def test_public_snapshot_reveals_no_ticket_id(client, kiosk, counter):
    secret = kiosk.take_ticket("hotich")["id"]
    kiosk.take_ticket("hotich")
    counter.next(1)
    text = client.get("/api/queue").get_data(as_text=True)
    assert secret not in text
    snap = client.get("/api/queue").get_json()
    assert snap["counters"][0]["ticket"]["number"] == "A001"
    assert "id" not in snap["recent"][0]["ticket"]
