#!/usr/bin/python3
"""What the installer and the units need from site.toml: check it, the day's times, the udev rule.

  site_config.py check    [CONFIG]   "OK: ..." or "CONFIG ERROR: file: key: reason" (exit 1)
  site_config.py schedule [CONFIG]   TZ=, CLOSE_AT=, SUMMARY_AT=, BACKUP_AT= lines for install.sh
  site_config.py udev     [CONFIG]   the udev rule giving the onestop group the USB printer

CONFIG defaults to $ONESTOP_CONFIG, then /etc/onestop/site.toml. Runs with the system
python3 (standard library only): it loads server/settings.py by path, not the server package,
so Flask is not needed.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CODE = HERE.parent
DEFAULT = "/etc/onestop/site.toml"
SUMMARY_AFTER_MIN = 15
BACKUP_AFTER_MIN = 30


def _settings_module():
    sys.path.insert(0, str(CODE))  # for `core`, which settings imports (stdlib only)
    spec = importlib.util.spec_from_file_location(
        "onestop_settings", CODE / "server" / "settings.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def load(path: str | None = None):
    """The checked Settings of `path` (raises the settings module's ConfigError)."""
    return _settings_module().load(path or os.environ.get("ONESTOP_CONFIG") or DEFAULT)


def _minutes(hhmm: str, key: str) -> int:
    h, _, m = hhmm.partition(":")
    if not (h.isdigit() and m.isdigit() and 0 <= int(h) <= 23 and 0 <= int(m) <= 59):
        raise ValueError(f"{key}: {hhmm!r} is not a time of day (HH:MM, 00:00-23:59)")
    return int(h) * 60 + int(m)


def _hhmm(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def schedule(settings) -> dict[str, str]:
    """Local times of the day's jobs: close at closing_time, summary 15 min later, backup."""
    office, backup = settings["office"], settings["backup"]
    close = _minutes(office["closing_time"], "office.closing_time")
    at = backup["time"]
    backup_at = _minutes(at, "backup.time") if at else close + BACKUP_AFTER_MIN
    return {
        "TZ": office["timezone"],
        "CLOSE_AT": _hhmm(close),
        "SUMMARY_AT": _hhmm(close + SUMMARY_AFTER_MIN),
        "BACKUP_AT": _hhmm(backup_at),
    }


def _hex4(value: str, key: str) -> str:
    v = value.lower().removeprefix("0x")
    if len(v) != 4 or any(c not in "0123456789abcdef" for c in v):
        raise ValueError(f"{key}: {value!r} is not a USB id such as 0x0416 (see lsusb)")
    return v


def udev_rule(settings, group: str = "onestop") -> str:
    """Rules giving `group` read/write access to the configured printer and to any USB printer."""
    p = settings["printer"]
    vendor = _hex4(p["usb_vendor"], "printer.usb_vendor")
    product = _hex4(p["usb_product"], "printer.usb_product")
    return (
        "# Written by /opt/onestop/systemd/install.sh from printer.usb_vendor/usb_product in\n"
        "# /etc/onestop/site.toml; run the installer again after changing them.\n"
        "# The configured printer (python-escpos talks to it through libusb):\n"
        f'SUBSYSTEM=="usb", ENV{{DEVTYPE}}=="usb_device", ATTR{{idVendor}}=="{vendor}", '
        f'ATTR{{idProduct}}=="{product}", GROUP="{group}", MODE="0660"\n'
        "# Any device with a USB printer-class interface (class 07), for a replacement printer:\n"
        'SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ENV{ID_USB_INTERFACES}=="*:0701??:*", '
        f'GROUP="{group}", MODE="0660"\n'
        "# Printers bound to the kernel's usblp driver (/dev/usb/lp0):\n"
        f'SUBSYSTEM=="usbmisc", KERNEL=="lp[0-9]*", GROUP="{group}", MODE="0660"\n'
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("check", "schedule", "udev"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    command, path = argv[0], (argv[1] if len(argv) > 1 else None)
    try:
        settings = load(path)
        if command == "check":
            office = settings.office
            print(f"OK: {settings.path}: {office.name} ({len(office.services)} procedures, "
                  f"{len(office.counters)} counters)")  # fmt: skip
        elif command == "schedule":
            for k, v in schedule(settings).items():
                print(f"{k}={v}")
        else:
            print(udev_rule(settings), end="")
    except ValueError as e:
        print(f"CONFIG ERROR: {settings.path}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # the settings module's ConfigError: file, key and reason
        if type(e).__name__ != "ConfigError":
            raise
        print(f"CONFIG ERROR: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
