"""The ticket image: width per paper, Vietnamese text, the QR code of the status page."""

from __future__ import annotations

import unicodedata

import pytest
import qrcode
from PIL import ImageChops

from printer import layout

DATA = layout.TicketData(
    office="UBND xã Tân Châu – Bộ phận Một cửa",
    service="Tư pháp – Hộ tịch",
    service_en="Justice – Civil status",
    number="A012",
    url="http://192.168.1.20:5000/t/Zm9vYmFyYmF6cXV4",
    issued_at="09:05  30/11/2026",
    ahead=3,
    estimated_wait_s=1440,
    hotline="0221 3868 686",
    kiosk="kiosk-1",
)


def find(haystack, needle) -> tuple[int, int] | None:
    """Where `needle` appears pixel for pixel inside `haystack` (horizontally centred)."""
    x = (haystack.width - needle.width) // 2
    for y in range(haystack.height - needle.height + 1):
        box = haystack.crop((x, y, x + needle.width, y + needle.height))
        if ImageChops.difference(box.convert("L"), needle).getbbox() is None:
            return x, y
    return None


@pytest.mark.parametrize("paper,width", [(58, 384), (80, 576)])
def test_width_follows_the_paper(paper, width):
    img = layout.render(DATA, layout.WIDTHS[paper])
    assert img.mode == "1"
    assert img.width == width
    assert 500 < img.height < layout.MAX_HEIGHT


def test_nothing_is_drawn_in_the_margins():
    img = layout.render(DATA, 384)
    c = layout.Canvas(384)
    left = img.crop((0, 0, c.margin - 1, img.height))
    right = img.crop((img.width - c.margin + 1, 0, img.width, img.height))
    # All white: getextrema of a mode "1" image is (255, 255) when no dot is black.
    assert left.convert("L").getextrema() == (255, 255)
    assert right.convert("L").getextrema() == (255, 255)


def test_decomposed_text_prints_like_composed_text():
    nfd = layout.TicketData(
        **{**DATA.__dict__, "service": unicodedata.normalize("NFD", DATA.service)}
    )
    assert nfd.service != DATA.service
    a, b = layout.render(DATA, 576), layout.render(nfd, 576)
    assert ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None


def test_ticket_carries_the_qr_code_of_its_status_page():
    img = layout.render(DATA, 576)
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, mask_pattern=layout.QR_MASK
    )
    code.add_data(DATA.url)
    code.make(fit=True)
    modules = code.modules_count + 2 * code.border
    code.box_size = max(2, round(230) // modules)
    expected = code.make_image().get_image().convert("L")
    assert find(img, expected) is not None
    other = layout.render(layout.TicketData(**{**DATA.__dict__, "url": DATA.url + "x"}), 576)
    assert find(other, expected) is None


def test_priority_and_reprint_add_a_banner():
    plain = layout.render(DATA, 576)
    prio = layout.render(layout.TicketData(**{**DATA.__dict__, "priority": True}), 576)
    again = layout.render(layout.TicketData(**{**DATA.__dict__, "reprint": True}), 576)
    assert prio.height > plain.height
    assert again.height > plain.height


def test_long_names_wrap_instead_of_overflowing():
    long = layout.TicketData(
        **{**DATA.__dict__, "service": "Lao động – Thương binh và Xã hội " * 3}
    )
    img = layout.render(long, 384)
    assert img.width == 384
    assert img.height > layout.render(DATA, 384).height


@pytest.mark.parametrize(
    "seconds,ahead,expected",
    [
        (0, 0, ("Sắp đến lượt", "You are next")),
        (1440, 3, ("khoảng 24 phút", "about 24 min")),
        (30, 1, ("khoảng 1 phút", "about 1 min")),
        (3 * 3600, 20, ("khoảng 3 giờ", "about 3 h")),
        (None, 2, ("—", "—")),
    ],
)
def test_wait_text(seconds, ahead, expected):
    assert layout.wait_text(seconds, ahead) == expected


def test_ticket_data_from_an_api_ticket(onestop, kiosk):
    ticket = kiosk.take_ticket("hotich", priority=True, kiosk="kiosk-2")
    data = layout.ticket_data(ticket, onestop.settings.office, "http://x/t/1")
    assert data.service == "Tư pháp – Hộ tịch"
    assert data.service_en == "Justice – Civil status"
    assert data.number == ticket["number"]
    assert data.priority is True
    assert data.kiosk == "kiosk-2"
    assert data.issued_at == "09:00  30/11/2026"
    assert data.office == onestop.settings.office.name


def test_wrap_cuts_a_word_longer_than_the_line():
    f = layout.font(20)
    lines = layout.wrap("x" * 200, f, 100)
    assert len(lines) > 1
    assert all(f.getlength(line) <= 100 for line in lines)
    assert "".join(lines) == "x" * 200
