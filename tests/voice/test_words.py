"""Vietnamese and English number words, letter names, the call sentence and its segments."""

from __future__ import annotations

import re

import pytest

from voice.phrase import Segment, VoiceConfig, call_plan, needed_segments, sentence
from voice.words import en_number_words, letter_vi, vi_number_words

# Checked against Vietnamese grammar references: mốt after mươi (not after mười), tư after
# mươi, lăm after mười/mươi but năm after linh, linh/lẻ for a zero tens digit, mười (never
# "một mươi"), "không trăm" inside thousands.
VI_TABLE = {
    0: "không",
    1: "một",
    4: "bốn",
    5: "năm",
    10: "mười",
    11: "mười một",
    14: "mười bốn",
    15: "mười lăm",
    20: "hai mươi",
    21: "hai mươi mốt",
    24: "hai mươi tư",
    25: "hai mươi lăm",
    30: "ba mươi",
    31: "ba mươi mốt",
    44: "bốn mươi tư",
    55: "năm mươi lăm",
    99: "chín mươi chín",
    100: "một trăm",
    101: "một trăm linh một",
    104: "một trăm linh bốn",
    105: "một trăm linh năm",
    110: "một trăm mười",
    111: "một trăm mười một",
    115: "một trăm mười lăm",
    121: "một trăm hai mươi mốt",
    205: "hai trăm linh năm",
    215: "hai trăm mười lăm",
    310: "ba trăm mười",
    444: "bốn trăm bốn mươi tư",
    500: "năm trăm",
    999: "chín trăm chín mươi chín",
    1000: "một nghìn",
    1001: "một nghìn không trăm linh một",
    1010: "một nghìn không trăm mười",
    1015: "một nghìn không trăm mười lăm",
    1021: "một nghìn không trăm hai mươi mốt",
    1100: "một nghìn một trăm",
    2005: "hai nghìn không trăm linh năm",
    2024: "hai nghìn không trăm hai mươi tư",
    9999: "chín nghìn chín trăm chín mươi chín",
    10000: "mười nghìn",
    15000: "mười lăm nghìn",
    21000: "hai mươi mốt nghìn",
}

VI_SOUTH = {
    101: "một trăm lẻ một",
    105: "một trăm lẻ năm",
    1000: "một ngàn",
    2005: "hai ngàn không trăm lẻ năm",
}

EN_TABLE = {
    0: "zero",
    7: "seven",
    12: "twelve",
    20: "twenty",
    21: "twenty one",
    105: "one hundred five",
    999: "nine hundred ninety nine",
    1000: "one thousand",
    2024: "two thousand twenty four",
}


@pytest.mark.parametrize(("n", "words"), VI_TABLE.items())
def test_vietnamese_number_words(n, words):
    assert " ".join(vi_number_words(n)) == words


@pytest.mark.parametrize(("n", "words"), VI_SOUTH.items())
def test_southern_number_words(n, words):
    assert " ".join(vi_number_words(n, "south")) == words


@pytest.mark.parametrize(("n", "words"), EN_TABLE.items())
def test_english_number_words(n, words):
    assert " ".join(en_number_words(n)) == words


def test_no_wrong_forms_anywhere_up_to_9999():
    for n in range(10000):
        text = " ".join(vi_number_words(n))
        assert "một mươi" not in text, n  # 10 is mười
        assert "mười mốt" not in text, n  # 11 is mười một
        assert "linh lăm" not in text and "linh mốt" not in text and "linh tư" not in text, n
        assert not re.search(r"(mười|mươi) năm\b", text), n  # 15 is mười lăm
        assert not re.search(r"mươi (một|bốn)\b", text), n  # 21 hai mươi mốt, 24 hai mươi tư


def test_bad_numbers_are_refused():
    for bad in (-1, 1_000_000, "12", 1.5):
        with pytest.raises(ValueError):
            vi_number_words(bad)


def test_letters_have_vietnamese_names():
    assert [letter_vi(c) for c in "ABCDEF"] == ["a", "bê", "xê", "dê", "e", "ép"]
    assert letter_vi("L") == "e lờ" and letter_vi("Q") == "quy" and letter_vi("z") == "dét"


CFG = VoiceConfig(
    languages=("vi", "en"),
    templates=(
        ("vi", "Mời công dân có số thứ tự {number} đến quầy số {counter}"),
        ("en", "Ticket number {number}, please go to counter {counter}"),
    ),
)


def test_digit_by_digit_sentence_and_segments():
    text, words = sentence("A012", 2, "vi", CFG)
    assert text == "Mời công dân có số thứ tự A 0 1 2 đến quầy số 2"
    assert words == ["Mời công dân có số thứ tự", "a", "không", "một", "hai", "đến quầy số", "hai"]
    text, words = sentence("B107", 12, "en", CFG)
    assert text == "Ticket number B 1 0 7, please go to counter 12"
    assert words == ["Ticket number", "B", "one", "zero", "seven", "please go to counter",
                     "one", "two"]  # fmt: skip


def test_sentence_in_words():
    cfg = VoiceConfig(languages=("vi",), templates=CFG.templates[:1], numbers="words")
    text, words = sentence("C121", 4, "vi", cfg)
    assert text == "Mời công dân có số thứ tự C một trăm hai mươi mốt đến quầy số bốn"
    assert words[1:6] == ["xê", "một", "trăm", "hai", "mươi"] and words[6] == "mốt"
    assert words[-2:] == ["đến quầy số", "bốn"]


def test_call_plan_joins_languages_in_order():
    text, segs = call_plan("A001", 1, CFG)
    assert text.split(" / ")[0].startswith("Mời công dân") and "counter 1" in text
    assert segs[0] == Segment("vi", "Mời công dân có số thứ tự")
    assert segs[-1] == Segment("en", "one")
    assert [s.lang for s in segs] == ["vi"] * 7 + ["en"] * 7


def test_needed_segments_cover_every_call_the_office_can_make():
    services = [{"prefix": "A", "range_start": 1, "range_end": 120},
                {"prefix": "BC", "range_start": 0, "range_end": 1050}]  # fmt: skip
    for numbers in ("digits", "words"):
        cfg = VoiceConfig(languages=("vi", "en"), templates=CFG.templates, numbers=numbers)
        needed = set(needed_segments(cfg, services, [1, 2, 15]))
        for prefix, lo, hi, width in (("A", 1, 120, 3), ("BC", 0, 1050, 4)):
            for n in range(lo, hi + 1):
                for counter in (1, 2, 15):
                    _text, segs = call_plan(f"{prefix}{n:0{width}d}", counter, cfg)
                    assert set(segs) <= needed, (numbers, prefix, n, counter)
