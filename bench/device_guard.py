"""What enrolment costs a kiosk and what it leaves an anonymous script on the hall's Wi-Fi.

A real gunicorn server (behind_proxy on, the hall's address sent as nginx would in
X-Real-IP). One keep-alive connection each: the server machine's own browser (anonymous,
127.0.0.1), an enrolled kiosk by Bearer token, an enrolled kiosk browser by cookie, and an
anonymous script from 10.0.0.9. Prints medians over --runs runs of --n requests each.

    .venv/bin/python bench/device_guard.py [--runs 3] [--n 300]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.helpers import LiveServer  # noqa: E402

BODY = json.dumps({"service": "khac"})
HALL = {"X-Real-IP": "10.0.0.9"}


def run(port: int, n: int, headers: dict) -> tuple[list[float], dict[int, int]]:
    """n POST /api/tickets on one connection: latencies (ms) and a count per status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    lat, statuses = [], {}
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("POST", "/api/tickets", body=BODY,
                     headers={"Content-Type": "application/json", **headers})  # fmt: skip
        resp = conn.getresponse()
        resp.read()
        lat.append((time.perf_counter() - t0) * 1000)
        statuses[resp.status] = statuses.get(resp.status, 0) + 1
    conn.close()
    return lat, statuses


def one_run(n: int) -> dict[str, tuple[float, dict]]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"ONESTOP_SECURITY_BEHIND_PROXY": "true", "ONESTOP_PRINTER_TYPE": "none"}
        server = LiveServer(Path(tmp) / "live", env=env).start(threads=16)
        try:
            token = server.flask("device", "add", "kiosk-1", "--kind", "kiosk").splitlines()[-1]
            enrol = requests.get(f"{server.url}/devices/enrol?token={token}",
                                 allow_redirects=False, timeout=5)  # fmt: skip
            cookie = enrol.headers["Set-Cookie"].split(";")[0]
            modes = {
                "server machine (anonymous)": {},
                "kiosk by token": {"Authorization": f"Bearer {token}", **HALL},
                "kiosk browser by cookie": {"Cookie": cookie, "X-Onestop-Device": "1", **HALL},
                "anonymous script on the Wi-Fi": HALL,
            }
            out = {}
            for name, headers in modes.items():
                lat, statuses = run(server.port, n, headers)
                out[name] = (statistics.median(lat), statuses)
            return out
        finally:
            server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    runs = [one_run(args.n) for _ in range(args.runs)]
    print(f"POST /api/tickets, {args.n} requests x {args.runs} runs, one connection each")
    for name in runs[0]:
        median = statistics.median(r[name][0] for r in runs)
        print(f"  {name:<32} median {median:6.2f} ms   statuses {runs[-1][name][1]}")


if __name__ == "__main__":
    main()
