"""The office's configuration in the database: seeding, the admin API, live changes, restore."""

from __future__ import annotations

import copy
import json

import pytest

from server.app import create_app
from tests.helpers import site_config

NEW = {"code": "moi", "name": "Thủ tục mới", "name_en": "New procedure", "prefix": "G",
       "target_wait_min": 12, "hours": {"weekdays": ["07:30-11:30", "13:30-17:00"]}}  # fmt: skip


def get_config(client, auth) -> tuple[int, dict]:
    r = client.get("/api/admin/config", headers=auth["admin"])
    assert r.status_code == 200, r.get_json()
    return r.get_json()["version"], r.get_json()["config"]


def put(client, auth, config, version, role="admin", **extra):
    headers = {**auth[role], "If-Match": f'"{version}"'} if version is not None else auth[role]
    return client.put("/api/admin/config", json={"config": config, **extra}, headers=headers)


def stored(onestop) -> tuple:
    """What a refused change must leave alone: versions, procedures, counters, the log."""
    conn = onestop.store.reader()
    return (
        conn.execute("SELECT COUNT(*) FROM config_versions").fetchone()[0],
        [tuple(r) for r in conn.execute("SELECT * FROM services ORDER BY code")],
        [tuple(r) for r in conn.execute("SELECT number, name, services, active FROM counters")],
        conn.execute("SELECT COUNT(*) FROM events").fetchone()[0],
        onestop.queue.office,
    )


def test_the_config_file_seeds_version_1_and_a_restart_keeps_the_database(tmp_path, clock):
    cfg = site_config()
    conf = {"DATA_DIR": tmp_path / "d", "CONFIG": cfg, "CLOCK": clock, "TESTING": True}
    app = create_app(dict(conf))
    e = app.extensions["onestop"]
    first = e.config.versions.current()
    assert (first["n"], first["author"], first["config"]) == (1, "site.toml", cfg)
    e.config.patch(lambda c: c["services"][0].update(name="Hộ tịch (mới)"), "admin1", "rename")
    e.store.close()
    # The same file again: the database's version is the office.
    app = create_app(dict(conf))
    e = app.extensions["onestop"]
    assert e.config.version == 2 and e.queue.office.services[0].name == "Hộ tịch (mới)"
    e.store.close()
    # An edited file (an IT officer over SSH): a new version by site.toml.
    cfg["office"]["name"] = "UBND xã Mới"
    app = create_app({**conf, "CONFIG": cfg})
    e = app.extensions["onestop"]
    v = e.config.versions.current()
    assert (v["n"], v["author"]) == (3, "site.toml") and e.settings["office"][
        "name"
    ] == "UBND xã Mới"
    assert e.queue.office.services[0].name == "Tư pháp – Hộ tịch"  # the file's, as it says
    e.store.close()


def test_environment_overrides_apply_on_top_of_the_database(tmp_path, clock, monkeypatch):
    conf = {"DATA_DIR": tmp_path / "d", "CONFIG": site_config(), "CLOCK": clock, "TESTING": True}
    create_app(dict(conf)).extensions["onestop"].store.close()
    monkeypatch.setenv("ONESTOP_DISPLAY_RECENT_CALLS", "3")
    e = create_app(dict(conf)).extensions["onestop"]
    assert e.settings["display"]["recent_calls"] == 3
    assert "recent_calls" not in e.config.data().get("display", {}) or (
        e.config.data()["display"]["recent_calls"] != 3
    )
    e.store.close()


def test_an_admin_adds_a_procedure_and_it_is_live(client, auth, onestop, kiosk):
    version, config = get_config(client, auth)
    config["services"].append(NEW)
    config["counters"][1]["services"].append("moi")
    seen = []
    onestop.queue.subscribe(lambda name, p: seen.append((name, p)), inline=True)
    r = put(client, auth, config, version, reason="tỉnh thêm thủ tục")
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"version": version + 1, "restart_needed": []}
    assert r.headers["ETag"] == f'"{version + 1}"'
    codes = [s["code"] for s in client.get("/api/services").get_json()["services"]]
    assert "moi" in codes
    ticket = kiosk.take_ticket("moi")
    assert ticket["number"] == "G001"
    onestop.sign_ins.sign_in(onestop.users.get("clerk1")["id"], 2)
    called = client.post("/api/counters/2/next", headers=auth["clerk"]).get_json()
    assert called["ticket"]["number"] == "G001", called
    assert [p.version for n, p in seen if n == "config_changed"] == [version + 1]
    row = onestop.store.reader().execute(
        "SELECT clerk, data FROM events WHERE type = 'config_saved'").fetchone()  # fmt: skip
    assert row["clerk"] == "admin1"
    assert json.loads(row["data"]) == {"version": version + 1, "reason": "tỉnh thêm thủ tục"}


