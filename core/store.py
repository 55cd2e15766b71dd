"""The SQLite store: connections, pragmas and schema migrations (sqlite-utils 4).

One process owns the database. Writes go through a single connection guarded by a
lock (SQLite has one writer anyway; the lock turns contention into a short queue instead
of busy retries). Reads use one connection per thread; WAL lets them run beside writes.
"""

from __future__ import annotations

import contextlib
import json
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
def m003_devices(db: Database) -> None:
    """Enrolled devices (token stored hashed) and the counter each clerk signed in at."""
    db.executescript(
        """
        CREATE TABLE devices (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('kiosk', 'display', 'tablet')),
            counter INTEGER, token_hash TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL, revoked_at REAL
        );
        -- A name is unique among enrolled devices; a revoked one may be enrolled again.
        CREATE UNIQUE INDEX devices_name ON devices (name) WHERE revoked_at IS NULL;
        CREATE TABLE sign_ins (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            counter INTEGER NOT NULL, at REAL NOT NULL
        );
        """
    )


def _made_by_others(conn) -> list[str]:
    """Triggers (m002's) and indexes of other migrations (m003 may add some) on tickets."""
    remade = ("tickets_day", "tickets_done", "tickets_line")
    return [
        sql
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'tickets' AND sql IS NOT NULL"
            " AND type IN ('trigger', 'index') ORDER BY type = 'index'"
        )
        if name not in remade
    ]


def _keep_columns(conn, old: list) -> None:
    """Columns another migration added to tickets, added to the rebuilt table too."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(tickets_new)")}
    for _, name, type_, _, default, _ in old:
        if name not in have:
            extra = f" DEFAULT {default}" if default is not None else ""
            conn.execute(f'ALTER TABLE tickets_new ADD COLUMN "{name}" {type_}{extra}')


@migrations()
def m004_clock_and_keys(db: Database) -> None:
    """Order by a sequence, durations by a time that never steps, keys per device and day.

    `tickets.qseq` is the office-wide order a ticket joined its line (issue, transfer): the
    call order's tiebreak instead of `queued_at`, which a clock step can move backwards.
    `events.t` is core/clock.py's never-stepping time, `tickets.begun_t` and `service_s`
    keep a service time no step inflates. Idempotency keys become unique per kiosk and
    office day: SQLite cannot drop the old UNIQUE in place, so the table is rebuilt (every
    row and rowid; triggers, indexes and columns of other migrations kept). Independent of
    m003 (devices), whether it runs before or not.
    """
    conn = db.conn
    again = _made_by_others(conn)
    old = list(conn.execute("PRAGMA table_info(tickets)"))
    conn.execute(
        """
        CREATE TABLE tickets_new (
            id TEXT PRIMARY KEY, day TEXT NOT NULL, service TEXT NOT NULL,
            origin TEXT NOT NULL, -- the procedure the number was drawn from (kept on transfer)
            n INTEGER NOT NULL, number TEXT NOT NULL, status TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0, kiosk TEXT,
            issued_at REAL NOT NULL, queued_at REAL NOT NULL, head INTEGER NOT NULL DEFAULT 0,
            called_at REAL, started_at REAL, finished_at REAL,
            counter INTEGER, clerk TEXT, estimated_wait_s INTEGER,
            idempotency_key TEXT, rating INTEGER, transfers INTEGER NOT NULL DEFAULT 0,
            qseq INTEGER NOT NULL DEFAULT 0, begun_t REAL, service_s REAL,
            UNIQUE (day, origin, n)
        )
        """
    )
    _keep_columns(conn, old)
    listed = ", ".join(f'"{r[1]}"' for r in old)
    conn.execute(
        f"INSERT INTO tickets_new (rowid, {listed}, qseq) SELECT rowid, {listed},"
        " ROW_NUMBER() OVER (ORDER BY queued_at, n, number, rowid) FROM tickets ORDER BY rowid"
    )
    conn.execute("DROP TABLE tickets")
    conn.execute("ALTER TABLE tickets_new RENAME TO tickets")
    for sql in (
        *again,
        "CREATE INDEX tickets_day ON tickets (day, service)",
        "CREATE INDEX tickets_done ON tickets (service, finished_at) WHERE status = 'done'",
        # Each procedure's line in call order (policy.CALL_ORDER).
        "CREATE INDEX tickets_line ON tickets (service, head DESC, priority DESC, qseq, n, number)"
        " WHERE status = 'waiting'",
        # A NULL kiosk is one device for keys: COALESCE, since UNIQUE lets NULLs repeat.
        "CREATE UNIQUE INDEX tickets_key ON tickets (COALESCE(kiosk, ''), day, idempotency_key)"
        " WHERE idempotency_key IS NOT NULL",
        "ALTER TABLE events ADD COLUMN t REAL",
        "INSERT OR IGNORE INTO meta (key, value)"
        " SELECT 'qseq', CAST(COALESCE(MAX(qseq), 0) AS TEXT) FROM tickets",
        "INSERT OR IGNORE INTO meta (key, value) SELECT 'day', MAX(day) FROM tickets"
        " HAVING MAX(day) IS NOT NULL",
    ):
        conn.execute(sql)


@migrations()
def m005_sessions(db: Database) -> None:
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


@migrations()
def m006_config_versions(db: Database) -> None:
    """The office's configuration, one row per version (core/config_store.py)."""
    db.executescript(
        """
        CREATE TABLE config_versions (
            n INTEGER PRIMARY KEY, at REAL NOT NULL, day TEXT NOT NULL, author TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '', config TEXT NOT NULL, diff TEXT NOT NULL
        );
        CREATE TRIGGER config_versions_kept_u BEFORE UPDATE ON config_versions
            BEGIN SELECT RAISE(ABORT, 'config versions are kept as they were'); END;
        CREATE TRIGGER config_versions_kept_d BEFORE DELETE ON config_versions
            BEGIN SELECT RAISE(ABORT, 'config versions are kept as they were'); END;
        """
    )


