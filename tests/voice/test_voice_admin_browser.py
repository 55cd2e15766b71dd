"""Real Chromium on /admin/voice: record with a (fake) microphone, upload an MP3, preview, save,
then the lobby's player speaks the office's voice; clerks are refused the page."""

from __future__ import annotations

import subprocess

import pytest
import requests

from tests.helpers import sign_in
from tests.voice.test_browser import CHROMIUM_ARGS, espeak_config, open_harness
from tests.voice.test_recorded import LEAD, key_of, tone_wav
from voice import levels

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def server(tmp_path):
    from tests.helpers import LiveServer

    s = LiveServer(tmp_path / "live", config=espeak_config(tmp_path))
    s.data_dir.mkdir(parents=True)
    s.flask("voice", "warm")
    s.start()
    yield s
    s.stop()


def microphone(tmp_path):
    """What the fake microphone hears, looped: 0.4 s silence, 0.8 s tone, 0.6 s silence."""
    path = tmp_path / "mic.wav"
    path.write_bytes(tone_wav(tone_s=0.8, before_s=0.4, after_s=0.6, rate=48000, channels=1))
    return path


def launch(p, mic):
    args = CHROMIUM_ARGS + ["--autoplay-policy=no-user-gesture-required",
                            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                            f"--use-file-for-fake-audio-capture={mic}"]  # fmt: skip
    return p.chromium.launch(executable_path="/usr/bin/chromium", args=args, headless=True)


def log_in(page, server, name):
    page.goto(f"{server.url}/login?next=/admin/voice")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", "secret123")
    page.click("button[type=submit]")


def uploads(page) -> list:
    return page.evaluate("VoiceAdmin.log.filter(e => e.event === 'uploaded')")


