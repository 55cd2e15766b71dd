"""Counts the architecture step (issue 11) is judged by; prints them, asserts nothing.

  .venv/bin/python bench/arch_counts.py [--names a,b,...]

- the longest module in core/ and server/ (lines);
- QueueService: lines of its class body and number of methods;
- string literals equal to an event name outside the registry (core/events.py). Ticket
  statuses that share a name with an event ("called", "expired", ...) are counted too,
  except in core/states.py, which defines the status vocabulary; dict keys and subscripts
  (a metric named "issued", `row["no_show"]`) are not event names and are not counted;
- the longest function in core/ and server/.
Event names come from the registry, or from --names (to measure a tree that has none).
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "server", "kiosk", "counter", "display", "voice", "reports", "printer", "hub")


def registry_names() -> set[str]:
    sys.path.insert(0, str(ROOT))
    from core import events

    return set(events.REGISTRY)


EVENT_CALLS = {"record", "_event", "_log", "emit", "emit_fresh", "publish", "_publish", "on",
               "events.get", "E.get", "subscribe", "check_data"}  # fmt: skip
EVENT_VARS = {"kind", "type", "type_", "name", "event", "outcome", "t.outcome"}


def _named(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_named(node.value)}.{node.attr}".lstrip(".")
    return ""


def event_uses(tree) -> set[int]:
    """ids of string constants in an event position: passed to record/emit/publish/..., the
    first element of a published (name, payload) pair, compared with a variable such as
    `kind` or `name`, or listed in a constant named like *TYPES, *EVENTS, BROADCAST."""
    out: set[int] = set()
    for node in ast.walk(tree):
        func = _named(node.func) if isinstance(node, ast.Call) else ""
        if func and (func in EVENT_CALLS or func.rsplit(".", 1)[-1] in EVENT_CALLS):
            for arg in node.args[:3]:
                for sub in ast.walk(arg):
                    if isinstance(sub, ast.Tuple) and sub.elts:
                        out.add(id(sub.elts[0]))
                    elif sub is arg:
                        out.add(id(sub))
            for kw in node.keywords:
                if kw.arg in ("type_", "kind", "name", "event"):
                    out.add(id(kw.value))
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_named(x) in EVENT_VARS for x in sides):
                for x in sides:
                    out |= {id(e) for e in getattr(x, "elts", [])} | {id(x)}
        elif isinstance(node, ast.Assign) and any(
            any(k in _named(t) for k in ("TYPES", "EVENTS", "BROADCAST", "ALERT"))
            for t in node.targets
        ):
            out |= {id(e) for e in ast.walk(node.value)}
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and any(_named(t) in EVENT_VARS for t in node.targets)
        ):
            out.add(id(node.value))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", help="comma-separated event names (default: the registry)")
    ap.add_argument("--root", type=Path, default=ROOT, help="the tree to measure")
    args = ap.parse_args()
    root = args.root.resolve()
    names = set(args.names.split(",")) if args.names else registry_names()
    longest_module = max(
        ((len(p.read_text().splitlines()), str(p.relative_to(root)))
         for d in ("core", "server") for p in (root / d).rglob("*.py")),
    )  # fmt: skip
    print(f"longest module in core/ and server/: {longest_module[1]} ({longest_module[0]} lines)")
    literals: list[str] = []
    longest_fn = (0, "")
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")) if (root / pkg).exists() else []:
            rel = str(path.relative_to(root))
            tree = ast.parse(path.read_text())
            keys = {id(k) for n in ast.walk(tree) if isinstance(n, ast.Dict) for k in n.keys}
            keys |= {id(n.slice) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}
            used = event_uses(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name == "QueueService":
                    methods = [n for n in node.body if isinstance(n, ast.FunctionDef)]
                    lines = node.end_lineno - node.lineno + 1
                    print(f"QueueService ({rel}): {lines} lines, {len(methods)} methods")
                if isinstance(node, ast.FunctionDef) and pkg in ("core", "server"):
                    size = node.end_lineno - node.lineno + 1
                    longest_fn = max(longest_fn, (size, f"{rel}:{node.lineno} {node.name}"))
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and node.value in names
                    and id(node) not in keys  # a metric's or a payload's key, not an event
                    and rel not in ("core/events.py", "core/states.py")
                ):
                    kind = "event" if id(node) in used else "same spelling"
                    literals.append(f"{rel}:{node.lineno} {node.value!r} ({kind})")
    print(f"longest function in core/ and server/: {longest_fn[1]} ({longest_fn[0]} lines)")
    as_event = [x for x in literals if x.endswith("(event)")]
    print(
        f"event-name string literals outside the registry: {len(as_event)} used as an event"
        f" name; {len(literals) - len(as_event)} more share an event's spelling"
    )
    for line in literals:
        print(f"  {line}")


if __name__ == "__main__":
    main()
