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

import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from . import dossier_stats, usage
from . import events as E
from .usage import data as _data
from .usage import hour_label as _hour
from .usage import pct as _pct
from .usage import percentile
from .usage import rounded as _r

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
    """Events as tuples in FIELDS order, sorted by id (tuples are read ~3x faster), their
    times corrected for the clock steps the log records (`unstep`)."""
    rows = list(events)
    if rows and type(rows[0]) is not tuple:
        rows = [tuple(e[f] for f in FIELDS) for e in rows]
    ids = [r[0] for r in rows]
    if ids != sorted(ids):
        rows.sort(key=operator.itemgetter(0))
    return unstep(rows)


def unstep(rows: list[Row]) -> list[Row]:
    """Shift each event by the clock steps logged after it, so no duration spans a step.

    A step is a correction (NTP after a stale boot): the clock after it is the right one, so
    earlier events move onto its timeline; waits and service times then never go negative
    or grow by the size of the step, and hours are the real hours.
    """
    if not any(r[3] == E.CLOCK_STEPPED for r in rows):
        return rows
    shift = 0.0
    out = []
    for r in reversed(rows):
        if r[3] == E.CLOCK_STEPPED:
            shift += _number(r[8], "step_s") or 0.0
        out.append(r if not shift else (r[0], float(r[1]) + shift, *r[2:]))
    out.reverse()
    return out


_NUMBER_FIELD = {
    name: re.compile(rf'"{name}":\s*(-?\d+(?:\.\d+)?)[,}}]')
    for name in ("estimated_wait_s", "rating", "step_s")
}


def _number(raw, name: str) -> float | None:
    """One numeric field of an event's data; a regex first because a day has thousands."""
    if isinstance(raw, str):
        m = _NUMBER_FIELD[name].search(raw)
        if m:
            return float(m.group(1))
    value = _data(raw).get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


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
    report["day"] = usage.figures(events, tickets, day_start, day_starts_at, now)
    report["dossiers"] = dossier_stats.compute(events, report["services"])
    return report


def day_figures(
    events: Iterable,
    tickets: Mapping[str, Ticket],
    day_start: float,
    day_starts_at: int,
    now: float | None = None,
) -> dict:
    """Peak hour, longest queue and counter utilisation of one day."""
    return usage.figures(as_rows(events), tickets, day_start, day_starts_at, now)


def ticket_times(events: Iterable) -> dict[str, tuple[float | None, float | None]]:
    """ticket id -> (wait_s, service_s) exactly as the summaries count them."""
    return {tid: (t.wait_s, t.service_s) for tid, t in tickets_from_events(events).items()}
