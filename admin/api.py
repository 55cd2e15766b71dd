"""/api/admin: users, devices, printer test, voice warm and say. Role admin, audited events.

The office's configuration itself (procedures, counters, hours, notices, printer and voice
settings) is edited through GET/PUT /api/admin/config (branch cfg); these are the rest.
"""

from __future__ import annotations

import io
import threading

import qrcode
import qrcode.image.svg
from flask import Blueprint, Flask, current_app, jsonify, request

from core import events
from core.devices import KINDS
from core.errors import BadRequest, Conflict, NotFound
from core.timeutil import iso
from core.users import ROLES
from server.kernel import body, clerk_name, current_actor, ext, require

bp = Blueprint("admin_routes", __name__, url_prefix="/api/admin")
MAX_COUNTERS = 999


def audit(event: str, /, **data) -> None:
    """Log an admin action as an event of the registry, the admin's name as its clerk."""
    ext().queue.record(event, clerk=clerk_name(), **data)


def user_json(row: dict) -> dict:
    e = ext()
    return {"name": row["name"], "role": row["role"], "active": bool(row["active"]),
            "counters": e.users.counters_of(row["id"])}  # fmt: skip


def _text(data: dict, key: str, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{key}' must be text.", f"invalid_{key}")
    return value


def _whole(value) -> int | None:
    """An integer, or a float that is one (JSON's 2.0); None for anything else."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _counters(value) -> list[int]:
    """A list of the office's counter numbers; 400 for anything else."""
    if not isinstance(value, list) or len(value) > MAX_COUNTERS:
        raise BadRequest("'counters' must be a list of counter numbers.", "invalid_counters")
    known = {c["number"] for c in ext().settings.counters}  # closed ones too: they reopen
    numbers = [_whole(n) for n in value]
    for raw, n in zip(value, numbers, strict=True):
        if n not in known:
            raise BadRequest(f"{raw!r} is not a counter of this office.", "invalid_counters")
    return sorted(set(numbers))


@bp.get("/users")
@require("admin")
def users():
    return jsonify({"users": [user_json(u) for u in ext().users.list()]})


@bp.post("/users")
@require("admin")
def add_user():
    """A new user: name, role, password, and (optionally) the counters they may sign in at."""
    data = body()
    name, role, password = _text(data, "name"), _text(data, "role"), _text(data, "password")
    counters = _counters(data.get("counters", []))
    e = ext()
    row = e.users.add(name, role, password)  # checks name, role and password, 409 when taken
    if counters:
        e.users.set_counters(row["name"], counters)
    audit(events.USER_CHANGED, name=row["name"], change="added", role=role, counters=counters)
    return jsonify({"user": user_json(row)}), 201


def _check_change(name: str, data: dict) -> dict:
    """The changes asked for, every one checked before any is applied."""
    unknown = set(data) - {"role", "active", "counters"}
    if unknown or not data:
        raise BadRequest("Send one or more of role, active, counters.", "invalid_body")
    change = {}
    if "role" in data:
        if data["role"] not in ROLES:
            raise BadRequest(f"Role must be one of {', '.join(ROLES)}.", "invalid_role")
        change["role"] = data["role"]
    if "active" in data:
        if not isinstance(data["active"], bool):
            raise BadRequest("'active' must be true or false.", "invalid_active")
        change["active"] = data["active"]
    if "counters" in data:
        change["counters"] = _counters(data["counters"])
    me = current_actor()
    if name == me.name and (
        change.get("active") is False or change.get("role", "admin") != "admin"
    ):
        raise Conflict("You cannot disable yourself or lower your own role.", "own_account")
    return change


@bp.post("/users/<string:name>")
@require("admin")
def change_user(name: str):
    """Change a user's role, enable or disable them, set the counters they may sign in at."""
    data = body()
    e = ext()
    e.users.get(name)  # 404 before anything else
    change = _check_change(name, data)
    if "role" in change:
        e.users.set_role(name, change["role"])
    if change.get("active") is False:
        e.users.disable(name)  # like `flask user disable`: sessions and tokens end
    elif change.get("active") is True:
        e.users.set_active(name, True)
    if "counters" in change:
        e.users.set_counters(name, change["counters"])
    audit(events.USER_CHANGED, name=name, change=",".join(sorted(change)), **change)
    return jsonify({"user": user_json(e.users.get(name))})


@bp.post("/users/<string:name>/password")
@require("admin")
def reset_password(name: str):
    """Set a new password; the user's sessions end (they log in with the new one)."""
    data = body()
    e = ext()
    e.users.get(name)
    e.users.set_password(name, _text(data, "password"))
    audit(events.USER_CHANGED, name=name, change="password")
    return jsonify({"user": user_json(e.users.get(name))})


@bp.get("/procedures")
@require("admin")
def procedures():
    """Every procedure ever configured (retired ones inactive) and today's last number of each."""
    queue = ext().queue
    day = queue.day()
    return jsonify({"day": day, "procedures": queue.line.procedures(day)})


def device_json(row: dict, seen: dict) -> dict:
    tz = ext().settings.office.tz
    presence = seen.get(row["name"])
    return {
        "name": row["name"], "kind": row["kind"], "counter": row["counter"],
        "created_at": iso(row["created_at"], tz),
        "revoked_at": iso(row["revoked_at"], tz) if row["revoked_at"] else None,
        "connected": bool(presence and presence["connected"]),
        "last_seen": presence["last_seen"] if presence else None,
        "address": presence["address"] if presence else None,
    }  # fmt: skip


@bp.get("/devices")
@require("admin")
def devices():
    """Enrolled and revoked devices, with what the screens' presence says of each."""
    e = ext()
    seen = e.devices.presence.snapshot() if e.devices.presence else []
    by_name = {d["name"]: d for d in seen}
    return jsonify({"devices": [device_json(d, by_name) for d in e.enrolled.list()],
                    "seen": seen})  # fmt: skip


def qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)  # fmt: skip
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()


