"""Make the call chime (voice/static/chime.wav): a soft two-note bell, our own work.

Run `python -m voice.chime` to write it again; the output is byte-for-byte stable.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050
OUT = Path(__file__).with_name("static") / "chime.wav"
# (start s, frequency Hz, length s): a falling major third, G5 then E5, like a hall bell.
NOTES = ((0.0, 783.99, 1.1), (0.42, 659.25, 1.3))
PARTIALS = ((1.0, 1.0), (2.0, 0.35), (3.0, 0.12), (4.2, 0.05))  # bell-like overtones


def samples() -> list[float]:
    total = max(start + length for start, _f, length in NOTES)
    out = [0.0] * int(total * RATE)
    for start, freq, length in NOTES:
        first = int(start * RATE)
        for i in range(int(length * RATE)):
            t = i / RATE
            attack = min(1.0, t / 0.006)  # 6 ms attack: no click
            decay = math.exp(-t * 3.2)
            v = sum(a * math.sin(2 * math.pi * freq * k * t) * math.exp(-t * k * 0.8)
                    for k, a in PARTIALS)  # fmt: skip
            out[first + i] += 0.32 * attack * decay * v
    fade = int(0.05 * RATE)  # fade the tail to silence
    for i in range(fade):
        out[-1 - i] *= i / fade
    return out


def write(path: Path = OUT) -> Path:
    data = b"".join(struct.pack("<h", max(-32767, min(32767, int(s * 32767)))) for s in samples())
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data)
    return path


if __name__ == "__main__":
    print(write())