@migrations()
def m007_dossiers(db: Database) -> None:
    """Dossiers filed at the counters, and the phone numbers kept with consent (core/dossiers.py).

    A phone number lives only in dossier_contacts, deleted on schedule (`delete_after`, the
    office day from which it is gone); secure_delete zeroes what a delete or update frees.
    """
    db.executescript(
        """
        CREATE TABLE dossiers (
            code TEXT PRIMARY KEY, day TEXT NOT NULL, service TEXT NOT NULL, ticket_id TEXT,
            counter INTEGER, clerk TEXT, status TEXT NOT NULL, due TEXT NOT NULL,
            received_at REAL NOT NULL, ready_at REAL, returned_at REAL, return_ticket_id TEXT,
            updated_at REAL
        );
        CREATE INDEX dossiers_day ON dossiers (day, status);
        CREATE INDEX dossiers_ticket ON dossiers (ticket_id);
        CREATE INDEX dossiers_return ON dossiers (return_ticket_id)
            WHERE return_ticket_id IS NOT NULL;
        CREATE TABLE dossier_contacts (
            code TEXT PRIMARY KEY REFERENCES dossiers(code), phone TEXT NOT NULL,
            consent_at REAL NOT NULL, notify_near INTEGER NOT NULL DEFAULT 0,
            delete_after TEXT NOT NULL
        );
        CREATE INDEX dossier_contacts_due ON dossier_contacts (delete_after);
        """
    )


@migrations()
def m008_sms_outbox(db: Database) -> None:
    """Messages to citizens (sms/): one row per dossier and purpose, kept until purged."""
    db.executescript(
        """
        CREATE TABLE sms_outbox (
            id INTEGER PRIMARY KEY, code TEXT, purpose TEXT, -- ready | near
            phone TEXT NOT NULL, text TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued', -- queued | sending | sent | failed
            tries INTEGER NOT NULL DEFAULT 0, next_at REAL, created_at REAL, sent_at REAL,
            error TEXT, gateway_id TEXT,
            UNIQUE (code, purpose)
        );
        CREATE INDEX sms_outbox_due ON sms_outbox (state, next_at)
            WHERE state IN ('queued', 'sending');
        """
    )


@migrations()
def m009_voice_recordings(db: Database) -> None:
    """The office's own recorded voice: one saved and at most one pending file per segment."""
    db.executescript(
        """
        CREATE TABLE voice_recordings (
            key TEXT PRIMARY KEY, lang TEXT NOT NULL, text TEXT NOT NULL, file TEXT NOT NULL,
            duration_ms INTEGER NOT NULL, peak_db REAL NOT NULL, uploaded_by TEXT,
            uploaded_at REAL NOT NULL
        );
        CREATE TABLE voice_pending (
            key TEXT PRIMARY KEY, lang TEXT NOT NULL, text TEXT NOT NULL, file TEXT NOT NULL,
            duration_ms INTEGER NOT NULL, peak_db REAL NOT NULL, uploaded_by TEXT,
            uploaded_at REAL NOT NULL
        );
        """
    )


@migrations()
def m010_user_counters(db: Database) -> None:
    """The counters a clerk may sign in at (no row: any counter)."""
    db.executescript(
        """
        CREATE TABLE user_counters (
            user_id INTEGER NOT NULL REFERENCES users(id), counter INTEGER NOT NULL,
            PRIMARY KEY (user_id, counter)
        );
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
    # A deleted phone number (dossier_contacts) must not linger in free space: zero it.
    conn.execute("PRAGMA secure_delete=ON")
    return conn


def write_office(conn: sqlite3.Connection, office) -> None:
    """Write the configured procedures and counters; keep rows no longer configured."""
    conn.execute("UPDATE services SET active = 0")
    for i, s in enumerate(office.services):
        conn.execute(
            "INSERT INTO services (code, name, name_en, prefix, range_start, range_end,"
            " target_wait_s, service_s, sort, active) VALUES (?,?,?,?,?,?,?,?,?,1)"
            " ON CONFLICT (code) DO UPDATE SET name=excluded.name,"
            " name_en=excluded.name_en, prefix=excluded.prefix,"
            " range_start=excluded.range_start, range_end=excluded.range_end,"
            " target_wait_s=excluded.target_wait_s, service_s=excluded.service_s,"
            " sort=excluded.sort, active=1",
            (s.code, s.name, s.name_en, s.prefix, s.range_start, s.range_end,
             s.target_wait_s, s.service_s, i),
        )  # fmt: skip
    conn.execute("UPDATE counters SET active = 0")
    for c in office.counters:
        conn.execute(
            "INSERT INTO counters (number, name, services, active) VALUES (?,?,?,1)"
            " ON CONFLICT (number) DO UPDATE SET name=excluded.name,"
            " services=excluded.services, active=1",
            (c.number, c.name, json.dumps(list(c.services))),
        )


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
