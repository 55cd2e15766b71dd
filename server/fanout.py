"""Fast fan-out of `/display` messages straight onto the screens' websockets.

Why: in threading mode Engine.IO hands every outgoing message to a writer thread of its
own per connection. One call sent to 50 screens then wakes 50 threads that queue for the
GIL, and on two cores the last screen gets the call ~25 ms after the first
(bench/call_latency.py). Here the thread that publishes writes to every socket itself:
the Socket.IO packet is encoded once, the websocket frame is built once for all
connections without compression, and every write is non-blocking, so a screen whose
network hangs cannot hold up the others.

What keeps it safe:
- Every websocket connection gets a `LockedServer`: simple-websocket's server with one
  re-entrant lock per connection around every frame its wsproto connection builds and
  every write to its socket. Our writes, Engine.IO's writer thread (pings, the connect
  reply, queued messages) and simple-websocket's reader thread (pongs, close frames) all
  take it, so bytes of two frames never interleave and the stateful deflate compressor is
  used by one thread at a time, a message built and written in one go.
- Only connections that were websockets from the start take the direct path; long-polling
  ones (and any that upgraded from polling) keep Engine.IO's queue, as before.
- Every message of the app for `/display` goes through `Fanout.emit` (broadcasts and the
  snapshots sent to one screen alike), so one connection's messages leave in one order.
- Messages leave one at a time (`Fanout.order`), and a snapshot is read under the same lock
  (`Fanout.emit_fresh`): a call committed while a screen connects reaches that screen
  after its snapshot, never between the snapshot's read and its send, where the screen
  would drop it as older than the snapshot it has not yet seen.
- A write that would block leaves the rest of the frame pending on that connection; the
  next writer (or a thread of its own) sends it first, and that connection goes back to
  Engine.IO's queue for good: order is kept.
- It only switches itself on with the library versions it was tested with (`TESTED`;
  ONESTOP_FANOUT_FORCE=1 overrides), and when every private attribute it relies on is
  there, checked at install and again on each connection. Anything unexpected, including
  a failure while writing, sends the message the stock way, logs one warning per cause
  and counts it (`/api/health` `checks.displays.sent.fallbacks`).
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import threading
from collections.abc import Callable
from importlib import metadata
from typing import Any

import simple_websocket
from engineio import packet as eio_packet
from socketio import packet as sio_packet
from wsproto import WSConnection
from wsproto.events import TextMessage
from wsproto.utilities import LocalProtocolError

log = logging.getLogger("onestop")

LOCK_WAIT_S = 0.05  # another writer holds the lock for one frame (a ping): microseconds
FORCE_ENV = "ONESTOP_FANOUT_FORCE"
# The versions tests/server/test_fanout.py and bench/call_latency.py ran with. A new
# release may move what this module reaches into: add it here after running both.
TESTED = {
    "python-engineio": ("4.15.1",),
    "python-socketio": ("5.18.1",),
    "simple-websocket": ("1.1.0",),
    "wsproto": ("1.3.2",),
}


def text_frame(text: str) -> bytes:
    """One unmasked, unfragmented websocket text frame (RFC 6455 §5.2), as a server sends."""
    payload = text.encode("utf-8")
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 127, n)
    return head + payload


def untested_versions() -> list[str]:
    """The installed libraries (name and version) that `TESTED` does not list."""
    out = []
    for dist, versions in TESTED.items():
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = "missing"
        if version not in versions:
            out.append(f"{dist} {version}")
    return out


def _has(obj: Any, *names: str) -> bool:
    return all(callable(getattr(obj, n, None)) for n in names)


def missing_internal(sio_server: Any) -> str | None:
    """The first private piece of the libraries this module needs that is not there."""
    try:
        from engineio import socket as eio_socket_mod
        from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI

        eio = sio_server.eio
    except (ImportError, AttributeError):
        return "Engine.IO's threading websocket driver"
    checks: tuple[tuple[str, Callable[[], bool]], ...] = (
        ("Engine.IO in threading mode", lambda: eio.async_mode == "threading"),
        ("Engine.IO's websocket driver",
         lambda: issubclass(eio._async["websocket"], SimpleWebSocketWSGI)),
        ("SimpleWebSocketWSGI", lambda: _has(SimpleWebSocketWSGI, "send", "close", "wait")),
        ("engineio Socket._websocket_handler",
         lambda: _has(eio_socket_mod.Socket, "_websocket_handler")),
        ("simple_websocket.Server",
         lambda: _has(simple_websocket.Server, "send", "close", "_handle_events", "_thread")),
        ("socketio Server._send_eio_packet", lambda: _has(sio_server, "_send_eio_packet")),
        ("socketio manager.get_participants",
         lambda: _has(sio_server.manager, "get_participants")),
        ("socketio Server.packet_class", lambda: _has(sio_server, "packet_class")),
        ("wsproto WSConnection.send", lambda: _has(WSConnection, "send", "receive_data")),
    )  # fmt: skip
    for name, check in checks:
        try:
            if not check():
                return name
        except Exception:  # an import, a key, a type: all mean "not what was tested"
            return name
    return None


def _send_some(sock: socket.socket, data: bytes) -> int:
    """Write what fits in the socket's buffer now; never wait."""
    try:
        if sock.gettimeout() is None:  # a blocking socket: ask this one call not to block
            return sock.send(data, socket.MSG_DONTWAIT)
        # With a timeout Python polls before sending (and would wait); the descriptor itself
        # is non-blocking in that mode, so a plain write returns at once.
        return os.write(sock.fileno(), data)
    except BlockingIOError:
        return 0


