"""Kiosk tap to printed ticket: POST /api/tickets -> last byte in the file printer.

    .venv/bin/python bench/print_latency.py [--runs 3] [--tickets 30]

Starts a real server (gunicorn, one worker, as in production) with `[printer] type = file`
on a fresh data dir, then for each ticket: POST /api/tickets, and poll the printer file
until the job's final cut command (GS V) has been written. Also times rendering one ticket
image in this process. Reports the median of each run and the median of the runs.
Target (shared/BENCHMARKS.md): kiosk POST -> last printed byte under 150 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from printer import layout  # noqa: E402
from tests.helpers import LiveServer  # noqa: E402

CUT = b"\x1dV"
SERVICES = ("hotich", "chungthuc", "datdai", "ldtbxh", "vhxh", "khac")


def wait_for_job(path: Path, start_size: int, timeout: float = 10.0) -> float:
    """perf_counter() when the file has grown and ends with a cut (the job's last bytes)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size > start_size:
            with path.open("rb") as f:
                f.seek(max(0, size - 3))
                if f.read(3)[:2] == CUT:
                    return time.perf_counter()
        time.sleep(0.0005)
    raise TimeoutError("the ticket was not printed")


def run_once(server: LiveServer, tickets: int) -> tuple[list[float], list[float]]:
    path = server.data_dir / "printer.bin"
    session = requests.Session()
    total, post = [], []
    for i in range(tickets):
        size = path.stat().st_size if path.exists() else 0
        t0 = time.perf_counter()
        r = session.post(f"{server.url}/api/tickets", json={"service": SERVICES[i % 6]})
        t1 = time.perf_counter()
        r.raise_for_status()
        t2 = wait_for_job(path, size)
        post.append((t1 - t0) * 1000)
        total.append((t2 - t0) * 1000)
        time.sleep(0.05)  # one citizen at a time: measure latency, not a backlog
    return total, post


def render_times(n: int) -> list[float]:
    data = layout.TicketData(
        office="UBND xã Tân Châu – Bộ phận Một cửa", service="Tư pháp – Hộ tịch",
        service_en="Justice – Civil status", number="A042",
        url="http://192.168.1.20:5000/t/Zm9vYmFyYmF6cXV4", issued_at="09:05  30/11/2026",
        ahead=7, estimated_wait_s=1680, hotline="0221 3868 686", kiosk="kiosk-1",
    )  # fmt: skip
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        layout.render(data, 576)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="kiosk POST -> last printed byte")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tickets", type=int, default=30)
    args = ap.parse_args()
    print(f"cpu_count={os.cpu_count()}  runs={args.runs}  tickets/run={args.tickets}")
    layout.render(layout.TicketData("o", "s", "", "A001", "u"), 576)  # load fonts once
    run_medians, post_medians, render_medians = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            server = LiveServer(Path(tmp) / f"run{run}", env={"ONESTOP_PRINTER_TYPE": "file"})
            server.start()
            try:
                run_once(server, 3)  # warm up: imports, fonts, connections
                total, post = run_once(server, args.tickets)
            finally:
                server.stop()
            rend = render_times(args.tickets)
            run_medians.append(statistics.median(total))
            post_medians.append(statistics.median(post))
            render_medians.append(statistics.median(rend))
            print(
                f"run {run + 1}: POST->last byte median {run_medians[-1]:.1f} ms"
                f" (p90 {statistics.quantiles(total, n=10)[-1]:.1f}, max {max(total):.1f});"
                f" POST answer median {post_medians[-1]:.1f} ms;"
                f" render one ticket median {render_medians[-1]:.1f} ms"
            )
    print(
        f"MEDIAN of {args.runs} runs: POST -> last printed byte {statistics.median(run_medians):.1f}"
        f" ms (target < 150 ms); POST answer {statistics.median(post_medians):.1f} ms;"
        f" render one ticket image {statistics.median(render_medians):.1f} ms"
    )


if __name__ == "__main__":
    main()
