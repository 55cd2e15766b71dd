"""Fault-test fixtures: a figures recorder printed in the terminal summary and kept as JSON."""

from __future__ import annotations

import json

import pytest

# section -> {name: value}; filled by the `figures` fixture, printed after the run.
FIGURES: dict[str, dict] = {}
_FIGURES_FILE: list = []


@pytest.fixture(scope="session")
def figures(tmp_path_factory):
    """record(section, name=value, ...): keep a measured figure for the summary and a JSON file."""
    path = tmp_path_factory.getbasetemp() / "fault_figures.json"
    _FIGURES_FILE[:] = [path]

    def record(section: str, **values) -> None:
        FIGURES.setdefault(section, {}).update(values)
        path.write_text(json.dumps(FIGURES, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"[figures] {section}: {values}")

    return record


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("fault and abuse figures")
    for section, values in FIGURES.items():
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        terminalreporter.write_line(f"{section}: {shown}")
    if _FIGURES_FILE:
        terminalreporter.write_line(f"(also written to {_FIGURES_FILE[0]})")
