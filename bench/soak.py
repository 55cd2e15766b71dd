"""Soak: a compressed busy day against a real server; memory, threads and descriptors over time.

    .venv/bin/python bench/soak.py --minutes 120     # the long run
    .venv/bin/python bench/soak.py --minutes 1 --rss-runs 3

Kiosks issue tickets, four counters call / start / finish with some no-shows, transfers,
recalls, pauses and ratings, and a lobby display follows on Socket.IO. Every answer must be
the expected one. It prints the worker's RSS, threads and file descriptors at start and end,
and the RSS after 5,000 tickets (median of --rss-runs fresh servers).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults.tools import (  # noqa: E402
    DisplayModel,
    display_client,
    proc_figures,
    wait_for,
    worker_pid,
)
from tests.helpers import LiveServer  # noqa: E402

SERVICES = ("hotich", "chungthuc", "datdai", "ldtbxh", "vhxh", "khac")
COUNTERS = (1, 2, 3, 4)


class BusyDay:
    """Kiosk and counter threads driving the server until stop(); records every unexpected answer."""

    def __init__(
        self, url: str, tokens: dict[int, str], kiosks: int = 3, seed: int = 1, pace: float = 1.0
    ):
        self.url = url
        self.tokens = tokens  # one clerk per counter: a clerk acts only where signed in
        self.pace = pace  # 1.0: about 30 tickets/s in all; smaller is faster
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.errors: list[str] = []
        self.rated: set[str] = set()
        rng = random.Random(seed)
        self.threads = [
            threading.Thread(target=self._kiosk, args=(random.Random(rng.random()), i), daemon=True)
            for i in range(kiosks)
        ] + [
            threading.Thread(target=self._counter, args=(random.Random(rng.random()), n), daemon=True)
            for n in COUNTERS
        ]  # fmt: skip

    def _note(self, what: str, r: requests.Response, ok: tuple[int, ...]) -> bool:
        with self.lock:
            self.counts[what] += 1
            if r.status_code not in ok:
                self.errors.append(f"{what}: {r.status_code} {r.text[:200]}")
                return False
        return True

    def _kiosk(self, rng: random.Random, i: int) -> None:
        with requests.Session() as s:
            while not self.stop_event.is_set():
                body = {"service": rng.choice(SERVICES), "kiosk": f"kiosk-{i}"}
                if rng.random() < 0.05:
                    body["priority"] = True
                r = s.post(self.url + "/api/tickets", json=body, timeout=10)
                self._note("issue", r, (201,))
                time.sleep(rng.uniform(0.05, 0.15) * self.pace)

    def _counter(self, rng: random.Random, n: int) -> None:
        base = f"{self.url}/api/counters/{n}"
        with requests.Session() as s:
            s.headers["Authorization"] = f"Bearer {self.tokens[n]}"
            self._note("sign_in", s.post(base + "/sign-in", timeout=10), (200,))
            while not self.stop_event.is_set():
                r = s.post(base + "/next", json={"current": None}, timeout=10)
                if not self._note("next", r, (200, 204)) or r.status_code == 204:
                    time.sleep(0.05 * self.pace)
                    continue
                ticket = r.json()["ticket"]
                if rng.random() < 0.1:
                    self._note("recall", s.post(base + "/recall", timeout=10), (200,))
                roll = rng.random()
                if roll < 0.08:
                    self._note("no_show", s.post(base + "/no-show", timeout=10), (200,))
                elif roll < 0.15:
                    to = rng.choice([c for c in SERVICES if c != ticket["service"]])
                    r = s.post(base + "/transfer", json={"service": to}, timeout=10)
                    self._note("transfer", r, (200,))
                else:
                    self._note("start", s.post(base + "/start", timeout=10), (200,))
                    time.sleep(rng.uniform(0.0, 0.03) * self.pace)
                    r = s.post(base + "/finish", timeout=10)
                    if self._note("finish", r, (200,)) and rng.random() < 0.3:
                        r = requests.post(
                            f"{self.url}/api/tickets/{ticket['id']}/feedback",
                            json={"rating": rng.randint(1, 4)},
                            timeout=10,
                        )
                        self._note("feedback", r, (201,))
                if rng.random() < 0.02:
                    self._note("pause", s.post(base + "/pause", timeout=10), (200,))
                    time.sleep(0.05 * self.pace)
                    self._note("resume", s.post(base + "/resume", timeout=10), (200,))

    def start(self) -> BusyDay:
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        for t in self.threads:
            t.join(15)


NUMBERS_PER_DAY = 6 * 9999  # bench_config: six procedures, numbers 1..9999 each


def bench_config(directory: Path) -> Path:
    """The demo office with 9,999 numbers per procedure, so a long run stays in one day."""
    text = (ROOT / "config" / "site.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^(prefix = "[A-Z]+")$', r"\1\nrange_end = 9999", text)
    path = directory / "soak.toml"
    path.write_text(text, encoding="utf-8")
    return path


def auto_pace(seconds: float) -> float:
    """Slow the kiosks on long runs so the day's numbers last (about 30 tickets/s at pace 1)."""
    return max(1.0, 30 * seconds / (0.8 * NUMBERS_PER_DAY))


