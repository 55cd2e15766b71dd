"""The hub's PostgreSQL: a connection pool and versioned migrations (a table records each)."""

from __future__ import annotations

import os

from psycopg_pool import ConnectionPool

from . import rollup

DEFAULT_URL = "postgresql:///onestop_hub"

CATALOGUE = (
    """
    CREATE TABLE catalogue (
        code TEXT PRIMARY KEY, name TEXT NOT NULL, name_en TEXT NOT NULL DEFAULT '',
        target_wait_min INTEGER NOT NULL CHECK (target_wait_min BETWEEN 1 AND 480),
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), retired BOOLEAN NOT NULL DEFAULT false
    );
    CREATE TABLE catalogue_version (
        one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one), version INTEGER NOT NULL
    );
    INSERT INTO catalogue_version VALUES (true, 0);
    ALTER TABLE offices ADD COLUMN devices JSONB NOT NULL DEFAULT '[]',
        ADD COLUMN catalogue_version INTEGER;
"""
    + rollup.SERVICES_MIGRATION
)

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "offices, users, tokens", """
        CREATE TABLE offices (
            code TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            timezone TEXT NOT NULL DEFAULT 'Asia/Ho_Chi_Minh',
            day_starts_at INTEGER NOT NULL DEFAULT 0,
            targets JSONB NOT NULL DEFAULT '{}', config_version TEXT,
            health JSONB NOT NULL DEFAULT '{}', live JSONB NOT NULL DEFAULT '{}',
            last_contact TIMESTAMPTZ, last_event_id BIGINT NOT NULL DEFAULT 0
        );
        CREATE TABLE users (
            name TEXT PRIMARY KEY, role TEXT NOT NULL
                CHECK (role IN ('province_admin', 'province_viewer', 'office_viewer')),
            office TEXT REFERENCES offices (code), password_hash TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            CHECK ((role = 'office_viewer') = (office IS NOT NULL))
        );
        CREATE TABLE tokens (
            token_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES users (name),
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
    """),
    (2, "raw events, partitioned by month, append-only", """
        CREATE TABLE events (
            office TEXT NOT NULL, id BIGINT NOT NULL, at DOUBLE PRECISION NOT NULL,
            day DATE NOT NULL, type TEXT NOT NULL, ticket TEXT, service TEXT,
            counter INTEGER, clerk TEXT, data TEXT,
            received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (office, day, id)  -- an event id has one day: (office, id) is unique
        ) PARTITION BY RANGE (day);
        CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'events are append-only'; END $$;
        CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION refuse_change();
    """),
    (3, "daily roll-up per office", """
        CREATE TABLE daily (
            office TEXT NOT NULL REFERENCES offices (code), day DATE NOT NULL,
            report JSONB NOT NULL, last_event_id BIGINT NOT NULL,
            issued INTEGER NOT NULL, served INTEGER NOT NULL, no_show INTEGER NOT NULL,
            cancelled INTEGER NOT NULL, expired INTEGER NOT NULL, transferred INTEGER NOT NULL,
            wait_avg_s DOUBLE PRECISION, wait_p50_s DOUBLE PRECISION,
            wait_p90_s DOUBLE PRECISION, service_avg_s DOUBLE PRECISION,
            within_target_pct DOUBLE PRECISION,
            r1 INTEGER NOT NULL, r2 INTEGER NOT NULL, r3 INTEGER NOT NULL, r4 INTEGER NOT NULL,
            computed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (office, day)
        );
        CREATE INDEX daily_day ON daily (day);
    """),
    (4, "monthly roll-up; daily wait_max_s", rollup.MIGRATION),
    (5, "province catalogue; office devices", CATALOGUE),
]  # fmt: skip


def database_url() -> str:
    return os.environ.get("ONESTOP_HUB_DATABASE_URL") or DEFAULT_URL


def make_pool(url: str | None = None, max_size: int = 8) -> ConnectionPool:
    """An opened pool; connections are checked on the way out so a restarted server heals."""
    pool = ConnectionPool(
        url or database_url(), min_size=1, max_size=max_size, open=False,
        check=ConnectionPool.check_connection, kwargs={"autocommit": False},
    )  # fmt: skip
    pool.open(wait=False)
    return pool


def migrate(pool: ConnectionPool) -> list[int]:
    """Apply the migrations not yet recorded, each in its own transaction; returns those applied."""
    applied = []
    with pool.connection() as conn:
        conn.execute("SELECT pg_advisory_lock(741013)")  # two hubs starting at once
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, "
                "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            conn.commit()
            done = {r[0] for r in conn.execute("SELECT version FROM migrations")}
            for version, name, sql in MIGRATIONS:
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute(
                        "INSERT INTO migrations (version, name) VALUES (%s, %s)", (version, name)
                    )
                applied.append(version)
            conn.commit()
        finally:
            conn.execute("SELECT pg_advisory_unlock(741013)")
            conn.commit()
    return applied


_PARTITIONS: set = set()  # months known to exist in this process


def ensure_partitions(pool: ConnectionPool, days) -> None:
    """The month partitions holding `days` (dates), created on demand, one creator at a time."""
    months = {(pool.conninfo, d.replace(day=1)) for d in days} - _PARTITIONS
    for key in sorted(months):
        first = key[1]
        nxt = first.replace(year=first.year + (first.month == 12), month=first.month % 12 + 1)
        with pool.connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(741014)")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS events_{first:%Y_%m} PARTITION OF events "
                f"FOR VALUES FROM ('{first.isoformat()}') TO ('{nxt.isoformat()}')"
            )
        _PARTITIONS.add(key)
