"""The ticket as a 1-bit Pillow image: what prints is exactly what the preview shows.

Text is drawn as pixels, never sent as printer text, so Vietnamese needs no code page:
a printer that numbers its code pages differently cannot turn "Hộ tịch" into "H? t?ch".
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR = FONT_DIR / "DejaVuSans.ttf"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
# Printable dots across the paper at 203 dpi.
WIDTHS = {58: 384, 80: 576}
MAX_HEIGHT = 3000
QR_MASK = 2


def nfc(text) -> str:
    return unicodedata.normalize("NFC", str(text))


@functools.lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The vendored DejaVu Sans at `size` px (basic layout: the same result on every machine)."""
    return ImageFont.truetype(
        str(BOLD if bold else REGULAR), size, layout_engine=ImageFont.Layout.BASIC
    )


@dataclass(frozen=True)
class TicketData:
    """Everything printed on one ticket, already chosen and formatted."""

    office: str
    service: str
    service_en: str
    number: str
    url: str
    issued_at: str = ""
    ahead: int | None = None
    estimated_wait_s: int | None = None
    priority: bool = False
    hotline: str = ""
    kiosk: str | None = None
    reprint: bool = False


def format_time(iso_text: str | None) -> str:
    """'2026-11-30T09:05:00+07:00' -> '09:05  30/11/2026' (the office's own offset)."""
    if not iso_text:
        return ""
    t = dt.datetime.fromisoformat(iso_text)
    return f"{t:%H:%M}  {t:%d/%m/%Y}"


def ticket_data(ticket: dict, office, url: str, reprint: bool = False) -> TicketData:
    """Build TicketData from an API Ticket object and the core's Office."""
    svc = office.service(ticket["service"])
    return TicketData(
        office=office.name,
        service=svc.name if svc else ticket["service"],
        service_en=svc.name_en if svc else "",
        number=ticket["number"],
        url=url,
        issued_at=format_time(ticket.get("issued_at")),
        ahead=ticket.get("position"),
        estimated_wait_s=ticket.get("estimated_wait_s"),
        priority=bool(ticket.get("priority")),
        hotline=office.hotline,
        kiosk=ticket.get("kiosk"),
        reprint=reprint,
    )


def qr_code(data: str) -> qrcode.QRCode:
    """The QR code of `data` (medium error correction).

    A fixed mask pattern: scoring all eight masks is two thirds of a ticket's render
    time, and any mask is valid and reads the same on a phone.
    """
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, mask_pattern=QR_MASK
    )
    code.add_data(data)
    code.make(fit=True)
    return code


def wait_text(seconds: int | None, ahead: int | None) -> tuple[str, str]:
    """The estimated wait in Vietnamese and English."""
    if ahead == 0:
        return "Sắp đến lượt", "You are next"
    if seconds is None:
        return "—", "—"
    minutes = max(1, math.ceil(seconds / 60))
    if minutes >= 120:
        return f"khoảng {minutes // 60} giờ", f"about {minutes // 60} h"
    return f"khoảng {minutes} phút", f"about {minutes} min"