class LockedSocket:
    """A connection's socket as simple-websocket sees it: each send under the lock, after
    whatever a non-blocking write left pending."""

    def __init__(self, raw: socket.socket, conn: LockedServer):
        self.raw = raw
        self.conn = conn

    def send(self, data: bytes) -> int:
        with self.conn.lock:
            self.conn.flush_pending()
            self.raw.sendall(data)  # simple-websocket ignores a short send's count
        return len(data)

    def sendall(self, data: bytes) -> None:
        self.send(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class LockedConnection:
    """The connection's wsproto state machine: each frame it builds, under the lock."""

    def __init__(self, raw: WSConnection, lock: threading.RLock):
        self.raw = raw
        self.lock = lock

    def send(self, event: Any) -> bytes:
        with self.lock:
            return self.raw.send(event)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class LockedServer(simple_websocket.Server):
    """simple-websocket's server side with every write to the socket under one lock."""

    def __init__(self, environ: dict, **kwargs: Any):
        # Before super().__init__: it starts the reader thread, which may answer a ping.
        self.lock = threading.RLock()
        self.pending = b""  # the rest of a frame a non-blocking write could not finish
        super().__init__(environ, **kwargs)

    @property
    def sock(self) -> LockedSocket | None:
        return self._locked_sock

    @sock.setter
    def sock(self, raw: Any) -> None:
        self._locked_sock = None if raw is None else LockedSocket(raw, self)

    @property
    def ws(self) -> LockedConnection:
        return self._locked_ws

    @ws.setter
    def ws(self, raw: WSConnection) -> None:
        self._locked_ws = LockedConnection(raw, self.lock)

    def send(self, data: Any) -> None:
        with self.lock:  # built and written in one go: the compressor's order is the wire's
            super().send(data)

    def close(self, reason: Any = None, message: Any = None) -> None:
        with self.lock:
            super().close(reason, message)

    def flush_pending(self) -> None:
        """Write out what is pending (the caller holds the lock)."""
        if self.pending:
            data, self.pending = self.pending, b""
            self._locked_sock.raw.sendall(data)

    def finish(self) -> None:
        """Flush on a thread of its own: the screen is slow, the caller must not wait."""
        try:
            with self.lock:
                self.flush_pending()
        except OSError:
            pass  # the connection is gone; Engine.IO notices on its side

    def problem(self) -> str | None:
        """What this connection lacks for the direct path (None: nothing)."""
        if not isinstance(self._locked_ws.raw, WSConnection):
            return "simple-websocket's wsproto connection"
        raw = self._locked_sock.raw if self._locked_sock else None
        if not _has(raw, "gettimeout", "fileno", "send", "sendall"):
            return "simple-websocket's socket"
        if not isinstance(getattr(self, "connected", None), bool):
            return "simple-websocket's connected flag"
        return None


def eio_socket_problem(eio_socket: Any) -> str | None:
    """What an Engine.IO socket lacks for the direct path (None: nothing)."""
    if eio_socket is None or not isinstance(getattr(eio_socket, "sid", None), str):
        return "Engine.IO's handler is no longer a bound Socket method"
    for name in ("connected", "closed", "upgraded", "upgrading"):
        if not isinstance(getattr(eio_socket, name, None), bool):
            return f"Engine.IO Socket.{name}"
    return None


class Link:
    """One screen's websocket as the direct path sees it."""

    def __init__(self, fanout: Fanout, ws: LockedServer, eio_socket: Any, deflate: bool):
        self.fanout = fanout
        self.ws = ws
        self.lock = ws.lock
        self.raw = ws.sock.raw  # the real socket, written to non-blocking, under the lock
        self.eio_socket = eio_socket
        self.deflate = deflate  # permessage-deflate: frames differ per connection
        self.direct = True

    def write(self, text: str, frame: bytes) -> bool:
        """Send one Engine.IO text packet now; False: use Engine.IO's queue instead."""
        if not self.direct:
            return False
        ws, lock = self.ws, self.lock
        if not lock.acquire(timeout=LOCK_WAIT_S):
            self.direct = False  # another writer is stuck on this screen: queue behind it
            return False
        built = None
        try:
            s = self.eio_socket
            if ws.pending or not ws.connected or s.closed or not s.upgraded or s.upgrading:
                self.direct = False
                return False
            # Compressed for this peer, under the lock that every other frame takes.
            built = ws.ws.send(TextMessage(data=text)) if self.deflate else frame
            sent = _send_some(self.raw, built)
            if sent < len(built):
                self._leave(built[sent:])  # the screen is not reading
            return True
        except (OSError, LocalProtocolError):  # gone or closing: the stock path decides
            self.direct = False
            return False
        except Exception as exc:
            self.fanout.fell_back(f"a direct write failed ({type(exc).__name__}: {exc})")
            if built is None or not self.deflate:  # the stream is as it was: queue it
                self.direct = False
                return False
            self._leave(built)  # compressed, so the compressor moved on: it goes out first
            return True
        finally:
            lock.release()

    def _leave(self, rest: bytes) -> None:
        """Leave `rest` pending, flushed before any later write; queue from now on."""
        self.direct = False
        self.ws.pending = bytes(rest)
        threading.Thread(target=self.ws.finish, daemon=True).start()


class Fanout:
    """Sends `/display` messages: directly where it can, through Engine.IO otherwise."""

    def __init__(self) -> None:
        self.links: dict[str, Link] = {}  # Engine.IO sid -> Link
        self.server: Any = None
        self.active = False  # the direct path is installed
        self.direct_writes = 0  # counted for tests, the benchmark and /api/health
        self.queued_writes = 0
        self.fallbacks = 0  # times something unexpected sent a message the stock way
        self._warned: set[str] = set()
        self._count_lock = threading.Lock()
        # Held while a message is sent; never while the store's lock is (the queue tells
        # its inline subscribers after releasing it), so the order is always this, store.
        self.order = threading.RLock()

    def sent(self) -> dict:
        """How the screens were sent to, for /api/health."""
        return {"direct": self.direct_writes, "queued": self.queued_writes,
                "fallbacks": self.fallbacks, "fast_path": self.active}  # fmt: skip

    def fell_back(self, reason: str) -> None:
        """Count one retreat to the stock path; warn once per cause, not per message."""
        with self._count_lock:  # connection threads report too, not only the publisher
            self.fallbacks += 1
            first = reason not in self._warned
            self._warned.add(reason)
        if first:
            log.warning("direct websocket fan-out: %s; the stock path takes over", reason)

    def install(self, sio_server: Any) -> bool:
        """Hook into a python-socketio Server in threading mode; False if it cannot."""
        self.server = sio_server
        untested = untested_versions()
        if untested and os.environ.get(FORCE_ENV) != "1":
            self.fell_back(f"off with untested {', '.join(untested)} (set {FORCE_ENV}=1)")
            return False
        if untested:
            log.warning("direct websocket fan-out forced on with %s", ", ".join(untested))
        missing = missing_internal(sio_server)
        if missing is not None:
            self.fell_back(f"off, unexpected internals: {missing}")
            return False
        eio = sio_server.eio
        # A copy: the driver's table is shared by every server in the process.
        eio._async = {**eio._async, "websocket": self._wrapper(eio._async["websocket"])}
        self.active = True
        return True

    def _wrapper(self, base: type) -> type:
        """Engine.IO's websocket wrapper class, serving each connection a LockedServer."""
        fanout = self

        class DirectWebSocket(base):
            """SimpleWebSocketWSGI with a LockedServer per connection, and a Link while a
            from-the-start websocket connection lives."""

            def __call__(self, environ, start_response):
                handler = self.app
                eio_socket = getattr(handler, "__self__", None)
                problem = eio_socket_problem(eio_socket)
                if problem is None and not isinstance(getattr(self, "server_args", None), dict):
                    problem = "SimpleWebSocketWSGI.server_args"
                if problem is not None:
                    fanout.fell_back(f"a connection kept the stock path: {problem}")
                    return super().__call__(environ, start_response)
                # What SimpleWebSocketWSGI.__call__ does (python-engineio 4.15.1), with ours.
                self.ws = LockedServer(environ, **self.server_args)
                link = fanout._link(self.ws, eio_socket, environ)
                try:
                    ret = handler(self)
                finally:
                    if link is not None:
                        link.direct = False
                        fanout.links.pop(eio_socket.sid, None)
                if self.ws.mode == "gunicorn":
                    raise StopIteration()
                if self.ws.mode == "werkzeug":
                    raise ConnectionError()
                return ret

        return DirectWebSocket

    def _link(self, ws: LockedServer, eio_socket: Any, environ: dict) -> Link | None:
        """A Link for a websocket from the start (connected is False only before the first
        transport), if this connection has all the direct path needs."""
        if eio_socket.connected is not False:
            return None
        problem = ws.problem()
        if problem is not None:
            self.fell_back(f"a connection kept the stock path: {problem}")
            return None
        exts = environ.get("HTTP_SEC_WEBSOCKET_EXTENSIONS", "").lower()
        link = Link(self, ws, eio_socket, "permessage-deflate" in exts)
        self.links[eio_socket.sid] = link
        return link

    def emit_fresh(self, event: str, make: Callable[[], Any], namespace: str, to: str) -> None:
        """Send `make()` to sid `to`, read while no other message can leave (see above)."""
        with self.order:
            self.emit(event, make(), namespace, to=to)

    def emit(self, event: str, data: Any, namespace: str, to: str | None = None) -> None:
        """Like SocketIO.emit without callbacks: to everyone in `namespace`, or to sid `to`."""
        with self.order:
            self._emit(event, data, namespace, to)

    def _emit(self, event: str, data: Any, namespace: str, to: str | None) -> None:
        server = self.server
        if not self.active:
            self.queued_writes += self._count(namespace, to)
            server.emit(event, data, namespace=namespace, to=to)
            return
        encoded = server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, data]
        ).encode()
        if not isinstance(encoded, str):  # binary attachments: not ours to hand-roll
            server.emit(event, data, namespace=namespace, to=to)
            return
        text = str(eio_packet.MESSAGE) + encoded
        frame = text_frame(text)
        eio_pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        for sid, eio_sid in server.manager.get_participants(namespace, to):
            link = self.links.get(eio_sid)
            if link is not None and link.write(text, frame):
                self.direct_writes += 1
            else:
                self.queued_writes += 1
                self._queue(sid, eio_sid, eio_pkt, (event, data, namespace))

    def _count(self, namespace: str, to: str | None) -> int:
        """How many screens a stock emit reaches (0 if the manager cannot say)."""
        try:
            return sum(1 for _ in self.server.manager.get_participants(namespace, to))
        except Exception:  # the reason the direct path is off may be this very method
            return 0

    def _queue(self, sid: str, eio_sid: str, eio_pkt: Any, message: tuple) -> None:
        """Hand one packet to Engine.IO's queue, as Manager.emit itself does."""
        try:
            self.server._send_eio_packet(eio_sid, eio_pkt)
        except (AttributeError, TypeError) as exc:  # checked at install; moved since?
            self.fell_back(f"_send_eio_packet failed ({type(exc).__name__}: {exc})")
            event, data, namespace = message
            self.server.emit(event, data, namespace=namespace, to=sid)
