"""The screens' fan-out (server/fanout.py) on a real gunicorn server.

Each check is about what a lobby would notice: every screen gets every message in order,
whichever path it took, and one screen that stops reading holds up nobody else.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from importlib.metadata import version

import pytest
import requests
import socketio
import websocket
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Ping, Pong, Request, TextMessage
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import FrameProtocol

from server import fanout as fanout_module
from server.fanout import Fanout, text_frame
from tests.helpers import ROOT, LiveServer, sign_in


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


class RawScreen:
    """A display that speaks websocket by hand (wsproto), so the test parses every frame.

    A wsproto client raises on a frame whose bytes were interleaved with another's, and on
    a compressed frame that does not inflate: whatever it yields arrived intact.
    """

    def __init__(self, server, name: str, deflate: bool = False, rcvbuf: int | None = None,
                 read: bool = True):  # fmt: skip
        self.sock = socket.socket()
        if rcvbuf:  # before connect: the window is agreed in the handshake
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(60)  # idle while a test sets up (flask CLI runs for a token)
        self.sock.connect(("127.0.0.1", server.port))
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.lock = threading.Lock()  # the client's own writers: reader and pinger
        self.texts: list[str] = []
        self.pongs = 0
        self.accepted: AcceptConnection | None = None
        self._part: list[str] = []
        self.closed = threading.Event()
        exts = [PerMessageDeflate()] if deflate else []
        self.send_event(Request(host=f"127.0.0.1:{server.port}", extensions=exts,
                                target="/socket.io/?EIO=4&transport=websocket"))  # fmt: skip
        while self.accepted is None or not self.texts:
            self.pump()
        assert self.texts[0].startswith("0{"), self.texts  # Engine.IO open
        auth = json.dumps({"kind": "display", "name": name})
        self.send_text(f"40/display,{auth}")
        if read:
            self.start()

    def start(self) -> None:
        """Read (and parse) everything the server sends, on a thread of its own."""
        threading.Thread(target=self._read, daemon=True).start()

    def send_event(self, event) -> None:
        with self.lock:
            self.sock.sendall(self.ws.send(event))

    def send_text(self, text: str) -> None:
        self.send_event(TextMessage(data=text))

    def pump(self) -> None:
        data = self.sock.recv(4096)
        if not data:
            raise ConnectionError("server closed")
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, AcceptConnection):
                self.accepted = event
            elif isinstance(event, TextMessage):
                self._part.append(event.data)
                if event.message_finished:
                    text, self._part = "".join(self._part), []
                    if text == "2":  # Engine.IO ping
                        self.send_text("3")
                    self.texts.append(text)
            elif isinstance(event, Pong):
                self.pongs += 1
            elif isinstance(event, Ping):
                self.send_event(event.response())
            elif isinstance(event, CloseConnection):
                raise ConnectionError(f"server closed: {event.code}")

    def _read(self) -> None:
        try:
            while not self.closed.is_set():
                self.pump()
        except Exception as exc:  # noqa: BLE001 - kept for the test to report
            self.error = exc
        self.closed.set()

    error: Exception | None = None

    def events(self) -> list[tuple[str, dict]]:
        """The /display events received, in order (each frame parsed as it came)."""
        out = []
        for text in self.texts:
            if text.startswith("42/display,"):
                out.append(tuple(json.loads(text.split(",", 1)[1])))
        return out

    def close(self) -> None:
        self.closed.set()
        try:
            self.sock.close()
        except OSError:
            pass


def in_order(events, kind: str) -> list[int]:
    return [p["seq"] for e, p in events if e == kind]


def test_pings_while_frames_fan_out_never_split_a_frame(server):
    """A screen pinging non-stop while big frames fill its socket gets each frame whole.

    simple-websocket's reader thread answers each ping while a snapshot's rest is still
    being written; that pong is written under the same lock as the frames, so it never
    lands in the middle of another frame's bytes.
    """
    token = server.token("fanclerk", "clerk")
    for i in range(8):  # calls on the board: each snapshot is several KB
        requests.post(f"{server.url}/api/tickets", json={"service": "khac"}, timeout=5)
        requests.post(f"{server.url}/api/counters/{(2, 3, 4)[i % 3]}/next",
                      headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
    queued_before = health(server)["sent"]["queued"]
    screen = RawScreen(server, "pinger", rcvbuf=4096, read=False)
    stop = threading.Event()

    def pinger():
        n = 0
        while not stop.is_set():
            screen.send_event(Ping(payload=str(n).encode()))
            n += 1
            time.sleep(0.0005)

    pings = threading.Thread(target=pinger, daemon=True)
    pings.start()
    asks, n = 1200, 40  # more snapshots than any socket buffer holds (see above)
    try:
        for _ in range(asks):
            screen.send_text('42/display,["get_snapshot"]')
        # Its socket is full: the rest of a frame is pending, later ones queued.
        assert wait_for(lambda: health(server)["sent"]["queued"] > queued_before)
        s = requests.Session()
        for _ in range(n):
            assert s.post(f"{server.url}/api/tickets", json={"service": "khac"},
                          timeout=5).status_code == 201  # fmt: skip
        time.sleep(0.5)  # pongs pile up behind the frames still being written
        screen.start()
        total = 1 + asks + n
        assert wait_for(lambda: len(screen.events()) >= total or screen.error, timeout=60)
        assert screen.error is None, repr(screen.error)
        events = screen.events()
        assert events[0][0] == "snapshot"
        first = events[0][1]["seq"]
        assert in_order(events, "ticket_issued") == list(range(first + 1, first + 1 + n))
        assert sum(1 for e, _ in events if e == "snapshot") == 1 + asks
        assert screen.pongs > 50, screen.pongs  # the reader thread did write meanwhile
    finally:
        stop.set()
        pings.join(5)
        screen.close()


def test_compressed_frames_all_inflate_under_a_burst_of_calls(server):
    """Many screens with permessage-deflate, several clerks pressing Next at once and the
    screens pinging: every compressed frame decodes, and each screen sees every call."""
    token = server.token("fanclerk", "clerk")
    nexts_each, clerks = 8, 4
    s = requests.Session()
    for _ in range(nexts_each * clerks):
        assert s.post(f"{server.url}/api/tickets", json={"service": "hotich"},
                      timeout=5).status_code == 201  # fmt: skip
    screens = [RawScreen(server, f"deflate-{i}", deflate=True) for i in range(12)]
    stop = threading.Event()

    def pinger():
        while not stop.is_set():
            for sc in screens:
                sc.send_event(Ping(payload=b"p"))
            time.sleep(0.002)

    # One clerk per counter, each signed in at theirs (least privilege).
    tokens = {n: token if n == 1 else server.token(f"fanclerk{n}", "clerk") for n in (1, 2, 3, 4)}
    for n, t in tokens.items():
        sign_in(server.url, {"Authorization": f"Bearer {t}"}, n)

    def clerk(counter: int, out: list):
        session = requests.Session()
        for _ in range(nexts_each):
            r = session.post(f"{server.url}/api/counters/{counter}/next",
                             headers={"Authorization": f"Bearer {tokens[counter]}"},
                             timeout=10)  # fmt: skip
            out.append(r.status_code)

    pings = threading.Thread(target=pinger, daemon=True)
    try:
        for sc in screens:
            assert sc.accepted.extensions, "permessage-deflate was not agreed"
            assert isinstance(sc.accepted.extensions[0], PerMessageDeflate)
        assert wait_for(lambda: all(sc.events() for sc in screens))  # snapshots
        before = health(server)["sent"]["direct"]
        pings.start()
        codes: list[int] = []
        desks = [threading.Thread(target=clerk, args=(c, codes)) for c in range(1, clerks + 1)]
        for d in desks:
            d.start()
        for d in desks:
            d.join(60)
        called = codes.count(200)
        assert called >= nexts_each  # the waiting line had enough for all of them
        got = lambda sc: sum(1 for e, _ in sc.events() if e == "ticket_called")  # noqa: E731
        assert wait_for(lambda: all(got(sc) >= called or sc.error for sc in screens))
        for sc in screens:
            assert sc.error is None, repr(sc.error)
            assert got(sc) == called
            seqs = [p["seq"] for _, p in sc.events()]
            later = [q for q in seqs[1:] if q > seqs[0]]
            assert later == list(range(seqs[0] + 1, seqs[0] + 1 + len(later))), seqs
        assert health(server)["sent"]["direct"] - before >= called * len(screens)
    finally:
        stop.set()
        if pings.is_alive():
            pings.join(5)
        for sc in screens:
            sc.close()


RENAMED = """
import inspect, textwrap
import socketio.manager, socketio.server

