"""Real Chromium against a real server: the kiosk issues, the phone page follows."""

from __future__ import annotations

import re

import pytest
import requests

from tests.helpers import LiveServer, free_port, sign_in
from tests.printer.escpos_bytes import parse

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                               headless=True)  # fmt: skip
        yield b
        b.close()


def start(tmp_path, **env) -> LiveServer:
    return LiveServer(tmp_path / "live", env={"ONESTOP_PRINTER_TYPE": "file", **env}).start()


@pytest.fixture
def server(tmp_path):
    s = start(tmp_path)
    yield s
    s.stop()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    p = ctx.new_page()
    p.set_default_timeout(15000)
    yield p
    ctx.close()


def waiting(server, code="hotich") -> int:
    return requests.get(f"{server.url}/api/queue", timeout=5).json()["waiting"][code]


def button(code: str) -> str:
    return f"button.svc[data-code={code}]"


def test_tap_a_procedure_and_see_the_number(server, page):
    page.goto(f"{server.url}/kiosk")
    page.wait_for_selector(button("hotich"))
    # Someone else takes a number: the count on the button follows over Socket.IO.
    requests.post(f"{server.url}/api/tickets", json={"service": "hotich"}, timeout=5)
    page.wait_for_function(
        "document.querySelector('button.svc[data-code=hotich] .svc-info')"
        ".textContent.includes('Đang chờ: 1')"
    )
    page.click(button("hotich"))
    page.wait_for_selector("#result:not([hidden])")
    assert page.text_content("#r-number") == "A002"
    assert page.text_content("#r-service") == "Tư pháp – Hộ tịch"
    assert page.text_content("#r-ahead") == "1"
    page.wait_for_selector("#r-print[data-state=printed]")
    assert page.evaluate("document.getElementById('r-qr').naturalWidth") > 0
    assert waiting(server) == 2
    jobs = parse((server.data_dir / "printer.bin").read_bytes())
    assert len(jobs) == 2 and all(j.cut for j in jobs)
    # Done returns to the start screen; English on request.
    page.click("#r-done")
    page.wait_for_selector("#result", state="hidden")
    page.click("button.lang[data-lang=en]")
    assert page.text_content(f"{button('hotich')} .svc-name") == "Justice – Civil status"
    assert "2 people waiting" in page.text_content(f"{button('hotich')} .svc-info")


def test_queue_events_update_the_buttons_in_place(server, page):
    """A tap must never land on a button being replaced: events edit the same nodes."""
    page.goto(f"{server.url}/kiosk")
    page.wait_for_selector(button("hotich"))
    page.evaluate("document.querySelectorAll('button.svc').forEach(b => b.dataset.mark = 'x')")
    for n in (1, 2):
        requests.post(f"{server.url}/api/tickets", json={"service": "hotich"}, timeout=5)
        page.wait_for_function(
            "document.querySelector('button.svc[data-code=hotich] .svc-info')"
            f".textContent.includes('Đang chờ: {n}')"
        )
    marks = page.evaluate("[...document.querySelectorAll('button.svc')].map(b => b.dataset.mark)")
    assert marks == ["x"] * 6
    page.click("button.lang[data-lang=en]")  # a language switch edits them too
    assert page.evaluate("document.querySelectorAll('button.svc[data-mark=x]').length") == 6
    assert "2 people waiting" in page.text_content(f"{button('hotich')} .svc-info")


def test_the_number_screen_returns_to_start_by_itself(tmp_path, page):
    s = start(tmp_path, ONESTOP_KIOSK_RETURN_AFTER_S="2")
    try:
        page.goto(f"{s.url}/kiosk")
        page.click(button("chungthuc"))
        page.wait_for_selector("#result:not([hidden])")
        page.wait_for_selector("#result", state="hidden", timeout=8000)
        assert page.is_visible(button("chungthuc"))
    finally:
        s.stop()


