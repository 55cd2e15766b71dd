"""The province's catalogue end to end: a real hub on PostgreSQL, a real office server process."""

from __future__ import annotations

import time

import pytest
import requests

from tests.helpers import LiveServer
from tests.hub.conftest import HubServer, hub_cli

pytestmark = pytest.mark.slow


def services(office: LiveServer) -> dict[str, dict]:
    got = requests.get(office.url + "/api/services", timeout=5).json()["services"]
    return {s["code"]: s for s in got}


def wait_for(check, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_catalogue_change_reaches_the_kiosk_without_a_restart(tmp_path, hub_url):
    hub = HubServer(hub_url, tmp_path).start()
    token = hub_cli(hub_url, "office", "add", "XA1", "--name", "Xã Một").strip().splitlines()[-1]
    cat = tmp_path / "catalogue.json"
    cat.write_text('[{"code": "hotich", "name": "Hộ tịch (tỉnh)", "name_en": "Civil status",'
                   ' "target_wait_min": 12}, {"code": "xaydung", "name": "Cấp phép xây dựng",'
                   ' "target_wait_min": 30}]', encoding="utf-8")  # fmt: skip
    hub_cli(hub_url, "catalogue", "import", str(cat))
    env = {"ONESTOP_HUB_URL": hub.url, "ONESTOP_HUB_OFFICE_CODE": "XA1",
           "ONESTOP_HUB_TOKEN": token, "ONESTOP_HUB_INTERVAL_S": "0.2"}  # fmt: skip
    office = LiveServer(tmp_path / "xa1", env=env)
    try:
        office.start()
        pid = office.proc.pid
        before = services(office)
        got = wait_for(lambda: services(office)["hotich"]["name"] == "Hộ tịch (tỉnh)"
                       and services(office), "the first catalogue")  # fmt: skip
        assert (got["hotich"]["name_en"], got["hotich"]["target_wait_s"]) == ("Civil status", 720)
        assert "xaydung" not in got  # the office does not offer it: ignored
        for code in ("chungthuc", "datdai"):  # office-only codes keep their own names
            assert got[code]["name"] == before[code]["name"]
            assert got[code]["target_wait_s"] == before[code]["target_wait_s"]
        hub_cli(hub_url, "catalogue", "set", "hotich", "--name", "Tư pháp – Hộ tịch (mới)")
        wait_for(lambda: services(office)["hotich"]["name"] == "Tư pháp – Hộ tịch (mới)",
                 "the changed name")  # fmt: skip
        assert office.proc.pid == pid and office.proc.poll() is None  # no restart
        status = office.flask("hub", "status")
        assert "catalogue_version\t2" in status.splitlines()
        checks = requests.get(office.url + "/api/health", timeout=5).json()["checks"]["hub"]
        assert checks["catalogue_version"] == 2 and checks["catalogue_error"] is None
        # The hub sees which catalogue each office has.
        hub_cli(hub_url, "user", "add", "tinh", "--role", "province_viewer",
                "--password", "secret123")  # fmt: skip
        tok = hub_cli(hub_url, "user", "token", "tinh").strip().splitlines()[-1]
        auth = {"Authorization": f"Bearer {tok}"}

        def seen():
            rows = requests.get(hub.url + "/api/devices", headers=auth, timeout=5).json()
            return rows["offices"][0].get("catalogue_version") == 2

        wait_for(seen, "the office's catalogue version at the hub")
        # A retired code is no longer applied: the office keeps the names it has.
        hub_cli(hub_url, "catalogue", "set", "hotich", "--name", "Bỏ", "--retire")
        office.flask("hub", "sync")  # a sync now, from another process
        assert "catalogue_version\t3" in office.flask("hub", "status").splitlines()
        assert services(office)["hotich"]["name"] == "Tư pháp – Hộ tịch (mới)"
    finally:
        office.stop()
        hub.stop()
