"""Byte level: the file printer receives one valid ESC/POS job per ticket, matching the preview."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops

from tests.helpers import site_config
from tests.printer.escpos_bytes import parse


@pytest.fixture
def config():
    return site_config(printer={"type": "file", "path": "printer.bin", "paper_mm": 80})


@pytest.fixture
def issued(onestop):
    """Every ticket_issued payload, as the print worker saw it."""
    seen = []
    onestop.queue.subscribe(
        lambda name, p: seen.append(p["ticket"]) if name == "ticket_issued" else None
    )
    return seen


def printed_bytes(onestop) -> bytes:
    onestop.queue.drain()
    assert onestop.devices.printer.wait_idle()
    return (onestop.data_dir / "printer.bin").read_bytes()


def same(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


def test_each_ticket_is_one_job_with_a_raster_image_and_a_cut(onestop, kiosk, issued):
    tickets = [kiosk.take_ticket("hotich"), kiosk.take_ticket("chungthuc")]
    jobs = parse(printed_bytes(onestop))
    assert len(jobs) == len(tickets)
    worker = onestop.devices.printer
    for job, ticket in zip(jobs, issued, strict=True):
        assert job.cut
        assert job.rasters, "the ticket is printed as a GS v 0 raster image"
        img = job.image()
        assert img.width == 576
        # The decoded bytes are exactly the image the preview renders for this ticket.
        assert same(img, worker.image_for(ticket))
    assert [t["id"] for t in issued] == [t["id"] for t in tickets]


def test_a_tall_ticket_is_sent_in_fragments_and_decodes_whole(onestop):
    from printer import layout

    worker = onestop.devices.printer
    data = layout.TicketData(office=onestop.settings.office.name, service="Đất đai – Xây dựng " * 12, service_en="",
                             number="C001", url="http://192.168.1.2/t/x", ahead=1)  # fmt: skip
    tall = layout.render(data, 576)
    assert tall.height > 960
    worker.print_image(tall)
    (job,) = parse((onestop.data_dir / "printer.bin").read_bytes())
    assert len(job.rasters) > 1
    assert same(job.image(), tall)


def test_success_is_logged_and_reported_to_the_kiosk(onestop, kiosk, client):
    ticket = kiosk.take_ticket("hotich")
    printed_bytes(onestop)
    r = client.get(f"/api/tickets/{ticket['id']}/print")
    assert r.status_code == 200
    assert r.get_json()["print"]["status"] == "printed"
    types = [
        row[0]
        for row in onestop.store.reader().execute(
            "SELECT type FROM events WHERE ticket_id = ? ORDER BY id", (ticket["id"],)
        )
    ]
    assert types == ["issued", "printed"]
    health = client.get("/api/health").get_json()["checks"]["printer"]
    assert health["status"] == "ok" and health["type"] == "file"


def test_58mm_paper_prints_384_dots(tmp_path, clock):
    from server.app import create_app

    app = create_app({"DATA_DIR": tmp_path / "d", "CLOCK": clock, "TESTING": True,
                      "CONFIG": site_config(printer={"type": "file", "paper_mm": 58})})  # fmt: skip
    e = app.extensions["onestop"]
    try:
        app.test_client().post("/api/tickets", json={"service": "hotich"})
        jobs = parse(printed_bytes(e))
        assert [j.image().width for j in jobs] == [384]
    finally:
        e.store.close()


def test_the_file_printer_appends_and_rotates(onestop, kiosk, monkeypatch):
    from printer import adapters

    kiosk.take_ticket("hotich")
    first = len(printed_bytes(onestop))
    monkeypatch.setattr(adapters, "FILE_ROTATE_BYTES", first - 1)
    kiosk.take_ticket("hotich")
    path = onestop.data_dir / "printer.bin"
    assert len(parse(printed_bytes(onestop))) == 1
    assert len(parse((path.parent / "printer.bin.1").read_bytes())) == 1
