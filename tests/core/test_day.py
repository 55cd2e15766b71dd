"""Numbering across the day boundary and opening hours, in the office's time zone."""

import pytest

from core.errors import Conflict
from server.app import create_app
from tests.helpers import Clock, site_config


def make(tmp_path, clock, **office):
    cfg = site_config(office=office)
    return (
        create_app({"DATA_DIR": tmp_path, "CONFIG": cfg, "CLOCK": clock})
        .extensions["onestop"]
        .queue
    )


def test_numbers_restart_at_local_midnight_and_history_is_kept(tmp_path):
    clock = Clock("2026-11-30 23:59")
    q = make(tmp_path, clock)
    late, _ = q.issue("hotich")
    assert late["number"] == "A001" and late["day"] == "2026-11-30"
    clock.set("2026-12-01 00:00")  # 17:00 UTC the day before: the office's zone decides
    early, _ = q.issue("hotich")
    assert early["number"] == "A001" and early["day"] == "2026-12-01"
    # The unserved ticket of yesterday expired at the roll-over, and is still there.
    old = q.line.ticket(late["id"])
    assert old["status"] == "expired"
    types = [
        r[0]
        for r in q.store.reader().execute(
            "SELECT type FROM events WHERE ticket_id = ?", (late["id"],)
        )
    ]
    assert types == ["issued", "expired"]


def test_day_can_start_at_a_configured_hour(tmp_path):
    clock = Clock("2026-12-01 02:30")
    q = make(tmp_path, clock, day_starts_at=3)
    t, _ = q.issue("hotich")
    assert t["day"] == "2026-11-30"
    clock.set("2026-12-01 03:00")
    t2, _ = q.issue("hotich")
    assert t2["day"] == "2026-12-01" and t2["number"] == "A001"


def test_close_day_expires_waiting_and_called(tmp_path):
    clock = Clock()
    q = make(tmp_path, clock)
    q.issue("hotich")
    q.issue("hotich")
    q.next(1)
    assert q.close_day() == 2
    assert q.line.snapshot()["waiting"]["hotich"] == 0
    assert q.line.counter(1)["ticket"] is None


@pytest.mark.parametrize(
    "when,code,open_",
    [
        ("2026-11-30 09:00", "hotich", True),  # Monday morning
        ("2026-11-30 12:00", "hotich", False),  # lunch
        ("2026-11-30 17:00", "hotich", False),  # closing time is exclusive
        ("2026-12-05 08:00", "hotich", True),  # Saturday morning: civil status receives
        ("2026-12-05 08:00", "chungthuc", False),  # but certification does not
        ("2026-12-06 09:00", "hotich", False),  # Sunday
    ],
)
def test_opening_hours_enforced(tmp_path, when, code, open_):
    q = make(tmp_path, Clock(when), enforce_hours=True)
    if open_:
        assert q.issue(code)[0]["status"] == "waiting"
    else:
        with pytest.raises(Conflict) as e:
            q.issue(code)
        assert e.value.code == "service_closed"
    assert [s["open"] for s in q.line.services() if s["code"] == code] == [open_]


def test_demo_takes_tickets_at_night(tmp_path):
    q = make(tmp_path, Clock("2026-12-06 23:30"))  # Sunday night, enforce_hours = false
    assert q.issue("datdai")[0]["number"] == "C001"


def test_reads_after_midnight_do_not_show_yesterdays_queue(tmp_path):
    clock = Clock("2026-11-30 16:00")
    q = make(tmp_path, clock)
    q.issue("hotich")
    clock.set("2026-12-01 07:00")
    assert q.line.snapshot()["waiting"]["hotich"] == 0
    assert [s["waiting"] for s in q.line.services() if s["code"] == "hotich"] == [0]


def test_restart_on_a_new_day_expires_what_was_left(tmp_path):
    clock = Clock("2026-11-30 16:00")
    q = make(tmp_path, clock)
    t, _ = q.issue("hotich")
    q.store.close()
    clock.set("2026-12-01 07:00")
    q2 = make(tmp_path, clock)
    assert q2.line.ticket(t["id"])["status"] == "expired"
