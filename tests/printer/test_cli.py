"""`flask printer preview|test|status`."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops

from printer.cli import sample_ticket
from tests.helpers import free_port, site_config
from tests.printer.escpos_bytes import parse


@pytest.fixture
def config():
    return site_config(printer={"type": "file", "path": "out/printer.bin"})


def test_preview_writes_the_image_that_prints(app, onestop, runner, kiosk, tmp_path):
    kiosk.take_ticket("hotich")
    onestop.queue.drain()
    assert onestop.devices.printer.wait_idle()  # that ticket's own job is out of the way
    out = tmp_path / "p.png"
    r = runner.invoke(args=["printer", "preview", "--service", "hotich", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "A002" in r.output
    with app.app_context():
        expected = onestop.devices.printer.image_for(sample_ticket(onestop, "hotich"))
    got = Image.open(out)
    assert got.size == expected.size
    assert ImageChops.difference(got.convert("L"), expected.convert("L")).getbbox() is None
    # and the same image is what the printer receives for that ticket
    onestop.devices.printer.print_image(expected)
    jobs = parse((onestop.data_dir / "out" / "printer.bin").read_bytes())
    assert ImageChops.difference(jobs[-1].image().convert("L"), got.convert("L")).getbbox() is None


def test_preview_of_an_unknown_procedure(runner, tmp_path):
    r = runner.invoke(args=["printer", "preview", "--service", "nope", "-o", str(tmp_path / "x")])
    assert r.exit_code != 0
    assert "no procedure 'nope'" in r.output


def test_printer_test_prints_one_job(runner, onestop):
    r = runner.invoke(args=["printer", "test"])
    assert r.exit_code == 0, r.output
    assert "Test page sent to the file printer" in r.output
    (job,) = parse((onestop.data_dir / "out" / "printer.bin").read_bytes())
    assert job.cut and job.image().width == 576


def test_printer_status_on_a_file_printer(runner):
    r = runner.invoke(args=["printer", "status"])
    assert r.exit_code == 0
    assert "cannot report status" in r.output


class TestUnreachable:
    @pytest.fixture
    def config(self):
        return site_config(
            printer={"type": "network", "host": "127.0.0.1", "port": free_port(), "timeout_s": 1}
        )

    def test_printer_test_fails_with_a_reason(self, runner):
        r = runner.invoke(args=["printer", "test"])
        assert r.exit_code == 1
        assert "Printing failed (offline)" in r.output

    def test_printer_status_fails(self, runner):
        r = runner.invoke(args=["printer", "status"])
        assert r.exit_code == 1
        assert "Cannot reach the network printer" in r.output


class TestNone:
    @pytest.fixture
    def config(self):
        return site_config()

    def test_printer_test_says_none_is_configured(self, runner):
        r = runner.invoke(args=["printer", "test"])
        assert r.exit_code == 1
        assert "No printer configured" in r.output
