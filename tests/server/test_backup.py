"""Backups: `flask backup` while tickets are issued, `flask restore` that checks before it replaces."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import requests

from server.backup import STEP_PAGES_MIN, BackupError, backups, check, restore
from tests.helpers import BAR_RE, ROOT, LiveServer, flask_in_pty, no_progress_artefacts


def ticket_ids(db_path) -> set[str]:
    conn = sqlite3.connect(db_path)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM tickets")}
    finally:
        conn.close()


def integrity(db_path) -> str:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_backup_writes_a_checked_single_file_and_keeps_the_last_n(runner, kiosk, onestop, tmp_path):
    issued = {kiosk.take_ticket("hotich")["id"] for _ in range(3)}
    dest = tmp_path / "bk"
    for _ in range(3):
        result = runner.invoke(args=["backup", "--keep", "2", "--dir", str(dest)])
        assert result.exit_code == 0, result.output
        assert "Backup written" in result.output
    files = backups(dest)
    assert len(files) == 2
    assert not list(dest.glob("*.partial")) and not list(dest.glob("*-wal"))
    info = check(files[-1])
    assert info.tickets == 3 and "m001_initial" in info.migrations
    assert ticket_ids(files[-1]) == issued
    conn = sqlite3.connect(files[-1])
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_backup_defaults_to_the_configured_dir_and_keep(tmp_path, clock):
    from server.app import create_app
    from tests.helpers import site_config

    dest = tmp_path / "usb"
    app = create_app(
        {
            "DATA_DIR": tmp_path / "data",
            "CONFIG": site_config(backup={"dir": str(dest), "keep": 1}),
            "CLOCK": clock,
        }
    )
    try:
        runner = app.test_cli_runner()
        for _ in range(2):
            assert runner.invoke(args=["backup"]).exit_code == 0
        assert len(backups(dest)) == 1
    finally:
        app.extensions["onestop"].store.close()


def test_odd_folder_names_are_no_trouble(tmp_path):
    from core.store import Store
    from server.backup import backup

    db = tmp_path / "dữ liệu #1?" / "onestop.db"
    Store(db).close()
    path = backup(db, tmp_path / "sao lưu #2?")
    assert check(path).migrations and path.parent.name == "sao lưu #2?"


def test_backup_rejects_a_keep_below_one(runner, tmp_path):
    result = runner.invoke(args=["backup", "--keep", "0", "--dir", str(tmp_path / "bk")])
    assert result.exit_code != 0 and "at least 1" in result.output


@pytest.mark.parametrize("key,value", [("time", "7h"), ("keep", 0)])
def test_a_bad_backup_setting_names_its_key(key, value):
    from server.settings import ConfigError, Settings
    from tests.helpers import site_config

    with pytest.raises(ConfigError) as e:
        Settings(site_config(backup={key: value}))
    assert e.value.key == f"backup.{key}"


def test_restore_replaces_the_database_and_keeps_the_old_one_aside(
    runner, kiosk, onestop, tmp_path
):
    before = {kiosk.take_ticket("hotich")["id"] for _ in range(2)}
    runner.invoke(args=["backup", "--dir", str(tmp_path / "bk")])
    after = kiosk.take_ticket("datdai")["id"]
    db = onestop.store.path
    result = runner.invoke(args=["restore", "--yes", str(backups(tmp_path / "bk")[-1])])
    assert result.exit_code == 0, result.output
    assert ticket_ids(db) == before
    aside = [p for p in db.parent.iterdir() if ".replaced-" in p.name and p.suffix != ".db-wal"]
    assert len(aside) == 1 and after in ticket_ids(aside[0])
    assert integrity(db) == "ok"


def test_restore_check_only_changes_nothing(runner, kiosk, onestop, tmp_path):
    kiosk.take_ticket("hotich")
    runner.invoke(args=["backup", "--dir", str(tmp_path / "bk")])
    kiosk.take_ticket("hotich")
    result = runner.invoke(args=["restore", "--check", str(backups(tmp_path / "bk")[-1])])
    assert result.exit_code == 0 and "OK" in result.output and "1 tickets" in result.output
    assert len(ticket_ids(onestop.store.path)) == 2


def _corrupt(path):
    data = bytearray(path.read_bytes())
    page = 4096
    for i in range(page * 2, len(data), 7):  # scribble over every page after the schema
        data[i] = 0xA5
    path.write_bytes(bytes(data))


def _not_onestop(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()


def _newer(path):
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('onestop', 'm999_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "spoil,message",
    [
        (lambda p: p.write_bytes(b"hello, not a database" * 100), "not a usable SQLite"),
        (_corrupt, "integrity check failed|malformed"),
        (lambda p: (p.unlink(), _not_onestop(p)), "not a One-Stop Queue database"),
        (_newer, "newer version"),
    ],
    ids=["garbage", "corrupt", "other-db", "newer"],
)
def test_restore_refuses_a_bad_backup_and_changes_nothing(
    runner, kiosk, onestop, tmp_path, spoil, message
):
    for _ in range(200):  # enough rows for several pages to corrupt
        kiosk.take_ticket("chungthuc")
    runner.invoke(args=["backup", "--dir", str(tmp_path / "bk")])
    bad = backups(tmp_path / "bk")[-1]
    spoil(bad)
    db = onestop.store.path
    kept = ticket_ids(db)
    result = runner.invoke(args=["restore", "--yes", str(bad)])
    assert result.exit_code != 0
    assert re.search(message, result.output)
    assert ticket_ids(db) == kept
    assert not [p for p in db.parent.iterdir() if ".replaced-" in p.name]


def test_restore_refuses_while_another_process_has_the_database_open(onestop, kiosk, tmp_path):
    from server.backup import backup

    kiosk.take_ticket("hotich")
    path = backup(onestop.store.path, tmp_path / "bk")
    # The app's own store stays open here, standing for the running server.
    with pytest.raises(BackupError, match="systemctl stop onestop"):
        restore(path, onestop.store.path)
    assert len(ticket_ids(onestop.store.path)) == 1


def _filled_store(db, pages: int):
    """A One-Stop database of about `pages` pages (a filler table beside the real ones)."""
    from core.store import Store

    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE filler (b BLOB)")
    conn.executemany("INSERT INTO filler VALUES (?)", [(b"x" * 3000,)] * pages)
    conn.commit()
    conn.close()


def _count(db, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_backup_reports_progress_up_to_the_page_count_and_copies_one_snapshot(tmp_path):
    """Writes between the copy's steps neither restart it nor reach the copy."""
    from server.backup import backup

    db = tmp_path / "onestop.db"
    _filled_store(db, 3 * STEP_PAGES_MIN)
    rows_at_start = _count(db, "filler")
    writer = sqlite3.connect(db)  # the server, writing all through the backup
    calls = []

    def progress(done, total):
        calls.append((done, total))
        writer.execute("INSERT INTO filler VALUES (?)", (b"y" * 3000,))
        writer.commit()

    path = backup(db, tmp_path / "bk", progress=progress)
    writer.close()
    pages = calls[-1][1]
    assert calls[-1] == (pages, pages) and pages >= 3 * STEP_PAGES_MIN
    assert len(calls) == -(-pages // STEP_PAGES_MIN)  # one call per step: never restarted
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert {t for _, t in calls} == {pages}
    assert _count(path, "filler") == rows_at_start  # the snapshot of the start
    assert _count(db, "filler") == rows_at_start + len(calls)
    assert check(path).tickets == 0


def test_restore_reports_progress_up_to_the_file_size(tmp_path):
    from server.backup import COPY_CHUNK, backup

    db = tmp_path / "data" / "onestop.db"
    _filled_store(db, 1000)
    path = backup(db, tmp_path / "bk")
    calls = []
    restore(path, db, progress=lambda done, total: calls.append((done, total)))
    size = path.stat().st_size
    assert calls[-1] == (size, size) and len(calls) == -(-size // COPY_CHUNK) > 1
    assert db.read_bytes() == path.read_bytes()


def test_backup_and_restore_off_a_terminal_print_only_their_summary_lines(
    runner, kiosk, onestop, tmp_path
):
    kiosk.take_ticket("hotich")
    out = runner.invoke(args=["backup", "--dir", str(tmp_path / "bk")])
    assert out.exit_code == 0, out.output
    assert no_progress_artefacts(out.output)
    lines = out.output.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Backup written") and lines[1].startswith("Kept")
    out = runner.invoke(args=["restore", "--yes", str(backups(tmp_path / "bk")[-1])])
    assert out.exit_code == 0, out.output
    assert no_progress_artefacts(out.output)
    lines = out.output.splitlines()
    assert len(lines) == 3 and ": OK" in lines[0] and lines[2].startswith("Restored")


def test_backup_and_restore_draw_a_bar_on_a_terminal(tmp_path):
    data = tmp_path / "data"
    rc, screen = flask_in_pty(data, "backup", "--dir", str(tmp_path / "bk"))
    assert rc == 0, screen
    assert BAR_RE.search(screen) and "Backing up (pages)" in screen
    conn = sqlite3.connect(backups(tmp_path / "bk")[-1])
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    assert f"{pages}/{pages}" in screen and "Backup written" in screen
    rc, screen = flask_in_pty(data, "restore", "--yes", str(backups(tmp_path / "bk")[-1]))
    assert rc == 0, screen
    assert BAR_RE.search(screen) and "Restoring" in screen and "100%" in screen
    assert "Restored" in screen


@pytest.mark.slow
def test_backup_under_load_restores_every_acknowledged_ticket(tmp_path):
    """8 threads issue tickets over HTTP while `flask backup` runs in its own process."""
    server = LiveServer(tmp_path / "live").start()
    acked: list[tuple[float, str]] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[str] = []

    def issue(worker: int):
        session = requests.Session()
        services = ["hotich", "chungthuc", "datdai", "ldtbxh", "vhxh", "khac"]
        i = 0
        while not stop.is_set():
            r = session.post(
                server.url + "/api/tickets", json={"service": services[(worker + i) % 6]}
            )
            i += 1
            if r.status_code != 201:
                errors.append(f"{r.status_code} {r.text[:200]}")
                return
            with lock:
                acked.append((time.monotonic(), r.json()["ticket"]["id"]))

    threads = [threading.Thread(target=issue, args=(w,)) for w in range(8)]
    try:
        for t in threads:
            t.start()
        while len(acked) < 300 and not errors:
            time.sleep(0.05)
        began = time.monotonic()
        out = server.flask("backup", "--dir", str(tmp_path / "bk"))
        ended = time.monotonic()
        with lock:
            during = sum(1 for at, _ in acked if began <= at <= ended)
        time.sleep(0.3)  # some tickets after the backup, which it must not need
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not errors, errors[:3]
    assert "Backup written" in out
    path = backups(tmp_path / "bk")[-1]
    before = {tid for at, tid in acked if at < began}

    # While the server runs, restore refuses and leaves the live data alone.
    refused = subprocess.run(
        [sys.executable, "-m", "flask", "restore", "--yes", str(path)],
        cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode != 0 and "stop the server first" in refused.stderr
    assert len(ticket_ids(server.data_dir / "onestop.db")) == len(acked)

    server.stop()
    server.flask("restore", "--yes", str(path))
    restored = ticket_ids(server.data_dir / "onestop.db")
    assert integrity(server.data_dir / "onestop.db") == "ok"
    assert before <= restored, f"{len(before - restored)} acknowledged tickets missing"
    assert len(restored) < len(acked)  # the tickets issued after the backup are not in it
    print(f"acked before backup {len(before)}, during {during}, restored {len(restored)}")

    server.start()  # the restored database serves again
    r = requests.post(server.url + "/api/tickets", json={"service": "hotich"})
    assert r.status_code == 201
    server.stop()
