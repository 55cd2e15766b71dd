"""Summaries from a real store driven through the API: day boundary, storage, CLI."""

from __future__ import annotations

from reports import summary
from tests.helpers import BAR_RE, flask_in_pty, no_progress_artefacts


def one_day(clock, kiosk, counter):
    """A small day driven through the API with the hand clock; returns ticket ids."""
    clock.set("2026-11-30 08:00")
    a = kiosk.take_ticket("hotich")
    clock.set("2026-11-30 08:02")
    b = kiosk.take_ticket("chungthuc")
    clock.set("2026-11-30 08:10")
    assert counter.next(1)["id"] == a["id"]  # wait 600
    counter.post(1, "start")
    clock.set("2026-11-30 08:20")
    assert counter.next(2)["id"] == b["id"]  # wait 1080 > 600 target
    clock.set("2026-11-30 08:21")
    assert counter.post(2, "recall").status_code == 200
    clock.set("2026-11-30 08:22")
    assert counter.post(2, "no-show").status_code == 200
    clock.set("2026-11-30 08:25")
    assert counter.post(1, "transfer", service="chungthuc").status_code == 200
    clock.set("2026-11-30 08:30")
    assert counter.next(2)["id"] == a["id"]  # transferred: called again, no new wait
    clock.set("2026-11-30 08:36")
    assert counter.post(2, "finish").status_code == 200  # service 360 (call -> finish)
    # Just before midnight in Hà Nội (16:50 UTC): still this office day.
    clock.set("2026-11-30 23:50")
    c = kiosk.take_ticket("hotich")
    clock.set("2026-12-01 00:10")
    # Just after midnight: the next office day, even though UTC still says 30 Nov. Its first
    # write expires what the 30th left waiting (c, 20 minutes after issue).
    d = kiosk.take_ticket("hotich")
    return a, b, c, d


def test_day_boundary_and_figures_through_the_api(onestop, clock, kiosk, counter):
    a, b, c, d = one_day(clock, kiosk, counter)
    assert (a["day"], c["day"], d["day"]) == ("2026-11-30", "2026-11-30", "2026-12-01")
    office = onestop.settings.office
    r = summary.compute(onestop.store.reader(), office, "2026-11-30")
    o = r["office"]
    assert (o["issued"], o["served"], o["no_show"], o["transferred"]) == (3, 1, 1, 1)
    assert o["expired"] == 1
    assert (o["wait_avg_s"], o["wait_max_s"], o["service_avg_s"]) == (840, 1080, 360)
    assert o["within_target_pct"] == 33.3  # a in target; b 1080 s > 600; c left after 1200 s
    hours = {m["key"]: m["issued"] for m in r["hours"]}
    assert hours == {"08": 2, "23": 1}
    nxt = summary.compute(onestop.store.reader(), office, "2026-12-01")
    assert nxt["office"]["issued"] == 1 and [m["key"] for m in nxt["hours"]] == ["00"]


def test_today_is_live_and_judges_waiting_tickets(onestop, clock, kiosk):
    clock.set("2026-11-30 09:00")
    kiosk.take_ticket("chungthuc")
    office = onestop.settings.office
    clock.set("2026-11-30 09:05")
    r = summary.daily(onestop.store, office, "2026-11-30", clock())
    assert r["live"] and r["office"]["within_target_pct"] is None
    clock.set("2026-11-30 09:11")  # past the 10-minute target, still waiting
    r = summary.daily(onestop.store, office, "2026-11-30", clock())
    assert r["office"]["within_target_pct"] == 0.0


