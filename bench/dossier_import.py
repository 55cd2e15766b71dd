"""A province status file of 5,000 rows through POST /api/dossiers/import, and two refused.

    .venv/bin/python bench/dossier_import.py [--rows 5000] [--runs 3]

A real gunicorn server (tests/helpers.py LiveServer) on a real SQLite file in a fresh data
dir. `--rows` dossiers are written by direct inserts first (not measured). Each request is
timed from send to answer; every run posts the file as CSV, XLSX and JSON, the statuses
alternating ready / in_progress so each request changes every row (one UPDATE and one
event per row, in one transaction). Then two files are refused: one malformed (an unknown
status word at line 4,001 of the CSV) and one with a forbidden step in its last row; the
dossiers table and the event log are compared before and after each. Prints medians.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core.dossier_import import XLSX_TYPE  # noqa: E402
from tests.helpers import LiveServer  # noqa: E402

WORDS = {"ready": "Đã có kết quả", "in_progress": "Đang xử lý"}


def csv_file(codes, status) -> bytes:
    lines = ["Mã hồ sơ;Trạng thái;Thời gian"]
    lines += [f"{c};{WORDS[status]};30/11/2026 14:05" for c in codes]
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


def xlsx_file(codes, status) -> bytes:
    book = Workbook()
    book.active.append(["ma_ho_so", "trang_thai"])
    for c in codes:
        book.active.append([c, WORDS[status]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def json_file(codes, status) -> bytes:
    return json.dumps({"rows": [{"code": c, "status": status} for c in codes]}).encode()


FORMATS = {"csv": ("text/csv", csv_file), "xlsx": (XLSX_TYPE, xlsx_file),
           "json": ("application/json", json_file)}  # fmt: skip


def fingerprint(db: Path) -> tuple[str, int]:
    """A hash of every dossier row and the number of events: what a refusal must not touch."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT * FROM dossiers ORDER BY code").fetchall()
        events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    finally:
        conn.close()
    return hashlib.sha256(repr(rows).encode()).hexdigest(), events


def seed(db: Path, codes: list[str]) -> None:
    conn = sqlite3.connect(db, timeout=30)
    day = time.strftime("%Y-%m-%d")
    with conn:
        conn.executemany(
            "INSERT INTO dossiers (code, day, service, status, due, received_at)"
            " VALUES (?, ?, 'hotich', 'received', '2027-01-15', ?)",
            [(c, day, time.time()) for c in codes],
        )
    conn.close()


def post(url, token, mimetype, data) -> tuple[float, requests.Response]:
    t0 = time.perf_counter()
    r = requests.post(url, data=data, timeout=120,
                      headers={"Authorization": f"Bearer {token}", "Content-Type": mimetype})  # fmt: skip
    return time.perf_counter() - t0, r


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=5000)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    codes = [f"HS-2026-{i:07d}" for i in range(args.rows)]
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp) / "live").start()
        try:
            token = server.token("bench", "supervisor")
            db = server.data_dir / "onestop.db"
            seed(db, codes)
            url = server.url + "/api/dossiers/import"
            times: dict[str, list[float]] = {f: [] for f in FORMATS}
            sizes, n = {}, 0
            for _ in range(args.runs):
                for fmt, (mimetype, make) in FORMATS.items():
                    status = "ready" if n % 2 == 0 else "in_progress"
                    n += 1
                    data = make(codes, status)
                    sizes[fmt] = len(data)
                    took, r = post(url, token, mimetype, data)
                    assert r.status_code == 200 and r.json()["applied"] == args.rows, r.text[:300]
                    times[fmt].append(took)
            status = "ready" if n % 2 == 0 else "in_progress"
            bad = csv_file(codes, status).decode().splitlines()
            bad[min(4000, len(bad) - 1)] = f"{codes[3999 % args.rows]};Đã xong"
            refusals = []
            for data, mimetype, expect in (
                (("\n".join(bad) + "\n").encode(), "text/csv", 400),
                (json_file(codes[:-1], status)[:-2] + b', {"code": "%s", "status": "received"}]}'
                 % codes[-1].encode(), "application/json", 409),
            ):  # fmt: skip
                before = fingerprint(db)
                took, r = post(url, token, mimetype, data)
                err = r.json()["error"]
                assert r.status_code == expect and err["code"] == "bad_row", r.text[:300]
                assert fingerprint(db) == before, "a refused file changed the database"
                refusals.append((took, err))
        finally:
            server.stop()
    print(f"rows per file: {args.rows}, runs: {args.runs}, requests applied: {n}")
    for fmt, values in times.items():
        med = statistics.median(values)
        print(f"import {fmt:4} ({sizes[fmt] / 1024:.0f} KB), median of {len(values)}: "
              f"{med * 1000:.0f} ms ({args.rows / med:.0f} rows/s); runs: "
              + ", ".join(f"{v * 1000:.0f}" for v in values) + " ms")  # fmt: skip
    for took, err in refusals:
        print(f"refused ({err['reason']} at row {err['row']}) in {took * 1000:.0f} ms, "
              f"database unchanged: {err['message']}")  # fmt: skip


if __name__ == "__main__":
    main()
