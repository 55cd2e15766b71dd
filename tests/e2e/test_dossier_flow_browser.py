"""A dossier from filing to collection, in real Chromium against a real server process.

A ticket is served at counter 1, where a scanner's keystroke burst records the dossier; the
clerk moves it to ready from the console's search, and the "result ready" SMS leaves through
a real gammu-smsd on Gammu's dummy device (no modem); the citizen scans the slip at the kiosk
and gets a return ticket, which counter 2 calls and finishes; the dossier is then returned.
Two more dossiers are promised for the day itself: one is returned that day (on time), the
other the next morning (late), after the server restarts with its wall clock there
(libfaketime). The daily reports of both days count early, on time and late.
"""

from __future__ import annotations

import datetime as dt
import glob
import shutil
import subprocess
import time

import pytest
import requests

from tests.helpers import TZ, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# Every console shortcut letter is in it (N R S F V T P): none may fire during the burst.
CODE = "H26.FNSTVRP-261201-0042"
PHONE = "0912345678"
SMSDRC = """[gammu]
device = {d}/device
model = dummy
connection = none

[smsd]
service = files
inboxpath = {d}/inbox/
outboxpath = {d}/outbox/
sentsmspath = {d}/sent/
errorsmspath = {d}/error/
logfile = {d}/smsd.log
debuglevel = 1
loopsleep = 1
commtimeout = 1
sendtimeout = 5
statusfrequency = 0
checksecurity = 0
checkbattery = 0
checksignal = 0
"""
needs_gammu = pytest.mark.skipif(
    not shutil.which("gammu-smsd"), reason="needs gammu-smsd (apt: gammu gammu-smsd)"
)
LIBS = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
needs_faketime = pytest.mark.skipif(not LIBS, reason="needs libfaketime (apt: faketime)")


def burst(page, text: str) -> None:
    """What a USB scanner does: the code as keys a few ms apart, then Enter."""
    page.keyboard.type(text, delay=0)
    page.keyboard.press("Enter")


def until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture
def smsd(tmp_path):
    """A real gammu-smsd (files service) on Gammu's dummy phone: what a Pi runs with a modem."""
    d = tmp_path / "gammu"
    for sub in ("device", "inbox", "outbox", "sent", "error"):
        (d / sub).mkdir(parents=True)
    config = d / "smsdrc"
    config.write_text(SMSDRC.format(d=d), encoding="utf-8")
    proc = subprocess.Popen(["gammu-smsd", "-c", str(config)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    yield config
    proc.terminate()
    proc.wait(10)


def next_morning(server, path, day: dt.date) -> None:
    """Restart the server with its wall clock at 09:00 the next day (libfaketime).

    Only for the end: libfaketime also moves the deadlines of timed waits, which stalls the
    SMS worker's polling, so the rest of the day runs on the real clock.
    """
    at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(9, 0), TZ).timestamp()
    path.write_text(f"{at - time.time():+.0f}\n")
    server.stop()
    server.env.update({"LD_PRELOAD": LIBS[0], "FAKETIME_TIMESTAMP_FILE": str(path),
                       "FAKETIME_NO_CACHE": "1"})  # fmt: skip
    server.start()


def working_days_on(day: dt.date, n: int) -> dt.date:
    """The console's default promised date: n days on, moved off a weekend."""
    due = day + dt.timedelta(days=n)
    while due.weekday() >= 5:
        due += dt.timedelta(days=1)
    return due


@pytest.fixture
def server(tmp_path, smsd):
    env = {"ONESTOP_PRINTER_TYPE": "file", "ONESTOP_SMS_GATEWAY": "gammu",
           "ONESTOP_SMS_GAMMU_CONFIG": str(smsd)}  # fmt: skip
    s = LiveServer(tmp_path / "live", env=env).start()
    yield s
    s.stop()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                               headless=True)  # fmt: skip
        yield b
        b.close()


