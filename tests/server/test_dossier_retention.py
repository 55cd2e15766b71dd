"""Retention (Law 91/2025): after its day no phone number remains in the database file, its
WAL or a backup made afterwards; none ever reaches events, exports or the hub's batches."""

import json
from pathlib import Path

from server import backup
from server.hubsync import Agent

# Numbers written three ways by the clerk, stored as 0xxxxxxxxx; searched as stored and as
# their last nine digits (the part every spelling shares).
PHONES = {"HS-RET-001": "0912 345 678", "HS-RET-002": "+84 987 654 321", "HS-RET-003": "0388111222"}
STORED = [b"0912345678", b"0987654321", b"0388111222"]
DIGITS = [s[1:] for s in STORED]


def raw_files(onestop) -> dict[str, bytes]:
    db = Path(onestop.store.path)
    out = {db.name: db.read_bytes()}
    wal = db.with_name(db.name + "-wal")
    out[wal.name] = wal.read_bytes() if wal.exists() else b""
    return out


def found(blobs: dict[str, bytes]) -> list[tuple[str, bytes]]:
    return [(name, d) for name, blob in blobs.items() for d in DIGITS if d in blob]


def test_no_number_survives_its_day_in_db_wal_or_backup(onestop, kiosk, counter, clock, auth,
                                                        client, tmp_path):  # fmt: skip
    q, ds = onestop.queue, onestop.dossiers
    kiosk.take_ticket("hotich")
    counter.next(1)
    for code, phone in PHONES.items():
        ds.record(1, code, "2026-12-03", actor="clerk1", phone=phone, consent=True)
    ds.set_many([(c, "ready") for c in PHONES])
    ds.set_status("HS-RET-001", "returned")  # kept 30 more days
    ds.set_status("HS-RET-002", "returned")
    # Before their day the numbers are there (the check below can fail).
    assert {d for _, d in found(raw_files(onestop))} == set(DIGITS)
    early = backup.backup(onestop.store.path, tmp_path / "b1")
    assert all(d in early.read_bytes() for d in DIGITS)

    clock.advance(30 * 86400)  # the returned ones' day; the third is kept up to 90 days
    assert ds.purge() == 2
    files = raw_files(onestop)
    assert files["onestop.db-wal"] == b""  # checkpointed and truncated
    assert found(files) == [("onestop.db", DIGITS[2])]
    later = backup.backup(onestop.store.path, tmp_path / "b2")
    blob = later.read_bytes()
    assert DIGITS[0] not in blob and DIGITS[1] not in blob and DIGITS[2] in blob

    clock.advance(60 * 86400)
    client.get("/api/queue")  # the server keeps running between purges
    assert ds.purge() == 1
    assert found(raw_files(onestop)) == []
    assert found({"backup": backup.backup(onestop.store.path, tmp_path / "b3").read_bytes()}) == []
    deleted = (
        q.store.reader()
        .execute("SELECT COUNT(*) FROM events WHERE type = 'contact_deleted'")
        .fetchone()[0]
    )
    assert deleted == 3


def test_numbers_never_reach_events_exports_or_the_hub(onestop, kiosk, counter, auth, client):
    ds = onestop.dossiers
    kiosk.take_ticket("hotich")
    counter.next(1)
    for code, phone in PHONES.items():
        ds.record(1, code, "2026-12-03", actor="clerk1", phone=phone, consent=True)
    ds.set_many([(c, "ready") for c in PHONES])
    ds.contact("HS-RET-001", actor="supervisor1")
    counter.next(1)
    rows = onestop.store.reader().execute("SELECT * FROM events").fetchall()
    assert not found({"events": json.dumps([list(r) for r in rows]).encode()})
    batch = Agent(onestop).batch()
    assert {b[3] for b in batch} >= {"dossier_received", "dossier_status", "contact_read"}
    assert not found({"hub": json.dumps(batch).encode()})
    sent = [json.loads(b[8]) for b in batch if b[3] == "dossier_status" and b[8]]
    assert sent and all("code" not in d for d in sent)  # codes stay at home too
    sup = auth["supervisor"]
    for url in ("/api/reports/daily?date=2026-11-30", "/api/reports/daily?date=2026-11-30&format=csv",
                "/api/reports/daily?date=2026-11-30&format=xlsx", "/api/tickets?date=2026-11-30",
                "/api/tickets?date=2026-11-30&format=csv", "/api/dossiers", "/api/dossiers/HS-RET-001"):  # fmt: skip
        r = client.get(url, headers=sup)
        assert r.status_code == 200, url
        assert not found({url: r.get_data()}), url


def test_nightly_command_purges(onestop, kiosk, counter, clock, runner):
    kiosk.take_ticket("hotich")
    counter.next(1)
    onestop.dossiers.record(1, "HS-RET-001", "2026-12-03", phone=PHONES["HS-RET-001"], consent=True)
    first = runner.invoke(args=["dossiers", "purge"])
    assert first.exit_code == 0 and "Deleted 0 phone number(s)." in first.output
    clock.advance(90 * 86400)  # never returned: gone max_phone_days after it was received
    second = runner.invoke(args=["dossiers", "purge"])
    assert second.exit_code == 0 and "Deleted 1 phone number(s)." in second.output
    assert not onestop.dossiers.get("HS-RET-001").has_contact
    script = (Path(__file__).resolve().parents[2] / "systemd" / "onestop-summarize").read_text()
    assert "flask dossiers purge" in script
