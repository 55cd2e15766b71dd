"""Socket.IO: what displays and staff receive, in which order, and who may connect."""

from __future__ import annotations

import pytest

from server.sockets import DISPLAY, STAFF, socketio
from tests.counter.pages import add_user, login


def enrolled(app, kind: str, name: str) -> dict:
    """The socket auth of an enrolled device (enrolled on first use)."""
    tokens = app.extensions.setdefault("test_device_tokens", {})
    if name not in tokens:
        tokens[name] = app.extensions["onestop"].enrolled.add(name, kind)[1]
    return {"token": tokens[name]}


def display(app, client=None, **auth):
    """A /display socket; `kind` and `name` of a display or kiosk: an enrolled one."""
    if auth.get("kind") in ("display", "kiosk") and auth.get("name"):
        auth = enrolled(app, auth["kind"], auth["name"])
    return socketio.test_client(
        app, namespace=DISPLAY, flask_test_client=client or app.test_client(), auth=auth or None
    )


def events(sio, name=None, namespace=DISPLAY):
    got = sio.get_received(namespace)
    return [e["args"][0] for e in got if name is None or e["name"] == name]


def test_connect_gets_a_snapshot(app, onestop, kiosk):
    kiosk.take_ticket("hotich")
    onestop.queue.drain()
    sio = display(app)
    assert sio.is_connected(DISPLAY)
    got = sio.get_received(DISPLAY)
    assert [e["name"] for e in got] == ["snapshot"]
    snap = got[0]["args"][0]
    assert snap["seq"] == 1
    assert snap["waiting"]["hotich"] == 1
    assert {c["number"] for c in snap["counters"]} == {1, 2, 3, 4}
    assert snap["recent"] == [] and snap["now"].startswith("2026-11-30T09:00")


def test_a_call_reaches_every_display_with_rising_seq(app, onestop, kiosk, counter):
    screens = [display(app) for _ in range(3)]
    for s in screens:
        s.get_received(DISPLAY)
    kiosk.take_ticket("hotich")
    kiosk.take_ticket("chungthuc")
    first = counter.next(1)
    second = counter.next(2)
    onestop.queue.drain()
    for s in screens:
        got = s.get_received(DISPLAY)
        names = [e["name"] for e in got]
        assert names == ["ticket_issued", "ticket_issued", "ticket_called", "ticket_called"]
        seqs = [e["args"][0]["seq"] for e in got]
        assert seqs == [1, 2, 3, 4]
        calls = [e["args"][0] for e in got if e["name"] == "ticket_called"]
        assert [(c["call"]["ticket"]["number"], c["call"]["counter"]) for c in calls] == [
            (first["number"], 1),
            (second["number"], 2),
        ]
        assert all(c["recall"] is False for c in calls)
        assert calls[0]["call"]["text"]  # the sentence the announcer speaks


def test_recall_and_queue_changes_are_pushed(app, onestop, kiosk, counter):
    s = display(app)
    s.get_received(DISPLAY)
    kiosk.take_ticket("hotich")
    counter.next(1)
    assert counter.post(1, "recall").status_code == 200
    assert counter.post(1, "start").status_code == 200
    onestop.queue.drain()
    got = s.get_received(DISPLAY)
    assert [e["name"] for e in got] == [
        "ticket_issued",
        "ticket_called",
        "ticket_called",
        "queue_changed",
    ]
    assert got[2]["args"][0]["recall"] is True
    changed = got[3]["args"][0]
    assert changed["seq"] == 4
    assert changed["counters"][0]["ticket"]["status"] == "serving"


def test_get_snapshot_answers_with_the_current_state(app, onestop, kiosk):
    s = display(app)
    s.get_received(DISPLAY)
    kiosk.take_ticket("datdai")
    onestop.queue.drain()
    s.get_received(DISPLAY)
    s.emit("get_snapshot", namespace=DISPLAY)
    snap = events(s, "snapshot")[0]
    assert snap["seq"] == 1 and snap["waiting"]["datdai"] == 1


