"""Voice figures on a real server and real Chromium.

1. `flask voice warm` with espeak-ng on a fresh data dir (3 runs): time and cache size.
2. Time from `ticket_called` arriving in the browser to the first audio sample of the call
   (the chime) reaching the speaker, for cached calls, measured in the browser with Web
   Audio's output timestamps; also from the clerk's Next request to that sample.

    .venv/bin/python bench/voice_latency.py [--runs 3] [--calls 5]
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

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--autoplay-policy=no-user-gesture-required"]  # fmt: skip


def espeak_config(dir_: Path) -> Path:
    text = (ROOT / "config" / "site.toml").read_text(encoding="utf-8")
    path = dir_ / "site.toml"
    path.write_text(text.replace('engines = ["gtts", "espeak"]', 'engines = ["espeak"]'), "utf-8")
    return path


def warm_once(dir_: Path, config: Path) -> tuple[float, int, int, str]:
    env = {**os.environ, "ONESTOP_DATA": str(dir_), "ONESTOP_CONFIG": str(config),
           "ONESTOP_PRINTER_TYPE": "none"}  # fmt: skip
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "flask", "voice", "warm"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    seconds = time.perf_counter() - t0
    audio = dir_ / "voice" / "audio"
    files = list(audio.iterdir())
    size = sum(f.stat().st_size for f in files)
    du = subprocess.run(["du", "-sk", str(dir_ / "voice")], capture_output=True, text=True).stdout
    return seconds, len(files), size, out.stdout.strip() + f"\n(du -sk voice/: {du.split()[0]} KiB)"


def latency_run(tmp: Path, config: Path, calls: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    server = LiveServer(tmp / "live", config=config)
    server.data_dir.mkdir(parents=True)
    server.flask("voice", "warm")
    server.start()
    try:
        clerk = requests.Session()
        clerk.headers["Authorization"] = "Bearer " + server.token("bench", "clerk")
        assert clerk.post(f"{server.url}/api/counters/1/sign-in", timeout=5).ok
        event_to_sound, click_to_sound = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS,
                                        headless=True)  # fmt: skip
            page = browser.new_page()
            page.goto(server.url + "/voice/static/harness.html")
            page.wait_for_function("window.harnessConnected === true", timeout=15000)
            page.evaluate("OnestopAnnouncer.ready.then(() => true)")
            for i in range(calls):
                r = requests.post(
                    server.url + "/api/tickets", json={"service": "hotich"}, timeout=5
                )
                assert r.status_code == 201
                sent = time.time() * 1000
                r = clerk.post(f"{server.url}/api/counters/1/next", timeout=5)
                assert r.status_code == 200, r.text
                page.wait_for_function(
                    f"OnestopAnnouncer.log.filter(e => e.type === 'call_end').length === {i + 1}",
                    timeout=60000,
                )
                chime = page.evaluate(
                    "(() => { const c = OnestopAnnouncer.log.filter(e => e.type === 'chime').pop();"
                    " return {start: c.startPerf, received: c.receivedPerf,"
                    " origin: performance.timeOrigin}; })()"
                )
                event_to_sound.append(chime["start"] - chime["received"])
                click_to_sound.append(chime["origin"] + chime["start"] - sent)
            latency = page.evaluate("({base: new AudioContext().baseLatency})")
            browser.close()
        print(f"    event->first sample ms: {[round(x, 1) for x in event_to_sound]}"
              f" (AudioContext baseLatency {latency['base'] * 1000:.0f} ms)")  # fmt: skip
        return event_to_sound, click_to_sound
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--calls", type=int, default=5)
    args = ap.parse_args()
    print(f"voice_latency: os.cpu_count() = {os.cpu_count()}, runs = {args.runs}")

    with tempfile.TemporaryDirectory() as d:
        config = espeak_config(Path(d))
        warms = []
        for i in range(args.runs):
            seconds, files, size, output = warm_once(Path(d) / f"warm{i}", config)
            warms.append(seconds)
            if i == 0:
                print("  $ flask voice warm   (demo office, espeak-ng only, empty cache)")
                print("    " + output.replace("\n", "\n    "))
        print(
            f"  warm wall time incl. app start, median of {args.runs}: "
            f"{statistics.median(warms):.2f} s (runs: {', '.join(f'{w:.2f}' for w in warms)})"
        )
        print(f"  cache for the demo office: {files} files, {size / 1024:.1f} KiB of audio")

        run_medians, click_medians = [], []
        for i in range(args.runs):
            print(f"  latency run {i + 1}: {args.calls} cached calls")
            ev, click = latency_run(Path(d) / f"run{i}", config, args.calls)
            run_medians.append(statistics.median(ev))
            click_medians.append(statistics.median(click))
        print(f"  ticket_called -> first audio sample (browser-measured), median of run medians: "
              f"{statistics.median(run_medians):.1f} ms "
              f"(runs: {', '.join(f'{m:.1f}' for m in run_medians)}); target < 300 ms")  # fmt: skip
        print(f"  clerk Next request -> first audio sample, median of run medians: "
              f"{statistics.median(click_medians):.1f} ms "
              f"(runs: {', '.join(f'{m:.1f}' for m in click_medians)})")  # fmt: skip


if __name__ == "__main__":
    main()
