"""QueueService behaviour at chosen instants (the clock is set by hand)."""

import sqlite3

import pytest

from core.errors import Conflict, IllegalTransition, NotFound
from tests.helpers import site_config


@pytest.fixture
def q(onestop):
    return onestop.queue


def test_numbers_per_procedure_with_prefix(q):
    a1, _ = q.issue("hotich")
    a2, _ = q.issue("hotich")
    b1, _ = q.issue("chungthuc")
    assert [a1["number"], a2["number"], b1["number"]] == ["A001", "A002", "B001"]
    assert a2["position"] == 1 and b1["position"] == 0


def test_idempotency_key_returns_the_same_ticket(q):
    t1, created1 = q.issue("hotich", idempotency_key="tap-0001")
    t2, created2 = q.issue("hotich", idempotency_key="tap-0001")
    assert created1 and not created2
    assert t1["id"] == t2["id"]
    n = q.store.reader().execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    assert n == 1


def test_ids_are_unguessable(q):
    ids = {q.issue("hotich")[0]["id"] for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) >= 16 for i in ids)


def test_full_lifecycle_and_event_log(q, clock):
    t, _ = q.issue("hotich")
    clock.advance(120)
    called = q.next(1, clerk="an")
    assert called["id"] == t["id"] and called["status"] == "called"
    clock.advance(30)
    assert q.start(1, clerk="an")["status"] == "serving"
    clock.advance(300)
    done = q.finish(1, clerk="an")
    assert done["status"] == "done"
    events = [
        r[0]
        for r in q.store.reader().execute(
            "SELECT type FROM events WHERE ticket_id = ? ORDER BY id", (t["id"],)
        )
    ]
    assert events == ["issued", "called", "started", "finished"]
    assert q.line.counter(1)["ticket"] is None


def test_next_finishes_the_current_ticket_first(q):
    t1, _ = q.issue("hotich")
    t2, _ = q.issue("hotich")
    assert q.next(1)["id"] == t1["id"]
    assert q.next(1)["id"] == t2["id"]
    assert q.line.ticket(t1["id"])["status"] == "done"


def test_next_with_nobody_waiting_returns_none(q):
    assert q.next(1) is None


def test_next_only_calls_the_counters_procedures(q):
    q.issue("datdai")  # counter 1 serves hotich, chungthuc
    assert q.next(1) is None
    assert q.next(3)["service"] == "datdai"


def test_priority_first_then_oldest(q, clock):
    old, _ = q.issue("hotich")
    clock.advance(10)
    prio, _ = q.issue("hotich", priority=True)
    assert prio["position"] == 0
    assert q.next(1)["id"] == prio["id"]
    assert q.next(1)["id"] == old["id"]


def test_oldest_first_across_the_counters_procedures(q, clock):
    b, _ = q.issue("chungthuc")
    clock.advance(5)
    a, _ = q.issue("hotich")
    assert q.next(1)["id"] == b["id"]
    assert q.next(1)["id"] == a["id"]


def test_transfer_goes_to_the_head_of_the_new_queue_with_the_same_number(q, clock):
    waiting_c, _ = q.issue("datdai")
    moving, _ = q.issue("hotich")
    q.next(1)
    clock.advance(60)
    moved = q.transfer(1, "datdai")
    assert moved["status"] == "waiting" and moved["service"] == "datdai"
    assert moved["number"] == moving["number"] and moved["position"] == 0
    assert q.next(3)["id"] == moving["id"]
    assert q.next(3)["id"] == waiting_c["id"]


def test_recall_start_finish_no_show_need_a_current_ticket(q):
    for action in (q.recall, q.start, q.finish, q.no_show):
        with pytest.raises(Conflict) as e:
            action(1)
        assert e.value.code == "no_current_ticket"


def test_illegal_move_is_refused_and_changes_nothing(q):
    q.issue("hotich")
    q.next(1)
    q.start(1)
    with pytest.raises(IllegalTransition):
        q.no_show(1)  # serving -> no_show is not allowed
    assert q.line.counter(1)["ticket"]["status"] == "serving"


def test_no_show(q):
    t, _ = q.issue("hotich")
    q.next(1)
    assert q.no_show(1)["status"] == "no_show"
    assert q.line.counter(1)["ticket"] is None


def test_double_next_with_expected_ticket_does_not_skip(q):
    q.issue("hotich")
    q.issue("hotich")
    first = q.next(1, expect=None)
    with pytest.raises(Conflict) as e:
        q.next(1, expect=None)  # the second click of a double click still expects "nothing"
    assert e.value.code == "stale_request"
    assert q.line.counter(1)["ticket"]["id"] == first["id"]


def test_pause_blocks_next_until_resume(q):
    q.issue("hotich")
    assert q.pause(1)["status"] == "paused"
    with pytest.raises(Conflict) as e:
        q.next(1)
    assert e.value.code == "counter_paused"
    assert q.resume(1)["status"] == "open"
    assert q.next(1) is not None


def test_feedback_once_and_only_when_done(q):
    t, _ = q.issue("hotich")
    with pytest.raises(Conflict) as e:
        q.feedback(t["id"], 4)
    assert e.value.code == "not_finished"
    q.next(1)
    q.finish(1)
    assert q.feedback(t["id"], 4)["rating"] == 4
    with pytest.raises(Conflict) as e:
        q.feedback(t["id"], 3)
    assert e.value.code == "already_rated"


def test_unknown_ids(q):
    with pytest.raises(NotFound):
        q.issue("nope")
    with pytest.raises(NotFound):
        q.next(99)
    with pytest.raises(NotFound):
        q.line.ticket("x" * 16)


