"""What the step-proof clock costs: one reading, and one ticket issued in process.

A reading compares the wall clock with the steady one (core/clock.py); the steady clock is
boot time from /proc/uptime (a file read) or time.monotonic(). A transition reads it a few
times. Prints medians over --runs runs of --n readings / tickets; asserts nothing.

    .venv/bin/python bench/clock_cost.py [--runs 5] [--n 20000] [--tickets 500]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core.clock import OfficeClock, _uptime  # noqa: E402
from core.service import QueueService  # noqa: E402
from server.app import create_app  # noqa: E402
from tests.helpers import site_config  # noqa: E402


def per_read_us(mono, n: int) -> float:
    clock = OfficeClock(time.time, mono)
    clock.start(None, None)
    t0 = time.perf_counter()
    for _ in range(n):
        clock.read()
    return (time.perf_counter() - t0) / n * 1e6


def per_issue_ms(mono, tickets: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        app = create_app({"DATA_DIR": d, "CONFIG": site_config(), "TESTING": True})
        e = app.extensions["onestop"]
        q = QueueService(e.store, e.queue.office, clock=time.time, mono=mono)
        times = []
        for _ in range(tickets):
            t0 = time.perf_counter()
            q.issue("khac")
            times.append(time.perf_counter() - t0)
        e.store.close()
        return statistics.median(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--tickets", type=int, default=500)
    args = ap.parse_args()
    for name, mono in (("/proc/uptime", _uptime), ("time.monotonic", time.monotonic)):
        reads = [per_read_us(mono, args.n) for _ in range(args.runs)]
        issues = [per_issue_ms(mono, args.tickets) for _ in range(args.runs)]
        print(f"{name:15s} reading: median {statistics.median(reads):.2f} us;"
              f" issue (in process, SQLite in /tmp): median {statistics.median(issues):.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
