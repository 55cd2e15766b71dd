"""Backups of the database: `flask backup` while the server runs, `flask restore` when it is stopped.

A backup is one self-contained SQLite file (journal_mode=DELETE, no -wal beside it) made
with SQLite's online backup API, so it is a consistent snapshot even while tickets are
being issued. Restore checks a file before it touches anything and keeps the replaced
database aside.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sqlite3
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask, current_app

from core.store import migrations

from .kernel import terminal_bar

STEP_PAGES_MIN = 256  # pages per backup step (1 MiB at 4 KiB pages); ~100 steps if larger
COPY_CHUNK = 1 << 20  # bytes per read when a restore copies the file into place
NAME_RE = re.compile(r"^onestop-(\d{8}-\d{6})(?:-(\d+))?\.db$")
REQUIRED_TABLES = (
    "tickets",
    "events",
    "meta",
    "services",
    "counters",
    "users",
    "_sqlite_migrations",
)


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Check:
    """What `check()` found in a backup file."""

    path: Path
    tickets: int
    events: int
    last_day: str | None
    migrations: tuple[str, ...]


def _uri(path: Path, query: str) -> str:
    # Quoted: a "?" or "#" in a folder name must not end the path.
    return f"file:{urllib.parse.quote(str(Path(path).resolve()))}?{query}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def backups(dest_dir: Path) -> list[Path]:
    """The backups in dest_dir, oldest first."""
    if not dest_dir.is_dir():
        return []
    found = [(m, p) for p in dest_dir.iterdir() if (m := NAME_RE.match(p.name))]
    return [p for m, p in sorted(found, key=lambda mp: (mp[0][1], int(mp[0][2] or 0)))]


def _target(dest_dir: Path, now: float) -> Path:
    stamp = dt.datetime.fromtimestamp(now).strftime("%Y%m%d-%H%M%S")
    path, n = dest_dir / f"onestop-{stamp}.db", 1
    while path.exists():  # two backups in one second: keep both, in order
        path, n = dest_dir / f"onestop-{stamp}-{n}.db", n + 1
    return path


def backup(
    db_path: Path,
    dest_dir: Path,
    keep: int = 14,
    now: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Copy db_path into dest_dir as onestop-YYYYMMDD-HHMMSS.db, then keep the newest `keep`.

    progress(pages copied, page count), if given, is called after each step of the copy.
    """
    db_path, dest_dir = Path(db_path), Path(dest_dir)
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    if not db_path.exists():
        raise BackupError(f"no database at {db_path}")
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = _target(dest_dir, time.time() if now is None else now)
    partial = final.with_name(final.name + ".partial")
    src = sqlite3.connect(_uri(db_path, "mode=ro"), uri=True, timeout=30, isolation_level=None)
    try:
        dst = sqlite3.connect(partial)
        try:
            # The copy is the snapshot of the moment it starts: one read transaction held
            # across every step. In WAL mode it does not block the server's writes, and
            # the steps do not see them; without it a stepwise copy would restart at every
            # write the server makes and might never finish on a busy day.
            src.execute("BEGIN")
            pages = src.execute("PRAGMA page_count").fetchone()[0]  # starts the snapshot
            step = max(STEP_PAGES_MIN, pages // 100)

            def report(_status: int, remaining: int, total: int) -> None:
                if progress:
                    progress(total - remaining, total)

            src.backup(dst, pages=step, progress=report)
            src.execute("COMMIT")
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal to forget
            ok = dst.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    if ok != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its check ({ok}); the database may be damaged")
    _fsync_file(partial)
    os.replace(partial, final)  # a half-written file never carries a backup's name
    _fsync_dir(dest_dir)
    for old in backups(dest_dir)[:-keep]:
        old.unlink(missing_ok=True)
    return final


def check(path: Path) -> Check:
    """Open a backup read-only and prove it usable: integrity, schema, known migrations."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size:
        # immutable=1 below would ignore it; such a file is a live database, not a backup
        raise BackupError(f"{path}: has a -wal file beside it; make backups with `flask backup`")
    try:
        conn = sqlite3.connect(_uri(path, "mode=ro&immutable=1"), uri=True)
    except sqlite3.Error as e:
        raise BackupError(f"{path}: cannot open: {e}") from None
    try:
        try:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        except sqlite3.DatabaseError as e:
            raise BackupError(f"{path}: not a usable SQLite database ({e})") from None
        if result != ["ok"]:
            raise BackupError(f"{path}: integrity check failed: {'; '.join(result[:5])}")
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise BackupError(
                f"{path}: not a One-Stop Queue database (missing {', '.join(missing)})"
            )
        applied = tuple(
            r[0]
            for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
                [migrations.name],
            )
        )
        known = {m.name for m in migrations._migrations}
        if not applied:
            raise BackupError(f"{path}: no schema migrations recorded")
        unknown = [m for m in applied if m not in known]
        if unknown:
            raise BackupError(
                f"{path}: made by a newer version (migration {unknown[0]}); update the code first"
            )
        tickets = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        last_day = conn.execute("SELECT max(day) FROM tickets").fetchone()[0]
    finally:
        conn.close()
    return Check(path, tickets, events, last_day, applied)


def _ensure_unused(db_path: Path) -> None:
    """Fail if another process (the server) has the database open.

    Leaving WAL mode needs the database to itself: SQLite refuses while any other
    connection is open, so this is a reliable "is the server running?" test.
    """
    conn = sqlite3.connect(db_path, timeout=0.5)
    try:
        conn.execute("PRAGMA journal_mode=DELETE").fetchone()
    except sqlite3.OperationalError:
        raise BackupError(
            f"{db_path} is in use: stop the server first (sudo systemctl stop onestop), "
            "then run the restore again"
        ) from None
    finally:
        conn.close()


def _copy(src: Path, dst: Path, progress: Callable[[int, int], None] | None) -> None:
    """Copy src to dst in chunks; progress(bytes copied, size) after each."""
    total, done = src.stat().st_size, 0
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(COPY_CHUNK):
            fout.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)


def restore(
    backup_file: Path,
    db_path: Path,
    now: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Check, Path | None]:
    """Check backup_file, then put it in place of db_path; return the check and where the old db went.

    progress(bytes copied, size), if given, is called as the file is copied into place.
    """
    info = check(backup_file)
    db_path = Path(db_path)
    aside = None
    stamp = dt.datetime.fromtimestamp(time.time() if now is None else now).strftime("%Y%m%d-%H%M%S")
    if db_path.exists():
        _ensure_unused(db_path)  # also checkpoints the WAL into the file we move aside
        aside = db_path.with_name(f"{db_path.name}.replaced-{stamp}")
        os.replace(db_path, aside)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{db_path}{suffix}", f"{aside}{suffix}")
    incoming = db_path.with_name(db_path.name + ".restoring")
    _copy(Path(backup_file), incoming, progress)
    _fsync_file(incoming)
    os.replace(incoming, db_path)
    _fsync_dir(db_path.parent)
    return info, aside


def default_dir(ext) -> Path:
    configured = ext.settings["backup"]["dir"]
    return Path(configured) if configured else ext.data_dir / "backups"


def init_app(app: Flask) -> None:
    """Register `flask backup` and `flask restore`."""

    @app.cli.command("backup")
    @click.option("--keep", type=int, help="How many backups to keep (default: backup.keep).")
    @click.option("--dir", "dir_", type=click.Path(file_okay=False), help="Backup directory.")
    def backup_cmd(keep, dir_):
        """Write a consistent copy of the database (safe while the server runs)."""
        ext = current_app.extensions["onestop"]
        dest = Path(dir_) if dir_ else default_dir(ext)
        keep = keep if keep is not None else ext.settings["backup"]["keep"]
        started = time.monotonic()
        try:
            with terminal_bar("Backing up (pages)") as progress:
                path = backup(ext.store.path, dest, keep=keep, progress=progress)
        except (BackupError, OSError, sqlite3.Error) as e:
            raise click.ClickException(f"backup failed: {e}") from None
        size = path.stat().st_size / 1e6
        click.echo(f"Backup written: {path} ({size:.1f} MB in {time.monotonic() - started:.2f} s)")
        click.echo(f"Kept {len(backups(dest))} backup(s) in {dest}.")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--check", "check_only", is_flag=True, help="Only check FILE; change nothing.")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_cmd(file, check_only, yes):
        """Check FILE, then replace the database with it (stop the server first)."""
        ext = current_app.extensions["onestop"]
        try:
            info = check(Path(file))
        except BackupError as e:
            raise click.ClickException(str(e)) from None
        click.echo(
            f"{file}: OK — {info.tickets} tickets, {info.events} events, "
            f"last day {info.last_day or '-'}, {len(info.migrations)} migration(s)."
        )
        if check_only:
            return
        if not yes:
            click.confirm(f"Replace {ext.store.path} with this backup?", abort=True)
        ext.queue.drain()
        ext.store.close()  # this command's own connections must not count as "the server"
        try:
            with terminal_bar("Restoring", show_pos=False) as progress:
                _, aside = restore(Path(file), ext.store.path, progress=progress)
        except (BackupError, OSError) as e:
            raise click.ClickException(str(e)) from None
        if aside:
            click.echo(f"The replaced database was kept as {aside}.")
        click.echo(f"Restored {file} to {ext.store.path}. Start the server again.")
