"""Crash durability: SIGKILL a loaded server; every acknowledged ticket survives, no number reused."""

from __future__ import annotations

import random
import threading
import time

import pytest
import requests

from tests.faults.tools import ro_connect
from tests.helpers import LiveServer

pytestmark = pytest.mark.slow

CYCLES = 10
CLIENTS = 8
SERVICES = ("hotich", "chungthuc", "datdai", "ldtbxh", "vhxh", "khac")


class Load:
    """CLIENTS threads issuing tickets until stopped; keeps what the server acknowledged."""

    def __init__(self, url: str, seed: int):
        self.url = url
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked: dict[str, tuple[str, str, str]] = {}  # id -> (day, service, number)
        self.unexpected: list[tuple[int, str]] = []
        self.cut = 0  # requests cut or refused around the kill (may or may not be stored)
        self.rng = random.Random(seed)
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(CLIENTS)]

    def _run(self, i: int) -> None:
        rng = random.Random(self.rng.random() + i)
        with requests.Session() as s:
            while not self.stop.is_set():
                service = rng.choice(SERVICES)
                try:
                    r = s.post(
                        self.url + "/api/tickets",
                        json={"service": service, "kiosk": f"crash-{i}"},
                        timeout=5,
                    )
                except requests.RequestException:
                    with self.lock:
                        self.cut += 1
                    time.sleep(0.01)
                    continue
                if r.status_code != 201:
                    with self.lock:
                        self.unexpected.append((r.status_code, r.text[:200]))
                    continue
                t = r.json()["ticket"]
                with self.lock:
                    self.acked[t["id"]] = (t["day"], t["service"], t["number"])

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(10)


def check_database(path, acked: dict) -> int:
    """Read-only: integrity ok, no duplicate number; returns how many acknowledged are missing."""
    conn = ro_connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {
            r["id"]: (r["day"], r["service"], r["number"])
            for r in conn.execute("SELECT id, day, service, number FROM tickets")
        }
        lost = {i: v for i, v in acked.items() if stored.get(i) != v}
        dup = conn.execute(
            "SELECT day, service, number, COUNT(*) FROM tickets GROUP BY 1, 2, 3 HAVING COUNT(*) > 1"
        ).fetchall()
        assert not dup, [tuple(d) for d in dup]
        return len(lost)
    finally:
        conn.close()


def test_sigkill_under_load_keeps_every_acknowledged_ticket(tmp_path, figures):
    server = LiveServer(tmp_path / "live").start(threads=16)
    db = server.data_dir / "onestop.db"
    rng = random.Random(8)
    acked: dict[str, tuple[str, str, str]] = {}
    cut = lost = 0
    try:
        for cycle in range(CYCLES):
            with Load(server.url, seed=cycle) as load:
                # Kill at a random moment once tickets are flowing.
                deadline = time.monotonic() + 10
                while len(load.acked) < 20 and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.05, 0.5))
                server.kill()
                time.sleep(0.05)  # let in-flight requests fail
            assert not load.unexpected, load.unexpected[:5]
            assert load.acked, f"cycle {cycle}: no ticket acknowledged before the kill"
            overlap = set(acked) & set(load.acked)
            assert not overlap
            acked.update(load.acked)
            cut += load.cut
            lost = check_database(db, acked)  # the file as the power cut left it
            assert lost == 0, f"cycle {cycle}: {lost} acknowledged ticket(s) lost"
            server.start(threads=16)

        # After the last restart: new tickets never reuse an acknowledged number that day.
        with Load(server.url, seed=99) as load:
            deadline = time.monotonic() + 10
            while len(load.acked) < 200 and time.monotonic() < deadline:
                time.sleep(0.01)
        assert not load.unexpected, load.unexpected[:5]
        after = set(load.acked.values())
        assert len(after) == len(load.acked)
        reused = after & set(acked.values())
        assert not reused, sorted(reused)[:5]
        numbers = list(acked.values())
        assert len(set(numbers)) == len(numbers), "an acknowledged number was issued twice"
        server.stop()
        acked.update(load.acked)
        lost = check_database(db, acked)
    finally:
        server.stop()
    figures(
        "crash durability (test_crash.py)",
        cycles=CYCLES,
        clients=CLIENTS,
        tickets_acknowledged=len(acked),
        tickets_lost=lost,
        connection_errors_around_kills=cut,
        integrity_check="ok",
    )
    assert lost == 0
