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
from tests.sms.conftest import PHONE, add_dossier, close, make_app, ready, rows, wait_for


def supervisor(ext) -> dict:
    ext.users.add("sup1", "supervisor", "secret123")
    return {"Authorization": f"Bearer {ext.users.new_token('sup1')}"}


def test_ready_with_consent_sends_once_without_diacritics(ext, worker, gateway):
    add_dossier(ext, "HS-2026.0001")
    ready(ext, "HS-2026.0001")
    ext.dossiers.set_status("HS-2026.0001", "in_progress")  # marked ready by mistake
    ready(ext, "HS-2026.0001")  # ready again: still one message
    assert worker.wait_idle()
    name = ext.settings["office"]["name"]
    assert gateway.sent == [
        (PHONE, f"Ket qua ho so HS-2026.0001 da co. Moi ong/ba den nhan tai {to_ascii(name)},"
                " mang theo giay tiep nhan ho so.")
    ]  # fmt: skip
    (row,) = rows(ext)
    assert row["state"] == "sent" and row["purpose"] == "ready" and row["tries"] == 0
    assert row["phone"] == ""  # kept only until sent


def test_no_number_or_another_status_sends_nothing(ext, worker, gateway):
    add_dossier(ext, "NOPHONE001", phone=None)
    add_dossier(ext, "NOTREADY01")
    ready(ext, "NOPHONE001")
    ext.dossiers.set_status("NOTREADY01", "in_progress")
    ext.dossiers.set_status("NOTREADY01", "more_needed")
    assert worker.wait_idle()
    assert gateway.sent == [] and rows(ext) == []


def test_reading_the_number_is_logged(ext, worker):
    add_dossier(ext, "LOGGED0001")
    ready(ext, "LOGGED0001")
    assert worker.wait_idle()
    reads = (
        ext.store.reader()
        .execute("SELECT data FROM events WHERE type = ?", (events.CONTACT_READ,))
        .fetchall()
    )
    assert [r["data"] for r in reads] == ['{"code": "LOGGED0001", "purpose": "sms"}']


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
        assert wait_for(lambda: [r["state"] for r in rows(ext)] == ["sent"])
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

        def alert():
            sql = "SELECT data FROM events WHERE type = ?"
            return ext.store.reader().execute(sql, (events.SMS_FAILED,)).fetchone()

        assert wait_for(lambda: alert() is not None)
        (row,) = rows(ext)
        assert row["state"] == "failed" and row["tries"] == 1 and row["phone"] == PHONE
        assert PHONE not in alert()["data"] and "FAIL00001" in alert()["data"]
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
        assert wait_for(lambda: [r["state"] for r in rows(ext)] == ["failed"])
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
    app = make_app(tmp_path, gateway, near_ahead=2)
    ext = app.extensions["onestop"]
    queue = ext.queue
    try:
        add_dossier(ext, "NEAR00001", near=True)
        add_dossier(ext, "NEAR00002", near=False)
        for _ in range(4):
            queue.issue("traketqua")
        for code in ("NEAR00001", "NEAR00002"):
            ready(ext, code)
        mine = ext.dossiers.issue_return("NEAR00001")
        ext.dossiers.issue_return("NEAR00002")

        def near() -> list[dict]:
            assert ext.devices.sms.wait_idle()
            return [r for r in rows(ext) if r["purpose"] == "near"]

        queue.next(2)  # 3 ahead: not yet
        assert near() == []
        queue.next(2)  # 2 ahead: now
        queue.next(2)  # 1 ahead: not again
        (row,) = near()
        assert row["code"] == "NEAR00001" and row["state"] == "sent"
        texts = [text for phone, text in gateway.sent if phone == PHONE]
        assert any(f"so {mine.number}" in t and "con 2 nguoi" in t for t in texts), texts
        assert len(gateway.sent) == 3  # two "ready" messages and one "near"
    finally:
        close(app)


