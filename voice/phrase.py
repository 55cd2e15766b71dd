"""The call sentence and the short segments it is spoken from, per language."""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass

from .words import digit_words, letter_vi, number_words

TICKET_RE = re.compile(r"^([A-Z]*)(\d+)$")
FIELD_RE = re.compile(r"\{(number|counter)\}")
# Punctuation at the edges of a template's literal parts is dropped from the spoken text:
# "Ticket number {number}, please go to ..." gives the segment "please go to ...".
EDGE_PUNCT = string.punctuation + " \u00a0–—…“”‘’"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Segment:
    """One short piece of speech, rendered and cached once."""

    lang: str
    text: str  # NFC, what the engine is asked to say


@dataclass(frozen=True)
class VoiceConfig:
    """The [voice] settings the phrase needs."""

    languages: tuple[str, ...] = ("vi",)
    templates: tuple[tuple[str, str], ...] = ()
    numbers: str = "digits"
    dialect: str = "north"

    def template(self, lang: str) -> str:
        return dict(self.templates)[lang]

    @classmethod
    def from_settings(cls, voice: dict) -> VoiceConfig:
        langs = tuple(lang for lang in voice["languages"] if f"template_{lang}" in voice)
        return cls(
            languages=langs,
            templates=tuple((lang, nfc(voice[f"template_{lang}"])) for lang in langs),
            numbers=voice["numbers"],
            dialect=voice.get("dialect", "north"),
        )


def split_ticket(number: str) -> tuple[str, str]:
    """'A012' -> ('A', '012'). Anything else is spoken as it is written."""
    m = TICKET_RE.match(number)
    return (m[1], m[2]) if m else ("", number)


def letter_words(prefix: str, lang: str) -> list[str]:
    """Prefix letters, one segment each: Vietnamese letter names, English letters as written."""
    return [letter_vi(c) if lang == "vi" else c for c in prefix]


def number_segments(digits: str, lang: str, cfg: VoiceConfig) -> list[str]:
    """The words of a number: one digit each (default) or the number in words."""
    if not digits.isdigit():
        return [digits] if digits else []
    if cfg.numbers == "words":
        return number_words(int(digits), lang, cfg.dialect)
    return digit_words(digits, lang)


def _literal(text: str) -> str:
    return nfc(" ".join(text.split()).strip(EDGE_PUNCT))


def sentence(number: str, counter: int, lang: str, cfg: VoiceConfig) -> tuple[str, list[str]]:
    """(text shown, segment texts spoken) for one language."""
    prefix, digits = split_ticket(number)
    ticket_words = letter_words(prefix, lang) + number_segments(digits, lang, cfg)
    counter_words = number_segments(str(counter), lang, cfg)
    if cfg.numbers == "words":
        # "A mười hai": the letters as printed, the number as spoken
        shown_number = " ".join([prefix] * bool(prefix) + number_segments(digits, lang, cfg))
        shown_counter = " ".join(counter_words)
    else:
        shown_number = " ".join(number)  # "A 0 1 2", as the core's TextAnnouncer says it
        shown_counter = str(counter)
    template = cfg.template(lang)
    text = nfc(" ".join(template.format(number=shown_number, counter=shown_counter).split()))
    spoken: list[str] = []
    pos = 0
    for m in FIELD_RE.finditer(template):
        lit = _literal(template[pos : m.start()])
        if lit:
            spoken.append(lit)
        spoken += ticket_words if m[1] == "number" else counter_words
        pos = m.end()
    tail = _literal(template[pos:])
    if tail:
        spoken.append(tail)
    return text, [nfc(w) for w in spoken]


def call_plan(number: str, counter: int, cfg: VoiceConfig) -> tuple[str, list[Segment]]:
    """The text (languages joined by ' / ') and the ordered segments of one call."""
    texts, segments = [], []
    for lang in cfg.languages:
        text, words = sentence(number, counter, lang, cfg)
        texts.append(text)
        segments += [Segment(lang, w) for w in words]
    return " / ".join(texts), segments


def needed_segments(cfg: VoiceConfig, services: list[dict], counters: list[int]) -> list[Segment]:
    """Every segment the office can need: all prefixes, numbers up to range_end, counters."""
    out: dict[Segment, None] = {}
    for lang in cfg.languages:
        template = cfg.template(lang)
        pos = 0
        for m in list(FIELD_RE.finditer(template)) + [None]:
            lit = _literal(template[pos : m.start() if m else len(template)])
            if lit:
                out[Segment(lang, lit)] = None
            pos = m.end() if m else pos
        for s in services:
            for w in letter_words(s["prefix"], lang):
                out[Segment(lang, nfc(w))] = None
        if cfg.numbers == "words":
            top = max(s["range_end"] for s in services) if services else 0
            numbers = list(range(min((s["range_start"] for s in services), default=0), top + 1))
            for n in numbers + list(counters):
                for w in number_words(n, lang, cfg.dialect):
                    out[Segment(lang, nfc(w))] = None
        else:
            uses_digit = set()
            for s in services:
                width = max(3, len(str(s["range_end"])))
                for n in range(s["range_start"], s["range_end"] + 1):
                    uses_digit.update(f"{n:0{width}d}")
                    if len(uses_digit) == 10:
                        break
            for c in counters:
                uses_digit.update(str(c))
            for w in digit_words("".join(sorted(uses_digit)), lang):
                out[Segment(lang, nfc(w))] = None
    return list(out)
