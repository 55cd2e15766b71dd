"""Enrolled devices: kiosks, lobby displays and rating tablets, each with a hashed token."""

from __future__ import annotations

import secrets
import sqlite3
import time
import unicodedata

from .errors import BadRequest, Conflict, NotFound
from .users import token_hash

KINDS = ("kiosk", "display", "tablet")


def _clean_name(name) -> str:
    name = unicodedata.normalize("NFC", name if isinstance(name, str) else "").strip()
    if not 0 < len(name) <= 64 or not name.isprintable():
        raise BadRequest("Device name must be 1 to 64 printable characters.", "invalid_name")
    return name


class Devices:
    """The devices table: add (the token is shown once), list, revoke, look up by token."""

    def __init__(self, store, clock=time.time):
        self.store = store
        self.clock = clock

    def add(self, name: str, kind: str, counter: int | None = None) -> tuple[dict, str]:
        """Enrol a device; returns (its row, its token). Only the token's hash is kept."""
        name = _clean_name(name)
        if kind not in KINDS:
            raise BadRequest(f"Kind must be one of {', '.join(KINDS)}.", "invalid_kind")
        if (kind == "tablet") != (counter is not None):
            raise BadRequest(
                "A tablet needs --counter N; other kinds take none.", "invalid_counter"
            )
        if counter is not None and (isinstance(counter, bool) or not isinstance(counter, int)):
            raise BadRequest("The counter must be a number.", "invalid_counter")
        token = secrets.token_urlsafe(32)
        try:
            with self.store.write() as conn:
                conn.execute(
                    "INSERT INTO devices (name, kind, counter, token_hash, created_at)"
                    " VALUES (?,?,?,?,?)",
                    (name, kind, counter, token_hash(token), self.clock()),
                )
        except sqlite3.IntegrityError:
            raise Conflict(f"Device {name!r} exists already.", "device_exists") from None
        return self.get(name), token

    def get(self, name: str) -> dict:
        row = (
            self.store.reader()
            .execute("SELECT * FROM devices WHERE name = ? AND revoked_at IS NULL", (name,))
            .fetchone()
        )
        if row is None:
            raise NotFound(f"No enrolled device {name!r}.", "unknown_device")
        return dict(row)

    def list(self) -> list[dict]:
        rows = self.store.reader().execute(
            "SELECT id, name, kind, counter, created_at, revoked_at FROM devices"
            " ORDER BY revoked_at IS NOT NULL, kind, name"
        )
        return [dict(r) for r in rows]

    def revoke(self, name: str) -> dict:
        """Revoke the device's token at once; its name may be enrolled again afterwards."""
        row = self.get(name)
        with self.store.write() as conn:
            conn.execute(
                "UPDATE devices SET revoked_at = ? WHERE id = ?", (self.clock(), row["id"])
            )
        return {**row, "revoked_at": self.clock()}

    def for_token(self, token) -> dict | None:
        """The enrolled, unrevoked device holding `token`; None otherwise."""
        if not isinstance(token, str) or not token or len(token) > 200:
            return None
        row = (
            self.store.reader()
            .execute(
                "SELECT * FROM devices WHERE token_hash = ? AND revoked_at IS NULL",
                (token_hash(token),),
            )
            .fetchone()
        )
        return dict(row) if row else None


class SignIns:
    """The counter each clerk signed in at: one counter per user, kept across restarts."""

    def __init__(self, store, clock=time.time):
        self.store = store
        self.clock = clock

    def sign_in(self, user_id: int, counter: int) -> None:
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO sign_ins (user_id, counter, at) VALUES (?,?,?)"
                " ON CONFLICT (user_id) DO UPDATE SET counter = excluded.counter, at = excluded.at",
                (user_id, counter, self.clock()),
            )

    def counter_of(self, user_id: int) -> int | None:
        row = (
            self.store.reader()
            .execute("SELECT counter FROM sign_ins WHERE user_id = ?", (user_id,))
            .fetchone()
        )
        return row[0] if row else None
