"""The rules of dossiers, without the store: codes, phone numbers, dates, statuses, errors."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
import unicodedata
from typing import Any

from .errors import BadRequest, Conflict, NotFound
from .shapes import Dossier
from .timeutil import iso

DEFAULT_PATTERN = r"^[A-Z0-9.\-]{6,40}$"
MAX_CODE = 64  # longer than any province's format: refused before the pattern is tried
MAX_DUE_DAYS = 3 * 366  # a promised date further away is a typing mistake
# What a clerk may type around a mobile number: +84 or 0, then 9 digits, with spaces, dots,
# dashes and brackets anywhere. Written for Python and JavaScript alike (the OpenAPI uses it).
SEP = "[ .()-]"
PHONE_PATTERN = rf"^{SEP}*(\+{SEP}*)?(8{SEP}*4|0){SEP}*[35789]({SEP}*[0-9]){{8}}{SEP}*$"
CODE_SPACE = " \t\r\n"  # a scanner ends a code with Enter or Tab
ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
FINAL = ("returned", "rejected", "withdrawn")
# Where each status may go. The same status again changes nothing (an import repeats rows).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("in_progress", "ready", "more_needed", "rejected", "withdrawn"),
    "in_progress": ("ready", "more_needed", "rejected", "withdrawn"),
    "more_needed": ("in_progress", "ready", "rejected", "withdrawn"),
    "ready": ("returned", "in_progress"),  # back to in_progress: marked ready by mistake
    "returned": (),
    "rejected": (),
    "withdrawn": (),
}
CORRECTABLE = ("code", "due", "service")
SELECT = (
    "SELECT d.*, t.number AS ticket_number, r.number AS return_number,"
    " c.code IS NOT NULL AS has_contact FROM dossiers d"
    " LEFT JOIN tickets t ON t.id = d.ticket_id LEFT JOIN tickets r ON r.id = d.return_ticket_id"
    " LEFT JOIN dossier_contacts c ON c.code = d.code"
)


class UnknownDossier(NotFound):
    code = "unknown_dossier"

    def __init__(self, code: str = ""):
        super().__init__("No dossier with this code; please ask at a counter.")


class NotReady(Conflict):
    """The result is not ready: the answer carries the promised date (and the status)."""

    code = "not_ready"

    def __init__(self, due: str, status: str):
        super().__init__(f"The result is not ready yet; it is promised for {due}.")
        self.due, self.extra = due, {"due": due, "status": status}


class RowError(BadRequest):
    """Row `index` (0-based, of the rows given) of a batch is refused; nothing was applied."""

    code = "bad_row"

    def __init__(self, index: int, code: str, reason: str):
        super().__init__(f"Row {index + 1} ({code}): {reason}")
        self.index, self.dossier, self.reason = index, code, reason
        self.extra = {"row": index, "dossier": code, "reason": reason}


def normal_code(code: Any) -> str:
    """The stored form of a code: trimmed, NFC, a-z upper-cased; '' for anything but text."""
    if not isinstance(code, str) or len(code) > MAX_CODE * 2:
        return ""
    return unicodedata.normalize("NFC", code.strip(CODE_SPACE)).translate(ASCII_UPPER)


def normal_phone(phone: Any) -> str:
    """A Vietnamese mobile number as 0xxxxxxxxx (spaces, dots, dashes and +84 allowed)."""
    if not isinstance(phone, str) or len(phone) >= 40 or not re.fullmatch(PHONE_PATTERN, phone):
        raise BadRequest("'phone' must be a Vietnamese mobile number, e.g. 0912345678.",
                         "bad_phone")  # fmt: skip
    return "0" + re.sub("[^0-9]", "", phone)[-9:]


def parse_date(value: Any, name: str) -> dt.date:
    """A YYYY-MM-DD date that exists; 400 bad_<name> otherwise."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise BadRequest(f"'{name}' must be a date YYYY-MM-DD.", f"bad_{name}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"'{name}' is not a real date.", f"bad_{name}") from None


def flag(value: Any, name: str) -> bool:
    """A JSON true/false; 400 bad_<name> otherwise."""
    if not isinstance(value, bool):
        raise BadRequest(f"'{name}' must be true or false.", f"bad_{name}")
    return value


def plus_days(day: str, days: int) -> str:
    """The day `days` after `day` (YYYY-MM-DD)."""
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def times_after(d, status: str, now: float) -> tuple[float | None, float | None]:
    """(ready_at, returned_at) of dossier row `d` once it becomes `status`."""
    ready_at = now if status == "ready" else d["ready_at"] if status == "returned" else None
    return ready_at, now if status == "returned" else None


def shape(row, tz) -> Dossier:
    """The Dossier of a row read with SELECT."""
    return Dossier(
        code=row["code"], service=row["service"], status=row["status"], due=row["due"],
        day=row["day"], ticket_number=row["ticket_number"], counter=row["counter"],
        clerk=row["clerk"], received_at=iso(row["received_at"], tz),
        ready_at=iso(row["ready_at"], tz), returned_at=iso(row["returned_at"], tz),
        return_number=row["return_number"], has_contact=bool(row["has_contact"]),
    )  # fmt: skip


def rows_of(conn, codes: set[str]) -> dict[str, dict]:
    """The rows of `codes` as dicts (changed in memory as a batch applies), 500 at a time."""
    out, codes = {}, sorted(codes)
    for k in range(0, len(codes), 500):
        part = codes[k : k + 500]
        marks = ",".join("?" * len(part))
        for r in conn.execute(f"SELECT * FROM dossiers WHERE code IN ({marks})", part):
            out[r["code"]] = dict(r)
    return out


def insert_events(conn, rows: list[tuple]) -> None:
    """Append logged-event rows (as built by Dossiers._event) in one statement."""
    conn.executemany(
        "INSERT INTO events (at, t, day, type, ticket_id, service, counter, clerk, data)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        rows,
    )


def checkpoint(conn, tries: int = 50) -> bool:
    """TRUNCATE-checkpoint the WAL; False if readers kept it busy every try."""
    for _ in range(tries):
        try:
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError:
            busy = 1
        if not busy:
            return True
        time.sleep(0.1)
    return False
