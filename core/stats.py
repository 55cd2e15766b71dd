"""Daily statistics from the event log: pure functions over plain rows, no I/O.

An event row is a mapping with `id, at, day, type, ticket_id, service, counter, clerk, data`
(`data` a JSON string, a dict or None), as stored in the `events` table. Everything a report
shows is derived here, so the live view, the stored summaries and the exports agree.

Attribution (see docs/reports.md): a ticket's arrival-side figures (issued, wait, within
target, estimate error) belong to the procedure it was issued for, the counter and clerk that
first called it, and the hour it was issued; completion figures (served, service time,
ratings) belong to the procedure, counter and clerk that finished it and the hour it finished;
no-show, transfer, cancel and expiry belong to the event that recorded them (hour: issue hour).
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from . import events as E

METRIC_KEYS = (
    "issued", "served", "no_show", "cancelled", "expired", "transferred",
    "wait_avg_s", "wait_p50_s", "wait_p90_s", "wait_max_s",
    "service_avg_s", "service_p50_s", "service_p90_s",
    "within_target_pct", "ratings", "satisfied_pct", "estimate_mae_s",
)  # fmt: skip
COUNT_KEYS = METRIC_KEYS[:6]
SCOPES = ("services", "counters", "clerks", "hours")
RATINGS = ("1", "2", "3", "4")
DEFAULT_TARGET_S = 900
FIELDS = ("id", "at", "day", "type", "ticket_id", "service", "counter", "clerk", "data")
Row = tuple  # an event as a tuple in FIELDS order


def as_rows(events: Iterable) -> list[Row]:
    """Events as tuples in FIELDS order, sorted by id (tuples are read ~3x faster)."""
    rows = list(events)
    if rows and type(rows[0]) is not tuple:
        rows = [tuple(e[f] for f in FIELDS) for e in rows]
    ids = [r[0] for r in rows]
    if ids != sorted(ids):
        rows.sort(key=operator.itemgetter(0))
    return rows


_NUMBER_FIELD = {
    name: re.compile(rf'"{name}":\s*(-?\d+(?:\.\d+)?)[,}}]')
    for name in ("estimated_wait_s", "rating")
}


def _number(raw, name: str) -> float | None:
    """One numeric field of an event's data; a regex first because a day has thousands."""
    if isinstance(raw, str):
        m = _NUMBER_FIELD[name].search(raw)
        if m:
            return float(m.group(1))
    value = _data(raw).get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _data(raw) -> dict:
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


def _r(x: float | None) -> int | None:
    """Whole seconds, half away from zero (reports show seconds, not fractions)."""
    return None if x is None else int(math.floor(x + 0.5))


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


@dataclass(slots=True)
class Ticket:
    """What the log says about one ticket during its office day."""

    id: str
    day: str
    issued_at: float | None = None
    service: str | None = None  # the procedure it was issued for
    estimate_s: float | None = None
    first_called_at: float | None = None
    first_counter: int | None = None
    first_clerk: str | None = None
    segment_start: float | None = None  # last call, or start after it
    segment_counter: int | None = None
    outcome: str | None = None  # finished, no_show, cancelled, expired
    outcome_at: float | None = None
    outcome_service: str | None = None
    outcome_counter: int | None = None
    outcome_clerk: str | None = None
    service_s: float | None = None
    rating: int | None = None
    transfers: list[tuple[str | None, int | None, str | None]] = field(default_factory=list)
    recalls: int = 0

    @property
    def wait_s(self) -> float | None:
        if self.issued_at is None or self.first_called_at is None:
            return None
        return max(0.0, self.first_called_at - self.issued_at)


def tickets_from_events(events: Iterable) -> dict[str, Ticket]:
    """Replay the log (in id order) into one Ticket per ticket id."""
    return _tickets(as_rows(events))


