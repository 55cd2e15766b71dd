"""core.dossier_stats on hand-made event rows: early, on time and late around the due date."""

from __future__ import annotations

import json

from core import dossier_stats, stats
from core import events as E
from core.timeutil import day_bounds
from tests.helpers import TZ, at

DAY = "2026-11-30"
START, _ = day_bounds(DAY, TZ)
TARGETS = {"hotich": 900, "traketqua": 300}


def build(rows, day=DAY):
    """Event rows as the store holds them (ids in log order, data as JSON text)."""
    return [
        {
            "id": i,
            "at": at(when),
            "day": day,
            "type": kind,
            "ticket_id": tid,
            "service": service,
            "counter": counter,
            "clerk": "hoa" if counter else None,
            "data": json.dumps(data) if data is not None else None,
        }
        for i, (when, kind, tid, service, counter, data) in enumerate(rows, 1)
    ]


def status(code, to, due, source="counter", ready_at=None, prev="ready"):
    d = {"code": code, "status": to, "from": prev, "due": due, "source": source}
    if ready_at is not None:
        d["ready_at"] = ready_at
    return d


def returned(code, due, when="2026-11-30 10:00:00", counter=3, ready_at=None, tid=None):
    return (
        when,
        E.DOSSIER_STATUS,
        tid,
        "hotich",
        counter,
        status(code, "returned", due, "return", ready_at),
    )


def block(rows, day=DAY):
    return stats.compute_day(build(rows, day), TARGETS, START)["dossiers"]


def test_due_date_edges_early_on_time_late_and_shares():
    d = block(
        [
            returned("HS-000001", "2026-12-01"),  # the day before it was due: early
            returned("HS-000002", "2026-11-30"),  # on the due date itself, late in the day
            returned("HS-000003", "2026-11-29"),  # a day after: late
            returned("HS-000004", "2026-12-15"),
        ]
    )["office"]
    assert (d["returned"], d["early"], d["on_time"], d["late"]) == (4, 2, 1, 1)
    assert (d["early_pct"], d["on_time_pct"], d["late_pct"]) == (50.0, 25.0, 25.0)
    assert d["on_time_or_early_pct"] == 75.0


def test_on_time_is_the_office_day_not_the_calendar_day():
    # An office day running past midnight: 00:30 on the 1st still belongs to the 30th.
    d = block([returned("HS-000001", "2026-11-30", when="2026-12-01 00:30:00")])["office"]
    assert (d["early"], d["on_time"], d["late"]) == (0, 1, 0)
    assert dossier_stats.timing("2026-12-01", "2026-11-30") == "late"
    assert dossier_stats.timing("2026-11-29", "2026-11-30T17:00:00+07:00") == "early"


def test_a_due_date_that_cannot_be_read_counts_returned_but_no_share():
    d = block([returned("HS-000001", None), returned("HS-000002", "soon")])["office"]
    assert d["returned"] == 2
    assert (d["early"], d["on_time"], d["late"], d["early_pct"]) == (0, 0, 0, None)


def test_no_dossiers_no_shares():
    d = block([])
    assert d == dossier_stats.empty()
    assert d["office"]["early_pct"] is None and d["services"] == [] and d["counters"] == []


def test_received_ready_returned_per_procedure_and_counter():
    ready = status("HS-000001", "ready", "2026-12-02", prev="in_progress")
    imported = status("HS-000002", "ready", "2026-12-02", source="import", prev="in_progress")
    d = block(
        [
            ("2026-11-30 08:10:00", E.DOSSIER_RECEIVED, "T1", "hotich", 1,
             {"code": "HS-000001", "service": "hotich", "due": "2026-12-02"}),
            ("2026-11-30 08:20:00", E.DOSSIER_RECEIVED, "T2", "chungthuc", 2,
             {"code": "HS-000002", "service": "chungthuc", "due": "2026-12-02"}),
            ("2026-11-30 09:00:00", E.DOSSIER_STATUS, None, "hotich", 1, ready),
            # An import row carries the dossier's procedure and no counter.
            ("2026-11-30 09:05:00", E.DOSSIER_STATUS, None, "chungthuc", None, imported),
            # A row without a procedure counts for the office alone.
            ("2026-11-30 09:05:30", E.DOSSIER_STATUS, None, None, None,
             status("HS-000003", "ready", "2026-12-02", "import")),
            ("2026-11-30 09:06:00", E.DOSSIER_STATUS, None, None, None,
             status("HS-000002", "in_progress", "2026-12-02", "import")),
        ]
    )  # fmt: skip
    assert (d["office"]["received"], d["office"]["ready"], d["office"]["returned"]) == (2, 3, 0)
    services = {m["key"]: m for m in d["services"]}
    assert services["hotich"]["received"] == 1 and services["hotich"]["ready"] == 1
    assert services["chungthuc"]["received"] == 1 and services["chungthuc"]["ready"] == 1
    counters = {m["key"]: m for m in d["counters"]}
    assert set(counters) == {"1", "2"}
    assert counters["1"]["ready"] == 1 and counters["2"]["ready"] == 0


