"""The console's dossier panel in real Chromium: corrections, advice only, shortcuts by hand."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from playwright.sync_api import sync_playwright

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def test_correct_a_dossier_and_mark_a_visit_advice_only(live_server):
    url = live_server.url
    headers = {"Authorization": f"Bearer {live_server.token('lan', 'clerk')}"}
    for _ in range(2):
        requests.post(f"{url}/api/tickets", json={"service": "hotich"}, timeout=5).raise_for_status()  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=CHROMIUM_ARGS)  # fmt: skip
        page = browser.new_page(viewport={"width": 1366, "height": 1000})
        page.set_default_timeout(15000)
        page.goto(f"{url}/counter?counter=1")
        page.fill("input[name=name]", "lan")
        page.fill("input[name=password]", "secret123")
        page.click("button[type=submit]")
        page.wait_for_selector("#link[data-state=ok]")
        assert page.is_hidden("#dossier")  # no ticket held, no panel
        page.keyboard.press("n")
        page.wait_for_selector("#dossier:not([hidden])")

        page.fill("#d-code", "hs-777001")  # typed by hand, in lower case
        page.press("#d-code", "Enter")
        page.wait_for_selector(".d-item[data-code='HS-777001']")
        due = page.input_value("#d-due")
        page.click(".d-item[data-code='HS-777001'] button.fix")
        page.select_option(".d-fix select[name=field]", "due")
        later = str(dt.date.fromisoformat(due) + dt.timedelta(days=7))
        page.fill(".d-fix input[name=value]", "2001-01-01")  # in the past: refused beside it
        page.click(".d-fix button[type=submit]")
        page.wait_for_selector(".d-fix .err:not(:empty)")
        page.fill(".d-fix input[name=value]", later)
        page.click(".d-fix button[type=submit]")
        page.wait_for_function("document.getElementById('message').textContent.includes('Đã sửa hồ sơ HS-777001')")  # fmt: skip
        d = requests.get(f"{url}/api/dossiers/HS-777001", headers=headers, timeout=5).json()
        assert d["dossier"]["due"] == later
        page.wait_for_function(f"document.querySelector(\".d-item[data-code='HS-777001'] .due\").textContent.includes('{later}')")  # fmt: skip

        # A key pressed by hand is still the console's shortcut while the panel is open.
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("f")
        page.wait_for_function("document.getElementById('t-number').textContent === '—'")
        page.keyboard.press("n")
        page.wait_for_selector("#dossier:not([hidden])")
        page.wait_for_selector("#d-list li.none")  # the next visit starts with no dossier
        page.click("#d-advice")
        page.wait_for_selector("#d-list li.advice")
        page.reload()  # the mark comes from the server, not from the page's memory
        page.wait_for_selector("#d-list li.advice")
        browser.close()
