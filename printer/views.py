"""HTTP routes of the printer: a ticket's print outcome (for the kiosk) and reprint (staff)."""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, jsonify

from core import events
from core.errors import Conflict
from server.kernel import body, clerk_name, ext, require

bp = Blueprint("printer", __name__, url_prefix="/api")

# How long after issue a ticket with no recorded outcome still counts as "pending".
PENDING_GRACE_S = 15


def from_events(store, ticket_id: str) -> dict | None:
    """The last recorded print outcome of a ticket (survives a restart)."""
    row = (
        store.reader()
        .execute(
            "SELECT type, data FROM events WHERE ticket_id = ? AND type IN"
            " ('printed', 'print_failed') ORDER BY id DESC LIMIT 1",
            (ticket_id,),
        )
        .fetchone()
    )
    if row is None:
        return None
    data = json.loads(row["data"] or "{}")
    if row["type"] == "printed":
        return {"status": "printed", "reason": None, "reprint": bool(data.get("reprint"))}
    return {"status": "failed", "reason": data.get("reason"), "reprint": bool(data.get("reprint"))}


def print_outcome(e, ticket: dict) -> dict:
    """pending | printed | failed | disabled | unknown, with the failure reason."""
    worker = e.devices.printer
    if worker is None or not worker.enabled:
        return {"status": "disabled", "reason": None}
    out = worker.outcome(ticket["id"]) or from_events(e.store, ticket["id"])
    if out is None:
        issued = dt.datetime.fromisoformat(ticket["issued_at"]).timestamp()
        # The dispatcher may not have handed the ticket to the printer yet.
        fresh = e.clock() - issued < worker.timeout + PENDING_GRACE_S
        out = {"status": "pending" if fresh else "unknown", "reason": None}
    return out


@bp.get("/tickets/<ticket_id>/print")
def print_status(ticket_id: str):
    e = ext()
    ticket = e.queue.line.ticket(ticket_id)
    return jsonify({"print": print_outcome(e, ticket)})


@bp.post("/tickets/<ticket_id>/reprint")
@require("clerk")
def reprint(ticket_id: str):
    body()
    e = ext()
    ticket = e.queue.line.ticket(ticket_id)
    worker = e.devices.printer
    if worker is None or not worker.enabled:
        raise Conflict("No printer is configured ([printer] type = none).", "printer_disabled")
    e.queue.record(events.REPRINT_REQUESTED, ticket_id, clerk=clerk_name())
    worker.submit(ticket, reprint=True)
    return jsonify({"print": {"status": "pending", "reason": None}}), 202
