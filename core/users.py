"""Users, roles, password hashes and API tokens (stored hashed)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import sqlite3
import time

from .errors import BadRequest, Conflict, NotFound

ROLES = ("clerk", "supervisor", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}

# scrypt parameters: ~16 MiB and a few tens of ms per check on a Pi 4.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${dk.hex()}"


def verify_password(stored: str, password: str) -> bool:
    try:
        algo, n, r, p, salt, dk = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), dk)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown names against: one scrypt per login attempt, known name or not."""
    return hash_password(secrets.token_hex(16))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def has_role(role: str, needed: str) -> bool:
    """Roles are ranked: admin can do what a supervisor can, who can do what a clerk can."""
    return RANK.get(role, -1) >= RANK[needed]


class Users:
    def __init__(self, store):
        self.store = store

    def add(self, name: str, role: str, password: str) -> dict:
        name = (name or "").strip()
        if not name or len(name) > 64:
            raise BadRequest("User name must be 1 to 64 characters.", "invalid_name")
        if role not in ROLES:
            raise BadRequest(f"Role must be one of {', '.join(ROLES)}.", "invalid_role")
        if len(password or "") < 6:
            raise BadRequest("Password must have at least 6 characters.", "weak_password")
        try:
            with self.store.write() as conn:
                conn.execute(
                    "INSERT INTO users (name, role, password_hash, created_at) VALUES (?,?,?,?)",
                    (name, role, hash_password(password), time.time()),
                )
        except sqlite3.IntegrityError:
            raise Conflict(f"User {name!r} exists already.", "user_exists") from None
        return self.get(name)

    def set_password(self, name: str, password: str) -> None:
        self.get(name)
        if len(password or "") < 6:
            raise BadRequest("Password must have at least 6 characters.", "weak_password")
        with self.store.write() as conn:
            conn.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?", (hash_password(password), name)
            )

    def get(self, name: str) -> dict:
        row = self.store.reader().execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"No user {name!r}.", "unknown_user")
        return dict(row)

    def by_id(self, user_id: int) -> dict | None:
        row = (
            self.store.reader()
            .execute("SELECT * FROM users WHERE id = ? AND active = 1", (user_id,))
            .fetchone()
        )
        return dict(row) if row else None

    def list(self) -> list[dict]:
        rows = self.store.reader().execute("SELECT id, name, role, active FROM users ORDER BY name")
        return [dict(r) for r in rows]

    def authenticate(self, name: str, password: str) -> dict | None:
        row = (
            self.store.reader()
            .execute("SELECT * FROM users WHERE name = ? AND active = 1", (name,))
            .fetchone()
        )
        if row is None:
            verify_password(_dummy_hash(), password or "")  # same cost: no user probing
            return None
        return dict(row) if verify_password(row["password_hash"], password or "") else None

    def new_token(self, name: str) -> str:
        user = self.get(name)
        token = secrets.token_urlsafe(32)
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO tokens (user_id, token_hash, created_at) VALUES (?,?,?)",
                (user["id"], token_hash(token), time.time()),
            )
        return token

    def revoke_tokens(self, name: str) -> int:
        user = self.get(name)
        with self.store.write() as conn:
            cur = conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                (time.time(), user["id"]),
            )
        return cur.rowcount

    def for_token(self, token: str) -> dict | None:
        if not token or len(token) > 200:
            return None
        row = (
            self.store.reader()
            .execute(
                "SELECT users.* FROM tokens JOIN users ON users.id = tokens.user_id "
                "WHERE tokens.token_hash = ? AND tokens.revoked_at IS NULL AND users.active = 1",
                (token_hash(token),),
            )
            .fetchone()
        )
        return dict(row) if row else None
