"""The event registry: nothing is logged or published that it does not know."""

from __future__ import annotations

import pytest

from core import events


@pytest.fixture
def q(onestop):
    return onestop.queue


def test_recording_an_unknown_event_fails_and_stores_nothing(q):
    before = q.store.reader().execute("SELECT COUNT(*) FROM events").fetchone()[0]
    with pytest.raises(events.UnknownEvent):
        q.record("made_up_event")
    with pytest.raises(events.UnknownEvent):  # a message is not a logged event
        q.record(events.TICKET_CALLED)
    with pytest.raises(events.UnknownEvent):  # a payload key its type does not have
        q.record(events.PRINT_FAILED, None, colour="red")
    assert q.store.reader().execute("SELECT COUNT(*) FROM events").fetchone()[0] == before


def test_every_logged_type_is_registered_as_stored(q):
    t, _ = q.issue("hotich")
    q.next(1)
    q.recall(1)
    q.start(1)
    q.finish(1)
    q.feedback(t["id"], 4)
    q.issue("hotich")
    q.next(1)
    q.transfer(1, "chungthuc")
    q.pause(1)
    q.resume(1)
    q.record(events.PRINT_FAILED, t["id"], reason="paper_out", message="Máy in hết giấy")
    q.close_day()
    types = {r[0] for r in q.store.reader().execute("SELECT DISTINCT type FROM events")}
    assert len(types) >= 11
    assert all(events.get(name).stored for name in types)


def test_the_bus_refuses_an_unknown_message(q):
    with pytest.raises(events.UnknownEvent):
        q.bus.publish([("ticket_teleported", None)])


def test_public_messages_carry_no_ticket_id_url_rating_or_clerk(q):
    got = []
    q.subscribe(lambda name, payload: got.append((name, payload)), inline=True)
    q.issue("hotich")
    q.next(1, clerk="canbo1")
    assert [n for n, _ in got] == [events.TICKET_ISSUED, events.TICKET_CALLED]
    for name, payload in got:
        text = repr(events.to_json(name, payload, events.PUBLIC))
        for secret in ("'id'", "'url'", "'rating'", "'kiosk'", "canbo1"):
            assert secret not in text, (name, secret)
    staff = events.to_json(*got[1], events.STAFF)
    assert staff["call"]["ticket"]["id"] and staff["counters"][0]["clerk"] == "canbo1"
    with pytest.raises(events.UnknownEvent):
        events.to_json(events.TICKET_RATED, None, events.PUBLIC)


def test_alerts_and_audiences_come_from_the_registry():
    assert set(events.names(alert=True)) == {"print_failed", "voice_gap", "display_lost",
                                           "clock_stepped"}  # fmt: skip
    assert set(events.names(audience=events.PUBLIC, stored=False)) == {
        "ticket_issued", "ticket_called", "queue_changed", "snapshot", "config_changed"}  # fmt: skip
    assert all(events.get(n).hub for n in events.names(stored=True))
