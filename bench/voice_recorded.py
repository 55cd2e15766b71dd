"""Recorded-voice figures: processing time per upload and what a recording costs on disk.

1. `voice.levels.process` (sox decode + trim + level) on generated 3 s takes: 48 kHz stereo
   16-bit WAV (what a browser or a phone records), 44.1 kHz 24-bit WAV, 128 kbit/s MP3.
2. The same through a real server: PUT /api/admin/voice/segments/KEY (upload to pending)
   and POST .../save, over HTTP with an admin token.

    .venv/bin/python bench/voice_recorded.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import LiveServer  # noqa: E402
from tests.voice.test_recorded import LEAD, key_of, tone_wav  # noqa: E402
from voice import levels  # noqa: E402


def takes(tmp: Path) -> dict[str, bytes]:
    """3 s takes: 0.5 s quiet, 2 s tone, 0.5 s quiet, in the formats offices send."""
    wav48 = tone_wav(tone_s=2.0, before_s=0.5, after_s=0.5, rate=48000, channels=2)
    src = tmp / "src.wav"
    src.write_bytes(wav48)
    out = {"WAV 48 kHz stereo 16-bit": wav48}
    for name, args, ext in (("WAV 44.1 kHz stereo 24-bit", ["-b", "24", "-r", "44100"], "wav"),
                            ("MP3 128 kbit/s", ["-C", "128"], "mp3")):  # fmt: skip
        dst = tmp / f"take.{ext}"
        subprocess.run(["sox", str(src), *args, str(dst)], check=True, capture_output=True)
        out[name] = dst.read_bytes()
    return out


def median_ms(fn, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    print(f"voice_recorded: os.cpu_count() = {os.cpu_count()}, runs = {args.runs}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        files = takes(tmp)
        for name, data in files.items():
            med, runs = median_ms(lambda data=data: levels.process(data), args.runs)
            done = levels.process(data)
            print(f"  process {name} ({len(data) / 1024:.0f} KiB in): median {med:.0f} ms "
                  f"(runs: {', '.join(f'{t:.0f}' for t in runs)}); out {len(done.wav) / 1024:.0f} KiB, "
                  f"{done.duration_ms} ms, peak {done.peak_db} dBFS, gain {done.gain_db} dB")  # fmt: skip
        server = LiveServer(tmp / "live").start()
        try:
            h = {"Authorization": f"Bearer {server.token('bench-admin', 'admin')}"}
            url = f"{server.url}/api/admin/voice/segments/{key_of(LEAD)}"
            data = files["WAV 48 kHz stereo 16-bit"]

            def upload_and_save():
                r = requests.put(url, data=data, headers={**h, "Content-Type": "audio/wav"})
                assert r.status_code == 200, r.text
                r = requests.post(url + "/save", headers=h)
                assert r.status_code == 200, r.text

            med, runs = median_ms(upload_and_save, args.runs)
            print(f"  PUT + save over HTTP (48 kHz stereo WAV, {len(data) / 1024:.0f} KiB): "
                  f"median {med:.0f} ms (runs: {', '.join(f'{t:.0f}' for t in runs)})")  # fmt: skip
            rec = server.data_dir / "voice" / "recorded"
            files_left = sorted(p.name for p in rec.iterdir())
            print(f"  after {args.runs} takes of one segment: {len(files_left)} file(s) in "
                  f"voice/recorded ({sum(p.stat().st_size for p in rec.iterdir()) / 1024:.0f} KiB)")  # fmt: skip
        finally:
            server.stop()


if __name__ == "__main__":
    main()
