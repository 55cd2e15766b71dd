"""python -m server.settings [--readme]: print the config table, or rewrite README.md's."""

from __future__ import annotations

import sys

from .markdown import README, schema_markdown, write_readme


def main(argv: list[str]) -> int:
    if argv == ["--readme"]:
        changed = write_readme()
        print(f"{README}: {'table rewritten' if changed else 'table already up to date'}")
        return 0
    if argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    print(schema_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