def test_ready_to_collected_median_and_p90_from_ready_at():
    ready_at = at("2026-11-30 08:00:00")
    rows = [
        returned(
            f"HS-00000{i}", "2026-12-01", when=f"2026-11-30 {8 + i:02d}:00:00", ready_at=ready_at
        )
        for i in range(1, 4)
    ]
    rows.append(returned("HS-000009", "2026-12-01", ready_at="2026-11-30T08:00:00+07:00"))
    rows.append(returned("HS-000010", "2026-12-01"))  # no ready_at: counted, not timed
    d = block(rows)["office"]
    # 1 h, 2 h, 3 h and the ISO one returned at 10:00: 2 h.
    assert d["returned"] == 5
    assert d["ready_to_collected_p50_s"] == 7200
    assert d["ready_to_collected_p90_s"] == round(2 * 3600 + 0.7 * 3600)


def test_return_queue_waits_are_the_return_procedures_figures():
    rows = [
        ("2026-11-30 08:00:00", E.ISSUED, "R1", "traketqua", None, {"estimated_wait_s": 0}),
        ("2026-11-30 08:04:00", E.CALLED, "R1", "traketqua", 3, None),
        ("2026-11-30 08:06:00", E.FINISHED, "R1", "traketqua", 3, None),
        # Logged by the finish's transaction: same time, the filing ticket's id and procedure.
        returned("HS-000001", "2026-12-01", when="2026-11-30 08:06:00", tid="T1"),
        ("2026-11-30 08:10:00", E.ISSUED, "R2", "traketqua", None, {"estimated_wait_s": 0}),
        ("2026-11-30 08:20:00", E.CALLED, "R2", "traketqua", 3, None),
    ]
    report = stats.compute_day(build(rows), TARGETS, START)
    r = report["dossiers"]["returns"]
    assert r["service"] == "traketqua"
    assert (r["issued"], r["wait_p50_s"], r["wait_max_s"]) == (2, 420, 600)
    assert r["within_target_pct"] == 50.0
    # The ticket figures themselves are untouched by the dossier rows.
    assert {m["key"] for m in report["services"]} == {"traketqua"}


def test_no_return_yet_means_no_return_procedure():
    r = block([returned("HS-000001", "2026-12-01")])["returns"]
    assert r["service"] is None and r["wait_p50_s"] is None and r["issued"] == 0
    # A counter's status change after some other finish is no return through the queue.
    r = block([
        ("2026-11-30 08:00:00", E.ISSUED, "T1", "hotich", None, None),
        ("2026-11-30 08:04:00", E.CALLED, "T1", "hotich", 1, None),
        ("2026-11-30 08:06:00", E.FINISHED, "T1", "hotich", 1, None),
        returned("HS-000001", "2026-12-01", when="2026-11-30 08:07:00"),
    ])["returns"]  # fmt: skip
    assert r["service"] is None


def test_the_hubs_copy_of_the_rows_gives_the_same_block():
    from server.hubsync import _data as sent_data

    rows = [
        ("2026-11-30 08:00:00", E.ISSUED, "R1", "traketqua", None, {"estimated_wait_s": 0}),
        ("2026-11-30 08:01:00", E.DOSSIER_RECEIVED, "T1", "hotich", 1,
         {"code": "HS-000001", "service": "hotich", "due": "2026-12-01"}),
        ("2026-11-30 08:04:00", E.CALLED, "R1", "traketqua", 3, None),
        ("2026-11-30 08:06:00", E.FINISHED, "R1", "traketqua", 3, None),
        returned("HS-000002", "2026-11-30", when="2026-11-30 08:06:00", tid="T1",
                 ready_at=at("2026-11-29 10:00:00")),
    ]  # fmt: skip
    mine = build(rows)
    theirs = [{**r, "data": sent_data(r["data"])} for r in mine]
    assert all("HS-" not in (r["data"] or "") for r in theirs)  # the code stays at home
    office = stats.compute_day(mine, TARGETS, START)["dossiers"]
    assert stats.compute_day(theirs, TARGETS, START)["dossiers"] == office
    assert office["office"]["on_time"] == 1 and office["returns"]["service"] == "traketqua"
    assert office["office"]["ready_to_collected_p50_s"] == 22 * 3600 + 360
