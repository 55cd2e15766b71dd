"""The day's `dossiers` block in the JSON report, the stored summary, CSV, XLSX and both pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from openpyxl import load_workbook

from core import events as E
from tests.helpers import at
from tests.reports.test_pages import login
from tests.reports.test_summary import one_day

DAY = "2026-11-30"


def log(onestop, when, kind, service, counter, data, ticket=None):
    """A dossier event as the dossier service logs it: a row of the real events table."""
    with onestop.store.write() as conn:
        conn.execute(
            "INSERT INTO events (at, day, type, ticket_id, service, counter, clerk, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (at(when), DAY, kind, ticket, service, counter, "clerk1", json.dumps(data)),
        )


def status(code, to, due, ready_at=None, source="counter"):
    d = {"code": code, "status": to, "from": "x", "due": due, "source": source}
    return d if ready_at is None else {**d, "ready_at": at(ready_at)}


@pytest.fixture
def day(clock, kiosk, counter, onestop):
    tickets = one_day(clock, kiosk, counter)
    rec = {"service": "hotich", "due": "2026-12-02"}
    log(onestop, "2026-11-30 08:11", E.DOSSIER_RECEIVED, "hotich", 1, {"code": "HS-000001", **rec})
    log(onestop, "2026-11-30 08:31", E.DOSSIER_RECEIVED, "chungthuc", 2,
        {"code": "HS-000002", "service": "chungthuc", "due": "2026-12-02"})  # fmt: skip
    log(onestop, "2026-11-30 09:00", E.DOSSIER_STATUS, "hotich", None,
        status("HS-000009", "ready", "2026-11-30", source="import"))  # fmt: skip
    # Returned: one early (due tomorrow), one on the due date, one a day late.
    for code, due, when in (("HS-000010", "2026-12-01", "10:00"), ("HS-000011", "2026-11-30", "11:00"),
                            ("HS-000012", "2026-11-29", "12:00")):  # fmt: skip
        log(onestop, f"2026-11-30 {when}", E.DOSSIER_STATUS, "hotich", 1,
            status(code, "returned", due, ready_at="2026-11-30 09:00"))  # fmt: skip
    clock.set("2026-12-01 09:00")
    return tickets


def get(client, auth, fmt=None, lang=None):
    q = f"/api/reports/daily?date={DAY}" + (f"&format={fmt}" if fmt else "") + (f"&lang={lang}" if lang else "")  # fmt: skip
    return client.get(q, headers=auth["supervisor"])


def test_json_block_office_procedure_counter_and_stored_alike(client, auth, day, runner):
    r = get(client, auth).get_json()
    d = r["dossiers"]
    o = d["office"]
    assert (o["received"], o["ready"], o["returned"]) == (2, 1, 3)
    assert (o["early"], o["on_time"], o["late"]) == (1, 1, 1)
    assert (o["early_pct"], o["on_time_pct"], o["late_pct"]) == (33.3, 33.3, 33.3)
    assert o["on_time_or_early_pct"] == 66.7
    assert (o["ready_to_collected_p50_s"], o["ready_to_collected_p90_s"]) == (7200, 10080)
    services = {m["key"]: m for m in d["services"]}
    assert services["hotich"]["name"] == "Tư pháp – Hộ tịch"
    assert (services["hotich"]["received"], services["hotich"]["returned"]) == (1, 3)
    assert services["chungthuc"]["received"] == 1 and services["chungthuc"]["returned"] == 0
    counters = {m["key"]: m for m in d["counters"]}
    assert counters["1"]["returned"] == 3 and counters["2"]["received"] == 1
    assert counters["1"]["name"]
    assert d["returns"] == {**d["returns"], "service": None, "name": None, "wait_p50_s": None}
    assert runner.invoke(args=["summarize", "--date", DAY]).exit_code == 0
    stored = get(client, auth).get_json()
    assert stored["live"] is False and stored["dossiers"] == d


def test_a_day_without_dossiers_has_an_empty_block(client, auth):
    d = client.get("/api/reports/daily?date=2026-11-01", headers=auth["supervisor"]).get_json()
    assert d["dossiers"]["office"]["received"] == 0 and d["dossiers"]["services"] == []
    assert d["dossiers"]["office"]["on_time_or_early_pct"] is None


def records(body: bytes) -> list[dict]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    keys = [re.search(r"\[(\w+)\]$", h).group(1) for h in rows[0]]
    return [dict(zip(keys, row, strict=True)) for row in rows[1:]], rows[0]


def test_csv_carries_the_dossier_figures_per_row(client, auth, day):
    report = get(client, auth).get_json()["dossiers"]
    rows, header = records(get(client, auth, "csv").data)
    assert "Trả đúng hạn [dossiers_on_time]" in header
    assert "Từ có kết quả đến khi nhận (trung vị) (giây) [dossiers_ready_to_collected_p50_s]" in header  # fmt: skip
    office = rows[0]
    for k in ("received", "ready", "returned", "early", "on_time", "late"):
        assert int(office[f"dossiers_{k}"]) == report["office"][k]
    assert float(office["dossiers_on_time_or_early_pct"]) == 66.7
    hotich = next(r for r in rows if r["key"] == "hotich" and r["scope"] == "Thủ tục")
    assert int(hotich["dossiers_returned"]) == 3 and int(hotich["issued"]) == 2
    counter2 = next(r for r in rows if r["key"] == "2" and r["scope"] == "Quầy")
    assert counter2["dossiers_received"] == "1"
    clerk = next(r for r in rows if r["scope"] == "Cán bộ")
    assert clerk["dossiers_received"] == ""  # no dossier figures per clerk
    _, en = records(get(client, auth, "csv", "en").data)
    assert "Returned on time [dossiers_on_time]" in en


def test_xlsx_summary_lines_and_sheet_columns(client, auth, day):
    wb = load_workbook(io.BytesIO(get(client, auth, "xlsx").data))
    assert wb.sheetnames[:3] == ["Tổng hợp", "Theo thủ tục", "Theo quầy"]
    summary = {row[0]: row[1] for row in wb["Tổng hợp"].iter_rows(min_row=4, values_only=True)}
    assert summary["Hồ sơ tiếp nhận"] == 2 and summary["Trả trễ hạn"] == 1
    assert summary["Đúng và trước hạn (%)"] == 66.7
    assert summary["Từ có kết quả đến khi nhận (trung vị)"] == dt.timedelta(hours=2)
    assert "Hàng chờ trả kết quả: Chờ trung vị" in summary
    sheet = wb["Theo thủ tục"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}  # fmt: skip
    assert rows["hotich"]["Đã trả kết quả"] == 3 and rows["hotich"]["Số phiếu"] == 2
    assert rows["chungthuc"]["Hồ sơ tiếp nhận"] == 1
    assert "Hồ sơ tiếp nhận" not in [c.value for c in wb["Theo cán bộ"][1]]


def test_a_procedure_with_dossiers_but_no_ticket_gets_its_own_row(client, auth, onestop, clock):
    log(onestop, "2026-11-30 09:00", E.DOSSIER_STATUS, "datdai", None,
        status("HS-000020", "ready", "2026-12-05", source="import"))  # fmt: skip
    clock.set("2026-12-01 09:00")
    rows, _ = records(get(client, auth, "csv").data)
    datdai = next(r for r in rows if r["key"] == "datdai")
    assert datdai["dossiers_ready"] == "1" and datdai["issued"] == ""
    wb = load_workbook(io.BytesIO(get(client, auth, "xlsx").data))
    assert [r[0] for r in wb["Theo thủ tục"].iter_rows(min_row=2, values_only=True)] == ["datdai"]


def test_day_page_and_print_page_show_the_dossiers(client, auth, day):
    login(client, "supervisor1")
    html = client.get(f"/supervisor/day?date={DAY}").get_data(as_text=True)
    section = html.split('<section id="dossiers">')[1].split("</section>")[0]
    assert "Hồ sơ: tiếp nhận và trả kết quả" in section
    assert 'data-k="d-received">2<' in section and 'data-k="d-returned">3<' in section
    assert 'data-k="d-on-time-or-early">66,7\u00a0%<' in section
    assert 'data-k="d-collect">2:00:00<' in section
    services = section.split('id="t-dossier-services"')[1].split("</table>")[0]
    assert "Tư pháp – Hộ tịch" in services and "Chứng thực" in services
    html = client.get(f"/supervisor/print?date={DAY}").get_data(as_text=True)
    assert "nhận 2, có kết quả 1, đã trả 3 (trước hạn 1, đúng hạn 1, trễ hạn 1)" in html
    assert "Hồ sơ · đúng/trước hạn" in html
    html = client.get(f"/supervisor/print?date={DAY}&lang=en").get_data(as_text=True)
    assert "2 received, 1 ready, 3 returned (1 early, 1 on time, 1 late)" in html


def test_a_result_collected_through_the_return_queue_counts_on_time(
    client, auth, clock, kiosk, counter
):
    """The real services end to end: filed at counter 1, ready, a return ticket at the kiosk,
    called and finished at counter 2 (which serves the return procedure)."""
    clock.set("2026-11-30 08:00")
    kiosk.take_ticket("hotich")
    counter.next(1)
    r = client.post("/api/counters/1/dossiers", headers=auth["clerk"],
                    json={"code": "HS-100001", "due": "2026-11-30"})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    assert counter.post(1, "finish").status_code == 200
    clock.set("2026-11-30 09:00")
    r = client.post(
        "/api/dossiers/HS-100001/status", headers=auth["clerk"], json={"status": "ready"}
    )
    assert r.status_code == 200
    clock.set("2026-11-30 10:00")
    r = client.post(
        "/api/returns", json={"code": "HS-100001"}, headers={"Idempotency-Key": "k-10000001"}
    )
    assert r.status_code == 201
    ret = r.get_json()["ticket"]
    clock.set("2026-11-30 10:04")
    assert counter.next(2)["id"] == ret["id"]
    clock.set("2026-11-30 10:06")
    assert counter.post(2, "finish").status_code == 200
    clock.set("2026-12-01 09:00")
    d = get(client, auth).get_json()["dossiers"]
    o = d["office"]
    assert (o["received"], o["ready"], o["returned"], o["on_time"], o["early"], o["late"]) == (
        1,
        1,
        1,
        1,
        0,
        0,
    )
    assert o["on_time_pct"] == 100.0 and o["ready_to_collected_p50_s"] == 3960
    assert d["returns"]["service"] == "traketqua" and d["returns"]["name"] == "Trả kết quả"
    assert (d["returns"]["issued"], d["returns"]["wait_p50_s"], d["returns"]["served"]) == (
        1,
        240,
        1,
    )
    assert [m["key"] for m in d["services"]] == ["hotich"]
    assert {m["key"]: m["returned"] for m in d["counters"]} == {"1": 1}  # the receiving counter


def test_a_status_change_counts_on_the_day_it_happened_not_the_filing_day(
    client, auth, clock, kiosk, counter
):
    # The event carries the filing ticket's id; the ticket's day must not pull it back.
    clock.set("2026-11-30 08:00")
    kiosk.take_ticket("hotich")
    counter.next(1)
    r = client.post("/api/counters/1/dossiers", headers=auth["clerk"],
                    json={"code": "HS-200001", "due": "2026-12-04"})  # fmt: skip
    assert r.status_code == 201
    counter.post(1, "finish")
    clock.set("2026-12-02 09:00")
    r = client.post(
        "/api/dossiers/HS-200001/status", headers=auth["clerk"], json={"status": "ready"}
    )
    assert r.status_code == 200
    clock.set("2026-12-03 09:00")
    h = auth["supervisor"]
    filed = client.get("/api/reports/daily?date=2026-11-30", headers=h).get_json()["dossiers"][
        "office"
    ]
    ready = client.get("/api/reports/daily?date=2026-12-02", headers=h).get_json()["dossiers"][
        "office"
    ]
    assert (filed["received"], filed["ready"]) == (1, 0)
    assert (ready["received"], ready["ready"]) == (0, 1)
