"""The office's own recorded voice: upload, trim and level, pending and saved, what the lobby plays."""

from __future__ import annotations

import array
import io
import math
import subprocess
import time
import wave

import pytest

from server.sockets import socketio
from tests.faults.tools import dump
from voice import levels
from voice.phrase import Segment, call_plan
from voice.recorded import RecordedVoice, recording_key

LEAD = "Mời công dân có số thứ tự"
TABLES = ("events", "voice_recordings", "voice_pending")


def tone_wav(tone_s=1.0, before_s=0.5, after_s=0.7, peak_db=-20.0, rate=44100, channels=2,
             width=2, freq=440.0, spike_db=None) -> bytes:  # fmt: skip
    """Silence, a sine tone whose peak is `peak_db` dBFS, silence: a WAV as a recorder makes it."""
    amp = 10 ** (peak_db / 20)
    full = 2 ** (8 * width - 1) - 1
    n_before, n_tone, n_after = (round(s * rate) for s in (before_s, tone_s, after_s))
    samples = [0] * n_before
    samples += [round(full * amp * math.sin(2 * math.pi * freq * i / rate)) for i in range(n_tone)]
    samples += [0] * n_after
    if spike_db is not None:  # one loud click inside the tone
        samples[n_before + n_tone // 2] = round(full * 10 ** (spike_db / 20))
    frames = bytearray()
    for s in samples:
        raw = (
            (s + 128).to_bytes(1, "little")
            if width == 1
            else s.to_bytes(width, "little", signed=True)
        )
        frames += raw * channels
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return buf.getvalue()


def measure(wav_data: bytes) -> dict:
    """Rate, channels, width, length, peak and RMS (dBFS) of a WAV, read independently."""
    with wave.open(io.BytesIO(wav_data)) as w:
        rate, chans, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        pcm = array.array("h", w.readframes(n))
    peak = max(abs(s) for s in pcm) / 32768
    rms = math.sqrt(sum(s * s for s in pcm) / len(pcm)) / 32768
    return {"rate": rate, "channels": chans, "width": width, "ms": n * 1000 / rate,
            "peak_db": 20 * math.log10(peak), "rms_db": 20 * math.log10(rms)}  # fmt: skip


@pytest.fixture
def config(config):
    config["voice"] = {**config.get("voice", {}), "engines": ["espeak"], "warm_on_start": False}
    return config


@pytest.fixture
def voice(onestop):
    return onestop.devices.voice


@pytest.fixture
def admin(auth):
    return auth["admin"]


def key_of(text: str, lang: str = "vi") -> str:
    return recording_key(Segment(lang, text))


def put(client, headers, key, data, type_="audio/wav"):
    return client.put(f"/api/admin/voice/segments/{key}", data=data,
                      headers={**headers, "Content-Type": type_})  # fmt: skip


def record(client, headers, text, data) -> dict:
    """Upload and save one segment through the API, as the page does."""
    r = put(client, headers, key_of(text), data)
    assert r.status_code == 200, r.get_json()
    r = client.post(f"/api/admin/voice/segments/{key_of(text)}/save", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def lobby_call(app, client, counter_desk, kiosk) -> dict:
    """Take a ticket, call it at counter 1 and return the call the lobby display receives."""
    sc = socketio.test_client(app, namespace="/display")
    sc.get_received("/display")
    kiosk.take_ticket("chungthuc")
    counter_desk.next(1)
    app.extensions["onestop"].queue.drain()
    got = [m for m in sc.get_received("/display") if m["name"] == "ticket_called"]
    sc.disconnect(namespace="/display")
    assert len(got) == 1
    return got[0]["args"][0]["call"]


# -- processing, measured on generated WAVs ------------------------------------------------


def test_silence_is_trimmed_and_the_level_set_on_a_generated_wav():
    """0.5 s silence + 1 s tone at -20 dBFS + 0.7 s silence (44.1 kHz stereo 16-bit)."""
    done = levels.process(tone_wav())
    got = measure(done.wav)
    assert (got["rate"], got["channels"], got["width"]) == (levels.RATE, 1, 2)
    # The tone and 50 ms kept on each side; 10 ms windows give the edges' precision.
    assert abs(got["ms"] - (1000 + 2 * levels.PAD_S * 1000)) <= 20, got
    assert abs(done.duration_ms - got["ms"]) <= 1
    # Voiced RMS to -18 dBFS; a sine's peak is 3.01 dB above its RMS: about -15 dBFS.
    assert abs(got["peak_db"] - (levels.TARGET_RMS_DB + 3.01)) <= 0.3, got
    assert abs(done.peak_db - got["peak_db"]) <= 0.05
    assert abs(done.gain_db - 5.0) <= 0.3 and abs(done.input_ms - 2200) <= 2


def test_the_gain_never_pushes_a_peak_over_the_ceiling():
    """A quiet tone (-40 dBFS) with one click at -6 dBFS: the click caps the gain at -1 dBFS."""
    done = levels.process(tone_wav(peak_db=-40.0, spike_db=-6.0))
    got = measure(done.wav)
    assert levels.PEAK_CEILING_DB - 0.2 <= got["peak_db"] <= levels.PEAK_CEILING_DB + 0.01, got
    assert done.rms_db < levels.TARGET_RMS_DB  # the ceiling won over the loudness target


@pytest.mark.parametrize(
    "how",
    ["wav 8-bit mono 8 kHz", "wav 24-bit stereo 48 kHz", "wav float 32-bit", "mp3", "ogg"],
)
def test_every_accepted_format_gives_the_same_segment(tmp_path, how):
    src = tmp_path / "src.wav"
    src.write_bytes(tone_wav(rate=8000, channels=1, width=1) if "8-bit" in how else tone_wav())
    args = {"wav 24-bit stereo 48 kHz": ["-b", "24", "-r", "48000"],
            "wav float 32-bit": ["-e", "floating-point", "-b", "32"]}.get(how, [])  # fmt: skip
    out = tmp_path / ("out." + (how if how in ("mp3", "ogg") else "wav"))
    if "8-bit" in how:
        out = src
    else:
        subprocess.run(["sox", str(src), *args, str(out)], check=True, capture_output=True)
    done = levels.process(out.read_bytes())
    got = measure(done.wav)
    assert (got["rate"], got["channels"], got["width"]) == (levels.RATE, 1, 2)
    assert abs(got["ms"] - 1100) <= 60, (how, got)  # MP3 and Ogg pad the start a little
    assert abs(got["peak_db"] + 15.0) <= 0.8, (how, got)


# -- the lobby plays the recording ---------------------------------------------------------


def test_a_recorded_wav_is_what_the_lobby_plays_for_the_segments_it_covers(
    app, client, admin, kiosk, counter, voice, onestop
):
    lead, one = tone_wav(freq=300.0), tone_wav(tone_s=0.4, freq=500.0)
    saved = {LEAD: record(client, admin, LEAD, lead), "một": record(client, admin, "một", one)}
    expected = {LEAD: levels.process(lead).wav, "một": levels.process(one).wav}
    call = lobby_call(app, client, counter, kiosk)
    _, segments = call_plan(call["ticket"]["number"], call["counter"], voice.cfg)
    assert len(call["audio"]) == len(segments) and "một" in [s.text for s in segments]
    for seg, url in zip(segments, call["audio"], strict=True):
        r = client.get(url)
        assert r.status_code == 200, url
        if seg.text in saved:
            assert url == saved[seg.text]["url"] and url.startswith("/voice/recorded/")
            assert r.data == expected[seg.text]  # the processed recording, byte for byte
            assert "immutable" in r.headers["Cache-Control"]
        else:  # not recorded: espeak-ng, exactly as before
            name = url.rsplit("/", 1)[-1]
            assert url.startswith("/voice/audio/")
            assert voice.cache.meta(name)["engine"] == "espeak"
    assert onestop.devices.voice.health()["recorded"] == 2


def test_a_pending_take_is_heard_in_the_preview_only_until_saved(
    app, client, admin, kiosk, counter, voice
):
    first = record(client, admin, LEAD, tone_wav(freq=300.0))
    r = put(client, admin, key_of(LEAD), tone_wav(freq=600.0))
    assert r.status_code == 200
    pending = r.get_json()["pending"]
    # The lobby still plays the saved take; its file is kept.
    call = lobby_call(app, client, counter, kiosk)
    assert call["audio"][0] == first["url"]
    assert client.get(first["url"]).status_code == 200
    r = client.post(
        "/api/admin/voice/preview", json={"number": "A012", "counter": 2}, headers=admin
    )
    plan = r.get_json()
    assert r.status_code == 200 and plan["audio"][0] == pending["url"]
    assert plan["segments"][0]["source"] == "pending"
    assert {s["source"] for s in plan["segments"][1:]} <= {"espeak", "rendering"}
    assert (
        client.get(pending["url"], headers=admin).data == levels.process(tone_wav(freq=600.0)).wav
    )
    r = client.post("/api/admin/voice/preview", json={"number": "A012", "counter": 2,
                                                       "pending": False}, headers=admin)  # fmt: skip
    assert r.get_json()["audio"][0] == first["url"]
    # Saved: the next call plays the new take under a new name; the old file is gone.
    second = client.post(f"/api/admin/voice/segments/{key_of(LEAD)}/save", headers=admin).get_json()
    assert second["url"] != first["url"] and second["pending"] is None
    assert lobby_call(app, client, counter, kiosk)["audio"][0] == second["url"]
    assert client.get(first["url"]).status_code == 404
    assert sorted(p.name for p in voice.recorded.dir.iterdir()) == [second["recorded"]["file"]]


def test_delete_goes_back_to_the_tts_engine(app, client, admin, kiosk, counter, voice):
    rec = record(client, admin, LEAD, tone_wav())
    r = client.delete(f"/api/admin/voice/segments/{key_of(LEAD)}", headers=admin)
    assert r.status_code == 200 and r.get_json()["recorded"] is None
    url = lobby_call(app, client, counter, kiosk)["audio"][0]
    assert url.startswith("/voice/audio/") and client.get(url).status_code == 200
    assert client.get(rec["url"]).status_code == 404
    assert list(voice.recorded.dir.iterdir()) == []
    r = client.delete(f"/api/admin/voice/segments/{key_of(LEAD)}", headers=admin)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_recorded"


def test_uploads_saves_and_deletions_are_audited(client, admin, onestop):
    record(client, admin, LEAD, tone_wav())
    client.delete(f"/api/admin/voice/segments/{key_of(LEAD)}", headers=admin)
    rows = onestop.store.reader().execute(
        "SELECT type, clerk, data FROM events WHERE type LIKE 'voice_%' ORDER BY id").fetchall()  # fmt: skip
    assert [r[0] for r in rows] == ["voice_uploaded", "voice_saved", "voice_deleted"]
    assert all(r[1] == "admin1" and key_of(LEAD) in r[2] and LEAD in r[2] for r in rows)


def test_recordings_survive_a_restart_and_stray_files_are_swept(client, admin, onestop, voice):
    rec = record(client, admin, LEAD, tone_wav())
    stray = voice.recorded.dir / f"{key_of(LEAD)}-0123456789ab.wav"  # a take cut off by a power cut
    stray.write_bytes(b"half")
    again = RecordedVoice(onestop.store, voice.recorded.dir)
    assert again.url(Segment("vi", LEAD)) == rec["url"] and not stray.exists()


def test_upload_as_multipart_form(client, admin):
    data = {"file": (io.BytesIO(tone_wav()), "loi-moi.wav", "audio/wav")}
    r = client.put(f"/api/admin/voice/segments/{key_of(LEAD)}", data=data, headers=admin,
                   content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 200 and abs(r.get_json()["duration_ms"] - 1100) <= 20


def test_the_segment_list_names_every_needed_segment_and_who_says_it(client, admin, voice):
    record(client, admin, LEAD, tone_wav())
    r = client.get("/api/admin/voice/segments", headers=admin)
    data = r.get_json()
    assert r.status_code == 200 and data["needed"] == len(voice.needed()) == len(data["segments"])
    by_text = {s["text"]: s for s in data["segments"]}
    assert set(by_text) == {s.text for s in voice.needed()}
    assert (
        by_text[LEAD]["engine"] == "recorded"
        and by_text[LEAD]["recorded"]["uploaded_by"] == "admin1"
    )
    assert by_text["hai"]["engine"] is None and by_text["hai"]["recorded"] is None
    assert data["recorded"] == 1


# -- refused -------------------------------------------------------------------------------


def state(onestop, voice):
    return dump(onestop.store.reader(), TABLES), sorted(
        p.name for p in voice.recorded.dir.iterdir()
    )


BAD = [
    ("empty", b"", "audio/wav", 400, "empty_recording"),
    ("text", b"hello, this is not audio at all", "audio/wav", 400, "not_audio"),
    ("webm", b"\x1a\x45\xdf\xa3" + b"\x00" * 200, "audio/webm", 400, "unsupported_audio"),
    ("cut wav", tone_wav()[:30], "audio/wav", 400, "not_audio"),
    ("silence", tone_wav(peak_db=-90.0), "audio/wav", 400, "empty_recording"),
    ("a click", tone_wav(tone_s=0.02), "audio/wav", 400, "empty_recording"),
    (
        "too long",
        tone_wav(tone_s=10.6, before_s=0.1, after_s=0.1, rate=8000, channels=1),
        "audio/wav",
        400,
        "too_long",
    ),  # fmt: skip
    ("too big", b"RIFF" + b"\x00" * (levels.MAX_BYTES + 70 * 1024), "audio/wav", 400, "too_large"),
    ("a form", b"a=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("json", b'{"a": 1}', "application/json", 415, "unsupported_media_type"),
]


@pytest.mark.parametrize("name,data,type_,status,code", BAD, ids=[b[0] for b in BAD])
def test_bad_uploads_are_refused_and_change_nothing(client, admin, onestop, voice, name, data,
                                                    type_, status, code):  # fmt: skip
    record(client, admin, LEAD, tone_wav())
    before = state(onestop, voice)
    r = put(client, admin, key_of(LEAD), data, type_)
    assert r.status_code == status, r.get_data()[:200]
    assert r.get_json()["error"]["code"] == code and r.get_json()["error"]["message"]
    assert state(onestop, voice) == before


def test_unknown_segments_and_bad_previews_are_refused(client, admin, onestop, voice):
    before = state(onestop, voice)
    for key in ("0" * 24, "nope", "../../etc/passwd"):
        r = put(client, admin, key, tone_wav())
        assert r.status_code == 404 and r.get_json()["error"]["code"] in (
            "unknown_segment",
            "not_found",
        )
    r = client.post(f"/api/admin/voice/segments/{key_of(LEAD)}/save", headers=admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "nothing_pending"
    r = client.get(f"/api/admin/voice/segments/{key_of(LEAD)}/audio", headers=admin)
    assert r.status_code == 404
    for bad in ({"number": "a012"}, {"number": 12}, {"counter": 0}, {"counter": True},
                {"counter": "2"}, {"counter": 2.5}, {"pending": "yes"}, {"number": "A" * 40},
                {"colour": "red"}, {"number": None}):  # fmt: skip
        r = client.post("/api/admin/voice/preview", json=bad, headers=admin)
        code = r.get_json()["error"]["code"]
        assert r.status_code == 400 and (code.startswith("invalid_") or code == "unknown_field"), (
            bad
        )
    # JSON's 2.0 is the integer 2.
    r = client.post("/api/admin/voice/preview", json={"counter": 2.0}, headers=admin)
    assert r.status_code == 200 and r.get_json()["text"].endswith("quầy số 2")
    r = client.post("/api/admin/voice/preview", data="x", headers=admin, content_type="text/plain")
    assert r.status_code == 415
    assert client.get("/voice/recorded/..%2F..%2Fonestop.db").status_code == 404
    assert state(onestop, voice) == before


@pytest.mark.parametrize("role", ["clerk", "supervisor"])
def test_clerks_and_supervisors_get_403_and_change_nothing(client, auth, onestop, voice, role):
    record(client, auth["admin"], LEAD, tone_wav())
    put(client, auth["admin"], key_of("hai"), tone_wav())
    before = state(onestop, voice)
    key, h = key_of(LEAD), auth[role]
    calls = [("GET", "/api/admin/voice/segments", None), ("PUT", f"/api/admin/voice/segments/{key}", tone_wav()),
             ("DELETE", f"/api/admin/voice/segments/{key}", None),
             ("GET", f"/api/admin/voice/segments/{key}/audio", None),
             ("POST", f"/api/admin/voice/segments/{key_of('hai')}/save", None),
             ("POST", "/api/admin/voice/preview", b"{}")]  # fmt: skip
    for method, url, data in calls:
        r = client.open(url, method=method, data=data, headers={**h, "Content-Type": "audio/wav"})
        assert r.status_code == 403, (method, url)
    assert state(onestop, voice) == before


def test_a_row_whose_file_is_gone_falls_back_to_the_engines(client, admin, onestop, voice):
    """A database restored without its recordings: no silent segment, the TTS plays it."""
    rec = record(client, admin, LEAD, tone_wav())
    (voice.recorded.dir / rec["recorded"]["file"]).unlink()
    voice.recorded = RecordedVoice(onestop.store, voice.recorded.dir)
    url = voice.call("A012", 2)["audio"][0]
    assert url.startswith("/voice/audio/")


def test_server_playback_plays_the_recording_in_its_place(tmp_path, clock):
    """The server's own speaker (server_playback) plays the same files as the lobby."""
    from tests.helpers import CounterDesk, Kiosk
    from tests.voice.test_support import voice_app

    log = tmp_path / "played.txt"
    player = tmp_path / "fake-aplay"
    player.write_text(f'#!/bin/sh\necho "$1" >> {log}\n')
    player.chmod(0o755)
    app = voice_app(tmp_path, clock, engines=["espeak"], server_playback=True, player=str(player))
    onestop = app.extensions["onestop"]
    voice = onestop.devices.voice
    voice.warm()
    onestop.users.add("a", "admin", "secret123")
    admin = {"Authorization": f"Bearer {onestop.users.new_token('a')}"}
    client = app.test_client()
    rec = record(client, admin, LEAD, tone_wav())
    desk = CounterDesk(client, admin)
    Kiosk(client).take_ticket("hotich")
    desk.next(1)
    onestop.queue.drain()
    for _ in range(200):
        if log.exists() and len(log.read_text().split()) >= 1 + len(voice.call("A001", 1)["audio"]):
            break
        time.sleep(0.05)
    voice.player.drain()
    played = [p.rsplit("/", 1)[1] for p in log.read_text().split()]
    assert played == ["chime.wav"] + [u.rsplit("/", 1)[1] for u in voice.call("A001", 1)["audio"]]
    assert played[1] == rec["recorded"]["file"]
    onestop.queue.drain()
    onestop.store.close()


def test_the_page_is_vietnamese_first_and_alone_may_use_the_microphone(app, auth):
    from tests.faults.test_access import login

    c = app.test_client()
    login(c, "admin1")
    r = c.get("/admin/voice")
    page = r.get_data(as_text=True)
    assert (
        r.status_code == 200
        and "Giọng đọc của đơn vị" in page
        and "own voice" in page.split("<h1>")[1]
    )
    assert "microphone=(self)" in r.headers["Permissions-Policy"]
    assert page.index("Ghi âm từng đoạn") < page.index("voice_admin.js")
    en = c.get("/admin/voice?lang=en").get_data(as_text=True).split("<main", 1)[1]
    assert "Record each segment" in en and "Ghi âm từng đoạn" not in en
    assert "microphone=()" in c.get("/").headers["Permissions-Policy"]  # every other page