def run_soak(
    server: LiveServer, seconds: float, sample_every: float = 1.0, log=print, pace: float = 1.0
) -> dict:
    """Drive a busy day for `seconds`; return samples, counts, errors and the display check."""
    tokens = {n: server.token(f"soak-clerk-{n}", "clerk") for n in COUNTERS}
    pid = worker_pid(server.proc.pid)
    idle = proc_figures(pid)
    model = DisplayModel()
    screen = display_client(server.url, model)
    day = BusyDay(server.url, tokens, pace=pace).start()
    samples = []
    t0 = time.monotonic()
    try:
        while (elapsed := time.monotonic() - t0) < seconds:
            time.sleep(min(sample_every, max(0.0, seconds - elapsed)))
            fig = proc_figures(pid)
            samples.append({"t": round(time.monotonic() - t0, 1), **fig})
            if len(samples) % max(1, int(60 / sample_every)) == 0:
                log(f"  {samples[-1]}  requests={sum(day.counts.values())}")
    finally:
        day.stop()
    state = requests.get(server.url + "/api/queue", timeout=5).json()
    want = {"seq": state["seq"], "counters": state["counters"], "waiting": state["waiting"]}
    display_ok = wait_for(lambda: model.state() == want, timeout=10)
    screen.disconnect()
    time.sleep(3)  # gunicorn closes idle keep-alive connections after 2 s
    return {
        "pid": pid,
        "idle_start": idle,
        "idle_end": proc_figures(pid),
        "samples": samples,
        "counts": dict(day.counts),
        "errors": day.errors,
        "display_ok": display_ok,
        "display_calls": len(model.announced),
    }


def rss_after_tickets(tickets: int = 5000, clients: int = 8) -> int:
    """RSS (KiB) of a fresh server's worker after `tickets` tickets from `clients` threads."""
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp)).start()
        try:
            left = iter(range(tickets))
            lock = threading.Lock()

            def take() -> None:
                with requests.Session() as s:
                    while True:
                        with lock:
                            i = next(left, None)
                        if i is None:
                            return
                        r = s.post(
                            server.url + "/api/tickets",
                            json={"service": SERVICES[i % len(SERVICES)]},
                            timeout=10,
                        )
                        assert r.status_code == 201, r.text

            threads = [threading.Thread(target=take) for _ in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return proc_figures(worker_pid(server.proc.pid))["rss_kb"]
        finally:
            server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=120)
    ap.add_argument(
        "--rss-runs", type=int, default=3, help="fresh servers for the 5,000-ticket RSS"
    )
    ap.add_argument(
        "--pace", type=float, help="think-time factor; 1: ~30 tickets/s (default: auto)"
    )
    args = ap.parse_args()
    pace = args.pace or auto_pace(args.minutes * 60)
    print(f"cpus={os.cpu_count()} minutes={args.minutes} pace={pace:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp) / "data", config=bench_config(Path(tmp))).start()
        try:
            res = run_soak(server, args.minutes * 60, sample_every=5.0, pace=pace)
        finally:
            server.stop()
    first, last = res["samples"][0], res["samples"][-1]
    print(f"requests: {sum(res['counts'].values())} {res['counts']}")
    print(f"errors: {len(res['errors'])} {res['errors'][:5]}")
    print(f"display matches /api/queue: {res['display_ok']} ({res['display_calls']} calls)")
    print(f"memory at start: RSS {first['rss_kb'] / 1024:.1f} MiB (idle before load "
          f"{res['idle_start']['rss_kb'] / 1024:.1f} MiB)")  # fmt: skip
    print(f"memory at end:   RSS {last['rss_kb'] / 1024:.1f} MiB, "
          f"peak {max(s['rss_kb'] for s in res['samples']) / 1024:.1f} MiB")  # fmt: skip
    print(f"threads start/end: {first['threads']}/{last['threads']}; "
          f"fds start/end: {first['fds']}/{last['fds']}; idle fds before/after: "
          f"{res['idle_start']['fds']}/{res['idle_end']['fds']}")  # fmt: skip
    rss = [rss_after_tickets() / 1024 for _ in range(args.rss_runs)]
    print(f"RSS after 5,000 tickets: median {statistics.median(rss):.1f} MiB "
          f"(runs: {', '.join(f'{r:.1f}' for r in rss)})")  # fmt: skip
    return 1 if res["errors"] or not res["display_ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
