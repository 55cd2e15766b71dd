"""Regenerate docs/screenshots/counter*.png and display*.png from a real server and Chromium.

Usage: .venv/bin/python scripts/screenshots_display.py [OUT_DIR]
Starts gunicorn on a free port with a throw-away data dir, fills a morning's queue through
the API, logs in through /login as a clerk, and photographs the pages at 1920x1080.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import LiveServer  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required"]  # fmt: skip


def fill_queue(url: str, token: str) -> None:
    """A plausible mid-morning: people waiting in every procedure, four counters busy."""
    h = {"Authorization": f"Bearer {token}"}
    for service, n in [("hotich", 9), ("chungthuc", 7), ("datdai", 5), ("ldtbxh", 3),
                       ("vhxh", 2), ("khac", 2)]:  # fmt: skip
        for i in range(n):
            body = {"service": service, "priority": i == 4, "kiosk": "kiosk-1"}
            requests.post(f"{url}/api/tickets", json=body, timeout=5).raise_for_status()

    def at(counter: int, action: str) -> None:
        # One clerk plays every counter: it signs in at each before acting there.
        requests.post(f"{url}/api/counters/{counter}/sign-in", headers=h, timeout=5)
        requests.post(f"{url}/api/counters/{counter}/{action}", headers=h, timeout=5)

    for counter in (1, 2, 3, 4, 1, 2, 3, 1, 2, 4):
        at(counter, "next")
    at(1, "start")
    at(4, "pause")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp) / "data").start()
        try:
            token = server.token("lan", "clerk")
            fill_queue(server.url, token)
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
                )
                size = {"width": 1920, "height": 1080}
                # bypass_csp: only for Playwright's own waits (eval), as the browser tests do.
                context = browser.new_context(viewport=size, bypass_csp=True)
                display = context.new_page()
                display.goto(f"{server.url}/display?name=sanh-chinh")
                display.wait_for_function("document.getElementById('screen').dataset.seq > 0")
                display.wait_for_timeout(500)
                display.screenshot(path=str(out / "display.png"))

                console = context.new_page()
                console.goto(f"{server.url}/counter?counter=2")
                console.fill("input[name=name]", "lan")
                console.fill("input[name=password]", "secret123")
                console.click("button[type=submit]")
                console.wait_for_url("**/counter?counter=2")
                console.wait_for_selector("#w-list li")
                console.click("#b-next")
                console.wait_for_function(
                    "document.getElementById('message').className.includes('ok')"
                )
                console.wait_for_timeout(300)
                console.screenshot(path=str(out / "counter.png"))

                display.wait_for_selector("#hero.flash")
                display.wait_for_timeout(700)
                display.screenshot(path=str(out / "display-call.png"))
                small = context.new_page()
                small.set_viewport_size({"width": 1366, "height": 768})
                small.goto(f"{server.url}/counter?counter=2")  # shares the login cookie
                small.wait_for_selector("#w-list li")
                time.sleep(0.3)
                small.screenshot(path=str(out / "counter-1366.png"))
                browser.close()
        finally:
            server.stop()
    for f in sorted(out.glob("*.png")):
        if f.name.startswith(("counter", "display")):
            print(f"{f} {f.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
