"""Socket.IO: the /display namespace pushes every committed change to screens.

Messages come from QueueService's dispatcher thread in commit order, each carrying the
`seq` it was committed with; a client that sees a gap asks `get_snapshot`.
"""

from __future__ import annotations

from flask import Flask
from flask_socketio import SocketIO, emit

socketio = SocketIO()

DISPLAY = "/display"
BROADCAST = ("ticket_issued", "ticket_called", "queue_changed")


def init_app(app: Flask, ext) -> None:
    socketio.init_app(app, async_mode="threading", cors_allowed_origins=[], logger=False)
    queue = ext.queue

    def push(name: str, payload: dict) -> None:
        if name in BROADCAST:
            socketio.emit(name, payload, namespace=DISPLAY)

    queue.subscribe(push)

    @socketio.on("connect", namespace=DISPLAY)
    def on_connect(auth=None):
        emit("snapshot", queue.snapshot())

    @socketio.on("get_snapshot", namespace=DISPLAY)
    def on_get_snapshot(*_args):
        emit("snapshot", queue.snapshot())
