"""What messages to citizens cost the office: a status change with SMS on, and the delay to the gateway.

    .venv/bin/python bench/sms_delivery.py [--dossiers 300] [--batch 2000]

A real app on a fresh data dir (the real schema, SQLite with synchronous=FULL), the SMS
worker on a RecordingGateway (the gateway itself is not what is measured). Dossiers with a
consented phone are written by direct inserts. Figures (medians):
- one `set_status(code, "ready")` as the clerk's request waits for it, and the time from
  its return until the message was handed to the gateway (queued on the bus's thread,
  sent on the worker's);
- a `set_many` batch of --batch ready rows with a contact each: how long until all its
  messages are queued and sent (one message per dossier, none twice).
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

from server.app import create_app  # noqa: E402
from sms.gateways import RecordingGateway  # noqa: E402
from tests.helpers import site_config  # noqa: E402


def add(e, codes: list[str]) -> None:
    now, day = e.queue.clock(), e.queue._day
    with e.store.write() as conn:
        conn.executemany(
            "INSERT INTO dossiers (code, day, service, status, due, received_at)"
            " VALUES (?, ?, 'hotich', 'in_progress', ?, ?)",
            [(c, day, day, now) for c in codes],
        )
        conn.executemany(
            "INSERT INTO dossier_contacts (code, phone, consent_at, notify_near, delete_after)"
            " VALUES (?, ?, ?, 0, '2099-01-01')",
            [(c, f"09{i:08d}", now) for i, c in enumerate(codes)],
        )


def wait_sent(gateway: RecordingGateway, n: int, timeout: float = 300) -> float:
    """Seconds until the gateway holds n messages."""
    t0 = time.perf_counter()
    while len(gateway.sent) < n:
        if time.perf_counter() - t0 > timeout:
            raise SystemExit(f"only {len(gateway.sent)} of {n} messages sent")
        time.sleep(0.0005)
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dossiers", type=int, default=300)
    p.add_argument("--batch", type=int, default=2000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        gateway = RecordingGateway()
        config = site_config(office={"enforce_hours": False})
        app = create_app({"DATA_DIR": Path(tmp), "CONFIG": config, "SMS_GATEWAY": gateway})
        e = app.extensions["onestop"]
        singles = [f"HS-ONE-{i:06d}" for i in range(args.dossiers)]
        batch = [f"HS-MANY-{i:06d}" for i in range(args.batch)]
        add(e, singles + batch)
        request, to_gateway = [], []
        for i, code in enumerate(singles):
            t0 = time.perf_counter()
            e.dossiers.set_status(code, "ready")
            request.append(time.perf_counter() - t0)
            to_gateway.append(wait_sent(gateway, i + 1))
        t0 = time.perf_counter()
        e.dossiers.set_many([(c, "ready") for c in batch])
        applied = time.perf_counter() - t0
        all_sent = applied + wait_sent(gateway, args.dossiers + args.batch)
        e.queue.drain()
        e.devices.sms.stop()
        rows = e.store.reader().execute("SELECT COUNT(*) FROM sms_outbox").fetchone()[0]
        e.store.close()
    assert rows == len(gateway.sent) == args.dossiers + args.batch
    ms = 1000
    print(f"dossiers: {args.dossiers} one by one, then a batch of {args.batch}; messages: {rows}")
    print(f"set_status ready, as the request waits (median): {statistics.median(request) * ms:.1f} ms"
          f" (p90 {sorted(request)[int(len(request) * 0.9)] * ms:.1f} ms)")  # fmt: skip
    print(f"its message handed to the gateway after (median): "
          f"{statistics.median(to_gateway) * ms:.1f} ms")  # fmt: skip
    print(f"batch of {args.batch} ready rows: applied in {applied * ms:.0f} ms, every message "
          f"sent {all_sent:.1f} s after the start ({args.batch / all_sent:.0f} messages/s)")  # fmt: skip


if __name__ == "__main__":
    main()
