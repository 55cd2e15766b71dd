"""A wall clock that steps loses nobody: order, numbers and waiting tickets survive (issue 12)."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import BadRequest
from core.service import QueueService
from core.timeutil import office_day
from server.app import create_app
from tests.helpers import TZ, at, site_config

H = 3600.0


class Hall:
    """Real time, a monotonic clock that follows it, and a wall clock a step can move."""

    def __init__(self, start: str):
        self.real = at(start)
        self.offset = 0.0

    def wall(self) -> float:
        return self.real + self.offset

    def mono(self) -> float:
        return self.real - 1e9  # any origin: only its differences count

    def step(self, seconds: float) -> None:
        self.offset += seconds


def service_on(tmp_path, hall: Hall, boot_offset: float = 0.0) -> tuple:
    """A QueueService on a fresh store whose wall clock starts `boot_offset` off."""
    hall.offset = boot_offset
    app = create_app({"DATA_DIR": tmp_path, "CONFIG": site_config(), "TESTING": True,
                      "CLOCK": hall.wall})  # fmt: skip
    e = app.extensions["onestop"]
    return QueueService(e.store, e.queue.office, clock=hall.wall, mono=hall.mono), e.store


def test_stale_boot_20_hours_behind_keeps_the_tickets_when_ntp_corrects(tmp_path):
    hall = Hall("2026-12-01 08:00")
    q, store = service_on(tmp_path, hall, boot_offset=-20 * H)  # the clock says 11-30 12:00
    heard = []
    q.subscribe(lambda name, payload: heard.append((name, payload)), inline=True)
    held = [q.issue("hotich")[0] for _ in range(3)]
    assert [t["number"] for t in held] == ["A001", "A002", "A003"]
    assert {t["day"] for t in held} == {"2026-11-30"}
    hall.real += 60
    hall.step(20 * H)  # NTP reaches a server
    nxt, _ = q.issue("hotich")
    assert nxt["number"] == "A004" and nxt["day"] == "2026-12-01"
    for t in held:
        now = q.line.ticket(t["id"])
        assert (now["status"], now["number"], now["day"]) == ("waiting", t["number"], "2026-12-01")
    oldest = q.line.oldest_waiting()["hotich"]
    assert 55 <= q.clock() - oldest <= 65  # waited a minute, not 20 h
    assert [q.next(1)["number"] for _ in range(4)] == ["A001", "A002", "A003", "A004"]
    steps = store.reader().execute("SELECT day, data FROM events WHERE type = 'clock_stepped'")
    [(day, data)] = steps.fetchall()
    assert day == "2026-12-01" and data.startswith('{"step_s": 72000')  # today's alerts
    health = q.clock_.health(TZ)
    assert health["status"] == "degraded" and health["steps"][0]["step_s"] == 72000
    said = [p for name, p in heard if name == "clock_stepped"]  # staff consoles hear it at once
    assert (
        len(said) == 1
        and said[0]["step_s"] == 72000
        and said[0]["new_wall"].startswith("2026-12-01T08:01")
    )


def test_a_step_back_does_not_let_a_later_ticket_jump_the_line(tmp_path):
    hall = Hall("2026-12-01 09:00")
    q, _ = service_on(tmp_path, hall)
    early = [q.issue("hotich")[0]["number"] for _ in range(3)]
    hall.real += 30
    hall.step(-15 * 60)
    late = q.issue("hotich")[0]["number"]
    assert [q.next(1)["number"] for _ in range(4)] == [*early, late]


def test_a_step_back_across_midnight_keeps_the_day_and_its_numbers(tmp_path):
    hall = Hall("2026-11-30 23:55")
    q, _ = service_on(tmp_path, hall, boot_offset=10 * 60)  # ahead: says 12-01 00:05
    first, _ = q.issue("hotich")
    hall.real += 60
    hall.step(-10 * 60)  # corrected back to 11-30 23:56
    second, _ = q.issue("hotich")
    assert (first["day"], second["day"]) == ("2026-12-01", "2026-12-01")
    assert (first["number"], second["number"]) == ("A001", "A002")
    assert q.line.ticket(first["id"])["status"] == "waiting"


def test_a_real_midnight_still_rolls_the_day(tmp_path):
    hall = Hall("2026-11-30 23:50")
    q, _ = service_on(tmp_path, hall)
    old, _ = q.issue("hotich")
    hall.real += 20 * 60
    new, _ = q.issue("hotich")
    assert new["number"] == "A001" and new["day"] == "2026-12-01"
    assert q.line.ticket(old["id"])["status"] == "expired"


def test_a_restart_behind_the_log_holds_time_at_the_newest_event(tmp_path):
    hall = Hall("2026-12-01 10:00")
    q, store = service_on(tmp_path, hall)
    t, _ = q.issue("hotich")
    store.close()
    hall.real += 60
    q2, _ = service_on(tmp_path, hall, boot_offset=-3 * H)  # power cut: an older saved time
    health = q2.clock_.health(TZ)
    assert health["behind"] is True and health["behind_s"] > 3 * H - 120
    again, _ = q2.issue("hotich")
    assert again["day"] == "2026-12-01" and again["number"] == "A002"
    assert q2.line.ticket(t["id"])["status"] == "waiting"


def test_idempotency_keys_belong_to_a_kiosk_and_a_day(tmp_path):
    hall = Hall("2026-12-01 09:00")
    q, _ = service_on(tmp_path, hall)
    with pytest.raises(BadRequest) as e:
        q.issue("hotich", idempotency_key="1")
    assert e.value.code == "invalid_key"
    a, created = q.issue("hotich", kiosk="kiosk-a", idempotency_key="tap-00001")
    again, created2 = q.issue("hotich", kiosk="kiosk-a", idempotency_key="tap-00001")
    other, created3 = q.issue("hotich", kiosk="kiosk-b", idempotency_key="tap-00001")
    assert (created, created2, created3) == (True, False, True)
    assert again["id"] == a["id"] and other["id"] != a["id"]
    hall.real += 24 * H
    tomorrow, created4 = q.issue("hotich", kiosk="kiosk-a", idempotency_key="tap-00001")
    assert created4 and tomorrow["id"] != a["id"] and tomorrow["number"] == "A001"


def test_the_call_order_index_holds_the_policy_order(tmp_path):
    from core.policy import CALL_ORDER

    _, store = service_on(tmp_path, Hall("2026-12-01 09:00"))
    sql = store.reader().execute("SELECT sql FROM sqlite_master WHERE name = 'tickets_line'")
    assert f"(service, {CALL_ORDER})" in sql.fetchone()[0]


op = st.one_of(
    st.tuples(st.just("issue"), st.booleans()),
    st.tuples(st.just("next"), st.just(0)),
    st.tuples(st.just("wait"), st.sampled_from([1.0, 60.0, 600.0, 3 * H])),
    st.tuples(st.just("step"), st.sampled_from([-15 * 60.0, -2 * H, 3 * 60.0, 14.25 * H, 20 * H])),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    start=st.sampled_from(["2026-11-30 08:00", "2026-11-30 23:40", "2026-12-01 07:30"]),
    boot=st.sampled_from([0.0, -20 * H, -15 * 60.0, 10 * 60.0]),
    ops=st.lists(op, min_size=1, max_size=40),
)
def test_any_interleaving_of_steps_keeps_order_numbers_and_waiting(tmp_path_factory, start,
                                                                   boot, ops):  # fmt: skip
    hall = Hall(start)
    q, store = service_on(tmp_path_factory.mktemp("clock"), hall, boot_offset=boot)
    # id -> [number, priority, issue time]: a step is a correction, so the wall clock after
    # the last step is the truth, and a ticket's real issue time moves with every later step.
    issued: dict[str, list] = {}
    called: list[str] = []
    try:
        ended: set[str] = set()  # tickets whose day had ended by the clock as then known

        def note_ended():
            today = office_day(hall.wall(), TZ)
            ended.update(tid for tid, e in issued.items() if office_day(e[2], TZ) < today)

        for kind, arg in ops:
            if kind != "step":
                note_ended()  # what the op's own clock reading may roll (no step in it)
            if kind == "issue":
                t, _ = q.issue("hotich", priority=arg)
                issued[t["id"]] = [t["number"], arg, hall.wall()]
            elif kind == "next":
                t = q.next(1)
                if t is not None:
                    called.append(t["id"])
            elif kind == "wait":
                hall.real += arg
            else:
                hall.real += 1
                hall.step(arg)
                for entry in issued.values():
                    entry[2] += arg
        note_ended()
        q.line.snapshot()  # a read rolls the day too
        rows = {r["id"]: r for r in store.reader().execute("SELECT * FROM tickets")}
        for tid, (number, _, _) in issued.items():
            assert rows[tid]["number"] == number  # never renumbered
            if rows[tid]["status"] == "expired":  # only the end of a day expires, not a step
                assert tid in ended, (start, boot, ops)
        by_day: dict[str, set] = {}
        for tid, (number, _, _) in issued.items():
            if rows[tid]["status"] != "expired":
                assert number not in by_day.setdefault(rows[tid]["day"], set())
                by_day[rows[tid]["day"]].add(number)
        for priority in (False, True):
            mine = [tid for tid in called if issued[tid][1] == priority]
            order = [tid for tid in issued if tid in mine]
            assert mine == order  # called in issue order within each class
    finally:
        q.drain()
        store.close()


def test_the_days_figures_do_not_grow_by_a_step(tmp_path):
    from reports import summary

    hall = Hall("2026-12-01 08:00")
    q, store = service_on(tmp_path, hall, boot_offset=-20 * H)
    q.issue("hotich")
    hall.real += 10 * 60
    hall.step(20 * H)
    hall.real += 5 * 60
    q.next(1)
    hall.real += 7 * 60
    q.finish(1)
    report = summary.compute(store.reader(), q.office, "2026-12-01")
    assert (report["office"]["issued"], report["office"]["served"]) == (1, 1)
    assert report["office"]["wait_max_s"] == 15 * 60
    assert report["office"]["service_avg_s"] == 7 * 60
    assert [h["key"] for h in report["hours"] if h["issued"]] == ["08"]


def test_m004_keeps_every_ticket_its_line_and_its_counts(tmp_path):
    """An office that updates mid-day keeps its line, in the same order, and its keys."""
    from sqlite_utils import Database

    from core.store import connect, migrations

    db = Database(connect(tmp_path / "onestop.db"))
    migrations.apply(db, stop_before="m004_clock_and_keys")
    rows = [("a", 2, 50.0, "waiting", "k-000001"), ("b", 1, 50.0, "waiting", None),
            ("c", 3, 10.0, "done", "k-000002"), ("d", 4, 70.0, "waiting", "k-000003")]  # fmt: skip
    for tid, n, queued, status, key in rows:
        db.conn.execute(
            "INSERT INTO tickets (id, day, service, origin, n, number, status, issued_at,"
            " queued_at, idempotency_key) VALUES (?, '2026-11-30', 'hotich', 'hotich', ?, ?, ?,"
            " ?, ?, ?)",
            (tid, n, f"A{n:03d}", status, queued, queued, key),
        )
    # What another migration (m003_devices) might have added to tickets before this one.
    db.conn.execute("ALTER TABLE tickets ADD COLUMN device TEXT DEFAULT 'quay-1'")
    db.conn.execute("CREATE INDEX tickets_device ON tickets (device)")
    db.conn.commit()
    before = [tuple(r) for r in db.conn.execute("SELECT rowid, id, n FROM tickets ORDER BY 1")]
    migrations.apply(db)
    conn = db.conn
    assert [tuple(r) for r in conn.execute("SELECT rowid, id, n FROM tickets ORDER BY 1")] == before
    from core.policy import CALL_ORDER

    line = [r[0] for r in conn.execute(
        f"SELECT id FROM tickets WHERE status = 'waiting' ORDER BY {CALL_ORDER}")]  # fmt: skip
    assert line == ["b", "a", "d"]  # queued_at, then n: as before the upgrade
    assert conn.execute("SELECT n FROM waiting_counts").fetchone()[0] == 3
    conn.execute("UPDATE tickets SET status = 'called' WHERE id = 'b'")  # triggers still count
    assert conn.execute("SELECT n FROM waiting_counts").fetchone()[0] == 2
    names = {
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'tickets'")
    }
    assert {"tickets_line", "tickets_day", "tickets_done", "tickets_key", "waiting_counts_insert",
            "waiting_counts_update", "waiting_counts_delete", "tickets_device"} <= names  # fmt: skip
    assert {r[0] for r in conn.execute("SELECT device FROM tickets")} == {"quay-1"}
    assert conn.execute("SELECT value FROM meta WHERE key = 'qseq'").fetchone()[0] == "4"
    conn.execute(
        "INSERT INTO tickets (id, day, service, origin, n, number, status, issued_at, queued_at,"
        " kiosk, idempotency_key) VALUES ('e', '2026-11-30', 'hotich', 'hotich', 5, 'A005',"
        " 'waiting', 0, 0, 'kiosk-b', 'k-000001')"
    )  # another kiosk may use the same key
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO tickets (id, day, service, origin, n, number, status, issued_at,"
            " queued_at, idempotency_key) VALUES ('f', '2026-11-30', 'hotich', 'hotich', 6,"
            " 'A006', 'waiting', 0, 0, 'k-000001')"
        )
    conn.rollback()
    db.conn.close()


def test_a_step_re_dates_only_the_day_in_effect_never_history(tmp_path):
    hall = Hall("2026-11-30 09:00")
    q, _ = service_on(tmp_path, hall)
    old, _ = q.issue("hotich")
    q.next(1)
    q.finish(1)
    hall.real += 24 * H  # a real night: 12-01 09:00
    held, _ = q.issue("hotich")
    hall.step(20 * H)  # a wrong jump forward into 12-02
    q.line.snapshot()
    assert q.line.ticket(old["id"])["day"] == "2026-11-30"  # history stays on its day
    now = q.line.ticket(held["id"])
    assert (now["status"], now["number"], now["day"]) == ("waiting", "A001", "2026-12-02")
