"""The office's configuration in the database: every change a numbered version with a diff.

A version's `config` is the site.toml shape as JSON (what was written, no environment
overrides); `diff` lists the changed leaves as {"path", "old", "new"}. Versions are never
changed or deleted: restoring one saves its config as a new version.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable
from typing import Any

from .errors import Conflict, NotFound

# Arrays of tables whose items are named by a key in a diff path (services[code=HT]).
KEYS = {"services": "code", "counters": "number", "displays": "name", "buttons": "pin"}
MISSING = object()


class StaleVersion(Conflict):
    """The caller edited an older version than the current one."""

    code = "stale_version"

    def __init__(self, current: int | None):
        super().__init__(f"The configuration changed meanwhile (now version {current}); "
                         "reload it and apply your change again.", "stale_version")  # fmt: skip
        self.current = current


def _leaf(value: Any) -> Any:
    return None if value is MISSING else value


def _items(values: list, key: str | None) -> dict | None:
    """A list of tables by its naming key, or None when they cannot be matched by it."""
    if not key or not all(isinstance(v, dict) and key in v for v in values):
        return None
    named = {v[key]: v for v in values}
    return named if len(named) == len(values) else None


def diff(old: Any, new: Any, path: str = "") -> list[dict]:
    """The changed leaves from `old` to `new`: [{"path", "old", "new"}], in a stable order."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in [*old, *(k for k in new if k not in old)]:
            sub = f"{path}.{k}" if path else str(k)
            out += diff(old.get(k, MISSING), new.get(k, MISSING), sub)
        return out
    if isinstance(old, list) and isinstance(new, list):
        key = KEYS.get(path.rsplit(".", 1)[-1])
        a, b = _items(old, key), _items(new, key)
        if a is not None and b is not None:
            out = []
            for name in [*a, *(n for n in b if n not in a)]:
                sub = f"{path}[{key}={name}]"
                out += diff(a.get(name, MISSING), b.get(name, MISSING), sub)
            return out
        if all(not isinstance(v, dict | list) for v in (*old, *new)):
            return [] if old == new else [{"path": path, "old": old, "new": new}]
        out = []
        for i in range(max(len(old), len(new))):
            out += diff(old[i] if i < len(old) else MISSING,
                        new[i] if i < len(new) else MISSING, f"{path}[{i}]")  # fmt: skip
        return out
    if old is MISSING and new is MISSING or old == new and _kind(old) == _kind(new):
        return []
    return [{"path": path, "old": _leaf(old), "new": _leaf(new)}]


def _kind(v: Any) -> type:
    """JSON's kinds: a browser's 5 is the file's 5.0 (a number), but true is no 1."""
    return float if isinstance(v, int | float) and not isinstance(v, bool) else type(v)


def diff_text(changes: list[dict]) -> list[str]:
    """Each change in words: `services[code=HT].name: "A" → "B"`."""
    show = lambda v: "(none)" if v is None else json.dumps(v, ensure_ascii=False)  # noqa: E731
    return [f"{c['path']}: {show(c['old'])} → {show(c['new'])}" for c in changes]


def _row(row: sqlite3.Row | None, with_config: bool = True) -> dict | None:
    if row is None:
        return None
    out = {"n": row["n"], "at": row["at"], "day": row["day"], "author": row["author"],
           "reason": row["reason"], "diff": json.loads(row["diff"])}  # fmt: skip
    if with_config:
        out["config"] = json.loads(row["config"])
    return out


class ConfigStore:
    """Versions of the office's config on the store's connections (see core/store.py)."""

    def __init__(self, store, clock: Callable[[], float], day_of: Callable[[float], str]):
        self.store = store
        self.clock = clock
        self.day_of = day_of  # the office day an instant belongs to

    def current(self, conn: sqlite3.Connection | None = None) -> dict | None:
        """The version in force (with its config), or None before the first one."""
        conn = conn or self.store.reader()
        return _row(conn.execute("SELECT * FROM config_versions ORDER BY n DESC LIMIT 1")
                    .fetchone())  # fmt: skip

    def get(self, n: int) -> dict:
        """Version `n` with its config; NotFound if there is none."""
        row = self.store.reader().execute("SELECT * FROM config_versions WHERE n = ?", (n,))
        found = _row(row.fetchone())
        if found is None:
            raise NotFound(f"No configuration version {n}.", "unknown_version")
        return found

    def versions(self, limit: int = 100) -> list[dict]:
        """The newest `limit` versions, newest first, without their configs."""
        rows = self.store.reader().execute(
            "SELECT * FROM config_versions ORDER BY n DESC LIMIT ?", (limit,)
        )
        return [_row(r, with_config=False) for r in rows]

    def for_day(self, day: str) -> dict | None:
        """The version in force at the end of office day `day` (the first one if none was
        saved by then, since an office's history starts with its first version)."""
        conn = self.store.reader()
        row = (
            conn.execute(
                "SELECT * FROM config_versions WHERE day <= ? ORDER BY n DESC LIMIT 1", (day,)
            ).fetchone()
            or conn.execute("SELECT * FROM config_versions ORDER BY n LIMIT 1").fetchone()
        )
        return _row(row)

    def save(
        self, config: dict, author: str, reason: str = "", expected: int | None = None,
        conn: sqlite3.Connection | None = None,
    ) -> int:  # fmt: skip
        """Store `config` as the next version; StaleVersion unless `expected` is current.

        With `conn` it runs in the caller's transaction (which must hold the write lock),
        else in one of its own.
        """
        if conn is None:
            with self.store.write() as own:
                return self.save(config, author, reason, expected, own)
        last = self.current(conn)
        n_last = last["n"] if last else None
        if expected is not None and expected != n_last:
            raise StaleVersion(n_last)
        config = copy.deepcopy(config)
        changes = diff(last["config"], config) if last else []
        now = self.clock()
        return conn.execute(
            "INSERT INTO config_versions (n, at, day, author, reason, config, diff)"
            " VALUES (?,?,?,?,?,?,?) RETURNING n",
            ((n_last or 0) + 1, now, self.day_of(now), author, reason,
             json.dumps(config, ensure_ascii=False), json.dumps(changes, ensure_ascii=False)),
        ).fetchone()[0]  # fmt: skip

    def meta(self, key: str, conn: sqlite3.Connection | None = None) -> str | None:
        row = (
            (conn or self.store.reader())
            .execute("SELECT value FROM meta WHERE key = ?", (key,))
            .fetchone()
        )
        return row[0] if row else None

    @staticmethod
    def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
