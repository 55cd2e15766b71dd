"""The words of a message: filled from the catalogue's template, optionally without diacritics."""

from __future__ import annotations

import re
import unicodedata

PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Letters NFD does not split into a base and a mark.
PLAIN = str.maketrans({"đ": "d", "Đ": "D"})


def to_ascii(text: str) -> str:
    """Vietnamese without its marks ("Kết quả hồ sơ" -> "Ket qua ho so"); GSM 7-bit safe."""
    text = unicodedata.normalize("NFD", text.translate(PLAIN))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("…", "...").replace("–", "-").replace("—", "-")
    return "".join(c if c.isascii() else "?" for c in unicodedata.normalize("NFC", text))


def fill(template: str, ascii_only: bool, **params) -> str:
    """The template with {name} replaced; unknown names stay visible rather than raising."""
    text = PLACEHOLDER.sub(lambda m: str(params.get(m[1], m[0])), template)
    text = " ".join(text.split())
    return to_ascii(text) if ascii_only else unicodedata.normalize("NFC", text)


def needs_unicode(text: str) -> bool:
    """Whether the text needs UCS-2 (70 characters a part) rather than GSM 7-bit (160)."""
    return not text.isascii()
