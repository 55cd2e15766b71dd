"""`flask demo simulate`: a realistic, seeded history through QueueService, then summaries."""

from __future__ import annotations

import json

import pytest

from reports import simulate, summary
from tests.helpers import BAR_RE, at, flask_in_pty, no_progress_artefacts


@pytest.mark.slow
def test_simulate_fills_and_summarises(onestop, runner):
    out = runner.invoke(args=["demo", "simulate", "--days", "7", "--seed", "5",
                              "--until", "2026-11-27 10:30"])  # fmt: skip
    assert out.exit_code == 0, out.output
    conn = onestop.store.reader()
    days = [r[0] for r in conn.execute("SELECT DISTINCT day FROM events ORDER BY day")]
    # Fri 20 .. Thu 26 full (no Sunday), Fri 27 until 10:30.
    assert days == ["2026-11-20", "2026-11-21", "2026-11-23", "2026-11-24", "2026-11-25",
                    "2026-11-26", "2026-11-27"]  # fmt: skip
    stored = [r[0] for r in conn.execute("SELECT DISTINCT day FROM summaries ORDER BY day")]
    assert stored == days[:-1]  # today stays live
    types = {r[0] for r in conn.execute("SELECT DISTINCT type FROM events")}
    assert {"issued", "called", "recalled", "started", "finished", "no_show", "rated"} <= types
    # Nothing later than the hand clock's "now", nothing faked in SQL: times rise with ids.
    last = conn.execute("SELECT MAX(at) FROM events").fetchone()[0]
    assert last <= at("2026-11-27 10:30")
    ats = [r[0] for r in conn.execute("SELECT at FROM events ORDER BY id")]
    assert ats == sorted(ats)

    ratings = {"1": 0, "2": 0, "3": 0, "4": 0}
    peaks = []
    for day in days[:-1]:
        r = summary.load_saved(conn, day)
        for k, v in r["office"]["ratings"].items():
            ratings[k] += v
        peaks.append(r["day"]["peak_hour"])
        assert r["office"]["issued"] > 20
        assert r["office"]["served"] >= 0.8 * r["office"]["issued"]
    assert (ratings["3"] + ratings["4"]) / sum(ratings.values()) > 0.8  # mostly satisfied
    assert all(p in ("07", "08", "09", "10", "14", "15") for p in peaks)  # morning/afternoon peaks
    saturday = summary.load_saved(conn, "2026-11-21")
    assert [m["key"] for m in saturday["services"]] == ["hotich"]  # only civil status opens

    live = summary.daily(
        onestop.store, onestop.settings.office, "2026-11-27", at("2026-11-27 10:30")
    )
    assert live["live"] and live["office"]["issued"] > 0

    again = runner.invoke(args=["demo", "simulate", "--days", "2", "--until", "2026-11-27 10:30"])
    assert again.exit_code != 0 and "fresh" in again.output  # never mixes into real data


def test_simulate_is_seeded(tmp_path, clock, config):
    from server.app import create_app

    counts = []
    for i in range(2):
        app = create_app({"DATA_DIR": tmp_path / f"d{i}", "CONFIG": config, "CLOCK": clock})
        out = app.test_cli_runner().invoke(
            args=["demo", "simulate", "--days", "1", "--seed", "11", "--until", "2026-11-25 12:00"]
        )
        assert out.exit_code == 0, out.output
        store = app.extensions["onestop"].store
        rows = store.reader().execute("SELECT type, service, counter FROM events ORDER BY id")
        counts.append(json.dumps([tuple(r) for r in rows]))
        store.close()
    assert counts[0] == counts[1]


def test_simulate_rejects_bad_until(runner):
    out = runner.invoke(args=["demo", "simulate", "--until", "tomorrow"])
    assert out.exit_code != 0


def test_simulate_reports_progress_per_calendar_day(onestop):
    calls = []
    simulate.run(onestop.store, onestop.settings.office, days=2, seed=3,
                 until=at("2026-11-27 10:30"), scale=0.1,
                 progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    assert calls == [(1, 3), (2, 3), (3, 3)]  # 25, 26 and today, the 27th


def test_simulate_off_a_terminal_prints_only_its_summary_lines(runner):
    out = runner.invoke(args=["demo", "simulate", "--days", "3", "--scale", "0.1",
                              "--until", "2026-11-27 10:30"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert no_progress_artefacts(out.output)
    lines = out.output.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("Simulated 4 office day(s)") and lines[1] == "Summarised 3 day(s)."


def test_simulate_draws_a_bar_on_a_terminal(tmp_path):
    rc, screen = flask_in_pty(tmp_path / "data", "demo", "simulate", "--days", "3",
                              "--scale", "0.1", "--until", "2026-11-27 10:30")  # fmt: skip
    assert rc == 0, screen
    assert BAR_RE.search(screen) and "Simulating days" in screen and "4/4" in screen
    assert "Summarising" in screen and "3/3" in screen  # the three full days' summaries
    assert "Simulated 4 office day(s)" in screen and "Summarised 3 day(s)." in screen
