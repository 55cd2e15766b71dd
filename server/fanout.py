"""Fast fan-out of `/display` messages straight onto the screens' websockets.

Why: in threading mode Engine.IO hands every outgoing message to a writer thread of its
own per connection. One call sent to 50 screens then wakes 50 threads that queue for the
GIL, and on two cores the last screen gets the call ~25 ms after the first
(bench/call_latency.py). Here the thread that publishes writes to every socket itself:
the Socket.IO packet is encoded once, the websocket frame is built once for all
connections without compression, and every write is non-blocking, so a screen whose
network hangs cannot hold up the others.

What keeps it safe:
- Only connections that were websockets from the start take the direct path; long-polling
  ones (and any that upgraded from polling) keep Engine.IO's queue, as before.
- Every message of the app for `/display` goes through `Fanout.emit` (broadcasts and the
  snapshots sent to one screen alike), so one connection's messages leave in one order.
- Messages leave one at a time (`Fanout.order`), and a snapshot is read under the same lock
  (`Fanout.emit_fresh`): a call committed while a screen connects reaches that screen
  after its snapshot, never between the snapshot's read and its send, where the screen
  would drop it as older than the snapshot it has not yet seen.
- Engine.IO's own writer thread (pings, the connect reply) takes the same per-connection
  lock as the direct writes, so frames never interleave.
- A write that would block leaves the rest of the frame to a thread of its own, and that
  connection goes back to Engine.IO's queue for good, behind the rest: order is kept.
- If Engine.IO's internals are not what this module expects, `install` says so and every
  message takes the stock path.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import threading
from collections.abc import Callable
from typing import Any

from engineio import packet as eio_packet
from socketio import packet as sio_packet
from wsproto.events import TextMessage

log = logging.getLogger("onestop")

LOCK_WAIT_S = 0.05  # Engine.IO's writer holds the lock for one frame (a ping): microseconds


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


class Link:
    """One screen's websocket as the direct path sees it."""

    def __init__(self, wsgi: Any, eio_socket: Any, deflate: bool):
        self.wsgi = wsgi  # the Engine.IO websocket wrapper (its .ws is simple-websocket's)
        self.eio_socket = eio_socket
        self.deflate = deflate  # permessage-deflate: frames differ per connection
        self.lock = threading.Lock()
        self.direct = True

    def write(self, text: str, frame: bytes) -> bool:
        """Send one Engine.IO text packet now; False: use Engine.IO's queue instead."""
        if not self.direct:
            return False
        if not self.lock.acquire(timeout=LOCK_WAIT_S):
            self.direct = False  # the writer is stuck on this screen: queue behind it
            return False
        handed_off = False
        try:
            ws = self.wsgi.ws
            s = self.eio_socket
            if not ws.connected or s.closed or not s.upgraded or s.upgrading:
                self.direct = False
                return False
            if self.deflate:
                frame = ws.ws.send(TextMessage(data=text))  # compressed for this peer
            sent = _send_some(ws.sock, frame)
            if sent < len(frame):
                # The screen is not reading: finish this frame off-thread (holding the
                # lock, so nothing else is written first) and queue later messages.
                self.direct = False
                handed_off = True
                threading.Thread(
                    target=self._finish, args=(ws.sock, frame[sent:]), daemon=True
                ).start()
            return True
        except OSError:
            self.direct = False
            return False
        except Exception:  # wsproto refused (connection closing): the stock path decides
            log.debug("direct write failed", exc_info=True)
            self.direct = False
            return False
        finally:
            if not handed_off:
                self.lock.release()

    def _finish(self, sock: socket.socket, rest: bytes) -> None:
        try:
            sock.sendall(rest)
        except OSError:
            pass  # the connection is gone; Engine.IO notices on its side
        finally:
            self.lock.release()


class Fanout:
    """Sends `/display` messages: directly where it can, through Engine.IO otherwise."""

    def __init__(self) -> None:
        self.links: dict[str, Link] = {}  # Engine.IO sid -> Link
        self.server: Any = None
        self.direct_writes = 0  # counted for tests and the benchmark
        self.queued_writes = 0
        # Held while a message is sent; never while the store's lock is (the queue tells
        # its inline subscribers after releasing it), so the order is always this, store.
        self.order = threading.RLock()

    def install(self, sio_server: Any) -> bool:
        """Hook into a python-socketio Server in threading mode; False if it cannot."""
        self.server = sio_server
        eio = sio_server.eio
        try:
            from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI

            base = eio._async["websocket"]
        except (ImportError, AttributeError, KeyError, TypeError):
            base = None
        if base is None or not issubclass(base, SimpleWebSocketWSGI):
            log.warning("direct websocket fan-out is off: unexpected Engine.IO internals")
            return False
        fanout = self

        class DirectWebSocket(base):
            """Engine.IO's websocket wrapper, with a lock around its writer's sends and
            a Link registered while a from-the-start websocket connection lives."""

            def __init__(self, handler, server, **kwargs):
                super().__init__(handler, server, **kwargs)
                self.link: Link | None = None

            def __call__(self, environ, start_response):
                handler = self.app
                eio_socket = getattr(handler, "__self__", None)
                # False only before the first transport: a websocket from the start.
                fresh = eio_socket is not None and eio_socket.connected is False
                exts = environ.get("HTTP_SEC_WEBSOCKET_EXTENSIONS", "").lower()

                def run(ws):
                    if fresh:
                        self.link = Link(self, eio_socket, "permessage-deflate" in exts)
                        fanout.links[eio_socket.sid] = self.link
                    try:
                        return handler(ws)
                    finally:
                        if self.link is not None:
                            self.link.direct = False
                            fanout.links.pop(eio_socket.sid, None)

                self.app = run
                return super().__call__(environ, start_response)

            def send(self, message):
                link = self.link
                if link is None:
                    return super().send(message)
                with link.lock:
                    return super().send(message)

        # A copy: the driver's table is shared by every server in the process.
        eio._async = {**eio._async, "websocket": DirectWebSocket}
        return True

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
        encoded = server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, data]
        ).encode()
        if not isinstance(encoded, str):  # binary attachments: not ours to hand-roll
            server.emit(event, data, namespace=namespace, to=to)
            return
        text = str(eio_packet.MESSAGE) + encoded
        frame = text_frame(text)
        eio_pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        for _sid, eio_sid in server.manager.get_participants(namespace, to):
            link = self.links.get(eio_sid)
            if link is not None and link.write(text, frame):
                self.direct_writes += 1
            else:
                self.queued_writes += 1
                server._send_eio_packet(eio_sid, eio_pkt)  # what Manager.emit itself calls
