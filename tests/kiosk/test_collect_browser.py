"""The kiosk's collect screen in real Chromium against a real server: keypad, scanner, answers."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from tests.helpers import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
READY, LATER = "HS-2026-000111", "HS-2026-000222"
# A Thursday five weeks or so on (the server's date is the real one; the office is UTC+7).
TODAY = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
THURSDAY = TODAY + dt.timedelta(days=35 + (3 - TODAY.weekday()) % 7)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {"ONESTOP_PRINTER_TYPE": "file", "ONESTOP_KIOSK_RETURN_AFTER_S": "1"}
    s = LiveServer(tmp_path_factory.mktemp("collect") / "live", env=env).start()
    h = {"Authorization": f"Bearer {s.token('lan', 'clerk')}"}
    requests.post(f"{s.url}/api/counters/1/sign-in", headers=h, timeout=5).raise_for_status()
    requests.post(f"{s.url}/api/tickets", json={"service": "hotich"}, timeout=5).raise_for_status()
    requests.post(f"{s.url}/api/counters/1/next", headers=h, timeout=5).raise_for_status()
    for code, due in ((READY, str(TODAY)), (LATER, str(THURSDAY))):
        r = requests.post(f"{s.url}/api/counters/1/dossiers", json={"code": code, "due": due},
                          headers=h, timeout=5)  # fmt: skip
        assert r.status_code == 201, r.text
    r = requests.post(f"{s.url}/api/dossiers/{READY}/status", json={"status": "ready"},
                      headers=h, timeout=5)  # fmt: skip
    assert r.status_code == 200
    yield s
    s.stop()


@pytest.fixture
def kiosk(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                                     headless=True)  # fmt: skip
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(15000)
        page.looked_up = []
        page.on("request", lambda r: page.looked_up.append(r.url) if "/api/returns" in r.url else None)  # fmt: skip
        page.goto(f"{server.url}/kiosk")
        page.wait_for_selector("#collect-open:not([hidden])")
        yield page
        browser.close()


def keypad(page, text: str) -> None:
    for key in text:
        page.click(f"#c-keys [data-key='{key}']")


def test_the_keypad_gives_a_ready_result_its_return_ticket(server, kiosk):
    assert kiosk.text_content("#collect-open").startswith("Nhận kết quả")
    kiosk.click("#collect-open")
    assert kiosk.is_disabled("#c-find")  # nothing typed yet
    keypad(kiosk, "HS-2026-0001119")
    kiosk.click("#c-keys [data-key=back]")  # one key too many, taken back
    assert kiosk.text_content("#c-code") == READY
    kiosk.click("#c-find")
    kiosk.wait_for_selector("#result:not([hidden])")
    number = kiosk.text_content("#r-number")
    assert number.startswith("R") and kiosk.text_content("#r-service") == "Trả kết quả"
    kiosk.wait_for_selector("#r-print[data-state=printed]")
    queue = requests.get(f"{server.url}/api/queue", timeout=5).json()["waiting"]
    assert queue["traketqua"] == 1
    # Scanned again over the ticket screen while the ticket waits: the same ticket comes back.
    kiosk.keyboard.type(READY, delay=0)
    kiosk.keyboard.press("Enter")
    deadline = time.monotonic() + 10
    while len(kiosk.looked_up) < 2 and time.monotonic() < deadline:
        kiosk.wait_for_timeout(100)
    assert len(kiosk.looked_up) == 2  # the scan was taken over the ticket screen
    kiosk.wait_for_selector("#result:not([hidden])")
    assert kiosk.text_content("#r-number") == number
    assert requests.get(f"{server.url}/api/queue", timeout=5).json()["waiting"]["traketqua"] == 1


def test_a_scan_that_is_not_ready_says_the_date_in_words_in_english_too(kiosk):
    kiosk.click("button.lang[data-lang=en]")
    kiosk.keyboard.type(LATER, delay=0)  # on the start screen: no button needed first
    kiosk.keyboard.press("Enter")
    kiosk.wait_for_selector("#answer[data-kind=not_ready]")
    words = f"Thursday {THURSDAY.day} {THURSDAY:%B} {THURSDAY.year}"
    assert kiosk.text_content("#a-date") == f"Promised for: {words}"
    assert "No ticket is needed" in kiosk.text_content("#a-more")
    kiosk.wait_for_selector("#answer", state="hidden", timeout=12000)  # back to the start
    assert kiosk.is_visible("#start")


def test_typing_by_hand_is_not_a_scan_and_an_idle_screen_times_out(kiosk):
    kiosk.keyboard.type(LATER, delay=120)  # a person at a keyboard, not a scanner
    kiosk.keyboard.press("Enter")
    kiosk.wait_for_timeout(500)
    assert kiosk.looked_up == [] and kiosk.is_hidden("#answer")
    kiosk.click("#collect-open")
    keypad(kiosk, "HS")
    kiosk.wait_for_selector("#collect", state="hidden", timeout=12000)
    assert kiosk.looked_up == [] and kiosk.text_content("#c-code") == ""


def test_an_unknown_code_sends_the_citizen_to_staff(kiosk):
    kiosk.keyboard.type("HS-0000-404404", delay=0)
    kiosk.keyboard.press("Enter")
    kiosk.wait_for_selector("#answer[data-kind=unknown]")
    assert kiosk.text_content("#a-text") == "Không tìm thấy hồ sơ này"
    assert kiosk.text_content("#a-more") == "Xin mời hỏi cán bộ tại quầy."
    assert kiosk.is_hidden("#result")


def test_the_collect_button_does_not_wait_for_the_first_refresh(kiosk):
    # /api/services never answers: the page's own data must carry the return procedure.
    kiosk.route("**/api/services", lambda route: None)
    kiosk.reload()
    kiosk.wait_for_selector("#collect-open:not([hidden])")
    kiosk.click("button.lang[data-lang=en]")  # re-renders everything from the page's data
    assert kiosk.is_visible("#collect-open")
    kiosk.keyboard.type(LATER, delay=0)
    kiosk.keyboard.press("Enter")
    kiosk.wait_for_selector("#answer[data-kind=not_ready]")
