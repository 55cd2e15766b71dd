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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", help="comma-separated event names (default: the registry)")
    args = ap.parse_args()
    names = set(args.names.split(",")) if args.names else registry_names()
    longest_module = max(
        ((len(p.read_text().splitlines()), str(p.relative_to(ROOT)))
         for d in ("core", "server") for p in (ROOT / d).rglob("*.py")),
    )  # fmt: skip
    print(f"longest module in core/ and server/: {longest_module[1]} ({longest_module[0]} lines)")
    literals: list[str] = []
    longest_fn = (0, "")
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")) if (ROOT / pkg).exists() else []:
            rel = str(path.relative_to(ROOT))
            tree = ast.parse(path.read_text())
            keys = {id(k) for n in ast.walk(tree) if isinstance(n, ast.Dict) for k in n.keys}
            keys |= {id(n.slice) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}
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
                    literals.append(f"{rel}:{node.lineno} {node.value!r}")
    print(f"longest function in core/ and server/: {longest_fn[1]} ({longest_fn[0]} lines)")
    print(f"event-name string literals outside the registry: {len(literals)}")
    for line in literals:
        print(f"  {line}")


if __name__ == "__main__":
    main()
