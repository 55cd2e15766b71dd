"""The dossier routes (server/dossiers_api.py): answers, every error, roles, nothing changed."""

import json

import pytest

PHONE = "0912345678"


@pytest.fixture
def held(kiosk, counter):
    """Counter 1 (clerk1's) holds a hotich ticket."""
    t = kiosk.take_ticket("hotich")
    counter.next(1)
    return t


def state(onestop) -> tuple:
    conn = onestop.store.reader()
    return tuple(
        conn.execute(f"SELECT COUNT(*), MAX(rowid) FROM {t}").fetchone()[:]
        for t in ("dossiers", "dossier_contacts", "events", "tickets")
    ) + (conn.execute("SELECT group_concat(code || status || due) FROM dossiers").fetchone()[0],)


def post(client, url, auth, **kwargs):
    return client.post(url, headers=auth, **kwargs)


def record(client, auth, **body):
    return post(client, "/api/counters/1/dossiers", auth["clerk"],
                json={"code": "HS-000001", "due": "2026-12-05", **body})  # fmt: skip


def test_record_get_and_list(client, auth, held):
    r = record(client, auth, phone="0912 345 678", consent=True)
    assert r.status_code == 201, r.get_json()
    d = r.get_json()["dossier"]
    assert d["code"] == "HS-000001" and d["ticket_number"] == held["number"]
    assert d["has_contact"] is True and d["status"] == "received" and d["clerk"] == "clerk1"
    assert PHONE[1:] not in r.get_data(as_text=True)
    got = client.get("/api/dossiers/hs-000001", headers=auth["clerk"])
    assert got.status_code == 200 and got.get_json()["dossier"] == d
    page = client.get("/api/dossiers?day=2026-11-30&status=received", headers=auth["clerk"])
    assert page.get_json() == {"dossiers": [d], "total": 1, "limit": 100, "offset": 0}
    assert client.get("/api/dossiers?status=ready", headers=auth["clerk"]).get_json()["total"] == 0
    assert PHONE[1:] not in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"due": "2026-12-05"}, 400, "missing_code"),
        ({"code": "HS-000001"}, 400, "missing_due"),
        ({"code": "HS-000001", "due": "2026-12-05", "colour": "red"}, 400, "unknown_field"),
        ({"code": "H$", "due": "2026-12-05"}, 400, "bad_code"),
        ({"code": "HS-000001", "due": "2026-13-01"}, 400, "bad_due"),
        ({"code": "HS-000001", "due": "2026-11-01"}, 400, "bad_due"),
        ({"code": "HS-000001", "due": "2026-12-05", "phone": PHONE}, 400, "consent_required"),
        ({"code": "HS-000001", "due": "2026-12-05", "phone": "12", "consent": True}, 400,
         "bad_phone"),
        ({"code": "HS-000001", "due": "2026-12-05", "service": "nope"}, 404, "unknown_service"),
        ({"code": ["HS-000001"], "due": "2026-12-05"}, 400, "bad_code"),
    ],
)  # fmt: skip
def test_record_errors_change_nothing(client, auth, onestop, held, body, status, code):
    before = state(onestop)
    r = post(client, "/api/counters/1/dossiers", auth["clerk"], json=body)
    assert (r.status_code, r.get_json()["error"]["code"]) == (status, code)
    assert r.get_json()["error"]["message"]
    assert state(onestop) == before


def test_record_conflicts_roles_and_malformed_bodies(client, auth, onestop, held):
    assert record(client, auth).status_code == 201
    before = state(onestop)
    r = record(client, auth, code="hs-000001")
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "duplicate_code")
    r = post(client, "/api/counters/1/dossiers", auth["clerk"], data="{nope",
             content_type="application/json")  # fmt: skip
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "invalid_json")
    r = post(client, "/api/counters/1/dossiers", auth["clerk"], data="code=X",
             content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert r.status_code == 415
    r = client.post("/api/counters/1/dossiers", json={"code": "HS-000002", "due": "2026-12-05"})
    assert r.status_code == 401
    r = post(client, "/api/counters/2/dossiers", auth["clerk"],
             json={"code": "HS-000002", "due": "2026-12-05"})  # fmt: skip
    assert (r.status_code, r.get_json()["error"]["code"]) == (403, "wrong_counter")
    r = post(client, "/api/counters/99/dossiers", auth["clerk"],
             json={"code": "HS-000002", "due": "2026-12-05"})  # fmt: skip
    assert r.status_code == 404
    r = post(client, "/api/counters/2/dossiers", auth["supervisor"],
             json={"code": "HS-000002", "due": "2026-12-05"})  # fmt: skip
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "no_ticket")
    assert state(onestop) == before  # a refused override is not logged either


