"""Daily summary speed: one busy day (2,000 tickets) and a year's backfill (365 x 1,000).

1. Simulates one busy Tuesday (about 2,000 tickets, 20 counters) through QueueService with
   `flask demo simulate --scale`, so the log is real. Times summarising it in-process
   (load + compute) and over HTTP from a real gunicorn server (GET /api/reports/daily for
   that day with no stored summary, so it is computed on each request).
2. Simulates one day of about 1,000 tickets the same way, then copies its events to 365
   consecutive days with times shifted by whole days (SQL, in this bench only: generating a
   year through QueueService would take far longer than the summary it measures). Times
   `flask summarize --from D --to D` over the whole year (a real process, idempotent reruns).

Prints medians of --runs runs (default 3) and the machine's core count.

    .venv/bin/python bench/summary_speed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sqlite3
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

BUSY_DAY = "2026-11-24"  # a Tuesday
YEAR_FIRST = dt.date(2025, 1, 1)


def config_with_counters(path: Path, extra: int) -> Path:
    """The demo office plus `extra` counters serving every procedure (a big town hall)."""
    text = (ROOT / "config" / "site.toml").read_text(encoding="utf-8")
    codes = re.findall(r'^code = "(\w+)"', text, flags=re.M)
    for n in range(5, 5 + extra):
        text += f'\n[[counters]]\nnumber = {n}\nname = "Quầy {n}"\nservices = {codes!r}\n'.replace("'", '"')  # fmt: skip
    path.write_text(text, encoding="utf-8")
    return path


def flask(env: dict, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)  # fmt: skip
    if out.returncode:
        raise RuntimeError(out.stderr)
    return out.stdout


def simulate_day(data: Path, config: Path, day: str, scale: float) -> tuple[dict, int]:
    env = {**os.environ, "ONESTOP_DATA": str(data), "ONESTOP_CONFIG": str(config),
           "ONESTOP_PRINTER_TYPE": "none", "ONESTOP_VOICE_WARM_ON_START": "false"}  # fmt: skip
    nxt = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    t0 = time.perf_counter()
    flask(env, "demo", "simulate", "--days", "1", "--seed", "42", "--scale", str(scale),
          "--until", f"{nxt} 00:00")  # fmt: skip
    took = time.perf_counter() - t0
    with sqlite3.connect(data / "onestop.db") as db:
        n = db.execute("SELECT COUNT(*) FROM tickets WHERE day = ?", (day,)).fetchone()[0]
        db.execute("DELETE FROM summaries")  # measure computing, not reading a stored row
    print(f"  simulated {day}: {n} tickets through QueueService in {took:.1f} s")
    return env, n


def busy_day(work: Path, runs: int) -> None:
    print("One busy day:")
    config = config_with_counters(work / "busy.toml", 16)
    env, n = simulate_day(work / "busy", config, BUSY_DAY, scale=16.7)
    os.environ.update(env)
    from server.app import create_app

    app = create_app()
    e = app.extensions["onestop"]
    from reports import summary

    events = e.store.reader().execute("SELECT COUNT(*) FROM events WHERE day = ?", (BUSY_DAY,)).fetchone()[0]  # fmt: skip
    times, cpu = [], []
    for _ in range(max(runs, 7)):
        t0, c0 = time.perf_counter(), time.process_time()
        summary.compute(e.store.reader(), e.settings.office, BUSY_DAY)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(f"  in-process load + compute ({n} tickets, {events} events): median {statistics.median(times) * 1000:.1f} ms wall, {statistics.median(cpu) * 1000:.1f} ms CPU over {len(times)} runs")  # fmt: skip
    e.store.close()

    live = LiveServer(work / "busy", config=config).start()
    try:
        token = live.token("bench", "supervisor")
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token}"
        url = f"{live.url}/api/reports/daily?date={BUSY_DAY}"
        assert s.get(url, timeout=30).json()["office"]["issued"] == n
        http = []
        for _ in range(max(runs, 7)):
            t0 = time.perf_counter()
            r = s.get(url, timeout=30)
            http.append(time.perf_counter() - t0)
            assert r.status_code == 200 and r.json()["live"] is True
        print(f"  GET /api/reports/daily over HTTP (gunicorn): median {statistics.median(http) * 1000:.1f} ms over {len(http)} runs (target < 200 ms)")  # fmt: skip
    finally:
        live.stop()


def year(work: Path, runs: int) -> None:
    print("A year's backfill:")
    config = config_with_counters(work / "year.toml", 8)
    seed_day = YEAR_FIRST.isoformat()
    env, n = simulate_day(work / "year", config, seed_day, scale=8.4)
    t0 = time.perf_counter()
    with sqlite3.connect(work / "year" / "onestop.db") as db:
        for k in range(1, 365):
            day = (YEAR_FIRST + dt.timedelta(days=k)).isoformat()
            db.execute(
                "INSERT INTO events (at, day, type, ticket_id, service, counter, clerk, data)"
                " SELECT at + ? * 86400, ?, type, ticket_id || '-' || ?, service, counter, clerk,"
                " data FROM events WHERE day = ? ORDER BY id",
                (k, day, k, seed_day),
            )
        total = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    print(f"  copied to 365 days by SQL: {total} events in {time.perf_counter() - t0:.1f} s")
    last = (YEAR_FIRST + dt.timedelta(days=364)).isoformat()
    walls, own = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = flask(env, "summarize", "--from", seed_day, "--to", last)
        walls.append(time.perf_counter() - t0)
        own.append(float(re.search(r"in ([\d.]+) s", out).group(1)))
    with sqlite3.connect(work / "year" / "onestop.db") as db:
        days = db.execute("SELECT COUNT(DISTINCT day) FROM summaries").fetchone()[0]
    print(f"  flask summarize --from {seed_day} --to {last}: {days} days stored;"
          f" median {statistics.median(walls):.1f} s wall (process start included),"
          f" {statistics.median(own):.1f} s summarising, over {runs} runs (target < 60 s)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    # The machine is shared: the load average says how much others were running meanwhile.
    print(f"cpu count: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="onestop-bench-") as tmp:
        work = Path(tmp)
        busy_day(work, args.runs)
        year(work, args.runs)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
