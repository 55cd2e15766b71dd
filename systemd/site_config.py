#!/usr/bin/python3
"""What the installer and the units need from site.toml: check it, the day's times, the udev rule.

  site_config.py check    [CONFIG]   "OK: ..." or "CONFIG ERROR: file: key: reason" (exit 1)
  site_config.py schedule [CONFIG]   TZ=, CLOSE_AT=, SUMMARY_AT=, BACKUP_AT= lines for install.sh
  site_config.py udev     [CONFIG]   the udev rule giving the onestop group the USB printer

CONFIG defaults to $ONESTOP_CONFIG, then /etc/onestop/site.toml. Runs with the system
python3 (standard library only): it loads the server's config model, the server/settings/
package, by path, not through the server package, so Flask is not needed. Every rule is
there: this file checks nothing itself and reports exactly the server's "file: key: reason".
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
    """server/settings/ as the package `onestop_settings` (its modules import each other)."""
    if "onestop_settings" in sys.modules:
        return sys.modules["onestop_settings"]
    sys.path.insert(0, str(CODE))  # for `core`, which settings imports (stdlib only)
    package = CODE / "server" / "settings"
    spec = importlib.util.spec_from_file_location(
        "onestop_settings", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses and relative imports look it up there
    spec.loader.exec_module(mod)
    return mod


def load(path: str | None = None):
    """The checked Settings of `path` (raises the settings module's ConfigError)."""
    return _settings_module().load(path or os.environ.get("ONESTOP_CONFIG") or DEFAULT)


def _minutes(hhmm: str) -> int:
    """Minutes after midnight of an "HH:MM" the config model has checked."""
    h, _, m = hhmm.partition(":")
    return int(h) * 60 + int(m)


def _hhmm(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def schedule(settings) -> dict[str, str]:
    """Local times of the day's jobs: close at closing_time, summary 15 min later, backup."""
    office, backup = settings["office"], settings["backup"]
    close = _minutes(office["closing_time"])
    at = backup["time"]
    backup_at = _minutes(at) if at else close + BACKUP_AFTER_MIN
    return {
        "TZ": office["timezone"],
        "CLOSE_AT": _hhmm(close),
        "SUMMARY_AT": _hhmm(close + SUMMARY_AFTER_MIN),
        "BACKUP_AT": _hhmm(backup_at),
    }


def udev_rule(settings, group: str = "onestop") -> str:
    """Rules giving `group` read/write access to the configured printer and to any USB printer."""
    p = settings["printer"]  # the ids are ints, parsed and range-checked by the model
    vendor, product = f"{p['usb_vendor']:04x}", f"{p['usb_product']:04x}"
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
    except _settings_module().ConfigError as e:  # the server's line: file: key: reason
        print(f"CONFIG ERROR: {e}", file=sys.stderr)
        return 1
    if command == "check":
        office = settings.office
        print(f"OK: {settings.path}: {office.name} ({len(office.services)} procedures, "
              f"{len(office.counters)} counters)")  # fmt: skip
    elif command == "schedule":
        for k, v in schedule(settings).items():
            print(f"{k}={v}")
    else:
        print(udev_rule(settings), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
