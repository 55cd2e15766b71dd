"""core/config_store.py: versions on a real SQLite file, diffs, the day's version, staleness."""

from __future__ import annotations

import sqlite3

import pytest

from core.config_store import ConfigStore, StaleVersion, diff, diff_text
from core.errors import NotFound
from core.store import Store


@pytest.fixture
def versions(tmp_path):
    now = {"t": 1000.0, "day": "2026-11-30"}
    store = Store(tmp_path / "onestop.db")
    vs = ConfigStore(store, lambda: now["t"], lambda ts: now["day"])
    vs.now = now
    yield vs
    store.close()


OFFICE = {"office": {"name": "UBND xã"},
          "services": [{"code": "HT", "name": "A", "prefix": "A"}],
          "counters": [{"number": 1, "services": ["HT"]}]}  # fmt: skip


def test_a_first_save_is_version_1_and_each_save_the_next(versions):
    assert versions.current() is None and versions.versions() == []
    assert versions.save(OFFICE, "site.toml", "seed") == 1
    changed = {**OFFICE, "office": {"name": "UBND phường"}}
    assert versions.save(changed, "admin1", "rename", expected=1) == 2
    current = versions.current()
    assert current["n"] == 2 and current["author"] == "admin1" and current["config"] == changed
    assert [v["n"] for v in versions.versions()] == [2, 1]
    assert "config" not in versions.versions()[0]
    assert versions.get(1)["config"] == OFFICE and versions.get(1)["diff"] == []
    assert versions.get(2)["diff"] == [
        {"path": "office.name", "old": "UBND xã", "new": "UBND phường"}
    ]
    with pytest.raises(NotFound):
        versions.get(3)


def test_a_stale_expected_version_changes_nothing(versions):
    versions.save(OFFICE, "site.toml")
    versions.save(OFFICE, "a")
    with pytest.raises(StaleVersion) as e:
        versions.save({**OFFICE, "office": {"name": "X"}}, "b", expected=1)
    assert e.value.current == 2 and e.value.status == 409
    assert versions.current()["n"] == 2 and versions.current()["config"] == OFFICE


def test_versions_are_kept_as_they_were(versions):
    versions.save(OFFICE, "site.toml")
    with pytest.raises(sqlite3.IntegrityError), versions.store.write() as conn:
        conn.execute("DELETE FROM config_versions")
    with pytest.raises(sqlite3.IntegrityError), versions.store.write() as conn:
        conn.execute("UPDATE config_versions SET author = 'x'")
    assert versions.current()["author"] == "site.toml"


def test_for_day_is_the_version_in_force_at_the_end_of_that_day(versions):
    versions.now["day"] = "2026-11-28"
    versions.save(OFFICE, "site.toml")
    versions.now["day"] = "2026-11-30"
    versions.save({**OFFICE, "office": {"name": "morning"}}, "a")
    versions.save({**OFFICE, "office": {"name": "evening"}}, "a")
    assert versions.for_day("2026-11-29")["n"] == 1
    assert versions.for_day("2026-11-30")["config"]["office"]["name"] == "evening"
    assert versions.for_day("2026-12-05")["n"] == 3
    assert versions.for_day("2020-01-01")["n"] == 1  # before the history: the first version


def test_the_diff_names_items_by_their_key_and_reads_in_words():
    old = {"services": [{"code": "HT", "name": "A", "hours": {"mon": ["07:30-11:30"]}},
                        {"code": "CT", "name": "C"}],
           "counters": [{"number": 2, "services": ["HT"]}],
           "notices": [{"title": "x"}]}  # fmt: skip
    new = {"services": [{"code": "HT", "name": "B", "hours": {"mon": ["08:00-11:30"]}},
                        {"code": "MOI", "name": "Mới"}],
           "counters": [{"number": 2, "services": ["HT", "MOI"], "closed": True}],
           "notices": [{"title": "x"}, {"title": "y"}]}  # fmt: skip
    changes = diff(old, new)
    assert {"path": "services[code=HT].name", "old": "A", "new": "B"} in changes
    assert {"path": "services[code=CT]", "old": {"code": "CT", "name": "C"}, "new": None} in changes
    assert {
        "path": "services[code=MOI]",
        "old": None,
        "new": {"code": "MOI", "name": "Mới"},
    } in changes
    assert {"path": "counters[number=2].services", "old": ["HT"], "new": ["HT", "MOI"]} in changes
    assert {"path": "counters[number=2].closed", "old": None, "new": True} in changes
    assert {"path": "notices[1]", "old": None, "new": {"title": "y"}} in changes
    assert 'services[code=HT].name: "A" → "B"' in diff_text(changes)
    assert diff(old, old) == []
    assert diff({"a": 1}, {"a": "1"}) == [{"path": "a", "old": 1, "new": "1"}]


def test_a_number_written_without_its_point_is_no_change():
    """A browser's JSON turns 5.0 into 5: no change to record. A flag is not a number."""
    assert diff({"printer": {"timeout_s": 5.0}}, {"printer": {"timeout_s": 5}}) == []
    assert diff({"voice": {"enabled": True}}, {"voice": {"enabled": 1}}) != []
