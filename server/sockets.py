"""Socket.IO: `/display` pushes every committed change to screens; `/staff` carries alerts.

Messages come from QueueService in commit order (an inline subscriber: on the committing
thread, after the write lock is let go), each broadcast one carrying the `seq` it was
committed with; a display that sees a gap asks `get_snapshot`. `/display` messages leave
through server/fanout.py.
`/staff` is for logged-in clerks and above: it relays what is not for the lobby
(print_failed, voice_gap, ticket_rated, display_lost, ...) and, to supervisors, presence.
"""

from __future__ import annotations

import dataclasses
import logging
import threading

from flask import Flask, current_app, request
from flask_login import current_user
from flask_socketio import SocketIO, emit, join_room

from core import events
from display.presence import KINDS, Presence

from . import junklog
from .fanout import Fanout
from .kernel import Device, User, client_address, cookie_device

socketio = SocketIO()
log = logging.getLogger("onestop")

DISPLAY = "/display"
STAFF = "/staff"
SUPERVISORS = "supervisors"  # room of /staff that also gets presence
WATCH_EVERY_S = 5.0


def staff_user(auth) -> User | None:
    """The clerk (or above) behind a socket: its login session, or an API token sent in
    `auth` ({"token": ...}) or as `Authorization: Bearer ...` (scripts, other tools)."""
    header = request.headers.get("Authorization", "")
    token = auth.get("token") if isinstance(auth, dict) else None
    if not isinstance(token, str) and header.startswith("Bearer "):
        token = header[7:].strip()
    if current_user.is_authenticated:
        user = current_user._get_current_object()
    elif isinstance(token, str):
        row = current_app.extensions["onestop"].users.for_token(token)
        user = User(row) if row else None
    else:
        user = None
    return user if user is not None and user.can("clerk") else None


def screen_device(auth) -> Device | None:
    """The enrolled display or kiosk behind a /display socket: the enrolment cookie sent
    with the handshake, or a device token in `auth` ({"token": ...}) or a Bearer header."""
    header = request.headers.get("Authorization", "")
    token = auth.get("token") if isinstance(auth, dict) else None
    if not isinstance(token, str) and header.startswith("Bearer "):
        token = header[7:].strip()
    if isinstance(token, str):
        row = current_app.extensions["onestop"].enrolled.for_token(token)
        device = Device(row) if row else None
    else:
        device = cookie_device()
    return device if device is not None and device.kind in KINDS else None


def report_faults(presence: Presence, queue) -> list[dict]:
    """Write each display that newly vanished in opening hours to the log (and so to staff)."""
    faults = presence.new_faults()
    for f in faults:
        queue.record(events.DISPLAY_LOST, name=f["name"], address=f["address"],
                     last_seen=f["last_seen"])  # fmt: skip
    return faults


def init_app(app: Flask, ext) -> None:
    """Bind Socket.IO, the fan-out and presence; relay the bus; register both namespaces."""
    # None: the engine refuses a browser Origin other than this host (no cross-site sockets).
    socketio.init_app(app, async_mode="threading", cors_allowed_origins=None, logger=False)
    junklog.install()  # a client's junk is one short line in the log, not a traceback
    # Every /display message goes through the fan-out (see fanout.py): one path per screen
    # keeps its messages in order.
    fanout = Fanout()
    fanout.install(socketio.server)
    ext.devices.fanout = fanout
    presence = Presence(ext.settings.office, ext.clock, path=ext.data_dir / "presence.json")
    ext.devices.presence = presence
    ext.config.on_change(lambda settings: setattr(presence, "office", settings.office))
    # How the screens were sent to: "direct" is the fast path of fanout.py, "queued"
    # Engine.IO's own (long-polling screens, or one that stopped reading).
    ext.health["displays"] = lambda: {
        **presence.health(),
        "sent": fanout.sent(),
    }
    _relay(ext, fanout)
    _lobby(app, ext, fanout, presence)
    _staff(presence)


def _presence_changed(presence: Presence) -> None:
    socketio.emit(events.PRESENCE, {"devices": presence.snapshot()}, namespace=STAFF,
                  to=SUPERVISORS)  # fmt: skip


