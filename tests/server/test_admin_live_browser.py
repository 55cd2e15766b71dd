"""Issue 15's must-show, in real Chromium on a real server: an admin adds a procedure and
assigns it to counter 2; the open kiosk, lobby display and counter console show it within
2 s without a reload; a citizen takes a ticket and counter 2 calls it."""

from __future__ import annotations

import time

import pytest
import requests
from playwright.sync_api import sync_playwright

from tests.helpers import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# A marker set once per page: a reload would lose it. `navigations` counts page loads.
MARKER = "window.__loadedOnce = Math.random();"
STILL_SAME = ("(m) => window.__loadedOnce === m"
              " && performance.getEntriesByType('navigation').length === 1")  # fmt: skip
NEW = {"code": "moi", "name": "Cấp phiếu lý lịch tư pháp", "name_en": "Criminal record",
       "prefix": "G", "target_wait_min": 12}  # fmt: skip


@pytest.fixture
def server(tmp_path):
    s = LiveServer(tmp_path / "live").start()
    yield s
    s.stop()


def opened(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1366, "height": 800})
    ctx.add_init_script(MARKER)
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto(url)
    return page


def test_an_added_procedure_reaches_every_screen_live(server):
    admin = {"Authorization": f"Bearer {server.token('quantri', 'admin')}"}
    server.token("lan", "clerk")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=CHROMIUM_ARGS)  # fmt: skip
        kiosk = opened(browser, f"{server.url}/kiosk")
        kiosk.wait_for_selector("button.svc[data-code=hotich]")
        tv = opened(browser, f"{server.url}/display")
        tv.wait_for_function("document.getElementById('screen').dataset.seq !== 'null'")
        console = opened(browser, f"{server.url}/counter?counter=2")
        console.fill("input[name=name]", "lan")
        console.fill("input[name=password]", "secret123")
        console.click("button[type=submit]")
        console.wait_for_selector("#w-counts li")
        pages = [kiosk, tv, console]
        marks = [pg.evaluate("window.__loadedOnce") for pg in pages]
        time.sleep(1)  # the sockets are up (each page rendered from a socket event or fetch)

        got = requests.get(f"{server.url}/api/admin/config", headers=admin, timeout=5).json()
        config = got["config"]
        config["services"].append(NEW)
        next(c for c in config["counters"] if c["number"] == 2)["services"].append("moi")
        r = requests.put(f"{server.url}/api/admin/config", json={"config": config},
                         headers={**admin, "If-Match": str(got["version"])}, timeout=5)  # fmt: skip
        assert r.status_code == 200, r.text
        t0 = time.monotonic()
        kiosk.wait_for_selector("button.svc[data-code=moi]", timeout=2000)
        tv.wait_for_selector("#waiting li[data-service=moi]", timeout=2000)
        console.wait_for_selector("#tr-service option[value=moi]", state="attached", timeout=2000)
        console.wait_for_function(
            "document.getElementById('w-counts').textContent.includes('Cấp phiếu lý lịch tư pháp')",
            timeout=2000,
        )
        assert time.monotonic() - t0 < 2.0
        assert "Cấp phiếu lý lịch tư pháp" in kiosk.inner_text("button.svc[data-code=moi]")
        assert "Cấp phiếu lý lịch tư pháp" in tv.inner_text("#waiting li[data-service=moi]")
        for pg, mark in zip(pages, marks, strict=True):
            assert pg.evaluate(STILL_SAME, mark), pg.url  # no reload happened

        kiosk.click("button.svc[data-code=moi]")
        kiosk.wait_for_function("document.getElementById('r-number').textContent === 'G001'")
        tv.wait_for_function(
            "document.querySelector('#waiting li[data-service=moi] .n').textContent === '1'"
        )
        console.wait_for_function("document.getElementById('w-total').textContent !== '0'")
        console.click("#b-next")
        console.wait_for_function("document.getElementById('t-number').textContent === 'G001'")
        tv.wait_for_function("document.getElementById('hero-number').textContent === 'G001'")
        assert tv.inner_text("#hero-counter") == "2"
        for pg, mark in zip(pages, marks, strict=True):
            assert pg.evaluate(STILL_SAME, mark), pg.url
        browser.close()
