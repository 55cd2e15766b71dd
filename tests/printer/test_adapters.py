"""Adapters: python-escpos classes per `[printer] type`, status parsing over a real socket."""

from __future__ import annotations

import pytest
from escpos.printer import Serial, Usb

from printer import adapters, layout
from tests.printer.fakes import LoopbackPrinter

# As the config model hands the section over: USB ids already parsed from "0x0416" to ints.
BASE = {"paper_mm": 80, "timeout_s": 2.0, "profile": "default", "path": "printer.bin",
        "usb_vendor": 0x0416, "usb_product": 0x5011, "host": "127.0.0.1", "port": 9100,
        "serial_device": "/dev/ttyUSB0", "baudrate": 19200, "cups_printer": "tm20"}  # fmt: skip


def cfg(**kw):
    return {**BASE, **kw}


def test_none_is_no_printer(tmp_path):
    assert adapters.connect(cfg(type="none"), tmp_path) is None


def test_file_printer_path_is_under_the_data_dir(tmp_path):
    p = adapters.connect(cfg(type="file"), tmp_path)
    assert isinstance(p, adapters.AppendFile)
    assert p.devfile == str(tmp_path / "printer.bin")
    assert p.profile.profile_data["media"]["width"]["pixels"] == 576


def test_usb_uses_escpos_usb_with_hex_ids(tmp_path):
    p = adapters.connect(cfg(type="usb"), tmp_path)  # not opened: no libusb needed yet
    assert isinstance(p, Usb)
    assert (p.usb_args["idVendor"], p.usb_args["idProduct"]) == (0x0416, 0x5011)


def test_usb_takes_the_ids_the_config_model_parsed(tmp_path):
    from server.settings import Settings
    from tests.helpers import site_config

    section = Settings(site_config(printer={"usb_vendor": "0x04B8", "usb_product": "0e15"}))
    p = adapters.connect({**section["printer"], "type": "usb"}, tmp_path)
    assert (p.usb_args["idVendor"], p.usb_args["idProduct"]) == (0x04B8, 0x0E15)


def test_serial_and_network(tmp_path):
    s = adapters.connect(cfg(type="serial"), tmp_path)
    assert isinstance(s, Serial) and s.baudrate == 19200
    n = adapters.connect(cfg(type="network", paper_mm=58), tmp_path)
    assert isinstance(n, adapters.NetworkPrinter) and n.port == 9100 and n.timeout == 2.0
    assert n.profile.profile_data["media"]["width"]["pixels"] == 384
    with pytest.raises(adapters.PrinterError):
        adapters.connect(cfg(type="network", host=""), tmp_path)


def test_cups_without_pycups_falls_back_to_lp(tmp_path):
    try:
        import cups  # noqa: F401

        pytest.skip("pycups is installed here")
    except ImportError:
        pass
    p = adapters.connect(cfg(type="cups"), tmp_path)
    assert isinstance(p, adapters.LpPrinter) and p.printer_name == "tm20"


def test_lp_fallback_hands_the_job_to_lp(tmp_path, monkeypatch):
    log = tmp_path / "lp.args"
    fake_lp = tmp_path / "bin" / "lp"
    fake_lp.parent.mkdir()
    fake_lp.write_text(f'#!/bin/sh\necho "$@" > {log}\ncat > {tmp_path / "lp.job"}\n')
    fake_lp.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_lp.parent}:/usr/bin:/bin")
    p = adapters.LpPrinter("tm20", timeout=5)
    adapters.send_image(p, layout.render_test("X", 576, "now"))
    assert log.read_text().split() == ["-d", "tm20", "-o", "raw", "-t", "onestop-ticket"]
    from tests.printer.escpos_bytes import parse

    assert len(parse((tmp_path / "lp.job").read_bytes())) == 1


def test_status_read_from_a_network_printer():
    fake = LoopbackPrinter(status=b"\x12")
    try:
        p = adapters.connect(cfg(type="network", port=fake.port), ".")
        st = adapters.read_status(p)
        assert (st.online, st.paper) == (True, "ok")
        p.close()
    finally:
        fake.close()


@pytest.mark.parametrize(
    "answer,expected",
    [
        ({2: b"\x12", 4: b"\x12"}, (True, "ok")),
        ({2: b"\x12", 4: b"\x1e"}, (True, "low")),  # near-end sensor
        ({2: b"\x32", 4: b"\x72"}, (False, "out")),  # stopped by paper end
        ({2: b"\x16", 4: b"\x12"}, (False, "ok")),  # cover open
        ({2: b"\x52", 4: b"\x12"}, (False, "ok")),  # error
    ],
)
def test_status_bits(answer, expected):
    fake = LoopbackPrinter(status=answer)
    try:
        p = adapters.connect(cfg(type="network", port=fake.port), ".")
        st = adapters.read_status(p)
        assert (st.online, st.paper) == expected
        p.close()
    finally:
        fake.close()


def test_silent_printer_gives_no_status_quickly():
    fake = LoopbackPrinter(status=None)
    try:
        p = adapters.connect(cfg(type="network", port=fake.port), ".")
        st = adapters.read_status(p)
        assert (st.online, st.paper) == (None, None)
        assert p.device.gettimeout() == 2.0, "the job's own timeout is restored"
        p.close()
    finally:
        fake.close()


def test_file_connections_cannot_report_status(tmp_path):
    p = adapters.connect(cfg(type="file"), tmp_path)
    assert not adapters.can_read(p)
    assert adapters.read_status(p).as_dict() == {"online": None, "paper": None}
