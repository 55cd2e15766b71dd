"""core.stats against a small day computed by hand, an empty day, and properties."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import stats
from core.timeutil import day_bounds
from tests.helpers import TZ, at

DAY = "2026-11-30"
START, _ = day_bounds(DAY, TZ)
TARGETS = {"hotich": 900, "chungthuc": 600}


def build(rows):
    """Event rows as the store holds them (ids in log order, data as JSON text)."""
    out = []
    for i, (when, kind, tid, service, counter, clerk, data) in enumerate(rows, 1):
        out.append(
            {
                "id": i,
                "at": at(when),
                "day": DAY,
                "type": kind,
                "ticket_id": tid,
                "service": service,
                "counter": counter,
                "clerk": clerk,
                "data": json.dumps(data) if data is not None else None,
            }
        )
    return out


# T1 served normally and rated 4; T2 recalled twice then no-show; T3 transferred from
# chungthuc to hotich and served without Start, rated 2; T4 never called, expired at
# closing; T5 issued just before midnight and served after it (same office day).
EVENTS = build(
    [
        ("2026-11-30 08:00:00", "issued", "T1", "hotich", None, None, {"estimated_wait_s": 300}),
        ("2026-11-30 08:05:00", "issued", "T2", "hotich", None, None, {"estimated_wait_s": 600}),
        ("2026-11-30 08:10:00", "called", "T1", "hotich", 1, "hoa", None),
        ("2026-11-30 08:11:00", "started", "T1", "hotich", 1, "hoa", None),
        ("2026-11-30 08:20:00", "issued", "T3", "chungthuc", None, None, {"estimated_wait_s": 0}),
        ("2026-11-30 08:21:00", "finished", "T1", "hotich", 1, "hoa", None),
        ("2026-11-30 08:21:30", "rated", "T1", "hotich", 1, "hoa", {"rating": 4}),
        ("2026-11-30 08:22:00", "called", "T3", "chungthuc", 2, "minh", None),
        ("2026-11-30 08:23:00", "started", "T3", "chungthuc", 2, "minh", None),
        ("2026-11-30 08:25:00", "transferred", "T3", "chungthuc", 2, "minh", {"to": "hotich"}),
        ("2026-11-30 08:30:00", "called", "T2", "hotich", 1, "hoa", None),
        ("2026-11-30 08:31:00", "recalled", "T2", "hotich", 1, "hoa", None),
        ("2026-11-30 08:32:00", "recalled", "T2", "hotich", 1, "hoa", None),
        ("2026-11-30 08:33:00", "no_show", "T2", "hotich", 1, "hoa", None),
        ("2026-11-30 08:40:00", "called", "T3", "hotich", 1, "hoa", None),
        ("2026-11-30 08:52:00", "finished", "T3", "hotich", 1, "hoa", None),
        ("2026-11-30 08:53:00", "rated", "T3", "hotich", 1, "hoa", {"rating": 2}),
        ("2026-11-30 09:00:00", "issued", "T4", "chungthuc", None, None, {"estimated_wait_s": 200}),
        ("2026-11-30 09:00:00", "counter_paused", None, None, 1, "hoa", None),
        ("2026-11-30 09:00:05", "print_failed", "T4", "chungthuc", None, None, {"error": "x"}),
        ("2026-11-30 10:00:00", "counter_resumed", None, None, 1, "hoa", None),
        ("2026-11-30 17:30:00", "expired", "T4", "chungthuc", None, None, {"previous": "waiting"}),
        ("2026-11-30 23:50:00", "issued", "T5", "hotich", None, None, {"estimated_wait_s": 0}),
        ("2026-12-01 00:05:00", "called", "T5", "hotich", 1, "hoa", None),
        ("2026-12-01 00:12:00", "finished", "T5", "hotich", 1, "hoa", None),
    ]
)


def report():
    return stats.compute_day(EVENTS, TARGETS, START)


def by_key(rows):
    return {m["key"]: m for m in rows}


def test_office_figures_match_hand_computation():
    o = report()["office"]
    assert o == {
        "issued": 5, "served": 3, "no_show": 1, "cancelled": 0, "expired": 1, "transferred": 1,
        # waits 600, 1500, 120, 900 (T4 never called)
        "wait_avg_s": 780, "wait_p50_s": 750, "wait_p90_s": 1320, "wait_max_s": 1500,
        # services 600 (start->finish), 720 (last call->finish, no start), 420
        "service_avg_s": 580, "service_p50_s": 600, "service_p90_s": 696,
        # within target: T1, T3, T5 (900 <= 900) of 5; T4 expired after its target
        "within_target_pct": 60.0,
        "ratings": {"1": 0, "2": 1, "3": 0, "4": 1}, "satisfied_pct": 50.0,
        # |300-600|, |600-1500|, |0-120|, |0-900|
        "estimate_mae_s": 555,
    }  # fmt: skip


def test_services_split_arrival_and_completion_figures():
    s = by_key(report()["services"])
    assert set(s) == {"hotich", "chungthuc"}
    h, c = s["hotich"], s["chungthuc"]
    assert (h["issued"], h["served"], h["no_show"], h["transferred"]) == (3, 3, 1, 0)
    assert (h["wait_avg_s"], h["wait_max_s"], h["within_target_pct"]) == (1000, 1500, 66.7)
    assert (h["service_avg_s"], h["satisfied_pct"]) == (580, 50.0)
    assert (c["issued"], c["served"], c["transferred"], c["expired"]) == (2, 0, 1, 1)
    assert (c["wait_avg_s"], c["within_target_pct"], c["satisfied_pct"]) == (120, 50.0, None)
    assert c["service_avg_s"] is None


def test_counters_and_clerks():
    r = report()
    counters, clerks = by_key(r["counters"]), by_key(r["clerks"])
    assert set(counters) == {"1", "2"} and set(clerks) == {"hoa", "minh"}
    for one, two in ((counters["1"], clerks["hoa"]), (counters["2"], clerks["minh"])):
        assert one == {**two, "key": one["key"]}
    c1, c2 = counters["1"], counters["2"]
    assert (c1["issued"], c1["served"], c1["no_show"], c1["transferred"]) == (3, 3, 1, 0)
    assert (c2["issued"], c2["served"], c2["transferred"]) == (1, 0, 1)
    assert c2["wait_avg_s"] == 120


def test_hours_use_issue_hour_for_arrivals_and_finish_hour_for_served():
    hours = by_key(report()["hours"])
    assert set(hours) == {"08", "09", "23", "24"}  # 24: after midnight, same office day
    assert (hours["08"]["issued"], hours["08"]["served"], hours["08"]["no_show"]) == (3, 2, 1)
    assert (hours["09"]["issued"], hours["09"]["expired"]) == (1, 1)
    assert (hours["23"]["issued"], hours["23"]["served"], hours["23"]["wait_avg_s"]) == (1, 0, 900)
    assert (hours["24"]["issued"], hours["24"]["served"], hours["24"]["service_avg_s"]) == (
        0,
        1,
        420,
    )


def test_day_figures():
    d = report()["day"]
    assert d["peak_hour"] == "08" and d["peak_hour_issued"] == 3
    assert d["longest_queue"] == 2 and d["longest_queue_at"] == at("2026-11-30 08:05")
    util = {u["counter"]: u for u in d["utilisation"]}
    # Counter 1 held tickets 660 + 180 + 720 + 420 s between 08:10 and 00:12, paused 1 h.
    assert util[1]["busy_s"] == 1980
    assert util[1]["open_s"] == (16 * 3600 + 2 * 60) - 3600
    assert util[1]["utilisation_pct"] == round(100 * 1980 / 54120, 1)
    assert (util[2]["busy_s"], util[2]["open_s"], util[2]["utilisation_pct"]) == (180, 180, 100.0)
    assert d["counters_per_hour"] == {"08": 2, "24": 1}


def test_day_with_no_tickets():
    r = stats.compute_day([], TARGETS, START)
    assert r["office"]["issued"] == 0 and r["office"]["wait_avg_s"] is None
    assert r["office"]["ratings"] == {"1": 0, "2": 0, "3": 0, "4": 0}
    assert r["office"]["within_target_pct"] is None and r["office"]["satisfied_pct"] is None
    assert all(r[s] == [] for s in stats.SCOPES)
    assert r["day"]["peak_hour"] is None and r["day"]["longest_queue"] == 0
    assert r["day"]["utilisation"] == []


def test_still_waiting_counts_as_missed_only_once_past_target():
    events = build(
        [("2026-11-30 08:00:00", "issued", "W", "chungthuc", None, None, {"estimated_wait_s": 0})]
    )
    early = stats.compute_day(events, TARGETS, START, now=at("2026-11-30 08:05"))
    late = stats.compute_day(events, TARGETS, START, now=at("2026-11-30 08:11"))
    assert early["office"]["within_target_pct"] is None
    assert late["office"]["within_target_pct"] == 0.0


def test_ticket_times_match_the_summary():
    times = stats.ticket_times(EVENTS)
    assert times["T1"] == (600, 600) and times["T3"] == (120, 720)
    assert times["T2"] == (1500, None) and times["T4"] == (None, None)


def test_percentile_interpolates():
    assert stats.percentile([], 50) is None
    assert stats.percentile([7], 90) == 7
    assert stats.percentile([1, 2, 3, 4], 50) == 2.5
    assert stats.percentile([0, 10], 90) == 9


@st.composite
def day_logs(draw):
    """Random but legal ticket lives, in time order, as event rows."""
    rows = []
    n = draw(st.integers(0, 12))
    for i in range(n):
        tid = f"T{i}"
        service = draw(st.sampled_from(["hotich", "chungthuc", "khac"]))
        t = draw(st.integers(7 * 3600, 16 * 3600))
        est = draw(st.integers(0, 3600))
        rows.append((t, "issued", tid, service, None, None, {"estimated_wait_s": est}))
        fate = draw(st.sampled_from(["done", "no_show", "expired", "transfer_done", "waiting"]))
        if fate in ("expired",):
            rows.append((t + draw(st.integers(1, 9999)), "expired", tid, service, None, None, {}))
            continue
        if fate == "waiting":
            continue
        counter = draw(st.integers(1, 3))
        t += draw(st.integers(0, 5000))
        rows.append((t, "called", tid, service, counter, f"c{counter}", None))
        if fate == "no_show":
            rows.append((t + 60, "recalled", tid, service, counter, f"c{counter}", None))
            rows.append((t + 120, "no_show", tid, service, counter, f"c{counter}", None))
            continue
        if fate == "transfer_done":
            rows.append((t + 30, "transferred", tid, service, counter, f"c{counter}", {}))
            service = "khac"
            t += draw(st.integers(31, 2000))
            rows.append((t, "called", tid, service, counter, f"c{counter}", None))
        t += draw(st.integers(0, 3000))
        rows.append((t, "finished", tid, service, counter, f"c{counter}", None))
        if draw(st.booleans()):
            rating = draw(st.integers(1, 4))
            rows.append((t + 5, "rated", tid, service, counter, f"c{counter}", {"rating": rating}))
    rows.sort(key=lambda r: r[0])
    return [
        {"id": i, "at": START + r[0], "day": DAY, "type": r[1], "ticket_id": r[2],
         "service": r[3], "counter": r[4], "clerk": r[5], "data": json.dumps(r[6])}
        for i, r in enumerate(rows, 1)
    ]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day_logs())
def test_breakdowns_add_up_to_the_office(events):
    r = stats.compute_day(events, TARGETS, START)
    o = r["office"]
    for key in ("issued", "served", "no_show", "expired", "transferred"):
        assert sum(m[key] for m in r["services"]) == o[key]
        assert sum(m[key] for m in r["hours"]) == o[key]
    assert sum(m["served"] for m in r["counters"]) == o["served"]
    assert o["served"] + o["no_show"] + o["expired"] <= o["issued"]
    if o["wait_avg_s"] is not None:
        assert 0 <= o["wait_p50_s"] <= o["wait_p90_s"] <= o["wait_max_s"]
        assert o["wait_avg_s"] <= o["wait_max_s"]
    for m in [o, *r["services"]]:
        for pct in (m["within_target_pct"], m["satisfied_pct"]):
            assert pct is None or 0 <= pct <= 100
    assert sum(o["ratings"].values()) <= o["served"]
    for u in r["day"]["utilisation"]:
        assert 0 <= u["busy_s"] <= u["open_s"] + 1
        assert u["utilisation_pct"] is None or 0 <= u["utilisation_pct"] <= 100


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["estimated_wait_s", "rating", "ahead", "kiosk", "x_rating"]),
        st.one_of(
            st.integers(-(10**6), 10**6),
            st.floats(-1e6, 1e6, allow_nan=False),
            st.text(),
            st.none(),
        ),
    )
)
def test_number_fast_path_agrees_with_json(data):
    raw = json.dumps(data, ensure_ascii=False)
    for name in ("estimated_wait_s", "rating"):
        want = data.get(name)
        want = float(want) if isinstance(want, int | float) else None
        assert stats._number(raw, name) == want
