"""The sms_outbox table (migration m008): enqueue once per dossier and purpose, states, purge.

States: queued (waits for its next_at), sending (handed to a gateway that confirms later,
gammu-smsd), sent, failed (given up; kept, a supervisor may retry), cancelled (no longer
true when its turn came: the dossier is not ready any more, the return ticket no longer
waits; queued again if it comes true again). A row holds the phone number only until it
is sent or cancelled; a failed or never-sent one until the retention runs out.
"""

from __future__ import annotations

import sqlite3

QUEUED, SENDING, SENT, FAILED, CANCELLED = "queued", "sending", "sent", "failed", "cancelled"
READY, NEAR = "ready", "near"
DAY_S = 86400.0
COLUMNS = (
    "id, code, purpose, phone, text, state, tries, next_at, created_at, sent_at, error, gateway_id"
)


def enqueue(conn, code: str, purpose: str, phone: str, text: str, now: float) -> int | None:
    """Queue one message; None when (code, purpose) was queued before (idempotent), unless
    that one was cancelled: then it is queued again."""
    row = conn.execute(
        "INSERT INTO sms_outbox (code, purpose, phone, text, state, tries, next_at, created_at)"
        " VALUES (?, ?, ?, ?, 'queued', 0, ?, ?) ON CONFLICT (code, purpose) DO UPDATE SET"
        " phone = excluded.phone, text = excluded.text, state = 'queued', tries = 0,"
        " next_at = excluded.next_at, created_at = excluded.created_at, error = NULL,"
        " gateway_id = NULL WHERE state = 'cancelled' RETURNING id",
        (code, purpose, phone, text, now, now),
    ).fetchone()
    return row[0] if row else None


def exists(conn, code: str, purpose: str) -> bool:
    """Whether this message is queued, on its way, sent or failed (a cancelled one is not)."""
    sql = "SELECT 1 FROM sms_outbox WHERE code = ? AND purpose = ? AND state != 'cancelled'"
    return conn.execute(sql, (code, purpose)).fetchone() is not None


def still_true(conn, row) -> bool:
    """Whether the message still says the truth: the dossier is ready (ready), its return
    ticket still waits (near)."""
    if row["purpose"] == NEAR:
        found = conn.execute(
            "SELECT t.status FROM dossiers d JOIN tickets t ON t.id = d.return_ticket_id"
            " WHERE d.code = ?",
            (row["code"],),
        ).fetchone()
        return found is not None and found[0] == "waiting"
    found = conn.execute("SELECT status FROM dossiers WHERE code = ?", (row["code"],)).fetchone()
    return found is not None and found[0] == "ready"


def mark_cancelled(conn, sms_id: int) -> None:
    conn.execute(
        "UPDATE sms_outbox SET state = 'cancelled', phone = '', next_at = NULL,"
        " gateway_id = NULL WHERE id = ?",
        (sms_id,),
    )


def get(conn, sms_id: int) -> sqlite3.Row | None:
    return conn.execute(f"SELECT {COLUMNS} FROM sms_outbox WHERE id = ?", (sms_id,)).fetchone()


def due(conn, now: float, limit: int = 20) -> list[sqlite3.Row]:
    """Queued rows whose time has come, oldest first."""
    return conn.execute(
        f"SELECT {COLUMNS} FROM sms_outbox WHERE state = 'queued' AND next_at <= ?"
        " ORDER BY next_at, id LIMIT ?",
        (now, limit),
    ).fetchall()


def next_due(conn) -> float | None:
    """When the next queued row is due."""
    return conn.execute("SELECT MIN(next_at) FROM sms_outbox WHERE state = 'queued'").fetchone()[0]


def sending(conn) -> list[sqlite3.Row]:
    """Rows handed to a gateway that has not yet said whether it sent them."""
    return conn.execute(
        f"SELECT {COLUMNS} FROM sms_outbox WHERE state = 'sending' ORDER BY id"
    ).fetchall()


