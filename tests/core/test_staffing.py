"""Erlang C staffing hint against textbook values and its obvious properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import staffing


def erlang_c_direct(c: int, a: float) -> float:
    """The textbook closed form, for checking the recurrence."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize(
    "c,a,expected",
    [(2, 1.0, 1 / 3), (3, 2.0, 4 / 9), (1, 0.5, 0.5), (5, 4.0, None), (10, 7.5, None)],
)
def test_erlang_c_matches_the_closed_form(c, a, expected):
    got = staffing.erlang_c(c, a)
    assert got == pytest.approx(erlang_c_direct(c, a), rel=1e-9)
    if expected is not None:
        assert got == pytest.approx(expected, rel=1e-9)


def test_overloaded_or_idle():
    assert staffing.erlang_c(2, 2.0) == 1.0 and staffing.erlang_c(3, 0) == 0.0
    assert staffing.share_within(2, 3.0, 600, 900) == 0.0
    assert staffing.counters_needed(0, 600, 900, 0.8) == 0


def test_counters_needed_by_hand():
    # 24 arrivals/h x 10 min = 4 Erlangs; target 15 min, goal 80 %.
    # c=5: C = 0.5541, share = 1 - 0.5541*exp(-1*900/600) = 0.876 >= 0.8, so 5 counters.
    assert staffing.erlang_c(5, 4.0) == pytest.approx(0.5541, abs=1e-4)
    assert staffing.share_within(5, 4.0, 600, 900) == pytest.approx(0.8764, abs=1e-4)
    assert staffing.counters_needed(24, 600, 900, 0.8) == 5
    # A stricter goal or a shorter target needs more.
    assert staffing.counters_needed(24, 600, 900, 0.95) == 6
    assert staffing.counters_needed(24, 600, 60, 0.8) == 7


@given(st.floats(0.5, 200), st.floats(60, 3600), st.floats(30, 3600), st.floats(0.05, 0.99))
def test_needed_meets_the_goal_and_one_fewer_does_not(arrivals, service_s, target_s, goal):
    c = staffing.counters_needed(arrivals, service_s, target_s, goal)
    a = arrivals * service_s / 3600
    if c < staffing.MAX_COUNTERS:
        assert c > a
        assert staffing.share_within(c, a, service_s, target_s) >= goal
    if c - 1 > a:
        assert staffing.share_within(c - 1, a, service_s, target_s) < goal
    assert staffing.counters_needed(arrivals * 2, service_s, target_s, goal) >= c


def test_hourly_profile_and_hint():
    days = [
        {"08": {"issued": 20, "served": 10, "service_avg_s": 500},
         "09": {"issued": 10, "served": 10, "service_avg_s": 700}},
        {"08": {"issued": 28, "served": 30, "service_avg_s": 300},
         "09": {"issued": 0, "served": 0, "service_avg_s": None}},
    ]  # fmt: skip
    p = staffing.hourly_profile(days)
    assert p["08"] == {"arrivals": 24.0, "service_s": (500 * 10 + 300 * 30) / 40, "days": 2}
    assert p["09"] == {"arrivals": 10.0, "service_s": 700, "days": 1}  # closed days not averaged
    rows = staffing.hint(p, 900, 80, 600, actual={"08": 3, "10": 1})
    assert [r["hour"] for r in rows] == ["08", "09", "10"]
    assert rows[0]["needed"] == staffing.counters_needed(24, 350, 900, 0.8)
    assert rows[0]["actual"] == 3 and rows[1]["actual"] == 0
    assert rows[2] == {"hour": "10", "arrivals": 0.0, "service_s": 600, "load_erlangs": 0.0,
                       "needed": 0, "actual": 1}  # fmt: skip
