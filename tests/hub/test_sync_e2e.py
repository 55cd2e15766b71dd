"""Two real offices sync to a real hub through a hub restart, a SIGKILL and a failing hub."""

from __future__ import annotations

import sqlite3
import time

import psycopg
import pytest
import requests

from core import events as E
from tests.helpers import LiveServer
from tests.hub.conftest import HubServer, hub_cli

pytestmark = pytest.mark.slow
BLOCKS = ("office", "services", "counters", "clerks", "hours")
HUB_TYPES = E.names(hub=True, stored=True)


def office_events(server: LiveServer) -> list[tuple]:
    """(id, day) of every event the office must send, straight from its SQLite file."""
    conn = sqlite3.connect(f"file:{server.data_dir / 'onestop.db'}?mode=ro", uri=True)
    try:
        marks = ",".join("?" * len(HUB_TYPES))
        return conn.execute(f"SELECT id, day FROM events WHERE type IN ({marks}) ORDER BY id",
                            HUB_TYPES).fetchall()  # fmt: skip
    finally:
        conn.close()


def hub_health(server: LiveServer) -> dict:
    return requests.get(server.url + "/api/health", timeout=5).json()["checks"]["hub"]


def load(server: LiveServer, token: str, n: int) -> None:
    """Live load: n tickets issued, and the counters calling the line."""
    auth = {"Authorization": f"Bearer {token}"}
    for i in range(n):
        r = requests.post(server.url + "/api/tickets", json={"service": "hotich"}, headers=auth,
                          timeout=10)  # fmt: skip
        assert r.status_code == 201, r.text
        if i % 2:
            r = requests.post(server.url + "/api/counters/1/next", headers=auth, timeout=10)
            assert r.status_code in (200, 204), r.text