def test_history_lists_diffs_and_a_restore_is_a_new_version(client, auth, onestop):
    version, config = get_config(client, auth)
    old_name = config["services"][0]["name"]
    config["services"][0]["name"] = "Hộ tịch"
    assert put(client, auth, config, version).status_code == 200
    versions = client.get("/api/admin/config/versions", headers=auth["admin"]).get_json()
    top = versions["versions"][0]
    assert top["n"] == version + 1 and top["author"] == "admin1"
    assert top["changes"] == [f'services[code=hotich].name: "{old_name}" → "Hộ tịch"']
    one = client.get(f"/api/admin/config/versions/{version}", headers=auth["admin"]).get_json()
    assert one["config"]["services"][0]["name"] == old_name
    r = client.post(f"/api/admin/config/versions/{version}/restore",
                    headers={**auth["admin"], "If-Match": str(version + 1)})  # fmt: skip
    assert r.status_code == 200 and r.get_json()["version"] == version + 2
    assert onestop.queue.office.services[0].name == old_name
    restored = onestop.config.versions.current()
    assert restored["reason"] == f"restored version {version}"
    assert restored["config"] == one["config"]
    assert client.get("/api/admin/config/versions/999", headers=auth["admin"]).status_code == 404
    assert client.get("/api/admin/config/versions/x", headers=auth["admin"]).status_code == 400


@pytest.mark.parametrize(
    "edit, field",
    [
        (lambda c: c.update(colour="red"), "colour"),
        (lambda c: c["office"].update(colour="red"), "office.colour"),
        (lambda c: c["display"].update(recent_calls="eight"), "display.recent_calls"),
        (lambda c: c["services"][0].update(range_end=0, range_start=5), "services[0].range_end"),
        (lambda c: c["counters"][1]["services"].append("nope"), "counters[1].services"),
        (lambda c: c["counters"][0].update(closed="yes"), "counters[0].closed"),
        (lambda c: c.update(services=[]), "services"),
    ],
)
def test_a_bad_config_is_refused_with_its_field_and_nothing_changes(
    client, auth, onestop, edit, field
):
    version, config = get_config(client, auth)
    before = stored(onestop)
    edit(config)
    r = put(client, auth, config, version)
    assert r.status_code == 400, r.get_json()
    err = r.get_json()["error"]
    assert err["code"] == "invalid_config" and err["field"] == field and err["message"]
    assert stored(onestop) == before


def test_malformed_stale_or_missing_versions_are_clear_errors(client, auth, onestop):
    version, config = get_config(client, auth)
    before = stored(onestop)
    headers = {**auth["admin"], "If-Match": str(version), "Content-Type": "application/json"}
    r = client.put("/api/admin/config", data=b'{"config": {', headers=headers)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_json"
    r = put(client, auth, config, None)
    assert r.status_code == 428 and r.get_json()["error"]["code"] == "precondition_required"
    r = put(client, auth, config, version - 1 if version > 1 else 99)
    assert r.status_code == 409
    assert r.get_json()["error"] == {**r.get_json()["error"], "code": "stale_version",
                                     "version": version}  # fmt: skip
    r = put(client, auth, "not a table", version)
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "config"
    r = put(client, auth, config, version, surprise=1)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "unknown_key"
    r = client.put("/api/admin/config", json={"config": config},
                   headers={**auth["admin"], "If-Match": "abc"})  # fmt: skip
    assert r.status_code == 400
    assert stored(onestop) == before


@pytest.mark.parametrize("role", ["clerk", "supervisor"])
def test_clerks_and_supervisors_are_refused_everywhere(client, auth, onestop, role):
    version, config = get_config(client, auth)
    before = stored(onestop)
    assert client.get("/api/admin/config", headers=auth[role]).status_code == 403
    assert put(client, auth, config, version, role=role).status_code == 403
    assert client.get("/api/admin/config/versions", headers=auth[role]).status_code == 403
    assert client.get("/api/admin/config/versions/1", headers=auth[role]).status_code == 403
    r = client.post("/api/admin/config/versions/1/restore",
                    headers={**auth[role], "If-Match": str(version)})  # fmt: skip
    assert r.status_code == 403
    assert stored(onestop) == before


