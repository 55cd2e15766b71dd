"""The import rules of DESIGN.md, checked by walking every module's imports (ast, no import).

- no cycle between the project's modules (top-level and function-level imports alike);
- core/ imports nothing of Flask, the printer, voice, the screens, the server or the hub;
- features import from server/ only its kernel (and the config model), never the app.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "core",
    "server",
    "kiosk",
    "counter",
    "display",
    "voice",
    "reports",
    "printer",
    "sms",
    "admin",
)
FEATURES = ("kiosk", "counter", "display", "voice", "reports", "printer", "sms", "admin")
SHARED = ("server.kernel", "server.settings", "server.i18n")  # + the string catalogue


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    found["wsgi"] = ROOT / "wsgi.py"
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules `name` imports, resolved to the longest known module name."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    tree = ast.parse(path.read_text())
    typing_only = {  # `if TYPE_CHECKING:` imports never run
        id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
        and getattr(block.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(block)
    }  # fmt: skip
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(p for p in [*up, base] if p)
            # `from pkg import mod` reaches pkg.mod; `from pkg import name` reaches pkg
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]  # fmt: skip
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name and not name.startswith(t + "."):  # own package: no cycle
                out.add(t)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def external(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_the_walk_sees_a_cycle_when_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_core_imports_no_flask_no_devices_no_features():
    banned = {"flask", "flask_socketio", "flask_login", "werkzeug", "escpos", "gtts",
              "gpiozero", "server", "voice", "printer", "display", "kiosk", "counter",
              "reports", "hub", "sms", "admin"}  # fmt: skip
    for path in (ROOT / "core").rglob("*.py"):
        assert not external(path) & banned, (path, external(path) & banned)


def test_features_reach_server_only_through_its_kernel():
    g = graph()
    for name, deps in g.items():
        if name.split(".")[0] in FEATURES:
            wrong = {d for d in deps if d.split(".")[0] == "server" and d not in SHARED
                     and not d.startswith("server.settings.")}  # fmt: skip
            assert not wrong, (name, wrong)


def test_only_the_composition_root_imports_the_app():
    g = graph()
    importers = {name for name, deps in g.items() if "server.app" in deps}
    assert importers <= {"wsgi"}, importers