def mark_sending(conn, sms_id: int, gateway_id: str) -> None:
    conn.execute(
        "UPDATE sms_outbox SET state = 'sending', gateway_id = ? WHERE id = ?",
        (gateway_id, sms_id),
    )


def mark_sent(conn, row, gateway_id: str, now: float) -> None:
    """Sent: the phone number is no longer needed, so it goes (also out of the gateway's id)."""
    phone = row["phone"]
    gid = gateway_id.replace(phone, "…") if phone and gateway_id else gateway_id
    conn.execute(
        "UPDATE sms_outbox SET state = 'sent', sent_at = ?, phone = '', gateway_id = ?,"
        " error = NULL WHERE id = ?",
        (now, gid, row["id"]),
    )


def mark_retry(conn, sms_id: int, tries: int, next_at: float, error: str) -> None:
    conn.execute(
        "UPDATE sms_outbox SET state = 'queued', tries = ?, next_at = ?, error = ?,"
        " gateway_id = NULL WHERE id = ?",
        (tries, next_at, error, sms_id),
    )


def mark_failed(conn, sms_id: int, tries: int, error: str) -> None:
    conn.execute(
        "UPDATE sms_outbox SET state = 'failed', tries = ?, error = ?, next_at = NULL WHERE id = ?",
        (tries, error, sms_id),
    )


def requeue(conn, sms_id: int, now: float) -> None:
    """A supervisor's retry of a failed row: a fresh set of tries from now."""
    conn.execute(
        "UPDATE sms_outbox SET state = 'queued', tries = 0, next_at = ?, error = NULL,"
        " gateway_id = NULL WHERE id = ?",
        (now, sms_id),
    )


def requeue_sending(conn) -> int:
    """Rows left `sending` by a gateway that confirms nothing later (after a config change)."""
    return conn.execute(
        "UPDATE sms_outbox SET state = 'queued', gateway_id = NULL WHERE state = 'sending'"
    ).rowcount


def counts(conn) -> dict[str, int]:
    out = {QUEUED: 0, SENDING: 0, SENT: 0, FAILED: 0, CANCELLED: 0}
    for state, n in conn.execute("SELECT state, COUNT(*) FROM sms_outbox GROUP BY state"):
        out[state] = n
    return out


def retryable(conn) -> int:
    """Failed rows that still hold a number: a supervisor may retry them."""
    return conn.execute(
        "SELECT COUNT(*) FROM sms_outbox WHERE state = 'failed' AND phone != ''"
    ).fetchone()[0]


def oldest_pending(conn) -> float | None:
    """created_at of the oldest row not yet sent nor given up."""
    row = conn.execute(
        "SELECT MIN(created_at) FROM sms_outbox WHERE state IN ('queued', 'sending')"
    ).fetchone()
    return row[0]


def listing(conn, state: str | None = None, limit: int = 200) -> list[sqlite3.Row]:
    where, args = ("WHERE state = ?", (state,)) if state else ("", ())
    return conn.execute(
        f"SELECT {COLUMNS} FROM sms_outbox {where} ORDER BY id DESC LIMIT ?", (*args, limit)
    ).fetchall()


def masked(phone: str) -> str:
    """What staff may see of a number: its last three digits."""
    return "•••" + phone[-3:] if phone else ""


def purge(conn, now: float, keep_days: float = 90) -> int:
    """Blank the phone of every row whose dossier's number was deleted (dossier_contacts,
    on its schedule) or that is older than `keep_days`. A message not sent by then is given
    up (`failed`, error `expired`): retention comes before delivery. Returns the rows."""
    cur = conn.execute(
        "UPDATE sms_outbox SET phone = '', gateway_id = NULL,"
        " state = CASE WHEN state IN ('queued', 'sending') THEN 'failed' ELSE state END,"
        " error = CASE WHEN state IN ('queued', 'sending') THEN 'expired' ELSE error END,"
        " next_at = NULL WHERE phone != '' AND (created_at < ?"
        " OR code NOT IN (SELECT code FROM dossier_contacts))",
        (now - keep_days * DAY_S,),
    )
    return cur.rowcount