def test_numbering_that_would_repeat_todays_numbers_is_refused(client, auth, onestop, kiosk):
    for _ in range(3):
        kiosk.take_ticket("hotich")  # A001..A003
    version, config = get_config(client, auth)
    before = stored(onestop)
    moved = copy.deepcopy(config)
    moved["services"][1].update(prefix="A", range_end=499)  # chungthuc (B) to A001: again
    moved["services"][0]["range_start"] = 500
    r = put(client, auth, moved, version)
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["error"]["field"] == "services[1].prefix"
    assert stored(onestop) == before
    # A range that starts after today's numbers is fine: the next is the fourth, A503.
    config["services"][0]["range_start"] = 500
    assert put(client, auth, config, version).status_code == 200
    assert kiosk.take_ticket("hotich")["number"] == "A503"


def test_removing_a_procedure_or_closing_a_counter_retires_it(client, auth, onestop, kiosk):
    kiosk.take_ticket("khac")
    version, config = get_config(client, auth)
    config["services"] = [s for s in config["services"] if s["code"] != "khac"]
    for c in config["counters"]:
        c["services"] = [s for s in c["services"] if s != "khac"]
    config["counters"][3]["closed"] = True
    before = stored(onestop)
    # Nobody is stranded: not while a citizen waits for it, nor while counter 4 holds one.
    r = put(client, auth, config, version)
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "services"
    desk = {**auth["supervisor"]}
    assert client.post("/api/counters/4/next", headers=desk).status_code == 200
    r = put(client, auth, config, version)
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "counters[3].closed"
    assert "F001" in r.get_json()["error"]["reason"]
    assert stored(onestop)[:3] == before[:3]
    assert client.post("/api/counters/4/finish", headers=desk).status_code == 200
    assert put(client, auth, config, version).status_code == 200
    conn = onestop.store.reader()
    assert conn.execute("SELECT active FROM services WHERE code = 'khac'").fetchone()[0] == 0
    assert conn.execute("SELECT active FROM counters WHERE number = 4").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM tickets WHERE service = 'khac'").fetchone()[0] == 1
    numbers = [c["number"] for c in client.get("/api/queue").get_json()["counters"]]
    assert 4 not in numbers
    r = client.post("/api/counters/4/next", headers=auth["supervisor"])
    assert r.status_code == 404


def test_a_start_up_only_section_says_it_needs_a_restart(client, auth, onestop):
    version, config = get_config(client, auth)
    config["limits"] = {"issue_per_min": 9}
    r = put(client, auth, config, version)
    assert r.status_code == 200 and r.get_json()["restart_needed"] == ["limits"]


def test_a_failing_room_never_undoes_a_change(onestop):
    def broken(settings):
        raise RuntimeError("this room cannot follow")

    got = []
    onestop.config.on_change(broken)
    onestop.config.on_change(lambda s: got.append(s["office"]["name"]))
    n = onestop.config.patch(lambda c: c["office"].update(name="UBND xã Đổi"), "cli:test")
    assert onestop.config.version == n and got == ["UBND xã Đổi"]
    assert onestop.settings["office"]["name"] == "UBND xã Đổi"


