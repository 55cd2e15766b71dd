"""The outbox and its worker with a recording gateway: consent, once per purpose, retries,
alerts, the supervisor's retry, health, privacy (no number in logs, purge)."""

from __future__ import annotations

import logging
import time

import pytest

import sms
from core import events
from sms.gateways import GatewayError, RecordingGateway
from sms.texts import to_ascii
from tests.helpers import Clock
from tests.sms.conftest import PHONE, add_dossier, close, make_app, ready, rows


def supervisor(ext) -> dict:
    ext.users.add("sup1", "supervisor", "secret123")
    return {"Authorization": f"Bearer {ext.users.new_token('sup1')}"}


def test_ready_with_consent_sends_once_without_diacritics(ext, worker, gateway):
    add_dossier(ext, "HS-2026.0001")
    ready(ext, "HS-2026.0001")
    ready(ext, "HS-2026.0001")  # ready again (after more documents, say): still one message
    assert worker.wait_idle()
    name = ext.settings["office"]["name"]
    assert gateway.sent == [
        (PHONE, f"Ket qua ho so HS-2026.0001 da co. Moi ong/ba den nhan tai {to_ascii(name)},"
                " mang theo giay tiep nhan ho so.")
    ]  # fmt: skip
    (row,) = rows(ext)
    assert row["state"] == "sent" and row["purpose"] == "ready" and row["tries"] == 0
    assert row["phone"] == ""  # kept only until sent


def test_no_consent_no_contact_or_other_status_sends_nothing(ext, worker, gateway):
    add_dossier(ext, "NOCONSENT1", consent=False)
    add_dossier(ext, "NOPHONE001", phone=None)
    add_dossier(ext, "NOTREADY01")
    ready(ext, "NOCONSENT1")
    ready(ext, "NOPHONE001")
    ready(ext, "UNKNOWN001")
    worker.on_event(
        worker_status_name(),
        events.Logged(None, "", {"code": "NOTREADY01", "status": "in_progress"}),
    )
    assert worker.wait_idle()
    assert gateway.sent == [] and rows(ext) == []


def worker_status_name() -> str:
    from sms.worker import DOSSIER_STATUS

    return DOSSIER_STATUS


def test_unicode_when_ascii_is_off(tmp_path):
    gateway = RecordingGateway()
    app = make_app(tmp_path, gateway, ascii=False)
    ext = app.extensions["onestop"]
    try:
        add_dossier(ext, "HS000002")
        ready(ext, "HS000002")
        assert ext.devices.sms.wait_idle()
        assert gateway.sent[0][1].startswith("Kết quả hồ sơ HS000002 đã có. Mời ông/bà")
    finally:
        close(app)


def test_temporary_errors_are_retried_then_sent(tmp_path):
    gateway = RecordingGateway([GatewayError("busy"), GatewayError("busy"), None])
    app = make_app(tmp_path, gateway, max_tries=5)
    ext = app.extensions["onestop"]
    try:
        add_dossier(ext, "RETRY0001")
        ready(ext, "RETRY0001")
        deadline = time.monotonic() + 10
        while not gateway.sent and time.monotonic() < deadline:
            time.sleep(0.02)
        assert gateway.calls == 3 and len(gateway.sent) == 1
        (row,) = rows(ext)
        assert row["state"] == "sent" and row["tries"] == 2
    finally:
        close(app)