def wrap(text: str, f: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to `width` px; a single over-long word is cut by characters."""
    lines: list[str] = []
    line = ""
    for word in nfc(text).split():
        trial = f"{line} {word}".strip()
        if f.getlength(trial) <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        while f.getlength(word) > width and len(word) > 1:
            cut = len(word)
            while cut > 1 and f.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


class Canvas:
    """A white strip the layout draws down, top to bottom, then crops."""

    def __init__(self, width: int):
        self.width = width
        self.scale = width / 576
        self.margin = round(16 * self.scale)
        self.image = Image.new("L", (width, MAX_HEIGHT), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.y = round(8 * self.scale)

    def px(self, n: float) -> int:
        return max(1, round(n * self.scale))

    @property
    def inner(self) -> int:
        return self.width - 2 * self.margin

    def space(self, n: float) -> None:
        self.y += self.px(n)

    def text(self, text: str, size: float, bold: bool = False, align: str = "center") -> None:
        f = font(self.px(size), bold)
        ascent, descent = f.getmetrics()
        for line in wrap(text, f, self.inner):
            w = f.getlength(line)
            x = self.margin if align == "left" else (self.width - w) / 2
            self.draw.text((x, self.y), line, font=f, fill=0)
            self.y += ascent + descent + self.px(2)

    def fit(self, text: str, size: float, bold: bool = True) -> None:
        """One line of text as large as fits, up to `size` (the ticket number)."""
        px = self.px(size)
        while px > 10 and font(px, bold).getlength(nfc(text)) > self.inner:
            px -= 2
        f = font(px, bold)
        left, top, right, bottom = f.getbbox(nfc(text))
        x = (self.width - (right - left)) / 2 - left
        self.draw.text((x, self.y - top), nfc(text), font=f, fill=0)
        self.y += bottom - top

    def rule(self, thickness: float = 2) -> None:
        t = self.px(thickness)
        self.draw.rectangle((self.margin, self.y, self.width - self.margin, self.y + t - 1), fill=0)
        self.y += t

    def banner(self, text: str, size: float) -> None:
        """White text on a black band (priority, reprint)."""
        f = font(self.px(size), True)
        ascent, descent = f.getmetrics()
        pad = self.px(6)
        h = ascent + descent + 2 * pad
        self.draw.rectangle((self.margin, self.y, self.width - self.margin, self.y + h), fill=0)
        w = f.getlength(nfc(text))
        self.draw.text(((self.width - w) / 2, self.y + pad), nfc(text), font=f, fill=255)
        self.y += h

    def row(self, label_vi: str, label_en: str, value: str, value_en: str = "") -> None:
        """Label (Vietnamese over English) on the left, value in bold on the right."""
        big, small = font(self.px(24)), font(self.px(18))
        val, val_en = font(self.px(30), True), font(self.px(18))
        value, value_en = nfc(value), nfc(value_en)
        vw = max(val.getlength(value), val_en.getlength(value_en))
        label_w = self.inner - vw - self.px(12)
        top = y = self.y
        for text, f in ((label_vi, big), (label_en, small)):
            for line in wrap(text, f, label_w):
                self.draw.text((self.margin, y), line, font=f, fill=0)
                a, d = f.getmetrics()
                y += a + d
        right = self.width - self.margin
        va, vd = val.getmetrics()
        block = va + vd + (sum(val_en.getmetrics()) if value_en else 0)
        vy = top + max(0, (y - top - block) // 2)
        self.draw.text((right - val.getlength(value), vy), value, font=val, fill=0)
        vy += va + vd
        if value_en:
            self.draw.text((right - val_en.getlength(value_en), vy), value_en, font=val_en, fill=0)
            vy += sum(val_en.getmetrics())
        self.y = max(y, vy) + self.px(6)

    def qr(self, data: str, size: float) -> None:
        code = qr_code(data)
        modules = code.modules_count + 2 * code.border
        # At least 5 dots (0.6 mm at 203 dpi) per module, so a phone reads 58 mm tickets too.
        code.box_size = max(2, min(self.inner // modules, max(5, self.px(size) // modules)))
        img = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
        self.image.paste(img, ((self.width - img.width) // 2, self.y))
        self.y += img.height

    def finish(self) -> Image.Image:
        """Crop to what was drawn and make it pure black and white (no dithering)."""
        height = min(MAX_HEIGHT, self.y + self.px(8))
        cropped = self.image.crop((0, 0, self.width, height))
        return cropped.point(lambda p: 255 if p >= 128 else 0).convert(
            "1", dither=Image.Dither.NONE
        )


def render(data: TicketData, width: int = 576) -> Image.Image:
    """The ticket image, mode "1", `width` px wide (384 for 58 mm paper, 576 for 80 mm)."""
    c = Canvas(width)
    c.text(data.office, 24, bold=True)
    c.space(6)
    c.rule()
    c.space(10)
    c.text("PHIẾU SỐ THỨ TỰ  ·  QUEUE TICKET", 18)
    c.space(4)
    c.text(data.service, 32, bold=True)
    if data.service_en and data.service_en != data.service:
        c.text(data.service_en, 20)
    c.space(10)
    c.fit(data.number, 170)
    c.space(14)
    if data.priority:
        c.banner("ƯU TIÊN  ·  PRIORITY", 24)
        c.space(10)
    if data.reprint:
        c.banner("IN LẠI  ·  REPRINT", 20)
        c.space(10)
    if data.ahead is not None:
        c.row("Số người chờ trước bạn", "People ahead of you", str(data.ahead))
        vi, en = wait_text(data.estimated_wait_s, data.ahead)
        c.row("Thời gian chờ dự kiến", "Estimated wait", vi, en)
    if data.issued_at:
        c.row("Giờ lấy số", "Issued at", data.issued_at)
    c.space(8)
    c.qr(data.url, 230)
    c.text("Quét mã để theo dõi lượt của bạn", 20)
    c.text("Scan to follow your turn", 16)
    c.space(10)
    c.rule()
    c.space(8)
    if data.hotline:
        c.text(f"Đường dây nóng / Hotline: {data.hotline}", 20, bold=True)
    c.text("Vui lòng giữ phiếu", 22, bold=True)
    c.text("Please keep your ticket", 18)
    if data.kiosk:
        c.space(4)
        c.text(data.kiosk, 14)
    return c.finish()


def render_test(office_name: str, width: int, when: str) -> Image.Image:
    """A test page: every Vietnamese tone mark, the width markers and a QR code."""
    c = Canvas(width)
    c.text(office_name, 24, bold=True)
    c.rule()
    c.space(8)
    c.text("IN THỬ  ·  TEST PRINT", 30, bold=True)
    c.text(when, 20)
    c.space(8)
    c.text("a á à ả ã ạ ă ắ ằ ẳ ẵ ặ â ấ ầ ẩ ẫ ậ", 22)
    c.text("e é è ẻ ẽ ẹ ê ế ề ể ễ ệ i í ì ỉ ĩ ị", 22)
    c.text("o ó ò ỏ õ ọ ô ố ồ ổ ỗ ộ ơ ớ ờ ở ỡ ợ", 22)
    c.text("u ú ù ủ ũ ụ ư ứ ừ ử ữ ự y ý ỳ ỷ ỹ ỵ", 22)
    c.text("Đ đ — ĐỒNG HỒ — Tư pháp – Hộ tịch", 22, bold=True)
    c.space(8)
    c.rule(4)
    c.space(8)
    c.fit("A001", 120)
    c.space(8)
    c.qr("TEST", 160)
    c.space(4)
    c.text(f"{width} px", 16)
    return c.finish()