def test_export_then_import_on_a_fresh_data_dir_gives_the_same_office(tmp_path, clock):
    cfg = site_config()
    cfg["kiosk"]["buttons"] = [{"pin": 17, "service": "hotich", "priority": True}]
    one = create_app({"DATA_DIR": tmp_path / "one", "CONFIG": cfg, "CLOCK": clock, "TESTING": True})
    e1 = one.extensions["onestop"]
    e1.config.patch(lambda c: (c["services"].append(NEW), c["counters"][1]["services"].append("moi"),
                               c["counters"][3].update(closed=True)), "admin1")  # fmt: skip
    out = tmp_path / "office.toml"
    r = one.test_cli_runner().invoke(args=["config", "export", str(out)])
    assert r.exit_code == 0, r.output
    stdout = one.test_cli_runner().invoke(args=["config", "export"]).output
    assert stdout == out.read_text("utf-8")

    two = create_app({"DATA_DIR": tmp_path / "two", "CONFIG": site_config(), "CLOCK": clock,
                      "TESTING": True})  # fmt: skip
    e2 = two.extensions["onestop"]
    assert e2.queue.office != e1.queue.office
    r = two.test_cli_runner().invoke(args=["config", "import", str(out)], env={"SUDO_USER": "it"})
    assert r.exit_code == 0, r.output
    assert e2.config.data() == e1.config.data()
    assert e2.queue.office == e1.queue.office and e2.settings.buttons == e1.settings.buttons
    v = e2.config.versions.current()
    assert (v["n"], v["author"], v["reason"]) == (2, "cli:it", f"imported {out}")
    for e in (e1, e2):
        e.store.close()


def test_a_bad_import_changes_nothing_and_names_the_field(tmp_path, runner, onestop):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[office]\nname = "X"\n\n[[services]]\ncode = "a"\nname = "A"\nprefix = "A"\n'
        'range_end = "lots"\n\n[[counters]]\nnumber = 1\nservices = ["a"]\n',
        "utf-8",
    )
    before = stored(onestop)
    r = runner.invoke(args=["config", "import", str(bad)])
    assert (
        r.exit_code == 1 and "services[0].range_end" in r.output and "nothing changed" in r.output
    )
    assert stored(onestop) == before


def test_a_running_server_takes_up_a_version_another_process_saved(tmp_path, clock):
    conf = {"DATA_DIR": tmp_path / "d", "CONFIG": site_config(), "CLOCK": clock, "TESTING": True}
    server = create_app(dict(conf)).extensions["onestop"]
    cli = create_app(dict(conf)).extensions["onestop"]  # `flask config import` on the same dir
    seen = []
    server.queue.subscribe(lambda name, p: seen.append(name), inline=True)
    cli.config.patch(lambda c: c["services"].append(NEW), "cli:it")
    assert server.queue.office.service("moi") is None
    assert server.config.follow_outside() and not server.config.follow_outside()
    assert server.queue.office.service("moi") is not None and seen == ["config_changed"]
    for e in (server, cli):
        e.store.close()


def test_voice_warms_the_segments_of_a_new_procedure_live(tmp_path, clock):
    from voice.phrase import Segment

    cfg = site_config(voice={"engines": ["espeak"]})
    app = create_app({"DATA_DIR": tmp_path / "d", "CONFIG": cfg, "CLOCK": clock, "TESTING": True})
    e = app.extensions["onestop"]
    voice = e.devices.voice
    assert voice.warm()["missing"] == 0
    needed = voice.health()["segments"]["needed"]
    e.config.patch(lambda c: c["services"].append(NEW), "admin1")
    report = voice.warm()
    assert report["rendered"] == {"espeak": 1} and report["missing"] == 0
    assert voice.best(Segment("vi", "giê"))
    assert voice.health()["segments"]["needed"] == needed + 1  # G is callable now
    e.store.close()


def test_a_past_days_report_keeps_that_days_names_and_targets(client, auth, onestop, kiosk,
                                                              clock, runner):  # fmt: skip
    kiosk.take_ticket("hotich")
    onestop.config.patch(lambda c: c["office"].update(hotline="1022"), "admin1")  # same names
    clock.set("2026-12-01 09:00")  # the next office day
    old_name = onestop.settings.office.service("hotich").name

    def rename(c):
        c["services"][0].update(name="Hộ tịch – Chứng thực", target_wait_min=30)

    onestop.config.patch(rename, "admin1", "tỉnh đổi tên")
    kiosk.take_ticket("hotich")

    def report(day):
        r = client.get(f"/api/reports/daily?date={day}", headers=auth["supervisor"])
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        return next(m for m in body["services"] if m["key"] == "hotich"), body["targets"]

    for _ in ("live", "stored"):
        yesterday, targets = report("2026-11-30")
        assert yesterday["name"] == old_name and targets["hotich"] == 15 * 60
        today, targets = report("2026-12-01")
        assert today["name"] == "Hộ tịch – Chứng thực" and targets["hotich"] == 30 * 60
        assert runner.invoke(args=["summarize", "--date", "2026-11-30"]).exit_code == 0


