"""Province hub at scale: ingest over HTTP, league table, one office's day, a week's catch-up.

A throw-away PostgreSQL 15 cluster (hub/localpg.py) and the hub under gunicorn (one worker,
8 threads), both on this machine.

1. Ingest: synthetic offices' days (issued, called, started, finished, rated, as the office
   logs them; ticket keys already hashed) POSTed gzip-compressed in batches of --batch events
   by --clients threads to /api/sync; events/s over the whole run. Each batch is stored with
   COPY + INSERT ... ON CONFLICT DO NOTHING and refreshes its days' roll-ups.
2. League table: GET /api/offices over a year, against a roll-up table of offices x 365 days
   (filled by SQL with generate_series in this bench only: ingesting 100 offices' years over
   HTTP would take hours); p50/p95 of --queries requests.
3. One office's day: GET /api/offices/CODE/daily of a day ingested in 1 (computed from the
   raw events by core.stats on each request); p50/p95.
4. Catch-up: a real office data dir with `flask demo simulate --days 7 --scale 1.5` (about
   5,000 events) syncs everything with the office's own agent (server/hubsync.py, in-process,
   batches of 1,000); seconds until acknowledged, and the hub's event count checked equal.
5. Growth: 1 to 3 for 10, 100 and 1,000 offices (ingest: --days-per-office days each, fewer
   for 1,000 so the run stays within a few minutes).

    .venv/bin/python bench/hub_scale.py [--runs 3] [--offices 10,100,1000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from hub.localpg import LocalPostgres  # noqa: E402
from hub.rollup import refresh_months  # noqa: E402
from tests.helpers import free_port  # noqa: E402

FIRST_DAY = "2026-01-05"
DAY0 = 1767578400.0  # 2026-01-05 09:00 +07:00


def office_day_events(day_index: int, tickets: int, rng: random.Random) -> list[list]:
    """One office day of a realistic shape, ids rising from day_index * 10,000."""
    import datetime as dt

    day = (dt.date.fromisoformat(FIRST_DAY) + dt.timedelta(days=day_index)).isoformat()
    t0, eid, out = DAY0 + day_index * 86400, day_index * 10_000 + 1, []
    for n in range(tickets):
        tid, at = f"{rng.getrandbits(64):016x}", t0 + n * 90
        wait, serve, counter = rng.expovariate(1 / 700), rng.uniform(120, 900), rng.randint(1, 4)
        rows = [("issued", at, None, json.dumps({"priority": False, "estimated_wait_s": 600})),
                ("called", at + wait, f"can_bo_{counter}", None),
                ("started", at + wait + 20, f"can_bo_{counter}", None),
                ("finished", at + wait + 20 + serve, f"can_bo_{counter}", None)]  # fmt: skip
        if rng.random() < 0.4:
            rows.append(("rated", at + wait + serve + 60, None, json.dumps({"rating": rng.choice((2, 3, 4, 4))})))  # fmt: skip
        for kind, when, clerk, data in rows:
            out.append([eid, when, day, kind, tid, "hotich", None if kind in ("issued", "rated") else counter, clerk, data])  # fmt: skip
            eid += 1
    out.sort(key=lambda e: e[1])
    for i, e in enumerate(out):  # ids in log order, as the office's AUTOINCREMENT gives them
        e[0] = day_index * 10_000 + 1 + i
    return out


class Hub:
    def __init__(self, url: str, root: Path):
        self.db_url, self.port = url, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "ONESTOP_HUB_DATABASE_URL": url}
        self.env = env
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "8", "-b",
             f"127.0.0.1:{self.port}", "--no-control-socket", "hub.wsgi:app"],
            cwd=ROOT, env=env, stdout=open(root / "hub.log", "ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        for _ in range(300):
            try:
                if requests.get(self.url + "/api/health", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("hub did not start")

    def cli(self, *args) -> str:
        out = subprocess.run([sys.executable, "-m", "flask", "--app", "hub.wsgi", *args], cwd=ROOT,
                             env=self.env, capture_output=True, text=True, check=True)  # fmt: skip
        return out.stdout.strip().splitlines()[-1]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)


def fresh(pg: LocalPostgres, name: str, root: Path) -> Hub:
    url = pg.createdb(name)
    subprocess.run([sys.executable, "-m", "flask", "--app", "hub.wsgi", "init"], cwd=ROOT, check=True,
                   env={**os.environ, "ONESTOP_HUB_DATABASE_URL": url}, capture_output=True)  # fmt: skip
    return Hub(url, root)


def enrol(hub: Hub, n: int) -> dict[str, str]:
    """n offices, enrolled by SQL with known tokens (n `office add` processes would dominate)."""
    from core.users import token_hash

    tokens = {f"X{i:04d}": f"bench-token-{i}" for i in range(n)}
    with psycopg.connect(hub.db_url) as conn:
        with conn.cursor().copy("COPY offices (code, name, token_hash) FROM STDIN") as cp:
            for code, tok in tokens.items():
                cp.write_row((code, f"Xã {code}", token_hash(tok)))
    return tokens


def ingest(
    hub: Hub, tokens: dict, days: int, tickets: int, batch: int, clients: int
) -> tuple[float, int]:
    """Every office's `days` days sent in batches by `clients` threads; (events/s, events)."""
    rng = random.Random(7)
    jobs = []
    for tok in tokens.values():
        for d in range(days):
            evs = office_day_events(d, tickets, rng)
            for i in range(0, len(evs), batch):
                body = gzip.compress(json.dumps({"events": evs[i : i + batch]}).encode(), 5)
                jobs.append((tok, body, len(evs[i : i + batch])))
    total = sum(j[2] for j in jobs)
    # An office sends its batches in order, one at a time: one thread per office's queue.
    per_office: dict[str, list] = {}
    for j in jobs:
        per_office.setdefault(j[0], []).append(j)
    queues = list(per_office.values())
    lock = threading.Lock()

    def worker():
        s = requests.Session()
        while True:
            with lock:
                if not queues:
                    return
                q = queues.pop()
            for tok, body, _ in q:
                r = s.post(hub.url + "/api/sync", data=body, timeout=120, headers={
                    "Authorization": f"Bearer {tok}", "Content-Encoding": "gzip"})  # fmt: skip
                assert r.status_code == 200, r.text

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total / (time.perf_counter() - t0), total


