"""Report API: roles, input errors, JSON shape, CSV and XLSX carrying the same numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from core import stats
from tests.reports.test_summary import one_day

ENDPOINTS = [
    "/api/reports/daily?date=2026-11-30",
    "/api/reports/daily?date=2026-11-30&format=csv",
    "/api/reports/daily?date=2026-11-30&format=xlsx",
    "/api/tickets?date=2026-11-30",
    "/api/tickets?date=2026-11-30&format=csv",
    "/api/reports/live",
    "/api/reports/trend",
    "/api/reports/staffing?date=2026-11-30",
]


@pytest.fixture
def day(clock, kiosk, counter):
    tickets = one_day(clock, kiosk, counter)
    clock.set("2026-12-01 09:00")
    return tickets


@pytest.mark.parametrize("url", ENDPOINTS)
def test_roles(client, auth, url):
    r = client.get(url)
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    r = client.get(url, headers=auth["clerk"])
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert client.get(url, headers=auth["supervisor"]).status_code == 200
    assert client.get(url, headers=auth["admin"]).status_code == 200


@pytest.mark.parametrize(
    "url,code",
    [
        ("/api/reports/daily?date=2026-13-01", "invalid_date"),
        ("/api/reports/daily?date=30/11/2026", "invalid_date"),
        ("/api/reports/daily?date=2026-11-30T00:00", "invalid_date"),
        ("/api/reports/daily?date=", "invalid_date"),
        ("/api/reports/daily?date=2026-11-30&format=pdf", "invalid_format"),
        ("/api/tickets?date=yesterday", "invalid_date"),
        ("/api/tickets?service=nope", "invalid_service"),
        ("/api/tickets?counter=one", "invalid_counter"),
        ("/api/tickets?counter=99999999999", "invalid_counter"),
        ("/api/tickets?status=lost", "invalid_status"),
        ("/api/reports/trend?days=0", "invalid_days"),
        ("/api/reports/trend?days=abc", "invalid_days"),
        ("/api/reports/staffing?date=%00", "invalid_date"),
        ("/api/reports/daily?date=2026-11-30%0A", "invalid_date"),
        ("/api/reports/daily?date=２０２６-11-30", "invalid_date"),
        ("/api/tickets?counter=²", "invalid_counter"),
        ("/api/reports/trend?days=²", "invalid_days"),
        ("/api/reports/trend?end=2026-02-30", "invalid_date"),
    ],
)
def test_bad_input_is_a_400_json(client, auth, onestop, url, code):
    before = onestop.store.reader().execute("SELECT COUNT(*) FROM events").fetchone()[0]
    r = client.get(url, headers=auth["supervisor"])
    assert r.status_code == 400, r.data
    assert r.get_json()["error"]["code"] == code and r.get_json()["error"]["message"]
    assert onestop.store.reader().execute("SELECT COUNT(*) FROM events").fetchone()[0] == before


def test_daily_json_shape(client, auth, day, runner):
    r = client.get("/api/reports/daily?date=2026-11-30", headers=auth["supervisor"]).get_json()
    assert r["date"] == "2026-11-30" and r["live"] is True  # never summarised: computed now
    assert runner.invoke(args=["summarize", "--date", "2026-11-30"]).exit_code == 0
    stored = client.get("/api/reports/daily?date=2026-11-30", headers=auth["supervisor"]).get_json()
    assert stored["live"] is False
    assert {k: v for k, v in stored.items() if k not in ("live", "computed_at")} == {
        k: v for k, v in r.items() if k not in ("live", "computed_at")
    }
    for m in [r["office"], *r["services"], *r["counters"], *r["clerks"], *r["hours"]]:
        assert set(stats.METRIC_KEYS) <= set(m)
    assert {m["key"] for m in r["services"]} == {"hotich", "chungthuc"}
    assert {m["name"] for m in r["services"]} == {"Tư pháp – Hộ tịch", "Chứng thực"}
    assert {m["key"] for m in r["clerks"]} == {"clerk1"}
    assert r["office"]["issued"] == 3 and r["day"]["peak_hour"] == "08"
    today = client.get("/api/reports/daily", headers=auth["supervisor"]).get_json()
    assert today["date"] == "2026-12-01" and today["live"] is True


def test_csv_carries_the_json_numbers(client, auth, day):
    h = auth["supervisor"]
    report = client.get("/api/reports/daily?date=2026-11-30", headers=h).get_json()
    r = client.get("/api/reports/daily?date=2026-11-30&format=csv", headers=h)
    assert r.mimetype == "text/csv" and r.data.startswith("\ufeff".encode())
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    keys = [re.search(r"\[(\w+)\]$", h).group(1) for h in rows[0]]
    assert rows[0][3].startswith("Số phiếu")  # Vietnamese for people, [key] for scripts
    records = [dict(zip(keys, row, strict=True)) for row in rows[1:]]
    office = records[0]
    assert office["scope"] == "Toàn bộ phận"
    for k in ("issued", "served", "no_show", "transferred", "wait_avg_s", "wait_p90_s"):
        assert int(office[k]) == report["office"][k]
    assert float(office["within_target_pct"]) == report["office"]["within_target_pct"]
    assert office["satisfied_pct"] == ""  # nobody rated: empty, not 0
    hotich = next(x for x in records if x["key"] == "hotich")
    svc = next(m for m in report["services"] if m["key"] == "hotich")
    assert hotich["name"] == "Tư pháp – Hộ tịch" and int(hotich["issued"]) == svc["issued"]
    assert len(records) == 1 + sum(len(report[s]) for s in ("services", "counters", "clerks", "hours"))  # fmt: skip


def test_xlsx_carries_the_json_numbers(client, auth, day):
    h = auth["supervisor"]
    report = client.get("/api/reports/daily?date=2026-11-30", headers=h).get_json()
    r = client.get("/api/reports/daily?date=2026-11-30&format=xlsx", headers=h)
    assert r.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["Tổng hợp", "Theo thủ tục", "Theo quầy", "Theo cán bộ", "Theo giờ", "Hiệu suất quầy"]  # fmt: skip
    summary = {row[0]: row[1] for row in wb["Tổng hợp"].iter_rows(min_row=4, values_only=True)}
    assert summary["Số phiếu"] == report["office"]["issued"]
    wait = wb["Tổng hợp"]["B10"]  # Chờ trung bình: a real duration, shown as h:mm:ss
    assert wait.number_format == "[h]:mm:ss"
    assert summary["Chờ trung bình"] == dt.timedelta(seconds=report["office"]["wait_avg_s"])
    assert summary["Trong thời gian mục tiêu (%)"] == report["office"]["within_target_pct"]
    sheet = wb["Theo thủ tục"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Mã", "Tên", "Số phiếu"]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}  # fmt: skip
    for m in report["services"]:
        assert rows[m["key"]]["Số phiếu"] == m["issued"]
        assert rows[m["key"]]["Đã phục vụ"] == m["served"]
        expect = None if m["wait_max_s"] is None else dt.timedelta(seconds=m["wait_max_s"])
        assert rows[m["key"]]["Chờ lâu nhất"] == expect


def test_ticket_log_json_csv_xlsx(client, auth, day):
    a, b, c, d = day
    h = auth["supervisor"]
    rows = client.get("/api/tickets?date=2026-11-30", headers=h).get_json()["tickets"]
    assert [t["id"] for t in rows] == [a["id"], b["id"], c["id"]]
    by_id = {t["id"]: t for t in rows}
    assert (by_id[a["id"]]["wait_s"], by_id[a["id"]]["service_s"]) == (600, 360)
    assert by_id[a["id"]]["service"] == "chungthuc" and by_id[a["id"]]["clerk"] == "clerk1"
    assert (by_id[b["id"]]["status"], by_id[b["id"]]["wait_s"]) == ("no_show", 1080)
    assert by_id[c["id"]]["status"] == "expired" and by_id[c["id"]]["wait_s"] is None
    for key in ("number", "issued_at", "called_at", "finished_at", "counter", "url"):
        assert key in rows[0]
    only = client.get("/api/tickets?date=2026-11-30&status=no_show", headers=h).get_json()
    assert [t["id"] for t in only["tickets"]] == [b["id"]]
    per_counter = client.get("/api/tickets?date=2026-11-30&counter=2&service=chungthuc", headers=h)
    assert {t["id"] for t in per_counter.get_json()["tickets"]} == {a["id"], b["id"]}
    r = client.get("/api/tickets?date=2026-11-30&format=csv", headers=h)
    lines = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    keys = [re.search(r"\[(\w+)\]$", x).group(1) for x in lines[0]]
    csv_rows = {row[keys.index("id")]: dict(zip(keys, row, strict=True)) for row in lines[1:]}
    assert csv_rows[a["id"]]["wait_s"] == "600" and csv_rows[a["id"]]["status"] == "Hoàn thành"
    assert csv_rows[c["id"]]["wait_s"] == ""
    r = client.get("/api/tickets?date=2026-11-30&format=xlsx", headers=h)
    ws = load_workbook(io.BytesIO(r.data)).active
    header = [x.value for x in ws[1]]
    xrows = {row[-1]: dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)}  # fmt: skip
    assert xrows[a["id"]]["Thời gian chờ"] == dt.timedelta(seconds=600)
    assert xrows[a["id"]]["Thời gian phục vụ"] == dt.timedelta(seconds=360)
    assert xrows[b["id"]]["Trạng thái"] == "Vắng mặt"


def test_empty_day_exports(client, auth):
    h = auth["supervisor"]
    r = client.get("/api/reports/daily?date=2026-11-01", headers=h).get_json()
    assert r["office"]["issued"] == 0 and r["services"] == []
    assert (
        client.get("/api/reports/daily?date=2026-11-01&format=xlsx", headers=h).status_code == 200
    )
    body = client.get("/api/reports/daily?date=2026-11-01&format=csv", headers=h).data
    assert len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) == 2
    assert client.get("/api/tickets?date=2026-11-01", headers=h).get_json()["tickets"] == []


def test_live_snapshot(client, auth, clock, kiosk, counter, onestop):
    clock.set("2026-11-30 09:00")
    kiosk.take_ticket("hotich")
    kiosk.take_ticket("datdai")
    counter.next(1)
    clock.set("2026-11-30 09:05")
    onestop.queue.record("print_failed", None, message="Máy in hết giấy")
    clock.set("2026-11-30 09:10")
    live = client.get("/api/reports/live", headers=auth["supervisor"]).get_json()
    assert live["waiting"] == 1 and live["longest_wait_s"] == 600
    assert live["counters_on_duty"] == 1 and live["clerks_on_duty"] == ["clerk1"]
    assert live["devices"] == []  # the presence tracker sees no screen connected yet
    assert live["health"]["printer"]["status"] and live["health"]["voice"]["status"]
    assert live["alerts"][0]["type"] == "print_failed"
    assert live["alerts"][0]["data"]["message"] == "Máy in hết giấy"


def test_live_shows_devices_when_a_tracker_exists(client, auth, onestop):
    class Presence:
        def snapshot(self):
            return [{"kind": "display", "name": "sanh-chinh", "address": "10.0.0.5",
                     "since": "x", "last_seen": "y", "connected": True}]  # fmt: skip

    onestop.devices.presence = Presence()
    live = client.get("/api/reports/live", headers=auth["supervisor"]).get_json()
    assert live["devices"][0]["name"] == "sanh-chinh" and live["devices"][0]["connected"]


def test_exports_never_carry_formulas(client, auth, onestop, clock, kiosk):
    onestop.users.add("=HYPERLINK(1)", "clerk", "secret123")
    evil = {"Authorization": f"Bearer {onestop.users.new_token('=HYPERLINK(1)')}"}
    onestop.sign_ins.sign_in(onestop.users.get("=HYPERLINK(1)")["id"], 1)
    clock.set("2026-11-30 08:00")
    kiosk.take_ticket("hotich")
    assert client.post("/api/counters/1/next", headers=evil).status_code == 200
    clock.set("2026-12-01 08:00")
    h = auth["supervisor"]
    body = client.get("/api/tickets?date=2026-11-30&format=csv", headers=h).data.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body and ",=HYPERLINK" not in body
    wb = load_workbook(io.BytesIO(client.get("/api/reports/daily?date=2026-11-30&format=xlsx", headers=h).data))  # fmt: skip
    cells = [c for row in wb["Theo cán bộ"].iter_rows(min_row=2) for c in row[:2]]
    assert {c.value for c in cells} == {"'=HYPERLINK(1)"} and {c.data_type for c in cells} == {"s"}


def test_stored_summary_is_not_served_once_stale(client, auth, clock, kiosk, counter, runner):
    clock.set("2026-11-30 08:00")
    t = kiosk.take_ticket("hotich")
    counter.next(1)
    counter.post(1, "finish")
    clock.set("2026-11-30 17:30")
    assert runner.invoke(args=["summarize"]).exit_code == 0
    clock.set("2026-12-01 07:45")
    h = auth["supervisor"]
    r = client.get("/api/reports/daily?date=2026-11-30", headers=h).get_json()
    assert r["live"] is False and r["office"]["ratings"]["4"] == 0
    # The citizen rates from the status page the next morning: the event belongs to the 30th.
    assert client.post(f"/api/tickets/{t['id']}/feedback", json={"rating": 4}).status_code == 201
    r = client.get("/api/reports/daily?date=2026-11-30", headers=h).get_json()
    assert r["live"] is True and r["office"]["ratings"]["4"] == 1
    trend = client.get("/api/reports/trend?days=2", headers=h).get_json()["trend"]
    assert trend[0]["date"] == "2026-11-30" and trend[0]["ratings"]["4"] == 1
    assert runner.invoke(args=["summarize", "--date", "2026-11-30"]).exit_code == 0
    r = client.get("/api/reports/daily?date=2026-11-30", headers=h).get_json()
    assert r["live"] is False and r["office"]["ratings"]["4"] == 1


def test_formula_guard_keeps_ticket_ids():
    from reports.exports import safe

    assert safe("-LtYB19liy2preaN") == "-LtYB19liy2preaN"
    assert safe("=1+1") == "'=1+1" and safe("-2+3+cmd|' /C calc'!A0").startswith("'")
    assert safe("@SUM(A1)") == "'@SUM(A1)" and safe("Hộ tịch") == "Hộ tịch" and safe(5) == 5


def test_a_future_day_is_an_empty_report(client, auth):
    r = client.get("/api/reports/daily?date=2099-01-01", headers=auth["supervisor"])
    assert r.status_code == 200
    assert r.get_json()["office"]["issued"] == 0
