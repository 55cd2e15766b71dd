"""A staff recording made fit to join the call sentence: decoded, mono, trimmed, levelled.

sox decodes every upload (WAV of any PCM rate, width and channel count, MP3, Ogg, FLAC) to
16-bit mono at the cache's rate; the trimming and the gain are plain arithmetic here, so
the figures in docs/voice.md and the tests are exactly what the code does.
Loudness: the RMS of the voiced part (10 ms windows above the silence threshold) is set to
-18 dBFS, about what espeak-ng and gTTS give, so a recorded word beside a synthesised one
sounds as loud; the gain is capped so no peak goes above -1 dBFS (nothing clips).
"""

from __future__ import annotations

import array
import io
import math
import os
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass

RATE = 22050  # the cache's rate: espeak-ng's and the chime's
TARGET_RMS_DB = -18.0
PEAK_CEILING_DB = -1.0
WINDOW_S = 0.010
# A window is voice when louder than -50 dBFS and than 35 dB under the loudest window,
# so a hall's background hiss under a quiet recording is still cut.
SILENCE_FLOOR_DB = -50.0
SILENCE_BELOW_PEAK_DB = 35.0
PAD_S = 0.05  # kept on each side of the voice: consonants fade in and out
MIN_VOICE_S = 0.08  # less than this after trimming is a click, not a word
MAX_SECONDS = 10.0  # per segment, after trimming
MAX_INPUT_SECONDS = 30.0  # the file as sent; longer files are not decoded to the end
MAX_BYTES = 8 * 1024 * 1024
SOX_TIMEOUT_S = 20.0
FULL_SCALE = 32768.0


class BadRecording(ValueError):
    """An upload that cannot become a segment; `code` says why (the API's error code)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Processed:
    """The segment's WAV and what was done to it."""

    wav: bytes
    duration_ms: int
    peak_db: float
    rms_db: float
    gain_db: float
    input_ms: int
    kind: str


def sniff(data: bytes) -> str:
    """The container by its first bytes: wav, mp3, ogg or flac; BadRecording otherwise."""
    head = data[:12]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        raise BadRecording("unsupported_audio",
                           "WebM cannot be read here; send WAV or MP3 (the page sends WAV).")  # fmt: skip
    raise BadRecording("not_audio", "This is not a WAV, MP3, Ogg or FLAC file.")


def decode(data: bytes, kind: str) -> array.array:
    """16-bit mono samples at RATE, at most MAX_INPUT_SECONDS (and a little) of them."""
    fd, path = tempfile.mkstemp(suffix=f".{kind}", prefix="onestop-rec-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        cmd = ["sox", "-q", "-R", "-t", kind, path, "-t", "raw", "-e", "signed-integer", "-b", "16",
               "-c", "1", "-r", str(RATE), "-L", "-", "trim", "0", str(MAX_INPUT_SECONDS + 0.5)]  # fmt: skip
        try:
            out = subprocess.run(cmd, capture_output=True, timeout=SOX_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise BadRecording("not_audio", "The file could not be decoded in time.") from None
        except FileNotFoundError:
            raise BadRecording("no_decoder", "sox is not installed (apt install sox).") from None
    finally:
        os.unlink(path)
    if out.returncode != 0:
        err = out.stderr.decode("utf-8", "replace").replace(path, "the file").strip()
        why = err.splitlines()[-1:] or ["?"]
        raise BadRecording("not_audio", f"The file could not be decoded as {kind}: {why[0][:160]}")
    pcm = array.array("h")
    pcm.frombytes(out.stdout[: len(out.stdout) // 2 * 2])
    if sys.byteorder == "big":
        pcm.byteswap()
    return pcm


def db(value: float) -> float:
    """Amplitude (0..1 of full scale) in dBFS; -120 for silence."""
    return 20 * math.log10(value) if value > 1e-6 else -120.0


def window_levels(pcm: array.array, size: int) -> list[float]:
    """The RMS (0..1) of each window of `size` samples."""
    out = []
    for i in range(0, len(pcm), size):
        w = pcm[i : i + size]
        out.append(math.sqrt(sum(s * s for s in w) / len(w)) / FULL_SCALE)
    return out


def voiced(levels: list[float]) -> list[bool]:
    """Which windows are voice: above the floor and within reach of the loudest."""
    top = db(max(levels, default=0.0))
    threshold = max(SILENCE_FLOOR_DB, top - SILENCE_BELOW_PEAK_DB)
    return [db(v) > threshold for v in levels]


def wav_bytes(pcm: array.array, rate: int = RATE) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        data = pcm if sys.byteorder == "little" else _swapped(pcm)
        w.writeframes(data.tobytes())
    return buf.getvalue()


def _swapped(pcm: array.array) -> array.array:
    out = array.array("h", pcm)
    out.byteswap()
    return out


def level(pcm: array.array, rate: int = RATE) -> tuple[array.array, float, float]:
    """Trim the silent edges and set the voiced RMS; (samples, gain dB, voiced RMS dBFS)."""
    size = max(1, int(rate * WINDOW_S))
    levels = window_levels(pcm, size)
    marks = voiced(levels)
    if not any(marks):
        raise BadRecording(
            "empty_recording", "Nothing but silence: speak closer to the microphone."
        )
    first = marks.index(True)
    last = len(marks) - 1 - marks[::-1].index(True)
    voice_s = (last - first + 1) * size / rate
    if voice_s < MIN_VOICE_S:
        raise BadRecording("empty_recording", "Only a click was heard: record the word again.")
    pad = int(PAD_S * rate)
    start, end = max(0, first * size - pad), min(len(pcm), (last + 1) * size + pad)
    cut = pcm[start:end]
    if len(cut) / rate > MAX_SECONDS:
        raise BadRecording("too_long",
                           f"{len(cut) / rate:.1f} s after trimming; one segment is at most {MAX_SECONDS:.0f} s.")  # fmt: skip
    loud = [v for v, m in zip(levels, marks, strict=True) if m]
    rms = math.sqrt(sum(v * v for v in loud) / len(loud))
    peak = max(abs(s) for s in cut) / FULL_SCALE
    gain = min(TARGET_RMS_DB - db(rms), PEAK_CEILING_DB - db(peak))
    factor = 10 ** (gain / 20)
    out = array.array("h", (max(-32768, min(32767, round(s * factor))) for s in cut))
    return out, gain, db(rms) + gain


def process(data: bytes) -> Processed:
    """An upload as the segment's WAV; BadRecording (with its API code) when it cannot be."""
    if not data:
        raise BadRecording("empty_recording", "The upload is empty.")
    if len(data) > MAX_BYTES:
        raise BadRecording("too_large", f"At most {MAX_BYTES // (1024 * 1024)} MiB per file.")
    kind = sniff(data)
    pcm = decode(data, kind)
    if not pcm:
        raise BadRecording("empty_recording", "The file holds no sound.")
    if len(pcm) / RATE > MAX_INPUT_SECONDS:
        raise BadRecording("too_long",
                           f"The file is over {MAX_INPUT_SECONDS:.0f} s; one segment is a word or a phrase.")  # fmt: skip
    out, gain, rms_db = level(pcm)
    peak = max(abs(s) for s in out) / FULL_SCALE
    return Processed(wav=wav_bytes(out), duration_ms=round(len(out) * 1000 / RATE),
                     peak_db=round(db(peak), 2), rms_db=round(rms_db, 2), gain_db=round(gain, 2),
                     input_ms=round(len(pcm) * 1000 / RATE), kind=kind)  # fmt: skip
