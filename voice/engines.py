"""Text-to-speech engines: gTTS (online, better voice) and espeak-ng (offline, always there)."""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time

from .audio_info import NotAudio, duration, trim_wav

log = logging.getLogger("onestop.voice")


class EngineError(Exception):
    """One render failed. `kind` says why: rate_limited, timeout, offline, http, bad_audio, ..."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind, self.message = kind, message


class Engine:
    name = "?"
    ext = "wav"
    offline = True  # needs no network: safe to use at call time

    def render(self, text: str, lang: str) -> bytes:
        raise NotImplementedError

    def available(self) -> bool:
        return True

    def state(self) -> dict:
        return {"available": self.available()}


class EspeakEngine(Engine):
    """espeak-ng (Debian package espeak-ng) writing 16-bit mono WAV."""

    name = "espeak"
    ext = "wav"
    offline = True
    VOICES = {"vi": "vi", "en": "en-us"}

    def __init__(self, binary: str = "espeak-ng", speed: int = 140, timeout_s: float = 10.0):
        self.binary, self.speed, self.timeout_s = binary, speed, timeout_s

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def render(self, text: str, lang: str) -> bytes:
        if not self.available():
            raise EngineError("missing", f"{self.binary} is not installed (apt install espeak-ng)")
        fd, path = tempfile.mkstemp(suffix=".wav", prefix="onestop-espeak-")
        os.close(fd)
        try:
            # Text goes through stdin so no argument is ever read as an option.
            out = subprocess.run(
                [self.binary, "-v", self.VOICES.get(lang, lang), "-s", str(self.speed),
                 "-w", path, "--stdin"],
                input=text.encode("utf-8"), capture_output=True, timeout=self.timeout_s,
            )  # fmt: skip
            if out.returncode != 0:
                raise EngineError("failed", out.stderr.decode("utf-8", "replace").strip()[:200])
            with open(path, "rb") as f:
                data = f.read()
            try:
                return trim_wav(data)
            except Exception:  # noqa: BLE001 - untrimmed audio is still good audio
                return data
        except subprocess.TimeoutExpired:
            raise EngineError("timeout", f"{self.binary} took over {self.timeout_s} s") from None
        finally:
            os.unlink(path)


class GttsEngine(Engine):
    """Google Translate's speech through gTTS: MP3, needs the internet, may answer 429.

    Requests are spaced by `min_interval_s`; after a failure the engine rests (back-off)
    so a dead line or a rate limit costs one short timeout, not one per segment.
    """

    name = "gtts"
    ext = "mp3"
    offline = False
    BACKOFF_S = {"rate_limited": 600.0, "timeout": 120.0, "offline": 120.0, "http": 300.0}
    MAX_BACKOFF_S = 6 * 3600.0

    def __init__(self, timeout_s: float = 3.0, min_interval_s: float = 1.0, clock=time.monotonic):
        self.timeout_s, self.min_interval_s, self.clock = timeout_s, min_interval_s, clock
        self._lock = threading.Lock()
        self._last_request = -1e9
        self.resting_until = 0.0
        self.failures = 0
        self.reachable: bool | None = None  # None: not tried since start
        self.last_error: str | None = None
        self.last_ok_at: float | None = None

    def resting(self) -> bool:
        return self.clock() < self.resting_until

    def state(self) -> dict:
        rest = max(0.0, self.resting_until - self.clock())
        return {"available": True, "reachable": self.reachable, "last_error": self.last_error,
                "resting_s": round(rest, 1)}  # fmt: skip

    def _fail(self, kind: str, message: str) -> EngineError:
        self.failures += 1
        base = self.BACKOFF_S.get(kind, 300.0)
        self.resting_until = self.clock() + min(base * 2 ** (self.failures - 1), self.MAX_BACKOFF_S)
        self.reachable = kind in ("rate_limited", "http", "bad_audio")
        self.last_error = f"{kind}: {message}"[:300]
        log.warning(
            "gTTS %s (%s); resting %.0f s", kind, message[:120], self.resting_until - self.clock()
        )
        return EngineError(kind, message)

    def render(self, text: str, lang: str) -> bytes:
        import requests
        from gtts import gTTS, gTTSError

        with self._lock:  # one request at a time, spaced out
            if self.resting():
                raise EngineError("resting", self.last_error or "backing off")
            wait = self._last_request + self.min_interval_s - self.clock()
            if wait > 0:
                time.sleep(wait)
            self._last_request = self.clock()
            buf = io.BytesIO()
            try:
                gTTS(text, lang=lang, lang_check=False, timeout=self.timeout_s).write_to_fp(buf)
            except gTTSError as e:
                status = getattr(getattr(e, "rsp", None), "status_code", None)
                cause = e.__context__
                if status == 429:
                    raise self._fail("rate_limited", str(e)) from None
                if isinstance(cause, requests.Timeout):
                    raise self._fail("timeout", str(cause)) from None
                if isinstance(cause, requests.ConnectionError):
                    raise self._fail("offline", str(cause)) from None
                raise self._fail("http" if status else "failed", str(e)) from None
            except requests.RequestException as e:  # raised outside gTTS's own wrapping
                kind = "timeout" if isinstance(e, requests.Timeout) else "offline"
                raise self._fail(kind, str(e)) from None
            data = buf.getvalue()
            try:
                duration(data, "mp3")
            except NotAudio as e:
                raise self._fail("bad_audio", str(e)) from None
            self.failures = 0
            self.reachable = True
            self.last_error = None
            self.last_ok_at = time.time()
            return data


def make_engines(names: list[str], voice: dict) -> list[Engine]:
    """Engines in the configured order; unknown names are skipped (settings check them)."""
    out: list[Engine] = []
    for name in names:
        if name == "gtts":
            out.append(GttsEngine(timeout_s=voice["gtts_timeout_s"],
                                  min_interval_s=voice.get("gtts_interval_s", 1.0)))  # fmt: skip
        elif name in ("espeak", "espeak-ng"):
            out.append(EspeakEngine(speed=voice.get("espeak_speed", 140)))
    return out