def _tickets(rows: list[Row]) -> dict[str, Ticket]:
    out: dict[str, Ticket] = {}
    for _, at, day, kind, tid, service, counter, clerk, data in rows:
        if not tid:
            continue
        t = out.get(tid)
        if t is None:
            t = out[tid] = Ticket(id=tid, day=day)
        at = float(at)
        if kind == E.ISSUED:
            t.issued_at = at
            t.service = service
            t.estimate_s = _number(data, "estimated_wait_s")
        elif kind == E.CALLED:
            if t.first_called_at is None:
                t.first_called_at = at
                t.first_counter = counter
                t.first_clerk = clerk
            t.segment_start = at
            t.segment_counter = counter
        elif kind == E.RECALLED:
            t.recalls += 1
        elif kind == E.STARTED:
            t.segment_start = at
        elif kind == E.TRANSFERRED:
            t.transfers.append((service, counter, clerk))
            t.segment_start = None
        elif kind in E.OUTCOMES:
            t.outcome = kind
            t.outcome_at = at
            t.outcome_service = service
            t.outcome_counter = counter
            t.outcome_clerk = clerk
            if kind == E.FINISHED and t.segment_start is not None:
                t.service_s = max(0.0, at - t.segment_start)
        elif kind == E.RATED:
            r = _number(data, "rating")
            if r is not None and r in (1, 2, 3, 4):
                t.rating = int(r)
        if t.service is None and service:
            t.service = service  # a log that starts mid-ticket still gets a procedure
    return out


class Acc:
    """Accumulates the raw values behind one Metrics object."""

    __slots__ = ("counts", "waits", "services", "in_target", "target_n", "ratings", "errors")

    def __init__(self):
        self.counts = dict.fromkeys(COUNT_KEYS, 0)
        self.waits: list[float] = []
        self.services: list[float] = []
        self.in_target = 0
        self.target_n = 0
        self.ratings = dict.fromkeys(RATINGS, 0)
        self.errors: list[float] = []

    def metrics(self) -> dict:
        waits = sorted(self.waits)
        services = sorted(self.services)
        rated = sum(self.ratings.values())
        m: dict = dict(self.counts)
        m.update(
            wait_avg_s=_r(sum(waits) / len(waits)) if waits else None,
            wait_p50_s=_r(percentile(waits, 50)),
            wait_p90_s=_r(percentile(waits, 90)),
            wait_max_s=_r(waits[-1]) if waits else None,
            service_avg_s=_r(sum(services) / len(services)) if services else None,
            service_p50_s=_r(percentile(services, 50)),
            service_p90_s=_r(percentile(services, 90)),
            within_target_pct=_pct(self.in_target, self.target_n),
            ratings=dict(self.ratings),
            satisfied_pct=_pct(self.ratings["3"] + self.ratings["4"], rated),
            estimate_mae_s=_r(sum(self.errors) / len(self.errors)) if self.errors else None,
        )
        return m


def empty_metrics() -> dict:
    return Acc().metrics()


def _hour(ts: float, day_start: float, day_starts_at: int) -> str:
    """Hour of the office day as "HH"; past midnight of a late day it reads 24, 25, ..."""
    return f"{int((ts - day_start) // 3600) + day_starts_at:02d}"


class _Breakdowns:
    """The office accumulator and one per procedure, counter, clerk and hour."""

    def __init__(self) -> None:
        self.office = Acc()
        self.scopes: dict[str, dict[str, Acc]] = {s: {} for s in SCOPES}
        self._memo: dict[tuple, list[Acc]] = {}

    def __call__(self, service=None, counter=None, clerk=None, hour=None) -> list[Acc]:
        """The office accumulator plus one per breakdown the figure belongs to."""
        found = self._memo.get((service, counter, clerk, hour))
        if found is not None:
            return found
        out = [self.office]
        for scope, key in (
            ("services", service),
            ("counters", None if counter is None else str(counter)),
            ("clerks", clerk or None),
            ("hours", hour),
        ):
            if key is not None:
                acc = self.scopes[scope].get(key)
                if acc is None:
                    acc = self.scopes[scope][key] = Acc()
                out.append(acc)
        self._memo[(service, counter, clerk, hour)] = out
        return out

    def report(self) -> dict:
        out = {"office": self.office.metrics()}
        for scope in SCOPES:
            accs = self.scopes[scope]
            out[scope] = [{"key": k, **accs[k].metrics()} for k in sorted(accs)]
        return out


