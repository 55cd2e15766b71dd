"""Ticket issue throughput over HTTP against a real gunicorn server, durable commits.

16 keep-alive clients POST /api/tickets for a fixed time; then 4 clerks call Next on their
counters; then the server's RSS after 5,000 tickets. Each run uses a fresh data dir.
Prints medians over --runs runs.

    .venv/bin/python bench/issue_throughput.py [--runs 3] [--seconds 20] [--clients 16]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.helpers import ROOT, LiveServer  # noqa: E402

SERVICES = ["hotich", "chungthuc", "datdai", "ldtbxh", "vhxh", "khac"]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def hammer(port, seconds, clients, make_request):
    """Run `clients` threads each with one keep-alive connection; return (latencies, bodies)."""
    latencies, results, lock = [], [], threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, got = [], []
        start_gate.wait()
        n = 0
        while time.perf_counter() < deadline[0]:
            method, path, body, headers = make_request(i, n)
            t0 = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            mine.append(time.perf_counter() - t0)
            got.append((resp.status, data))
            n += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            results.extend(got)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join()
    return latencies, results, time.perf_counter() - t0


def worker_pid(master_pid):
    """gunicorn's one worker process (the one that holds the app and its memory)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return int(children[0]) if children else master_pid


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_run(seconds, clients):
    with tempfile.TemporaryDirectory() as tmp:
        # A busy run issues more than the demo's 999 numbers per procedure a day.
        site = (ROOT / "config" / "site.toml").read_text(encoding="utf-8")
        config = Path(tmp) / "site.toml"
        config.write_text(re.sub(r'(prefix = "[A-Z]+")', r"\1\nrange_end = 9999", site), "utf-8")
        server = LiveServer(Path(tmp) / "data", config=config).start()
        try:
            tokens = [server.token(f"bench{i}", "clerk") for i in range(1, 5)]
            for i, token in enumerate(tokens):  # one clerk per counter, signed in there
                requests.post(f"{server.url}/api/counters/{i + 1}/sign-in",
                              headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip

            def issue(i, n):
                body = json.dumps({"service": SERVICES[(i + n) % len(SERVICES)]})
                return "POST", "/api/tickets", body, {"Content-Type": "application/json"}

            lat, res, wall = hammer(server.port, seconds, clients, issue)
            ok = [json.loads(b)["ticket"] for s, b in res if s == 201]
            errors = sum(1 for s, _ in res if s != 201)
            labels = [(t["day"], t["number"]) for t in ok]
            db = sqlite3.connect(f"file:{server.data_dir / 'onestop.db'}?mode=ro", uri=True)
            stored = db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
            dup_db = db.execute(
                "SELECT COUNT(*) FROM (SELECT day, number FROM tickets GROUP BY day, number HAVING COUNT(*) > 1)"
            ).fetchone()[0]
            issue_fig = {
                "tickets_per_s": len(ok) / wall,
                "p50_ms": pct(lat, 50) * 1000,
                "p99_ms": pct(lat, 99) * 1000,
                "max_ms": max(lat) * 1000,
                "duplicates": len(labels) - len(set(labels)) + dup_db,
                "errors": errors,
                "acknowledged": len(ok),
                "stored": stored,
            }

            def call(i, n):
                auth = {"Authorization": f"Bearer {tokens[i]}", "Content-Type": "application/json"}
                return "POST", f"/api/counters/{i + 1}/next", "", auth

            lat2, res2, wall2 = hammer(server.port, min(seconds, 10), 4, call)
            called = [json.loads(b)["ticket"]["id"] for s, b in res2 if s == 200]
            call_fig = {
                "calls_per_s": len(called) / wall2,
                "p50_ms": pct(lat2, 50) * 1000,
                "p99_ms": pct(lat2, 99) * 1000,
                "called_twice": len(called) - len(set(called)),
                "errors": sum(1 for s, _ in res2 if s not in (200, 204)),
            }
            # Top up to 5,000 tickets in all, then read the server's memory.
            total = stored
            conn = http.client.HTTPConnection("127.0.0.1", server.port)
            while total < 5000:
                conn.request("POST", "/api/tickets", json.dumps({"service": SERVICES[total % 6]}),
                             {"Content-Type": "application/json"})  # fmt: skip
                conn.getresponse().read()
                total += 1
            mem = rss_mb(worker_pid(server.proc.pid))
            return issue_fig, call_fig, mem, total
        finally:
            server.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=16)
    args = ap.parse_args()
    print(
        f"machine: {os.cpu_count()} cores; {args.clients} clients x {args.seconds:.0f} s; {args.runs} runs"
    )
    issues, calls, mems = [], [], []
    for r in range(args.runs):
        i, c, m, total = one_run(args.seconds, args.clients)
        issues.append(i)
        calls.append(c)
        mems.append(m)
        print(f"run {r + 1}: issue {i['tickets_per_s']:.0f}/s p50 {i['p50_ms']:.1f} ms p99 {i['p99_ms']:.1f} ms "
              f"max {i['max_ms']:.0f} ms dup {i['duplicates']} err {i['errors']} "
              f"(acked {i['acknowledged']}, stored {i['stored']}); "
              f"next {c['calls_per_s']:.0f}/s p50 {c['p50_ms']:.1f} ms p99 {c['p99_ms']:.1f} ms "
              f"twice {c['called_twice']}; RSS {m:.1f} MB after {total} tickets", flush=True)  # fmt: skip

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    print("median:")
    print(
        f"  issue: {med(issues, 'tickets_per_s'):.0f} tickets/s, p50 {med(issues, 'p50_ms'):.1f} ms, "
        f"p99 {med(issues, 'p99_ms'):.1f} ms, max {med(issues, 'max_ms'):.0f} ms, "
        f"duplicates {sum(i['duplicates'] for i in issues)}, errors {sum(i['errors'] for i in issues)}"
    )
    print(
        f"  call next (4 counters): {med(calls, 'calls_per_s'):.0f} calls/s, p50 {med(calls, 'p50_ms'):.1f} ms, "
        f"p99 {med(calls, 'p99_ms'):.1f} ms, called twice {sum(c['called_twice'] for c in calls)}"
    )
    print(f"  server RSS after a run (at least 5,000 tickets): {statistics.median(mems):.1f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
