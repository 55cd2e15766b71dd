"""Regenerate the kiosk, status-page and ticket screenshots in docs/screenshots/.

    .venv/bin/python scripts/screenshots_kiosk.py [--out docs/screenshots]

Starts a real server (gunicorn) on the demo office with the file printer, issues a few
tickets so the buttons show people waiting, and drives real Chromium (never downloaded:
/usr/bin/chromium). One procedure is configured closed today to show the greyed button.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import LiveServer, free_port  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def dump_toml(data: dict) -> str:
    """Just enough TOML writing for the site config (tables and arrays of tables)."""
    out = []
    for key, value in data.items():
        if isinstance(value, dict):
            out.append(f"[{key}]")
            out += [f"{k} = {toml_value(v)}" for k, v in value.items()]
            out.append("")
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                out.append(f"[[{key}]]")
                out += [f"{k} = {toml_value(v)}" for k, v in item.items()]
                out.append("")
    return "\n".join(out)


def demo_config(path: Path) -> Path:
    """The demo office with hours enforced: every procedure open now except "khac"."""
    data = tomllib.loads((ROOT / "config" / "site.toml").read_text(encoding="utf-8"))
    data["office"]["enforce_hours"] = True
    today = DAYS[dt.datetime.now(ZoneInfo(data["office"]["timezone"])).weekday()]
    for s in data["services"]:
        if s["code"] == "khac":
            s["hours"] = {d: ["07:30-11:30", "13:30-17:00"] for d in DAYS[:5] if d != today}
            if not s["hours"]:
                s["hours"] = {"mon": ["07:30-11:30"]}
        else:
            s["hours"] = {"daily": ["00:00-23:59"]}
    path.write_text(dump_toml(data), encoding="utf-8")
    return path


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
            for code, n in (("hotich", 3), ("chungthuc", 1), ("datdai", 5), ("ldtbxh", 2)):
                for _ in range(n):
                    r = requests.post(f"{server.url}/api/tickets", json={"service": code})
                    r.raise_for_status()
            # The next civil-status ticket, exactly as it would print now (3 people ahead).
            server.flask(
                "printer", "preview", "--service", "hotich", "-o", str(out / "ticket-hotich.png")
            )
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
                )
                for name, size in (
                    ("kiosk-landscape", (1280, 800)),
                    ("kiosk-portrait", (800, 1280)),
                ):
                    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
                    page.goto(f"{server.url}/kiosk")
                    page.wait_for_selector("button.svc")
                    page.wait_for_timeout(400)
                    page.screenshot(path=str(out / f"{name}.png"))
                    if name == "kiosk-landscape":
                        page.click("#priority-toggle")
                        page.wait_for_timeout(200)
                        page.screenshot(path=str(out / "kiosk-priority.png"))
                        page.reload()
                        page.wait_for_selector("button.svc")
                        page.click("button.svc[data-code=hotich]")
                        page.wait_for_selector("#r-print[data-state=printed]")
                        page.wait_for_timeout(300)
                        page.screenshot(path=str(out / "kiosk-ticket.png"))
                        ticket_id = page.get_attribute("#result", "data-ticket")
                    page.close()
                phone = browser.new_page(
                    viewport={"width": 390, "height": 844}, device_scale_factor=1
                )
                phone.goto(f"{server.url}/t/{ticket_id}")
                phone.wait_for_selector("#s-facts:not([hidden])")
                phone.wait_for_timeout(300)
                phone.screenshot(path=str(out / "status-waiting.png"))
                token = server.token("screenshots", "clerk")
                headers = {"Authorization": f"Bearer {token}"}
                requests.post(f"{server.url}/api/counters/1/sign-in", headers=headers)
                # Counter 1 calls until it reaches our ticket.
                for _ in range(10):
                    r = requests.post(f"{server.url}/api/counters/1/next", headers=headers)
                    if r.status_code == 200 and r.json()["ticket"]["id"] == ticket_id:
                        break
                phone.wait_for_selector("#s-status[data-status=called]")
                phone.wait_for_timeout(300)
                phone.screenshot(path=str(out / "status-called.png"))
                requests.post(f"{server.url}/api/counters/1/finish", headers=headers)
                phone.wait_for_selector("#s-rate:not([hidden])")
                phone.wait_for_timeout(300)
                phone.screenshot(path=str(out / "status-rating.png"))
                browser.close()
        finally:
            server.stop()
        # A printer that cannot be reached: the kiosk keeps the number on screen.
        broken = LiveServer(
            Path(tmp) / "broken",
            config=config,
            env={"ONESTOP_PRINTER_TYPE": "network", "ONESTOP_PRINTER_HOST": "127.0.0.1",
                 "ONESTOP_PRINTER_PORT": str(free_port()), "ONESTOP_PRINTER_TIMEOUT_S": "1"},
        ).start()  # fmt: skip
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
                )
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"{broken.url}/kiosk")
                page.click("button.svc[data-code=chungthuc]")
                page.wait_for_selector("#r-print[data-state=failed]")
                page.wait_for_timeout(300)
                page.screenshot(path=str(out / "kiosk-print-failed.png"))
                browser.close()
        finally:
            broken.stop()
    time.sleep(0.1)
    for p in sorted(out.glob("*.png")):
        if p.name.startswith(("kiosk", "status", "ticket")):
            print(f"{p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}: {p.stat().st_size} B")


if __name__ == "__main__":
    main()