def _relay(ext, fanout: Fanout) -> None:
    """Relay each committed message to whoever the registry says may see it."""

    def push(name: str, payload) -> None:
        audience = events.get(name).audience
        if audience == events.PUBLIC:
            if name == events.TICKET_CALLED:  # what is said: voice's plan, after the commit
                payload = dataclasses.replace(payload, call=ext.plan(payload.call))
            fanout.emit(name, events.to_json(name, payload, events.PUBLIC), DISPLAY)
        elif audience == events.STAFF:
            socketio.emit(name, events.to_json(name, payload, events.STAFF), namespace=STAFF)

    ext.queue.subscribe(push, inline=True)  # non-blocking sends: no thread hand-off needed


def _lobby(app: Flask, ext, fanout: Fanout, presence: Presence) -> None:
    """The /display namespace: snapshots, presence of screens and kiosks, the watcher."""
    queue = ext.queue
    watcher: dict[str, threading.Thread] = {}
    screens: set[str] = set()  # /display sids whose connect handler has run

    def snapshot() -> dict:
        return queue.line.snapshot().said(ext.plan).public().to_json()

    def watch() -> None:
        """Report vanished displays, and publish changes other processes committed."""
        while True:
            socketio.sleep(WATCH_EVERY_S)
            try:
                if report_faults(presence, queue):
                    _presence_changed(presence)
                # Another process (the nightly `flask day close`) may have changed the queue.
                queue.publish_outside_changes()
                ext.config.follow_outside()  # a version `flask config import` saved
            except Exception:  # keep watching; the next round may succeed
                log.exception("presence watcher failed")

    def ensure_watcher() -> None:
        t = watcher.get("t")
        if t is None or not t.is_alive():
            watcher["t"] = socketio.start_background_task(watch)

    @socketio.on("connect", namespace=DISPLAY)
    def on_connect(auth=None):
        if request.sid in screens:
            # python-socketio routes a client *event* named "connect" here too: ignore it,
            # so a screen cannot rename itself in presence or ask for snapshots this way.
            return
        screens.add(request.sid)
        # Only an enrolled screen is in presence (and so can be missed): the lobby's
        # snapshot is public, a name claimed by an anonymous socket is not.
        device = screen_device(auth)
        if device is not None:
            presence.connect(request.sid, device.kind, device.name, client_address() or "?")
            _presence_changed(presence)
        if not app.testing:
            # Started by the first screen, so CLI commands never run a watcher of their own.
            ensure_watcher()
        fanout.emit_fresh(events.SNAPSHOT, snapshot, DISPLAY, to=request.sid)

    @socketio.on("disconnect", namespace=DISPLAY)
    def on_disconnect(*_args):
        screens.discard(request.sid)
        if presence.disconnect(request.sid) is not None:
            _presence_changed(presence)

    @socketio.on("get_snapshot", namespace=DISPLAY)
    def on_get_snapshot(*_args):
        presence.seen(request.sid)
        fanout.emit_fresh(events.SNAPSHOT, snapshot, DISPLAY, to=request.sid)

    @socketio.on("heartbeat", namespace=DISPLAY)
    def on_heartbeat(*_args):
        presence.seen(request.sid)


def _staff(presence: Presence) -> None:
    """The /staff namespace: clerks and above; supervisors also get presence."""
    staff: dict[str, User] = {}  # /staff sid -> who connected it

    @socketio.on("connect", namespace=STAFF)
    def on_staff_connect(auth=None):
        if request.sid in staff:
            return  # a client event named "connect" (see on_connect): keeps the first login
        user = staff_user(auth)
        if user is None:
            # Refused: the client gets connect_error with this message.
            raise ConnectionRefusedError("Log in as a clerk, supervisor or admin.")
        staff[request.sid] = user
        if user.can("supervisor"):
            join_room(SUPERVISORS)
            emit(events.PRESENCE, {"devices": presence.snapshot()})
        emit("hello", {"user": user.name, "role": user.role})

    @socketio.on("disconnect", namespace=STAFF)
    def on_staff_disconnect(*_args):
        staff.pop(request.sid, None)

    @socketio.on("get_presence", namespace=STAFF)
    def on_get_presence(*_args):
        user = staff.get(request.sid)
        if user is None or not user.can("supervisor"):
            emit("refused", {"error": {"code": "forbidden", "message": "Supervisors only."}})
            return
        emit(events.PRESENCE, {"devices": presence.snapshot()})