def test_purge_blanks_numbers_with_the_contacts_or_after_the_cap(ext, worker):
    now = time.time()
    add_dossier(ext, "KEPT00001")  # its contact is kept: so is the outbox's copy
    with ext.store.write() as conn:
        for code, state, age_days in (("KEPT00001", "failed", 2), ("GONE00001", "failed", 2),
                                      ("GONE00002", "queued", 1), ("KEPT00001", "queued", 91)):  # fmt: skip
            conn.execute(
                "INSERT INTO sms_outbox (code, purpose, phone, text, state, tries, next_at,"
                " created_at) VALUES (?, ?, ?, 'x', ?, 1, ?, ?)",
                (code, "near" if age_days > 90 else "ready", PHONE, state, now + 3600,
                 now - age_days * 86400),
            )  # fmt: skip
        assert sms.purge(conn, now, keep_days=90) == 3
    got = {(r["code"], r["purpose"]): r for r in rows(ext)}
    assert got["KEPT00001", "ready"]["phone"] == PHONE
    assert (
        got["GONE00001", "ready"]["phone"] == "" and got["GONE00001", "ready"]["state"] == "failed"
    )
    assert got["GONE00002", "ready"]["phone"] == ""
    assert got["GONE00002", "ready"]["state"] == "failed"
    assert got["GONE00002", "ready"]["error"] == "expired"
    assert got["KEPT00001", "near"]["phone"] == ""  # older than the cap
    with ext.store.write() as conn:
        assert sms.purge(conn, now, keep_days=90) == 0


def test_the_nightly_purge_of_contacts_takes_the_outbox_copies(tmp_path):
    app = make_app(tmp_path)  # gateway none: the message stays queued with its number
    ext = app.extensions["onestop"]
    try:
        add_dossier(ext, "NIGHT0001")
        ready(ext, "NIGHT0001")
        ext.queue.drain()
        assert rows(ext)[0]["phone"] == PHONE
        assert ext.dossiers.purge(time.time() + 200 * 86400) == 1
        row = rows(ext)[0]
        assert row["phone"] == "" and row["state"] == "failed" and row["error"] == "expired"
        db = (ext.data_dir / "onestop.db").read_bytes()
        wal = ext.data_dir / "onestop.db-wal"
        assert PHONE.encode() not in db
        assert not wal.exists() or PHONE.encode() not in wal.read_bytes()
    finally:
        close(app)


@pytest.mark.parametrize(
    "text, plain",
    [("Kết quả hồ sơ đã có", "Ket qua ho so da co"), ("ĐẶNG Thị Ữ… – x", "DANG Thi U... - x")],
)
def test_to_ascii(text, plain):
    assert to_ascii(text) == plain


def test_a_message_no_longer_true_is_cancelled_and_queued_again_when_true(tmp_path):
    clock = Clock()  # the retry's wait passes when the test says so
    gateway = RecordingGateway([GatewayError("busy")])
    app = make_app(tmp_path, gateway, clock=clock, retry_s=60)
    ext = app.extensions["onestop"]
    worker = ext.devices.sms
    try:
        add_dossier(ext, "MISTAKE01")
        ready(ext, "MISTAKE01")
        assert wait_for(lambda: [r["tries"] for r in rows(ext)] == [1])  # waits 60 s
        ext.dossiers.set_status("MISTAKE01", "in_progress")  # it was marked ready by mistake
        clock.advance(61)
        worker.wake.set()
        assert wait_for(lambda: [r["state"] for r in rows(ext)] == ["cancelled"])
        assert gateway.sent == [] and gateway.calls == 1 and rows(ext)[0]["phone"] == ""
        ready(ext, "MISTAKE01")  # ready for real now: the same row, queued again
        assert worker.wait_idle()
        (row,) = rows(ext)
        assert row["state"] == "sent" and row["tries"] == 0
        assert [phone for phone, _ in gateway.sent] == [PHONE]
    finally:
        close(app)
