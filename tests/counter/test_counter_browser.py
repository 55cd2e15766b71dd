"""The console in real Chromium against a real server: keys, double clicks, transfer."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import sync_playwright

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def take(server, service, priority=False):
    r = requests.post(f"{server.url}/api/tickets", json={"service": service, "priority": priority},
                      timeout=5)  # fmt: skip
    assert r.status_code == 201
    return r.json()["ticket"]


def test_console_in_a_browser(live_server):
    live_server.token("lan", "clerk")
    a = take(live_server, "chungthuc")
    b = take(live_server, "chungthuc")
    vip = take(live_server, "hotich", priority=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=CHROMIUM_ARGS)  # fmt: skip
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{live_server.url}/counter")
        page.fill("input[name=name]", "lan")
        page.fill("input[name=password]", "secret123")
        page.click("button[type=submit]")
        page.wait_for_url("**/counter")
        page.select_option("#counter-select", "2")
        page.reload()  # the choice is remembered by the browser
        assert page.input_value("#counter-select") == "2"
        page.wait_for_selector("#w-list li")
        rows = page.locator("#w-list li").all_inner_texts()
        assert rows[0].startswith(vip["number"]) and "Ưu tiên" in rows[0]
        assert page.inner_text("#w-total") == "3"

        page.dblclick("#b-next")  # one call, whatever the mouse did
        page.wait_for_function(
            f"document.getElementById('t-number').textContent === '{vip['number']}'"
        )
        page.wait_for_function("!document.getElementById('b-next').disabled")
        page.wait_for_timeout(300)
        queue = requests.get(f"{live_server.url}/api/queue", timeout=5).json()
        assert queue["waiting"]["chungthuc"] == 2  # nobody skipped
        assert page.locator("#w-list li").count() == 2

        page.keyboard.press("s")
        page.wait_for_function(
            "document.getElementById('t-status').textContent.includes('Đang giải quyết')"
        )
        page.keyboard.press("t")
        page.wait_for_selector("#transfer-dialog[open]")
        page.select_option("#tr-service", "datdai")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "document.getElementById('message').textContent.includes('Đã chuyển số')"
        )
        ticket = requests.get(f"{live_server.url}/api/tickets/{vip['id']}", timeout=5).json()
        assert ticket["ticket"]["service"] == "datdai" and ticket["ticket"]["status"] == "waiting"
        page.wait_for_function("document.getElementById('t-number').textContent === '—'")

        for expected in (a["number"], b["number"]):
            page.keyboard.press("n")
            page.wait_for_function(
                f"document.getElementById('t-number').textContent === '{expected}'"
            )
            page.wait_for_function("!document.getElementById('b-next').disabled")
        page.keyboard.press("n")
        page.wait_for_function(
            "document.getElementById('message').textContent.includes('Không còn ai')"
        )
        # a and b finished by Next; the figure refreshes with the console's next state fetch
        page.wait_for_function("document.getElementById('m-served').textContent === '2'")

        page.keyboard.press("p")
        page.wait_for_function(
            "document.getElementById('counter-status').textContent.includes('TẠM DỪNG')"
        )
        assert page.locator("#b-next").is_disabled()
        browser.close()
