"""The hub's database: migrations, append-only month partitions, idempotent ingest, errors."""

from __future__ import annotations

import gzip
import json

import psycopg
import pytest

from hub import db
from tests.hub.conftest import hub_cli


def enrol(hub_url: str, code: str = "XA1", name: str = "Xã Một") -> str:
    return hub_cli(hub_url, "office", "add", code, "--name", name).strip().splitlines()[-1]


def viewer(hub_url: str, name: str, role: str, office: str | None = None) -> str:
    args = ["user", "add", name, "--role", role, "--password", "secret123"]
    hub_cli(hub_url, *args, *(["--office", office] if office else []))
    return hub_cli(hub_url, "user", "token", name).strip().splitlines()[-1]


def ev(i, day="2026-11-30", kind="issued", ticket="h1", at=None, data=None, counter=None):
    at = at if at is not None else 1796007600.0 + i * 60  # 2026-11-30 09:00 +07:00 onwards
    return [i, at, day, kind, ticket, "hotich", counter, None, data]


def post(client, token, body, gz=False):
    raw = json.dumps(body).encode()  # NaN and infinity go out as JSON's extensions
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if gz:
        raw, headers["Content-Encoding"] = gzip.compress(raw), "gzip"
    return client.post("/api/sync", data=raw, headers=headers)


def count(hub_url, sql="SELECT COUNT(*) FROM events"):
    with psycopg.connect(hub_url) as conn:
        return conn.execute(sql).fetchone()[0]


def test_migrations_are_recorded_and_idempotent(hub_url):
    out = hub_cli(hub_url, "init")
    assert "up to date" in out
    with psycopg.connect(hub_url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM migrations ORDER BY 1")]
    assert versions == [v for v, _, _ in db.MIGRATIONS]


def test_a_batch_is_stored_once_in_month_partitions(hub_app, hub_url):
    token = enrol(hub_url)
    client = hub_app.test_client()
    batch = {"events": [ev(1), ev(2, kind="called", counter=1),
                        ev(3, day="2026-12-01", at=1796094000.0)]}  # fmt: skip
    r = post(client, token, batch, gz=True)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"acked": 3, "received": 3, "inserted": 3}
    r = post(client, token, batch)  # a resend after a lost answer
    assert r.get_json() == {"acked": 3, "received": 3, "inserted": 0}
    assert count(hub_url) == 3
    parts = count(hub_url, "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM "
                           "pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                           "WHERE i.inhparent = 'events'::regclass")  # fmt: skip
    assert parts == "events_2026_11,events_2026_12"
    assert count(hub_url, "SELECT issued FROM daily WHERE day = '2026-11-30'") == 1


def test_events_are_append_only(hub_app, hub_url):
    token = enrol(hub_url)
    assert post(hub_app.test_client(), token, {"events": [ev(1)]}).status_code == 200
    with psycopg.connect(hub_url) as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("UPDATE events SET type = 'finished'")
    with psycopg.connect(hub_url) as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("DELETE FROM events")
    assert count(hub_url) == 1


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        {"events": "x"},
        {"events": [[1, 2, 3]]},
        {"events": [ev(2), ev(1)]},
        {"events": [ev(1), ev(1)]},
        {"events": [ev(1, kind="ticket_called")]},
        {"events": [ev(1, day="30/11/2026")]},
        {"events": [[True, 1.0, "2026-11-30", "issued", None, None, None, None, None]]},
        {"events": [ev(1, counter="two")]},
        {"events": [ev(1, ticket="a\x00b")]},
        {"office": "x", "events": [ev(1)]},
        {"events": [ev(1, at=float("inf"))]},
        {"events": [[2**63, 1.0, "2026-11-30", "issued", None, None, None, None, None]]},
        {"events": [ev(1, day="0001-01-01")]},
        {"events": [ev(1, ticket="\ud800")]},
        {"office": {"targets": {"hotich": float("inf")}}, "events": [ev(1)]},
        {"office": {"targets": {"hotich": -1}}, "events": [ev(1)]},
        {"office": {"timezone": "Mars/Olympus"}, "events": [ev(1)]},
        {"office": {"day_starts_at": 24}, "events": [ev(1)]},
        {"office": {"config_version": "a\x00"}, "events": [ev(1)]},
        {"health": {"printer": {"status": float("nan")}}, "events": [ev(1)]},
        {"live": {"x": "\x00"}, "events": [ev(1)]},
        {"live": {"x": "\udc00"}, "events": [ev(1)]},
        {"health": [1], "events": [ev(1)]},
    ],
)
def test_bad_batches_are_refused_and_store_nothing(hub_app, hub_url, body):
    token = enrol(hub_url)
    r = post(hub_app.test_client(), token, body)
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "bad_batch"
    assert count(hub_url) == 0