def fill_year(hub: Hub) -> None:
    """365 days of roll-ups per office (SQL), as ingest would have left them."""
    with psycopg.connect(hub.db_url) as conn:
        conn.execute("""
            INSERT INTO daily (office, day, report, last_event_id, issued, served, no_show,
                cancelled, expired, transferred, wait_avg_s, wait_p50_s, wait_p90_s,
                service_avg_s, within_target_pct, wait_max_s, r1, r2, r3, r4)
            SELECT o.code, d::date, '{}', 1, 100 + (h %% 50), 90 + (h %% 40), h %% 7, 0, 0, h %% 3,
                   600 + h %% 300, 500 + h %% 200, 1500 + h %% 600, 420, 60 + h %% 40, 3000 + h %% 900,
                   h %% 3, h %% 5, 20 + h %% 9, 30 + h %% 11
            FROM offices o, generate_series(%s::date - 364, %s::date, '1 day') d,
                 LATERAL (SELECT abs(hashtext(o.code || d::text)) AS h) x
            ON CONFLICT DO NOTHING""", ("2026-11-30", "2026-11-30"))  # fmt: skip
        refresh_months(conn)  # what ingest keeps month by month, here all at once
        conn.execute("ANALYZE daily")
        conn.execute("ANALYZE monthly")


