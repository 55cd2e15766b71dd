"""The /api/admin routes: users, devices, procedures, printer test, voice; bad input, roles, audit."""

from __future__ import annotations

import json
import time

import pytest

from core import events
from tests.faults.test_access import login

NEW = {"name": "lan", "role": "clerk", "password": "secret123"}


def err(r) -> str:
    assert r.status_code < 500
    return r.get_json()["error"]["code"]


def logged(onestop, kind: str) -> list[dict]:
    rows = onestop.store.reader().execute(
        "SELECT clerk, counter, data FROM events WHERE type = ? ORDER BY id", (kind,)
    )
    return [{"clerk": r[0], "counter": r[1], **json.loads(r[2] or "{}")} for r in rows]


def users_table(onestop) -> list:
    rows = onestop.store.reader().execute("SELECT name, role, active, password_hash FROM users")
    counters = onestop.store.reader().execute("SELECT * FROM user_counters ORDER BY 1, 2")
    return [tuple(r) for r in rows] + [tuple(r) for r in counters]


def test_add_a_clerk_restricted_to_counter_2_who_then_cannot_sign_in_at_1(client, auth, onestop):
    r = client.post("/api/admin/users", json={**NEW, "counters": [2]}, headers=auth["admin"])
    assert r.status_code == 201
    assert r.get_json()["user"] == {"name": "lan", "role": "clerk", "active": True, "counters": [2]}
    clerk = {"Authorization": f"Bearer {onestop.users.new_token('lan')}"}
    r = client.post("/api/counters/1/sign-in", headers=clerk)
    assert r.status_code == 403 and err(r) == "counter_not_allowed"
    assert "2" in r.get_json()["error"]["message"]
    assert client.post("/api/counters/2/sign-in", headers=clerk).status_code == 200
    # A clerk with no row may sign in anywhere (clerk1 of the fixture).
    assert client.post("/api/counters/3/sign-in", headers=auth["clerk"]).status_code == 200
    [audit] = logged(onestop, events.USER_CHANGED)
    assert audit["clerk"] == "admin1" and audit["name"] == "lan" and audit["change"] == "added"


def test_change_role_counters_and_lift_the_restriction(client, auth, onestop):
    client.post("/api/admin/users", json={**NEW, "counters": [2]}, headers=auth["admin"])
    r = client.post("/api/admin/users/lan", json={"role": "supervisor", "counters": []},
                    headers=auth["admin"])  # fmt: skip
    assert r.status_code == 200
    assert r.get_json()["user"] == {"name": "lan", "role": "supervisor", "active": True,
                                    "counters": []}  # fmt: skip
    listed = client.get("/api/admin/users", headers=auth["admin"]).get_json()["users"]
    assert {u["name"]: u["role"] for u in listed}["lan"] == "supervisor"
    assert logged(onestop, events.USER_CHANGED)[-1]["change"] == "counters,role"


def test_disabling_ends_sessions_and_tokens_and_enabling_lets_them_log_in_again(app, auth, onestop):
    onestop.users.add("lan", "clerk", "secret123")
    token = onestop.users.new_token("lan")
    browser = app.test_client()
    login(browser, "lan")
    assert browser.get("/api/counters").status_code == 200
    admin = app.test_client()
    r = admin.post("/api/admin/users/lan", json={"active": False}, headers=auth["admin"])
    assert r.status_code == 200 and r.get_json()["user"]["active"] is False
    assert browser.get("/api/counters").status_code == 401
    bearer = {"Authorization": f"Bearer {token}"}
    assert admin.get("/api/counters", headers=bearer).status_code == 401
    r = admin.post("/api/admin/users/lan", json={"active": True}, headers=auth["admin"])
    assert r.status_code == 200 and r.get_json()["user"]["active"] is True
    login(browser, "lan")
    assert browser.get("/api/counters").status_code == 200


def test_reset_password_ends_old_logins_and_the_new_one_works(app, auth, onestop):
    onestop.users.add("lan", "clerk", "secret123")
    browser = app.test_client()
    login(browser, "lan")
    r = app.test_client().post("/api/admin/users/lan/password", json={"password": "newpass99"},
                               headers=auth["admin"])  # fmt: skip
    assert r.status_code == 200
    assert browser.get("/api/counters").status_code == 401
    assert onestop.users.authenticate("lan", "newpass99") is not None
    assert onestop.users.authenticate("lan", "secret123") is None
    assert logged(onestop, events.USER_CHANGED)[-1]["change"] == "password"


