"""Real Chromium plays calls from a real server: in order, whole, Recall again, tap-to-enable."""

from __future__ import annotations

import pytest
import requests

from tests.helpers import ROOT, LiveServer, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
AUTOPLAY = "--autoplay-policy=no-user-gesture-required"


def espeak_config(tmp_path) -> str:
    """The demo office with espeak-ng only (there is no internet here)."""
    text = (ROOT / "config" / "site.toml").read_text(encoding="utf-8")
    text = text.replace('engines = ["gtts", "espeak"]', 'engines = ["espeak"]')
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def server(tmp_path):
    s = LiveServer(tmp_path / "live", config=espeak_config(tmp_path))
    s.data_dir.mkdir(parents=True)
    s.flask("voice", "warm")
    s.start()
    yield s
    s.stop()


def launch(p, autoplay=True):
    """Chromium as on the Pi (autoplay allowed), or as a desktop browser that blocks it."""
    if autoplay:
        return p.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS + [AUTOPLAY], headless=True
        )
    # Playwright adds the autoplay flag itself; without it Chromium keeps its default policy
    # (sound only after a user gesture on the page).
    return p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=CHROMIUM_ARGS,
        headless=True,
        ignore_default_args=[AUTOPLAY],
    )


def open_harness(browser, server):
    page = browser.new_page()
    page.goto(server.url + "/voice/static/harness.html")
    page.wait_for_function("window.harnessConnected === true", timeout=15000)
    page.evaluate("OnestopAnnouncer.ready")
    return page


def clerk(server):
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + server.token("clerk1", "clerk")
    return s


def take(server, service):
    r = requests.post(server.url + "/api/tickets", json={"service": service}, timeout=5)
    assert r.status_code == 201
    return r.json()["ticket"]


def test_three_quick_calls_play_in_order_whole_and_recall_plays_again(server):
    from playwright.sync_api import sync_playwright

    session = clerk(server)
    for service in ("hotich", "hotich", "khac"):
        take(server, service)
    with sync_playwright() as p:
        browser = launch(p)
        page = open_harness(browser, server)
        called = []
        for counter, action in ((1, "next"), (2, "next"), (4, "next"), (1, "recall")):
            sign_in(server.url, session.headers, counter)
            r = session.post(f"{server.url}/api/counters/{counter}/{action}", timeout=5)
            assert r.status_code == 200, r.text
            called.append((r.json()["ticket"]["number"], counter))
        page.wait_for_function(
            "OnestopAnnouncer.log.filter(e => e.type === 'call_end').length === 4 "
            "&& OnestopAnnouncer.idle()",
            timeout=90000,
        )
        log = page.evaluate("OnestopAnnouncer.log")
        received = page.evaluate("window.harnessReceived")
        # An exact duplicate of a call already played is not stacked again.
        again = page.evaluate(
            "OnestopAnnouncer.enqueue({ticket: {id: 'x', number: 'A001'}, counter: 1, "
            "at: 'same', audio: []}) && OnestopAnnouncer.enqueue({ticket: {id: 'x', "
            "number: 'A001'}, counter: 1, at: 'same', audio: []})"
        )
        browser.close()

    assert [(c["number"], c["counter"]) for c in received] == called
    assert [c["recall"] for c in received] == [False, False, False, True]
    assert called[3] == called[0] and received[3]["audio"] == received[0]["audio"]
    assert again is False
    assert not [e for e in log if e["type"] in ("gap", "load_failed", "error", "dropped")]

    starts = [e for e in log if e["type"] == "call_start"]
    assert [s["number"] for s in starts] == [n for n, _c in called]
    assert starts[3]["recall"] is True
    played = [e for e in log if e["type"] in ("chime", "segment")]
    for call, first in zip(received, starts, strict=True):
        mine = [e for e in played if e["key"] == first["key"]]
        # The chime, then every segment of the call once (repeat = 1), in order.
        assert mine[0]["type"] == "chime"
        assert [e["url"] for e in mine[1:]] == call["audio"]
        assert [e["index"] for e in mine[1:]] == list(range(len(call["audio"])))
    # Nothing cut off: each sound ended after its full length, and the next one started
    # only after the previous one ended (no overlap between segments nor between calls).
    for e in played:
        assert e["end"] >= e["start"] + e["duration"] - 0.005, e
    for prev, nxt in zip(played, played[1:], strict=False):
        assert nxt["start"] >= prev["start"] + prev["duration"] - 1e-6, (prev, nxt)
    assert len(played) == 4 + sum(len(c["audio"]) for c in received)


def test_blocked_autoplay_shows_tap_to_enable_once_then_plays(server):
    from playwright.sync_api import sync_playwright

    take(server, "chungthuc")
    with sync_playwright() as p:
        browser = launch(p, autoplay=False)
        page = open_harness(browser, server)
        page.wait_for_selector("#onestop-sound-overlay", timeout=5000)
        assert "Chạm để bật âm thanh" in page.inner_text("#onestop-sound-overlay")
        assert "Tap to enable sound" in page.inner_text("#onestop-sound-overlay")
        session = clerk(server)
        sign_in(server.url, session.headers, 2)
        r = session.post(f"{server.url}/api/counters/2/next", timeout=5)
        assert r.status_code == 200
        page.wait_for_function("window.harnessReceived.length === 1", timeout=10000)
        assert page.evaluate("OnestopAnnouncer.log.some(e => e.type === 'chime')") is False
        page.click("#onestop-sound-overlay")
        page.wait_for_selector("#onestop-sound-overlay", state="detached", timeout=5000)
        page.wait_for_function(
            "OnestopAnnouncer.log.some(e => e.type === 'call_end')", timeout=30000
        )
        log = page.evaluate("OnestopAnnouncer.log")
        browser.close()
    assert [e["shown"] for e in log if e["type"] == "overlay"] == [True, False]
    assert sum(1 for e in log if e["type"] == "segment") == 7
