"""Soak: a compressed busy day (bench/soak.py's BusyDay) with no error, no growth, no leak."""

from __future__ import annotations

import pytest

from bench.soak import run_soak
from tests.helpers import LiveServer

pytestmark = pytest.mark.slow

SECONDS = 30
RSS_GROWTH_KB = 20 * 1024  # after warm-up; a leak of a few KiB per request would exceed it
RSS_MAX_KB = 150 * 1024


def test_busy_day_soak(tmp_path, figures):
    server = LiveServer(tmp_path / "live").start()
    try:
        res = run_soak(server, SECONDS, sample_every=1.0, log=lambda *_: None)
    finally:
        server.stop()
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
    assert not res["errors"], res["errors"][:10]
    assert counts["issue"] > 100 and counts["finish"] > 50 and counts.get("transfer", 0) > 0
    assert res["display_ok"], "the display did not end equal to /api/queue"
    assert last["rss_kb"] - warm["rss_kb"] < RSS_GROWTH_KB, samples
    assert max(s["rss_kb"] for s in samples) < RSS_MAX_KB
    assert last["threads"] <= warm["threads"] + 4, samples
    assert last["fds"] <= warm["fds"] + 12, samples  # a new pool thread opens its own reader
    assert res["idle_end"]["fds"] <= last["fds"], "connections left open after clients left"
