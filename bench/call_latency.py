"""Clerk Next -> `ticket_called` at every lobby display, on a real gunicorn server.

50 display clients (python-socketio, websocket transport) stay connected to /display while
4 clerks press Next over HTTP and kiosks issue 10 tickets/s. For each call: the time from
the moment the clerk's request is sent until the event has arrived at the last of the 50
displays. Prints p50/p99 per run and the medians of 3 runs, with the machine's core count.

The displays run in several processes (real screens are separate machines; 50 clients
sharing one interpreter would measure that interpreter's lock, not the server). Times are
time.perf_counter(), which on Linux is CLOCK_MONOTONIC and so comparable across processes.

Usage: .venv/bin/python bench/call_latency.py [--displays 50] [--clerks 4] [--rate 10]
       [--seconds 20] [--runs 3] [--procs 5] [--warmup 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import itertools
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import engineio
import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import LiveServer  # noqa: E402

SERVICES = ["hotich", "chungthuc", "datdai", "ldtbxh", "vhxh", "khac"]


class InlineEngineIO(engineio.AsyncClient):
    """engineio.AsyncClient that handles each message in its read loop, as a browser does.

    The stock client starts a task per message; with 50 clients on two shared cores that
    churn, not the server, would dominate the figure.
    """

    async def _trigger_event(self, event, *args, **kwargs):
        kwargs["run_async"] = False
        return await super()._trigger_event(event, *args, **kwargs)


class DisplayClient(socketio.AsyncClient):
    def _engineio_client_class(self):
        return InlineEngineIO


def displays_process(url: str, names: list[str], ready, commands, results) -> None:
    """Hold some display sockets; on each "report" send back {number: [arrival, ...]}.

    One asyncio loop per process, as aiohttp parses websocket frames in C: a real screen
    is a browser on a machine of its own, so the simulated ones should cost the shared
    cores as little as they can.
    """
    arrived: dict[str, list[float]] = {}

    async def on_called(payload):
        now = time.perf_counter()
        if not payload["recall"]:  # numbers are unique per day; screens see no ids
            arrived.setdefault(payload["call"]["ticket"]["number"], []).append(now)

    async def main():
        clients = []
        for name in names:
            sio = DisplayClient(reconnection=False)
            sio.on("ticket_called", on_called, namespace="/display")
            await sio.connect(url, namespaces=["/display"], transports=["websocket"],
                              auth={"kind": "display", "name": name}, wait_timeout=10)  # fmt: skip
            clients.append(sio)
        gc.freeze()  # nor should a collector pause in a simulated screen count against us
        ready.put(len(clients))
        loop = asyncio.get_running_loop()
        while True:
            cmd = await loop.run_in_executor(None, commands.get)
            results.put(dict(arrived))
            arrived.clear()
            if cmd == "stop":
                break
        for sio in clients:
            await sio.disconnect()

    asyncio.run(main())


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def kiosks(url: str, rate: float, stop: threading.Event, issued: list) -> None:
    """Issue `rate` tickets per second, spread over the procedures."""
    s = requests.Session()
    services = itertools.cycle(SERVICES)
    next_at = time.perf_counter()
    while not stop.is_set():
        r = s.post(f"{url}/api/tickets", json={"service": next(services)}, timeout=5)
        if r.status_code == 201:
            issued.append(1)
        next_at += 1 / rate
        time.sleep(max(0.0, next_at - time.perf_counter()))


def clerk(url, token, counter, stop, sent, http_ms, empty) -> None:
    """Press Next at a clerk's pace; note when each call's request was sent.

    http.client, not requests: a console's fetch() costs the browser next to nothing, and
    requests' own ~1 ms of Python per call would be counted as the server's.
    """
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    headers = {"Authorization": f"Bearer {token}", "Content-Length": "0"}
    path = f"/api/counters/{counter}/next"
    conn.request("POST", f"/api/counters/{counter}/sign-in", headers=headers)
    conn.getresponse().read()  # a clerk acts only at the counter they signed in at
    rnd = random.Random(counter)
    while not stop.is_set():
        t0 = time.perf_counter()
        conn.request("POST", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        http_ms.append((time.perf_counter() - t0) * 1000)
        if r.status == 200:
            sent[json.loads(body)["ticket"]["number"]] = t0
        elif r.status == 204:
            empty.append(1)
        else:
            raise RuntimeError(f"next failed: {r.status} {body!r}")
        time.sleep(rnd.uniform(0.2, 0.6))  # a few calls a second per clerk at most


def run(server, worker_pid, tokens, procs, args, seconds: float) -> dict:
    stop = threading.Event()
    sent: dict[str, float] = {}
    http_ms: list[float] = []
    empty: list[int] = []
    issued: list[int] = []
    threads = [threading.Thread(target=kiosks, args=(server.url, args.rate, stop, issued))]
    for i, token in enumerate(tokens):
        threads.append(threading.Thread(
            target=clerk, args=(server.url, token, i + 1, stop, sent, http_ms, empty)))  # fmt: skip
    cpu0 = cpu_seconds(worker_pid)
    screens_cpu0 = sum(cpu_seconds(p.pid) for p, _, _ in procs)
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(10)
    server_cpu = (cpu_seconds(worker_pid) - cpu0) / seconds
    screens_cpu = sum(cpu_seconds(p.pid) for p, _, _ in procs) - screens_cpu0
    time.sleep(1.0)  # let the last events land
    arrived: dict[str, list[float]] = {}
    for _, commands, _ in procs:
        commands.put("report")
    for _, _, results in procs:
        for tid, times in results.get(timeout=30).items():
            arrived.setdefault(tid, []).extend(times)
    latencies, missed = [], 0
    for tid, t0 in sent.items():
        times = arrived.get(tid, [])
        if len(times) == args.displays:
            latencies.append((max(times) - t0) * 1000)
        else:
            missed += 1
    return {
        "calls": len(latencies),
        "missed": missed,
        "nobody_waiting": len(empty),
        "issued": len(issued),
        "p50": pct(latencies, 50),
        "p99": pct(latencies, 99),
        "max": max(latencies),
        "http_p50": pct(http_ms, 50),
        "server_cpu": server_cpu,
        # CPU the 50 simulated screens spent per call (they share the server's two cores)
        "screens_ms": screens_cpu * 1000 / max(1, len(latencies)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--displays", type=int, default=50)
    ap.add_argument("--clerks", type=int, default=4)
    ap.add_argument("--rate", type=float, default=10.0, help="tickets issued per second")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of one run")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of untimed load first")
    ap.add_argument("--procs", type=int, default=5, help="processes holding the displays")
    args = ap.parse_args()
    print(f"cpu_count={os.cpu_count()} loadavg={os.getloadavg()[0]:.1f} displays={args.displays} (in {args.procs} processes) "
          f"clerks={args.clerks} kiosk_rate={args.rate}/s run={args.seconds:.0f}s "
          f"runs={args.runs}")  # fmt: skip
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        # Each websocket holds one gunicorn thread: leave room for the HTTP clients.
        server = LiveServer(Path(tmp) / "data").start(threads=args.displays + 32)
        procs = []
        try:
            pid = server.proc.pid
            worker = int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])
            tokens = [server.token(f"clerk{i}", "clerk") for i in range(1, args.clerks + 1)]
            for i in range(30):  # a queue to start from
                requests.post(f"{server.url}/api/tickets",
                              json={"service": SERVICES[i % len(SERVICES)]}, timeout=5)  # fmt: skip
            ready = ctx.Queue()
            names = [f"bench-{i}" for i in range(args.displays)]
            for k in range(args.procs):
                commands, results = ctx.Queue(), ctx.Queue()
                p = ctx.Process(target=displays_process, daemon=True, args=(
                    server.url, names[k :: args.procs], ready, commands, results))  # fmt: skip
                p.start()
                procs.append((p, commands, results))
            connected = sum(ready.get(timeout=60) for _ in procs)
            assert connected == args.displays, connected
            # Warm-up, not counted: the first call of each counter meets cold code paths
            # and an idle thread pool, which a server open since morning has long left.
            run(server, worker, tokens, procs, args, args.warmup)
            results = []
            for n in range(args.runs):
                res = run(server, worker, tokens, procs, args, args.seconds)
                results.append(res)
                print(f"run {n + 1}: calls={res['calls']} missed={res['missed']} "
                      f"nobody_waiting={res['nobody_waiting']} issued={res['issued']} "
                      f"p50={res['p50']:.2f} ms p99={res['p99']:.2f} ms max={res['max']:.2f} ms "
                      f"(Next HTTP p50 {res['http_p50']:.2f} ms, server cpu "
                      f"{res['server_cpu']:.0%}, screens {res['screens_ms']:.1f} ms cpu/call)")  # fmt: skip
        finally:
            for _, commands, _ in procs:
                commands.put("stop")
            for p, _, _ in procs:
                p.join(10)
            server.stop()
    p50 = statistics.median(r["p50"] for r in results)
    p99 = statistics.median(r["p99"] for r in results)
    print(f"median of {args.runs} runs: p50={p50:.2f} ms p99={p99:.2f} ms "
          f"(clerk Next sent -> ticket_called at all {args.displays} displays; "
          f"target p50 < 10 ms, p99 < 50 ms); loadavg={os.getloadavg()[0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