# What a release renaming Server._send_eio_packet would look like: its caller follows.
S = socketio.server.Server
S._send_eio_packet_v2 = S._send_eio_packet
del S._send_eio_packet
src = textwrap.dedent(inspect.getsource(socketio.manager.Manager.emit))
namespace = {}
exec(src.replace("_send_eio_packet", "_send_eio_packet_v2"), socketio.manager.__dict__, namespace)
socketio.manager.Manager.emit = namespace["emit"]
"""

FAILING_WRITE = """
import server.fanout

calls = []
real = server.fanout._send_some  # the direct path's non-blocking write, and only its

def send_some(sock, data):
    calls.append(1)
    if len(calls) > 6:  # the screens' snapshots and a few messages went direct
        raise RuntimeError("simulated failure in the fast path")
    return real(sock, data)

server.fanout._send_some = send_some
"""

ODD_CONNECTION = """
import server.fanout

# An Engine.IO Socket that is not what was tested, seen as each connection opens.
server.fanout.eio_socket_problem = lambda eio_socket: "simulated odd Engine.IO socket"
"""

UNTESTED = """
import server.fanout

server.fanout.TESTED = {**server.fanout.TESTED, "wsproto": ("0.0.1",)}
"""


def patched_server(tmp_path, sitecustomize: str, env: dict | None = None) -> LiveServer:
    """A real server whose interpreter ran `sitecustomize` first (PYTHONPATH)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(sitecustomize, encoding="utf-8")
    # ROOT too: sitecustomize runs before Python puts the current directory on sys.path.
    path = os.pathsep.join(p for p in (str(site), str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return LiveServer(tmp_path / "data", env={"PYTHONPATH": path, **(env or {})}).start()


def lobby_gets_everything(server) -> tuple[dict, dict]:
    """Two websocket screens and a long-polling one each get 12 issues and 4 calls, in
    order; returns `sent` from /api/health before and after."""
    before = health(server)["sent"]
    screens = [Screen(server, f"ws-{i}", "websocket") for i in range(2)]
    screens.append(Screen(server, "polling", "polling"))
    try:
        assert wait_for(lambda: all(s.got for s in screens))
        token = server.token("fanclerk", "clerk")
        sign_in(server.url, {"Authorization": f"Bearer {token}"}, 1)
        s = requests.Session()
        for i in range(12):
            assert s.post(f"{server.url}/api/tickets", json={"service": "hotich"},
                          timeout=5).status_code == 201  # fmt: skip
            if i % 3 == 2:
                r = s.post(f"{server.url}/api/counters/1/next",
                           headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
                assert r.status_code == 200
        assert wait_for(lambda: all(len(s.got) >= 17 for s in screens)), [
            len(s.got) for s in screens
        ]
        for s in screens:
            seqs = s.seqs()
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
            assert sum(1 for e, _ in s.got if e == "ticket_called") == 4
        return before, health(server)["sent"]
    finally:
        for s in screens:
            s.close()


def test_a_renamed_private_attribute_turns_the_fast_path_off(tmp_path):
    """Engine.IO/Socket.IO internals not as expected: install says no, the stock path
    carries every message, and nothing raises."""
    server = patched_server(tmp_path, RENAMED)
    try:
        before, after = lobby_gets_everything(server)
        assert after["fast_path"] is False and after["fallbacks"] == 1
        assert after["direct"] == 0
        assert after["queued"] - before["queued"] >= 3 * 16
        log = server.log.read_text(encoding="utf-8")
        assert "unexpected internals: socketio Server._send_eio_packet" in log
        assert "Traceback" not in log
    finally:
        server.stop()


def test_a_failure_inside_the_fast_path_sends_the_message_the_stock_way(tmp_path):
    """A direct write that raises: that screen goes to Engine.IO's queue for good, the
    message with it, in order; one warning, every fallback counted."""
    server = patched_server(tmp_path, FAILING_WRITE)
    deflated = RawScreen(server, "deflate", deflate=True)  # its frame built, then the failure
    try:
        before, after = lobby_gets_everything(server)
        assert wait_for(lambda: len(deflated.events()) >= 17 or deflated.error)
        assert deflated.error is None, repr(deflated.error)
        seqs = [p["seq"] for _, p in deflated.events()]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
        assert after["fast_path"] is True
        assert after["fallbacks"] >= 1
        assert after["queued"] - before["queued"] >= 3 * 16 - 6  # all but the first few
        log = server.log.read_text(encoding="utf-8")
        assert log.count("simulated failure in the fast path") == 1, log[-2000:]
        assert "Traceback" not in log
    finally:
        deflated.close()
        server.stop()


def test_a_connection_not_as_expected_keeps_the_stock_path(tmp_path):
    """Checked on each connection too: that screen goes the stock way, and gets it all."""
    server = patched_server(tmp_path, ODD_CONNECTION)
    try:
        before, after = lobby_gets_everything(server)
        assert after["fast_path"] is True and after["direct"] == 0
        assert after["fallbacks"] >= 2  # one per websocket screen
        log = server.log.read_text(encoding="utf-8")
        assert log.count("simulated odd Engine.IO socket") == 1, log[-2000:]
        assert "Traceback" not in log
    finally:
        server.stop()


@pytest.mark.parametrize("force", [False, True])
def test_untested_library_versions_turn_it_off_unless_forced(tmp_path, force):
    env = {"ONESTOP_FANOUT_FORCE": "1"} if force else {}
    server = patched_server(tmp_path, UNTESTED, env)
    try:
        before, after = lobby_gets_everything(server)
        assert after["fast_path"] is force
        if force:
            assert after["direct"] - before["direct"] >= 2 * 16
        else:
            assert after["direct"] == 0 and after["fallbacks"] == 1
            assert "off with untested wsproto" in server.log.read_text(encoding="utf-8")
    finally:
        server.stop()


@pytest.mark.parametrize(
    "owner, name",
    [
        ("socketio.server.Server", "_send_eio_packet"),
        ("simple_websocket.ws.Base", "_handle_events"),
        ("engineio.socket.Socket", "_websocket_handler"),
        ("engineio.async_drivers._websocket_wsgi.SimpleWebSocketWSGI", "wait"),
    ],
)
def test_install_checks_each_private_attribute(monkeypatch, owner, name):
    monkeypatch.delattr(f"{owner}.{name}")
    fanout = Fanout()
    sio = socketio.Server(async_mode="threading")
    stock = sio.eio._async["websocket"]
    assert fanout.install(sio) is False
    assert sio.eio._async["websocket"] is stock  # nothing hooked
    assert fanout.sent()["fallbacks"] == 1 and fanout.sent()["fast_path"] is False


def test_version_gate_in_process(monkeypatch):
    monkeypatch.setattr(fanout_module, "TESTED", {**fanout_module.TESTED, "wsproto": ("0",)})
    monkeypatch.delenv("ONESTOP_FANOUT_FORCE", raising=False)
    assert fanout_module.untested_versions() == [f"wsproto {version('wsproto')}"]
    assert Fanout().install(socketio.Server(async_mode="threading")) is False
    monkeypatch.setenv("ONESTOP_FANOUT_FORCE", "1")
    assert Fanout().install(socketio.Server(async_mode="threading")) is True
