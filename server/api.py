"""The public HTTP API (see shared/API.md). Views parse input, call QueueService, answer."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from core.errors import BadRequest
from core.shapes import Ticket

from .kernel import (
    Forbidden,
    WrongCounter,
    at_own_counter,
    body,
    clerk_name,
    current_actor,
    current_device,
    ext,
    require,
    require_any,
)

bp = Blueprint("api", __name__, url_prefix="/api")


def absolute(ticket: Ticket) -> dict:
    """The Ticket's JSON with an absolute status-page URL, for clients that show a QR code."""
    if ticket.url.startswith("/"):
        ticket = ticket.with_url(request.host_url.rstrip("/") + ticket.url)
    return ticket.to_json()


@bp.get("/health")
def health():
    e = ext()
    checks = {}
    try:
        e.store.reader().execute("SELECT 1").fetchone()
        checks["db"] = {"status": "ok"}
    except Exception as exc:  # report, never raise: health must always answer
        checks["db"] = {"status": "error", "message": str(exc)}
    for name in ("printer", "voice"):
        probe = e.health.get(name)
        try:
            checks[name] = probe() if probe else {"status": "not_configured"}
        except Exception as exc:
            checks[name] = {"status": "error", "message": str(exc)}
    for name, probe in e.health.items():
        if name not in checks:
            try:
                checks[name] = probe()
            except Exception as exc:
                checks[name] = {"status": "error", "message": str(exc)}
    status = "ok" if checks["db"]["status"] == "ok" else "error"
    return jsonify({"status": status, "checks": checks}), 200 if status == "ok" else 503


@bp.get("/services")
def services():
    return jsonify({"services": ext().queue.line.services()})


@bp.post("/tickets")
@require_any("clerk", devices=("kiosk",), local=True)
def issue_ticket():
    data = body()
    key = request.headers.get("Idempotency-Key")
    unknown = set(data) - {"service", "priority", "kiosk"}
    if unknown:
        raise BadRequest(f"Unknown field {sorted(unknown)[0]!r}.", "unknown_field")
    if "service" not in data:
        raise BadRequest("'service' is required.", "missing_service")
    device = current_device()
    ticket, created = ext().queue.issue(
        data["service"],
        priority=data.get("priority", False),
        # An enrolled kiosk is who it is enrolled as, whatever its body says.
        kiosk=device.name if device is not None else data.get("kiosk"),
        idempotency_key=key,
    )
    return jsonify({"ticket": absolute(ticket)}), 201 if created else 200


@bp.get("/tickets/<ticket_id>")
def get_ticket(ticket_id: str):
    return jsonify({"ticket": absolute(ext().queue.line.ticket(ticket_id))})


@bp.post("/tickets/<ticket_id>/feedback")
def feedback(ticket_id: str):
    data = body()
    if "rating" not in data:
        raise BadRequest("'rating' is required (1 to 4).", "invalid_rating")
    rating = data["rating"]
    if isinstance(rating, float) and rating.is_integer() and 1 <= rating <= 4:
        rating = int(rating)  # JSON does not tell 4 from 4.0
    try:
        device = current_device()
    except Forbidden:  # a page without its CSRF header rates as anyone holding the id does
        device = None
    if device is not None:
        _tablet_may_rate(device, ticket_id)
    ticket = ext().queue.feedback(ticket_id, rating)
    return jsonify({"ticket": absolute(ticket)}), 201


def _tablet_may_rate(device, ticket_id: str) -> None:
    """A device rates only as a tablet, and only tickets finished at its own counter."""
    if device.kind != "tablet":
        raise Forbidden("Only a rating tablet (or the citizen) may rate a ticket.")
    if not isinstance(ticket_id, str) or len(ticket_id) > 64:
        return  # the service answers the same 404 as for any unknown id
    if ext().queue.line.ticket(ticket_id)["counter"] != device.counter:
        raise WrongCounter(f"This tablet rates tickets of counter {device.counter} only.")


@bp.get("/queue")
def snapshot():
    e = ext()
    return jsonify(e.queue.line.snapshot().said(e.plan).public().to_json())


@bp.get("/counters")
@require("clerk")
def counters():
    return jsonify({"counters": [c.to_json() for c in ext().queue.line.counters()]})


@bp.post("/counters/<int:number>/sign-in")
@require("clerk")
def sign_in(number: int):
    """The clerk sits at counter `number`: from now on they act on it (and on no other)."""
    body()
    e = ext()
    e.queue.line.known_counter(number)  # 404 for an unknown counter
    actor = current_actor()
    if not e.users.may_sit_at(actor.id, number):
        allowed = ", ".join(map(str, e.users.counters_of(actor.id)))
        raise Forbidden(f"You may sign in only at counter {allowed}.", "counter_not_allowed")
    e.sign_ins.sign_in(actor.id, number)  # the row says who sits where since when
    return jsonify({"counter": number, "clerk": actor.name})


@bp.post("/counters/<int:number>/next")
@require("clerk")
@at_own_counter
def call_next(number: int):
    data = body()
    expect = data["current"] if "current" in data else ...
    if expect is not ... and expect is not None and not isinstance(expect, str):
        raise BadRequest("'current' must be a ticket id or null.", "invalid_current")
    ticket = ext().queue.next(number, clerk=clerk_name(), expect=expect)
    if ticket is None:
        return "", 204
    return jsonify({"ticket": absolute(ticket)})


def _counter_action(number: int, method: str):
    body()  # reject malformed bodies the same way everywhere
    ticket = getattr(ext().queue, method)(number, clerk=clerk_name())
    return jsonify({"ticket": absolute(ticket)})


@bp.post("/counters/<int:number>/recall")
@require("clerk")
@at_own_counter
def recall(number: int):
    return _counter_action(number, "recall")


@bp.post("/counters/<int:number>/start")
@require("clerk")
@at_own_counter
def start(number: int):
    return _counter_action(number, "start")


@bp.post("/counters/<int:number>/finish")
@require("clerk")
@at_own_counter
def finish(number: int):
    return _counter_action(number, "finish")


@bp.post("/counters/<int:number>/no-show")
@require("clerk")
@at_own_counter
def no_show(number: int):
    return _counter_action(number, "no_show")


@bp.post("/counters/<int:number>/transfer")
@require("clerk")
@at_own_counter
def transfer(number: int):
    data = body()
    if "service" not in data:
        raise BadRequest("'service' is required.", "missing_service")
    ticket = ext().queue.transfer(number, data["service"], clerk=clerk_name())
    return jsonify({"ticket": absolute(ticket)})


@bp.post("/counters/<int:number>/pause")
@require("clerk")
@at_own_counter
def pause(number: int):
    body()
    return jsonify({"counter": ext().queue.pause(number, clerk=clerk_name()).to_json()})


@bp.post("/counters/<int:number>/resume")
@require("clerk")
@at_own_counter
def resume(number: int):
    body()
    return jsonify({"counter": ext().queue.resume(number, clerk=clerk_name()).to_json()})