def test_ticket_numbers_are_unique_in_the_database(q):
    t, _ = q.issue("hotich")
    with pytest.raises(sqlite3.IntegrityError):
        q.store.db.conn.execute(
            "INSERT INTO tickets (id, day, service, origin, n, number, status, issued_at, queued_at)"
            " VALUES ('dup', ?, 'hotich', 'hotich', 1, 'A001', 'waiting', 0, 0)",
            (t["day"],),
        )
    q.store.db.conn.rollback()


def test_events_are_append_only(q):
    q.issue("hotich")
    conn = q.store.db.conn
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("DELETE FROM events")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE events SET type = 'x'")
    conn.rollback()


def test_numbers_exhausted(tmp_path, clock):
    from server.app import create_app

    cfg = site_config()
    cfg["services"][0]["range_start"] = 1
    cfg["services"][0]["range_end"] = 2
    app = create_app({"DATA_DIR": tmp_path, "CONFIG": cfg, "CLOCK": clock})
    q = app.extensions["onestop"].queue
    q.issue("hotich")
    q.issue("hotich")
    with pytest.raises(Conflict) as e:
        q.issue("hotich")
    assert e.value.code == "numbers_exhausted"
    assert q.store.reader().execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 2


def test_wait_estimate_uses_recent_service_times(q, clock):
    for _ in range(3):
        q.issue("hotich")
    q.next(1)
    clock.advance(100)
    q.finish(1)  # one service of 100 s
    t, _ = q.issue("hotich")
    # 2 waiting ahead; counters 1 and 2 serve hotich and are open: 2 * 100 / 2
    assert t["position"] == 2
    assert t["estimated_wait_s"] == 100
    assert t["estimated_wait_at_issue_s"] == 100


def test_events_are_published_after_commit_in_order(q):
    seen = []

    def subscriber(name, payload):
        # The change must already be visible to a fresh reader when we hear of it.
        if "ticket" in payload and name == "ticket_issued":
            row = q.store.reader().execute(
                "SELECT id FROM tickets WHERE id = ?", (payload["ticket"]["id"],)
            )
            assert row.fetchone() is not None
        seen.append((name, payload.get("seq")))

    q.subscribe(subscriber)
    q.issue("hotich")
    q.next(1)
    q.start(1)
    q.drain()
    assert [n for n, _ in seen] == ["ticket_issued", "ticket_called", "queue_changed"]
    seqs = [s for _, s in seen]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert q.line.snapshot()["seq"] == seqs[-1]


def test_a_broken_subscriber_does_not_stop_others(q):
    got = []

    def broken(name, payload):
        raise RuntimeError("boom")

    q.subscribe(broken)
    q.subscribe(lambda n, p: got.append(n))
    q.issue("hotich")
    q.drain()
    assert got == ["ticket_issued"]


def test_inline_subscribers_run_after_the_write_lock_is_let_go_in_commit_order(q):
    """The screens' fan-out runs on the committing thread, never holding up other writers."""
    import threading

    seen, lock_free = [], []

    def inline(name, payload):
        # Another thread can take the write lock now: we are past the commit and the lock.
        def probe():
            took = q.store.lock.acquire(timeout=2)
            lock_free.append(took)
            if took:
                q.store.lock.release()

        t = threading.Thread(target=probe)
        t.start()
        t.join()
        seen.append((name, payload["seq"], threading.get_ident()))

    q.subscribe(inline, inline=True)
    me = threading.get_ident()
    q.issue("hotich")
    assert [n for n, _, _ in seen] == ["ticket_issued"]  # delivered before issue() returned
    q.next(1)
    q.start(1)
    assert [n for n, _, _ in seen] == ["ticket_issued", "ticket_called", "queue_changed"]
    assert all(lock_free) and all(ident == me for _, _, ident in seen)
    seqs = [s for _, s, _ in seen]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3


def test_inline_subscribers_keep_commit_order_across_threads(q):
    from concurrent.futures import ThreadPoolExecutor

    seqs = []
    q.subscribe(lambda n, p: seqs.append(p["seq"]), inline=True)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: q.issue("hotich"), range(80)))
    assert len(seqs) == 80 and seqs == sorted(seqs)


def test_a_broken_inline_subscriber_loses_nothing(q):
    got = []

    def broken(name, payload):
        raise RuntimeError("boom")

    q.subscribe(broken, inline=True)
    q.subscribe(lambda n, p: got.append(n), inline=True)
    t, created = q.issue("hotich")  # the ticket is issued and answered all the same
    assert created and q.line.ticket(t["id"])["status"] == "waiting"
    assert got == ["ticket_issued"]


def test_snapshot_lists_recent_calls_newest_first(q, onestop):
    for _ in range(3):
        q.issue("hotich")
    q.next(1)
    q.next(2)
    snap = q.line.snapshot().said(onestop.plan)  # as the screens get it: voice's sentence
    assert [c["counter"] for c in snap["recent"]] == [2, 1]
    assert snap["recent"][0]["text"].startswith("Mời công dân có số thứ tự A 0 0 2")
    assert snap["waiting"]["hotich"] == 1


def test_changes_by_another_process_are_published(onestop, tmp_path, clock):
    from core.service import QueueService
    from core.store import Store

    q = onestop.queue
    q.issue("hotich")
    got = []
    q.subscribe(lambda n, p: got.append((n, p)))
    assert q.publish_outside_changes() is False
    other = QueueService(Store(q.store.path), q.office, clock=clock)  # as `flask day close`
    assert other.close_day() == 1
    assert q.publish_outside_changes() is True
    q.drain()
    assert got[-1][0] == "queue_changed" and got[-1][1]["waiting"]["hotich"] == 0
    assert q.publish_outside_changes() is False
    other.store.close()
