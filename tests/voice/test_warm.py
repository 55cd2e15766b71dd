"""`flask voice warm`, the cached files, the /voice routes and server-side playback."""

from __future__ import annotations

import json
import subprocess
import sys
import wave

import pytest

from tests.helpers import BAR_RE, CounterDesk, Kiosk, flask_in_pty, no_progress_artefacts
from tests.voice.test_support import google_fixture, voice_app  # noqa: F401 - fixture
from voice.phrase import call_plan


def sox_seconds(path) -> float:
    return float(subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, text=True,
                                check=True).stdout)  # fmt: skip


def every_call(voice):
    """Every (number, counter) the configured office can produce."""
    for svc in voice.settings.office.services:
        for n in range(1, svc.capacity + 1):
            for c in voice.settings.office.counters:
                if svc.code in c.services:
                    yield svc.label(n), c.number


@pytest.mark.parametrize("numbers", ["digits", "words"])
def test_warm_covers_every_number_and_every_counter(tmp_path, clock, numbers):
    app = voice_app(tmp_path, clock, engines=["espeak"], numbers=numbers, languages=["vi", "en"])
    result = app.test_cli_runner().invoke(args=["voice", "warm"])
    assert result.exit_code == 0, result.output
    assert "missing: 0" in result.output
    voice = app.extensions["onestop"].devices.voice
    calls = 0
    for number, counter in every_call(voice):
        _text, segs = call_plan(number, counter, voice.cfg)
        assert all(voice.best(s) for s in segs), (number, counter)
        calls += 1
    assert calls > 6 * 999  # every procedure's 999 numbers at each of its counters
    # Nothing is rendered twice: a second warm has nothing to do.
    again = app.test_cli_runner().invoke(args=["voice", "warm"])
    assert "rendered now: none" in again.output


def test_each_cached_segment_is_valid_audio_of_plausible_length(tmp_path, clock, google):
    app = voice_app(tmp_path, clock, languages=["vi", "en"])
    voice = app.extensions["onestop"].devices.voice
    assert voice.warm()["missing"] == 0
    files = sorted(voice.cache.audio_dir.iterdir())
    assert {f.suffix for f in files} == {".wav", ".mp3"}
    index = json.loads((voice.cache.root / "index.json").read_text(encoding="utf-8"))
    for f in files:
        meta = index[f.stem]
        if f.suffix == ".wav":
            with wave.open(str(f)) as w:
                seconds = w.getnframes() / w.getframerate()
                assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        else:
            seconds = sox_seconds(f)  # decoded by sox (libsox-fmt-mp3), not by our code
        words = len(meta["text"].split())
        assert 0.12 * words < seconds < 0.9 * words + 0.6, (meta, seconds)
        assert abs(seconds - meta["seconds"]) < 0.1


