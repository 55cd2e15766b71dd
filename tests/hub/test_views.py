"""The hub's procedure comparison, device board, CSV/XLSX downloads and catalogue (real PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json

import psycopg
from openpyxl import load_workbook

from hub import rollup
from tests.hub.conftest import hub_cli
from tests.hub.test_ingest import enrol, post, viewer

T0 = 1796007600.0  # 2026-11-30 09:00 +07:00


def tickets(service: str, waits: list[float], start_id: int = 1, day: str = "2026-11-30",
            t0: float = T0, rating: int | None = None) -> list[list]:  # fmt: skip
    """Tickets of `service` called after each wait, finished 5 minutes later (and rated)."""
    out, i = [], start_id
    for n, w in enumerate(waits):
        tid, at = f"{service}{start_id}-{n}", t0 + n * 60
        out += [[i, at, day, "issued", tid, service, None, None, None],
                [i + 1, at + w, day, "called", tid, service, 1, "cb", None],
                [i + 2, at + w + 300, day, "finished", tid, service, 1, "cb", None]]  # fmt: skip
        i += 3
        if rating:
            out.append([i, at + w + 310, day, "rated", tid, service, 1, "cb",
                        json.dumps({"rating": rating})])  # fmt: skip
            i += 1
    return out


def office_block(targets: dict) -> dict:
    return {"timezone": "Asia/Ho_Chi_Minh", "day_starts_at": 0, "targets": targets}


def two_offices(client, hub_url):
    t1, t2, t3 = (
        enrol(hub_url, "XA1", "Xã Một"),
        enrol(hub_url, "XA2", "Xã Hai"),
        enrol(hub_url, "XA3", "Xã Ba"),
    )
    body1 = {
        "office": office_block({"hotich": 900, "datdai": 1200}),
        "events": tickets("hotich", [60, 120, 1800], rating=4),
    }
    body2 = {
        "office": office_block({"hotich": 600}),
        "events": tickets("hotich", [300, 300]) + tickets("chungthuc", [60], start_id=100),
    }
    body3 = {"office": office_block({"datdai": 900}), "events": tickets("datdai", [60])}
    for tok, body in ((t1, body1), (t2, body2), (t3, body3)):
        assert post(client, tok, body).status_code == 200, body
    return t1, t2


def test_a_procedure_across_offices_equals_each_offices_own_figures(hub_app, hub_url):
    client = hub_app.test_client()
    two_offices(client, hub_url)
    prov = {"Authorization": "Bearer " + viewer(hub_url, "tinh", "province_viewer")}
    own = {"Authorization": "Bearer " + viewer(hub_url, "xa2", "office_viewer", "XA2")}
    q = "/api/procedures/hotich?from=2026-11-30&to=2026-11-30"
    body = client.get(q, headers=prov).get_json()
    rows = {r["code"]: r for r in body["offices"]}
    assert sorted(rows) == ["XA1", "XA2"]  # XA3 does not offer it
    for code in rows:
        day = client.get(f"/api/offices/{code}/daily?date=2026-11-30", headers=prov).get_json()
        [mine] = [s for s in day["services"] if s["key"] == "hotich"]
        for k in ("issued", "served", "wait_p50_s", "wait_p90_s", "within_target_pct", "ratings",
                  "satisfied_pct"):  # fmt: skip
            assert rows[code][k] == mine[k], (code, k)
    assert (rows["XA1"]["issued"], rows["XA1"]["satisfied_pct"], rows["XA1"]["target_wait_s"]) == (
        3,
        100.0,
        900,
    )
    assert rows["XA2"]["within_target_pct"] == 100.0 and rows["XA2"]["satisfied_pct"] is None
    # An office that offers it but has had no ticket of it yet still has its row.
    datdai = client.get("/api/procedures/datdai?from=2026-11-30&to=2026-11-30", headers=prov)
    assert {r["code"]: r["issued"] for r in datdai.get_json()["offices"]} == {"XA1": 0, "XA3": 1}
    mine = client.get(q, headers=own).get_json()["offices"]
    assert [r["code"] for r in mine] == ["XA2"]
    assert client.get("/api/procedures/hotich").status_code == 401
    assert client.get("/api/procedures/HO%20TICH", headers=prov).status_code == 404
    assert client.get(q + "&format=pdf", headers=prov).status_code == 400
    assert client.get("/api/procedures/hotich?from=2026-02-30", headers=prov).status_code == 400


def test_a_range_weighs_days_by_tickets_issued(hub_app, hub_url):
    client = hub_app.test_client()
    tok = enrol(hub_url)
    day2 = tickets("hotich", [600] * 3, start_id=50, day="2026-12-01", t0=T0 + 86400)
    body = {"office": office_block({"hotich": 900}), "events": tickets("hotich", [60]) + day2}
    assert post(client, tok, body).status_code == 200
    prov = {"Authorization": "Bearer " + viewer(hub_url, "tinh", "province_viewer")}
    [row] = client.get("/api/procedures/hotich?from=2026-11-01&to=2026-12-31",
                       headers=prov).get_json()["offices"]  # fmt: skip
    assert (row["issued"], row["wait_p50_s"], row["wait_max_s"]) == (4, (60 + 3 * 600) / 4, 600)
    # Loose days (Nov 30) and a whole month (December) together give the same.
    [mixed] = client.get("/api/procedures/hotich?from=2026-11-30&to=2026-12-31",
                         headers=prov).get_json()["offices"]  # fmt: skip
    assert mixed == row
    # A hub made before this roll-up fills it from the reports it holds (migration 5).
    with psycopg.connect(hub_url, autocommit=True) as conn:
        conn.execute("DROP TABLE monthly_services; DROP TABLE daily_services")
        conn.execute(rollup.SERVICES_MIGRATION)
    again = client.get("/api/procedures/hotich?from=2026-11-01&to=2026-12-31", headers=prov)
    assert again.get_json()["offices"] == [row]


def test_exports_are_csv_with_a_bom_and_xlsx_with_vietnamese_headers(hub_app, hub_url):
    client = hub_app.test_client()
    two_offices(client, hub_url)
    prov = {"Authorization": "Bearer " + viewer(hub_url, "tinh", "province_viewer")}
    r = client.get("/api/procedures/hotich?from=2026-11-30&to=2026-11-30&format=csv", headers=prov)
    assert r.mimetype == "text/csv" and r.data.startswith(b"\xef\xbb\xbf")
    assert 'filename="thu-tuc-hotich-2026-11-30-2026-11-30.csv"' in r.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert [row["Đơn vị [name]"] for row in table] == ["Xã Một", "Xã Hai"]
    assert table[0]["Số phiếu [issued]"] == "3"
    r = client.get("/api/offices?from=2026-11-30&to=2026-11-30&format=xlsx&lang=en", headers=prov)
    assert r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(r.data)).active
    assert [c.value for c in ws[1]][:3] == ["Code", "Office", "Tickets"]
    assert [ws.cell(i, 2).value for i in (2, 3, 4)] == ["Xã Một", "Xã Hai", "Xã Ba"]
    r = client.get("/api/offices/XA1/daily?date=2026-11-30&format=xlsx", headers=prov)
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.active["A2"].value == "Xã Một" and wb.sheetnames[1] == "Theo thủ tục"
    r = client.get("/api/offices/XA1/daily?date=2026-11-30&format=csv", headers=prov)
    lines = r.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Phạm vi [scope],Mã [key],Tên [name],Số phiếu [issued]")
    assert lines[1].startswith("Toàn bộ phận,,Toàn bộ phận,3,")
    own = {"Authorization": "Bearer " + viewer(hub_url, "xa2", "office_viewer", "XA2")}
    assert client.get("/api/offices/XA1/daily?format=csv", headers=own).status_code == 403


def test_the_device_board_shows_presence_printers_clock_steps_and_silence(hub_app, hub_url,
                                                                          monkeypatch):  # fmt: skip
    client = hub_app.test_client()
    t1, t2 = two_offices(client, hub_url)
    devices = [{"kind": "kiosk", "name": "kiosk-1", "connected": False, "fault": True,
                "last_seen": "2026-11-30T09:10:00+07:00"},
               {"kind": "display", "name": "tv-1", "connected": True, "fault": False,
                "last_seen": "2026-11-30T10:00:00+07:00"}]  # fmt: skip
    health = {"printer": {"status": "error", "type": "usb", "paper": "out", "last_error": "offline",
                          "message": "a free text", "last_printed_at": "2026-11-30T09:00:00+07:00"},
              "clock": {"status": "degraded", "steps": [{"step_s": -3600, "old_wall": "a", "new_wall": "b"}]}}  # fmt: skip
    assert post(client, t1, {"devices": devices, "health": health, "events": []}).status_code == 200
    with psycopg.connect(hub_url, autocommit=True) as conn:  # XA3 was last heard an hour ago
        conn.execute(
            "UPDATE offices SET last_contact = now() - interval '1 hour' WHERE code = 'XA3'"
        )
    prov = {"Authorization": "Bearer " + viewer(hub_url, "tinh", "province_viewer")}
    body = client.get("/api/devices", headers=prov).get_json()
    assert body["stale_after_s"] == 900
    rows = {o["code"]: o for o in body["offices"]}
    assert {c: o["stale"] for c, o in rows.items()} == {"XA1": False, "XA2": False, "XA3": True}
    xa1 = {(d["kind"], d["name"]): d for d in rows["XA1"]["devices"]}
    assert xa1[("kiosk", "kiosk-1")]["status"] == "offline"
    assert xa1[("kiosk", "kiosk-1")]["last_seen"] == "2026-11-30T09:10:00+07:00"
    assert xa1[("display", "tv-1")]["status"] == "ok"
    assert xa1[("printer", "usb")] == {"kind": "printer", "name": "usb", "status": "error",
                                       "last_seen": "2026-11-30T09:00:00+07:00", "paper": "out",
                                       "last_error": "offline"}  # fmt: skip
    assert rows["XA1"]["clock_steps"][0]["step_s"] == -3600
    monkeypatch.setenv("ONESTOP_HUB_STALE_AFTER_S", "7200")
    assert not any(
        o["stale"] for o in client.get("/api/devices", headers=prov).get_json()["offices"]
    )
    own = {"Authorization": "Bearer " + viewer(hub_url, "xa2", "office_viewer", "XA2")}
    assert [o["code"] for o in client.get("/api/devices", headers=own).get_json()["offices"]] == [
        "XA2"
    ]
    bad = {"devices": [{"kind": "toaster", "connected": True, "fault": False}], "events": []}
    assert post(client, t2, bad).status_code == 400
    assert client.get("/api/devices").status_code == 401


def test_the_catalogue_imports_sets_and_answers_with_an_etag(hub_app, hub_url, tmp_path):
    client = hub_app.test_client()
    tok = enrol(hub_url)
    prov = {"Authorization": "Bearer " + viewer(hub_url, "tinh", "province_viewer")}
    f = tmp_path / "cat.csv"
    f.write_text("\ufeffcode,name,name_en,target_wait_min\nhotich,Hộ tịch,Civil status,12\n"
                 "datdai,Đất đai,Land,25\n", encoding="utf-8")  # fmt: skip
    assert hub_cli(hub_url, "catalogue", "import", str(f)).strip().endswith("catalogue version 1")
    assert hub_cli(hub_url, "catalogue", "import", str(f)).strip().endswith("catalogue version 1")
    r = client.get("/api/catalogue", headers={"Authorization": f"Bearer {tok}"})
    assert r.headers["ETag"] == '"v1"'
    assert [(p["code"], p["name"], p["target_wait_min"]) for p in r.get_json()["procedures"]] == [
        ("datdai", "Đất đai", 25), ("hotich", "Hộ tịch", 12)]  # fmt: skip
    again = client.get("/api/catalogue", headers={**prov, "If-None-Match": '"v1"'})
    assert again.status_code == 304 and again.data == b""
    out = hub_cli(hub_url, "catalogue", "set", "hotich", "--name", "Tư pháp – Hộ tịch")
    assert out.strip() == "catalogue version 2"
    r = client.get("/api/catalogue", headers={**prov, "If-None-Match": '"v1"'})
    assert r.status_code == 200 and r.get_json()["version"] == 2
    assert r.get_json()["procedures"][1]["name_en"] == "Civil status"  # kept from before
    hub_cli(hub_url, "catalogue", "set", "datdai", "--retire")
    assert client.get("/api/catalogue", headers=prov).get_json()["procedures"][0]["retired"]
    assert client.get("/api/catalogue").status_code == 401
    assert client.get("/api/catalogue", headers={"Authorization": "Bearer nope"}).status_code == 401
    json_file = tmp_path / "cat.json"
    json_file.write_text(json.dumps({"procedures": [{"code": "BAD CODE", "name": "x",
                                                     "target_wait_min": 5}]}))  # fmt: skip
    import subprocess
    import sys

    from tests.helpers import ROOT

    out = subprocess.run([sys.executable, "-m", "flask", "--app", "hub.wsgi", "catalogue", "import",
                          str(json_file)], cwd=ROOT, capture_output=True, text=True,
                         env={**__import__("os").environ, "ONESTOP_HUB_DATABASE_URL": hub_url})  # fmt: skip
    assert out.returncode != 0 and "BAD CODE" in out.stderr
    assert client.get("/api/catalogue", headers=prov).get_json()["version"] == 3


def test_a_bad_stale_after_stops_start_up(hub_url, monkeypatch):
    import pytest

    from hub.app import create_app

    for bad in ("abc", "0", "nan"):
        monkeypatch.setenv("ONESTOP_HUB_STALE_AFTER_S", bad)
        with pytest.raises(ValueError):
            create_app({"DATABASE_URL": hub_url})
