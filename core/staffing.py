"""Staffing hint: counters needed each hour to meet the within-target goal (Erlang C).

Model (M/M/c): citizens arrive at random at rate λ per hour, each takes a mean service time
s, and c counters serve one shared queue. With offered load a = λ·s (in Erlangs) and c > a,
the share called within T seconds is 1 − C(c, a)·exp(−(c − a)·T / s), where C is the Erlang C
probability of having to wait at all. The hint is the smallest c reaching the goal share.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

MAX_COUNTERS = 50


def erlang_c(c: int, a: float) -> float:
    """Probability an arrival has to wait with c servers and offered load a (Erlangs)."""
    if a <= 0:
        return 0.0
    if c <= a:
        return 1.0
    b = 1.0  # Erlang B by its stable recurrence, then C from B
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1 - b))


def share_within(c: int, a: float, service_s: float, target_s: float) -> float:
    """Share of arrivals called within target_s with c counters (0..1)."""
    if a <= 0:
        return 1.0
    if c <= a:
        return 0.0
    return 1.0 - erlang_c(c, a) * math.exp(-(c - a) * target_s / service_s)


def counters_needed(
    arrivals_per_hour: float, service_s: float, target_s: float, goal: float
) -> int:
    """Smallest number of counters that keeps the within-target share >= goal (0..1)."""
    if arrivals_per_hour <= 0 or service_s <= 0:
        return 0
    a = arrivals_per_hour * service_s / 3600.0
    c = max(1, math.floor(a) + 1)
    while c < MAX_COUNTERS and share_within(c, a, service_s, target_s) < goal:
        c += 1
    return c


def hourly_profile(days: Iterable[Mapping[str, Mapping]]) -> dict[str, dict]:
    """Average arrivals and mean service time per hour over past days' `hours` breakdowns.

    Each item maps hour "HH" -> Metrics (issued, served, service_avg_s). An hour counts as
    open on a day when anything was issued in it; averages are over those open days.
    """
    sums: dict[str, dict] = {}
    for hours in days:
        for h, m in hours.items():
            s = sums.setdefault(h, {"days": 0, "issued": 0, "service_total": 0.0, "served": 0})
            if m.get("issued"):
                s["days"] += 1
                s["issued"] += m["issued"]
            if m.get("service_avg_s") is not None and m.get("served"):
                s["service_total"] += m["service_avg_s"] * m["served"]
                s["served"] += m["served"]
    out = {}
    for h in sorted(sums):
        s = sums[h]
        if not s["days"]:
            continue
        out[h] = {
            "arrivals": s["issued"] / s["days"],
            "service_s": s["service_total"] / s["served"] if s["served"] else None,
            "days": s["days"],
        }
    return out


def hint(
    profile: Mapping[str, Mapping],
    target_s: float,
    goal_pct: float,
    default_service_s: float,
    actual: Mapping[str, int] | None = None,
) -> list[dict]:
    """Per hour: expected arrivals, mean service time, counters needed and actually open."""
    actual = actual or {}
    rows = []
    for h in sorted(set(profile) | set(actual)):
        p = profile.get(h, {})
        arrivals = p.get("arrivals", 0.0)
        service_s = p.get("service_s") or default_service_s
        rows.append(
            {
                "hour": h,
                "arrivals": round(arrivals, 1),
                "service_s": round(service_s),
                "load_erlangs": round(arrivals * service_s / 3600.0, 2),
                "needed": counters_needed(arrivals, service_s, target_s, goal_pct / 100.0),
                "actual": actual.get(h, 0),
            }
        )
    return rows