def test_reconnect_resyncs_to_what_changed_meanwhile(app, onestop, kiosk, counter):
    client = app.test_client()
    s = display(app, client, kind="display", name="sanh-chinh")
    before = events(s, "snapshot")[0]
    s.disconnect(DISPLAY)
    kiosk.take_ticket("hotich")
    called = counter.next(1)
    onestop.queue.drain()
    s.connect(DISPLAY, auth=enrolled(app, "display", "sanh-chinh"))
    snap = events(s, "snapshot")[0]
    assert snap["seq"] == before["seq"] + 2
    assert snap["counters"][0]["ticket"]["number"] == called["number"]
    assert snap["recent"][0]["ticket"]["number"] == called["number"]


def test_anonymous_cannot_join_staff(app):
    sio = socketio.test_client(app, namespace=STAFF, flask_test_client=app.test_client())
    assert not sio.is_connected(STAFF)


def test_a_forged_token_cannot_join_staff(app):
    sio = socketio.test_client(
        app, namespace=STAFF, flask_test_client=app.test_client(), auth={"token": "forged"}
    )
    assert not sio.is_connected(STAFF)


def test_staff_get_alerts_the_lobby_does_not(app, onestop):
    add_user(onestop, "clerk1", "clerk")
    client = app.test_client()
    login(client, "clerk1")
    staff = socketio.test_client(app, namespace=STAFF, flask_test_client=client)
    assert staff.is_connected(STAFF)
    hello = staff.get_received(STAFF)
    assert [e["name"] for e in hello] == ["hello"]  # a clerk gets no presence list
    lobby = display(app)
    lobby.get_received(DISPLAY)
    onestop.queue.record("print_failed", reason="out of paper")
    onestop.queue.record("voice_gap", reason="gTTS timeout")
    onestop.queue.drain()
    got = staff.get_received(STAFF)
    assert [e["name"] for e in got] == ["print_failed", "voice_gap"]
    assert got[0]["args"][0]["reason"] == "out of paper"
    assert lobby.get_received(DISPLAY) == []


def test_staff_by_api_token(app, auth, onestop, kiosk, counter):
    sio = socketio.test_client(
        app,
        namespace=STAFF,
        flask_test_client=app.test_client(),
        auth={"token": auth["supervisor"]["Authorization"][7:]},
    )
    assert sio.is_connected(STAFF)
    names = [e["name"] for e in sio.get_received(STAFF)]
    assert names == ["presence", "hello"]
    t = kiosk.take_ticket("hotich")
    counter.next(1)
    counter.post(1, "finish")
    assert onestop.queue.feedback(t["id"], 4)["rating"] == 4
    onestop.queue.drain()
    got = sio.get_received(STAFF)
    assert [e["name"] for e in got] == ["ticket_rated"]


def test_supervisors_see_presence_change(app, onestop):
    add_user(onestop, "boss", "supervisor")
    client = app.test_client()
    login(client, "boss")
    staff = socketio.test_client(app, namespace=STAFF, flask_test_client=client)
    first = staff.get_received(STAFF)
    assert first[0]["name"] == "presence" and first[0]["args"][0]["devices"] == []
    tv = display(app, kind="display", name="sanh-chinh")
    got = events(staff, "presence", STAFF)
    assert got[-1]["devices"][0]["name"] == "sanh-chinh"
    assert got[-1]["devices"][0]["connected"] is True
    tv.disconnect(DISPLAY)
    got = events(staff, "presence", STAFF)
    assert got[-1]["devices"][0]["connected"] is False
    staff.emit("get_presence", namespace=STAFF)
    assert events(staff, "presence", STAFF)[0]["devices"][0]["name"] == "sanh-chinh"


