"""HTTP routes of the outbox: the list for supervisors (numbers masked) and a retry."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from core.errors import BadRequest, Conflict, NotFound
from core.timeutil import iso
from server.kernel import ext, require

from . import outbox

bp = Blueprint("sms", __name__, url_prefix="/api/sms")
STATES = (outbox.QUEUED, outbox.SENDING, outbox.SENT, outbox.FAILED, outbox.CANCELLED)


def public(row, tz: str) -> dict:
    """A row as staff see it: the phone masked to its last digits, times in ISO 8601."""
    when = {k: iso(row[k], tz) if row[k] else None for k in ("next_at", "created_at", "sent_at")}
    return {
        "id": row["id"], "code": row["code"], "purpose": row["purpose"], "state": row["state"],
        "tries": row["tries"], "error": row["error"], "phone": outbox.masked(row["phone"]),
        "text": row["text"], **when,
    }  # fmt: skip


@bp.get("")
@require("supervisor")
def listing():
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        raise BadRequest(f"state must be one of {', '.join(STATES)}.", "invalid_state")
    e = ext()
    rows = outbox.listing(e.store.reader(), state)
    return jsonify({"sms": [public(r, e.settings.office.tz) for r in rows]})


@bp.post("/<int:sms_id>/retry")
@require("supervisor")
def retry(sms_id: int):
    e = ext()
    worker = e.devices.sms
    row = outbox.get(e.store.reader(), sms_id)
    if row is None:
        raise NotFound(f"No message {sms_id}.", "unknown_sms")
    if row["state"] != outbox.FAILED:
        raise Conflict(f"Message {sms_id} is {row['state']}, not failed.", "not_failed")
    if not row["phone"]:
        raise Conflict("The number was deleted on schedule; it cannot be sent.", "no_phone")
    worker.retry(sms_id)
    row = outbox.get(e.store.reader(), sms_id)
    return jsonify({"sms": public(row, e.settings.office.tz)})
