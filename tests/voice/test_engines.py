"""gTTS with the network faked at the HTTP level, espeak-ng fallback, gaps, health."""

from __future__ import annotations

import json
import threading

import pytest

from tests.helpers import CounterDesk, Kiosk
from tests.voice.test_support import google_fixture, voice_app  # noqa: F401 - fixture
from voice.audio_info import duration


def _desk(app):
    onestop = app.extensions["onestop"]
    onestop.users.add("clerk1", "clerk", "secret123")
    headers = {"Authorization": f"Bearer {onestop.users.new_token('clerk1')}"}
    client = app.test_client()
    return onestop, Kiosk(client), CounterDesk(client, headers)


def _events(onestop, type_):
    rows = onestop.store.reader().execute(
        "SELECT ticket_id, counter, data FROM events WHERE type = ? ORDER BY id", (type_,)
    )
    return [(r[0], {"counter": r[1], **json.loads(r[2] or "{}")}) for r in rows]


def _files(voice, urls):
    return [voice.cache.path(u.rsplit("/", 1)[1]) for u in urls]


def test_gtts_success_is_cached_and_not_asked_again(tmp_path, clock, google):
    app = voice_app(tmp_path, clock)
    onestop, kiosk, desk = _desk(app)
    voice = onestop.devices.voice
    report = voice.warm()
    needed = len(voice.needed())
    assert report["missing"] == 0 and report["rendered"] == {"espeak": needed, "gtts": needed}
    asked = len(google.requests)
    assert asked == needed  # one request per segment, each with the configured timeout
    assert {r["timeout"] for r in google.requests} == {3.0}

    again = voice.warm()
    assert again["rendered"] == {} and len(google.requests) == asked

    kiosk.take_ticket("hotich")
    desk.next(2)
    onestop.queue.drain()
    call = onestop.queue.line.snapshot().said(onestop.plan)["recent"][0]  # as screens get it
    assert call["text"] == "Mời công dân có số thứ tự A 0 0 1 đến quầy số 2"
    assert all(u.endswith(".mp3") for u in call["audio"])  # the better voice, all of it
    for path in _files(voice, call["audio"]):
        assert 0.1 < duration(path.read_bytes(), "mp3") < 4
    assert len(google.requests) == asked  # calling never asks Google

    # A new process (restart) finds the cache on disk.
    app2 = voice_app(tmp_path, clock)
    assert app2.extensions["onestop"].devices.voice.warm()["rendered"] == {}
    assert len(google.requests) == asked
    health = app.test_client().get("/api/health").get_json()["checks"]["voice"]
    assert health["status"] == "ok" and health["segments"]["missing"] == 0
    assert health["engines"]["gtts"]["reachable"] is True


@pytest.mark.parametrize("mode", ["429", "timeout", "noroute"])
def test_gtts_failure_falls_back_to_espeak_without_delaying_the_call(tmp_path, clock, google, mode):
    google.mode = mode
    google.gate = threading.Event()  # Google "hangs" until the test lets go
    app = voice_app(tmp_path, clock)
    onestop, kiosk, desk = _desk(app)
    voice = onestop.devices.voice
    called = []
    onestop.queue.subscribe(lambda name, p: called.append(p) if name == "ticket_called" else None)

    warmer = threading.Thread(target=voice.warm)
    warmer.start()
    assert google.entered.wait(10)  # the warmer is now stuck inside a gTTS request
    kiosk.take_ticket("chungthuc")
    ticket = desk.next(1)
    onestop.queue.drain()
    # The call went out while gTTS was still hanging: nothing waited for it.
    assert warmer.is_alive() and not google.gate.is_set()
    assert [p["call"]["ticket"]["id"] for p in called] == [ticket["id"]]
    urls = onestop.plan(called[0]["call"])["audio"]
    assert len(urls) == 7 and all(u.endswith(".wav") for u in urls)
    for path in _files(voice, urls):
        assert voice.wait_for(path.name)
        assert 0.1 < duration(path.read_bytes(), "wav") < 4

    google.gate.set()
    warmer.join(30)
    gtts = next(e for e in voice.engines if e.name == "gtts")
    assert gtts.resting()  # backs off: one failed request, not one per segment
    assert len(google.requests) == 1
    kind = {"429": "rate_limited", "timeout": "timeout", "noroute": "offline"}[mode]
    assert gtts.last_error.startswith(kind)
    assert gtts.reachable is (mode == "429")
    health = app.test_client().get("/api/health").get_json()["checks"]["voice"]
    assert health["segments"]["missing"] == 0
    assert health["engines"]["gtts"]["reachable"] is (mode == "429")
    assert health["engines"]["gtts"]["resting_s"] > 0
    assert _events(onestop, "voice_gap") == []