def test_double_tap_makes_one_ticket(server, page):
    page.goto(f"{server.url}/kiosk")
    page.wait_for_selector(button("datdai"))
    page.dblclick(button("datdai"))
    page.wait_for_selector("#result:not([hidden])")
    assert page.text_content("#r-number") == "C001"
    assert waiting(server, "datdai") == 1


def test_a_lost_answer_is_retried_with_the_same_key(server, page):
    """The server issued the ticket but the answer never arrived: one ticket, not two."""
    keys = []

    def flaky(route):
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server issues the ticket...
            route.abort("connectionreset")  # ...and the kiosk never hears back
        else:
            route.continue_()

    page.route("**/api/tickets", flaky)
    page.goto(f"{server.url}/kiosk")
    page.click(button("hotich"))
    page.wait_for_selector("#busy-retry:not([hidden])")
    assert "Không kết nối được máy chủ" in page.text_content("#offline")
    page.wait_for_selector("#result:not([hidden])")
    assert page.text_content("#r-number") == "A001"
    assert len(keys) == 2 and keys[0] == keys[1] and re.fullmatch(r"[0-9a-f]{32}", keys[0])
    assert waiting(server) == 1


def test_server_down_is_said_plainly_and_retried(server, page):
    page.goto(f"{server.url}/kiosk")
    page.wait_for_selector(button("vhxh"))
    server.stop()
    page.click(button("vhxh"))
    page.wait_for_selector("#offline:not([hidden])")
    assert page.text_content("#offline") == "Không kết nối được máy chủ. Đang thử lại…"
    page.wait_for_selector("#busy-retry:not([hidden])")
    server.start()
    page.wait_for_selector("#result:not([hidden])", timeout=20000)
    assert page.text_content("#r-number") == "E001"
    assert waiting(server, "vhxh") == 1


def test_print_failure_says_ask_staff_and_keeps_the_number(tmp_path, page):
    s = start(tmp_path, ONESTOP_PRINTER_TYPE="network", ONESTOP_PRINTER_HOST="127.0.0.1",
              ONESTOP_PRINTER_PORT=str(free_port()), ONESTOP_PRINTER_TIMEOUT_S="1")  # fmt: skip
    try:
        page.goto(f"{s.url}/kiosk")
        page.click(button("hotich"))
        page.wait_for_selector("#r-print[data-state=failed]")
        assert "Vui lòng liên hệ cán bộ" in page.text_content("#r-print")
        assert page.text_content("#r-number") == "A001"
        assert page.evaluate("document.getElementById('r-qr').naturalWidth") > 0
        assert waiting(s) == 1
    finally:
        s.stop()


def test_priority_ticket(server, page):
    page.goto(f"{server.url}/kiosk")
    page.click("#priority-toggle")
    page.click("button.prio-choice >> text=Người cao tuổi")
    assert "Người cao tuổi" in page.text_content("#priority-label")
    page.click(button("hotich"))
    page.wait_for_selector("#r-priority:not([hidden])")
    tid = page.get_attribute("#result", "data-ticket")
    ticket = requests.get(f"{server.url}/api/tickets/{tid}", timeout=5).json()["ticket"]
    assert ticket["priority"] is True


