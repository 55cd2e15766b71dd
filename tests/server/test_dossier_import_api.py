"""POST /api/dossiers/import and `flask dossiers import`: the three formats, every refusal, roles."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook

from core import dossier_import as DI
from core import events as E

CODES = ("HS-000001", "HS-000002", "HS-000003")
XLSX = DI.XLSX_TYPE


@pytest.fixture
def filed(client, auth, kiosk, counter):
    """Three dossiers recorded at counter 1, as the clerk does it."""
    for code in CODES:
        kiosk.take_ticket("hotich")
        counter.next(1)
        r = client.post("/api/counters/1/dossiers", headers=auth["clerk"],
                        json={"code": code, "due": "2026-12-05"})  # fmt: skip
        assert r.status_code == 201, r.get_json()
        assert counter.post(1, "finish").status_code == 200
    return CODES


def statuses(onestop) -> dict:
    return dict(onestop.store.reader().execute("SELECT code, status FROM dossiers"))


def state(onestop) -> tuple:
    conn = onestop.store.reader()
    return (statuses(onestop), conn.execute("SELECT COUNT(*), MAX(id) FROM events").fetchone()[:])


def send(client, auth, data: bytes | str, mimetype="text/csv", who="supervisor"):
    if isinstance(data, str):
        data = data.encode()
    return client.post("/api/dossiers/import", data=data, content_type=mimetype,
                       headers=auth[who] if who else {})  # fmt: skip


def xlsx(rows) -> bytes:
    book = Workbook()
    for r in rows:
        book.active.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_csv_in_vietnamese_applies_every_row_and_logs_them(client, auth, onestop, filed):
    data = "\ufeffMã hồ sơ;Trạng thái;Thời gian\nHS-000001;Đang xử lý;30/11/2026 09:00\n" \
           "hs-000002;Đã có kết quả;\nHS-000003;Từ chối;\n"  # fmt: skip
    r = send(client, auth, data)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"applied": 3, "rows": 3, "skipped": 0, "unknown": []}
    assert statuses(onestop) == {"HS-000001": "in_progress", "HS-000002": "ready",
                                 "HS-000003": "rejected"}  # fmt: skip
    logged = (
        onestop.store.reader()
        .execute("SELECT data, clerk FROM events WHERE type = ? ORDER BY id", (E.DOSSIER_STATUS,))
        .fetchall()
    )
    assert [json.loads(d)["source"] for d, _ in logged] == ["import"] * 3
    assert {c for _, c in logged} == {"supervisor1"}
    again = send(client, auth, data)  # the same file twice changes nothing more
    assert again.get_json()["applied"] == 0


def test_xlsx_and_json(client, auth, onestop, filed):
    r = send(client, auth, xlsx([["code", "status"], ["HS-000001", "ready"]]), XLSX)
    assert r.status_code == 200 and r.get_json()["applied"] == 1
    body = {"rows": [{"code": "HS-000001", "status": "returned", "at": "2026-11-30T10:00:00+07:00"},
                     {"code": "HS-000002", "status": "Đã có kết quả"}]}  # fmt: skip
    r = send(client, auth, json.dumps(body), "application/json")
    assert r.status_code == 200 and r.get_json()["applied"] == 2
    assert statuses(onestop)["HS-000001"] == "returned"


@pytest.mark.parametrize(
    "data,mimetype,row,reason",
    [
        ("code,status\nHS-000001,ready\nHS-000002,Đã xong\n", "text/csv", 3, "unknown_status"),
        ("code,status\n" + "x" * 65 + ",ready\n", "text/csv", 2, "bad_code"),
        ("code,status,at\nHS-000001,ready,hôm qua\n", "text/csv", 2, "bad_time"),
        ("ma,tt\nHS-000001,ready\n", "text/csv", 1, "missing_column"),
        (b"code,status\nHS-000001,ready\nHS\xff,ready\n", "text/csv", 3, "not_utf8"),
        ("", "text/csv", 1, "missing_column"),
        ("code,status\n", "text/csv", None, "no_rows"),
        (b"PK\x03\x04garbage", XLSX, None, "not_xlsx"),
        ('{"rows": [{"code": "HS-000001", "status": "ready"}, {"code": 7}]}', "application/json",
         2, "bad_json"),
        ('{"rows": [', "application/json", None, "bad_json"),
        ('[{"code": "HS-000001", "status": "ready"}]', "application/json", None, "bad_json"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_at_its_row_and_changes_nothing(
    client, auth, onestop, filed, data, mimetype, row, reason
):
    before = state(onestop)
    r = send(client, auth, data, mimetype)
    assert r.status_code == 400, r.get_json()
    err = r.get_json()["error"]
    assert (err["code"], err["row"], err["reason"]) == ("bad_row", row, reason)
    assert "Không có thay đổi nào được lưu" in err["message"]
    if row:
        assert err["message"].startswith(f"Dòng {row}:")
    assert state(onestop) == before


def test_a_step_the_status_table_forbids_is_a_409_and_changes_nothing(client, auth, onestop, filed):
    before = state(onestop)
    r = send(client, auth, "code,status\nHS-000001,ready\nHS-000002,ready\nHS-000001,rejected\n")
    assert r.status_code == 409
    err = r.get_json()["error"]
    assert (err["code"], err["row"], err["reason"], err["detail"]) == ("bad_row", 4, "bad_transition", "HS-000001")  # fmt: skip
    assert err["message"] == (
        "Dòng 4: hồ sơ HS-000001 không chuyển được sang trạng thái này. Không có thay đổi nào được lưu."
    )
    assert state(onestop) == before


def test_codes_this_office_never_recorded_are_skipped_and_reported(client, auth, onestop, filed):
    data = "code,status\nHS-999999,ready\nHS-000001,ready\nhs-888888,Từ chối\n"
    r = send(client, auth, data)
    assert r.status_code == 200
    assert r.get_json() == {"applied": 1, "rows": 3, "skipped": 2, "unknown": [
        {"row": 2, "code": "HS-999999"}, {"row": 4, "code": "HS-888888"}]}  # fmt: skip
    assert statuses(onestop)["HS-000001"] == "ready"
    assert onestop.store.reader().execute("SELECT COUNT(*) FROM dossiers").fetchone()[0] == 3


def test_refusal_in_english_when_asked(client, auth, onestop, filed):
    r = client.post("/api/dossiers/import?lang=en", data="code,status\nHS-000001,done\n",
                    content_type="text/csv", headers={**auth["supervisor"], "Accept-Language": "en"})  # fmt: skip
    assert r.get_json()["error"]["message"] == (
        "Row 2: unknown status (done). Nothing was changed."
    )


def test_media_type_size_and_roles(client, auth, onestop, filed, monkeypatch):
    before = state(onestop)
    r = send(client, auth, "code,status\nHS-000001,ready\n", "text/plain")
    assert (r.status_code, r.get_json()["error"]["code"]) == (415, "unsupported_media_type")
    r = send(client, auth, "code=HS-000001", "application/x-www-form-urlencoded")
    assert r.status_code == 415
    monkeypatch.setattr(DI, "MAX_BYTES", 1000)
    r = send(client, auth, "code,status\n" + "HS-000001,ready\n" * 100)
    assert r.status_code == 413 and r.get_json()["error"]["reason"] == "too_large"
    monkeypatch.undo()
    assert send(client, auth, "code,status\nHS-000001,ready\n", who=None).status_code == 401
    assert send(client, auth, "code,status\nHS-000001,ready\n", who="clerk").status_code == 403
    assert state(onestop) == before
    assert send(client, auth, "code,status\nHS-000001,ready\n", who="admin").status_code == 200


def test_a_province_export_above_the_apps_body_limit_is_accepted(client, auth, onestop, filed):
    # 256 KB is the app's limit for JSON bodies; an export of a year's dossiers is larger.
    padding = "x" * 200
    data = "code,status,note\n" + "".join(f"HS-00000{1 + i % 3},in_progress,{padding}\n" for i in range(2000))  # fmt: skip
    assert len(data) > 256 * 1024
    r = send(client, auth, data)
    assert r.status_code == 200 and r.get_json()["applied"] == 3 and r.get_json()["rows"] == 2000


def test_cli_import(runner, onestop, filed, tmp_path):
    good = tmp_path / "trang-thai.csv"
    good.write_text("ma_ho_so,trang_thai\nHS-000001,Đã có kết quả\n", encoding="utf-8")
    r = runner.invoke(args=["dossiers", "import", str(good)])
    assert r.exit_code == 0 and "Đã cập nhật trạng thái 1 hồ sơ." in r.output
    bad = tmp_path / "sai.json"
    bad.write_text('{"rows": [{"code": "HS-000002", "status": "ready"}, {"code": "HS-9"}]}')
    odd = tmp_path / "khac.csv"
    odd.write_text("code,status\nHS-777777,ready\n")
    r = runner.invoke(args=["dossiers", "import", str(odd), "--lang", "en"])
    assert (
        r.exit_code == 0
        and "Skipped 1 rows whose dossier this office never recorded (row:code): 2:HS-777777"
        in r.output
    )
    before = state(onestop)
    r = runner.invoke(args=["dossiers", "import", str(bad), "--lang", "en"])
    assert r.exit_code == 1 and "Row 2: unknown status ()" in r.output
    assert state(onestop) == before
    other = tmp_path / "notes.txt"
    other.write_text("x")
    assert runner.invoke(args=["dossiers", "import", str(other)]).exit_code == 2
