"""8 threads issue 400 tickets while 4 counters call: no duplicate, nothing lost."""

import threading
import time
from collections import Counter

from core.errors import Conflict


def test_concurrent_issue_and_call(onestop):
    q = onestop.queue
    services = ["hotich", "chungthuc", "datdai", "ldtbxh", "vhxh", "khac"]
    issued: list[dict] = []
    called: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []

    def kiosk(k):
        try:
            for i in range(50):
                t, created = q.issue(services[(k + i) % len(services)], kiosk=f"k{k}")
                assert created
                with lock:
                    issued.append(t)
        except BaseException as e:  # surfaced below
            errors.append(e)

    def clerk(number):
        try:
            while True:
                try:
                    t = q.next(number, clerk=f"c{number}")
                except Conflict:
                    continue
                if t is None:
                    if stop.is_set():  # kiosks done and nobody left: every ticket called
                        break
                    time.sleep(0.001)
                    continue
                with lock:
                    called.append(t["id"])
        except BaseException as e:
            errors.append(e)

    kiosks = [threading.Thread(target=kiosk, args=(k,)) for k in range(8)]
    clerks = [threading.Thread(target=clerk, args=(n,)) for n in (1, 2, 3, 4)]
    for t in kiosks + clerks:
        t.start()
    for t in kiosks:
        t.join()
    stop.set()
    for t in clerks:
        t.join(60)
    assert not errors, errors
    assert len(issued) == 400

    labels = Counter((t["day"], t["number"]) for t in issued)
    assert max(labels.values()) == 1, "a number was issued twice"
    assert len(called) == len(set(called)), "a ticket was called twice"
    assert set(called) == {t["id"] for t in issued}, "every ticket gets called"

    conn = onestop.store.reader()
    rows = conn.execute("SELECT ticket_id, type FROM events WHERE ticket_id IS NOT NULL").fetchall()
    by_type = Counter(r["type"] for r in rows)
    assert by_type["issued"] == 400
    assert by_type["called"] == 400
    assert by_type["finished"] >= 400 - 4  # each counter's last ticket may still be open
    assert {r["ticket_id"] for r in rows} == {t["id"] for t in issued}