def test_given_up_is_an_alert_kept_and_retried_by_a_supervisor(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    gateway = RecordingGateway([GatewayError("refused", temporary=False)])
    app = make_app(tmp_path, gateway)
    ext, client = app.extensions["onestop"], app.test_client()
    try:
        add_dossier(ext, "FAIL00001")
        ready(ext, "FAIL00001")
        deadline = time.monotonic() + 10
        while rows(ext)[0]["state"] != "failed" and time.monotonic() < deadline:
            time.sleep(0.02)
        ext.queue.drain()
        (row,) = rows(ext)
        assert row["state"] == "failed" and row["tries"] == 1 and row["phone"] == PHONE
        alert = (
            ext.store.reader()
            .execute("SELECT data FROM events WHERE type = ?", (events.SMS_FAILED,))
            .fetchone()
        )
        assert alert is not None and PHONE not in alert["data"] and "FAIL00001" in alert["data"]
        health = client.get("/api/health").get_json()["checks"]["sms"]
        assert health["status"] == "degraded" and health["failed"] == 1
        headers = supervisor(ext)
        live = client.get("/api/reports/live", headers=headers).get_json()
        assert events.SMS_FAILED in [a["type"] for a in live["alerts"]]
        listed = client.get("/api/sms?state=failed", headers=headers).get_json()["sms"]
        assert [s["id"] for s in listed] == [row["id"]] and listed[0]["phone"] == "•••567"
        r = client.post(f"/api/sms/{row['id']}/retry", headers=headers)
        assert r.status_code == 200, r.get_json()
        assert ext.devices.sms.wait_idle()
        assert gateway.sent == [(PHONE, row["text"])] and rows(ext)[0]["state"] == "sent"
        again = client.post(f"/api/sms/{row['id']}/retry", headers=headers)
        assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_failed"
        assert client.post("/api/sms/999/retry", headers=headers).status_code == 404
        assert client.get("/api/sms?state=nope", headers=headers).status_code == 400
    finally:
        close(app)
    assert PHONE not in caplog.text and "901234567" not in caplog.text


def test_max_tries_of_temporary_errors_fail(tmp_path):
    gateway = RecordingGateway([GatewayError("down")] * 3)
    app = make_app(tmp_path, gateway, max_tries=3)
    ext = app.extensions["onestop"]
    try:
        add_dossier(ext, "DOWN00001")
        ready(ext, "DOWN00001")
        deadline = time.monotonic() + 10
        while rows(ext)[0]["state"] != "failed" and time.monotonic() < deadline:
            time.sleep(0.02)
        row = rows(ext)[0]
        assert row["state"] == "failed" and row["tries"] == 3 and gateway.calls == 3
        assert row["error"] == "down"
    finally:
        close(app)


def test_none_gateway_keeps_messages_queued_and_says_so(tmp_path):
    app = make_app(tmp_path)  # the demo's default: [sms] gateway = "none"
    ext = app.extensions["onestop"]
    try:
        add_dossier(ext, "QUEUED001")
        ready(ext, "QUEUED001")
        ext.queue.drain()
        assert [r["state"] for r in rows(ext)] == ["queued"]
        health = app.test_client().get("/api/health").get_json()["checks"]["sms"]
        assert health["status"] == "not_configured" and health["message"] == "no gateway"
        assert health["queued"] == 1
    finally:
        close(app)


def test_near_once_when_few_enough_are_ahead(tmp_path):
    gateway = RecordingGateway()
    app = make_app(tmp_path, gateway, clock=Clock(), near_ahead=2)  # office hours
    ext = app.extensions["onestop"]
    queue = ext.queue
    try:
        ahead = [queue.issue("hotich")[0] for _ in range(4)]
        mine = queue.issue("hotich")[0]
        add_dossier(ext, "NEAR00001", near=True, ticket=mine.id)
        add_dossier(ext, "NEAR00002", near=False, ticket=queue.issue("hotich")[0].id)
        counter = next(c.number for c in ext.settings.office.counters if "hotich" in c.services)
        queue.next(counter)  # 3 ahead: not yet
        ext.devices.sms.wait_idle()
        assert gateway.sent == []
        queue.next(counter)  # 2 ahead: now
        queue.next(counter)  # 1 ahead: not again
        assert ext.devices.sms.wait_idle()
        assert len(gateway.sent) == 1, gateway.sent
        phone, text = gateway.sent[0]
        assert phone == PHONE and f"so {mine.number}" in text and "con 2 nguoi" in text
        assert [(r["code"], r["purpose"]) for r in rows(ext)] == [("NEAR00001", "near")]
        assert len(ahead) == 4
    finally:
        close(app)


def test_purge_blanks_numbers_after_the_retention(ext, worker):
    now = time.time()
    with ext.store.write() as conn:
        for code, state, age_days in (("OLDFAIL1", "failed", 31), ("OLDQUEUE", "queued", 40),
                                      ("NEWFAIL1", "failed", 2)):  # fmt: skip
            conn.execute(
                "INSERT INTO sms_outbox (code, purpose, phone, text, state, tries, next_at,"
                " created_at) VALUES (?, 'ready', ?, 'x', ?, 1, ?, ?)",
                (code, PHONE, state, now + 3600, now - age_days * 86400),
            )
        assert sms.purge(conn, now, keep_days=30) == 2
    got = {r["code"]: r for r in rows(ext)}
    assert got["OLDFAIL1"]["phone"] == "" and got["OLDFAIL1"]["state"] == "failed"
    assert got["OLDQUEUE"]["phone"] == "" and got["OLDQUEUE"]["state"] == "failed"
    assert got["OLDQUEUE"]["error"] == "expired"
    assert got["NEWFAIL1"]["phone"] == PHONE
    with ext.store.write() as conn:
        assert sms.purge(conn, now, keep_days=30) == 0


@pytest.mark.parametrize(
    "text, plain",
    [("Kết quả hồ sơ đã có", "Ket qua ho so da co"), ("ĐẶNG Thị Ữ… – x", "DANG Thi U... - x")],
)
def test_to_ascii(text, plain):
    assert to_ascii(text) == plain
