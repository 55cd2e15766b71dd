"""Check that bytes are real audio and measure their length (WAV and MP3, stdlib only)."""

from __future__ import annotations

import io
import wave

# MPEG audio layer III bitrates (kbit/s) and sample rates, indexed as in the frame header.
_BITRATES = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2 and 2.5
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


class NotAudio(ValueError):
    """The bytes are not a playable WAV or MP3."""


def wav_duration(data: bytes) -> float:
    try:
        with wave.open(io.BytesIO(data)) as w:
            frames, rate = w.getnframes(), w.getframerate()
    except (wave.Error, EOFError) as e:
        raise NotAudio(f"bad WAV: {e}") from None
    if rate <= 0 or frames <= 0:
        raise NotAudio("WAV without samples")
    return frames / rate


def _skip_id3(data: bytes) -> int:
    if data[:3] == b"ID3" and len(data) >= 10:
        size = 0
        for b in data[6:10]:
            size = (size << 7) | (b & 0x7F)
        return 10 + size
    return 0


def mp3_duration(data: bytes) -> float:
    """Walk the MPEG layer III frames and add up their length."""
    pos, seconds, frames = _skip_id3(data), 0.0, 0
    n = len(data)
    while pos + 4 <= n:
        h = int.from_bytes(data[pos : pos + 4], "big")
        if (h >> 21) & 0x7FF != 0x7FF:
            if frames:  # trailing junk (tags) after real frames
                break
            pos += 1
            continue
        version, layer = (h >> 19) & 3, (h >> 17) & 3
        br_i, sr_i, padding = (h >> 12) & 15, (h >> 10) & 3, (h >> 9) & 1
        if version == 1 or layer != 1 or br_i in (0, 15) or sr_i == 3:
            if frames:
                break
            pos += 1
            continue
        rate = _RATES[version][sr_i]
        bitrate = _BITRATES[1 if version == 3 else 2][br_i] * 1000
        samples = 1152 if version == 3 else 576
        length = samples // 8 * bitrate // rate + padding
        pos += length
        seconds += samples / rate
        frames += 1
    if frames < 2:
        raise NotAudio("no MP3 frames")
    return seconds


def duration(data: bytes, ext: str) -> float:
    """Seconds of audio in `data`; NotAudio when it is not playable audio."""
    if ext == "wav":
        return wav_duration(data)
    if ext == "mp3":
        return mp3_duration(data)
    raise NotAudio(f"unknown audio type {ext!r}")


def trim_wav(data: bytes, threshold: float = 0.02, pad_s: float = 0.03) -> bytes:
    """Cut leading and trailing near-silence from 16-bit mono WAV (segments then join tightly)."""
    import array

    with wave.open(io.BytesIO(data)) as w:
        params = w.getparams()
        frames = w.readframes(params.nframes)
    if params.sampwidth != 2 or params.nchannels != 1:
        return data
    pcm = array.array("h", frames)
    limit = int(threshold * 32767)
    loud = [i for i in range(0, len(pcm), 32) if abs(pcm[i]) > limit]
    if not loud:
        return data
    pad = int(pad_s * params.framerate)
    start, end = max(0, loud[0] - pad), min(len(pcm), loud[-1] + 32 + pad)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(params.framerate)
        w.writeframes(pcm[start:end].tobytes())
    return out.getvalue()
