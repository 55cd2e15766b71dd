"""Regression tests for the bugs the fault tests found (each was a 500 or a wrong state)."""

from __future__ import annotations

import pytest

from tests.faults.tools import dump


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,  # RecursionError in json, not ValueError
        b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
        b'{"service": "hotich", "kiosk": "\\ud800"}',  # lone surrogate SQLite cannot store
        b'{"service": "\\udfff"}',
        b'{"service": "hotich", "\\ud800": 1}',
    ],
)
def test_bodies_that_crashed_the_parser_are_400(client, onestop, raw):
    before = dump(onestop.store.reader())
    r = client.post("/api/tickets", data=raw, content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "invalid_json"
    assert dump(onestop.store.reader()) == before


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
@pytest.mark.parametrize("action", ["next", "recall", "start", "finish", "no-show", "pause"])
def test_huge_counter_numbers_are_404(client, auth, number, action):
    r = client.post(f"/api/counters/{number}/{action}", headers=auth["clerk"])
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "unknown_counter"


def test_failed_first_write_of_the_day_still_expires_yesterday(client, auth, clock, kiosk):
    """The day roll used to be rolled back with a failing action and never retried."""
    old = kiosk.take_ticket("hotich")
    clock.advance(24 * 3600)
    r = client.post("/api/counters/1/start", headers=auth["clerk"])  # nothing to start: 409
    assert r.status_code == 409
    r = client.post("/api/counters/1/next", headers=auth["clerk"])
    assert r.status_code == 204, "yesterday's ticket must not be called today"
    assert client.get(f"/api/tickets/{old['id']}").get_json()["ticket"]["status"] == "expired"


def test_transfer_to_a_procedure_that_issued_the_same_ordinal(clock, kiosk, counter):
    """A001 moved to Chứng thực where B001 exists used to fail on UNIQUE (day, service, n)."""
    a = kiosk.take_ticket("hotich")
    clock.advance(10)
    kiosk.take_ticket("chungthuc")  # B001: same ordinal n=1
    assert counter.next(1)["id"] == a["id"]
    r = counter.post(1, "transfer", service="chungthuc")
    assert r.status_code == 200, r.get_json()
    moved = r.get_json()["ticket"]
    assert (moved["number"], moved["service"], moved["status"]) == ("A001", "chungthuc", "waiting")
    assert counter.next(2)["id"] == a["id"]  # head of the Chứng thực queue