def _missed(t: Ticket, target: float, now: float | None) -> bool | None:
    """Whether `t` waited past its target; None when it cannot be told (yet)."""
    if t.wait_s is not None:
        return t.wait_s > target
    if t.outcome in (E.CANCELLED, E.EXPIRED) and t.outcome_at is not None:
        return True if t.outcome_at - t.issued_at > target else None
    if t.outcome is None and now is not None and now - t.issued_at > target:
        return True
    return None


def _add_ticket(t: Ticket, accs: _Breakdowns, target: float, hour_of, now) -> None:
    """Count one ticket's issue, transfers and outcome where each belongs."""
    issue_hour = hour_of(t.issued_at) if t.issued_at else None
    if t.issued_at is not None:
        wait, missed = t.wait_s, _missed(t, target, now)
        for a in accs(t.service, t.first_counter, t.first_clerk, issue_hour):
            a.counts["issued"] += 1
            if wait is not None:
                a.waits.append(wait)
                if t.estimate_s is not None:
                    a.errors.append(abs(t.estimate_s - wait))
            if missed is not None:
                a.target_n += 1
                a.in_target += not missed
    for service, counter, clerk in t.transfers:
        for a in accs(service, counter, clerk, issue_hour):
            a.counts["transferred"] += 1
    if t.outcome == E.FINISHED:
        for a in accs(t.outcome_service, t.outcome_counter, t.outcome_clerk,
                      hour_of(t.outcome_at)):  # fmt: skip
            a.counts["served"] += 1
            if t.service_s is not None:
                a.services.append(t.service_s)
            if t.rating is not None:
                a.ratings[str(t.rating)] += 1
    elif t.outcome is not None:  # no_show, cancelled, expired: each a metric of that name
        for a in accs(t.outcome_service, t.outcome_counter, t.outcome_clerk, issue_hour):
            a.counts[t.outcome] += 1


def compute_day(
    events: Iterable,
    targets: Mapping[str, int],
    day_start: float,
    day_starts_at: int = 0,
    now: float | None = None,
) -> dict:
    """Every figure of one office day from its events.

    `targets`: procedure code -> target wait in seconds. `day_start`: epoch seconds of the
    day's start (hours are counted from it, so the result does not depend on the machine's
    zone). `now`: for today, tickets still waiting longer than their target already count
    as missed.
    """
    events = as_rows(events)
    tickets = _tickets(events)
    accs = _Breakdowns()

    def hour_of(at: float) -> str:
        return _hour(at, day_start, day_starts_at)

    for t in tickets.values():
        target = targets.get(t.service or "", DEFAULT_TARGET_S)
        _add_ticket(t, accs, target, hour_of, now)
    report = accs.report()
    report["day"] = _day_figures(events, tickets, day_start, day_starts_at, now)
    return report


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


def day_figures(
    events: Iterable,
    tickets: Mapping[str, Ticket],
    day_start: float,
    day_starts_at: int,
    now: float | None = None,
) -> dict:
    """Peak hour, longest queue and counter utilisation of one day."""
    return _day_figures(as_rows(events), tickets, day_start, day_starts_at, now)


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
                "busy_s": _r(busy_s),
                "open_s": _r(open_s),
                "utilisation_pct": _pct(int(round(busy_s)), int(round(open_s))),
                "first_call_at": first,
                "last_release_at": last,
            }
        )
    return utilisation


def _day_figures(
    events: list[Row],
    tickets: Mapping[str, Ticket],
    day_start: float,
    day_starts_at: int,
    now: float | None,
) -> dict:
    per_hour: dict[str, int] = {}
    for t in tickets.values():
        if t.issued_at is not None:
            h = _hour(t.issued_at, day_start, day_starts_at)
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
        "counters_per_hour": counters_per_hour(busy, day_start, day_starts_at),
    }


def counters_per_hour(
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


def ticket_times(events: Iterable) -> dict[str, tuple[float | None, float | None]]:
    """ticket id -> (wait_s, service_s) exactly as the summaries count them."""
    return {tid: (t.wait_s, t.service_s) for tid, t in tickets_from_events(events).items()}
