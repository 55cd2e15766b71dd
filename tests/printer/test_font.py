"""The vendored font has every Vietnamese letter with every tone mark, and Đ/đ."""

from __future__ import annotations

import unicodedata

import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops

from printer import layout

BASES = "aăâeêioôơuưy"
# none, grave (huyền), hook (hỏi), tilde (ngã), acute (sắc), dot below (nặng)
TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")


def vietnamese_letters() -> list[str]:
    letters = ["đ", "Đ"]
    for base in BASES + BASES.upper():
        for tone in TONES:
            ch = unicodedata.normalize("NFC", base + tone)
            assert len(ch) == 1, f"{base}+{tone!r} has no precomposed form"
            letters.append(ch)
    return letters


LETTERS = vietnamese_letters()


def test_the_list_is_complete():
    # 12 vowels x 6 tones x 2 cases + Đ/đ
    assert len(LETTERS) == len(set(LETTERS)) == 12 * 6 * 2 + 2


@pytest.mark.parametrize("path", [layout.REGULAR, layout.BOLD], ids=lambda p: p.name)
def test_cmap_covers_every_letter(path):
    cmap = TTFont(path).getBestCmap()
    missing = [ch for ch in LETTERS if ord(ch) not in cmap]
    assert missing == []


@pytest.mark.parametrize("bold", [False, True])
def test_no_letter_renders_as_the_missing_glyph(bold):
    f = layout.font(40, bold)
    notdef = f.getmask("\U000f0000")  # private use: certainly absent, drawn as .notdef
    for ch in LETTERS:
        mask = f.getmask(ch)
        assert mask.getbbox() is not None, ch
        same_size = mask.size == notdef.size
        if same_size:
            a = Image.frombytes("L", mask.size, bytes(mask))
            b = Image.frombytes("L", notdef.size, bytes(notdef))
            assert ImageChops.difference(a, b).getbbox() is not None, ch


def test_font_licence_ships_with_the_fonts():
    licence = (layout.FONT_DIR / "LICENSE").read_text()
    assert "Bitstream" in licence and "DejaVu" in licence
    assert layout.REGULAR.exists() and layout.BOLD.exists()
