"""Regenerate the dossier screenshots: the kiosk's collect screen and the counter's dossier panel.

    .venv/bin/python scripts/screenshots_dossiers.py [--out docs/screenshots]

Writes kiosk-collect.png (the keypad, a code half typed), kiosk-collect-not-ready.png (a
scanned slip whose result is not ready: the promised date in words) and counter-dossier.png
(a ticket being served with two dossiers recorded, one found by code). A real server on the
demo office (every procedure open), real Chromium (/usr/bin/chromium, never downloaded).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.screenshots_kiosk import CHROMIUM_ARGS, demo_config  # noqa: E402
from tests.helpers import LiveServer  # noqa: E402


def office_today(config: Path) -> dt.date:
    """Today in the office's time zone (the day the server records the dossiers on)."""
    office = tomllib.loads(config.read_text(encoding="utf-8"))["office"]
    return dt.datetime.now(ZoneInfo(office["timezone"])).date()


def prepare(server, headers, today: dt.date) -> dict:
    """A served civil-status ticket with two dossiers, and one not-ready dossier to scan."""
    url = server.url
    requests.post(f"{url}/api/counters/1/sign-in", headers=headers, timeout=5).raise_for_status()
    for service in ("hotich", "hotich", "chungthuc"):
        requests.post(f"{url}/api/tickets", json={"service": service}, timeout=5).raise_for_status()
    r = requests.post(f"{url}/api/counters/1/next", headers=headers, timeout=5)
    r.raise_for_status()
    requests.post(f"{url}/api/counters/1/start", headers=headers, timeout=5).raise_for_status()
    dossiers = [
        {"code": "000.00.12.H26-261201-0007", "due": str(today + dt.timedelta(days=5))},
        {
            "code": "000.00.12.H26-261201-0008",
            "due": str(today + dt.timedelta(days=2)),
            "phone": "0912345678",
            "consent": True,
        },
    ]
    for d in dossiers:
        r = requests.post(f"{url}/api/counters/1/dossiers", json=d, headers=headers, timeout=5)
        r.raise_for_status()
    return dossiers[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        config = demo_config(Path(tmp) / "site.toml")
        server = LiveServer(
            Path(tmp) / "data", config=config, env={"ONESTOP_PRINTER_TYPE": "file"}
        ).start()
        try:
            token = server.token("lan", "clerk")
            not_ready = prepare(server, {"Authorization": f"Bearer {token}"}, office_today(config))
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
                )
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"{server.url}/kiosk")
                page.wait_for_selector("#collect-open:not([hidden])")
                page.click("#collect-open")
                for key in "000.00.12.H26":
                    page.click(f"#c-keys [data-key='{key}']")
                page.wait_for_timeout(200)
                page.screenshot(path=str(out / "kiosk-collect.png"))
                page.click("#c-cancel")
                # The scanner types the slip's code as a burst of keys, then Enter.
                page.keyboard.type(not_ready["code"], delay=0)
                page.keyboard.press("Enter")
                page.wait_for_selector("#answer[data-kind=not_ready]")
                page.wait_for_timeout(200)
                page.screenshot(path=str(out / "kiosk-collect-not-ready.png"))
                page.close()

                console = browser.new_page(viewport={"width": 1366, "height": 768})
                console.goto(f"{server.url}/counter?counter=1")
                console.fill("input[name=name]", "lan")
                console.fill("input[name=password]", "secret123")
                console.click("button[type=submit]")
                console.wait_for_selector("#dossier:not([hidden]) .d-item")
                console.fill("#ds-code", not_ready["code"])
                console.click("#ds-find")
                console.wait_for_selector("#ds-result:not([hidden]) button.set")
                console.keyboard.type("000.00.12.H26-261201-0009", delay=0)
                console.keyboard.press("Enter")
                console.wait_for_function(
                    "document.getElementById('d-code').value.endsWith('0009')"
                )
                console.wait_for_timeout(300)
                console.evaluate("window.scrollTo(0, 0)")
                console.screenshot(path=str(out / "counter-dossier.png"), full_page=True)
                browser.close()
        finally:
            server.stop()
    for name in ("kiosk-collect.png", "kiosk-collect-not-ready.png", "counter-dossier.png"):
        p = out / name
        print(f"{p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}: {p.stat().st_size} B")


if __name__ == "__main__":
    main()
