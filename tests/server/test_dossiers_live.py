"""Dossiers against a real gunicorn server: filed, ready, collected at the kiosk, returned, and
the phone number purged by `flask dossiers purge` while the server runs (WAL and backup too)."""

from pathlib import Path

import pytest
import requests

from tests.helpers import LiveServer, sign_in

pytestmark = pytest.mark.slow

DIGITS = b"912345678"


@pytest.fixture
def server(tmp_path):
    # keep_phone_days = 0: the number goes the night of the return, so no clock needs moving.
    s = LiveServer(tmp_path / "live", env={"ONESTOP_DOSSIERS_KEEP_PHONE_DAYS": "0"}).start()
    yield s
    s.stop()


def test_file_collect_return_and_purge_on_a_live_server(server):
    url = server.url
    clerk = {"Authorization": f"Bearer {server.token('lan', 'clerk')}"}
    sup = {"Authorization": f"Bearer {server.token('hoa', 'supervisor')}"}
    sign_in(url, clerk, 1)
    ticket = requests.post(f"{url}/api/tickets", json={"service": "hotich"}, timeout=5).json()
    assert requests.post(f"{url}/api/counters/1/next", headers=clerk, timeout=5).status_code == 200
    r = requests.post(f"{url}/api/counters/1/dossiers", headers=clerk, timeout=5,
                      json={"code": "hs-live-0001\r\n", "due": "2099-01-01"})  # fmt: skip
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_due"
    r = requests.post(f"{url}/api/counters/1/dossiers", headers=clerk, timeout=5, json={
        "code": "hs-live-0001\r\n", "due": requests.get(f"{url}/api/queue", timeout=5)
        .json()["now"][:10], "phone": "0912 345 678", "consent": True})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["dossier"]["ticket_number"] == ticket["ticket"]["number"]
    requests.post(f"{url}/api/counters/1/finish", headers=clerk, timeout=5)
    key = {"Idempotency-Key": "kiosk-scan-0001"}
    early = requests.post(f"{url}/api/returns", json={"code": "HS-LIVE-0001"}, headers=key,
                          timeout=5)  # fmt: skip
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_ready"
    r = requests.post(f"{url}/api/dossiers/HS-LIVE-0001/status", headers=clerk, timeout=5,
                      json={"status": "ready"})  # fmt: skip
    assert r.status_code == 200
    back = requests.post(f"{url}/api/returns", json={"code": "HS-LIVE-0001"},
                         headers={"Idempotency-Key": "kiosk-scan-0002"}, timeout=5)  # fmt: skip
    assert back.status_code == 201 and back.json()["ticket"]["number"] == "R001"
    called = requests.post(f"{url}/api/counters/2/next", headers=sup, timeout=5).json()
    assert called["ticket"]["id"] == back.json()["ticket"]["id"]
    requests.post(f"{url}/api/counters/2/finish", headers=sup, timeout=5)
    d = requests.get(f"{url}/api/dossiers/HS-LIVE-0001", headers=clerk, timeout=5).json()
    assert d["dossier"]["status"] == "returned" and d["dossier"]["has_contact"]

    db = server.data_dir / "onestop.db"
    assert DIGITS in db.read_bytes() + wal(db)  # there, before the purge
    assert "Deleted 1 phone number(s)." in server.flask("dossiers", "purge")
    assert wal(db) == b"" and DIGITS not in db.read_bytes()
    requests.post(f"{url}/api/tickets", json={"service": "khac"}, timeout=5)  # the server goes on
    assert DIGITS not in db.read_bytes() + wal(db)
    server.flask("backup")
    copies = list((server.data_dir / "backups").glob("onestop-*.db"))
    assert copies and all(DIGITS not in c.read_bytes() for c in copies)
    r = requests.get(f"{url}/api/dossiers/HS-LIVE-0001/contact", headers=sup, timeout=5)
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_contact"
    assert "Traceback" not in server.log.read_text(errors="replace")


def wal(db: Path) -> bytes:
    path = db.with_name(db.name + "-wal")
    return path.read_bytes() if path.exists() else b""
