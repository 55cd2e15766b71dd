"""Every page works under the real Content-Security-Policy (no bypass), in real Chromium."""

from __future__ import annotations

import pytest
import requests

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--autoplay-policy=no-user-gesture-required"]  # fmt: skip

# page -> a selector that only appears once the page's own script has run
PUBLIC = {
    "/kiosk": "button[data-service], .k-service, [data-code]",
    "/display": "#clock:not(:empty), .clock:not(:empty)",
}
STAFF = ["/counter", "/supervisor", "/supervisor/day", "/supervisor/trend", "/rate/1"] + [
    f"/admin/{slug}" for slug in ("office", "procedures", "counters", "notices", "users",
                                  "devices", "printer-voice", "history")
]  # fmt: skip


def test_pages_raise_no_csp_violation(live_server):
    from playwright.sync_api import sync_playwright

    live_server.token("csp-admin", "admin")
    ticket = requests.post(live_server.url + "/api/tickets", json={"service": "hotich"}).json()
    violations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        ctx = browser.new_context(bypass_csp=False, viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        page.on(
            "console",
            lambda m: (
                violations.append(f"{page.url}: {m.text}")
                if "Content Security Policy" in m.text
                else None
            ),
        )
        for path, ready in PUBLIC.items():
            page.goto(live_server.url + path)
            page.wait_for_selector(ready, timeout=10_000)
        page.goto(f"{live_server.url}/t/{ticket['ticket']['id']}")
        page.wait_for_selector(f"text={ticket['ticket']['number']}", timeout=10_000)
        page.goto(live_server.url + "/login")
        page.fill("input[name=name]", "csp-admin")
        page.fill("input[name=password]", "secret123")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        for path in STAFF:
            r = page.goto(live_server.url + path)
            assert r.status == 200, path
            page.wait_for_load_state("networkidle")
        browser.close()
    assert violations == []
