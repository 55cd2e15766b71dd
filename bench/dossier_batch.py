"""How long a batch of dossier status rows takes to apply (the import's core), and to refuse.

    .venv/bin/python bench/dossier_batch.py [--rows 5000] [--runs 5]

A real app on a fresh data dir (the real schema, SQLite with synchronous=FULL, the socket
relay subscribed as in production). `--rows` dossiers are written by direct inserts (the
setup is not what is measured), then `Dossiers.set_many` is timed, medians of --runs:
applying every row (ready and back to in_progress, alternately, so each run changes every
row: one UPDATE and one event per row, published after the commit), and refusing a batch
whose last row is an illegal step (every row read and checked, then rolled back).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.dossier_rules import RowError  # noqa: E402
from server.app import create_app  # noqa: E402
from tests.helpers import site_config  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=5000)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATA_DIR": Path(tmp), "CONFIG": site_config()})
        e = app.extensions["onestop"]
        ds, q = e.dossiers, e.queue
        now, day = q.clock(), q._day
        codes = [f"HS-2026-{i:07d}" for i in range(args.rows)]
        with e.store.write() as conn:
            conn.executemany(
                "INSERT INTO dossiers (code, day, service, status, due, received_at)"
                " VALUES (?, ?, 'hotich', 'received', ?, ?)",
                [(c, day, day, now) for c in codes],
            )
        applied, refused = [], []
        for run in range(args.runs):
            status = "ready" if run % 2 == 0 else "in_progress"
            t0 = time.perf_counter()
            n = ds.set_many([(c, status) for c in codes], actor="bench")
            applied.append(time.perf_counter() - t0)
            assert n == args.rows, n
            bad = [(c, "returned" if status == "ready" else "ready") for c in codes]
            bad[-1] = (codes[-1], "received")  # an illegal step, found inside the transaction
            t0 = time.perf_counter()
            try:
                ds.set_many(bad)
            except RowError as err:
                assert err.index == args.rows - 1
            refused.append(time.perf_counter() - t0)
        q.drain()
        events = (
            e.store.reader()
            .execute("SELECT COUNT(*) FROM events WHERE type = 'dossier_status'")
            .fetchone()[0]
        )
        e.store.close()
    print(f"rows per batch: {args.rows}, runs: {args.runs}, events logged: {events}")
    print(f"apply a batch (median): {statistics.median(applied) * 1000:.0f} ms "
          f"({args.rows / statistics.median(applied):.0f} rows/s)")  # fmt: skip
    print(f"refuse a batch whose last row is bad (median): "
          f"{statistics.median(refused) * 1000:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