def wait_caught_up(servers, timeout=90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [hub_health(s) for s in servers]
        if all(h["pending_events"] == 0 and h["status"] == "ok" for h in states):
            return
        time.sleep(0.3)
    raise AssertionError(f"not caught up: {states}")


def unnamed(value):
    """`value` without the names the office's API adds (the hub keeps numbers only)."""
    if isinstance(value, dict):
        return {k: unnamed(v) for k, v in value.items() if k != "name"}
    return [unnamed(v) for v in value] if isinstance(value, list) else value


def strip(report: dict) -> dict:
    return unnamed({k: report[k] for k in (*BLOCKS, "dossiers")})


def dossier_flow(server: LiveServer, token: str, code: str) -> None:
    """A dossier filed at counter 1, its result ready, collected at the kiosk through the
    return queue (counter 2 calls until it reaches the return ticket) and so returned."""
    auth = {"Authorization": f"Bearer {token}"}

    def post(path, **body):
        r = requests.post(server.url + path, json=body, headers=auth, timeout=10)
        assert r.status_code in (200, 201, 204), (path, r.text)
        return r.json() if r.content else {}

    mine = post("/api/tickets", service="hotich")["ticket"]
    for _ in range(200):  # counter 1 calls (and finishes) until it holds this ticket
        called = post("/api/counters/1/next").get("ticket") or {}
        if called.get("id") == mine["id"]:
            break
        if called:
            post("/api/counters/1/finish")
    post("/api/counters/1/dossiers", code=code, due="2027-01-15")
    post("/api/counters/1/finish")
    post(f"/api/dossiers/{code}/status", status="ready")
    ret = requests.post(server.url + "/api/returns", json={"code": code}, timeout=10,
                        headers={"Idempotency-Key": f"key-{code}"}).json()["ticket"]  # fmt: skip
    for _ in range(200):
        called = post("/api/counters/2/next").get("ticket") or {}
        if called:
            post("/api/counters/2/finish")
        if called.get("id") == ret["id"]:
            break
    r = requests.get(f"{server.url}/api/dossiers/{code}", headers=auth, timeout=10)
    assert r.json()["dossier"]["status"] == "returned"


def office(tmp_path, name, hub, code, token, seed) -> tuple[LiveServer, str]:
    env = {"ONESTOP_HUB_URL": hub.url, "ONESTOP_HUB_OFFICE_CODE": code,
           "ONESTOP_HUB_TOKEN": token, "ONESTOP_HUB_INTERVAL_S": "0.2",
           "ONESTOP_HUB_BATCH": "100", "ONESTOP_HUB_MAX_BACKOFF_S": "1",
           "ONESTOP_OFFICE_ENFORCE_HOURS": "false"}  # fmt: skip
    server = LiveServer(tmp_path / name, env=env)
    server.data_dir.mkdir(parents=True)
    server.flask("demo", "simulate", "--days", "4", "--seed", str(seed))
    staff = server.token("sup", "supervisor")
    return server.start(), staff


def test_two_offices_sync_exactly_once_through_every_fault(tmp_path, hub_url):
    hub = HubServer(hub_url, tmp_path).start()
    tokens = {c: hub_cli(hub_url, "office", "add", c, "--name", f"Xã {c}").strip().splitlines()[-1]
              for c in ("XA1", "XA2")}  # fmt: skip
    a, sa = office(tmp_path, "a", hub, "XA1", tokens["XA1"], 1)
    b, sb = office(tmp_path, "b", hub, "XA2", tokens["XA2"], 2)
    try:
        load(a, sa, 6)
        hub.stop()  # the hub goes away; the halls keep issuing and calling
        load(a, sa, 10)
        load(b, sb, 10)
        assert hub_health(a)["failures"] >= 0
        hub.start()
        deadline = time.monotonic() + 30  # SIGKILL office A while it still has batches to send
        while hub_health(a)["cursor"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hub_health(a)["pending_events"] > 0
        a.kill()
        a.start()
        hub.fail_file.write_text("1")  # the hub answers 500 for a while
        load(a, sa, 6)
        load(b, sb, 6)
        dossier_flow(a, sa, "HS-SYNC-0001")
        time.sleep(1.5)
        assert hub_health(b)["failures"] > 0
        hub.fail_file.unlink()
        wait_caught_up([a, b])

        hub_cli(
            hub_url, "user", "add", "tinh", "--role", "province_viewer", "--password", "secret123"
        )
        viewer = hub_cli(hub_url, "user", "token", "tinh").strip().splitlines()[-1]
        heads = {"Authorization": f"Bearer {viewer}"}
        dossier_days = []
        with psycopg.connect(hub_url) as conn:
            for server, code, staff in ((a, "XA1", sa), (b, "XA2", sb)):
                sent = office_events(server)
                at_hub = conn.execute("SELECT id, to_char(day, 'YYYY-MM-DD') FROM events "
                                      "WHERE office = %s ORDER BY id", (code,)).fetchall()  # fmt: skip
                assert at_hub == sent  # every event, once, nothing else
                for day in sorted({d for _, d in sent}):
                    mine = requests.get(
                        f"{server.url}/api/reports/daily?date={day}",
                        headers={"Authorization": f"Bearer {staff}"},
                        timeout=10,
                    )
                    theirs = requests.get(f"{hub.url}/api/offices/{code}/daily?date={day}",
                                          headers=heads, timeout=10)  # fmt: skip
                    assert strip(theirs.json()) == strip(mine.json()), day
                    if server is a and day == sent[-1][1]:  # the dossier's day, at the hub too
                        dossier_days.append(day)
                        d = theirs.json()["dossiers"]
                        assert (d["office"]["received"], d["office"]["returned"]) == (1, 1)
                        assert d["office"]["early"] == 1 and d["returns"]["service"] == "traketqua"
            assert len(dossier_days) == 1
            ids = {r[0] for r in sqlite3.connect(a.data_dir / "onestop.db").execute(
                "SELECT id FROM tickets")}  # fmt: skip
            hashed = {r[0] for r in conn.execute("SELECT DISTINCT ticket FROM events")}
            assert ids and not ids & hashed  # the holders' keys stayed at home
            assert conn.execute("SELECT COUNT(*) FROM events WHERE data LIKE '%kiosk%'"
                                ).fetchone()[0] == 0  # fmt: skip
        rows = requests.get(f"{hub.url}/api/offices", headers=heads, timeout=10).json()["offices"]
        assert [r["live"]["lag_events"] for r in rows] == [0, 0]
    finally:
        a.stop()
        b.stop()
        hub.stop()
