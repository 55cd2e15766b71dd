"""The admin pages in real Chromium against a real server: every page, through its forms."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from tests.counter.test_counter_browser import CHROMIUM_ARGS
from tests.helpers import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = LiveServer(tmp_path_factory.mktemp("admin") / "live").start()
    s.token("boss", "admin")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield b
        b.close()


def signed_in(browser, server, name="boss", path="/admin/office"):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(f"{server.url}/login?next={path}")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", "secret123")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")
    return page


def closed(page) -> None:
    """No script error on the page, then close it."""
    assert page.errors == [], page.errors
    page.close()


def api(server, path, token=None):
    h = {"Authorization": f"Bearer {token or server.boss}"}
    return requests.get(f"{server.url}{path}", headers=h, timeout=5).json()


@pytest.fixture(scope="module", autouse=True)
def _boss_token(server):
    server.boss = server.token("boss", "admin")


def test_office_page_saves_and_a_bad_field_shows_its_reason_next_to_it(browser, server):
    page = signed_in(browser, server)
    name = page.locator('[data-field="office.hotline"]')
    expect(name).to_have_value("0221 3868 686")
    name.fill("0221 3868 999")
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Đã lưu")
    assert api(server, "/api/admin/config")["config"]["office"]["hotline"] == "0221 3868 999"
    hours = page.locator('[data-field="services[0].hours"]')
    hours.fill("weekdays: 07:30-11:30, 13:30-17:00\nsat: 25:00-26:00")
    page.click("#save")
    note = page.locator('[data-field="services[0].hours"] + .field-error')
    expect(note).to_be_visible()
    assert page.locator('[data-field="services[0].hours"]').get_attribute("aria-invalid") == "true"
    assert api(server, "/api/admin/config")["config"]["services"][0]["hours"]["sat"] == [
        "07:30-11:30"
    ]
    assert page.errors == []
    closed(page)


def test_add_a_procedure_and_a_field_error_next_to_its_prefix(browser, server):
    page = signed_in(browser, server, path="/admin/procedures")
    page.wait_for_selector("#t-procedures tbody tr")
    before = page.locator("#t-procedures tbody tr").count()
    page.click("#add-procedure")
    n = before  # the new row's index
    page.fill(f'[data-field="services[{n}].code"]', "cutru")
    page.fill(f'[data-field="services[{n}].name"]', "Cư trú")
    page.fill(f'[data-field="services[{n}].prefix"]', "g1")
    page.click("#save")
    note = page.locator(f'[data-field="services[{n}].prefix"] + .field-error')
    expect(note).to_contain_text("capital")
    assert "cutru" not in {s["code"] for s in api(server, "/api/services")["services"]}
    page.fill(f'[data-field="services[{n}].prefix"]', "G")
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Đã lưu")
    expect(note).to_have_count(0)
    services = {s["code"]: s for s in api(server, "/api/services")["services"]}
    assert services["cutru"]["prefix"] == "G" and services["cutru"]["name"] == "Cư trú"
    # Once saved, its code is the procedure's key: no longer editable.
    expect(page.locator(f'[data-field="services[{n}].code"]')).to_have_attribute("readonly", "")
    closed(page)


def test_retire_a_procedure_keeps_it_greyed_and_brings_it_back(browser, server):
    page = signed_in(browser, server, path="/admin/procedures")
    page.wait_for_selector("#t-procedures tbody tr")
    row = page.locator('#t-procedures tbody tr[data-code="vhxh"]')
    row.locator("button.retire").click()
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Đã lưu")
    expect(page.locator("#t-retired tr.retired")).to_contain_text("vhxh")
    assert "vhxh" not in {s["code"] for s in api(server, "/api/services")["services"]}
    assert all(
        "vhxh" not in c["services"] for c in api(server, "/api/admin/config")["config"]["counters"]
    )
    page.locator("#t-retired tr.retired", has_text="vhxh").locator("button").click()
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Đã lưu")
    assert "vhxh" in {s["code"] for s in api(server, "/api/services")["services"]}
    closed(page)


def test_edit_a_counter(browser, server):
    page = signed_in(browser, server, path="/admin/counters")
    card = page.locator('fieldset[data-counter="2"]')
    card.locator('[data-field="counters[1].name"]').fill("Quầy 2 – Một cửa")
    card.get_by_label("C · Đất đai – Xây dựng").check()
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Đã lưu")
    counters = {c["number"]: c for c in api(server, "/api/counters")["counters"]}
    assert counters[2]["name"] == "Quầy 2 – Một cửa" and "datdai" in counters[2]["services"]
    page.locator('fieldset[data-counter="3"] [data-field="counters[2].closed"]').check()
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Đã lưu")
    assert api(server, "/api/admin/config")["config"]["counters"][2]["closed"] is True
    page.locator('fieldset[data-counter="3"] [data-field="counters[2].closed"]').uncheck()
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Đã lưu")
    closed(page)


def test_reorder_notices_with_the_keyboard_and_see_the_preview(browser, server):
    page = signed_in(browser, server, path="/admin/notices")
    first = api(server, "/api/admin/config")["config"]["notices"]
    page.wait_for_selector("#notices li")
    expect(page.locator("#preview h3").first).to_have_text(first[0]["title"])
    page.locator("#notices li").nth(1).locator("button.up").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#preview h3").first).to_have_text(first[1]["title"])
    page.locator('[data-field="officials[0].phone"]').fill("0912 000 111")
    expect(page.locator("#preview .phone").first).to_have_text("0912 000 111")
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Đã lưu")
    now = api(server, "/api/admin/config")["config"]
    assert [n["title"] for n in now["notices"]] == [first[1]["title"], first[0]["title"]]
    assert now["officials"][0]["phone"] == "0912 000 111"
    closed(page)


def test_a_stale_page_is_told_and_reloaded(browser, server):
    page = signed_in(browser, server, path="/admin/office")
    page.wait_for_selector('[data-field="office.address"]')
    cur = api(server, "/api/admin/config")
    cfg = cur["config"]
    cfg["office"]["hotline"] = "0221 000 000"
    r = requests.put(f"{server.url}/api/admin/config", json={"config": cfg},
                     headers={"Authorization": f"Bearer {server.boss}",
                              "If-Match": str(cur["version"])}, timeout=5)  # fmt: skip
    assert r.status_code == 200
    page.fill('[data-field="office.address"]', "Somewhere else")
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Người khác")
    expect(page.locator('[data-field="office.hotline"]')).to_have_value("0221 000 000")
    assert api(server, "/api/admin/config")["config"]["office"]["address"] != "Somewhere else"
    closed(page)


def test_add_a_clerk_restricted_to_counter_2_who_then_cannot_sign_in_at_1(browser, server):
    page = signed_in(browser, server, path="/admin/users")
    form = page.locator("#add-user")
    form.locator("[name=name]").fill("hoa")
    form.locator("[name=password]").fill("abc")
    form.locator("button[type=submit]").click()
    expect(form.locator('[data-field="password"] + .field-error')).to_be_visible()
    form.locator("[name=password]").fill("secret123")
    form.get_by_label("2", exact=True).check()
    form.locator("button[type=submit]").click()
    expect(page.locator('#t-users tr[data-user="hoa"]')).to_be_visible()
    users = {u["name"]: u for u in api(server, "/api/admin/users")["users"]}
    assert users["hoa"]["counters"] == [2] and users["hoa"]["role"] == "clerk"

    clerk = browser.new_page()
    clerk.goto(f"{server.url}/login?next=/counter")
    clerk.fill("input[name=name]", "hoa")
    clerk.fill("input[name=password]", "secret123")
    clerk.click("button[type=submit]")
    clerk.wait_for_url("**/counter")
    clerk.select_option("#counter-select", "1")
    expect(clerk.locator("#message")).to_contain_text("only at counter 2")
    clerk.select_option("#counter-select", "2")
    expect(clerk.locator("#message")).not_to_contain_text("only at counter 2")

    row = page.locator('#t-users tr[data-user="hoa"]')
    row.locator("button.toggle-user").click()
    expect(page.locator('#t-users tr[data-user="hoa"] .badge')).to_have_text("Đã khoá")
    clerk.reload()
    clerk.wait_for_url("**/login**")  # disabled: the session ended
    page.locator('#t-users tr[data-user="hoa"] button.toggle-user').click()
    expect(page.locator('#t-users tr[data-user="hoa"] .badge')).to_have_text("Đang dùng")
    clerk.close()
    closed(page)


def test_enrol_and_revoke_a_device(browser, server):
    page = signed_in(browser, server, path="/admin/devices")
    form = page.locator("#enrol")
    form.locator("[name=name]").fill("kiosk-cua")
    form.locator("[name=kind]").select_option("kiosk")
    form.locator("button[type=submit]").click()
    link = page.locator("#enrol-link")
    expect(link).to_contain_text("/devices/enrol?token=")
    expect(page.locator("#enrol-qr svg")).to_be_visible()
    row = page.locator('#t-devices tr[data-device="kiosk-cua"]')
    expect(row).to_be_visible()
    token = link.inner_text().rsplit("=", 1)[1]

    kiosk = browser.new_page()
    kiosk.goto(link.inner_text())
    kiosk.wait_for_url("**/kiosk")
    r = requests.post(f"{server.url}/api/tickets", json={"service": "hotich"},
                      headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
    assert r.status_code == 201 and r.json()["ticket"]["kiosk"] == "kiosk-cua"
    page.once("dialog", lambda d: d.accept())
    row.locator("button.revoke").click()
    expect(page.locator('#t-devices tr[data-device="kiosk-cua"].retired')).to_contain_text(
        "Đã thu hồi"
    )
    r = requests.post(f"{server.url}/api/tickets", json={"service": "hotich"},
                      headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
    assert r.status_code == 401
    kiosk.close()
    closed(page)


def test_history_lists_versions_and_restores_one(browser, server):
    versions = api(server, "/api/admin/config/versions")["versions"]
    assert len(versions) >= 2
    page = signed_in(browser, server, path="/admin/history")
    page.wait_for_selector("#t-versions tbody tr[data-version]")
    assert page.locator("#t-versions tbody tr[data-version]").count() == len(versions)
    page.locator('#t-versions tr[data-version="1"] button.view').click()
    expect(page.locator("#v-body")).to_contain_text('"office"')
    page.once("dialog", lambda d: d.accept())
    page.locator('#t-versions tr[data-version="1"] button.restore').click()
    expect(page.locator("#message")).to_contain_text("Đã khôi phục")
    now = api(server, "/api/admin/config")
    assert now["version"] == versions[0]["n"] + 1
    assert now["config"]["office"]["hotline"] == "0221 3868 686"  # version 1's
    closed(page)


def test_printer_and_voice_page_saves_a_section_and_plays_a_phrase(browser, server):
    page = signed_in(browser, server, path="/admin/printer-voice")
    page.wait_for_selector('[data-field="voice.repeat"]')
    page.fill('[data-field="voice.repeat"]', "2")
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Đã lưu")
    assert api(server, "/api/admin/config")["config"]["voice"]["repeat"] == 2
    page.fill('[data-field="printer.timeout_s"]', "7.5")
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("khởi động lại")  # [printer] waits for it
    assert api(server, "/api/admin/config")["config"]["printer"]["timeout_s"] == 7.5
    page.fill("#say [name=number]", "")
    page.click("#say button")
    expect(page.locator('#say [data-field="number"] + .field-error')).to_be_visible()
    page.fill("#say [name=number]", "B012")
    page.click("#say button")
    expect(page.locator("#say-text")).to_contain_text("B")
    page.click("#printer-test")
    expect(page.locator("#message")).not_to_have_text("")
    assert page.errors == []
    closed(page)


def test_a_procedure_added_and_assigned_on_the_pages_reaches_the_screens_live(browser, server):
    """Issue 15's must-show through the admin pages: kiosk and lobby within 2 s, no reload."""
    server.token("lan", "clerk")
    kiosk = browser.new_page()
    kiosk.add_init_script("window.__once = 1;")
    kiosk.goto(f"{server.url}/kiosk")
    kiosk.wait_for_selector("button.svc[data-code=hotich]")
    tv = browser.new_page()
    tv.goto(f"{server.url}/display")
    tv.wait_for_function("document.getElementById('screen').dataset.seq !== 'null'")
    page = signed_in(browser, server, path="/admin/procedures")
    page.wait_for_selector("#t-procedures tbody tr")
    n = page.locator("#t-procedures tbody tr").count()
    page.click("#add-procedure")
    page.fill(f'[data-field="services[{n}].code"]', "lltp")
    page.fill(f'[data-field="services[{n}].name"]', "Lý lịch tư pháp")
    page.fill(f'[data-field="services[{n}].prefix"]', "H")
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Đã lưu")
    kiosk.wait_for_selector("button.svc[data-code=lltp]", timeout=2000)
    tv.wait_for_selector("#waiting li[data-service=lltp]", timeout=2000)

    page.goto(f"{server.url}/admin/counters")
    page.locator('fieldset[data-counter="2"]').get_by_label("H · Lý lịch tư pháp").check()
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Đã lưu")
    assert (
        "lltp" in {c["number"]: c for c in api(server, "/api/counters")["counters"]}[2]["services"]
    )
    assert kiosk.evaluate(
        "window.__once === 1 && performance.getEntriesByType('navigation').length === 1"
    )

    kiosk.click("button.svc[data-code=lltp]")
    kiosk.wait_for_function("document.getElementById('r-number').textContent === 'H001'")
    console = signed_in(browser, server, name="lan", path="/counter?counter=2")
    console.wait_for_function("document.getElementById('w-total').textContent !== '0'")
    for _ in range(40):  # tickets the earlier tests took (any number) wait ahead of it
        shown = console.inner_text("#t-number")
        if shown == "H001":
            break
        # A key with a ticket held waits a moment (it may start a scanner's burst): wait for
        # the call itself, not just for the button.
        console.keyboard.press("n")
        console.wait_for_function(
            "(shown) => document.getElementById('t-number').textContent !== shown", arg=shown
        )
    assert console.inner_text("#t-number") == "H001"
    tv.wait_for_function("document.getElementById('hero-number').textContent === 'H001'")
    for p in (kiosk, tv):
        p.close()
    closed(console)
    closed(page)
