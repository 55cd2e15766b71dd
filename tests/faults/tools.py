"""Helpers for fault tests: process figures from /proc, read-only database dumps, a display model."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from tests.helpers import children

DUMP_TABLES = ("tickets", "events", "counters", "sequences", "meta", "users", "tokens")


def worker_pid(master_pid: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = children(master_pid)
        if kids:
            return kids[0]
        time.sleep(0.05)
    raise RuntimeError(f"no gunicorn worker under {master_pid}")


def proc_figures(pid: int) -> dict:
    """RSS (KiB), thread count and open file descriptors of a process."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "rss_kb": int(fields["VmRSS"].split()[0]),
        "threads": int(fields["Threads"]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


def ro_connect(path: Path | str) -> sqlite3.Connection:
    """Open the database file read-only, as an outside auditor would."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def dump(conn: sqlite3.Connection, tables=DUMP_TABLES) -> dict:
    """Every row of the tables that hold state, for before/after comparisons."""
    out = {}
    for table in tables:
        rows = conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
        out[table] = [tuple(r) for r in rows]
    return out


class DisplayModel:
    """What a lobby display keeps from /display events: deduped by seq, resynced on gaps."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seq = -1
        self.counters: list = []
        self.waiting: dict = {}
        self.announced: list[dict] = []  # calls a display would speak, once each
        self.raw_called_seqs: list[int] = []
        self.snapshots = 0
        self.connects = 0
        self.gaps = 0
        self.resync = None  # callable asking the server for a snapshot

    def on_snapshot(self, snap: dict) -> None:
        with self.lock:
            self.snapshots += 1
            if snap["seq"] >= self.seq:
                self.seq = snap["seq"]
                self.counters = snap["counters"]
                self.waiting = snap["waiting"]

    def _accept(self, payload: dict) -> bool:
        """True when the message is new; ask for a snapshot when one was missed."""
        seq = payload["seq"]
        if seq <= self.seq:
            return False
        if self.seq >= 0 and seq > self.seq + 1 and self.resync:
            self.gaps += 1
            self.resync()
        self.seq = seq
        return True

    def on_ticket_issued(self, payload: dict) -> None:
        with self.lock:
            if self._accept(payload):
                self.waiting = payload["waiting"]

    def on_ticket_called(self, payload: dict) -> None:
        with self.lock:
            self.raw_called_seqs.append(payload["seq"])
            if self._accept(payload):
                self.announced.append({**payload["call"], "seq": payload["seq"],
                                       "recall": payload.get("recall", False)})  # fmt: skip
                self.counters = payload["counters"]
                self.waiting = payload["waiting"]

    def on_queue_changed(self, payload: dict) -> None:
        with self.lock:
            if self._accept(payload):
                self.counters = payload["counters"]
                self.waiting = payload["waiting"]

    def state(self) -> dict:
        with self.lock:
            return {"seq": self.seq, "counters": self.counters, "waiting": self.waiting}


def display_client(url: str, model: DisplayModel, **client_kwargs):
    """A python-socketio client on /display feeding `model`; connected before returning."""
    import socketio

    sio = socketio.Client(
        reconnection=True,
        reconnection_delay=0.2,
        reconnection_delay_max=1,
        randomization_factor=0.2,
        **client_kwargs,
    )
    ns = "/display"

    @sio.on("connect", namespace=ns)
    def _connect():
        with model.lock:
            model.connects += 1

    sio.on("snapshot", model.on_snapshot, namespace=ns)
    sio.on("ticket_issued", model.on_ticket_issued, namespace=ns)
    sio.on("ticket_called", model.on_ticket_called, namespace=ns)
    sio.on("queue_changed", model.on_queue_changed, namespace=ns)
    model.resync = lambda: sio.start_background_task(_ask, sio)
    sio.connect(url, namespaces=[ns], transports=["websocket"], wait_timeout=10)
    return sio


def _ask(sio) -> None:
    try:
        sio.emit("get_snapshot", namespace="/display")
    except Exception:  # disconnected meanwhile: the reconnect sends a snapshot anyway
        pass


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
