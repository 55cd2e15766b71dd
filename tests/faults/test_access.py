"""Access control: every route and socket event x anonymous, clerk, supervisor, admin; sessions,
CSRF, tokens, password hashes, cookie flags, security headers, ticket ids."""

from __future__ import annotations

import re
import string
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from server.app import create_app
from server.sockets import socketio
from tests.faults.tools import dump
from tests.helpers import ROOT, site_config
from voice.phrase import Segment
from voice.recorded import recording_key

OK = "ok"  # allowed: any answer but 401/403 (a 404 or 409 from the domain is fine), never 5xx
R401, R403 = 401, 403
LOGIN = "login"  # a page that redirects anonymous visitors to /login
ROLES = ("anonymous", "clerk", "supervisor", "admin")

# Every route. {ticket_id}, {number}, {name}, {lang} and {key} are filled in; a body of None sends none.
# Routes still being built on other branches are marked planned: they are checked once they
# exist. ADD A ROW HERE FOR EVERY NEW ROUTE (test_every_route_has_a_row fails until you do).
# fmt: off
MATRIX = [
    # method  path                                   body                     anonymous clerk  supervisor admin  planned
    ("GET",  "/",                                    None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/login",                               None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/favicon.ico",                         None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/api/health",                          None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/api/openapi.json",                    None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/i18n/{lang}.json",                    None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/api/services",                        None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/api/queue",                           None,                    OK,    OK,    OK,    OK,    False),
    ("POST", "/api/tickets",                         {"service": "hotich"},   OK,    OK,    OK,    OK,    False),
    ("GET",  "/api/tickets/{ticket_id}",             None,                    OK,    OK,    OK,    OK,    False),
    ("POST", "/api/tickets/{ticket_id}/feedback",    {"rating": 4},           OK,    OK,    OK,    OK,    False),
    ("GET",  "/api/counters",                        None,                    R401,  OK,    OK,    OK,    False),
    ("POST", "/api/counters/{number}/sign-in",       None,                    R401,  OK,    OK,    OK,    False),
    ("POST", "/api/counters/{number}/next",          None,                    R401,  OK,    OK,    OK,    False),
    ("POST", "/api/counters/{number}/recall",        None,                    R401,  OK,    OK,    OK,    False),
    ("POST", "/api/counters/{number}/start",         None,                    R401,  OK,    OK,    OK,    False),
    ("POST", "/api/counters/{number}/finish",        None,                    R401,  OK,    OK,    OK,    False),
    ("POST", "/api/counters/{number}/no-show",       None,                    R401,  OK,    OK,    OK,    False),
    ("POST", "/api/counters/{number}/transfer",      {"service": "khac"},     R401,  OK,    OK,    OK,    False),
    ("POST", "/api/counters/{number}/pause",         None,                    R401,  OK,    OK,    OK,    False),
    ("POST", "/api/counters/{number}/resume",        None,                    R401,  OK,    OK,    OK,    False),
    ("GET",  "/api/tickets/{ticket_id}/print",       None,                    OK,    OK,    OK,    OK,    False),
    ("POST", "/api/tickets/{ticket_id}/reprint",     None,                    R401,  OK,    OK,    OK,    False),
    ("GET",  "/api/counters/{number}/rating-ticket", None,                    R401,  OK,    OK,    OK,    False),
    ("GET",  "/api/reports/daily",                   None,                    R401,  R403,  OK,    OK,    False),
    ("GET",  "/api/reports/live",                    None,                    R401,  R403,  OK,    OK,    False),
    ("GET",  "/api/reports/trend",                   None,                    R401,  R403,  OK,    OK,    False),
    ("GET",  "/api/reports/staffing",                None,                    R401,  R403,  OK,    OK,    False),
    ("GET",  "/api/tickets",                         None,                    R401,  R403,  OK,    OK,    False),
    ("GET",  "/kiosk",                               None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/t/{ticket_id}",                       None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/t/{ticket_id}/qr.svg",                None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/display",                             None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/display/",                            None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/display/devices",                     None,                    R401,  R403,  OK,    OK,    False),
    ("GET",  "/voice/config",                        None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/voice/audio/{name}",                  None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/counter",                             None,                    LOGIN, OK,    OK,    OK,    False),
    ("GET",  "/counter/",                            None,                    LOGIN, OK,    OK,    OK,    False),
    ("GET",  "/counter/api/state",                   None,                    R401,  OK,    OK,    OK,    False),
    ("GET",  "/rate/{number}",                       None,                    LOGIN, OK,    OK,    OK,    False),
    ("GET",  "/supervisor",                          None,                    LOGIN, R403,  OK,    OK,    False),
    ("GET",  "/supervisor/day",                      None,                    LOGIN, R403,  OK,    OK,    False),
    ("GET",  "/supervisor/trend",                    None,                    LOGIN, R403,  OK,    OK,    False),
    ("GET",  "/supervisor/print",                    None,                    LOGIN, R403,  OK,    OK,    False),
    ("GET",  "/api/sms",                             None,                    R401,  R403,  OK,    OK,    False),
    ("POST", "/api/sms/{sms_id}/retry",              None,                    R401,  R403,  OK,    OK,    False),
    # Needs a device's token in ?token= (none is sent here): see tests/server/test_devices.py.
    ("GET",  "/devices/enrol",                       None,                    R401,  R401,  R401,  R401,  False),
    # The office's recorded voice ({key}: the lead-in segment of the demo office).
    ("GET",  "/voice/recorded/{name}",               None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/admin/voice",                         None,                    LOGIN, R403,  R403,  OK,    False),
    ("GET",  "/api/admin/voice/segments",            None,                    R401,  R403,  R403,  OK,    False),
    ("PUT",  "/api/admin/voice/segments/{key}",      None,                    R401,  R403,  R403,  OK,    False),
    ("DELETE", "/api/admin/voice/segments/{key}",    None,                    R401,  R403,  R403,  OK,    False),
    ("GET",  "/api/admin/voice/segments/{key}/audio", None,                   R401,  R403,  R403,  OK,    False),
    ("POST", "/api/admin/voice/segments/{key}/save", None,                    R401,  R403,  R403,  OK,    False),
    ("POST", "/api/admin/voice/preview",             {"number": "A012", "counter": 2}, R401, R403, R403, OK, False),
    # What the kiosk, lobby display and console re-read after a configuration change.
    ("GET",  "/kiosk/data.json",                     None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/display/config.json",                 None,                    OK,    OK,    OK,    OK,    False),
    ("GET",  "/counter/api/office",                  None,                    R401,  OK,    OK,    OK,    False),
    # The office's configuration (admin only; a change needs If-Match: 428 here, nothing changes).
    ("GET",  "/api/admin/config",                    None,                    R401,  R403,  R403,  OK,    False),
    ("PUT",  "/api/admin/config",                    {"config": {}},          R401,  R403,  R403,  OK,    False),
    ("GET",  "/api/admin/config/versions",           None,                    R401,  R403,  R403,  OK,    False),
    ("GET",  "/api/admin/config/versions/{number}",  None,                    R401,  R403,  R403,  OK,    False),
    ("POST", "/api/admin/config/versions/{number}/restore", None,             R401,  R403,  R403,  OK,    False),
    # Dossiers and result return (server/dossiers_api.py).
    ("POST", "/api/counters/{number}/dossiers",      {"code": "HS-ACCESS-1", "due": "2026-12-31"}, R401, OK, OK, OK, False),
    ("POST", "/api/counters/{number}/advice-only",   None,                    R401,  OK,    OK,    OK,    False),
    ("GET",  "/api/dossiers",                        None,                    R401,  OK,    OK,    OK,    False),
    ("GET",  "/api/dossiers/{code}",                 None,                    R401,  OK,    OK,    OK,    False),
    ("POST", "/api/dossiers/{code}/status",          {"status": "in_progress"}, R401, OK,   OK,    OK,    False),
    ("POST", "/api/dossiers/{code}/correct",         {"field": "due", "value": "2026-12-31"}, R401, OK, OK, OK, False),
    ("GET",  "/api/dossiers/{code}/contact",         None,                    R401,  R403,  OK,    OK,    False),
    ("POST", "/api/returns",                         {"code": "HS-ACCESS-1"}, OK,    OK,    OK,    OK,    False),
    # The admin pages (admin/): pages need an admin's login; the finer routes are admin only.
    ("GET",  "/admin/",                              None,                    LOGIN, R403,  R403,  OK,    False),
    ("GET",  "/admin/{slug}",                        None,                    LOGIN, R403,  R403,  OK,    False),
    ("GET",  "/api/admin/users",                     None,                    R401,  R403,  R403,  OK,    False),
    ("POST", "/api/admin/users",                     {"name": "m", "role": "clerk", "password": "secret123"}, R401, R403, R403, OK, False),
    ("POST", "/api/admin/users/{name}",              {"role": "clerk"},       R401,  R403,  R403,  OK,    False),
    ("POST", "/api/admin/users/{name}/password",     {"password": "secret999"}, R401, R403, R403, OK,   False),
    ("GET",  "/api/admin/devices",                   None,                    R401,  R403,  R403,  OK,    False),
    ("POST", "/api/admin/devices",                   {"name": "m", "kind": "kiosk"}, R401, R403, R403, OK, False),
    ("POST", "/api/admin/devices/{name}/revoke",     None,                    R401,  R403,  R403,  OK,    False),
    ("GET",  "/api/admin/procedures",                None,                    R401,  R403,  R403,  OK,    False),
    ("POST", "/api/admin/printer/test",              None,                    R401,  R403,  R403,  OK,    False),
    ("GET",  "/api/admin/voice/warm",                None,                    R401,  R403,  R403,  OK,    False),
    ("POST", "/api/admin/voice/warm",                None,                    R401,  R403,  R403,  OK,    False),
    ("POST", "/api/admin/voice/say",                 {"number": "A001", "counter": 1}, R401, R403, R403, OK, False),
    # The status import from the province's system (server/dossiers_import_api.py).
    ("POST", "/api/dossiers/import",                 {"rows": [{"code": "HS-ACCESS-1", "status": "in_progress"}]}, R401, R403, OK, OK, False),
]
# The other callers: anonymous from the hall's Wi-Fi (not the server machine, whose own
# browser is the demo's kiosk) and each kind of enrolled device (Bearer token; tablet at
# counter 1). A row not listed: the remote caller is answered as anonymous is above; a
# device as anonymous is where anonymous may call, 403 where anonymous gets 401 (a device
# is no staff member), and pages want a staff login.
DEVICE_KINDS = ("remote", "kiosk", "display", "tablet")
DEVICE_MATRIX = {
    # (method, path)                                 remote kiosk  display tablet
    ("POST", "/api/tickets"):                        (R401,  OK,    R403,   R403),
    ("POST", "/api/returns"):                        (R401,  OK,    R403,   R403),
    # The matrix's ticket waits (no counter yet): not the tablet's to rate.
    ("POST", "/api/tickets/{ticket_id}/feedback"):   (OK,    R403,  R403,   R403),
    ("GET",  "/api/counters/{number}/rating-ticket"): (R401, R403,  R403,   OK),
    ("GET",  "/rate/{number}"):                      (LOGIN, LOGIN, LOGIN,  OK),
    ("GET",  "/devices/enrol"):                      (R401,  R401,  R401,   R401),
}
# Socket.IO events by namespace. /display: the lobby screen is public and read-only.
# ADD A ROW FOR EVERY NEW NAMESPACE OR EVENT (test_every_socket_event_has_a_row).
SOCKET_MATRIX = [
    # namespace   event            anonymous clerk supervisor admin
    ("/display",  "connect",       OK,    OK,    OK,    OK),
    ("/display",  "get_snapshot",  OK,    OK,    OK,    OK),
    ("/display",  "heartbeat",     OK,    OK,    OK,    OK),
    ("/staff",    "connect",       R401,  OK,    OK,    OK),
    ("/staff",    "get_presence",  R401,  R403,  OK,    OK),
]
# Events a client sends that are answered by nothing (the server only notes them).
SILENT = {("/display", "heartbeat")}
# Not access-controlled on purpose (framework and static files).
UNLISTED = {("POST", "/login"), ("POST", "/logout")} | {
    ("GET", f"{prefix}/static/{{filename}}")
    for prefix in ("", "/counter", "/display", "/kiosk", "/reports", "/voice", "/admin")
}
# fmt: on
VOICE_KEY = recording_key(Segment("vi", "Mời công dân có số thứ tự"))


def rule_paths(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        out |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def routed(app, method: str, path: str) -> bool:
    return (method, path) in rule_paths(app)


def login(client, name: str, password: str = "secret123") -> str:
    """Log in through the form like a browser; returns the page's CSRF token."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
    r = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return csrf_of(client)


def csrf_of(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page)[1]


def check(r, expected, where: str) -> None:
    assert r.status_code < 500, f"{where}: {r.status_code}"
    if expected == OK:
        assert r.status_code not in (401, 403), f"{where}: {r.status_code} {r.get_data()[:200]}"
        if r.status_code in (301, 302, 303):
            assert "/login" not in r.headers.get("Location", ""), where
    elif expected == LOGIN:
        assert r.status_code in (302, 303) and "/login" in r.headers["Location"], where
    else:
        assert r.status_code == expected, f"{where}: {r.status_code} {r.get_data()[:200]}"
        if r.mimetype == "application/json":
            err = r.get_json()["error"]
            assert err["code"] and err["message"]


@pytest.fixture
def ticket_id(kiosk):
    return kiosk.take_ticket("chungthuc")["id"]


@pytest.mark.parametrize("mode", ["bearer", "session"])
def test_route_matrix(app, auth, onestop, ticket_id, mode, figures):
    """Each role is one client (logged in once for sessions); every row x role is checked."""
    clients = {}
    for role in ROLES:
        c = app.test_client()
        headers = {}
        if role != "anonymous":
            headers = auth[role] if mode == "bearer" else {"X-CSRF-Token": login(c, f"{role}1")}
        clients[role] = (c, headers)
    problems, cells, waiting = [], 0, []
    for method, path, body, *expected, planned in MATRIX:
        if not routed(app, method, path):
            assert planned, f"{method} {path} is in the matrix but not served"
            waiting.append(f"{method} {path}")
            continue
        url = path.format(
            ticket_id=ticket_id,
            number=1,
            name="0123456789abcdef.wav",
            lang="en",
            key=VOICE_KEY,
            code="HS-ACCESS-1",
            sms_id=1,
            slug="users",
        )
        for role, want in zip(ROLES, expected, strict=True):
            if mode == "bearer" and expected[0] == LOGIN:
                want = expected[0]  # pages are for browser sessions; a token is no login
            c, headers = clients[role]
            r = c.open(url, method=method, json=body, headers=headers)
            cells += 1
            try:
                check(r, want, f"{mode} {role} {method} {url}")
            except AssertionError as e:
                problems.append(str(e).splitlines()[0])
    figures(f"access matrix ({mode})", cells_checked=cells, planned_not_landed=len(waiting))
    assert not problems, "\n".join(problems)


def device_default(anonymous):
    return {R401: R403}.get(anonymous, anonymous)


def test_device_matrix(app, onestop, ticket_id, figures):
    """Every route x (a remote caller, a kiosk, a display, a tablet), by the rules above."""
    headers = {"remote": {}}
    for kind in DEVICE_KINDS[1:]:
        _, token = onestop.enrolled.add(f"{kind}-1", kind, 1 if kind == "tablet" else None)
        headers[kind] = {"Authorization": f"Bearer {token}"}
    c = app.test_client()
    problems, cells = [], 0
    for method, path, body, anonymous, *_ in MATRIX:
        if not routed(app, method, path):
            continue
        url = path.format(
            ticket_id=ticket_id,
            number=1,
            name="0123456789abcdef.wav",
            lang="en",
            key=VOICE_KEY,
            code="HS-ACCESS-1",
            sms_id=1,
            slug="users",
        )
        default = (anonymous, *(device_default(anonymous) for _ in DEVICE_KINDS[1:]))
        for who, want in zip(DEVICE_KINDS, DEVICE_MATRIX.get((method, path), default), strict=True):
            env = {"REMOTE_ADDR": "10.0.0.9"} if who == "remote" else {}
            r = c.open(url, method=method, json=body, headers=headers[who], environ_overrides=env)
            cells += 1
            try:
                check(r, want, f"{who} {method} {url}")
            except AssertionError as e:
                problems.append(str(e).splitlines()[0])
    figures("device access matrix", cells_checked=cells)
    assert not problems, "\n".join(problems)


def test_every_route_has_a_row(app):
    listed = {(r[0], r[1]) for r in MATRIX} | UNLISTED
    missing = rule_paths(app) - listed
    assert not missing, f"add rows to MATRIX in {__file__}: {sorted(missing)}"


@pytest.mark.parametrize("row", SOCKET_MATRIX, ids=[f"{r[0]} {r[1]}" for r in SOCKET_MATRIX])
def test_socket_matrix(app, auth, row):
    namespace, event, *expected = row
    for role, want in zip(ROLES, expected, strict=True):
        headers = auth[role] if role != "anonymous" else {}
        sc = socketio.test_client(app, namespace=namespace, headers=headers)
        if event == "connect":
            assert sc.is_connected(namespace) == (want == OK), role
        elif not sc.is_connected(namespace):
            assert want != OK, (role, event)  # refused at connect: cannot send anything
        else:
            sc.get_received(namespace)
            sc.emit(event, namespace=namespace)
            received = sc.get_received(namespace)
            if want == OK and (namespace, event) in SILENT:
                assert not received and sc.is_connected(namespace), (role, event)
            elif want == OK:
                assert received, (role, event)
            else:
                assert all(m["name"] in ("error", "refused") for m in received), (role, received)
        if sc.is_connected(namespace):
            sc.disconnect(namespace=namespace)


def test_every_socket_event_has_a_row(app):
    handlers = {
        (ns, event)
        for ns, events in socketio.server.handlers.items()
        for event in events
        if event != "disconnect"
    }
    missing = handlers - {(r[0], r[1]) for r in SOCKET_MATRIX}
    assert not missing, f"add rows to SOCKET_MATRIX in {__file__}: {sorted(missing)}"


def test_clients_cannot_broadcast_on_display(app, onestop):
    """A screen (or anyone on the Wi-Fi) emitting server events reaches no other screen."""
    a = socketio.test_client(app, namespace="/display")
    b = socketio.test_client(app, namespace="/display")
    b.get_received("/display")
    before = dump(onestop.store.reader())
    fake = {"seq": 10**9, "call": {"ticket": {"number": "A666"}, "counter": 1}}
    for event in ("ticket_called", "ticket_issued", "queue_changed", "snapshot"):
        a.emit(event, fake, namespace="/display")
    assert b.get_received("/display") == []
    assert dump(onestop.store.reader()) == before
    a.disconnect(namespace="/display")
    b.disconnect(namespace="/display")


def test_session_fixation_login_gives_a_new_session(app, auth):
    c = app.test_client()
    c.get("/login")
    before_cookie = c.get_cookie("session").value
    before_csrf = csrf_of(c)
    after_csrf = login(c, "clerk1")
    assert c.get_cookie("session").value != before_cookie
    assert after_csrf != before_csrf, "the pre-login CSRF token must not survive login"
    # The cookie an attacker planted before login does not become a clerk's session.
    planted = app.test_client()
    planted.set_cookie("session", before_cookie)
    assert planted.get("/api/counters").status_code == 401
    # The old CSRF token does not work with the new session.
    r = c.post("/api/counters/1/pause", headers={"X-CSRF-Token": before_csrf})
    assert r.status_code == 403


@pytest.mark.parametrize("sent", [None, "", "wrong", "x" * 43])
def test_csrf_is_required_for_session_posts(app, auth, onestop, sent):
    c = app.test_client()
    good = login(c, "clerk1")
    before = dump(onestop.store.reader())
    headers = {} if sent is None else {"X-CSRF-Token": sent}
    for action in ("pause", "next", "transfer"):
        r = c.post(f"/api/counters/1/{action}", json={"service": "khac"}, headers=headers)
        assert r.status_code == 403
        assert r.get_json()["error"]["code"] == "csrf_failed"
    # A cross-site form post carries the cookie but cannot know the token.
    r = c.post("/api/counters/1/pause", data={"csrf_token": sent or ""})
    assert r.status_code == 403
    r = c.post("/logout", data={})
    assert r.status_code == 403
    assert dump(onestop.store.reader()) == before
    r = c.post("/api/counters/1/pause", headers={"X-CSRF-Token": good})
    assert r.status_code == 200


def test_logout_ends_the_session(app, auth):
    c = app.test_client()
    token = login(c, "supervisor1")
    assert c.get("/api/counters").status_code == 200
    assert c.post("/logout", headers={"X-CSRF-Token": token}).status_code == 302
    assert c.get("/api/counters").status_code == 401


def test_revoked_tokens_stop_working(client, auth, runner):
    assert client.get("/api/counters", headers=auth["clerk"]).status_code == 200
    out = runner.invoke(args=["user", "revoke", "clerk1"])
    assert out.exit_code == 0 and "Revoked 1" in out.output
    r = client.get("/api/counters", headers=auth["clerk"])
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "invalid_token"
    r = client.post("/api/counters/1/pause", headers=auth["clerk"])
    assert r.status_code == 401
    assert client.get("/api/counters", headers=auth["supervisor"]).status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer ", "Bearer x", "Bearer ' OR 1=1 --", "Bearer " + "a" * 5000, "Basic YTpi", "bearer x"],
)
def test_junk_credentials_never_pass(client, auth, header):
    r = client.get("/api/counters", headers={"Authorization": header})
    assert r.status_code == 401
    assert set(r.get_json()["error"]) == {"code", "message"}


def test_passwords_are_salted_scrypt(onestop, auth):
    rows = onestop.store.reader().execute("SELECT name, password_hash FROM users").fetchall()
    assert len(rows) == 3
    seen = set()
    for name, stored in rows:
        m = re.fullmatch(r"scrypt\$(\d+)\$(\d+)\$(\d+)\$([0-9a-f]{32})\$([0-9a-f]{128})", stored)
        assert m, f"{name}: {stored[:20]}..."
        n, r, p = map(int, m.groups()[:3])
        assert n >= 2**14 and r >= 8 and p >= 1  # >= 16 MiB of memory per guess
        assert "secret123" not in stored
        seen.add(m[4])
    assert len(seen) == 3, "same password, same salt"


def test_too_many_failed_logins_are_refused(app, auth):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "192.0.2.77"  # its own failure count
    for _ in range(5):
        page = c.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
        r = c.post("/login", data={"name": "clerk1", "password": "wrong!!", "csrf_token": token})
        assert r.status_code == 401
    r = c.post("/login", data={"name": "clerk1", "password": "secret123", "csrf_token": token})
    assert r.status_code == 429
    assert c.get("/api/counters").status_code == 401


def cookie_header(app) -> str:
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
    app.extensions["onestop"].users.add("cookie1", "clerk", "secret123")
    r = c.post("/login", data={"name": "cookie1", "password": "secret123", "csrf_token": token})
    assert r.status_code == 302
    return "; ".join(r.headers.getlist("Set-Cookie"))


def test_session_cookie_flags(app):
    cookie = cookie_header(app)
    assert "session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on the office LAN by default


@pytest.mark.parametrize("how", ["env", "config"])
def test_secure_cookies_behind_https(tmp_path, monkeypatch, how):
    config = site_config()
    if how == "env":
        monkeypatch.setenv("ONESTOP_SECURE_COOKIES", "1")
    else:
        config["security"] = {"secure_cookies": True}
    app = create_app({"DATA_DIR": tmp_path, "CONFIG": config, "TESTING": True})
    try:
        assert "Secure" in cookie_header(app)
    finally:
        app.extensions["onestop"].store.close()


@pytest.mark.parametrize(
    "method,path",
    [("GET", "/"), ("GET", "/login"), ("GET", "/api/queue"), ("GET", "/api/nope"),
     ("GET", "/nope"), ("GET", "/static/base.css"), ("DELETE", "/api/queue"),
     ("POST", "/api/tickets")],
)  # fmt: skip
def test_security_headers_everywhere(client, method, path):
    r = client.open(path, method=method, data=b"{")
    h = r.headers
    csp = dict(
        (part.split(" ", 1) + [""])[:2]
        for part in (p.strip() for p in h["Content-Security-Policy"].split(";"))
    )
    assert csp["script-src"] == "'self'"  # no inline script, no eval
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp["default-src"] and "unsafe-eval" not in str(csp)
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")


def test_templates_have_no_inline_script():
    """CSP forbids inline script, so no template may rely on it (every package's templates)."""
    # Data blocks (type="application/json") are never executed, so CSP allows them.
    inline = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I)
    handler = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
    packages = [d for d in ROOT.iterdir() if d.is_dir() and not d.name.startswith((".", "var"))]
    templates = [p for d in packages for p in d.rglob("templates/**/*.html")]
    assert templates
    for path in templates:
        text = Path(path).read_text(encoding="utf-8")
        assert not inline.search(text), f"inline <script> in {path}"
        assert not handler.search(text), f"inline event handler in {path}"
        assert "javascript:" not in text.lower(), path


def test_ticket_status_leaks_no_other_ticket(client, kiosk, counter):
    mine = kiosk.take_ticket("hotich", kiosk="k1")
    other = kiosk.take_ticket("hotich", kiosk="k2")
    counter.next(1)
    r = client.get(f"/api/tickets/{mine['id']}")
    text = r.get_data(as_text=True)
    assert other["id"] not in text and other["number"] not in text
    allowed = {
        "id", "number", "service", "status", "priority", "issued_at", "called_at", "started_at",
        "finished_at", "counter", "position", "estimated_wait_s", "estimated_wait_at_issue_s",
        "rating", "kiosk", "day", "url",
    }  # fmt: skip
    assert set(r.get_json()) == {"ticket"}
    assert set(r.get_json()["ticket"]) <= allowed, "no clerk names, keys or other tickets"
    r = client.post(f"/api/tickets/{other['id']}/feedback", json={"rating": 1})
    assert r.status_code == 409 and other["number"] not in r.get_data(as_text=True)


def test_ticket_ids_are_random_and_guesses_get_one_answer(client, kiosk, onestop):
    tickets = [kiosk.take_ticket(s) for s in ("hotich", "chungthuc", "datdai") * 40]
    ids = [t["id"] for t in tickets]
    alphabet = set(string.ascii_letters + string.digits + "-_")
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 16 and set(i) <= alphabet for i in ids)
    assert len({i[:6] for i in ids}) == len(ids), "ids share prefixes: not random"
    guesses = [
        "1", "2", "120", "A001", "a001", tickets[0]["number"], "0" * 16, "A" * 16,
        ids[0][:-1] + ("A" if ids[0][-1] != "A" else "B"), ids[0][:15], ids[0] + "x",
        ids[0].upper() if ids[0].upper() != ids[0] else ids[0].lower(),
        "' OR 1=1 --", "%", "_", "*",
    ]  # fmt: skip
    bodies = set()
    for guess in guesses:
        if guess in ids:
            continue
        r = client.get(f"/api/tickets/{guess}")
        assert r.status_code == 404, guess
        bodies.add(r.get_data())
        r = client.post(f"/api/tickets/{guess}/feedback", json={"rating": 4})
        assert r.status_code == 404, guess
        bodies.add(r.get_data())
    assert len(bodies) == 1, "a miss must not say whether the guess was close"


@pytest.mark.parametrize(
    "origin,allowed",
    [("http://localhost", True), ("http://evil.example", False), ("null", False)],
)
def test_socketio_refuses_other_sites(client, origin, allowed):
    """A page on another site must not open the server's Socket.IO from a clerk's browser."""
    r = client.get("/socket.io/?EIO=4&transport=polling", headers={"Origin": origin})
    assert (r.status_code == 200) == allowed, (r.status_code, r.get_data()[:100])


def test_login_costs_the_same_for_unknown_names(onestop, auth, monkeypatch):
    """No user probing by timing: one scrypt per attempt whether the name exists or not."""
    import hashlib

    real = hashlib.scrypt
    calls = []
    onestop.users.authenticate("nobody", "x")  # warm the dummy hash

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    for name in ("clerk1", "nobody", "admin1", "x' OR '1'='1"):
        calls.clear()
        assert onestop.users.authenticate(name, "wrong-password") is None
        assert len(calls) == 1, name


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example",
     "/\t/evil.example", "http:/evil.example", "javascript:alert(1)"],
)  # fmt: skip
def test_login_never_redirects_off_site(app, auth, target):
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
    r = c.post(
        "/login",
        query_string={"next": target},
        data={"name": "clerk1", "password": "secret123", "csrf_token": token},
    )
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location.startswith("/") and not location.startswith("//"), location
    assert "\\" not in location and "\t" not in location  # browsers read "\\" as "/"
    assert urlsplit(urljoin("http://office.local/", location)).netloc == "office.local"


def test_ticket_lookup_is_one_index_probe(onestop):
    """Hit or miss, finding a ticket by id is one B-tree probe: no scan whose time says more."""
    plan = (
        onestop.store.reader()
        .execute("EXPLAIN QUERY PLAN SELECT * FROM tickets WHERE id = ?", ("x",))
        .fetchall()
    )
    detail = " ".join(r[-1] for r in plan)
    assert "USING INDEX" in detail and "(id=?)" in detail, detail
