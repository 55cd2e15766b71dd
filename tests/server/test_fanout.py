"""The screens' fan-out (server/fanout.py) on a real gunicorn server.

Each check is about what a lobby would notice: every screen gets every message in order,
whichever path it took, and one screen that stops reading holds up nobody else.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests
import socketio
import websocket
from wsproto.frame_protocol import FrameProtocol

from server.fanout import Fanout, text_frame
from tests.helpers import LiveServer, sign_in


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_frame_is_what_wsproto_would_send(size):
    """The frame built once for all screens is byte for byte a server's text frame."""
    text = ("Mời công dân số A001 đến quầy 1 " * (size // 30 + 1))[:size]
    proto = FrameProtocol(client=False, extensions=[])  # what simple-websocket sends with
    assert text_frame(text) == proto.send_data(text, fin=True)


def test_no_message_slips_between_a_snapshot_read_and_its_send():
    """A call published while a snapshot is being read leaves after that snapshot.

    Otherwise a screen gets the call first, drops it (no snapshot yet), then gets a
    snapshot older than the call: the call is lost on that screen (CI run of stop 9).
    """
    fanout = Fanout()
    assert fanout.install(socketio.Server(async_mode="threading"))
    sent: list[str] = []
    fanout._emit = lambda event, data, namespace, to: sent.append(event)
    caller = threading.Thread(target=fanout.emit, args=("ticket_called", {}, "/display"))

    def read_snapshot():
        caller.start()
        caller.join(0.3)  # long enough for the call to leave, if it could overtake
        return {"seq": 1}

    fanout.emit_fresh("snapshot", read_snapshot, "/display", to="some-sid")
    caller.join(5)
    assert sent == ["snapshot", "ticket_called"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = LiveServer(tmp_path_factory.mktemp("fanout")).start()
    yield s
    s.stop()


def health(server) -> dict:
    return requests.get(f"{server.url}/api/health", timeout=5).json()["checks"]["displays"]


class Screen:
    """A python-socketio display that records what it was sent, in arrival order."""

    def __init__(self, server, name: str, transport: str):
        self.got: list[tuple[str, dict]] = []
        self.sio = socketio.Client(reconnection=False)
        for event in ("snapshot", "ticket_issued", "ticket_called", "queue_changed"):
            self.sio.on(event, self._recorder(event), namespace="/display")
        self.sio.connect(server.url, namespaces=["/display"], transports=[transport],
                         auth={"kind": "display", "name": name}, wait_timeout=10)  # fmt: skip

    def _recorder(self, event):
        return lambda payload: self.got.append((event, payload))

    def seqs(self) -> list[int]:
        """seq of each event after the first snapshot."""
        first = next(i for i, (e, _) in enumerate(self.got) if e == "snapshot")
        return [self.got[first][1]["seq"]] + [p["seq"] for e, p in self.got[first + 1 :]]

    def close(self):
        self.sio.disconnect()


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_every_screen_gets_every_message_in_order_on_either_path(server):
    before = health(server)["sent"]
    screens = [Screen(server, f"ws-{i}", "websocket") for i in range(3)]
    screens.append(Screen(server, "polling", "polling"))
    try:
        assert wait_for(lambda: all(s.got for s in screens))  # each has its snapshot
        token = server.token("fanclerk", "clerk")
        r = requests.post(f"{server.url}/api/counters/1/sign-in",
                          headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
        assert r.status_code == 200
        for i in range(12):
            r = requests.post(f"{server.url}/api/tickets", json={"service": "hotich"}, timeout=5)
            assert r.status_code == 201
            if i % 3 == 2:
                r = requests.post(f"{server.url}/api/counters/1/next",
                                  headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
                assert r.status_code == 200
        assert wait_for(lambda: all(len(s.got) >= 17 for s in screens)), [
            len(s.got) for s in screens
        ]
        for s in screens:
            seqs = s.seqs()
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs  # no gap, no swap
            calls = [p for e, p in s.got if e == "ticket_called"]
            assert len(calls) == 4 and "id" not in calls[0]["call"]["ticket"]
        after = health(server)["sent"]
        assert after["direct"] - before["direct"] >= 3 * 16  # the websocket screens
        assert after["queued"] - before["queued"] >= 16  # the long-polling one
    finally:
        for s in screens:
            s.close()


def read_engineio(ws) -> str:
    """Next Engine.IO text packet, answering pings on the way."""
    while True:
        msg = ws.recv()
        if msg == "2":
            ws.send("3")
            continue
        return msg


@pytest.mark.slow
def test_a_screen_that_stops_reading_holds_up_nobody(server):
    """A screen whose network hangs fills its socket; the others and the kiosk go on."""
    # Eight calls on the board make each snapshot several KB.
    token = server.token("fanclerk", "clerk")
    for i in range(8):
        requests.post(f"{server.url}/api/tickets", json={"service": "khac"}, timeout=5)
        sign_in(server.url, {"Authorization": f"Bearer {token}"}, (2, 3, 4)[i % 3])
        r = requests.post(f"{server.url}/api/counters/{(2, 3, 4)[i % 3]}/next",
                          headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
        assert r.status_code == 200
    queued_before = health(server)["sent"]["queued"]
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    stuck = websocket.create_connection(
        url, timeout=10, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),)
    )
    assert read_engineio(stuck).startswith("0{")  # Engine.IO open
    stuck.send('40/display,{"kind":"display","name":"stuck"}')
    # The snapshot sent by the connect handler leaves before Socket.IO's connect reply, as
    # on the stock path; socket.io-client holds such events until it is connected.
    first, second = read_engineio(stuck), read_engineio(stuck)
    assert first.startswith('42/display,["snapshot"') and second.startswith("40/display,")
    start_seq = json.loads(first.split(",", 1)[1])[1]["seq"]
    # ...and now it reads nothing, while asking for snapshots: more than any socket
    # buffer holds (Linux lets a loopback socket queue up to 4 MB).
    assert len(first) > 4000, len(first)
    asks = 1200
    for _ in range(asks):
        stuck.send('42/display,["get_snapshot"]')
    healthy = Screen(server, "healthy", "websocket")
    try:
        n = 60
        s = requests.Session()
        for _ in range(n):  # each returns: an inline fan-out never waits on the stuck one
            r = s.post(f"{server.url}/api/tickets", json={"service": "khac"}, timeout=5)
            assert r.status_code == 201
        issued = lambda: sum(1 for e, _ in healthy.got if e == "ticket_issued")  # noqa: E731
        assert wait_for(lambda: issued() >= n), issued()
        # The stuck screen was moved to Engine.IO's queue once its socket was full.
        assert health(server)["sent"]["queued"] > queued_before
        # The screen comes back to life: it gets everything, whole and in order.
        snapshots, seqs = 0, []
        while len(seqs) < n or snapshots < asks:
            msg = read_engineio(stuck)
            assert msg.startswith("42/display,"), msg[:80]
            event, payload = json.loads(msg.split(",", 1)[1])
            if event == "snapshot":
                snapshots += 1
            else:
                assert event == "ticket_issued"
                seqs.append(payload["seq"])
        assert seqs == list(range(start_seq + 1, start_seq + 1 + n))
        assert snapshots == asks
    finally:
        stuck.close()
        healthy.close()


def test_many_screens_at_once_each_get_the_call(server):
    """Calls and screens connecting at the same time: every screen's stream stays whole."""
    screens: list[Screen] = []
    stop = threading.Event()

    def kiosk():
        s = requests.Session()
        while not stop.is_set():
            s.post(f"{server.url}/api/tickets", json={"service": "chungthuc"}, timeout=5)
            time.sleep(0.01)

    t = threading.Thread(target=kiosk)
    t.start()
    try:
        for i in range(8):
            screens.append(Screen(server, f"burst-{i}", "websocket"))
    finally:
        time.sleep(0.3)
        stop.set()
        t.join(10)
    try:
        assert wait_for(lambda: all(len(s.got) > 1 for s in screens))
        time.sleep(0.5)  # let the last messages land
        for s in screens:
            seqs = s.seqs()
            # A screen that connected between a commit and its message may see that
            # message's seq at or below its snapshot's: it ignores those (display.js).
            later = [q for q in seqs[1:] if q > seqs[0]]
            assert later == list(range(seqs[0] + 1, seqs[0] + 1 + len(later))), seqs
    finally:
        for s in screens:
            s.close()