def timed_get(url: str, headers: dict, n: int) -> tuple[float, float]:
    s, times = requests.Session(), []
    for _ in range(n):
        t0 = time.perf_counter()
        r = s.get(url, headers=headers, timeout=60)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def catch_up(hub: Hub, root: Path) -> tuple[float, int]:
    """A real office's week, synced from scratch by its own agent: (seconds, events)."""
    token = hub.cli("office", "add", "WEEK", "--name", "Xã Một Tuần")
    data = root / "week-office"
    env = {**os.environ, "ONESTOP_DATA": str(data), "ONESTOP_PRINTER_TYPE": "none",
           "ONESTOP_VOICE_WARM_ON_START": "false"}  # fmt: skip
    if not (data / "onestop.db").exists():
        data.mkdir(parents=True)
        subprocess.run([sys.executable, "-m", "flask", "demo", "simulate", "--days", "7",
                        "--scale", "1.5"], cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
    os.environ.update({"ONESTOP_HUB_URL": hub.url, "ONESTOP_HUB_OFFICE_CODE": "WEEK",
                       "ONESTOP_HUB_TOKEN": token, "ONESTOP_DATA": str(data),
                       "ONESTOP_PRINTER_TYPE": "none", "ONESTOP_VOICE_WARM_ON_START": "false"})  # fmt: skip
    os.environ["FLASK_RUN_FROM_CLI"] = "true"  # no background agent: this one is timed alone
    from server.app import create_app
    from server.hubsync import CURSOR, Agent

    app = create_app()
    agent = Agent(app.extensions["onestop"])
    with agent.ext.store.write() as conn:
        conn.execute("DELETE FROM meta WHERE key = ?", (CURSOR,))
    t0 = time.perf_counter()
    sent = agent.sync()
    took = time.perf_counter() - t0
    with psycopg.connect(hub.db_url) as conn:
        got = conn.execute("SELECT COUNT(*) FROM events WHERE office = 'WEEK'").fetchone()[0]
    assert got == sent, (got, sent)
    return took, sent


def run_scale(pg, root, n_offices, days, args, run):
    hub = fresh(pg, f"bench_{n_offices}_{run}", root)
    try:
        tokens = enrol(hub, n_offices)
        rate, events = ingest(hub, tokens, days, args.tickets, args.batch, args.clients)
        fill_year(hub)
        user = hub.cli(
            "user", "add", "tinh", "--role", "province_viewer", "--password", "secret123"
        )
        del user
        auth = {"Authorization": "Bearer " + hub.cli("user", "token", "tinh")}
        league = timed_get(
            hub.url + "/api/offices?from=2025-12-01&to=2026-11-30", auth, args.queries
        )
        day = timed_get(hub.url + f"/api/offices/X0000/daily?date={FIRST_DAY}", auth, args.queries)
        week = catch_up(hub, root) if n_offices == args.catch_up_at else (None, None)
        return rate, events, league, day, week
    finally:
        hub.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--offices", default="10,100,1000")
    ap.add_argument("--tickets", type=int, default=150, help="tickets per office day")
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--catch-up-at", type=int, default=100)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="onestop-hub-bench-"))
    root.chmod(0o755)
    pg = LocalPostgres(root / "pg").init().start()
    print(
        f"cores: {os.cpu_count()}; PostgreSQL 15 local cluster; hub: gunicorn 1 worker x 8 threads"
    )
    results = {}
    try:
        for n in [int(x) for x in args.offices.split(",")]:
            days = 2 if n <= 100 else 1
            runs = [run_scale(pg, root, n, days, args, r) for r in range(args.runs)]
            med = lambda xs: statistics.median(xs)  # noqa: E731
            results[n] = {
                "events": runs[0][1],
                "rate": med([r[0] for r in runs]),
                "league_p50": med([r[2][0] for r in runs]), "league_p95": med([r[2][1] for r in runs]),
                "day_p50": med([r[3][0] for r in runs]), "day_p95": med([r[3][1] for r in runs]),
                "week": med([r[4][0] for r in runs]) if runs[0][4][0] is not None else None,
                "week_events": runs[0][4][1],
            }  # fmt: skip
            r = results[n]
            print(f"{n} offices: ingest {r['rate']:,.0f} events/s ({r['events']:,} events); "
                  f"league {n} x 365 days p50 {r['league_p50']:.1f} ms p95 {r['league_p95']:.1f} ms; "
                  f"one office's day p50 {r['day_p50']:.1f} ms p95 {r['day_p95']:.1f} ms"
                  + (f"; week offline ({r['week_events']:,} events) caught up in {r['week']:.2f} s"
                     if r["week"] is not None else ""), flush=True)  # fmt: skip
        print(f"\nmedians of {args.runs} runs")
        print("| offices | ingest events/s | league p50 / p95 (ms) | one day p50 / p95 (ms) |")
        print("|---|---|---|---|")
        for n, r in results.items():
            print(
                f"| {n} | {r['rate']:,.0f} | {r['league_p50']:.1f} / {r['league_p95']:.1f} | "
                f"{r['day_p50']:.1f} / {r['day_p95']:.1f} |"
            )
    finally:
        pg.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
