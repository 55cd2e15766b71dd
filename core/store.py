"""The SQLite store: connections, pragmas and schema migrations (sqlite-utils 4).

One process owns the database. Writes go through a single connection guarded by a
lock (SQLite has one writer anyway; the lock turns contention into a short queue instead
of busy retries). Reads use one connection per thread; WAL lets them run beside writes.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("onestop")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE services (
            code TEXT PRIMARY KEY, name TEXT NOT NULL, name_en TEXT NOT NULL,
            prefix TEXT NOT NULL, range_start INTEGER NOT NULL, range_end INTEGER NOT NULL,
            target_wait_s INTEGER NOT NULL, service_s INTEGER NOT NULL,
            sort INTEGER NOT NULL DEFAULT 0, active INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE counters (
            number INTEGER PRIMARY KEY, name TEXT NOT NULL, services TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open', ticket_id TEXT, clerk TEXT,
            active INTEGER NOT NULL DEFAULT 1, updated_at REAL
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
            password_hash TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1, created_at REAL
        );
        CREATE TABLE tokens (
            id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
            token_hash TEXT NOT NULL UNIQUE, created_at REAL, revoked_at REAL, last_used_at REAL
        );
        -- Ticket numbering: one row per procedure per office day, bumped atomically.
        CREATE TABLE sequences (
            service TEXT NOT NULL, day TEXT NOT NULL, last INTEGER NOT NULL,
            PRIMARY KEY (service, day)
        );
        CREATE TABLE tickets (
            id TEXT PRIMARY KEY, day TEXT NOT NULL, service TEXT NOT NULL,
            origin TEXT NOT NULL, -- the procedure the number was drawn from (kept on transfer)
            n INTEGER NOT NULL, number TEXT NOT NULL, status TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0, kiosk TEXT,
            issued_at REAL NOT NULL, queued_at REAL NOT NULL, head INTEGER NOT NULL DEFAULT 0,
            called_at REAL, started_at REAL, finished_at REAL,
            counter INTEGER, clerk TEXT, estimated_wait_s INTEGER,
            idempotency_key TEXT UNIQUE, rating INTEGER, transfers INTEGER NOT NULL DEFAULT 0,
            UNIQUE (day, origin, n)
        );
        CREATE INDEX tickets_waiting ON tickets (status, service) WHERE status = 'waiting';
        CREATE INDEX tickets_day ON tickets (day, service);
        CREATE INDEX tickets_done ON tickets (service, finished_at) WHERE status = 'done';
        -- Append-only log of every change; the source of every statistic.
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, day TEXT NOT NULL,
            type TEXT NOT NULL, ticket_id TEXT, service TEXT, counter INTEGER, clerk TEXT,
            data TEXT
        );
        CREATE INDEX events_day ON events (day, type);
        CREATE INDEX events_ticket ON events (ticket_id);
        CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER events_append_only_d BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TABLE summaries (
            day TEXT NOT NULL, scope TEXT NOT NULL, key TEXT NOT NULL, metrics TEXT NOT NULL,
            computed_at REAL, PRIMARY KEY (day, scope, key)
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        INSERT INTO meta (key, value) VALUES ('seq', '0');
        """
    )


@migrations()
def m002_waiting_line(db: Database) -> None:
    """Keep the waiting line cheap to read however long it grows.

    The counts per procedure and per place in the call order (transferred, priority)
    are kept by triggers in the same transaction as the ticket change, so every process
    sees them right; the index holds each procedure's line in call order, so "who is
    next" and "how many are ahead" read a few index entries instead of every waiting row.
    """
    db.executescript(
        """
        CREATE TABLE waiting_counts (
            service TEXT NOT NULL, head INTEGER NOT NULL, priority INTEGER NOT NULL,
            n INTEGER NOT NULL, PRIMARY KEY (service, head, priority)
        ) WITHOUT ROWID;
        INSERT INTO waiting_counts (service, head, priority, n)
            SELECT service, head, priority, COUNT(*) FROM tickets WHERE status = 'waiting'
            GROUP BY service, head, priority;
        CREATE TRIGGER waiting_counts_insert AFTER INSERT ON tickets
            WHEN NEW.status = 'waiting' BEGIN
            INSERT INTO waiting_counts (service, head, priority, n)
                VALUES (NEW.service, NEW.head, NEW.priority, 1)
                ON CONFLICT (service, head, priority) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER waiting_counts_delete AFTER DELETE ON tickets
            WHEN OLD.status = 'waiting' BEGIN
            UPDATE waiting_counts SET n = n - 1
                WHERE service = OLD.service AND head = OLD.head AND priority = OLD.priority;
        END;
        CREATE TRIGGER waiting_counts_update AFTER UPDATE OF status, service, head, priority
            ON tickets WHEN OLD.status = 'waiting' OR NEW.status = 'waiting' BEGIN
            UPDATE waiting_counts SET n = n - 1
                WHERE OLD.status = 'waiting'
                AND service = OLD.service AND head = OLD.head AND priority = OLD.priority;
            INSERT INTO waiting_counts (service, head, priority, n)
                SELECT NEW.service, NEW.head, NEW.priority, 1 WHERE NEW.status = 'waiting'
                ON CONFLICT (service, head, priority) DO UPDATE SET n = n + 1;
        END;
        -- Each procedure's line in call order (service.CALL_ORDER).
        CREATE INDEX tickets_line
            ON tickets (service, head DESC, priority DESC, queued_at, n, number)
            WHERE status = 'waiting';
        DROP INDEX tickets_waiting;
        """
    )


@migrations()
def m003_sessions(db: Database) -> None:
    """Logins kept on the server, so logout, a new password or disabling ends them at once."""
    db.executescript(
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
            sid_hash TEXT NOT NULL UNIQUE, created_at REAL NOT NULL, expires_at REAL NOT NULL,
            revoked_at REAL
        );
        CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;
        """
    )


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection with the pragmas every user of the database needs."""
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a ticket the kiosk was told about survives a power cut.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class Store:
    """Owns the database file: migrations, the write lock and per-thread readers."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.db = Database(connect(self.path))
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        with self.lock:
            migrations.apply(self.db)

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @contextlib.contextmanager
    def write(self):
        """Hold the write lock and run one IMMEDIATE transaction on the writer."""
        with self.lock:
            conn = self.db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection (sees every committed write)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self.lock:
                self._readers.append(conn)
        return conn

    def close(self) -> None:
        with self.lock:
            for conn in self._readers:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._readers.clear()
            self.db.close()