@pytest.mark.parametrize("data,code", [
    ({**NEW, "name": ""}, "invalid_name"), ({**NEW, "name": "x" * 65}, "invalid_name"),
    ({**NEW, "name": 5}, "invalid_name"), ({**NEW, "role": "boss"}, "invalid_role"),
    ({**NEW, "role": None}, "invalid_role"), ({**NEW, "password": "short"}, "weak_password"),
    ({**NEW, "password": ["x"]}, "invalid_password"), ({**NEW, "counters": [99]}, "invalid_counters"),
    ({**NEW, "counters": "2"}, "invalid_counters"), ({**NEW, "counters": [True]}, "invalid_counters"),
    ({**NEW, "counters": [1.5]}, "invalid_counters"), ({"name": "lan"}, "invalid_role"),
    ({}, "invalid_name"), ({**NEW, "name": "admin1"}, "user_exists"),
])  # fmt: skip
def test_bad_new_users_are_refused_and_change_nothing(client, auth, onestop, data, code):
    before = users_table(onestop)
    r = client.post("/api/admin/users", json=data, headers=auth["admin"])
    assert 400 <= r.status_code < 500 and err(r) == code
    assert users_table(onestop) == before
    assert logged(onestop, events.USER_CHANGED) == []


@pytest.mark.parametrize("data,code", [
    ({}, "invalid_body"), ({"nickname": "x"}, "invalid_body"), ({"role": "boss"}, "invalid_role"),
    ({"active": "no"}, "invalid_active"), ({"active": 0}, "invalid_active"),
    ({"counters": [0]}, "invalid_counters"), ({"counters": None}, "invalid_counters"),
    ({"role": "clerk", "counters": [42]}, "invalid_counters"),
])  # fmt: skip
def test_bad_changes_are_refused_and_change_nothing(client, auth, onestop, data, code):
    before = users_table(onestop)
    r = client.post("/api/admin/users/clerk1", json=data, headers=auth["admin"])
    assert r.status_code == 400 and err(r) == code
    assert users_table(onestop) == before


def test_unknown_users_bad_bodies_and_own_account(client, auth, onestop):
    h = auth["admin"]
    assert (
        err(client.post("/api/admin/users/nobody", json={"role": "clerk"}, headers=h))
        == "unknown_user"
    )
    assert err(client.post("/api/admin/users/nobody/password", json={"password": "secret999"},
                           headers=h)) == "unknown_user"  # fmt: skip
    assert err(client.post("/api/admin/users/clerk1/password", json={"password": "abc"},
                           headers=h)) == "weak_password"  # fmt: skip
    before = users_table(onestop)
    assert (
        err(client.post("/api/admin/users/admin1", json={"active": False}, headers=h))
        == "own_account"
    )
    assert (
        err(client.post("/api/admin/users/admin1", json={"role": "clerk"}, headers=h))
        == "own_account"
    )
    r = client.post("/api/admin/users", data="name=x", headers={**h, "Content-Type": "text/plain"})
    assert r.status_code == 415
    r = client.post(
        "/api/admin/users", data="[1]", headers={**h, "Content-Type": "application/json"}
    )
    assert r.status_code == 400 and err(r) == "invalid_json"
    assert users_table(onestop) == before


def test_enrol_list_and_revoke_a_device(client, auth, onestop):
    h = auth["admin"]
    r = client.post("/api/admin/devices", json={"name": "tab-2", "kind": "tablet", "counter": 2},
                    headers=h)  # fmt: skip
    assert r.status_code == 201
    body = r.get_json()
    assert body["link"].endswith(f"/devices/enrol?token={body['token']}")
    assert body["qr_svg"].lstrip().startswith("<?xml") and "<svg" in body["qr_svg"]
    assert onestop.enrolled.for_token(body["token"])["name"] == "tab-2"
    listed = client.get("/api/admin/devices", headers=h).get_json()["devices"]
    assert [(d["name"], d["kind"], d["counter"], d["revoked_at"], d["connected"]) for d in listed] == [
        ("tab-2", "tablet", 2, None, False)]  # fmt: skip
    assert "token" not in listed[0] and "token_hash" not in listed[0]
    r = client.post("/api/admin/devices/tab-2/revoke", headers=h)
    assert r.status_code == 200 and r.get_json()["device"]["revoked_at"]
    assert onestop.enrolled.for_token(body["token"]) is None
    assert err(client.post("/api/admin/devices/tab-2/revoke", headers=h)) == "unknown_device"
    assert [(e["name"], e["counter"]) for e in logged(onestop, events.DEVICE_ENROLLED)] == [
        ("tab-2", 2)
    ]
    assert [e["clerk"] for e in logged(onestop, events.DEVICE_REVOKED)] == ["admin1"]