def test_a_cookie_session_needs_the_csrf_header_to_change_the_office(app, auth, onestop):
    from tests.faults.test_access import login

    c = app.test_client()
    token = login(c, "admin1")
    version, config = get_config(c, {"admin": {}})
    config["office"]["name"] = "UBND xã Qua Phiên"
    before = stored(onestop)
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        r = c.put("/api/admin/config", json={"config": config},
                  headers={"If-Match": str(version), **headers})  # fmt: skip
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "csrf_failed"
        r = c.post("/api/admin/config/versions/1/restore", headers={"If-Match": str(version)})
        assert r.status_code == 403
    assert stored(onestop) == before
    r = c.put("/api/admin/config", json={"config": config, "reason": "đổi tên"},
              headers={"If-Match": str(version), "X-CSRF-Token": token})  # fmt: skip
    assert r.status_code == 200 and onestop.settings["office"]["name"] == "UBND xã Qua Phiên"
    assert onestop.config.versions.current()["author"] == "admin1"


def test_the_public_url_and_recent_calls_follow_a_change(onestop, kiosk):
    onestop.config.patch(lambda c: (c["office"].update(public_url="http://ubnd.example/"),
                                    c["display"].update(recent_calls=3)), "admin1")  # fmt: skip
    ticket = onestop.queue.issue("hotich")[0]
    assert ticket.url == f"http://ubnd.example/t/{ticket.id}"
    assert onestop.queue.line.recent_calls == 3


def test_the_screens_json_follows_a_change(client, auth, onestop):
    def change(c):
        c["services"].append(NEW)
        c["counters"][1]["services"].append("moi")
        c["counters"][2]["closed"] = True
        c["notices"] = [{"title": "Thông báo mới"}]

    onestop.config.patch(change, "admin1")
    kiosk = client.get("/kiosk/data.json").get_json()
    moi = next(s for s in kiosk["services"] if s["code"] == "moi")
    assert moi["name"] == NEW["name"] and moi["hours_vi"]
    lobby = client.get("/display/config.json").get_json()
    assert "moi" in [s["code"] for s in lobby["services"]]
    assert [c["number"] for c in lobby["counters"]] == [1, 2, 4]
    assert lobby["notices"] == [{"title": "Thông báo mới", "title_en": "", "text": "",
                                 "text_en": ""}]  # fmt: skip
    console = client.get("/counter/api/office", headers=auth["clerk"]).get_json()
    assert "moi" in next(c for c in console["counters"] if c["number"] == 2)["services"]
    assert client.get("/counter/api/office").status_code == 401
    assert client.get("/kiosk/data.json?kiosk=bad%20id").status_code == 400


def test_the_file_exported_over_site_toml_makes_no_new_version(tmp_path, clock):
    cfg = tmp_path / "site.toml"
    cfg.write_text(toml_text(site_config()), "utf-8")
    conf = {"DATA_DIR": tmp_path / "d", "CONFIG": str(cfg), "CLOCK": clock, "TESTING": True}
    app = create_app(dict(conf))
    app.extensions["onestop"].config.patch(lambda c: c["office"].update(hotline="1022"), "a")
    assert app.test_cli_runner().invoke(args=["config", "export", str(cfg)]).exit_code == 0
    app.extensions["onestop"].store.close()
    e = create_app(dict(conf)).extensions["onestop"]
    assert e.config.version == 2 and e.settings["office"]["hotline"] == "1022"
    e.store.close()
    cfg.write_text(cfg.read_text("utf-8").replace('"1022"', '"1080"'), "utf-8")
    e = create_app(dict(conf)).extensions["onestop"]
    assert e.config.version == 3 and e.settings["office"]["hotline"] == "1080"
    e.store.close()


def toml_text(data: dict) -> str:
    from server.settings.toml_out import dumps

    return dumps(data)


def test_saving_the_office_unchanged_makes_no_version(client, auth, onestop):
    """A form saved with nothing edited (or a retried PUT) is no change: no version, no
    `config_changed`, and the version the admin holds stays good."""
    version, config = get_config(client, auth)
    before = stored(onestop)
    r = put(client, auth, config, version)
    assert r.status_code == 200 and r.get_json()["version"] == version
    assert stored(onestop) == before
    config["services"][0]["name"] = "Hộ tịch"
    assert put(client, auth, config, version).get_json()["version"] == version + 1
