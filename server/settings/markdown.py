"""The schema as the Markdown table in README.md's "Configuration" section."""

from __future__ import annotations

from pathlib import Path

from .fields import TYPE_NAMES, Setting
from .model import ROOT
from .schema import ITEMS, SECTIONS

README = ROOT / "README.md"
START, END = "<!-- config-table:start -->", "<!-- config-table:end -->"


def _row(key: str, s: Setting) -> str:
    default = "required" if s.required else repr(s.default)
    meaning = " ".join(x for x in (s.help, s.rules()) if x)
    return f"| `{key}` | {TYPE_NAMES[s.type]} | {default} | {meaning} |"


def schema_markdown() -> str:
    """Every setting with its type, default, meaning and rules, as a Markdown table."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for sec, schema in SECTIONS.items():
        lines += [_row(f"{sec}.{k}", s) for k, s in schema.items()]
    for sec, schema in ITEMS.items():
        lines += [_row(f"[[{sec}]].{k}", s) for k, s in schema.items()]
    return "\n".join(lines)


def readme_table(text: str) -> str:
    """The text between README's config-table markers (without the marker lines)."""
    try:
        head, rest = text.split(START + "\n", 1)
        table, _ = rest.split("\n" + END, 1)
    except ValueError:
        raise ValueError(f"README.md has no {START} ... {END} section") from None
    return table


def with_table(text: str, table: str) -> str:
    """`text` with the table between the markers replaced."""
    old = readme_table(text)
    head, rest = text.split(START + "\n", 1)
    return head + START + "\n" + table + rest[len(old) :]


def write_readme(path: Path = README) -> bool:
    """Rewrite README's table from the schema; True if it changed."""
    text = path.read_text(encoding="utf-8")
    new = with_table(text, schema_markdown())
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
