"""Thread per socket (gthread, today) against gevent: idle sockets held, RSS, health, Next.

For each worker class, a real gunicorn on loopback (no nginx, [limits] off, so the worker
itself is measured) and a fresh data dir. 1,000 idle websockets (Engine.IO upgrade, then
silence) are opened from 50 loopback addresses; then, while they are held: health latency
(20 probes, 5 s timeout), clerk Next latency (20 calls), the worker's RSS. gevent runs the
app unchanged: its worker monkey-patches threading, so Flask-SocketIO's "threading" mode
runs on greenlets. Needs `gevent` in the venv (not a dependency: measured, not chosen).

Usage: .venv/bin/python bench/socket_workers.py [--sockets 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hall_abuse import attacker, rss_mb  # noqa: E402
from tests.helpers import free_port  # noqa: E402

UPGRADE = (
    b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
)
WORKERS = {
    "gthread (256 threads)": ["--worker-class", "gthread", "--threads", "256"],
    "gevent (2000 connections)": ["--worker-class", "gevent", "--worker-connections", "2000"],
}


def request(port: int, method: str, path: str, headers: dict | None = None) -> tuple[int, float]:
    t0 = time.perf_counter()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request(method, path, body=b"" if method == "POST" else None, headers=headers or {})
        r = c.getresponse()
        r.read()
        return r.status, (time.perf_counter() - t0) * 1000
    except OSError:
        return 0, 5000.0


def one_socket(port: int, i: int):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5,
                                     source_address=(attacker(i % 50), 0))  # fmt: skip
        s.sendall(UPGRADE)
        ok = s.recv(100).startswith(b"HTTP/1.1 101")
        return s if ok else s.close()
    except OSError:
        return None


def measure(worker: list[str], sockets: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {**os.environ, "ONESTOP_DATA": tmp, "ONESTOP_PRINTER_TYPE": "none",
               "ONESTOP_VOICE_WARM_ON_START": "false", "ONESTOP_LIMITS_ENABLED": "false",
               "ONESTOP_OFFICE_ENFORCE_HOURS": "false"}  # fmt: skip
        flask = [str(ROOT / ".venv/bin/flask")]
        subprocess.run([*flask, "user", "add", "q1", "--role", "clerk", "--password", "secret123"],
                       cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
        token = subprocess.run([*flask, "user", "token", "q1"], cwd=ROOT, env=env, check=True,
                               capture_output=True, text=True).stdout.split()[-1]  # fmt: skip
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), *worker, "-w", "1", "-b", f"127.0.0.1:{port}",
             "--graceful-timeout", "2", "--no-control-socket", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for _ in range(300):
                if request(port, "GET", "/api/health")[0] == 200:
                    break
                time.sleep(0.1)
            wpid = int(subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                      text=True).stdout.split()[0])  # fmt: skip
            idle_rss = rss_mb(wpid)
            body = {"Content-Type": "application/json"}
            for _ in range(25):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("POST", "/api/tickets", json.dumps({"service": "hotich"}), body)
                c.getresponse().read()
            t0 = time.monotonic()
            with ThreadPoolExecutor(100) as pool:
                held = [s for s in pool.map(lambda i: one_socket(port, i), range(sockets)) if s]
            open_s = time.monotonic() - t0
            health = [request(port, "GET", "/api/health")[1] for _ in range(20)]
            auth = {"Authorization": f"Bearer {token}", "Content-Length": "0"}
            nxt = [request(port, "POST", "/api/counters/1/next", auth)[1] for _ in range(20)]
            rss = rss_mb(wpid)
            for s in held:
                s.close()
            return {"held": len(held), "open_s": open_s, "idle_rss": idle_rss, "rss": rss,
                    "health_p50": statistics.median(health), "health_max": max(health),
                    "next_p50": statistics.median(nxt), "next_max": max(nxt)}  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(15)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sockets", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (8192, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    )
    print(f"socket_workers: {os.cpu_count()} cores, {args.sockets} idle websockets from 50 "
          f"addresses, medians of {args.runs} runs")  # fmt: skip
    for name, worker in WORKERS.items():
        runs = [measure(worker, args.sockets) for _ in range(args.runs)]
        m = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"{name:<26} held {m['held']:>5.0f} (in {m['open_s']:.1f} s)  RSS idle "
              f"{m['idle_rss']:.1f} MB, held {m['rss']:.1f} MB  health p50 "
              f"{m['health_p50']:.1f} ms max {m['health_max']:.0f} ms  Next p50 "
              f"{m['next_p50']:.1f} ms max {m['next_max']:.0f} ms")  # fmt: skip
        sys.stdout.flush()


if __name__ == "__main__":
    main()
