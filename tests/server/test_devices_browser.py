"""Real Chromium as enrolled devices: a kiosk across reboots of both ends, a TV in presence,
a rating tablet with no clerk session."""

from __future__ import annotations

import time

import pytest
import requests

from tests.helpers import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# As nginx passes a device on the hall's Wi-Fi: the server believes it (behind_proxy).
HALL = {"X-Real-IP": "10.0.0.9"}


@pytest.fixture
def server(tmp_path):
    s = LiveServer(tmp_path / "live", env={"ONESTOP_SECURITY_BEHIND_PROXY": "true"}).start()
    yield s
    s.stop()


def boot(pw, profile):
    """The device's browser starting on its own profile (what survives a reboot)."""
    ctx = pw.chromium.launch_persistent_context(
        str(profile), executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True,
        extra_http_headers=HALL, bypass_csp=True,
    )  # fmt: skip
    ctx.set_default_timeout(15000)
    return ctx, ctx.pages[0] if ctx.pages else ctx.new_page()


def take(page) -> str:
    page.wait_for_selector("button.svc[data-code=hotich]")
    page.click("button.svc[data-code=hotich]")
    page.wait_for_selector("#result:not([hidden]), #error:not([hidden])")
    return page.get_attribute("#result", "data-ticket") or ""


def test_a_kiosk_enrolled_once_issues_after_both_restart(server, tmp_path):
    from playwright.sync_api import sync_playwright

    token = server.flask("device", "add", "kiosk-cua", "--kind", "kiosk").splitlines()[-1]
    with sync_playwright() as pw:
        ctx, page = boot(pw, tmp_path / "kiosk-profile")
        page.goto(f"{server.url}/kiosk")
        assert take(page) == ""
        assert "chưa được đăng ký" in page.text_content("#e-text")  # not enrolled yet
        page.goto(f"{server.url}/devices/enrol?token={token}")
        assert page.url == f"{server.url}/kiosk"  # the token left the address bar
        first = take(page)
        assert first
        ctx.close()  # the kiosk reboots, and so does the server
        server.restart()
        ctx, page = boot(pw, tmp_path / "kiosk-profile")
        page.goto(f"{server.url}/kiosk")
        second = take(page)
        ctx.close()
    for tid in (first, second):
        ticket = requests.get(f"{server.url}/api/tickets/{tid}", timeout=5).json()["ticket"]
        assert ticket["kiosk"] == "kiosk-cua"


def test_only_the_enrolled_tv_is_in_presence(server, tmp_path):
    from playwright.sync_api import sync_playwright

    token = server.flask("device", "add", "tv-sanh", "--kind", "display").splitlines()[-1]
    boss = {"Authorization": f"Bearer {server.token('giamsat', 'supervisor')}"}
    with sync_playwright() as pw:
        stranger, page = boot(pw, tmp_path / "stranger")
        page.goto(f"{server.url}/display?name=fake-tv")
        page.wait_for_selector("#link[hidden]", state="attached")  # the lobby is public
        tv, screen = boot(pw, tmp_path / "tv-profile")
        screen.goto(f"{server.url}/devices/enrol?token={token}")
        screen.wait_for_selector("#link[hidden]", state="attached")
        devices = requests.get(f"{server.url}/display/devices", headers=boss, timeout=5).json()
        shown = [(d["kind"], d["name"], d["address"], d["connected"]) for d in devices["devices"]]
        assert shown == [("display", "tv-sanh", "10.0.0.9", True)]
        tv.close()
        stranger.close()


def test_the_enrolled_tablet_rates_its_counter_without_a_clerk_session(server, tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.helpers import sign_in

    token = server.flask("device", "add", "tab-2", "--kind", "tablet", "--counter", "2")
    clerk = {"Authorization": f"Bearer {server.token('lan', 'clerk')}"}
    sign_in(server.url, clerk, 2)
    with sync_playwright() as pw:
        ctx, tablet = boot(pw, tmp_path / "tablet-profile")
        tablet.goto(f"{server.url}/devices/enrol?token={token.splitlines()[-1]}")
        assert tablet.url == f"{server.url}/rate/2"
        tablet.wait_for_selector("#rate[data-screen=idle]")
        t = requests.post(f"{server.url}/api/tickets", json={"service": "hotich"}, timeout=5)
        tid = t.json()["ticket"]["id"]
        for action in ("next", "finish"):
            r = requests.post(f"{server.url}/api/counters/2/{action}", headers=clerk, timeout=5)
            assert r.status_code == 200
        tablet.wait_for_selector("#ask:not([hidden])")
        tablet.click("button.face[data-rating='4']")
        tablet.wait_for_selector("#thanks:not([hidden])")  # shown before the answer comes
        url = f"{server.url}/api/tickets/{tid}"
        deadline = time.monotonic() + 10
        while requests.get(url, timeout=5).json()["ticket"]["rating"] is None:
            assert time.monotonic() < deadline, "the tablet's rating never arrived"
            time.sleep(0.1)
        ctx.close()
    assert requests.get(url, timeout=5).json()["ticket"]["rating"] == 4