def dossier(server, headers, code: str = CODE) -> dict:
    r = requests.get(f"{server.url}/api/dossiers/{code}", headers=headers, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()["dossier"]


def console_at(browser, server, number: int):
    page = browser.new_page(viewport={"width": 1366, "height": 1000})
    page.set_default_timeout(15000)
    page.goto(f"{server.url}/counter?counter={number}")
    page.fill("input[name=name]", "lan")
    page.fill("input[name=password]", "secret123")
    page.click("button[type=submit]")
    page.wait_for_selector("#link[data-state=ok]")
    return page


def api(server, method: str, path: str, headers, **kw) -> dict:
    r = requests.request(method, server.url + path, headers=headers, timeout=5, **kw)
    assert r.status_code in (200, 201), f"{path}: {r.text}"
    return r.json()


def promised_for_today(server, mai) -> tuple[dt.date, list[str]]:
    """The server's day, and two dossiers filed at counter 3, promised for it, ready."""
    api(server, "POST", "/api/counters/3/sign-in", mai)
    today = dt.date.fromisoformat(api(server, "GET", "/counter/api/state?counter=3", mai)["now"][:10])  # fmt: skip
    codes = ["H26.ONTIME-0001", "H26.LATE-0002"]
    for code in codes:
        api(server, "POST", "/api/tickets", {}, json={"service": "datdai"})
        api(server, "POST", "/api/counters/3/next", mai, json={})
        api(server, "POST", "/api/counters/3/dossiers", mai, json={"code": code, "due": str(today)})  # fmt: skip
        api(server, "POST", "/api/counters/3/finish", mai)
        api(server, "POST", f"/api/dossiers/{code}/status", mai, json={"status": "ready"})
    return today, codes


def collect(server, lan, code: str) -> None:
    """The citizen takes the return ticket; counter 2 calls and finishes it."""
    key = {"Idempotency-Key": f"e2e-{code}".ljust(32, "0")}
    ticket = api(server, "POST", "/api/returns", key, json={"code": code})["ticket"]
    api(server, "POST", "/api/counters/2/sign-in", lan)
    assert api(server, "POST", "/api/counters/2/next", lan, json={})["ticket"]["id"] == ticket["id"]
    api(server, "POST", "/api/counters/2/finish", lan)


@needs_gammu
@needs_faketime
def test_a_dossier_from_filing_to_collection(server, browser, smsd, tmp_path):
    headers = {"Authorization": f"Bearer {server.token('lan', 'clerk')}"}
    boss = {"Authorization": f"Bearer {server.token('sup', 'supervisor')}"}
    mai = {"Authorization": f"Bearer {server.token('mai', 'clerk')}"}
    day, (on_time, late) = promised_for_today(server, mai)
    ticket = requests.post(f"{server.url}/api/tickets", json={"service": "hotich"}, timeout=5)
    ticket = ticket.json()["ticket"]

    console = console_at(browser, server, 1)
    console.keyboard.press("n")
    console.wait_for_function(f"document.getElementById('t-number').textContent === '{ticket['number']}'")  # fmt: skip
    console.keyboard.press("s")
    console.wait_for_function("document.getElementById('t-status').textContent.includes('Đang giải quyết')")  # fmt: skip
    console.wait_for_selector("#dossier:not([hidden])")
    due = console.input_value("#d-due")
    today = console.evaluate("window.Console.state().now.slice(0, 10)")
    assert today == str(day) and due == str(working_days_on(day, 3))  # the default

    burst(console, CODE)  # no field has the focus: the page takes the scan
    console.wait_for_function(f"document.getElementById('d-code').value === '{CODE}'")
    console.wait_for_timeout(300)  # a shortcut would have fired by now
    served = requests.get(f"{server.url}/api/tickets/{ticket['id']}", timeout=5).json()["ticket"]
    assert served["status"] == "serving" and served["service"] == "hotich"
    assert "Đang giải quyết" in console.text_content("#t-status")

    # A phone number without the consent box ticked is refused beside the box.
    console.fill("#d-phone", "0912 345 678")  # as the citizen says it
    console.click("#d-record")
    console.wait_for_selector("#d-consent-err:not(:empty)")
    assert "đồng ý" in console.text_content("#d-consent-err")
    console.check("#d-consent")
    console.click("#d-record")
    console.wait_for_selector(f".d-item[data-code='{CODE}']")
    d = dossier(server, headers)
    assert (d["status"], d["due"], d["ticket_number"], d["counter"]) == ("received", due, ticket["number"], 1)  # fmt: skip
    assert d["has_contact"] is True and PHONE not in str(d)
    assert console.input_value("#d-code") == ""  # ready for the next dossier

    # The same code again: refused next to the code field, nothing recorded twice.
    console.fill("#d-code", CODE)
    console.click("#d-record")
    console.wait_for_selector("#d-code-err:not(:empty)")
    assert console.locator(".d-item").count() == 1

    kiosk = browser.new_page(viewport={"width": 1280, "height": 800})
    kiosk.set_default_timeout(15000)
    kiosk.goto(f"{server.url}/kiosk")
    kiosk.wait_for_selector("#collect-open:not([hidden])")
    assert "traketqua" not in kiosk.eval_on_selector_all("button.svc", "bs => bs.map(b => b.dataset.code)")  # fmt: skip
    burst(kiosk, CODE.lower())  # not ready yet: the promised date in words, no ticket
    kiosk.wait_for_selector("#answer[data-kind=not_ready]")
    promised = dt.date.fromisoformat(due)
    words = f"ngày {promised.day} tháng {promised.month} năm {promised.year}"
    assert words in kiosk.text_content("#a-date")
    kiosk.click("#a-ok")
    kiosk.click("#collect-open")  # a code nobody recorded, typed on the keypad
    for key in "HS-404404":
        kiosk.click(f"#c-keys [data-key='{key}']")
    kiosk.click("#c-find")
    kiosk.wait_for_selector("#answer[data-kind=unknown]")
    assert "hỏi cán bộ" in kiosk.text_content("#a-more")
    kiosk.click("#a-ok")
    waiting = requests.get(f"{server.url}/api/queue", timeout=5).json()["waiting"]
    assert waiting.get("traketqua", 0) == 0

    # The clerk finds the dossier and moves it on: in progress, then ready.
    console.fill("#ds-code", CODE)
    console.click("#ds-find")
    console.click("#ds-result button.set[data-status=in_progress]")
    console.wait_for_selector("#ds-result[data-status=in_progress]")
    console.click("#ds-result button.set[data-status=ready]")
    console.wait_for_selector("#ds-result[data-status=ready]")
    assert dossier(server, headers)["status"] == "ready"

    # Ready, with consent: the message leaves through gammu-smsd to the dummy phone.
    def sent():
        rows = requests.get(f"{server.url}/api/sms", headers=boss, timeout=5).json()["sms"]
        return [r for r in rows if r["code"] == CODE and r["state"] == "sent"]

    [sms] = until(sent, timeout=30)
    assert sms["purpose"] == "ready" and CODE in sms["text"] and PHONE not in str(sms)
    log = (smsd.parent / "smsd.log").read_text(encoding="utf-8", errors="replace")
    assert f"to {PHONE}, message reference" in log  # the daemon's own word: transmitted
    console.keyboard.press("f")  # the filing visit ends (the focus is on a button)
    console.wait_for_function("document.getElementById('t-number').textContent === '—'")

    burst(kiosk, CODE)
    kiosk.wait_for_selector("#result:not([hidden])")
    number = kiosk.text_content("#r-number")
    assert number.startswith("R") and kiosk.text_content("#r-service") == "Trả kết quả"
    kiosk.wait_for_selector("#r-print[data-state=printed]")
    assert dossier(server, headers)["return_number"] == number

    # Counter 2 returns results: it calls the return ticket and finishes it.
    console.select_option("#counter-select", "2")
    console.wait_for_function("window.Console.state() && window.Console.state().counter.number === 2")  # fmt: skip
    console.keyboard.press("n")
    console.wait_for_function(f"document.getElementById('t-number').textContent === '{number}'")
    console.keyboard.press("f")
    console.wait_for_function("document.getElementById('t-number').textContent === '—'")
    d = until(lambda: (x := dossier(server, headers))["status"] == "returned" and x)
    assert d and d["returned_at"] and d["returned_at"][:10] == today
    console.fill("#ds-code", CODE)
    console.click("#ds-find")
    console.wait_for_selector("#ds-result[data-status=returned]")
    assert console.locator("#ds-result button.set").count() == 0  # nothing after returned

    console.close()
    kiosk.close()

    collect(server, headers, on_time)  # returned on the promised day itself
    next_morning(server, tmp_path / "faketime", day)
    collect(server, headers, late)  # a day after the promised one
    assert dossier(server, headers, late)["returned_at"][:10] == str(day + dt.timedelta(days=1))

    def block(d: dt.date) -> dict:
        return api(server, "GET", f"/api/reports/daily?date={d}", boss)["dossiers"]

    first, second = block(day), block(day + dt.timedelta(days=1))
    counts = ("received", "ready", "returned", "early", "on_time", "late")
    assert [first["office"][k] for k in counts] == [3, 3, 2, 1, 1, 0]
    assert [second["office"][k] for k in counts] == [0, 0, 1, 0, 0, 1]
    assert (first["office"]["early_pct"], first["office"]["on_time_pct"]) == (50.0, 50.0)
    assert second["office"]["late_pct"] == 100.0
    per = {s["key"]: s for s in first["services"]}
    assert (per["hotich"]["early"], per["datdai"]["on_time"]) == (1, 1)
    returns = first["returns"]  # the return queue: both of the day's return tickets, served
    assert (returns["service"], returns["issued"], returns["served"]) == ("traketqua", 2, 2)
