"""The small programs the units run: site_config.py, onestop-wait-health, onestop-browser."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, LiveServer, free_port, site_config

SYSTEMD = ROOT / "systemd"


def _site_config():
    spec = importlib.util.spec_from_file_location("site_config", SYSTEMD / "site_config.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


sc = _site_config()


def settings(**overrides):
    from server.settings import Settings

    return Settings(site_config(**overrides))


def test_schedule_follows_closing_time_and_wraps_past_midnight():
    assert sc.schedule(settings()) == {
        "TZ": "Asia/Ho_Chi_Minh", "CLOSE_AT": "17:30", "SUMMARY_AT": "17:45", "BACKUP_AT": "18:00"
    }  # fmt: skip
    late = sc.schedule(settings(office={"closing_time": "23:50"}, backup={"time": "02:15"}))
    assert (late["SUMMARY_AT"], late["BACKUP_AT"]) == ("00:05", "02:15")


def test_a_time_out_of_range_is_a_config_error(tmp_path):
    conf = tmp_path / "site.toml"
    text = (ROOT / "config/site.toml").read_text(encoding="utf-8")
    conf.write_text(text.replace('closing_time = "17:30"', 'closing_time = "25:10"'), "utf-8")
    out = subprocess.run([sys.executable, str(SYSTEMD / "site_config.py"), "schedule", str(conf)],
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 1
    assert "CONFIG ERROR" in out.stderr and "office.closing_time" in out.stderr


def test_check_names_file_key_and_reason(tmp_path):
    conf = tmp_path / "site.toml"
    conf.write_text('[office]\nname = "X"\n[printer]\ntype = "laser"\n', "utf-8")
    out = subprocess.run([sys.executable, str(SYSTEMD / "site_config.py"), "check", str(conf)],
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 1
    assert f"CONFIG ERROR: {conf}: printer.type: must be one of" in out.stderr
    ok = subprocess.run([sys.executable, str(SYSTEMD / "site_config.py"), "check",
                         str(ROOT / "config/site.toml")], capture_output=True, text=True)  # fmt: skip
    assert ok.returncode == 0 and ok.stdout.startswith("OK: ")


def test_udev_rule_uses_the_configured_ids_and_rejects_bad_ones():
    rule = sc.udev_rule(settings(printer={"usb_vendor": "0x04B8", "usb_product": "0x0E15"}))
    assert 'ATTR{idVendor}=="04b8", ATTR{idProduct}=="0e15"' in rule
    assert 'ENV{ID_USB_INTERFACES}=="*:0701??:*"' in rule
    for line in rule.splitlines():  # every rule line: comma-separated KEY=="v" / KEY="v" pairs
        if line and not line.startswith("#"):
            for pair in line.split(", "):
                assert pair.count('"') == 2 and ("==" in pair or '="' in pair), pair
    with pytest.raises(ValueError, match="lsusb"):
        sc.udev_rule(settings(printer={"usb_vendor": "Epson"}))


@pytest.mark.slow
def test_wait_health_returns_when_the_server_answers(tmp_path):
    server = LiveServer(tmp_path / "live").start()
    try:
        out = subprocess.run([str(SYSTEMD / "onestop-wait-health"), server.url, "--timeout", "20"],
                             capture_output=True, text=True, timeout=30)  # fmt: skip
        assert out.returncode == 0 and "up after" in out.stdout
    finally:
        server.stop()


def test_wait_health_gives_up_after_its_timeout():
    url = f"http://127.0.0.1:{free_port()}"
    out = subprocess.run([str(SYSTEMD / "onestop-wait-health"), url, "--timeout", "2"],
                         capture_output=True, text=True, timeout=30)  # fmt: skip
    assert out.returncode == 1 and "still down" in out.stderr


def fake_chromium(tmp_path: Path) -> Path:
    """Stands in for the browser (a physical screen is not here): records its arguments."""
    path = tmp_path / "chromium"
    path.write_text(
        "#!/bin/sh\n"
        f'python3 -c \'import json,os,sys; json.dump({{"args": sys.argv[1:], '
        f'"wayland": os.environ.get("WAYLAND_DISPLAY")}}, open("{tmp_path}/called.json","w"))\' "$@"\n'
    )
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("role,page", [("kiosk", "/kiosk"), ("display", "/display")])
def test_browser_launcher_finds_the_wayland_desktop_and_starts_kiosk_mode(tmp_path, role, page):
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(runtime / "wayland-1"))  # the compositor's socket, as labwc/wayfire make it
    home = tmp_path / "home"
    prefs = home / f".local/state/onestop/chromium-{role}/Default/Preferences"
    prefs.parent.mkdir(parents=True)
    prefs.write_text('{"profile":{"exit_type":"Crashed","exited_cleanly":false}}')
    env = {
        "PATH": os.environ["PATH"], "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime),
        "ONESTOP_URL": "http://10.0.0.5:8000", "ONESTOP_CHROMIUM": str(fake_chromium(tmp_path)),
        "ONESTOP_DISPLAY_ARGS": "--window-position=1920,0",
    }  # fmt: skip
    try:
        out = subprocess.run([str(SYSTEMD / "onestop-browser"), role], env=env,
                             capture_output=True, text=True, timeout=30)  # fmt: skip
    finally:
        sock.close()
    assert out.returncode == 0, out.stderr
    called = json.loads((tmp_path / "called.json").read_text())
    args = called["args"]
    assert called["wayland"] == "wayland-1"
    assert args[-1] == "http://10.0.0.5:8000" + page
    assert "--kiosk" in args and "--autoplay-policy=no-user-gesture-required" in args
    assert f"--user-data-dir={prefs.parent.parent}" in args
    assert ("--window-position=1920,0" in args) == (role == "display")
    assert json.loads(prefs.read_text())["profile"] == {
        "exit_type": "Normal",
        "exited_cleanly": True,
    }
