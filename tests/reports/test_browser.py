"""Real Chromium against a real server: charts render without console errors, print fits A4."""

from __future__ import annotations

import re

import pytest
import requests

from tests.helpers import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required"]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.helpers import LiveServer

    live = LiveServer(tmp_path_factory.mktemp("live")).start()
    live.flask("demo", "simulate", "--days", "8", "--seed", "3")
    token = live.token("giamsat", "supervisor")
    trend = requests.get(live.url + "/api/reports/trend?days=8",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10).json()  # fmt: skip
    live.day = [t["date"] for t in trend["trend"] if t["served"]][-1]
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(f"{m.text} {m.location}"))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and page.errors.append(f"{r.status} {r.url}"))
    page.goto(server.url + "/login?next=/supervisor")
    page.fill("input[name=name]", "giamsat")
    page.fill("input[name=password]", "secret123")
    page.click("button[type=submit]")
    page.wait_for_url("**/supervisor")
    # The login page (not ours) has no icon link, so Chromium's /favicon.ico 404 is logged there.
    page.errors.clear()
    yield page
    context.close()


def test_day_view_draws_its_charts(page, server):
    page.goto(f"{server.url}/supervisor/day?date={server.day}")
    page.wait_for_selector("#day[data-charts=ready]", timeout=15000)
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('canvas')].map(c => {
            const chart = Chart.getChart(c);
            const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let ink = 0;
            for (let i = 3; i < px.length; i += 4) if (px[i] > 0) ink++;
            return {id: c.id, chart: !!chart, points: chart ? chart.data.datasets[0].data.length : 0,
                    ink, w: c.width, h: c.height};
        })"""
    )
    assert [d["id"] for d in drawn] == [
        "c-hours",
        "c-waits",
        "c-services",
        "c-ratings",
        "c-staffing",
    ]
    for d in drawn:
        assert d["chart"] and d["points"] > 0 and d["w"] > 100 and d["h"] > 100, d
        assert d["ink"] > 1000, d  # something was painted
    assert page.errors == []
    assert int(page.inner_text("[data-k=issued]")) > 0


def test_today_and_trend_pages(page, server):
    page.goto(server.url + "/supervisor")
    page.wait_for_selector("#live-state.ok", timeout=15000)
    assert page.inner_text("#k-counters").endswith("/ 4")
    page.goto(server.url + "/supervisor/trend")
    page.wait_for_selector("#trend[data-charts=ready]", timeout=15000)
    assert page.locator("#t-trend tbody tr").count() >= 5
    assert page.errors == []


def test_print_page_fits_one_a4_sheet(page, server):
    page.goto(f"{server.url}/supervisor/print?date={server.day}")
    page.emulate_media(media="print")
    assert page.is_hidden(".toolbar")
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1
    assert page.errors == []


def test_rating_tablet_after_finish(page, server):
    clerk = {"Authorization": f"Bearer {server.token('hoa', 'clerk')}"}
    page.goto(server.url + "/rate/4")
    page.wait_for_selector("#rate[data-screen=idle]")
    t = requests.post(server.url + "/api/tickets", json={"service": "vhxh"}, timeout=10).json()[
        "ticket"
    ]
    sign_in(server.url, clerk, 4)
    # The simulated day may have left counter 4 on a break.
    assert requests.post(server.url + "/api/counters/4/resume", headers=clerk, timeout=10).ok
    while True:  # counter 4 may hold simulated tickets: call until ours comes up
        got = requests.post(server.url + "/api/counters/4/next", headers=clerk, timeout=10)
        assert got.status_code == 200
        if got.json()["ticket"]["id"] == t["id"]:
            break
    assert requests.post(server.url + "/api/counters/4/finish", headers=clerk, timeout=10).ok
    page.wait_for_selector("#ask:not([hidden])", timeout=10000)
    assert page.inner_text("#ask-number") == t["number"]
    assert int(page.inner_text("#ask-left")) <= 30
    page.click("button.face.f3")
    page.wait_for_selector("#thanks:not([hidden])")
    page.wait_for_timeout(500)
    rated = requests.get(f"{server.url}/api/tickets/{t['id']}", timeout=10).json()["ticket"]
    assert rated["rating"] == 3
    page.wait_for_selector("#rate[data-screen=idle]", timeout=6000)
    page.wait_for_timeout(2500)  # the next poll must not ask about the same ticket again
    assert page.get_attribute("#rate", "data-screen") == "idle"
    assert page.errors == []


def test_print_page_with_dossiers_still_fits_one_a4_sheet(page, server):
    """Every procedure with dossiers (the widest the A4 gets): still one sheet."""
    import json
    import sqlite3

    from core import events as E

    conn = sqlite3.connect(server.data_dir / "onestop.db")
    when = conn.execute("SELECT MAX(at) FROM events WHERE day = ?", (server.day,)).fetchone()[0]
    services = [r[0] for r in conn.execute("SELECT code FROM services")]
    for i, svc in enumerate(services):
        for kind, data in (
            (E.DOSSIER_RECEIVED, {"code": f"HS-R{i:04d}", "service": svc, "due": server.day}),
            (E.DOSSIER_STATUS, {"code": f"HS-D{i:04d}", "status": "returned", "from": "ready",
                                "due": server.day, "source": "counter", "ready_at": when - 60}),
        ):  # fmt: skip
            conn.execute(
                "INSERT INTO events (at, day, type, ticket_id, service, counter, clerk, data)"
                " VALUES (?, ?, ?, NULL, ?, 1, 'hoa', ?)",
                (when, server.day, kind, svc, json.dumps(data)),
            )
    conn.commit()
    conn.close()
    page.goto(f"{server.url}/supervisor/print?date={server.day}")
    assert page.locator("text=Hồ sơ · đúng/trước hạn").count() == 1
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
    assert page.errors == []
