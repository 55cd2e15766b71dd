"""Users, roles, password hashes (bounded in number at once), API tokens and login sessions."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import sqlite3
import threading
import time

from .errors import BadRequest, Conflict, NotFound, QueueError

ROLES = ("clerk", "supervisor", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}

# scrypt parameters: ~16 MiB and a few tens of ms per check on a Pi 4.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
HASH_WAIT_S = 2.0  # how long a login waits for a free hashing slot before it gets 429
SESSION_HOURS = 12.0


class Busy(QueueError):
    """Every hashing slot is taken: try again in a moment."""

    code = "busy"
    status = 429


class HashGate:
    """At most `n` scrypt computations at once: a burst of logins cannot blow memory."""

    def __init__(self, n: int = 2, wait_s: float = HASH_WAIT_S):
        self.sem, self.wait_s = threading.BoundedSemaphore(n), wait_s

    def scrypt(self, password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        if not self.sem.acquire(timeout=self.wait_s):
            raise Busy("The server is busy checking passwords; try again in a moment.")
        try:
            return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p)
        finally:
            self.sem.release()


GATE = HashGate()


def bound_hashing(n: int, wait_s: float = HASH_WAIT_S) -> None:
    """Set how many hashes may run at once (from [security] hash_concurrency)."""
    global GATE
    GATE = HashGate(n, wait_s)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    dk = GATE.scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${dk.hex()}"


def verify_password(stored: str, password: str) -> bool:
    try:
        algo, n, r, p, salt, dk = stored.split("$")
        if algo != "scrypt":
            return False
        got = GATE.scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
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
    def __init__(self, store, session_hours: float = SESSION_HOURS):
        self.store, self.session_hours = store, session_hours

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
        user = self.get(name)
        if len(password or "") < 6:
            raise BadRequest("Password must have at least 6 characters.", "weak_password")
        new = hash_password(password)
        with self.store.write() as conn:
            conn.execute("UPDATE users SET password_hash = ? WHERE name = ?", (new, name))
            self._end_sessions(conn, user["id"])  # a copied cookie dies with the old password

    def set_active(self, name: str, active: bool) -> None:
        """Enable or disable a user; disabling ends their sessions at once."""
        user = self.get(name)
        with self.store.write() as conn:
            conn.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user["id"]))
            if not active:
                self._end_sessions(conn, user["id"])

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

    def set_role(self, name: str, role: str) -> None:
        user = self.get(name)
        if role not in ROLES:
            raise BadRequest(f"Role must be one of {', '.join(ROLES)}.", "invalid_role")
        with self.store.write() as conn:
            conn.execute("UPDATE users SET role = ? WHERE id = ?", (role, user["id"]))

    def disable(self, name: str) -> None:
        """Disable a user: their sessions end and their API tokens stop working."""
        self.set_active(name, False)
        self.revoke_tokens(name)

    def counters_of(self, user_id: int) -> list[int]:
        """The counters a user may sign in at; [] means any counter."""
        rows = self.store.reader().execute(
            "SELECT counter FROM user_counters WHERE user_id = ? ORDER BY counter", (user_id,)
        )
        return [r[0] for r in rows]

    def set_counters(self, name: str, counters: list[int]) -> None:
        """Restrict a user to these counters ([] lifts the restriction)."""
        user = self.get(name)
        with self.store.write() as conn:
            conn.execute("DELETE FROM user_counters WHERE user_id = ?", (user["id"],))
            conn.executemany(
                "INSERT INTO user_counters (user_id, counter) VALUES (?,?)",
                [(user["id"], n) for n in sorted(set(counters))],
            )

    def may_sit_at(self, user_id: int, counter: int) -> bool:
        allowed = self.counters_of(user_id)
        return not allowed or counter in allowed

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

    def open_session(self, user_id: int) -> str:
        """A new login session; its id goes in the signed cookie, only its hash is stored."""
        sid, now = secrets.token_urlsafe(32), time.time()
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO sessions (user_id, sid_hash, created_at, expires_at) VALUES (?,?,?,?)",
                (user_id, token_hash(sid), now, now + self.session_hours * 3600),
            )
        return sid

    def session_user(self, sid: str | None) -> dict | None:
        """The active user of a live session, or None (ended, expired, disabled, unknown)."""
        if not sid or len(sid) > 200:
            return None
        row = (
            self.store.reader()
            .execute(
                "SELECT users.* FROM sessions JOIN users ON users.id = sessions.user_id "
                "WHERE sessions.sid_hash = ? AND sessions.revoked_at IS NULL "
                "AND sessions.expires_at > ? AND users.active = 1",
                (token_hash(sid), time.time()),
            )
            .fetchone()
        )
        return dict(row) if row else None

    def end_session(self, sid: str | None) -> None:
        if not sid:
            return
        with self.store.write() as conn:
            conn.execute(
                "UPDATE sessions SET revoked_at = ? WHERE sid_hash = ? AND revoked_at IS NULL",
                (time.time(), token_hash(sid)),
            )

    def end_sessions(self, name: str) -> int:
        """End every session of a user (logged out everywhere)."""
        user = self.get(name)
        with self.store.write() as conn:
            return self._end_sessions(conn, user["id"])

    @staticmethod
    def _end_sessions(conn, user_id: int) -> int:
        cur = conn.execute(
            "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            (time.time(), user_id),
        )
        return cur.rowcount
