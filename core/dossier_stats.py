"""The day's dossier figures from the event log: pure functions over the rows of core/stats.py.

Attribution (see docs/reports.md): a dossier received counts for the procedure and counter
that recorded it; a result ready or returned counts for the row's procedure (the dossier's)
and counter (the one that set it or served the return ticket; none for an import). A return
is early, on time or late by the office day it happened on against the promised date, as the
provinces rank communes. The hub replays the same rows with this same code: it reads only the data keys the office
sends (server/hubsync.py KEEP_DATA), never the dossier's code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from . import events as E
from .usage import Row, pct, percentile, rounded
from .usage import data as _data

READY, RETURNED = "ready", "returned"
COUNT_KEYS = ("received", "ready", "returned", "early", "on_time", "late")
METRIC_KEYS = (
    *COUNT_KEYS, "early_pct", "on_time_pct", "late_pct", "on_time_or_early_pct",
    "ready_to_collected_p50_s", "ready_to_collected_p90_s",
)  # fmt: skip
RETURN_WAIT_KEYS = (
    "issued", "served", "wait_avg_s", "wait_p50_s", "wait_p90_s", "wait_max_s",
    "within_target_pct",
)  # fmt: skip
SCOPES = ("services", "counters")
# Events of a dossier: they carry the filing ticket's id but count on the day they were
# logged, never on that ticket's day (reports/summary.py load_events; the hub does the same).
OWN_DAY = (E.DOSSIER_RECEIVED, E.DOSSIER_CORRECTED, E.DOSSIER_STATUS, E.ADVICE_ONLY,
           E.CONTACT_READ, E.CONTACT_DELETED)  # fmt: skip


class _Acc:
    """The raw values behind one block of dossier figures."""

    __slots__ = ("counts", "collect")

    def __init__(self) -> None:
        self.counts = dict.fromkeys(COUNT_KEYS, 0)
        self.collect: list[float] = []

    def metrics(self) -> dict:
        c = self.counts
        judged = c["early"] + c["on_time"] + c["late"]
        collect = sorted(self.collect)
        return {
            **c,
            "early_pct": pct(c["early"], judged),
            "on_time_pct": pct(c["on_time"], judged),
            "late_pct": pct(c["late"], judged),
            "on_time_or_early_pct": pct(c["early"] + c["on_time"], judged),
            "ready_to_collected_p50_s": rounded(percentile(collect, 50)),
            "ready_to_collected_p90_s": rounded(percentile(collect, 90)),
        }


def empty_metrics() -> dict:
    return _Acc().metrics()


def timing(day: str, due: str | None) -> str | None:
    """ "early", "on_time" or "late" for a result returned on office day `day`; None unknown."""
    try:
        due_day = dt.date.fromisoformat(str(due)[:10]).isoformat()
    except ValueError:
        return None
    return "early" if day < due_day else "on_time" if day == due_day else "late"


def _epoch(value) -> float | None:
    """`ready_at` as epoch seconds: the log may carry a number or an ISO time with a zone."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return when.timestamp() if when.tzinfo else None
    return None


def return_service(rows: list[Row]) -> str | None:
    """The result-return procedure, as the log shows it: finishing a return ticket logs its
    `finished` row and, in the same transaction (same time, next id), the dossier's return
    (source "return"); that ticket's procedure is it. The office and the hub read the same rows.
    """
    found: dict[str, int] = {}
    finished = None  # (at, procedure) of the latest finish
    for r in rows:
        if r[3] == E.FINISHED:
            finished = (r[1], r[5])
        elif r[3] == E.DOSSIER_STATUS and finished and finished[0] == r[1] and finished[1]:
            d = _data(r[8])
            if d.get("status") == RETURNED and d.get("source") == "return":
                found[finished[1]] = found.get(finished[1], 0) + 1
    return min(found, key=lambda k: (-found[k], k)) if found else None


def compute(rows: list[Row], services_report: list[Mapping] | None = None) -> dict:
    """The `dossiers` block of a day's report from its rows (core.stats.as_rows order).

    `services_report`: the day's per-procedure ticket figures, from which the return
    procedure's waits are taken.
    """
    office = _Acc()
    scopes: dict[str, dict[str, _Acc]] = {s: {} for s in SCOPES}

    def accs(service, counter) -> list[_Acc]:
        out = [office]
        for scope, key in (("services", service), ("counters", counter)):
            if key is not None:
                out.append(scopes[scope].setdefault(str(key), _Acc()))
        return out

    for _, at, day, kind, _, service, counter, _, raw in rows:
        if kind != E.DOSSIER_RECEIVED and kind != E.DOSSIER_STATUS:
            continue
        d = _data(raw)
        if kind == E.DOSSIER_RECEIVED:
            for a in accs(service, counter):
                a.counts["received"] += 1
            continue
        status = d.get("status")
        if status not in (READY, RETURNED):
            continue
        when = timing(day, d.get("due")) if status == RETURNED else None
        ready_at = _epoch(d.get("ready_at")) if status == RETURNED else None
        for a in accs(service, counter):
            a.counts[status] += 1
            if when:
                a.counts[when] += 1
            if ready_at is not None:
                a.collect.append(max(0.0, float(at) - ready_at))
    report = {"office": office.metrics()}
    for scope in SCOPES:
        report[scope] = [{"key": k, **scopes[scope][k].metrics()} for k in sorted(scopes[scope])]
    report["returns"] = _return_waits(return_service(rows), services_report or [])
    return report


def _return_waits(service: str | None, services_report: list[Mapping]) -> dict:
    """The result-return procedure's wait figures (those of its block in the day's report)."""
    block = next((m for m in services_report if m["key"] == service), None)
    return {
        "service": service,
        **{
            k: (block or {}).get(k, 0 if k in ("issued", "served") else None)
            for k in RETURN_WAIT_KEYS
        },
    }


def empty() -> dict:
    """The block of a day without dossiers."""
    return {
        "office": empty_metrics(),
        **{s: [] for s in SCOPES},
        "returns": _return_waits(None, []),
    }