def test_audio_route_is_safe_and_cacheable(tmp_path, clock):
    app = voice_app(tmp_path, clock, engines=["espeak"])
    voice = app.extensions["onestop"].devices.voice
    voice.warm()
    client = app.test_client()
    url = voice.call("A001", 1)["audio"][0]
    r = client.get(url)
    assert r.status_code == 200 and r.headers["Cache-Control"].endswith("immutable")
    assert r.headers["Content-Type"] == "audio/wav"
    assert client.get(url, headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    (tmp_path / "secret.txt").write_text("no")
    for bad in ("../../secret.txt", "..%2F..%2Fsecret.txt", "index.json", "x.wav",
                "0123456789abcdef01234567.ogg", "%00.wav", "0123456789abcdef01234567.wav"):  # fmt: skip
        r = client.get("/voice/audio/" + bad, headers={"Accept": "application/json"})
        assert r.status_code == 404, bad
        assert r.get_json()["error"]["code"] in ("unknown_audio", "audio_not_ready", "not_found")
    assert client.get("/voice/static/announcer.js").status_code == 200
    assert client.get("/voice/static/chime.wav").mimetype in ("audio/wav", "audio/x-wav")
    assert client.get("/voice/config").get_json() == {
        "enabled": True, "repeat": 1, "chime": "/voice/static/chime.wav", "languages": ["vi"]
    }  # fmt: skip


def test_ticket_called_and_snapshot_carry_the_ordered_audio(tmp_path, clock):
    app = voice_app(tmp_path, clock, engines=["espeak"], repeat=2)
    onestop = app.extensions["onestop"]
    voice = onestop.devices.voice
    voice.warm()
    onestop.users.add("c", "clerk", "secret123")
    client = app.test_client()
    desk = CounterDesk(client, {"Authorization": f"Bearer {onestop.users.new_token('c')}"})
    Kiosk(client).take_ticket("vhxh")
    desk.next(4)
    onestop.queue.drain()
    call = onestop.queue.line.snapshot().said(onestop.plan)["recent"][0]  # as screens get it
    labels = [voice.cache.meta(u.rsplit("/", 1)[1])["text"] for u in call["audio"]]
    assert labels == ["Mời công dân có số thứ tự", "e", "không", "không", "một", "đến quầy số",
                      "bốn"]  # fmt: skip
    assert client.get("/voice/config").get_json()["repeat"] == 2


def test_health_reports_cached_and_missing(tmp_path, clock):
    app = voice_app(tmp_path, clock, engines=["espeak"])
    client = app.test_client()
    before = client.get("/api/health").get_json()["checks"]["voice"]
    assert before["status"] == "degraded" and before["segments"]["cached"] == 0
    app.extensions["onestop"].devices.voice.warm()
    after = client.get("/api/health").get_json()["checks"]["voice"]
    assert after["status"] == "ok"
    assert after["segments"] == {"needed": 19, "cached": 19, "missing": 0, "preferred_engine": 19}
    assert after["engines"]["espeak"]["available"] is True


def test_bad_voice_config_stops_start_up_with_the_key(tmp_path, clock):
    from server.settings import ConfigError

    for bad, key in ((["espeak", "festival"], "voice.engines[1]"),):
        with pytest.raises(ConfigError) as e:
            voice_app(tmp_path, clock, engines=bad)
        assert e.value.key == key
    with pytest.raises(ConfigError) as e:
        voice_app(tmp_path, clock, template_vi="Mời số {ticket}")
    assert e.value.key == "voice.template_vi"


def test_server_playback_plays_chime_then_segments_in_order(tmp_path, clock):
    log = tmp_path / "played.txt"
    player = tmp_path / "fake-aplay"
    player.write_text(f'#!/bin/sh\necho "$1" >> {log}\n')
    player.chmod(0o755)
    app = voice_app(tmp_path, clock, engines=["espeak"], server_playback=True, player=str(player))
    onestop = app.extensions["onestop"]
    voice = onestop.devices.voice
    voice.warm()
    onestop.users.add("c", "clerk", "secret123")
    client = app.test_client()
    desk = CounterDesk(client, {"Authorization": f"Bearer {onestop.users.new_token('c')}"})
    Kiosk(client).take_ticket("hotich")
    Kiosk(client).take_ticket("hotich")
    desk.next(1)
    desk.next(2)
    onestop.queue.drain()
    for _ in range(200):
        if len(voice.player.played) >= 16:
            break
        threading_wait(0.05)
    voice.player.drain()
    played = [p.rsplit("/", 1)[1] for p in log.read_text().split()]
    first = [u.rsplit("/", 1)[1] for u in voice.call("A001", 1)["audio"]]
    second = [u.rsplit("/", 1)[1] for u in voice.call("A002", 2)["audio"]]
    assert played == ["chime.wav", *first, "chime.wav", *second]


def threading_wait(s):
    import threading

    threading.Event().wait(s)


def test_flask_voice_warm_in_a_real_process(tmp_path):
    """The documented command, as an operator runs it (espeak-ng only)."""
    cfg = tmp_path / "site.toml"
    from tests.helpers import ROOT

    text = (ROOT / "config" / "site.toml").read_text(encoding="utf-8")
    cfg.write_text(text.replace('engines = ["gtts", "espeak"]', 'engines = ["espeak"]'), "utf-8")
    env = {"ONESTOP_DATA": str(tmp_path / "data"), "ONESTOP_CONFIG": str(cfg),
           "ONESTOP_PRINTER_TYPE": "none", "PATH": "/usr/bin:/bin"}  # fmt: skip
    out = subprocess.run([sys.executable, "-m", "flask", "voice", "warm"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Segments needed: 19; rendered now: espeak 19; missing: 0." in out.stdout


def test_warm_reports_a_step_per_segment_of_each_pass(tmp_path, clock):
    app = voice_app(tmp_path, clock, engines=["espeak"])
    voice = app.extensions["onestop"].devices.voice
    for _ in range(2):  # rendering, then with everything cached
        calls: list[tuple[int, int]] = []
        report = voice.warm(steps=lambda done, total, calls=calls: calls.append((done, total)))
        total = 2 * report["needed"]
        assert calls == [(n, total) for n in range(1, total + 1)]


def test_warm_off_a_terminal_prints_only_its_summary_lines(tmp_path, clock):
    app = voice_app(tmp_path, clock, engines=["espeak"])
    out = app.test_cli_runner().invoke(args=["voice", "warm"])
    assert out.exit_code == 0, out.output
    assert no_progress_artefacts(out.output)
    lines = out.output.splitlines()
    assert len(lines) == 2, lines
    assert lines[0] == "Segments needed: 19; rendered now: espeak 19; missing: 0."
    assert lines[1].startswith("Cache: 19 files")


def test_flask_voice_warm_draws_a_bar_on_a_terminal(tmp_path):
    from tests.helpers import ROOT

    cfg = tmp_path / "site.toml"
    text = (ROOT / "config" / "site.toml").read_text(encoding="utf-8")
    cfg.write_text(text.replace('engines = ["gtts", "espeak"]', 'engines = ["espeak"]'), "utf-8")
    rc, screen = flask_in_pty(tmp_path / "data", "voice", "warm", env={"ONESTOP_CONFIG": str(cfg)})
    assert rc == 0, screen
    assert BAR_RE.search(screen) and "Rendering segments" in screen and "38/38" in screen
    assert "Segments needed: 19; rendered now: espeak 19; missing: 0." in screen
    # --verbose prints a line per segment instead of the bar.
    rc, screen = flask_in_pty(tmp_path / "data2", "voice", "warm", "-v",
                              env={"ONESTOP_CONFIG": str(cfg)})  # fmt: skip
    assert rc == 0, screen
    assert not BAR_RE.search(screen) and screen.count("espeak\t") == 19


def test_a_changed_config_file_is_warmed_before_the_restart(tmp_path, clock):
    import os

    from server.app import create_app
    from tests.helpers import ROOT
    from voice.phrase import Segment

    cfg = tmp_path / "site.toml"
    text = (ROOT / "config" / "site.toml").read_text(encoding="utf-8")
    text = text.replace('engines = ["gtts", "espeak"]', 'engines = ["espeak"]')
    cfg.write_text(text.replace("warm_on_start = true", "warm_on_start = false"), "utf-8")
    app = create_app({"DATA_DIR": tmp_path / "data", "CONFIG": str(cfg), "CLOCK": clock,
                      "TESTING": True})  # fmt: skip
    voice = app.extensions["onestop"].devices.voice
    assert voice.warm()["missing"] == 0
    new_service = '\n[[services]]\ncode = "moi"\nname = "Mới"\nprefix = "G"\n'
    cfg.write_text(cfg.read_text("utf-8") + new_service, "utf-8")
    st = cfg.stat()
    os.utime(cfg, (st.st_atime, st.st_mtime + 5))
    voice.reload_if_changed()
    report = voice.warm()
    assert report["rendered"] == {"espeak": 1} and report["missing"] == 0
    assert voice.best(Segment("vi", "giê"))
    # The running office keeps its config until restarted: G is not callable yet.
    assert voice.health()["segments"]["needed"] == 19


@pytest.mark.slow
def test_a_real_server_warms_in_the_background_at_start(tmp_path):
    import time

    import requests

    from tests.helpers import LiveServer
    from tests.voice.test_browser import espeak_config

    server = LiveServer(tmp_path / "live", config=espeak_config(tmp_path),
                        env={"ONESTOP_VOICE_WARM_ON_START": "true"})  # fmt: skip
    server.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            voice = requests.get(server.url + "/api/health", timeout=5).json()["checks"]["voice"]
            if voice["segments"]["missing"] == 0:
                break
            time.sleep(0.2)
        assert voice["status"] == "ok" and voice["segments"]["cached"] == 19
        assert len(list((server.data_dir / "voice" / "audio").glob("*.wav"))) == 19
    finally:
        server.stop()
