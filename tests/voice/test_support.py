"""Shared fakes for the voice tests: Google's TTS endpoint faked at the HTTP level."""

from __future__ import annotations

import base64
import errno
import json
import subprocess
import tempfile
import threading
import urllib.parse
from pathlib import Path

import pytest
import requests

from server.app import create_app
from tests.helpers import site_config


def speech_mp3(text: str, lang: str) -> bytes:
    """Real MP3 speech of `text` (espeak-ng, encoded by sox), as Google would answer."""
    with tempfile.TemporaryDirectory() as d:
        wav, mp3 = Path(d) / "s.wav", Path(d) / "s.mp3"
        subprocess.run(["espeak-ng", "-v", "vi" if lang == "vi" else "en", "-w", str(wav), text],
                       check=True, capture_output=True)  # fmt: skip
        subprocess.run(["sox", str(wav), "-r", "24000", str(mp3)], check=True, capture_output=True)
        return mp3.read_bytes()


class FakeGoogle:
    """Stands in for translate.google.com: answers, rate-limits, hangs or is unreachable."""

    def __init__(self):
        self.mode = "ok"  # ok | 429 | timeout | noroute | garbage
        self.requests: list[dict] = []
        self.gate: threading.Event | None = None  # when set up, requests wait for it
        self.entered = threading.Event()
        self._real_send = requests.Session.send

    def send(self, session, request, **kwargs):
        if "google" not in (request.url or ""):
            return self._real_send(session, request, **kwargs)
        body = urllib.parse.unquote(request.body.split("=", 1)[1].rstrip("&"))
        text, lang = json.loads(json.loads(body)[0][0][1])[:2]
        self.requests.append({"text": text, "lang": lang, "timeout": kwargs.get("timeout")})
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(10)
        if self.mode == "timeout":
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=3.0)")
        if self.mode == "noroute":
            raise requests.exceptions.ConnectionError(
                OSError(errno.ENETUNREACH, "Network is unreachable")
            )
        r = requests.Response()
        r.request, r.url = request, request.url
        if self.mode == "429":
            r.status_code, r.reason, r._content = 429, "Too Many Requests", b"slow down"
        else:
            audio = speech_mp3(text, lang) if self.mode == "ok" else b"<html>not audio</html>"
            b64 = base64.b64encode(audio).decode()
            line = json.dumps(
                [["wrb.fr", "jQ1olc", json.dumps([b64]), None, None, "generic"]],
                separators=(",", ":"),
            )
            r.status_code, r._content = 200, (")]}'\n\n" + line + "\n").encode()
        r._content_consumed = True
        return r


@pytest.fixture(name="google")
def google_fixture(monkeypatch):
    """Google's TTS endpoint, faked; other hosts (the live server) pass through."""
    fake = FakeGoogle()
    monkeypatch.setattr(
        requests.Session, "send", lambda s, request, **kw: fake.send(s, request, **kw)
    )
    return fake


def voice_app(tmp_path, clock, **voice):
    """An app of the demo office with [voice] overrides (fast gTTS spacing for tests)."""
    settings = {"engines": ["gtts", "espeak"], "gtts_interval_s": 0.0, "warm_on_start": False,
                **voice}  # fmt: skip
    config = site_config(voice=settings)
    return create_app({"DATA_DIR": tmp_path / "data", "CONFIG": config, "CLOCK": clock,
                       "TESTING": True})  # fmt: skip


def test_fake_google_answers_with_real_mp3(google):
    from gtts import gTTS

    from voice.audio_info import mp3_duration

    class Sink:
        data = b""

        def write(self, b):
            self.data += b

    sink = Sink()
    gTTS("một", lang="vi", lang_check=False).write_to_fp(sink)
    assert 0.1 < mp3_duration(sink.data) < 2
    assert google.requests == [{"text": "một", "lang": "vi", "timeout": None}]
