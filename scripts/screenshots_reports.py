"""Screenshots of the supervisor pages for the docs, from `flask demo simulate` data.

Usage: .venv/bin/python scripts/screenshots_reports.py [OUT_DIR]
Builds a fresh data dir, simulates 30 days up to a fixed "now" (Friday 27 Nov 2026, 09:20)
so "today" is mid-morning, serves the app with that clock, and drives real Chromium.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

NOW = "2026-11-27 09:20"
DAY = "2026-11-26"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required"]  # fmt: skip


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="onestop-shots-"))
    env = {**os.environ, "ONESTOP_DATA": str(data), "ONESTOP_PRINTER_TYPE": "none",
           "ONESTOP_VOICE_WARM_ON_START": "false"}  # fmt: skip
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "demo", "simulate", "--days", "30", "--seed", "7", "--until", NOW],
                   cwd=ROOT, env=env, check=True)  # fmt: skip
    os.environ.update(env)
    from server.app import create_app

    now = dt.datetime.fromisoformat(NOW).replace(tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).timestamp()
    # Everything runs on the simulated clock: a command at the real time would roll the
    # office day and expire the simulated morning's tickets.
    app = create_app({"CLOCK": lambda: now})
    app.extensions["onestop"].users.add("giamsat", "supervisor", "secret123")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(base + "/login?next=/supervisor")
            page.fill("input[name=name]", "giamsat")
            page.fill("input[name=password]", "secret123")
            page.click("button[type=submit]")
            page.wait_for_selector("#live-state.ok")
            page.screenshot(path=out / "supervisor-today.png", full_page=True)
            page.goto(f"{base}/supervisor/day?date={DAY}")
            page.wait_for_selector("#day[data-charts=ready]")
            page.screenshot(path=out / "supervisor-day.png", clip={"x": 0, "y": 0, "width": 1366, "height": 1500}, full_page=True)  # fmt: skip
            page.goto(base + "/supervisor/trend")
            page.wait_for_selector("#trend[data-charts=ready]")
            page.screenshot(path=out / "supervisor-trend.png", full_page=True)
            page.goto(f"{base}/supervisor/print?date={DAY}")
            page.set_viewport_size({"width": 900, "height": 1200})
            page.screenshot(path=out / "report-print.png", full_page=True)
            # A counter's tablet right after its clerk presses Finish.
            queue = app.extensions["onestop"].queue
            busy = [c["number"] for c in queue.line.counters() if c["ticket"]]
            number = busy[0] if busy else 1
            if not busy:
                queue.issue("hotich")
                queue.next(number)
            queue.finish(number)
            page.set_viewport_size({"width": 1280, "height": 800})
            page.goto(f"{base}/rate/{number}")
            page.wait_for_selector("#ask:not([hidden])")
            page.screenshot(path=out / "report-rate.png")
            browser.close()
    finally:
        server.shutdown()
    for f in sorted(out.glob("supervisor-*.png")) + sorted(out.glob("report-*.png")):
        print(f, f.stat().st_size // 1024, "KB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
