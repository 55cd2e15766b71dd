"""Province hub: a procedure compared across offices over a year, the device board, downloads.

A throw-away PostgreSQL 15 cluster and the hub under gunicorn (bench/hub_scale.py's). The
daily roll-up is filled by COPY with offices x 365 rows, each holding a real DailyReport
(core.stats.compute_day of a synthetic day of 150 tickets over 5 procedures and 4 counters,
about the size an office's report has) and its five procedure rows; every office reports 6 kiosks and screens and its
health. Then p50/p95 of --queries requests each:

1. GET /api/procedures/hotich over the year (sums the per-procedure roll-ups kept at
   ingest: whole months from `monthly_services`, loose days from `daily_services`);
2. the same as XLSX;
3. GET /api/devices;
4. the league table over the year as XLSX.

    .venv/bin/python bench/hub_compare.py [--offices 10,100] [--queries 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.hub_scale import FIRST_DAY, enrol, fresh, office_day_events, timed_get  # noqa: E402
from core import stats  # noqa: E402
from core.timeutil import day_bounds  # noqa: E402
from hub.localpg import LocalPostgres  # noqa: E402
from hub.rollup import COUNTS, FIGURES, RATINGS, refresh_months, refresh_service_months  # noqa: E402

SERVICES = ("hotich", "chungthuc", "datdai", "ldtbxh", "tuphap")
LAST_DAY = dt.date(2026, 11, 30)


def template_report() -> dict:
    """A real report of one synthetic office day spread over five procedures."""
    import random

    events = office_day_events(0, 150, random.Random(7))
    for e in events:
        e[5] = SERVICES[int(e[4], 16) % len(SERVICES)]
    start, _ = day_bounds(FIRST_DAY, ZoneInfo("Asia/Ho_Chi_Minh"), 0)
    targets = dict.fromkeys(SERVICES, 900)
    return stats.compute_day([tuple(e) for e in events], targets, start, 0, None)


def fill(db_url: str, codes: list[str], report: dict) -> int:
    """offices x 365 daily rows holding `report`; returns the report's size in bytes."""
    text = json.dumps(report)
    o = report["office"]
    days = [LAST_DAY - dt.timedelta(days=i) for i in range(365)]
    targets = json.dumps(dict.fromkeys(SERVICES, 900))
    devices = json.dumps([{"kind": k, "name": f"{k}-{i}", "connected": i != 2, "fault": i == 2,
                           "last_seen": "2026-11-30T09:00:00+07:00"}
                          for k in ("kiosk", "display") for i in range(3)])  # fmt: skip
    health = json.dumps({"printer": {"status": "ok", "type": "usb"}, "voice": {"status": "ok"},
                         "clock": {"status": "ok", "steps": []}})  # fmt: skip
    with psycopg.connect(db_url) as conn:
        conn.execute("UPDATE offices SET targets = %s, devices = %s, health = %s, "
                     "last_contact = now()", (targets, devices, health))  # fmt: skip
        cols = ("office, day, report, last_event_id, issued, served, no_show, cancelled, expired, "
                "transferred, wait_avg_s, wait_p50_s, wait_p90_s, service_avg_s, "
                "within_target_pct, wait_max_s, r1, r2, r3, r4")  # fmt: skip
        with conn.cursor().copy(f"COPY daily ({cols}) FROM STDIN") as cp:
            for code in codes:
                for d in days:
                    cp.write_row((code, d, text, 1, o["issued"], o["served"], o["no_show"],
                                  o["cancelled"], o["expired"], o["transferred"], o["wait_avg_s"],
                                  o["wait_p50_s"], o["wait_p90_s"], o["service_avg_s"],
                                  o["within_target_pct"], o["wait_max_s"],
                                  *(o["ratings"][r] for r in "1234")))  # fmt: skip
        scols = ", ".join((*COUNTS, *FIGURES, "wait_max_s", *RATINGS))
        with conn.cursor().copy(
            f"COPY daily_services (office, day, service, {scols}) FROM STDIN"
        ) as cp:
            for code in codes:
                for d in days:
                    for m in report["services"]:
                        cp.write_row((code, d, m["key"], *(m[c] for c in (*COUNTS, *FIGURES, "wait_max_s")),
                                      *(m["ratings"][r[1]] for r in RATINGS)))  # fmt: skip
        refresh_months(conn)
        refresh_service_months(conn)
        conn.execute("ANALYZE daily")
        conn.execute("ANALYZE daily_services")
    return len(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--offices", default="10,100")
    ap.add_argument("--queries", type=int, default=20)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="onestop-hub-compare-"))
    root.chmod(0o755)
    report = template_report()
    pg = LocalPostgres(root / "pg").init().start()
    year = "from=2025-12-01&to=2026-11-30"
    print(
        f"cores: {os.cpu_count()}; PostgreSQL 15 local cluster; hub: gunicorn 1 worker x 8 threads"
    )
    rows = []
    try:
        for n in [int(x) for x in args.offices.split(",")]:
            hub = fresh(pg, f"compare_{n}", root)
            try:
                codes = list(enrol(hub, n))
                size = fill(hub.db_url, codes, report)
                hub.cli(
                    "user", "add", "tinh", "--role", "province_viewer", "--password", "secret123"
                )
                auth = {"Authorization": "Bearer " + hub.cli("user", "token", "tinh")}
                q = args.queries
                got = {
                    "procedure": timed_get(f"{hub.url}/api/procedures/hotich?{year}", auth, q),
                    "procedure_xlsx": timed_get(f"{hub.url}/api/procedures/hotich?{year}&format=xlsx", auth, q),
                    "devices": timed_get(f"{hub.url}/api/devices", auth, q),
                    "league_xlsx": timed_get(f"{hub.url}/api/offices?{year}&format=xlsx", auth, q),
                }  # fmt: skip
            finally:
                hub.stop()
            rows.append((n, got))
            print(f"{n} offices x 365 days (report {size:,} bytes): "
                  + "; ".join(f"{k} p50 {v[0]:.1f} ms p95 {v[1]:.1f} ms" for k, v in got.items()),
                  flush=True)  # fmt: skip
        print(f"\np50 / p95 of {args.queries} requests (ms)")
        print("| offices | procedure, 365 days | as XLSX | device board | league as XLSX |")
        print("|---|---|---|---|---|")
        for n, got in rows:
            print(f"| {n} | " + " | ".join(f"{v[0]:.1f} / {v[1]:.1f}" for v in got.values()) + " |")
    finally:
        pg.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
