"""What a configuration change costs: `ext.config.apply()` in process, and PUT to screen.

In process: one change (a procedure renamed) on an office that issued --tickets tickets
today (the live numbering rule reads them), and the same change when the numbering moves
(every next number checked against today's). Then on a real gunicorn server: from the
admin's PUT /api/admin/config to `config_changed` arriving on a /display socket. Prints
medians over --runs changes; asserts nothing.

    .venv/bin/python bench/config_apply.py [--runs 30] [--tickets 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import requests  # noqa: E402
import socketio  # noqa: E402

from server.app import create_app  # noqa: E402
from tests.helpers import Clock, LiveServer, site_config  # noqa: E402


def in_process(runs: int, tickets: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as d:
        cfg = site_config()
        for s in cfg["services"]:
            s["range_end"] = 4999 if s["code"] == "hotich" else 999
        app = create_app({"DATA_DIR": d, "CONFIG": cfg, "CLOCK": Clock(), "TESTING": True})
        e = app.extensions["onestop"]
        for _ in range(tickets):
            e.queue.issue("hotich")
        rename, renumber = [], []
        for i in range(runs):
            t0 = time.perf_counter()
            e.config.patch(lambda c, i=i: c["services"][0].update(name=f"Hộ tịch {i}"), "bench")
            rename.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            start = 5000 + i * 10  # past today's numbers: allowed, every next one checked
            e.config.patch(lambda c, s=start: c["services"][0].update(
                range_start=s, range_end=9999), "bench")  # fmt: skip
            renumber.append(time.perf_counter() - t0)
        e.store.close()
    return statistics.median(rename) * 1000, statistics.median(renumber) * 1000


def to_screen(runs: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        server = LiveServer(Path(d) / "live").start()
        try:
            admin = {"Authorization": f"Bearer {server.token('bench-admin', 'admin')}"}
            got = threading.Event()
            sio = socketio.Client()
            sio.on("config_changed", lambda _p: got.set(), namespace="/display")
            sio.connect(server.url, namespaces=["/display"], transports=["websocket"])
            times = []
            for i in range(runs):
                r = requests.get(f"{server.url}/api/admin/config", headers=admin, timeout=5)
                version, config = r.json()["version"], r.json()["config"]
                config["office"]["hotline"] = f"0221 {i:04d}"
                got.clear()
                t0 = time.perf_counter()
                requests.put(f"{server.url}/api/admin/config", json={"config": config},
                             headers={**admin, "If-Match": str(version)}, timeout=5)  # fmt: skip
                got.wait(5)
                times.append(time.perf_counter() - t0)
            sio.disconnect()
        finally:
            server.stop()
    return statistics.median(times) * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--tickets", type=int, default=2000)
    a = p.parse_args()
    rename, renumber = in_process(a.runs, a.tickets)
    print(f"apply, a procedure renamed ({a.tickets} tickets today): median {rename:.1f} ms")
    print(f"apply, its numbering moved (every next number checked): median {renumber:.1f} ms")
    print(f"PUT /api/admin/config -> config_changed on a /display socket: "
          f"median {to_screen(a.runs):.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
