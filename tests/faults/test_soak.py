"""Soak: a compressed busy day (bench/soak.py's BusyDay) with no error, no growth, no leak."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from bench.soak import run_soak
from tests.faults.tools import DisplayModel, display_client, proc_figures, wait_for, worker_pid
from tests.helpers import LiveServer

pytestmark = pytest.mark.slow

SECONDS = 30
RSS_GROWTH_KB = 20 * 1024  # after warm-up; a leak of a few KiB per request would exceed it
RSS_MAX_KB = 150 * 1024
CHURN = 20  # screen connections in the come-and-go test


def churn_screens(server: LiveServer, out: dict) -> None:
    """Flaky lobby Wi-Fi: a screen connects and drops CHURN times in a row."""
    pid = worker_pid(server.proc.pid)
    requests.post(server.url + "/api/tickets", json={"service": "khac"}, timeout=5)
    out["start"] = proc_figures(pid)
    for _ in range(CHURN):
        model = DisplayModel()
        sio = display_client(server.url, model)
        assert wait_for(lambda m=model: m.snapshots >= 1)
        sio.disconnect()
    out["peak"] = proc_figures(pid)
    out["done_at"] = time.monotonic()


def test_busy_day_soak(tmp_path, figures):
    """A busy day on one server while, on another, screens come and go (both ~30 s at once).

    engine.io keeps a ping thread up to ping_interval (25 s) after a disconnect, so the churn
    server is checked after the soak; a leak would keep a thread or fd per connection.
    """
    server = LiveServer(tmp_path / "live").start()
    flaky = LiveServer(tmp_path / "flaky").start()
    churn: dict = {}
    churner = threading.Thread(target=churn_screens, args=(flaky, churn))
    try:
        churner.start()
        res = run_soak(server, SECONDS, sample_every=1.0, log=lambda *_: None)
        churner.join(30)
        flaky_pid = worker_pid(flaky.proc.pid)
        settled = wait_for(
            lambda: proc_figures(flaky_pid)["threads"] <= churn["start"]["threads"] + 6,
            timeout=max(5.0, churn["done_at"] + 35 - time.monotonic()),
            interval=0.5,
        )
        churn["end"] = proc_figures(flaky_pid)
    finally:
        server.stop()
        flaky.stop()
    samples = res["samples"]
    warm = samples[len(samples) // 4]  # pools and caches are filled by then
    last = samples[-1]
    counts = res["counts"]
    figures(
        "soak (test_soak.py)",
        seconds=SECONDS,
        requests=sum(counts.values()),
        tickets=counts.get("issue", 0),
        served=counts.get("finish", 0),
        no_shows=counts.get("no_show", 0),
        transfers=counts.get("transfer", 0),
        errors=len(res["errors"]),
        rss_start_mib=round(samples[0]["rss_kb"] / 1024, 1),
        rss_end_mib=round(last["rss_kb"] / 1024, 1),
        threads_warm_end=(warm["threads"], last["threads"]),
        fds_warm_end=(warm["fds"], last["fds"]),
        idle_fds_after=res["idle_end"]["fds"],
    )
    start, peak, end = churn["start"], churn["peak"], churn["end"]
    figures(
        "screens come and go (test_soak.py)",
        connections=CHURN,
        threads_start_peak_end=(start["threads"], peak["threads"], end["threads"]),
        fds_start_peak_end=(start["fds"], peak["fds"], end["fds"]),
    )
    assert not res["errors"], res["errors"][:10]
    assert counts["issue"] > 100 and counts["finish"] > 50 and counts.get("transfer", 0) > 0
    assert res["display_ok"], "the display did not end equal to /api/queue"
    assert last["rss_kb"] - warm["rss_kb"] < RSS_GROWTH_KB, samples
    assert max(s["rss_kb"] for s in samples) < RSS_MAX_KB
    assert last["threads"] <= warm["threads"] + 4, samples
    assert last["fds"] <= warm["fds"] + 12, samples  # a new pool thread opens its own reader
    assert res["idle_end"]["fds"] <= last["fds"], "connections left open after clients left"
    assert settled, churn
    assert end["fds"] <= start["fds"] + 6, churn
    assert end["rss_kb"] - start["rss_kb"] < 8 * 1024, churn