def test_status_page_shows_position_and_follows_the_call(server, browser):
    first = requests.post(f"{server.url}/api/tickets", json={"service": "hotich"}, timeout=5)
    mine = requests.post(f"{server.url}/api/tickets", json={"service": "hotich"}, timeout=5)
    tid = mine.json()["ticket"]["id"]
    assert first.status_code == mine.status_code == 201
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = ctx.new_page()
    phone.set_default_timeout(15000)
    try:
        phone.goto(f"{server.url}/t/{tid}")
        phone.wait_for_selector("#s-facts:not([hidden])")
        assert phone.text_content("#s-number") == "A002"
        assert phone.text_content("#s-ahead") == "1"
        phone.wait_for_selector("#s-live[data-state=live]")
        headers = {"Authorization": f"Bearer {server.token('canbo1', 'clerk')}"}
        sign_in(server.url, headers, 1)
        nxt = f"{server.url}/api/counters/1/next"
        assert requests.post(nxt, headers=headers, timeout=5).json()["ticket"]["number"] == "A001"
        phone.wait_for_function("document.getElementById('s-ahead').textContent === '0'")
        assert requests.post(nxt, headers=headers, timeout=5).json()["ticket"]["id"] == tid
        phone.wait_for_selector("#s-status[data-status=called]")
        assert phone.text_content("#s-counter") == "Mời bạn đến Quầy 1 – Tư pháp"
        assert phone.is_hidden("#s-facts")
        requests.post(f"{server.url}/api/counters/1/finish", headers=headers, timeout=5)
        phone.wait_for_selector("#s-rate:not([hidden])")
        phone.click("button[data-rating='4']")
        phone.wait_for_selector("#s-thanks:not([hidden])")
        got = requests.get(f"{server.url}/api/tickets/{tid}", timeout=5).json()["ticket"]
        assert got["rating"] == 4
    finally:
        ctx.close()


def test_closed_procedures_are_greyed_and_a_refusal_is_explained(tmp_path, page):
    s = start(tmp_path, ONESTOP_OFFICE_ENFORCE_HOURS="true")
    try:
        page.goto(f"{s.url}/kiosk")
        page.wait_for_selector(button("hotich"))
        api = requests.get(f"{s.url}/api/services", timeout=5).json()["services"]
        for svc in api:  # the server's wall clock decides; the page must agree with it
            if svc["kind"] == "return":  # no button: reached by the collect-results screen
                assert page.locator(button(svc["code"])).count() == 0
                continue
            b = page.locator(button(svc["code"]))
            assert b.is_disabled() == (not svc["open"]), svc["code"]
            if not svc["open"]:
                assert "Ngoài giờ tiếp nhận" in b.text_content()
        # The server refuses (the procedure closed since the page loaded): said plainly.
        page.route(
            "**/api/tickets",
            lambda route: route.fulfill(
                status=409,
                content_type="application/json",
                body='{"error": {"code": "service_closed", "message": "closed"}}',
            ),
        )
        page.evaluate("document.querySelectorAll('button.svc').forEach(b => b.disabled = false)")
        page.click(button("datdai"))
        page.wait_for_selector("#error:not([hidden])")
        assert page.text_content("#e-text") == "Thủ tục này hiện không tiếp nhận hồ sơ."
        page.click("#e-ok")
        page.wait_for_selector("#error", state="hidden")
    finally:
        s.stop()


# One evaluate, not eval_on_selector_all: that queries and evaluates in two round
# trips, and a refresh in between would hand it detached buttons.
MEASURE = """() => [...document.querySelectorAll('button.svc')].map(b => ({
    r: b.getBoundingClientRect().toJSON(),
    clipped: b.scrollHeight > b.clientHeight + 1,
    font: parseFloat(getComputedStyle(b.querySelector('.svc-name')).fontSize)}))"""


@pytest.mark.parametrize("size", [(1280, 800), (800, 1280)], ids=["landscape", "portrait"])
def test_every_button_fits_the_10_inch_screen(server, browser, size):
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    p = ctx.new_page()
    try:
        p.goto(f"{server.url}/kiosk")
        p.wait_for_selector("button.svc")
        for state in ("plain", "priority chosen"):
            if state == "priority chosen":  # the priority band takes a row: still fits
                p.click("#priority-toggle")
                p.click("button.prio-choice >> nth=4")
                p.wait_for_selector("#priority-on:not([hidden])")
            boxes = p.evaluate(MEASURE)
            assert len(boxes) == 6
            for b in boxes:
                r = b["r"]
                assert r["left"] >= 0 and r["top"] >= 0, (state, r)
                assert r["right"] <= size[0] and r["bottom"] <= size[1], (state, r)
                assert not b["clipped"], f"text overflows its button ({state})"
                assert r["height"] >= 120 and r["width"] >= 300, "big enough for a finger"
                assert b["font"] >= 28, "big type"
    finally:
        ctx.close()
