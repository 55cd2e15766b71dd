import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from core.estimate import estimate_wait
from core.policy import CALL_ORDER, people_ahead, pick_next
from core.policy import call_key as sort_key
from core.states import STATES, WAITING

SERVICES = ["a", "b", "c"]

tickets_st = st.lists(
    st.fixed_dictionaries(
        {
            "status": st.sampled_from(STATES),
            "service": st.sampled_from(SERVICES),
            "priority": st.booleans(),
            "head": st.booleans(),
            "qseq": st.integers(0, 10**6),
            "n": st.integers(1, 999),
            "number": st.integers(1, 999),
        }
    ),
    max_size=40,
).map(lambda ts: [{**t, "id": str(i)} for i, t in enumerate(ts)])


@given(tickets_st, st.sets(st.sampled_from(SERVICES)))
def test_pick_next_only_returns_waiting_tickets_the_counter_serves(tickets, served):
    t = pick_next(tickets, served)
    eligible = [x for x in tickets if x["status"] == WAITING and x["service"] in served]
    if t is None:
        assert eligible == []
    else:
        assert t["status"] == WAITING and t["service"] in served
        assert all(sort_key(t) <= sort_key(x) for x in eligible)


@given(tickets_st)
def test_people_ahead_counts_only_earlier_waiting_tickets_of_the_same_service(tickets):
    for t in tickets:
        ahead = people_ahead(t, tickets)
        same = [x for x in tickets if x["status"] == WAITING and x["service"] == t["service"]]
        assert 0 <= ahead <= max(0, len(same) - (1 if t in same else 0))


def test_order_transferred_then_priority_then_oldest():
    base = {"status": WAITING, "service": "a", "head": False, "priority": False, "n": 1,
            "number": 1}  # fmt: skip
    old = {**base, "id": "old", "qseq": 1}
    new_priority = {**base, "id": "prio", "qseq": 5, "priority": True}
    transferred = {**base, "id": "moved", "qseq": 9, "head": True}
    order = []
    pool = [old, new_priority, transferred]
    while (t := pick_next(pool, ["a"])) is not None:
        order.append(t["id"])
        pool = [x for x in pool if x is not t]
    assert order == ["moved", "prio", "old"]


def test_estimate_uses_median_recent_service_and_open_counters():
    assert estimate_wait(0, [300], 2, 600) == 0
    assert estimate_wait(4, [], 2, 600) == 1200  # no history: configured default
    assert estimate_wait(4, [100, 200, 9000], 1, 600) == 800  # median ignores the outlier
    assert estimate_wait(3, [120], 0, 600) == 360  # no open counter: assume one will open


@given(tickets_st)
def test_the_sql_call_order_and_its_python_twin_agree(tickets):
    """CALL_ORDER (what the index and the queries use) sorts exactly like call_key."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id TEXT, head INT, priority INT, qseq INT, n INT,"
                 " number TEXT)")  # fmt: skip
    rows = [{**t, "number": f"A{t['number']:03d}"} for t in tickets]
    conn.executemany("INSERT INTO t VALUES (:id, :head, :priority, :qseq, :n, :number)", rows)
    by_sql = [r[0] for r in conn.execute(f"SELECT id FROM t ORDER BY {CALL_ORDER}, id")]
    by_python = [t["id"] for t in sorted(rows, key=lambda t: (sort_key(t), t["id"]))]
    assert by_sql == by_python
