"""Every rule of the one config model, and that the server, the Pi's pre-start check and
README all use it: the same `file: key: reason` line, the same table."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from server.settings import ConfigError, Settings, load, schema_markdown
from server.settings.markdown import END, README, START, readme_table, with_table
from tests.helpers import ROOT, site_config

SITE_CONFIG = ROOT / "systemd" / "site_config.py"


def service(i, **kw):
    cfg = site_config()
    cfg["services"][i].update(kw)
    return cfg


def counter(i, **kw):
    cfg = site_config()
    cfg["counters"][i].update(kw)
    return cfg


def extra(section, *rows):
    cfg = site_config()
    cfg[section] = list(rows)
    return cfg


def buttons(*rows):
    return site_config(kiosk={"buttons": list(rows)})


RULES = [
    # office
    (site_config(office={"name": " "}), "office.name", "must not be empty"),
    (site_config(office={"day_starts_at": 24}), "office.day_starts_at", "must be 0 to 23"),
    (site_config(office={"day_starts_at": -1}), "office.day_starts_at", "must be 0 to 23"),
    (site_config(office={"timezone": "Mars/Base"}), "office.timezone", "unknown time zone"),
    (site_config(office={"public_url": "xa.example.vn"}), "office.public_url", "expected an address"),
    (site_config(office={"language": "fr"}), "office.language", "must be one of vi, en"),
    (site_config(office={"target_share_pct": 0}), "office.target_share_pct", "must be 1 to 100"),
    (site_config(office={"target_share_pct": 101}), "office.target_share_pct", "must be 1 to 100"),
    (site_config(office={"closing_time": "25:10"}), "office.closing_time", "expected HH:MM"),
    (site_config(office={"closing_time": "17:60"}), "office.closing_time", "expected HH:MM"),
    (site_config(office={"closing_time": ""}), "office.closing_time", "expected HH:MM"),
    (site_config(office={"enforce_hours": "yes"}), "office.enforce_hours", "expected true or false"),
    # kiosk
    (site_config(kiosk={"id": ""}), "kiosk.id", "must not be empty"),
    (site_config(kiosk={"return_after_s": 0}), "kiosk.return_after_s", "must be 1 to 120"),
    (site_config(kiosk={"priority_categories": ["a", 1]}), "kiosk.priority_categories", "expected a list of text"),
    # printer
    (site_config(printer={"type": "laser"}), "printer.type", "must be one of usb, network"),
    (site_config(printer={"usb_vendor": "Epson"}), "printer.usb_vendor", "expected a USB id such as 0x0416"),
    (site_config(printer={"usb_vendor": "0x10000"}), "printer.usb_vendor", "0x0000-0xFFFF"),
    (site_config(printer={"usb_vendor": 0x10000}), "printer.usb_vendor", "0x0000-0xFFFF"),
    (site_config(printer={"usb_product": "zz"}), "printer.usb_product", "see lsusb"),
    (site_config(printer={"usb_product": "0x-1"}), "printer.usb_product", "see lsusb"),
    (site_config(printer={"port": 0}), "printer.port", "must be 1 to 65535"),
    (site_config(printer={"port": 65536}), "printer.port", "must be 1 to 65535"),
    (site_config(printer={"port": True}), "printer.port", "expected a whole number"),
    (site_config(printer={"baudrate": 12345}), "printer.baudrate", "must be one of 1200"),
    (site_config(printer={"timeout_s": 0}), "printer.timeout_s", "must be 0.5 to 60"),
    (site_config(printer={"timeout_s": -1.0}), "printer.timeout_s", "must be 0.5 to 60"),
    (site_config(printer={"type": "network", "host": ""}), "printer.host", "required when printer.type is network"),
    (site_config(printer={"path": ""}), "printer.path", "must not be empty"),
    # voice
    (site_config(voice={"engines": ["espeak", "festival"]}), "voice.engines[1]", "must be one of gtts, espeak"),
    (site_config(voice={"engines": ["gtts", "gtts"]}), "voice.engines[1]", "listed twice"),
    (site_config(voice={"languages": ["vi", "fr"]}), "voice.languages[1]", "must be one of vi, en"),
    (site_config(voice={"template_vi": "Mời số {ticket}"}), "voice.template_vi", "only {number} and {counter} may be used, not {ticket}"),
    (site_config(voice={"template_en": "No. {number:>5}"}), "voice.template_en", "not {number:>5}"),
    (site_config(voice={"template_en": "No. {number!r}"}), "voice.template_en", "not {number!r}"),
    (site_config(voice={"template_en": "No. {}"}), "voice.template_en", "only {number} and {counter}"),
    (site_config(voice={"template_vi": "Mời số {number"}), "voice.template_vi", "only {number} and {counter}"),
    (site_config(voice={"template_vi": "Mời đến quầy {counter}"}), "voice.template_vi", "{number}"),
    (site_config(voice={"repeat": 0}), "voice.repeat", "must be 1 to 5"),
    (site_config(voice={"repeat": 6}), "voice.repeat", "must be 1 to 5"),
    (site_config(voice={"numbers": "roman"}), "voice.numbers", "must be one of digits, words"),
    (site_config(voice={"dialect": "central"}), "voice.dialect", "must be one of north, south"),
    (site_config(voice={"gtts_timeout_s": 0}), "voice.gtts_timeout_s", "must be 0.5 to 60"),
    (site_config(voice={"gtts_interval_s": -1}), "voice.gtts_interval_s", "must be 0 to 60"),
    (site_config(voice={"espeak_speed": 10}), "voice.espeak_speed", "must be 80 to 450"),
    (site_config(voice={"player": ""}), "voice.player", "must not be empty"),
    # display, backup
    (site_config(display={"recent_calls": 0}), "display.recent_calls", "must be 1 to 50"),
    (site_config(display={"recent_calls": 51}), "display.recent_calls", "must be 1 to 50"),
    (site_config(display={"flash_s": -1}), "display.flash_s", "must be 0 to 60"),
    (site_config(display={"notice_rotate_s": 1}), "display.notice_rotate_s", "must be 3 to 600"),
    (site_config(backup={"keep": 0}), "backup.keep", "must be 1 to 365"),
    (site_config(backup={"time": "7h"}), "backup.time", "expected HH:MM"),
    (site_config(security={"secure_cookies": 1}), "security.secure_cookies", "expected true or false"),
    # [[services]]
    (service(0, code="Hộ tịch"), "services[0].code", "lower-case letters"),
    (service(1, code="hotich"), "services[1].code", "duplicate procedure code 'hotich'"),
    (service(0, prefix="a"), "services[0].prefix", "1-3 capital letters"),
    (service(0, name=""), "services[0].name", "must not be empty"),
    (service(0, range_start=500, range_end=100), "services[0].range_end", "range_start <= range_end"),
    (service(0, range_end=10000), "services[0].range_end", "must be 0 to 9999"),
    (service(0, target_wait_min=0), "services[0].target_wait_min", "must be 1 to 480"),
    (service(0, service_min=0), "services[0].service_min", "must be 1 to 480"),
    (service(0, hours={"someday": ["07:30-11:30"]}), "services[0].hours.someday", "unknown day"),
    (service(0, hours={"mon": ["7h-11h"]}), "services[0].hours.mon", "bad session"),
    (extra("services"), "services", "at least one procedure"),
    # [[counters]]
    (counter(0, number=0), "counters[0].number", "must be 1 to 999"),
    (counter(1, number=1), "counters[1].number", "must be positive and unique"),
    (counter(0, services=[]), "counters[0].services", "must not be empty"),
    (counter(0, services=["hotich", "hotich"]), "counters[0].services[1]", "listed twice"),
    (counter(2, services=["datdai", "xyz"]), "counters[2].services", "unknown procedure 'xyz'"),
    (extra("counters"), "counters", "at least one counter"),
    # [[displays]], [[notices]], [[officials]], [[kiosk.buttons]]
    (extra("displays", {"name": "a", "counters": [9]}), "displays[0].counters", "unknown counter 9"),
    (extra("displays", {"name": "a", "services": ["xyz"]}), "displays[0].services", "unknown procedure 'xyz'"),
    (extra("displays", {"name": "a"}, {"name": "a"}), "displays[1].name", "duplicate display name"),
    (extra("displays", {"name": ""}), "displays[0].name", "must not be empty"),
    (extra("notices", {"title": ""}), "notices[0].title", "must not be empty"),
    (extra("officials", {"name": ""}), "officials[0].name", "must not be empty"),
    (extra("officials", {"name": "A", "rank": 1}), "officials[0].rank", "unknown key"),
    (buttons({"pin": 17, "service": "xyz"}), "kiosk.buttons[0].service", "unknown procedure 'xyz'"),
    (buttons({"pin": 40, "service": "hotich"}), "kiosk.buttons[0].pin", "must be 0 to 27"),
    (buttons({"pin": 17, "service": "hotich"}, {"pin": 17, "service": "datdai"}),
     "kiosk.buttons[1].pin", "GPIO pin 17 is used twice"),
    # dossiers and the result-return procedure
    (service(0, kind="return"), "services[6].kind", "only one procedure may be the result-return"),
    (service(0, kind="both"), "services[0].kind", "must be one of normal, return"),
    (buttons({"pin": 17, "service": "traketqua"}), "kiosk.buttons[0].service", "has no button"),
    (site_config(dossiers={"code_pattern": "[A-Z"}), "dossiers.code_pattern", "not a regular expression"),
    (site_config(dossiers={"keep_phone_days": -1}), "dossiers.keep_phone_days", "must be 0 to 365"),
    (site_config(dossiers={"max_phone_days": 0}), "dossiers.max_phone_days", "must be 1 to 730"),
]  # fmt: skip


@pytest.mark.parametrize("cfg,key,reason", RULES, ids=[f"{k}:{r}" for _, k, r in RULES])
def test_every_rule_names_its_key_and_reason(cfg, key, reason):
    with pytest.raises(ConfigError) as e:
        Settings(cfg, "site.toml")
    assert e.value.key == key
    assert reason in e.value.reason
    assert str(e.value) == f"site.toml: {key}: {e.value.reason}"


def test_values_are_parsed_once_for_every_reader():
    s = Settings(site_config(
        printer={"usb_vendor": "0x04B8", "usb_product": "0e15"},
        office={"closing_time": "7:05"},
        display={"recent_calls": 20},
    ))  # fmt: skip
    assert (s["printer"]["usb_vendor"], s["printer"]["usb_product"]) == (0x04B8, 0x0E15)
    assert s["office"]["closing_time"] == "07:05"
    assert s["display"]["recent_calls"] == 20
    assert Settings(site_config(printer={"usb_vendor": 0x04B8}))["printer"]["usb_vendor"] == 0x04B8
    defaults = Settings(site_config())
    assert (defaults["printer"]["usb_vendor"], defaults["printer"]["usb_product"]) == (
        0x0416,
        0x5011,
    )
    assert defaults["display"]["recent_calls"] == 8
    espeak_ng = Settings(site_config(voice={"engines": ["espeak-ng"]}))
    assert espeak_ng["voice"]["engines"] == ["espeak-ng"]


def test_environment_overrides_follow_the_same_rules(monkeypatch):
    monkeypatch.setenv("ONESTOP_PRINTER_USB_VENDOR", "0x04b8")
    monkeypatch.setenv("ONESTOP_DISPLAY_RECENT_CALLS", "12")
    s = Settings(site_config())
    assert s["printer"]["usb_vendor"] == 0x04B8 and s["display"]["recent_calls"] == 12
    monkeypatch.setenv("ONESTOP_VOICE_REPEAT", "9")
    with pytest.raises(ConfigError) as e:
        Settings(site_config())
    assert str(e.value) == "ONESTOP_VOICE_REPEAT: voice.repeat: must be 1 to 5, got 9"


def write(tmp_path, old, new):
    text = (ROOT / "config" / "site.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "site.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


BAD_FILES = [
    ('usb_vendor = "0x0416"', 'usb_vendor = "0xZZ16"', "printer.usb_vendor"),
    ("repeat = 1", "repeat = 6", "voice.repeat"),
    ('template_vi = "Mời công dân', 'template_vi = "{so} Mời công dân', "voice.template_vi"),
    ("recent_calls = 8", "recent_calls = 0", "display.recent_calls"),
    ('engines = ["gtts", "espeak"]', 'engines = ["gtts", "festival"]', "voice.engines[1]"),
    ('services = ["datdai", "khac"]', 'services = ["datdai", "xyz"]', "counters[2].services"),
    ('closing_time = "17:30"', 'closing_time = "25:10"', "office.closing_time"),
]


@pytest.mark.parametrize("old,new,key", BAD_FILES, ids=[k for _, _, k in BAD_FILES])
def test_pre_start_check_reports_the_servers_line(tmp_path, old, new, key):
    path = write(tmp_path, old, new)
    with pytest.raises(ConfigError) as e:
        load(path)
    line = str(e.value)
    assert line.startswith(f"{path}: {key}: ")
    # -S: no site-packages, so no Flask -- as the Pi's system python3 runs it
    out = subprocess.run([sys.executable, "-S", str(SITE_CONFIG), "check", str(path)],
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 1
    assert out.stderr == f"CONFIG ERROR: {line}\n"


def test_server_start_up_refuses_a_bad_usb_id_with_the_same_line(tmp_path):
    path = write(tmp_path, 'usb_product = "0x5011"', 'usb_product = "5011h"')
    with pytest.raises(ConfigError) as e:
        load(path)
    out = subprocess.run(
        [sys.executable, "-m", "flask", "init"], cwd=ROOT,
        env={"ONESTOP_CONFIG": str(path), "ONESTOP_DATA": str(tmp_path / "d"), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode != 0
    assert str(e.value) in out.stderr
    assert f"{path}: printer.usb_product: expected a USB id such as 0x0416" in out.stderr


def test_pre_start_check_accepts_the_demo_office_without_flask():
    out = subprocess.run([sys.executable, "-S", str(SITE_CONFIG), "check",
                          str(ROOT / "config" / "site.toml")], capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("OK: ")


def test_readme_table_is_the_models_table():
    text = README.read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1
    assert readme_table(text) == schema_markdown(), (
        "README.md's configuration table is stale: run .venv/bin/python -m server.settings --readme"
    )
    assert "`security.secure_cookies`" in readme_table(text)


def test_readme_rewrite_replaces_only_the_table():
    text = f"intro\n{START}\n| old |\n{END}\nafter\n"
    new = with_table(text, "| new |")
    assert new == f"intro\n{START}\n| new |\n{END}\nafter\n"
    with pytest.raises(ValueError):
        readme_table("no markers here")


def test_schema_prints_every_rule():
    md = schema_markdown()
    assert re.search(r"`voice\.repeat` \|.*1 to 5\.", md)
    assert re.search(r"`display\.recent_calls` \|.*1 to 50\.", md)
    assert re.search(r"`voice\.engines` \|.*Each one of: gtts, espeak", md)
    assert re.search(r"`printer\.usb_vendor` \| USB id \(hex text\) \| '0x0416'", md)


def test_only_the_model_raises_config_errors():
    """The model is the one place that validates the file: no other module raises ConfigError."""
    files = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()  # fmt: skip
    assert "server/settings/model.py" in files
    elsewhere = [f for f in files if not f.startswith(("server/settings/", "tests/"))]
    raising = [f for f in elsewhere if "ConfigError(" in (ROOT / f).read_text(encoding="utf-8")]
    assert raising == []


def test_readme_command_rewrites_a_stale_table(tmp_path, monkeypatch, capsys):
    from server.settings import __main__ as cmd
    from server.settings import markdown

    stale = tmp_path / "README.md"
    stale.write_text(f"# X\n{START}\n| key |\n{END}\n", encoding="utf-8")
    monkeypatch.setattr(cmd, "README", stale)
    monkeypatch.setattr(cmd, "write_readme", lambda: markdown.write_readme(stale))
    assert cmd.main(["--readme"]) == 0 and "table rewritten" in capsys.readouterr().out
    assert readme_table(stale.read_text(encoding="utf-8")) == schema_markdown()
    assert cmd.main(["--readme"]) == 0 and "already up to date" in capsys.readouterr().out
    assert cmd.main([]) == 0 and capsys.readouterr().out == schema_markdown() + "\n"
    assert cmd.main(["--bogus"]) == 2
