"""Real Chromium on the province dashboard: login, league table, sorting, chart, live refresh."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from core.timeutil import office_day
from tests.helpers import TZ
from tests.hub.conftest import HubServer, hub_cli
from tests.reports.test_browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def batch(start_id: int, tickets: int, wait_s: float) -> list[list]:
    """Tickets issued now-ish, each called after wait_s and finished."""
    now, day, out, i = time.time() - 3 * 3600, office_day(time.time(), TZ), [], start_id
    for n in range(tickets):
        tid, at = f"h{start_id}-{n}", now + n * 60
        out += [
            [i, at, day, "issued", tid, "hotich", None, None, None],
            [i + 1, at + wait_s, day, "called", tid, "hotich", 1, "can_bo", None],
            [i + 2, at + wait_s + 300, day, "finished", tid, "hotich", 1, "can_bo", None],
        ]
        i += 3
    return out


def sync(hub, token, events, **extra):
    r = requests.post(hub.url + "/api/sync", data=json.dumps({"events": events, **extra}),
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)  # fmt: skip
    assert r.status_code == 200, r.text


def test_dashboard_ranks_sorts_and_refreshes_live(tmp_path, hub_url):
    from playwright.sync_api import expect, sync_playwright

    hub = HubServer(hub_url, tmp_path).start()
    tok = {c: hub_cli(hub_url, "office", "add", c, "--name", n).strip().splitlines()[-1]
           for c, n in (("XA1", "Xã An Bình"), ("XA2", "Phường Hòa Lạc"))}  # fmt: skip
    hub_cli(hub_url, "user", "add", "tinh", "--role", "province_viewer", "--password", "secret123")
    sync(hub, tok["XA1"], batch(1, 4, 60))  # waits of 1 min: all within target
    sync(
        hub,
        tok["XA2"],
        batch(1, 2, 1800),  # 30 min: none
        health={"printer": {"status": "error", "type": "usb"}, "voice": {"status": "ok"}},
    )
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.goto(hub.url + "/")
            expect(page.locator("h1")).to_contain_text("Trung tâm tỉnh")
            page.fill("input[name=name]", "tinh")
            page.fill("input[name=password]", "secret123")
            page.click("#login button")
            rows = page.locator("#league tbody tr")
            expect(rows).to_have_count(2)
            expect(rows.first).to_contain_text("Xã An Bình")  # best share within target first
            expect(rows.first.locator("td").nth(6)).to_have_text("100")
            expect(page.locator("#league th").first).to_have_text("Đơn vị")
            page.locator("th[data-key=issued]").click()  # most tickets first
            expect(rows.first).to_contain_text("Xã An Bình")
            page.locator("th[data-key=issued]").click()
            expect(rows.first).to_contain_text("Phường Hòa Lạc")
            expect(page.locator("#live-state")).to_have_text("Cập nhật trực tiếp")
            assert page.evaluate("Chart.getChart('ranking').data.labels") == [
                "Xã An Bình", "Phường Hòa Lạc"]  # fmt: skip
            devices = page.locator("#devices tbody tr")
            expect(devices).to_have_count(1)
            expect(devices.first).to_have_text("Phường Hòa Lạcprintererror")
            sync(hub, tok["XA2"], batch(100, 6, 30))  # arrives while the page is open
            expect(page.locator("tr[data-code=XA2] td").nth(1)).to_have_text("8")
            with page.expect_download() as got:
                page.click("#csv")
            text = Path(got.value.path()).read_text(encoding="utf-8-sig")
            assert text.splitlines()[1].startswith("XA1,Xã An Bình,4,4,")
            page.click("text=Xã An Bình")  # the office page: its day and its trend
            expect(page.locator("#office-name")).to_have_text("Đơn vị Xã An Bình")
            expect(page.locator("#figures tbody td").first).to_have_text("4")
            expect(page.locator("#services tbody tr")).to_have_count(1)
            page.wait_for_function("Chart.getChart('trend') !== undefined")
            page.goto(hub.url + "/?lang=en")
            expect(page.locator("#league th").first).to_have_text("Office")
            assert errors == []
            browser.close()
    finally:
        hub.stop()