def test_record_upload_preview_save_and_the_lobby_speaks_it(server, tmp_path):
    from playwright.sync_api import sync_playwright

    token = server.token("admin1", "admin")
    admin = {"Authorization": f"Bearer {token}"}
    server.token("clerk1", "clerk")
    mp3 = tmp_path / "hai.mp3"
    (tmp_path / "hai.wav").write_bytes(tone_wav(tone_s=0.5, freq=520.0))
    subprocess.run(["sox", str(tmp_path / "hai.wav"), str(mp3)], check=True, capture_output=True)
    lead, hai = key_of(LEAD), key_of("hai")
    with sync_playwright() as p:
        browser = launch(p, microphone(tmp_path))
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.on("dialog", lambda d: d.accept())
        log_in(page, server, "admin1")
        page.wait_for_url("**/admin/voice")
        page.wait_for_function("window.VoiceAdmin && VoiceAdmin.loaded === true")
        assert "Giọng đọc của đơn vị" in page.inner_text("h1")
        assert "Máy đọc (espeak)" in page.inner_text(f"tr[data-key='{lead}']")

        # Record the lead-in with the microphone: Record, speak, Stop.
        page.click(f"tr[data-key='{lead}'] button[data-act=record]")
        page.wait_for_function(
            "VoiceAdmin.recording && VoiceAdmin.recording.recorder.state === 'recording'"
        )
        page.wait_for_timeout(2500)
        page.click(f"tr[data-key='{lead}'] button[data-act=record]")
        page.wait_for_function("VoiceAdmin.log.some(e => e.event === 'uploaded')", timeout=15000)
        first = uploads(page)[0]
        assert first["status"] == 200, first
        assert 500 <= first["data"]["duration_ms"] <= 2600 and first["data"]["format"] == "wav"
        page.wait_for_selector(f"tr[data-key='{lead}'] .badge.pending")
        page.click(f"tr[data-key='{lead}'] button[data-act=play-pending]")
        page.wait_for_function("VoiceAdmin.log.some(e => e.event === 'play')")

        # Upload an MP3 for "hai".
        page.set_input_files(f"tr[data-key='{hai}'] input[type=file]", str(mp3))
        page.wait_for_function("VoiceAdmin.log.filter(e => e.event === 'uploaded').length === 2")
        assert uploads(page)[1]["status"] == 200 and uploads(page)[1]["data"]["format"] == "mp3"
        page.wait_for_selector(f"tr[data-key='{hai}'] .badge.pending")

        # A whole call, with the new takes, before saving anything.
        page.fill("#pv-number", "A013")
        page.fill("#pv-counter", "2")
        page.click("#pv-play")
        page.wait_for_function(
            "document.getElementById('pv-text').dataset.state === 'done'", timeout=20000
        )
        preview = page.evaluate("VoiceAdmin.log.filter(e => e.event === 'preview')[0]")
        assert preview["sources"][0] == "pending" and preview["sources"][-1] == "pending"
        assert set(preview["sources"][1:-1]) == {"espeak"}
        played = page.evaluate("VoiceAdmin.log.filter(e => e.event === 'play').pop()")
        assert played["urls"][1:] == preview["audio"] and all(d > 0 for d in played["durations"])
        before = requests.get(f"{server.url}/api/admin/voice/segments", headers=admin, timeout=5)
        assert all(s["recorded"] is None for s in before.json()["segments"])

        # A bad file is refused on the page, in Vietnamese first.
        (tmp_path / "junk.wav").write_bytes(b"not audio at all")
        page.set_input_files(f"tr[data-key='{hai}'] input[type=file]", str(tmp_path / "junk.wav"))
        page.wait_for_function("document.getElementById('message').className.includes('error')")
        assert "không phải âm thanh" in page.inner_text("#message")

        for key in (lead, hai):
            page.click(f"tr[data-key='{key}'] button[data-act=save]")
            page.wait_for_selector(f"tr[data-key='{key}'] .badge.recorded")
        segments = requests.get(f"{server.url}/api/admin/voice/segments", headers=admin, timeout=5)
        by_key = {s["key"]: s for s in segments.json()["segments"]}
        assert by_key[lead]["engine"] == "recorded" and by_key[hai]["engine"] == "recorded"

        # The lobby's player: counter 2 calls; the recorded segments play, the rest is espeak-ng.
        requests.post(f"{server.url}/api/tickets", json={"service": "chungthuc"}, timeout=5)
        lobby = open_harness(browser, server)
        clerk = {"Authorization": f"Bearer {server.token('clerk1', 'clerk')}"}
        sign_in(server.url, clerk, 2)
        r = requests.post(f"{server.url}/api/counters/2/next", headers=clerk, timeout=5)
        assert r.status_code == 200, r.text
        lobby.wait_for_function(
            "OnestopAnnouncer.log.some(e => e.type === 'call_end') && OnestopAnnouncer.idle()",
            timeout=30000,
        )
        said = [e for e in lobby.evaluate("OnestopAnnouncer.log") if e["type"] == "segment"]
        assert said[0]["url"] == by_key[lead]["url"] and said[-1]["url"] == by_key[hai]["url"]
        # The whole take (the player trims at most the 50 ms of quiet kept on each side).
        cut = by_key[lead]["recorded"]["duration_ms"] - said[0]["duration"] * 1000
        assert 0 <= cut <= 2 * levels.PAD_S * 1000 + 20, cut
        assert all(e["url"].startswith("/voice/audio/") for e in said[1:-1])
        wav = requests.get(server.url + said[-1]["url"], timeout=5).content
        assert wav == levels.process(mp3.read_bytes()).wav

        # Delete: back to the speech engine.
        page.click(f"tr[data-key='{hai}'] button[data-act=delete]")
        page.wait_for_function(f"!document.querySelector(\"tr[data-key='{hai}'] .badge.recorded\")")
        assert "Máy đọc (espeak)" in page.inner_text(f"tr[data-key='{hai}']")

        # A clerk is refused the page.
        other = browser.new_context().new_page()
        log_in(other, server, "clerk1")
        r = other.goto(f"{server.url}/admin/voice")
        assert r.status == 403
        browser.close()