def test_clerk_cannot_ask_for_presence(app, onestop):
    add_user(onestop, "clerk1", "clerk")
    client = app.test_client()
    login(client, "clerk1")
    staff = socketio.test_client(app, namespace=STAFF, flask_test_client=client)
    staff.get_received(STAFF)
    staff.emit("get_presence", namespace=STAFF)
    got = staff.get_received(STAFF)
    assert [e["name"] for e in got] == ["refused"]


def test_a_clerk_cannot_switch_user_by_resending_connect(app, auth):
    clerk = socketio.test_client(app, namespace=STAFF, flask_test_client=app.test_client(),
                                 auth={"token": auth["clerk"]["Authorization"][7:]})  # fmt: skip
    clerk.get_received(STAFF)
    boss = {"token": auth["supervisor"]["Authorization"][7:]}
    clerk.emit("connect", boss, namespace=STAFF)
    assert clerk.get_received(STAFF) == []  # no second hello, no presence list
    clerk.emit("get_presence", namespace=STAFF)
    assert [e["name"] for e in clerk.get_received(STAFF)] == ["refused"]


@pytest.mark.parametrize(
    "auth", [{"kind": "display", "name": ""}, {"kind": "toaster", "name": "x"}, {"kind": 3}]
)
def test_odd_auth_still_gets_the_lobby_but_no_presence(app, onestop, auth):
    s = display(app, **auth)
    assert s.is_connected(DISPLAY)
    assert events(s, "snapshot")
    assert onestop.devices.presence.snapshot() == []


def test_an_event_named_connect_does_not_rerun_the_connect_handler(app, onestop):
    """python-socketio routes a client event "connect" to the connect handler: ignored."""
    tv = display(app, kind="display", name="sanh-chinh")
    tv.get_received(DISPLAY)
    tv.emit("connect", {"kind": "kiosk", "name": "gia-mao"}, namespace=DISPLAY)
    assert tv.get_received(DISPLAY) == []  # no second snapshot
    names = [(d["kind"], d["name"]) for d in onestop.devices.presence.snapshot()]
    assert names == [("display", "sanh-chinh")]  # not renamed, nothing added
    tv.disconnect(DISPLAY)
    again = display(app, kind="display", name="sanh-chinh")  # a new connection is served
    assert [e["name"] for e in again.get_received(DISPLAY)] == ["snapshot"]


def test_presence_tracks_displays_and_kiosks(app, onestop, clock):
    tv1 = display(app, kind="display", name="sanh-chinh")
    tv1b = display(app, kind="display", name="sanh-chinh")  # a second tab, same name
    display(app, kind="kiosk", name="kiosk-1")
    clock.advance(30)
    devices = {d["name"]: d for d in onestop.devices.presence.snapshot()}
    assert set(devices) == {"sanh-chinh", "kiosk-1"}
    tv = devices["sanh-chinh"]
    assert tv["kind"] == "display" and tv["connected"] and tv["sockets"] == 2
    assert tv["address"] == "127.0.0.1"
    assert tv["since"] == "2026-11-30T09:00:00+07:00"
    assert tv["last_seen"] == "2026-11-30T09:00:30+07:00"
    tv1.disconnect(DISPLAY)
    assert onestop.devices.presence.snapshot()[0]["connected"] is True
    tv1b.disconnect(DISPLAY)
    tv = [d for d in onestop.devices.presence.snapshot() if d["name"] == "sanh-chinh"][0]
    assert tv["connected"] is False and tv["last_seen"] == "2026-11-30T09:00:30+07:00"


