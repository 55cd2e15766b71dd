"""How long a backup of a year of office data takes, while the real server runs.

    .venv/bin/python bench/backup_speed.py [--days 365] [--per-day 1000] [--runs 3]

The year (ending yesterday) is written by direct inserts into the real schema (tickets,
their issued, called, started, finished and rated events, the day's number sequences), not
through the HTTP API: a year through
the API would take hours and measure ticket issuing, which bench/ measures elsewhere.
Then a real gunicorn server is started on that data dir (it migrates, opens its
connections and takes tickets during the runs) and the script times, medians of --runs:
the backup function (server/backup.py), the whole `flask backup` command (a new process:
Python, the app, the copy) and the check `flask restore` runs before it replaces anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.store import Store  # noqa: E402
from server.backup import backup, backups, check  # noqa: E402
from tests.helpers import LiveServer  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SERVICES = [("hotich", "A"), ("chungthuc", "B"), ("datdai", "C"), ("ldtbxh", "D"),
            ("vhxh", "E"), ("khac", "F")]  # fmt: skip


def generate(db_path: Path, days: int, per_day: int, seed: int = 7) -> tuple[int, int]:
    """Write `days` office days of `per_day` served tickets each; return (tickets, events)."""
    rnd = random.Random(seed)
    store = Store(db_path)  # the real schema, by the real migrations
    conn = store.conn
    # The year ends yesterday, so the live server's "today" starts clean.
    start = dt.date.today() - dt.timedelta(days=days)
    n_tickets = n_events = 0
    conn.execute("PRAGMA synchronous=OFF")  # generation only; the server uses FULL
    for d in range(days):
        day = start + dt.timedelta(days=d)
        opening = dt.datetime.combine(day, dt.time(7, 30), TZ).timestamp()
        tickets, events, numbers = [], [], {}
        for i in range(per_day):
            code, prefix = SERVICES[rnd.randrange(6)]
            n = numbers[code] = numbers.get(code, 0) + 1
            tid = secrets.token_urlsafe(12)
            issued = opening + i * (9 * 3600 / per_day)
            called = issued + rnd.uniform(30, 1800)
            started = called + rnd.uniform(10, 90)
            finished = started + rnd.uniform(120, 900)
            counter, clerk = rnd.randint(1, 4), f"clerk{rnd.randint(1, 4)}"
            rating = rnd.choice([None, None, 3, 4, 4, 2])
            tickets.append((tid, day.isoformat(), code, n, f"{prefix}{n:03d}", "done", 0,
                            "kiosk-1", issued, issued, called, started, finished, counter,
                            clerk, int(rnd.uniform(60, 1500)), rating))  # fmt: skip
            ds = day.isoformat()
            events += [
                (issued, ds, "issued", tid, code, None, None,
                 json.dumps({"priority": False, "kiosk": "kiosk-1"})),
                (called, ds, "called", tid, code, counter, clerk, None),
                (started, ds, "started", tid, code, counter, clerk, None),
                (finished, ds, "finished", tid, code, counter, clerk, None),
            ]  # fmt: skip
            if rating:
                events.append((finished + 30, ds, "rated", tid, code, counter, clerk,
                               json.dumps({"rating": rating})))  # fmt: skip
        with store.write() as c:
            c.executemany(
                "INSERT INTO tickets (id, day, service, n, number, status, priority, kiosk,"
                " issued_at, queued_at, called_at, started_at, finished_at, counter, clerk,"
                " estimated_wait_s, rating) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                tickets,
            )
            c.executemany(
                "INSERT INTO sequences (service, day, last) VALUES (?,?,?)",
                [(code, day.isoformat(), last) for code, last in numbers.items()],
            )
            c.executemany(
                "INSERT INTO events (at, day, type, ticket_id, service, counter, clerk, data)"
                " VALUES (?,?,?,?,?,?,?,?)",
                events,
            )
        n_tickets += len(tickets)
        n_events += len(events)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return n_tickets, n_events


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--per-day", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"cpu_count={os.cpu_count()}  days={args.days}  tickets/day={args.per_day}")
    with tempfile.TemporaryDirectory(prefix="onestop-bench-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        db = data / "onestop.db"
        t = time.perf_counter()
        tickets, events = generate(db, args.days, args.per_day)
        print(f"generated {tickets:,} tickets and {events:,} events in "
              f"{time.perf_counter() - t:.1f} s; database {db.stat().st_size / 1e6:.0f} MB")  # fmt: skip

        server = LiveServer(data).start()
        try:
            session = requests.Session()

            def ticket():  # the server is live and writing while we copy
                r = session.post(server.url + "/api/tickets", json={"service": "hotich"})
                assert r.status_code == 201, r.text

            dest = Path(tmp) / "backups"
            fn_s, cli_s, check_s = [], [], []
            for _ in range(args.runs):
                ticket()
                fn_s.append(timed(lambda: backup(db, dest, keep=2)))
                ticket()
                cli_s.append(
                    timed(lambda: server.flask("backup", "--dir", str(dest), "--keep", "2"))
                )
                check_s.append(timed(lambda: check(backups(dest)[-1])))
            info = check(backups(dest)[-1])
            size_mb = info.path.stat().st_size / 1e6
        finally:
            server.stop()

    def fmt(xs):
        return f"median {statistics.median(xs):.2f} s  (runs: {', '.join(f'{x:.2f}' for x in xs)})"

    print(f"backup size {size_mb:.0f} MB, {info.tickets:,} tickets in the copy")
    print(f"backup() while the server runs:      {fmt(fn_s)}")
    print(f"`flask backup` (whole command):      {fmt(cli_s)}")
    print(f"restore's check (integrity_check):   {fmt(check_s)}")


if __name__ == "__main__":
    main()
