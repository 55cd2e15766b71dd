"""JSON Schema of the shapes, read off their dataclass fields: OpenAPI components come from here.

Every field is required (`to_json` always writes each one); `X | None` admits null; field metadata may add an
`enum` or a `format`. Nested shapes become `$ref`s to their own component.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from .shapes import SHAPES

SIMPLE = {str: "string", int: "integer", bool: "boolean", float: "number"}


def _schema(tp: Any, ref: typing.Callable[[str], dict]) -> dict:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"unsupported union {tp}")
        one = _schema(inner[0], ref)
        if "$ref" in one:
            return {"oneOf": [one, {"type": "null"}]}
        return {**one, "type": [one["type"], "null"]}
    if origin is list:
        return {"type": "array", "items": _schema(args[0], ref)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(args[1], ref)}
    if tp in SIMPLE:
        return {"type": SIMPLE[tp]}
    if dataclasses.is_dataclass(tp):
        return ref(tp.__name__)
    raise TypeError(f"no JSON schema for {tp!r}")


def json_schema(cls: type, ref: typing.Callable[[str], dict]) -> dict:
    """The JSON Schema object of one shape; `ref(name)` spells a reference to another."""
    hints = typing.get_type_hints(cls)
    props: dict[str, dict] = {}
    for f in dataclasses.fields(cls):
        prop = _schema(hints[f.name], ref)
        if "enum" in f.metadata:
            prop["enum"] = list(f.metadata["enum"])
        if "format" in f.metadata and f.metadata["format"] and "type" in prop:
            prop["format"] = f.metadata["format"]
        props[f.name] = prop
    return {"type": "object", "required": list(props), "properties": props}


def components(ref: typing.Callable[[str], dict]) -> dict[str, dict]:
    """{name: schema} for every shape."""
    return {cls.__name__: json_schema(cls, ref) for cls in SHAPES}
