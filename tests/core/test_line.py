"""The waiting line's counts and index (store.m002) agree with the tickets themselves.

Whatever mix of issuing, calling, transfers and no-shows happens, the counted line must
give the same "people ahead", the same next ticket and the same clerk's list as a plain
sort of every waiting row.
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

import core.line as service_mod
from core.errors import Conflict
from core.store import connect, migrations
from server.app import create_app
from tests.helpers import Clock, site_config

SERVICES = ["hotich", "chungthuc", "datdai"]
COUNTERS = [1, 2, 3, 4]


def call_order(row) -> tuple:
    """core.policy.CALL_ORDER, written out again here (the line's sequence, not the clock)."""
    return (-row["head"], -row["priority"], row["qseq"], row["n"], row["number"])


def check_line(q) -> None:
    """Every derived figure equals what a full sort of the waiting rows says."""
    conn = q.store.reader()
    waiting = conn.execute("SELECT * FROM tickets WHERE status = 'waiting'").fetchall()
    truth: dict[tuple, int] = {}
    for t in waiting:
        key = (t["service"], t["head"], t["priority"])
        truth[key] = truth.get(key, 0) + 1
    counted = {
        (r["service"], r["head"], r["priority"]): r["n"]
        for r in conn.execute("SELECT * FROM waiting_counts WHERE n != 0")
    }
    assert counted == truth
    for key in truth:  # never transferred: called in the order their numbers were drawn
        part = [t for t in waiting if (t["service"], t["head"], t["priority"]) == key
                and t["transfers"] == 0]  # fmt: skip
        assert sorted(part, key=call_order) == sorted(part, key=lambda t: t["n"])
    for t in waiting:
        mine = call_order(t)
        ahead = sum(
            1
            for o in waiting
            if o["service"] == t["service"] and o["id"] != t["id"] and call_order(o) < mine
        )
        assert q.line.ticket(t["id"])["position"] == ahead, dict(t)
    for counter in conn.execute("SELECT number, services FROM counters WHERE active = 1"):
        services = [s for s in SERVICES if f'"{s}"' in counter["services"]]
        expected = sorted((t for t in waiting if t["service"] in services), key=call_order)
        listed = q.line.waiting_list(services, limit=5)
        assert [t["id"] for t in listed] == [t["id"] for t in expected[:5]]
        for t in listed:
            assert t["position"] == q.line.ticket(t["id"])["position"]


op = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(SERVICES), st.booleans()),
    st.tuples(st.just("next"), st.sampled_from(COUNTERS)),
    st.tuples(st.just("no_show"), st.sampled_from(COUNTERS)),
    st.tuples(st.just("transfer"), st.sampled_from(COUNTERS), st.sampled_from(SERVICES)),
    st.tuples(st.just("tick"), st.sampled_from([0, 1, 30, -900])),  # -900: the clock set back
)


@pytest.mark.parametrize("scan", [2, service_mod.AHEAD_SCAN])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(ops=st.lists(op, min_size=1, max_size=40))
def test_counted_line_matches_a_full_sort(tmp_path_factory, monkeypatch, scan, ops):
    # A scan of 2 sends most tickets down the "count from the back" path.
    monkeypatch.setattr(service_mod, "AHEAD_SCAN", scan)
    clock = Clock()
    app = create_app({"DATA_DIR": tmp_path_factory.mktemp("line"), "CONFIG": site_config(),
                      "CLOCK": clock, "TESTING": True})  # fmt: skip
    q = app.extensions["onestop"].queue
    try:
        for step in ops:
            kind = step[0]
            try:
                if kind == "issue":
                    q.issue(step[1], priority=step[2])
                elif kind == "next":
                    q.next(step[1])
                elif kind == "no_show":
                    q.no_show(step[1])
                elif kind == "transfer":
                    q.transfer(step[1], step[2])
                else:
                    clock.advance(step[1])  # 0: equal queued_at; < 0: the order must hold
            except Conflict:
                pass  # nothing current, paused, ...: refused and changes nothing
        check_line(q)
    finally:
        q.drain()
        app.extensions["onestop"].store.close()


def test_a_long_line_counts_from_both_ends(onestop, clock):
    """Past AHEAD_SCAN the count comes from the back; front and back must agree."""
    q = onestop.queue
    tickets = []
    for i in range(service_mod.AHEAD_SCAN * 2 + 5):
        tickets.append(q.issue("hotich", priority=i % 10 == 0)[0])
        clock.advance(1)
    check_line(q)
    assert tickets[-1]["position"] == len(tickets) - 1  # printed on the last ticket


def test_upgrading_a_database_counts_the_tickets_already_waiting(tmp_path):
    """An office that updates mid-day keeps its line: m002 counts the rows already there."""
    path = tmp_path / "onestop.db"
    db = Database(connect(path))
    migrations.apply(db, stop_before="m002_waiting_line")
    rows = [("a", "hotich", 0, 0, "waiting"), ("b", "hotich", 0, 1, "waiting"),
            ("c", "hotich", 0, 0, "done"), ("d", "datdai", 1, 0, "waiting")]  # fmt: skip
    for n, (tid, service, head, priority, status) in enumerate(rows, 1):
        db.conn.execute(
            "INSERT INTO tickets (id, day, service, origin, n, number, status, priority,"
            " issued_at, queued_at, head) VALUES (?, '2026-11-28', ?, ?, ?, ?, ?, ?, 0, 0, ?)",
            (tid, service, service, n, f"X{n}", status, priority, head),
        )
    db.conn.commit()
    migrations.apply(db)
    counts = db.conn.execute(
        "SELECT service, head, priority, n FROM waiting_counts ORDER BY 1, 2, 3"
    ).fetchall()
    assert [tuple(r) for r in counts] == [("datdai", 1, 0, 1), ("hotich", 0, 0, 1),
                                          ("hotich", 0, 1, 1)]  # fmt: skip
    db.conn.close()


def test_the_counts_cannot_drift_from_a_rolled_back_change(onestop):
    """Triggers run inside the ticket's transaction: a refused change leaves no trace."""
    q = onestop.queue
    q.issue("hotich")
    with pytest.raises(sqlite3.IntegrityError), q.store.write() as conn:
        conn.execute("UPDATE tickets SET status = 'called'")
        conn.execute("INSERT INTO events (id, at, day, type) SELECT id, 0, '', '' FROM events")
    check_line(q)
    assert q.line.snapshot()["waiting"]["hotich"] == 1
