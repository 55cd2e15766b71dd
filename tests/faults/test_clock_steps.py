"""A real server whose wall clock steps (libfaketime) loses nobody: numbers, order, no expiry.

The server runs under libfaketime with a timestamp file re-read at every call, so the test
moves the process's wall clock at chosen instants, as NTP does on a Pi that booted with a
stale clock. /proc/uptime (what the server's steady clock reads) is not faked.
"""

from __future__ import annotations

import datetime as dt
import glob
import re
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import TZ, LiveServer

pytestmark = pytest.mark.slow

LIBS = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
needs_faketime = pytest.mark.skipif(not LIBS, reason="needs libfaketime (apt: faketime)")
H = 3600


class SteppedServer:
    """A LiveServer whose wall clock is real time plus an offset the test sets."""

    def __init__(self, tmp_path: Path, offset: float):
        self.file = tmp_path / "faketime"
        self.set(offset)
        env = {"LD_PRELOAD": LIBS[0], "FAKETIME_TIMESTAMP_FILE": str(self.file),
               "FAKETIME_NO_CACHE": "1"}  # fmt: skip
        self.server = LiveServer(tmp_path / "data", env=env)
        token = self.server.token("desk", "supervisor")
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"
        self.server.start()

    def set(self, offset: float) -> None:
        self.file.write_text(f"{offset:+.0f}\n")

    def issue(self) -> dict:
        r = self.s.post(self.server.url + "/api/tickets", json={"service": "hotich"}, timeout=5)
        assert r.status_code == 201, r.text
        return r.json()["ticket"]

    def next(self) -> dict:
        r = self.s.post(self.server.url + "/api/counters/1/next", timeout=5)
        assert r.status_code == 200, r.text
        return r.json()["ticket"]

    def ticket(self, ticket_id: str) -> dict:
        return self.get(f"/api/tickets/{ticket_id}")["ticket"]

    def get(self, path: str) -> dict:
        return self.s.get(self.server.url + path, timeout=5).json()


def offset_to(local: dt.datetime) -> float:
    """The offset that makes the wall clock read `local` (office time) now."""
    return local.replace(tzinfo=TZ).timestamp() - time.time()


@needs_faketime
def test_stale_boot_20_hours_behind_then_ntp(tmp_path):
    # 20 h behind is yesterday only before 20:00 office time; later in the day the stale boot
    # must be further back to fall on yesterday (CI runs at any hour).
    now = dt.datetime.now(TZ)
    behind = 20 * H if (now - dt.timedelta(hours=20)).date() < now.date() else 26 * H
    hall = SteppedServer(tmp_path, -behind)
    try:
        held = [hall.issue() for _ in range(3)]
        assert [t["number"] for t in held] == ["A001", "A002", "A003"]
        stale_day = held[0]["day"]
        hall.set(0)  # NTP reaches a server: +20 h (or +26 h)
        health = hall.get("/api/health")["checks"]["clock"]
        assert health["status"] == "degraded" and health["steps"][0]["step_s"] == behind
        nxt = hall.issue()
        assert nxt["number"] == "A004" and nxt["day"] > stale_day
        for t in held:
            held_now = hall.ticket(t["id"])
            assert (held_now["status"], held_now["number"], held_now["day"]) == (
                "waiting",
                t["number"],
                nxt["day"],
            )
        assert [hall.next()["number"] for _ in range(4)] == ["A001", "A002", "A003", "A004"]
        alerts = hall.get("/api/reports/live")["alerts"]
        assert [a["type"] for a in alerts] == ["clock_stepped"]
        assert abs(alerts[0]["data"]["step_s"] - behind) < 2
    finally:
        hall.server.stop()


@needs_faketime
def test_a_15_minute_step_back_keeps_the_order(tmp_path):
    hall = SteppedServer(tmp_path, 0)
    try:
        early = [hall.issue()["number"] for _ in range(3)]
        hall.set(-15 * 60)
        late = hall.issue()["number"]
        assert [hall.next()["number"] for _ in range(4)] == [*early, late]
        assert hall.get("/api/health")["checks"]["clock"]["steps"][0]["step_s"] == -15 * 60
    finally:
        hall.server.stop()


@needs_faketime
@pytest.mark.parametrize("boot,step", [(-5 * 60, 10 * 60), (5 * 60, -10 * 60)])
def test_a_step_across_midnight(tmp_path, boot, step):
    midnight = dt.datetime.combine(dt.date.today() + dt.timedelta(days=2), dt.time())
    hall = SteppedServer(tmp_path, offset_to(midnight + dt.timedelta(seconds=boot)))
    try:
        held = [hall.issue() for _ in range(2)]
        hall.set(offset_to(midnight + dt.timedelta(seconds=boot + step)))
        third = hall.issue()
        assert third["number"] == "A003"
        for t in held:
            now = hall.ticket(t["id"])
            assert (now["status"], now["number"], now["day"]) == (
                "waiting",
                t["number"],
                third["day"],
            )
        assert [hall.next()["number"] for _ in range(3)] == ["A001", "A002", "A003"]
        assert hall.get("/api/health")["checks"]["clock"]["status"] == "degraded"
    finally:
        hall.server.stop()


@needs_faketime
@pytest.mark.browser
def test_the_supervisor_sees_the_step_in_words(tmp_path):
    from playwright.sync_api import sync_playwright

    hall = SteppedServer(tmp_path, -(14 * H + 15 * 60))
    try:
        hall.issue()
        hall.set(0)
        hall.issue()  # the step is seen and logged
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium",
                                  args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
            page = b.new_page()
            page.goto(hall.server.url + "/login?next=/supervisor")
            page.fill("input[name=name]", "desk")
            page.fill("input[name=password]", "secret123")
            page.click("button[type=submit]")
            page.wait_for_url("**/supervisor")
            texts = []
            for lang in ("vi", "en"):
                page.goto(f"{hall.server.url}/supervisor?lang={lang}")
                alert = page.locator("#l-alerts li").first
                alert.wait_for()
                texts.append(alert.inner_text())
            page.goto(hall.server.url + "/counter")  # a clerk's console hears the next at once
            page.select_option("#counter-select", "1")
            page.wait_for_selector("#link[data-state=ok]")
            hall.set(-15 * 60)
            hall.issue()
            page.wait_for_selector("#alerts li.warn")
            texts.append(page.locator("#alerts li.warn").first.inner_text())
            b.close()
        assert re.search(r"Đồng hồ đã được chỉnh \+14 giờ 15 phút lúc \d\d:\d\d$", texts[0]), texts
        assert re.search(r"The clock was corrected by \+14 h 15 min at \d\d:\d\d$", texts[1]), texts
        assert re.search(r"Đồng hồ đã được chỉnh −15 phút lúc \d\d:\d\d$", texts[2]), texts
    finally:
        hall.server.stop()
