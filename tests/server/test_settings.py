"""A broken config stops start-up with the file, the key and the reason."""

import subprocess
import sys

import pytest

from server.settings import ConfigError, Settings, load, schema_markdown
from tests.helpers import ROOT, site_config


def test_demo_config_loads():
    s = load(ROOT / "config" / "site.toml")
    assert s.office.name == "UBND xã Tân Châu – Bộ phận Một cửa"
    assert s.office.timezone == "Asia/Ho_Chi_Minh"
    normal = [svc for svc in s.office.services if svc.kind == "normal"]
    assert 5 <= len(normal) <= 6 and len(s.office.counters) == 4
    assert s.office.return_service.code == "traketqua"  # and the result-return procedure
    assert s.office.enforce_hours is False
    hotich = s.office.service("hotich")
    assert hotich.hours["sat"] and not s.office.service("chungthuc").hours.get("sat")
    assert s.officials and all(o["phone"] for o in s.officials)


def write(tmp_path, text):
    p = tmp_path / "site.toml"
    p.write_text(text, encoding="utf-8")
    return p


def demo_text():
    return (ROOT / "config" / "site.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "change,key,reason",
    [
        (lambda t: t + "\n[office\n", "(syntax)", "not valid TOML"),
        (lambda t: t.replace("[kiosk]", "[kiosk]\ncolour = 'red'"), "kiosk.colour", "unknown key"),
        (lambda t: t.replace("paper_mm = 80", 'paper_mm = "80"'), "printer.paper_mm", "expected a whole number"),
        (lambda t: t.replace("paper_mm = 80", "paper_mm = 70"), "printer.paper_mm", "must be one of"),
        (lambda t: t.replace('services = ["datdai", "khac"]', 'services = ["datdai", "xyz"]'),
         "counters[2].services", "unknown procedure 'xyz'"),
        (lambda t: t.replace('timezone = "Asia/Ho_Chi_Minh"', 'timezone = "Mars/Base"'),
         "office.timezone", "unknown time zone"),
        (lambda t: t.replace('prefix = "B"', 'prefix = "A"'), "services.chungthuc.range_start", "overlap"),
        (lambda t: t.replace('sat = ["07:30-11:30"]', 'sat = ["11:30-07:30"]'), "services[0].hours.sat", "ends before"),
        (lambda t: t + "\n[extras]\n", "extras", "unknown section"),
    ],
)  # fmt: skip
def test_broken_file_names_file_key_and_reason(tmp_path, change, key, reason):
    path = write(tmp_path, change(demo_text()))
    with pytest.raises(ConfigError) as e:
        load(path)
    assert e.value.key == key
    assert reason in e.value.reason
    assert str(path) in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as e:
        load(tmp_path / "nope.toml")
    assert "cannot read" in e.value.reason


def test_required_keys():
    cfg = site_config()
    del cfg["office"]["name"]
    with pytest.raises(ConfigError) as e:
        Settings(cfg)
    assert e.value.key == "office.name" and e.value.reason == "is required"


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("ONESTOP_PRINTER_TYPE", "none")
    monkeypatch.setenv("ONESTOP_OFFICE_ENFORCE_HOURS", "true")
    s = Settings(site_config())
    assert s["printer"]["type"] == "none" and s.office.enforce_hours is True
    monkeypatch.setenv("ONESTOP_PRINTER_PORT", "abc")
    with pytest.raises(ConfigError) as e:
        Settings(site_config())
    assert e.value.key == "ONESTOP_PRINTER_PORT"


def test_text_is_nfc_normalised():
    cfg = site_config()
    cfg["office"]["name"] = "UBND xa\u0303 Tân Châu"  # decomposed ã
    assert Settings(cfg).office.name == "UBND xã Tân Châu"


def test_schema_lists_every_setting():
    md = schema_markdown()
    for key in (
        "office.enforce_hours",
        "printer.type",
        "[[services]].hours",
        "[[counters]].services",
    ):
        assert f"`{key}`" in md


def test_server_refuses_to_start_with_a_broken_file(tmp_path):
    path = write(tmp_path, demo_text().replace("paper_mm = 80", 'paper_mm = "wide"'))
    out = subprocess.run(
        [sys.executable, "-m", "flask", "init"],
        cwd=ROOT,
        env={
            "ONESTOP_CONFIG": str(path),
            "ONESTOP_DATA": str(tmp_path / "d"),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert f"{path}: printer.paper_mm: expected a whole number" in out.stderr
