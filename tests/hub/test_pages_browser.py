"""Real Chromium on the hub's procedure comparison, device board and downloads."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.hub.conftest import HubServer, hub_cli
from tests.hub.test_dashboard_browser import batch, sync
from tests.reports.test_browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.slow, pytest.mark.browser]
OFFICE = {"timezone": "Asia/Ho_Chi_Minh", "day_starts_at": 0, "targets": {"hotich": 900}}


def kiosk(name: str, connected: bool) -> dict:
    return {"kind": "kiosk", "name": name, "connected": connected, "fault": not connected,
            "last_seen": "2026-12-01T08:00:00+07:00"}  # fmt: skip


@pytest.fixture
def hub(tmp_path, hub_url):
    hub = HubServer(hub_url, tmp_path).start()
    hub.tokens = {c: hub_cli(hub_url, "office", "add", c, "--name", n).strip().splitlines()[-1]
                  for c, n in (("XA1", "Xã An Bình"), ("XA2", "Phường Hòa Lạc"),
                               ("XA3", "Xã Im Lặng"))}  # fmt: skip
    hub_cli(hub_url, "user", "add", "tinh", "--role", "province_viewer", "--password", "secret123")
    cat = tmp_path / "cat.json"
    cat.write_text(json.dumps([{"code": "hotich", "name": "Hộ tịch", "name_en": "Civil status",
                                "target_wait_min": 15}]), encoding="utf-8")  # fmt: skip
    hub_cli(hub_url, "catalogue", "import", str(cat))
    sync(hub, hub.tokens["XA1"], batch(1, 4, 60), office=OFFICE)  # every wait within target
    sync(hub, hub.tokens["XA2"], batch(1, 2, 1800), office=OFFICE)  # none
    yield hub
    hub.stop()


@pytest.fixture
def page(hub):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.goto(hub.url + "/")
        page.fill("input[name=name]", "tinh")
        page.fill("input[name=password]", "secret123")
        page.click("#login button")
        page.locator("#league tbody tr").first.wait_for()
        yield page
        assert page.errors == []
        browser.close()


def test_a_procedure_compared_across_offices_sorts_charts_and_downloads(hub, page):
    from playwright.sync_api import expect

    page.click("#to-compare")  # from the dashboard; the catalogue's first procedure
    expect(page.locator("#title")).to_have_text("Thủ tục Hộ tịch: so sánh các đơn vị")
    rows = page.locator("#compare tbody tr")
    expect(rows).to_have_count(2)  # XA3 does not offer it
    expect(rows.first).to_contain_text("Xã An Bình")  # best share within target first
    expect(rows.first.locator("td").nth(5)).to_have_text("100")
    expect(rows.nth(1).locator("td").nth(3)).to_have_text("30.0")  # p50 in minutes
    page.wait_for_function("Chart.getChart('chart') !== undefined")
    assert page.evaluate("Chart.getChart('chart').data.labels") == ["Xã An Bình", "Phường Hòa Lạc"]
    page.locator("#compare th[data-key=wait_p50_s]").click()  # longest wait first
    expect(rows.first).to_contain_text("Phường Hòa Lạc")
    with page.expect_download() as got:
        page.click("#xlsx")
    assert got.value.suggested_filename.startswith(
        "thu-tuc-hotich-"
    ) and got.value.suggested_filename.endswith(".xlsx")
    ws = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes())).active
    assert [ws.cell(1, i).value for i in (1, 2, 4)] == ["Mã", "Đơn vị", "Số phiếu"]
    assert sorted(ws.cell(r, 2).value for r in (2, 3)) == ["Phường Hòa Lạc", "Xã An Bình"]
    with page.expect_download() as got:
        page.click("#csv")
    lines = Path(got.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Mã [code],Đơn vị [name]") and len(lines) == 3
    sync(hub, hub.tokens["XA2"], batch(100, 6, 30), office=OFFICE)  # arrives while open
    expect(page.locator("tr[data-code=XA2] td").nth(1)).to_have_text("8")
    # From the office page, a procedure's code leads here too.
    page.goto(hub.url + "/offices/XA2")
    page.locator("#services a", has_text="hotich").click()
    expect(page.locator("#compare tbody tr")).to_have_count(2)
    page.goto(hub.url + "/offices/XA2")
    with page.expect_download() as got:
        page.click("#day-xlsx")
    wb = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))
    assert wb.active["A2"].value == "Phường Hòa Lạc"


def test_the_device_board_shows_offline_devices_silence_and_changes_live(hub, page):
    from playwright.sync_api import expect

    sync(hub, hub.tokens["XA1"], [], devices=[kiosk("kiosk-cua", False), kiosk("kiosk-2", True)],
         health={"clock": {"status": "degraded", "steps": [{"step_s": 3600, "old_wall": "a",
                                                            "new_wall": "09:00"}]}})  # fmt: skip
    page.click("#to-devices")
    expect(page.locator("h1")).to_have_text("Tình trạng thiết bị")
    faults = page.locator("#faults tbody tr")
    expect(faults).to_have_text(["Xã An BìnhMáy lấy sốkiosk-cuaMất kết nối08:00:00 1/12/2026",
                                 "Xã An BìnhĐồng hồCần chú ý–"])  # fmt: skip
    expect(page.locator("#stale tbody tr")).to_have_count(1)  # XA3 never synced
    expect(page.locator("#stale tbody tr").first).to_have_text("Xã Im LặngChưa từng liên lạc")
    expect(page.locator("#steps tbody tr")).to_have_text(
        ["Xã An BìnhĐồng hồ nhảy 3600 giây lúc 09:00"]
    )
    expect(page.locator("#live-state")).to_have_text("Cập nhật trực tiếp")
    # A printer runs out while the page is open: no events, only health, and it shows.
    sync(hub, hub.tokens["XA2"], [], health={"printer": {"status": "error", "type": "usb",
                                                         "paper": "out"}})  # fmt: skip
    expect(faults).to_have_count(3)
    expect(page.locator("#faults tbody tr", has_text="Phường Hòa Lạc")).to_contain_text(
        "Máy inusbLỗi (out)"
    )
    sync(hub, hub.tokens["XA1"], [], devices=[kiosk("kiosk-cua", True), kiosk("kiosk-2", True)])
    expect(faults).to_have_count(2)
    page.goto(hub.url + "/offices/XA1")  # the office page lists its own devices
    expect(page.locator("#office-devices tbody tr")).to_have_count(3)
    expect(page.locator("#office-devices tbody tr").first).to_contain_text(
        "Máy lấy sốkiosk-cuaBình thường"
    )
    page.goto(hub.url + "/devices?lang=en")
    expect(page.locator("#faults tbody tr", has_text="Printer")).to_contain_text(
        "PrinterusbError (out)"
    )
