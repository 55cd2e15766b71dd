"""Loopback stand-ins for network printers: one that never reads, one that answers status."""

from __future__ import annotations

import contextlib
import socket
import threading


class LoopbackPrinter:
    """A TCP server on 127.0.0.1 that accepts print connections.

    reads=False: accepts and never reads, with a tiny receive buffer (a stuck printer).
    status: the byte answered to each DLE EOT n request, or {n: byte} (None: never answers).
    """

    def __init__(self, reads: bool = True, status: bytes | dict | None = None):
        self.reads = reads
        self.status = status
        self.received = bytearray()
        self.sock = socket.socket()
        if not reads:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.reads:
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                self.received += chunk
                if self.status is not None:
                    at = chunk.find(b"\x10\x04")
                    while at != -1 and at + 2 < len(chunk):
                        n = chunk[at + 2]
                        answer = (
                            self.status.get(n) if isinstance(self.status, dict) else self.status
                        )
                        if answer is not None:
                            conn.sendall(answer)
                        at = chunk.find(b"\x10\x04", at + 3)

    def close(self) -> None:
        self._stop.set()
        for c in [*self.conns, self.sock]:
            with contextlib.suppress(OSError):
                c.close()
