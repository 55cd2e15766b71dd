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


def _free_x_display() -> int:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/Xvfb").exists(), reason="xvfb: scripts/setup.sh --dev")
def test_browser_launcher_opens_real_chromium_in_kiosk_mode_on_an_x11_desktop(tmp_path):
    """The launcher on an X11 desktop (Xvfb stands in for the screen) with the real browser."""
    import time

    import requests

    n = _free_x_display()
    xvfb = subprocess.Popen(["/usr/bin/Xvfb", f":{n}", "-nolisten", "tcp", "-screen", "0",
                             "1280x720x24"], stderr=subprocess.DEVNULL)  # fmt: skip
    server = LiveServer(tmp_path / "live").start()
    devtools = free_port()
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "DISPLAY": f":{n}",
        "XDG_RUNTIME_DIR": str(runtime), "ONESTOP_URL": server.url,
        "ONESTOP_CHROMIUM": "/usr/bin/chromium",
        # The container runs as root without GPU; the port lets the test see what opened.
        "ONESTOP_DISPLAY_ARGS": f"--no-sandbox --disable-gpu --disable-background-networking "
        f"--disable-component-update --disable-sync --remote-debugging-port={devtools}",
    }  # fmt: skip
    browser = None
    try:
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                break
            time.sleep(0.1)
        browser = subprocess.Popen([str(SYSTEMD / "onestop-browser"), "display"], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        pages = []
        for _ in range(150):
            try:
                pages = requests.get(f"http://127.0.0.1:{devtools}/json", timeout=1).json()
                if any(p.get("url") == server.url + "/display" for p in pages):
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        assert any(p.get("url") == server.url + "/display" for p in pages), pages
        # exec: the launcher's process is Chromium itself, so systemd watches the browser.
        cmdline = Path(f"/proc/{browser.pid}/cmdline").read_bytes().split(b"\0")
        assert b"--kiosk" in cmdline and b"--autoplay-policy=no-user-gesture-required" in cmdline
    finally:
        if browser:
            browser.terminate()
            browser.wait(20)
        server.stop()
        xvfb.terminate()
        xvfb.wait(10)