@pytest.mark.parametrize("data,code", [
    ({"name": "k", "kind": "toaster"}, "invalid_kind"), ({"name": "k"}, "invalid_kind"),
    ({"name": "", "kind": "kiosk"}, "invalid_name"), ({"name": 7, "kind": "kiosk"}, "invalid_name"),
    ({"name": "t", "kind": "tablet"}, "invalid_counter"),
    ({"name": "t", "kind": "tablet", "counter": 99}, "invalid_counters"),
    ({"name": "t", "kind": "tablet", "counter": "2"}, "invalid_counters"),
    ({"name": "k", "kind": "kiosk", "counter": 1}, "invalid_counter"),
])  # fmt: skip
def test_bad_devices_are_refused_and_change_nothing(client, auth, onestop, data, code):
    r = client.post("/api/admin/devices", json=data, headers=auth["admin"])
    assert r.status_code == 400 and err(r) == code
    assert onestop.enrolled.list() == []


def test_a_taken_device_name_is_a_conflict(client, auth, onestop):
    onestop.enrolled.add("kiosk-1", "kiosk")
    r = client.post(
        "/api/admin/devices", json={"name": "kiosk-1", "kind": "kiosk"}, headers=auth["admin"]
    )
    assert r.status_code == 409 and err(r) == "device_exists"


def test_procedures_list_today_numbers_and_retired_ones(client, auth, kiosk, onestop):
    kiosk.take_ticket("hotich")
    kiosk.take_ticket("hotich")
    r = client.get("/api/admin/procedures", headers=auth["admin"])
    procs = {p["code"]: p for p in r.get_json()["procedures"]}
    assert procs["hotich"]["last_today"] == 2 and procs["hotich"]["active"] is True
    assert procs["datdai"]["last_today"] is None
    with onestop.store.write() as conn:  # what a config without datdai leaves behind
        conn.execute("UPDATE services SET active = 0 WHERE code = 'datdai'")
    procs = client.get("/api/admin/procedures", headers=auth["admin"]).get_json()["procedures"]
    assert procs[-1]["code"] == "datdai" and procs[-1]["active"] is False


def test_printer_test_prints_through_the_worker_and_is_audited(tmp_path, clock, auth_for):
    app, onestop, h = auth_for({"type": "file", "path": "test.bin"})
    r = app.test_client().post("/api/admin/printer/test", headers=h)
    assert r.status_code == 200 and r.get_json()["printed"] is True
    assert (onestop.data_dir / "test.bin").stat().st_size > 100  # the ESC/POS bytes of the page
    assert logged(onestop, events.ADMIN_ACTION)[-1]["action"] == "printer_test"


def test_printer_test_without_a_printer_is_a_conflict(client, auth):
    r = client.post("/api/admin/printer/test", headers=auth["admin"])
    assert r.status_code == 409 and err(r) == "no_printer"


def test_voice_say_and_bad_input(client, auth):
    h = auth["admin"]
    r = client.post("/api/admin/voice/say", json={"number": "A001", "counter": 2}, headers=h)
    assert r.status_code == 200 and "A" in r.get_json()["text"] and "2" in r.get_json()["text"]
    r = client.post("/api/admin/voice/say", json={"number": "A001", "counter": 2.0}, headers=h)
    assert r.status_code == 200  # JSON's 2.0 is the integer 2
    for data, code in [({"number": "", "counter": 2}, "invalid_number"),
                       ({"number": "A001", "counter": 0}, "invalid_counter"),
                       ({"number": "A001", "counter": True}, "invalid_counter"),
                       ({"number": ["A"], "counter": 1}, "invalid_number"),
                       ({"number": "A" * 13, "counter": 1}, "invalid_number")]:  # fmt: skip
        r = client.post("/api/admin/voice/say", json=data, headers=h)
        assert r.status_code == 400 and err(r) == code, data