def test_status_and_correct(client, auth, onestop, held):
    record(client, auth)
    r = post(client, "/api/dossiers/HS-000001/status", auth["clerk"], json={"status": "ready"})
    assert r.status_code == 200 and r.get_json()["dossier"]["ready_at"]
    before = state(onestop)
    for body, status, code in [
        ({"status": "received"}, 409, "bad_transition"),
        ({"status": "done"}, 400, "bad_status"),
        ({"status": 3}, 400, "bad_status"),
        ({}, 400, "missing_status"),
        ({"status": "ready", "by": "me"}, 400, "unknown_field"),
    ]:
        r = post(client, "/api/dossiers/HS-000001/status", auth["clerk"], json=body)
        assert (r.status_code, r.get_json()["error"]["code"]) == (status, code), body
    r = post(client, "/api/dossiers/HS-404/status", auth["clerk"], json={"status": "ready"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (404, "unknown_dossier")
    r = post(client, "/api/dossiers/HS-000001/correct", auth["clerk"],
             json={"field": "due", "value": "2026-11-01"})  # fmt: skip
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "bad_due")
    r = post(client, "/api/dossiers/HS-000001/correct", auth["clerk"], json={"field": "due"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "missing_value")
    assert state(onestop) == before
    r = post(client, "/api/dossiers/HS-000001/correct", auth["clerk"],
             json={"field": "code", "value": "HS-000002"})  # fmt: skip
    assert r.status_code == 200 and r.get_json()["dossier"]["code"] == "HS-000002"
    assert client.get("/api/dossiers/HS-000001", headers=auth["clerk"]).status_code == 404
    assert (
        client.post("/api/dossiers/HS-000002/status", json={"status": "returned"}).status_code
        == 401
    )


def test_list_rejects_bad_queries(client, auth):
    for query, code in [("day=yesterday", "bad_day"), ("status=lost", "bad_status"),
                        ("limit=0", "bad_limit"), ("limit=x", "bad_limit"),
                        ("offset=-1", "bad_offset"), ("limit=501", "bad_limit")]:  # fmt: skip
        r = client.get(f"/api/dossiers?{query}", headers=auth["clerk"])
        assert (r.status_code, r.get_json()["error"]["code"]) == (400, code), query
    assert client.get("/api/dossiers").status_code == 401


def test_contact_is_for_supervisors_and_logged(client, auth, onestop, held):
    record(client, auth, phone=PHONE, consent=True, notify_near=True)
    r = client.get("/api/dossiers/HS-000001/contact", headers=auth["clerk"])
    assert r.status_code == 403
    r = client.get("/api/dossiers/HS-000001/contact", headers=auth["supervisor"])
    assert r.status_code == 200
    c = r.get_json()["contact"]
    assert c["phone"] == PHONE and c["notify_near"] is True and c["delete_after"] == "2027-02-28"
    rows = (
        onestop.store.reader()
        .execute("SELECT clerk, data FROM events WHERE type = 'contact_read'")
        .fetchall()
    )
    assert [(r[0], json.loads(r[1])) for r in rows] == [
        ("supervisor1", {"code": "HS-000001", "purpose": "staff"})]  # fmt: skip
    r = client.get("/api/dossiers/HS-404/contact", headers=auth["supervisor"])
    assert (r.status_code, r.get_json()["error"]["code"]) == (404, "unknown_dossier")


def test_advice_only(client, auth, onestop, held):
    r = post(client, "/api/counters/1/advice-only", auth["clerk"])
    assert r.status_code == 200 and r.get_json()["ticket"]["id"] == held["id"]
    r = post(client, "/api/counters/2/advice-only", auth["supervisor"])
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "no_ticket")


def test_services_say_the_kind(client):
    kinds = {s["code"]: s["kind"] for s in client.get("/api/services").get_json()["services"]}
    assert kinds.pop("traketqua") == "return" and set(kinds.values()) == {"normal"}


def test_returns_at_the_kiosk(client, auth, onestop, held):
    record(client, auth)
    r = client.post(
        "/api/returns", json={"code": "hs-000001"}, headers={"Idempotency-Key": "k-00000001"}
    )
    assert r.status_code == 409
    body = r.get_json()
    assert body["error"]["code"] == "not_ready" and body["due"] == "2026-12-05"
    r = client.post("/api/returns", json={"code": "HS-999999"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (404, "unknown_dossier")
    post(client, "/api/dossiers/HS-000001/status", auth["clerk"], json={"status": "ready"})
    before = state(onestop)
    for body, key, status, code in [
        ({}, None, 400, "missing_code"), ({"code": "HS-000001", "x": 1}, None, 400, "unknown_field"),
        ({"code": "HS-000001"}, "short", 400, "invalid_key"),
        ({"code": "HS-000001", "kiosk": 5}, None, 400, "invalid_kiosk"),
    ]:  # fmt: skip
        headers = {"Idempotency-Key": key} if key else {}
        r = client.post("/api/returns", json=body, headers=headers)
        assert (r.status_code, r.get_json()["error"]["code"]) == (status, code), body
    assert state(onestop) == before
    r = client.post(
        "/api/returns", json={"code": "HS-000001"}, headers={"Idempotency-Key": "k-00000002"}
    )
    assert r.status_code == 201
    t = r.get_json()["ticket"]
    assert t["number"] == "R001" and t["url"].startswith("http")
    again = client.post("/api/returns", json={"code": "HS-000001"},
                        headers={"Idempotency-Key": "k-00000002"})  # fmt: skip
    assert again.status_code == 200 and again.get_json()["ticket"]["id"] == t["id"]
    remote = client.post("/api/returns", json={"code": "HS-000001"},
                         environ_overrides={"REMOTE_ADDR": "10.0.0.9"})  # fmt: skip
    assert remote.status_code == 401
    onestop.sign_ins.sign_in(onestop.users.get("clerk1")["id"], 2)
    called = post(client, "/api/counters/2/next", auth["clerk"]).get_json()["ticket"]
    assert called["id"] == t["id"]
    post(client, "/api/counters/2/finish", auth["clerk"])
    d = client.get("/api/dossiers/HS-000001", headers=auth["clerk"]).get_json()["dossier"]
    assert d["status"] == "returned" and d["return_number"] == "R001"
    r = client.post("/api/returns", json={"code": "HS-000001"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "already_returned")


def test_enrolled_kiosk_is_recorded_as_itself(client, auth, onestop, held):
    record(client, auth)
    post(client, "/api/dossiers/HS-000001/status", auth["clerk"], json={"status": "ready"})
    _, token = onestop.enrolled.add("kiosk-hall", "kiosk", None)
    r = client.post("/api/returns", json={"code": "HS-000001", "kiosk": "forged"},
                    headers={"Authorization": f"Bearer {token}"},
                    environ_overrides={"REMOTE_ADDR": "10.0.0.9"})  # fmt: skip
    assert r.status_code == 201 and r.get_json()["ticket"]["kiosk"] == "kiosk-hall"


def test_every_status_has_a_name_in_both_languages():
    from core.shapes import DOSSIER_STATUSES
    from server import i18n

    cat = i18n.catalogue()
    for lang in i18n.LANGS:
        names = [cat.strings[lang].get(f"dossier.status.{s}") for s in DOSSIER_STATUSES]
        assert all(names) and len(set(names)) == len(names), (lang, names)
    assert cat.strings["vi"]["dossier.status.ready"] == "Đã có kết quả"
