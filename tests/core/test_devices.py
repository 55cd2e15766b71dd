"""Enrolled devices: tokens kept only as hashes, revocation, and where clerks sit."""

from __future__ import annotations

import pytest

from core.errors import BadRequest, Conflict, NotFound
from core.users import token_hash


@pytest.fixture
def devices(onestop):
    return onestop.enrolled


def test_a_device_is_found_by_its_token_and_only_the_hash_is_kept(devices, onestop):
    row, token = devices.add("kiosk-cua", "kiosk")
    assert row["kind"] == "kiosk" and row["counter"] is None and row["revoked_at"] is None
    assert devices.for_token(token)["name"] == "kiosk-cua"
    stored = onestop.store.reader().execute("SELECT * FROM devices").fetchall()
    assert [r["token_hash"] for r in stored] == [token_hash(token)]
    assert all(token not in str(tuple(r)) for r in stored)
    assert onestop.store.path.read_bytes().find(token.encode()) == -1


def test_tokens_are_distinct_and_guesses_find_nothing(devices):
    tokens = {devices.add(f"tv-{i}", "display")[1] for i in range(5)}
    assert len(tokens) == 5 and all(len(t) >= 40 for t in tokens)
    for guess in ("", "x", "a" * 500, None, 42, next(iter(tokens))[:-1]):
        assert devices.for_token(guess) is None


def test_revoking_stops_the_token_and_frees_the_name(devices):
    _, old = devices.add("tv-sanh", "display")
    devices.revoke("tv-sanh")
    assert devices.for_token(old) is None
    with pytest.raises(NotFound):
        devices.revoke("tv-sanh")
    _, new = devices.add("tv-sanh", "display")  # the same TV enrolled again
    assert devices.for_token(new)["name"] == "tv-sanh" and devices.for_token(old) is None
    listed = [(d["name"], d["revoked_at"] is None) for d in devices.list()]
    assert listed == [("tv-sanh", True), ("tv-sanh", False)]  # enrolled first, then revoked


@pytest.mark.parametrize(
    "name,kind,counter,error",
    [("", "kiosk", None, BadRequest), ("x" * 65, "kiosk", None, BadRequest),
     ("a\nb", "kiosk", None, BadRequest), ("k", "toaster", None, BadRequest),
     ("tab", "tablet", None, BadRequest), ("k", "kiosk", 2, BadRequest),
     ("tab", "tablet", True, BadRequest)],
)  # fmt: skip
def test_bad_enrolments_are_refused_and_store_nothing(devices, name, kind, counter, error):
    with pytest.raises(error):
        devices.add(name, kind, counter)
    assert devices.list() == []


def test_one_enrolled_device_per_name(devices):
    devices.add("tab-2", "tablet", 2)
    with pytest.raises(Conflict):
        devices.add("tab-2", "kiosk")
    assert devices.get("tab-2")["counter"] == 2


def test_a_clerk_sits_at_one_counter_at_a_time(onestop, auth):
    signs = onestop.sign_ins
    lan = onestop.users.get("supervisor1")["id"]
    assert signs.counter_of(lan) is None
    signs.sign_in(lan, 2)
    signs.sign_in(lan, 3)
    assert signs.counter_of(lan) == 3
    assert signs.counter_of(onestop.users.get("clerk1")["id"]) == 1  # the fixture's seat
