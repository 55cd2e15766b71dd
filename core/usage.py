"""How the day went for the counters: peak hour, longest queue, busy and open time.

Replayed from the day's event rows (core/stats.py `as_rows`), with the same constants of the
registry; the hub (next) computes its figures with this same code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from . import events as E

Row = tuple  # an event as a tuple in stats.FIELDS order


def rounded(x: float | None) -> int | None:
    """Whole seconds, half away from zero (reports show seconds, not fractions)."""
    return None if x is None else int(math.floor(x + 0.5))


def pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def data(raw) -> dict:
    """An event's `data` column (JSON text, a mapping or None) as a dict."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, Mapping):
        return dict(raw)
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def percentile(values: list[float], p: float) -> float | None:
    """Linear-interpolated percentile (p in 0..100) of sorted `values`; None when empty."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    pos = (len(values) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def hour_label(ts: float, day_start: float, day_starts_at: int) -> str:
    """Hour of the office day as "HH"; past midnight of a late day it reads 24, 25, ..."""
    return f"{int((ts - day_start) // 3600) + day_starts_at:02d}"


def _counter_busy(
    events: list[Row], now: float | None = None
) -> dict[int, list[tuple[float, float]]]:
    """Per counter, the intervals it held a ticket (call -> finish/no-show/transfer/...).

    A ticket still held at the end of the log counts until `now` (today) or not at all.
    """
    busy: dict[int, list[tuple[float, float]]] = {}
    holding: dict[int, tuple[str, float]] = {}
    for _, at, _, kind, tid, _, c, _, _ in events:
        if c is None or not tid:
            continue
        if kind == E.CALLED:
            held = holding.pop(c, None)
            if held is not None:  # a call while holding one: the old one ended then
                busy.setdefault(c, []).append((held[1], float(at)))
            holding[c] = (tid, float(at))
        elif kind in (E.FINISHED, E.NO_SHOW, E.TRANSFERRED, E.CANCELLED, E.EXPIRED):
            held = holding.get(c)
            if held is not None and held[0] == tid:
                busy.setdefault(c, []).append((held[1], float(at)))
                del holding[c]
    if now is not None:
        for c, (_, since) in holding.items():
            busy.setdefault(c, []).append((since, max(since, now)))
    return busy


def _longest_queue(events: list[Row]) -> tuple[int, float | None]:
    """Replay who is waiting (issued or transferred, not yet called or gone): the peak."""
    waiting: set[str] = set()
    longest, longest_at = 0, None
    for _, at, _, kind, tid, _, _, _, _ in events:
        if not tid:
            continue
        if kind in E.QUEUED:
            waiting.add(tid)
            if len(waiting) > longest:
                longest, longest_at = len(waiting), float(at)
        elif kind == E.CALLED or kind in E.OUTCOMES:
            waiting.discard(tid)
    return longest, longest_at


def _utilisation(events: list[Row], busy: Mapping[int, list[tuple[float, float]]]) -> list:
    """Per counter: time busy with a ticket over time open (pauses inside the span off)."""
    paused: dict[int, list[tuple[float, float]]] = {}
    pause_start: dict[int, float] = {}
    for _, at, _, kind, _, _, c, _, _ in events:
        if c is None:
            continue
        if kind == E.COUNTER_PAUSED:
            pause_start.setdefault(c, float(at))
        elif kind == E.COUNTER_RESUMED and c in pause_start:
            paused.setdefault(c, []).append((pause_start.pop(c), float(at)))
    utilisation = []
    for c in sorted(busy):
        spans = busy[c]
        first, last = min(s for s, _ in spans), max(e for _, e in spans)
        busy_s = sum(e - s for s, e in spans)
        pause_s = sum(
            max(0.0, min(e, last) - max(s, first)) for s, e in paused.get(c, [])
        )  # only pauses inside the working span take time off
        open_s = max(busy_s, (last - first) - pause_s)
        utilisation.append(
            {
                "counter": c,
                "busy_s": rounded(busy_s),
                "open_s": rounded(open_s),
                "utilisation_pct": pct(int(round(busy_s)), int(round(open_s))),
                "first_call_at": first,
                "last_release_at": last,
            }
        )
    return utilisation


def figures(
    events: list[Row],
    tickets: Mapping[str, Any],
    day_start: float,
    day_starts_at: int,
    now: float | None,
) -> dict:
    per_hour: dict[str, int] = {}
    for t in tickets.values():
        if t.issued_at is not None:
            h = hour_label(t.issued_at, day_start, day_starts_at)
            per_hour[h] = per_hour.get(h, 0) + 1
    peak_hour = max(sorted(per_hour), key=lambda h: per_hour[h]) if per_hour else None

    longest, longest_at = _longest_queue(events)
    busy = _counter_busy(events, now)
    utilisation = _utilisation(events, busy)
    return {
        # Lets a stored summary tell that events were logged after it (e.g. a late rating).
        "last_event_id": events[-1][0] if events else None,
        "peak_hour": peak_hour,
        "peak_hour_issued": per_hour.get(peak_hour, 0) if peak_hour else 0,
        "longest_queue": longest,
        "longest_queue_at": longest_at,
        "utilisation": utilisation,
        "counters_per_hour": counters_perhour_label(busy, day_start, day_starts_at),
    }


def counters_perhour_label(
    busy: Mapping[int, list[tuple[float, float]]], day_start: float, day_starts_at: int
) -> dict[str, int]:
    """How many distinct counters held a ticket at some moment of each hour."""
    seen: dict[str, set[int]] = {}
    for c, spans in busy.items():
        for s, e in spans:
            h0 = int((s - day_start) // 3600)
            h1 = int((max(s, e - 1e-6) - day_start) // 3600)
            for h in range(h0, h1 + 1):
                seen.setdefault(f"{h + day_starts_at:02d}", set()).add(c)
    return {h: len(seen[h]) for h in sorted(seen)}