def test_garbage_bodies_and_tokens(hub_app, hub_url):
    token = enrol(hub_url)
    client = hub_app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post(
        "/api/sync", data=b"\x1f\x8b nope", headers={**auth, "Content-Encoding": "gzip"}
    )
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_body"
    assert client.post("/api/sync", data=b"{", headers=auth).status_code == 400
    r = client.post("/api/sync", json={"events": [ev(1)]}, headers={"Authorization": "Bearer no"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    assert count(hub_url) == 0


def test_roles_and_scopes(hub_app, hub_url):
    t1, t2 = enrol(hub_url, "XA1", "Xã Một"), enrol(hub_url, "XA2", "Xã Hai")
    client = hub_app.test_client()
    assert post(client, t1, {"events": [ev(1)]}).status_code == 200
    assert post(client, t2, {"events": [ev(1), ev(2, ticket="h2")]}).status_code == 200
    prov = {"Authorization": "Bearer " + viewer(hub_url, "tinh", "province_viewer")}
    own = {"Authorization": "Bearer " + viewer(hub_url, "xa2", "office_viewer", "XA2")}
    q = "/api/offices?from=2026-11-01&to=2026-11-30"
    rows = client.get(q, headers=prov).get_json()["offices"]
    assert [(r["code"], r["name"], r["issued"]) for r in rows] == [("XA1", "Xã Một", 1),
                                                                    ("XA2", "Xã Hai", 2)]  # fmt: skip
    assert [r["code"] for r in client.get(q, headers=own).get_json()["offices"]] == ["XA2"]
    csv = client.get(q + "&format=csv", headers=prov)
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Mã [code],Đơn vị [name],Số phiếu [issued],Đã phục vụ [served]")
    assert lines[2].startswith("XA2,Xã Hai,2,")
    r = client.get("/api/offices/XA1/daily?date=2026-11-30", headers=own)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert client.get("/api/offices/XA2/daily?date=2026-11-30", headers=own).status_code == 200
    assert client.get("/api/offices/NOPE/daily", headers=prov).status_code == 404
    assert client.get("/api/offices/XA1/trend", headers=own).status_code == 403
    trend = client.get("/api/offices/XA2/trend?from=2026-11-01&to=2026-11-30", headers=own)
    assert [(d["date"], d["issued"]) for d in trend.get_json()["trend"]] == [("2026-11-30", 2)]
    assert client.get("/api/offices?from=2026-13-01", headers=prov).status_code == 400
    empty = client.get("/api/offices?from=2026-12-02&to=2026-12-01", headers=prov).get_json()
    assert [r["issued"] for r in empty["offices"]] == [0, 0]
    assert client.get("/api/offices?from=", headers=prov).status_code == 400
    assert client.get("/api/offices?from=1999-12-31", headers=prov).status_code == 400
    assert client.get("/api/offices").status_code == 401
    assert client.get("/api/openapi.json").get_json()["paths"]["/api/offices"]


def test_a_range_reads_whole_months_and_loose_days(hub_app, hub_url):
    """Oct 31 + all of November + Dec 1: counts summed, waits weighted by tickets issued."""
    token = enrol(hub_url)
    client = hub_app.test_client()
    day0 = 1796007600.0  # 2026-11-30 09:00 +07:00
    events, i = [], 1
    for day, at, n, wait in (("2026-10-31", day0 - 30 * 86400, 1, 600), ("2026-11-02", day0 - 28 * 86400, 3, 60),
                             ("2026-11-30", day0, 2, 300), ("2026-12-01", day0 + 86400, 1, 1200)):  # fmt: skip
        for k in range(n):
            tid = f"t{i}"
            events += [
                ev(i, day, "issued", tid, at + k),
                ev(i + 1, day, "called", tid, at + k + wait, counter=1),
            ]
            i += 2
    assert post(client, token, {"events": events}).status_code == 200
    prov = {"Authorization": "Bearer " + viewer(hub_url, "tinh", "province_viewer")}
    rows = client.get("/api/offices?from=2026-10-31&to=2026-12-01", headers=prov).get_json()[
        "offices"
    ]
    assert rows[0]["issued"] == 7
    assert rows[0]["wait_avg_s"] == round((600 + 3 * 60 + 2 * 300 + 1200) / 7, 1)
    assert rows[0]["wait_max_s"] == 1200
    rows = client.get("/api/offices?from=2026-11-01&to=2026-11-30", headers=prov).get_json()[
        "offices"
    ]
    assert (rows[0]["issued"], rows[0]["wait_avg_s"]) == (5, round((3 * 60 + 2 * 300) / 5, 1))
    day = client.get("/api/offices?from=2026-11-30&to=2026-11-30", headers=prov).get_json()
    daily = client.get("/api/offices/XA1/daily?date=2026-11-30", headers=prov).get_json()
    assert {k: day["offices"][0][k] for k in daily["office"]} == daily["office"]


def test_logins_with_text_postgresql_cannot_hold_are_refused(hub_app, hub_url):
    viewer(hub_url, "tinh", "province_viewer")
    client = hub_app.test_client()
    for name in ("tinh\x00", "\ud800"):
        r = client.post("/api/login", data=json.dumps({"name": name, "password": "secret123"}),
                        content_type="application/json")  # fmt: skip
        assert r.status_code == 401 and r.get_json()["error"]["code"] == "bad_login"
    r = client.post("/api/login", json={"name": "tinh", "password": "secret123"})
    assert r.status_code == 200 and r.get_json()["token"]