def test_stored_summary_equals_live_computation(onestop, clock, kiosk, counter, runner):
    one_day(clock, kiosk, counter)
    clock.set("2026-12-02 08:00")
    out = runner.invoke(args=["summarize", "--from", "2026-11-29", "--to", "2026-12-01"])
    assert out.exit_code == 0, out.output
    assert "Summarised 3 day(s)" in out.output
    office = onestop.settings.office
    for day in ("2026-11-29", "2026-11-30", "2026-12-01"):
        live = summary.compute(onestop.store.reader(), office, day)
        saved = summary.load_saved(onestop.store.reader(), day)
        assert {k: v for k, v in saved.items() if k != "computed_at"} == live
        served = summary.daily(onestop.store, office, day, clock())
        assert served["live"] is False and served["office"] == live["office"]
    count = "SELECT COUNT(*) FROM summaries"
    before = onestop.store.reader().execute(count).fetchone()[0]
    assert runner.invoke(args=["summarize", "--date", "2026-11-30"]).exit_code == 0
    assert onestop.store.reader().execute(count).fetchone()[0] == before  # idempotent


def test_summarize_rejects_bad_arguments(runner):
    assert runner.invoke(args=["summarize", "--date", "30/11/2026"]).exit_code != 0
    assert runner.invoke(args=["summarize", "--date", "2026-11-30", "--from", "2026-11-01"]).exit_code != 0  # fmt: skip
    assert runner.invoke(args=["summarize", "--to", "2026-11-01"]).exit_code != 0
    assert runner.invoke(args=["summarize", "--from", "2026-12-01", "--to", "2026-11-01"]).exit_code != 0  # fmt: skip


def test_summarize_defaults_to_today_and_handles_an_empty_day(onestop, runner, clock):
    out = runner.invoke(args=["summarize"])
    assert out.exit_code == 0 and "2026-11-30" in out.output
    saved = summary.load_saved(onestop.store.reader(), "2026-11-30")
    assert saved["office"]["issued"] == 0 and saved["services"] == []


def test_summarize_reports_progress_per_day(onestop, clock, kiosk, counter):
    one_day(clock, kiosk, counter)
    calls = []
    days = ("2026-11-29", "2026-11-30", "2026-12-01")
    n = summary.summarize(onestop.store, onestop.settings.office, iter(days),
                          progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    assert n == 3 and calls == [(1, 3), (2, 3), (3, 3)]


def test_summarize_off_a_terminal_prints_only_its_summary_line(onestop, runner, clock):
    # CliRunner's streams are not terminals, like the journal of onestop-summary.service.
    out = runner.invoke(args=["summarize", "--from", "2026-11-28", "--to", "2026-11-30"])
    assert out.exit_code == 0, out.output
    assert no_progress_artefacts(out.output)
    lines = out.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Summarised 3 day(s) (2026-11-28 .. 2026-11-30)")


def test_summarize_draws_a_bar_on_a_terminal(tmp_path):
    rc, screen = flask_in_pty(tmp_path / "data", "summarize", "--from", "2026-11-28",
                              "--to", "2026-11-30")  # fmt: skip
    assert rc == 0, screen
    assert BAR_RE.search(screen) and "Summarising" in screen and "3/3" in screen
    assert "Summarised 3 day(s)" in screen


def test_trend_and_staffing(onestop, clock, kiosk, counter):
    office = onestop.settings.office
    for day in ("2026-11-16", "2026-11-23"):  # two Mondays before the 30th
        clock.set(f"{day} 08:00")
        kiosk.take_ticket("hotich")
        clock.set(f"{day} 08:05")
        counter.next(1)
        clock.set(f"{day} 08:15")
        counter.post(1, "finish")
    clock.set("2026-11-30 08:30")
    kiosk.take_ticket("hotich")
    counter.next(1)
    summary.summarize(onestop.store, office, ["2026-11-16"])  # one stored, one live
    t = summary.trend(onestop.store, office, "2026-11-30", clock(), 30)
    assert [r["date"] for r in t] == ["2026-11-16", "2026-11-23", "2026-11-30"]
    assert [r["served"] for r in t] == [1, 1, 0]
    s = summary.staffing_hint(onestop.store, office, "2026-11-30", clock(), 80)
    assert s["same_weekday"] and s["basis_days"] == ["2026-11-23", "2026-11-16"]
    hours = {h["hour"]: h for h in s["hours"]}
    assert hours["08"]["arrivals"] == 1.0 and hours["08"]["needed"] == 1
    assert hours["08"]["actual"] == 1  # counter 1 is holding a ticket at 08:30 today
