"""What the step-proof clock costs: one reading, and one ticket issued in process.

A reading compares the wall clock with the steady one (core/clock.py); the steady clock is
boot time from /proc/uptime (a file read) or time.monotonic(). A transition reads it a few
times. Then loading one busy simulated day's events for the report: the query before
(events of the day) and after (a re-dated ticket's events count on its day). Prints medians
over --runs runs of --n readings / tickets; asserts nothing.

    .venv/bin/python bench/clock_cost.py [--runs 5] [--n 20000] [--tickets 500]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.summary_speed import BUSY_DAY, config_with_counters, simulate_day  # noqa: E402
from core.clock import OfficeClock, _uptime  # noqa: E402
from core.service import QueueService  # noqa: E402
from reports.summary import EVENT_COLUMNS, load_events  # noqa: E402
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


def load_ms(runs: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        simulate_day(work / "busy", config_with_counters(work / "site.toml", 16), BUSY_DAY, 16.7)
        conn = sqlite3.connect(work / "busy" / "onestop.db")
        before = f"SELECT {EVENT_COLUMNS} FROM events WHERE day = ? ORDER BY id"
        for name, load in (
            ("events of the day (before)", lambda: conn.execute(before, (BUSY_DAY,)).fetchall()),
            ("by the ticket's day (after)", lambda: load_events(conn, BUSY_DAY)),
        ):
            times = []
            for _ in range(runs * 3):
                t0 = time.perf_counter()
                n = len(load())
                times.append(time.perf_counter() - t0)
            print(f"  load {name}: {n} events, median {statistics.median(times) * 1e3:.1f} ms")
        conn.close()


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
    print("One busy day's report load:")
    load_ms(args.runs)


if __name__ == "__main__":
    main()