def test_a_display_gone_in_opening_hours_is_a_fault_reported_once(app, onestop, clock, client):
    from server.sockets import report_faults

    add_user(onestop, "boss", "supervisor")
    login(client, "boss")
    staff = socketio.test_client(app, namespace=STAFF, flask_test_client=client)
    presence = onestop.devices.presence
    tv = display(app, kind="display", name="sanh-chinh")
    kiosk = display(app, kind="kiosk", name="kiosk-1")
    tv.disconnect(DISPLAY)
    kiosk.disconnect(DISPLAY)
    clock.advance(5)  # a restart or a blip: not yet a fault
    assert not any(d["fault"] for d in presence.snapshot())
    assert report_faults(presence, onestop.queue) == []
    clock.advance(60)
    faults = [d["name"] for d in presence.snapshot() if d["fault"]]
    assert faults == ["sanh-chinh"]  # kiosks are never flagged this way
    staff.get_received(STAFF)
    assert [f["name"] for f in report_faults(presence, onestop.queue)] == ["sanh-chinh"]
    assert report_faults(presence, onestop.queue) == []  # once per absence
    onestop.queue.drain()
    got = staff.get_received(STAFF)
    assert [e["name"] for e in got] == ["display_lost"]
    assert got[0]["args"][0]["name"] == "sanh-chinh"
    row = (
        onestop.store.reader()
        .execute("SELECT data FROM events WHERE type = 'display_lost'")
        .fetchone()
    )
    assert "sanh-chinh" in row[0]
    health = client.get("/api/health").get_json()
    assert health["checks"]["displays"]["status"] == "degraded"
    assert health["checks"]["displays"]["missing"] == ["sanh-chinh"]
    display(app, kind="display", name="sanh-chinh")  # back
    assert client.get("/api/health").get_json()["checks"]["displays"]["status"] == "ok"


def test_a_display_off_after_hours_is_no_fault(app, onestop, clock):
    tv = display(app, kind="display", name="sanh-chinh")
    clock.set("2026-11-30 18:00")
    tv.disconnect(DISPLAY)
    clock.advance(3600)
    assert onestop.devices.presence.snapshot()[0]["fault"] is False


def test_device_list_is_for_supervisors(client, onestop, auth):
    display(client.application, kind="display", name="sanh-chinh")
    assert client.get("/display/devices").status_code == 401
    assert client.get("/display/devices", headers=auth["clerk"]).status_code == 403
    r = client.get("/display/devices", headers=auth["supervisor"])
    assert r.status_code == 200
    assert r.get_json()["devices"][0]["name"] == "sanh-chinh"


def test_a_display_missing_after_a_restart_is_still_noticed(app, onestop, clock):
    from display.presence import Presence

    tv = display(app, kind="display", name="sanh-chinh")
    display(app, kind="kiosk", name="kiosk-1")
    clock.advance(600)
    tv.disconnect(DISPLAY)
    path = onestop.data_dir / "presence.json"
    assert path.exists()
    # The server restarts: a new registry reads what was seen today.
    again = Presence(onestop.settings.office, clock, path=path)
    devices = {d["name"]: d for d in again.snapshot()}
    assert set(devices) == {"sanh-chinh", "kiosk-1"}
    assert not devices["sanh-chinh"]["connected"]
    assert devices["sanh-chinh"]["last_seen"] == "2026-11-30T09:10:00+07:00"
    clock.advance(60)
    assert [d["name"] for d in again.snapshot() if d["fault"]] == ["sanh-chinh"]
    clock.set("2026-12-01 09:00")  # the next day starts with a clean list
    assert Presence(onestop.settings.office, clock, path=path).snapshot() == []
    path.write_text("not json")
    assert Presence(onestop.settings.office, clock, path=path).snapshot() == []


def test_display_events_carry_no_ticket_id(app, onestop, kiosk, counter):
    sio = socketio.test_client(app, namespace=DISPLAY)
    secret = kiosk.take_ticket("hotich")["id"]
    counter.next(1)
    onestop.queue.drain()
    sio.emit("get_snapshot", namespace=DISPLAY)
    received = sio.get_received(DISPLAY)
    assert {"ticket_issued", "ticket_called", "snapshot"} <= {e["name"] for e in received}
    assert secret not in repr(received)
    sio.disconnect(namespace=DISPLAY)
