"""A config dict written back as TOML with site.toml's layout (`flask config export`).

Standard library only, like the rest of this package. Only what the model reads is written:
tables of scalars, lists, inline tables (hours) and arrays of tables; tomllib reads it back
to the same dict.
"""

from __future__ import annotations

import json
import math
import re

from .model import ARRAYS

BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if BARE.fullmatch(k) else json.dumps(k, ensure_ascii=False)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{v!r} has no TOML form here")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON's escapes are TOML's basic string
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise ValueError(f"{type(v).__name__} has no TOML form")


def _table(header: str, table: dict) -> list[str]:
    lines = [header]
    lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items()
              if not (isinstance(v, list) and v and all(isinstance(x, dict) for x in v))]  # fmt: skip
    return lines + [""]


def dumps(data: dict) -> str:
    """`data` (site.toml's shape) as TOML text."""
    out = ["# The office's configuration, exported by `flask config export`.", ""]
    empty = [name for name in ARRAYS if data.get(name) == []]
    out += [f"{name} = []" for name in empty] + ([""] if empty else [])  # before any table
    for name, section in data.items():
        if name in ARRAYS:
            continue
        out += _table(f"[{_key(name)}]", section)
        for sub, items in section.items():
            if isinstance(items, list) and items and all(isinstance(x, dict) for x in items):
                for item in items:
                    out += _table(f"[[{_key(name)}.{_key(sub)}]]", item)
    for name in ARRAYS:
        for item in data.get(name, []):
            out += _table(f"[[{name}]]", item)
    return "\n".join(out)
