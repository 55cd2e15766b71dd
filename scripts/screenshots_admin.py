"""Screenshots of the admin pages for the docs (docs/screenshots/admin-*.png).

Usage: .venv/bin/python scripts/screenshots_admin.py [OUT_DIR]
Starts a real server on a fresh data dir (the demo office), signs in an admin, adds a few
users and devices, and drives real Chromium through every page, with one field error shown.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.helpers import LiveServer  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def seed(server: LiveServer, token: str) -> None:
    """Users and devices, so the pages show what an office has."""
    h = {"Authorization": f"Bearer {token}"}
    for name, role, counters in (("lan", "clerk", [1]), ("hoa", "clerk", [2, 3]),
                                 ("minh", "supervisor", [])):  # fmt: skip
        requests.post(f"{server.url}/api/admin/users", headers=h, timeout=5,
                      json={"name": name, "role": role, "password": "secret123",
                            "counters": counters})  # fmt: skip
    for name, kind, counter in (("kiosk-cua", "kiosk", None), ("tv-sanh", "display", None),
                                ("tablet-2", "tablet", 2)):  # fmt: skip
        body = {"name": name, "kind": kind, **({"counter": counter} if counter else {})}
        requests.post(f"{server.url}/api/admin/devices", headers=h, json=body, timeout=5)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    server = LiveServer(Path(tempfile.mkdtemp(prefix="onestop-admin-shots-")) / "live").start()
    try:
        token = server.token("quantri", "admin")
        seed(server, token)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(server.url + "/login?next=/admin/office")
            page.fill("input[name=name]", "quantri")
            page.fill("input[name=password]", "secret123")
            page.click("button[type=submit]")
            page.wait_for_selector('[data-field="office.name"]')
            page.screenshot(path=out / "admin-office.png", full_page=True)

            page.goto(server.url + "/admin/procedures")
            page.wait_for_selector("#t-procedures tbody tr")
            new = page.locator("#t-procedures tbody tr").count()  # the added row's index
            page.click("#add-procedure")
            page.fill(f'[data-field="services[{new}].code"]', "cutru")
            page.fill(f'[data-field="services[{new}].name"]', "Cư trú")
            page.fill(f'[data-field="services[{new}].prefix"]', "a")
            page.click("#save")
            page.wait_for_selector(".field-error")
            page.screenshot(path=out / "admin-procedures.png", full_page=True)

            for slug, ready in (("counters", "fieldset[data-counter]"), ("notices", "#preview h3"),
                                ("users", "#t-users tr[data-user]"),
                                ("devices", "#t-devices tr[data-device]"),
                                ("printer-voice", '[data-field="voice.repeat"]')):  # fmt: skip
                page.goto(f"{server.url}/admin/{slug}")
                page.wait_for_selector(ready)
                page.screenshot(path=out / f"admin-{slug}.png", full_page=True)

            page.goto(server.url + "/admin/devices")
            page.fill("#enrol [name=name]", "kiosk-cong-phu")
            page.click("#enrol button[type=submit]")
            page.wait_for_selector("#enrol-qr svg")
            page.screenshot(path=out / "admin-devices-enrol.png", full_page=True)

            page.goto(server.url + "/admin/counters")
            page.wait_for_selector("fieldset[data-counter]")
            page.locator('[data-field="counters[1].name"]').fill("Quầy 2 – Một cửa liên thông")
            page.click("#save")
            page.wait_for_selector("#message.note")
            page.goto(server.url + "/admin/history")
            page.wait_for_selector("#t-versions tr[data-version]")
            page.locator("#t-versions tr[data-version] button.view").first.click()
            page.wait_for_selector("#v-body:not(.muted), #v-body")
            page.screenshot(path=out / "admin-history.png", full_page=True)
            browser.close()
    finally:
        server.stop()
    for f in sorted(out.glob("admin-*.png")):
        print(f)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