def test_bad_audio_from_google_is_not_cached(tmp_path, clock, google):
    google.mode = "garbage"
    app = voice_app(tmp_path, clock, engines=["gtts", "espeak"])
    voice = app.extensions["onestop"].devices.voice
    report = voice.warm()
    assert report["missing"] == 0 and "gtts" not in report["rendered"]
    assert not any(n.endswith(".mp3") for n in voice.cache._files)


def test_a_segment_no_engine_can_say_is_a_logged_gap_and_the_call_still_goes_out(
    tmp_path, clock, google
):
    google.mode = "noroute"
    app = voice_app(tmp_path, clock, engines=["gtts"])  # no offline engine configured
    onestop, kiosk, desk = _desk(app)
    called = []
    onestop.queue.subscribe(lambda name, p: called.append(p) if name == "ticket_called" else None)
    kiosk.take_ticket("khac")
    ticket = desk.next(3)
    onestop.queue.drain()
    assert called and onestop.plan(called[0]["call"])["text"].endswith("đến quầy số 3")
    voice = onestop.devices.voice
    for _ in range(200):  # the gap checker runs on its own thread
        gaps = _events(onestop, "voice_gap")
        if gaps:
            break
        threading.Event().wait(0.05)
    assert gaps and gaps[0][0] == ticket["id"]
    assert gaps[0][1]["counter"] == 3 and "Mời công dân có số thứ tự" in gaps[0][1]["missing"]
    # The promised URL answers a clear 404, never a 500, and the health says degraded.
    url = onestop.plan(called[0]["call"])["audio"][0]
    r = app.test_client().get(url)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "audio_not_ready"
    health = voice.health()
    assert health["status"] == "degraded" and health["segments"]["missing"] > 0


def test_missing_segments_are_rendered_after_the_call_not_during_it(tmp_path, clock):
    app = voice_app(tmp_path, clock, engines=["espeak"])
    onestop, kiosk, desk = _desk(app)
    voice = onestop.devices.voice
    assert voice.cache.count() == 0
    kiosk.take_ticket("datdai")
    desk.next(3)
    onestop.queue.drain()
    call = onestop.queue.line.snapshot().said(onestop.plan)["recent"][0]  # as screens get it
    client = app.test_client()
    for url in call["audio"]:  # promised URLs resolve once the background render is done
        r = client.get(url)
        assert r.status_code == 200 and r.mimetype == "audio/wav"
        assert "immutable" in r.headers["Cache-Control"]
        assert 0.1 < duration(r.data, "wav") < 4
    assert _events(onestop, "voice_gap") == []


def test_voice_disabled_gives_text_only(tmp_path, clock):
    app = voice_app(tmp_path, clock, enabled=False)
    voice = app.extensions["onestop"].devices.voice
    assert voice.call("B012", 4) == {
        "text": "Mời công dân có số thứ tự B 0 1 2 đến quầy số 4",
        "audio": [],
    }
    assert voice.health()["status"] == "disabled"
    assert app.test_client().get("/voice/config").get_json()["enabled"] is False


def test_a_voice_bug_never_breaks_the_call(tmp_path, clock, monkeypatch):
    app = voice_app(tmp_path, clock, engines=["espeak"])
    onestop, kiosk, desk = _desk(app)
    voice = onestop.devices.voice

    def broken(_segments):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(voice, "resolve", broken)
    kiosk.take_ticket("hotich")
    ticket = desk.next(1)
    assert ticket["status"] == "called"
    call = onestop.queue.line.snapshot().said(onestop.plan)["recent"][0]  # as screens get it
    assert call["text"] == "Mời công dân có số thứ tự A 0 0 1 đến quầy số 1"
    assert call["audio"] == []


def test_warm_while_offline_says_so_and_still_completes(tmp_path, clock, google):
    google.mode = "noroute"
    app = voice_app(tmp_path, clock)
    result = app.test_cli_runner().invoke(args=["voice", "warm"])
    assert result.exit_code == 0, result.output
    assert "rendered now: espeak 19; missing: 0." in result.output
    assert "gtts: offline:" in result.output and len(google.requests) == 1