def test_voice_warm_without_engines_is_refused(client, auth):
    r = client.post("/api/admin/voice/warm", headers=auth["admin"])
    assert r.status_code == 409 and err(r) == "voice_off"
    state = client.get("/api/admin/voice/warm", headers=auth["admin"]).get_json()
    assert state == {"running": False, "done": 0, "total": 0, "report": None, "error": None}


def test_voice_warm_runs_in_the_background_with_progress(auth_for, onestop_voice_engine):
    app, onestop, h = auth_for(None, voice=onestop_voice_engine)
    c = app.test_client()
    r = c.post("/api/admin/voice/warm", headers=h)
    assert r.status_code == 202
    deadline = time.monotonic() + 60
    while (state := c.get("/api/admin/voice/warm", headers=h).get_json())["running"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert state["error"] is None and state["total"] > 0 and state["done"] == state["total"]
    assert state["report"]["needed"] > 0 and state["report"]["missing"] == 0
    assert logged(onestop, events.ADMIN_ACTION)[-1]["action"] == "voice_warm"


ADMIN_ROUTES = [
    ("GET", "/api/admin/users", None), ("POST", "/api/admin/users", NEW),
    ("POST", "/api/admin/users/clerk1", {"role": "admin"}),
    ("POST", "/api/admin/users/clerk1/password", {"password": "owned1234"}),
    ("GET", "/api/admin/devices", None), ("POST", "/api/admin/devices", {"name": "k", "kind": "kiosk"}),
    ("POST", "/api/admin/devices/k/revoke", None), ("GET", "/api/admin/procedures", None),
    ("POST", "/api/admin/printer/test", None), ("GET", "/api/admin/voice/warm", None),
    ("POST", "/api/admin/voice/warm", None), ("POST", "/api/admin/voice/say", {"number": "A1", "counter": 1}),
]  # fmt: skip


@pytest.mark.parametrize("method,path,data", ADMIN_ROUTES)
def test_only_admins_reach_the_admin_routes(client, auth, onestop, method, path, data):
    before = users_table(onestop), onestop.enrolled.list()
    assert client.open(path, method=method, json=data).status_code == 401
    for role in ("clerk", "supervisor"):
        r = client.open(path, method=method, json=data, headers=auth[role])
        assert r.status_code == 403 and err(r) == "forbidden", role
    assert (users_table(onestop), onestop.enrolled.list()) == before


def test_a_session_needs_the_csrf_token(app, auth, onestop):
    c = app.test_client()
    token = login(c, "admin1")
    assert c.post("/api/admin/users", json=NEW).status_code == 403
    assert c.post("/api/admin/users", json=NEW, headers={"X-CSRF-Token": token}).status_code == 201


def test_pages_are_for_admins(app, auth):
    c = app.test_client()
    r = c.get("/admin/users")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    login(c, "supervisor1")
    assert c.get("/admin/users").status_code == 403
    c = app.test_client()
    login(c, "admin1")
    assert c.get("/admin/").status_code == 302
    for slug in ("office", "procedures", "counters", "notices", "users", "devices",
                 "printer-voice", "history"):  # fmt: skip
        page = c.get(f"/admin/{slug}")
        assert page.status_code == 200 and 'data-page="' + slug + '"' in page.get_data(as_text=True)
    assert c.get("/admin/nothing").status_code == 404
    assert "Quản trị" in c.get("/admin/users").get_data(as_text=True)
    assert "Users" in c.get("/admin/users?lang=en").get_data(as_text=True)


def test_a_clerk_keeps_a_closed_counter_in_their_list(client, auth, onestop):
    got = client.get("/api/admin/config", headers=auth["admin"]).get_json()
    config = got["config"]
    config["counters"][2]["closed"] = True  # counter 3
    r = client.put("/api/admin/config", json={"config": config},
                   headers={**auth["admin"], "If-Match": str(got["version"])})  # fmt: skip
    assert r.status_code == 200
    r = client.post("/api/admin/users", json={**NEW, "counters": [3, 2]}, headers=auth["admin"])
    assert r.status_code == 201 and r.get_json()["user"]["counters"] == [2, 3]
    clerk = {"Authorization": f"Bearer {onestop.users.new_token('lan')}"}
    assert err(client.post("/api/counters/3/sign-in", headers=clerk)) == "unknown_counter"
    assert client.post("/api/counters/2/sign-in", headers=clerk).status_code == 200