@bp.post("/devices")
@require("admin")
def enrol_device():
    """Enrol a device; answer its one-time enrolment link and QR code (shown once)."""
    data = body()
    e = ext()
    kind, counter = data.get("kind"), data.get("counter")
    if kind not in KINDS:
        raise BadRequest(f"Kind must be one of {', '.join(KINDS)}.", "invalid_kind")
    if counter is not None:
        [counter] = _counters([counter])
    row, token = e.enrolled.add(data.get("name"), kind, counter)
    base = e.settings["office"]["public_url"].rstrip("/") or request.host_url.rstrip("/")
    link = f"{base}/devices/enrol?token={token}"
    audit(events.DEVICE_ENROLLED, name=row["name"], kind=kind, counter=counter)
    return jsonify({"device": device_json(row, {}), "token": token, "link": link,
                    "qr_svg": qr_svg(link)}), 201  # fmt: skip


@bp.post("/devices/<string:name>/revoke")
@require("admin")
def revoke_device(name: str):
    body()
    e = ext()
    row = e.enrolled.revoke(name)  # 404 unknown_device for an unknown or revoked name
    audit(events.DEVICE_REVOKED, name=row["name"], kind=row["kind"], counter=row["counter"])
    return jsonify({"device": device_json(row, {})})


@bp.post("/printer/test")
@require("admin")
def printer_test():
    """Print the test page (what `flask printer test` prints); 409 when it fails."""
    body()
    e = ext()
    worker = e.devices.printer
    if worker is None or not worker.enabled:
        raise Conflict("No printer is configured ([printer] type = none).", "no_printer")
    try:
        status, ms = worker.test_page(e.settings.office.name, iso(e.clock(), e.settings.office.tz))
    except Exception as exc:  # a printer fault is the admin's answer, not a server error
        reason = worker.reason_of(exc)
        audit(events.ADMIN_ACTION, action="printer_test", ok=False, detail=reason)
        raise Conflict(f"Printing failed ({reason}): {exc}", "print_failed") from None
    audit(events.ADMIN_ACTION, action="printer_test", ok=True, detail=f"{ms:.0f} ms")
    return jsonify({"printed": True, "ms": round(ms), "type": worker.type,
                    "online": status.online, "paper": status.paper})  # fmt: skip


class Warming:
    """One background warm of the voice cache at a time, with its progress for the page."""

    def __init__(self):
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.done, self.total, self.report, self.error = 0, 0, None, None

    def state(self) -> dict:
        running = self.thread is not None and self.thread.is_alive()
        return {"running": running, "done": self.done, "total": self.total,
                "report": self.report, "error": self.error}  # fmt: skip

    def start(self, voice) -> bool:
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                return False
            self.done, self.total, self.report, self.error = 0, 0, None, None
            self.thread = threading.Thread(target=self._run, args=(voice,), daemon=True,
                                           name="admin-voice-warm")  # fmt: skip
            self.thread.start()
            return True

    def _steps(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def _run(self, voice) -> None:
        try:
            self.report = voice.warm(steps=self._steps)
        except Exception as exc:  # shown on the page; the server keeps running
            self.error = str(exc)


def warming() -> Warming:
    return current_app.extensions["onestop_admin_warm"]


@bp.get("/voice/warm")
@require("admin")
def warm_state():
    return jsonify(warming().state())


@bp.post("/voice/warm")
@require("admin")
def warm_start():
    """Start warming the voice cache in the background (202); 409 while one runs."""
    body()
    voice = ext().devices.voice
    if voice is None or not voice.active:
        raise Conflict("The voice is off or has no engine ([voice]).", "voice_off")
    if not warming().start(voice):
        raise Conflict("The voice cache is being warmed already.", "warming")
    audit(events.ADMIN_ACTION, action="voice_warm", ok=True)
    return jsonify(warming().state()), 202


@bp.post("/voice/say")
@require("admin")
def voice_say():
    """The sentence and audio URLs of a call (number at counter), for the page to play."""
    data = body()
    number, counter = data.get("number"), _whole(data.get("counter"))
    if not isinstance(number, str) or not 0 < len(number.strip()) <= 12:
        raise BadRequest("'number' must be a ticket number such as A001.", "invalid_number")
    if counter is None or not 1 <= counter <= 999:
        raise BadRequest("'counter' must be a counter number.", "invalid_counter")
    voice = ext().devices.voice
    if voice is None:
        raise NotFound("The voice is not set up.", "voice_off")
    return jsonify(voice.call(number.strip(), counter))


def init_app(app: Flask) -> None:
    app.extensions["onestop_admin_warm"] = Warming()
