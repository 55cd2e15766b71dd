"""Dossiers (core/dossiers.py): recording at the counter, status, batches, returns, contacts."""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.dossier_rules import TRANSITIONS, NotReady, RowError, UnknownDossier, normal_phone
from core.errors import BadRequest, Conflict, NotFound
from core.shapes import DOSSIER_STATUSES

PHONE = "0912345678"


@pytest.fixture
def q(onestop):
    return onestop.queue


@pytest.fixture
def ds(onestop):
    return onestop.dossiers


@pytest.fixture
def served(q):
    """A hotich ticket held by counter 1."""
    t, _ = q.issue("hotich")
    q.next(1, clerk="an")
    return t


def count(q, table: str) -> int:
    return q.store.reader().execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def events_of(q, type_: str) -> list[dict]:
    rows = q.store.reader().execute("SELECT data FROM events WHERE type = ? ORDER BY id", (type_,))
    return [json.loads(r[0]) if r[0] else {} for r in rows]


def test_record_attaches_to_the_counters_ticket(ds, q, served):
    d = ds.record(1, " hs-2026.000123 ", "2026-12-05", actor="an")
    assert d.code == "HS-2026.000123" and d.status == "received" and d.service == "hotich"
    assert d.ticket_number == served["number"] and d.counter == 1 and d.clerk == "an"
    assert (
        d.day == "2026-11-30"
        and d.due == "2026-12-05"
        and d.received_at.startswith("2026-11-30T09:00")
    )
    assert not d.has_contact and "phone" not in d.to_json()
    assert ds.get("hs-2026.000123") == d and ds.for_ticket(served["id"]) == [d]
    assert events_of(q, "dossier_received") == [
        {"code": "HS-2026.000123", "service": "hotich", "due": "2026-12-05"}
    ]


def test_several_dossiers_on_one_ticket_and_another_procedure(ds, served):
    ds.record(1, "HS-000001", "2026-12-01")
    ds.record(1, "HS-000002", "2026-12-01", service="chungthuc")
    assert [(d.code, d.service) for d in ds.for_ticket(served["id"])] == [
        ("HS-000001", "hotich"), ("HS-000002", "chungthuc")]  # fmt: skip


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"code": "ABC12"}, "bad_code"),  # too short for the demo pattern
        ({"code": "HS_000001"}, "bad_code"),  # "_" is not in the pattern
        ({"code": "X" * 41}, "bad_code"),
        ({"code": 123456}, "bad_code"),
        ({"due": "2026-11-29"}, "bad_due"),  # before today
        ({"due": "2026-02-30"}, "bad_due"),
        ({"due": "30/11/2026"}, "bad_due"),
        ({"due": None}, "bad_due"),
        ({"due": "2031-01-01"}, "bad_due"),
        ({"phone": PHONE}, "consent_required"),
        ({"phone": "0212345678", "consent": True}, "bad_phone"),  # a landline
        ({"phone": "091234567", "consent": True}, "bad_phone"),
        ({"phone": 912345678, "consent": True}, "bad_phone"),
        ({"consent": "yes"}, "bad_consent"),
        ({"notify_near": 1}, "bad_notify_near"),
    ],
)
def test_bad_input_is_400_and_changes_nothing(ds, q, served, kwargs, code):
    args = {"code": "HS-000001", "due": "2026-12-05", **kwargs}
    before = (count(q, "dossiers"), count(q, "dossier_contacts"), count(q, "events"))
    with pytest.raises(BadRequest) as e:
        ds.record(1, args.pop("code"), args.pop("due"), **args)
    assert e.value.code == code and e.value.status == 400
    assert (count(q, "dossiers"), count(q, "dossier_contacts"), count(q, "events")) == before


def test_due_today_is_accepted(ds, served):
    assert ds.record(1, "HS-000001", "2026-11-30").due == "2026-11-30"


def test_unknown_or_return_procedure_is_404(ds, served):
    for service in ("nope", "traketqua"):
        with pytest.raises(NotFound) as e:
            ds.record(1, "HS-000001", "2026-12-05", service=service)
        assert e.value.code == "unknown_service"


def test_no_ticket_duplicate_and_unknown_counter(ds, q, served):
    with pytest.raises(Conflict) as e:
        ds.record(2, "HS-000001", "2026-12-05")
    assert e.value.code == "no_ticket"
    ds.record(1, "HS-000001", "2026-12-05")
    with pytest.raises(Conflict) as e:
        ds.record(1, "hs-000001", "2026-12-05")
    assert e.value.code == "duplicate_code"
    with pytest.raises(NotFound) as e:
        ds.record(99, "HS-000002", "2026-12-05")
    assert e.value.code == "unknown_counter"
    assert count(q, "dossiers") == 1


def test_code_pattern_comes_from_config(tmp_path, clock, config):
    from server.app import create_app

    config["dossiers"] = {"code_pattern": r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4}$"}
    app = create_app({"DATA_DIR": tmp_path / "d", "CONFIG": config, "CLOCK": clock})
    e = app.extensions["onestop"]
    try:
        e.queue.issue("hotich")
        e.queue.next(1)
        with pytest.raises(BadRequest):
            e.dossiers.record(1, "HS-000001", "2026-12-05")
        code = "000.00.21.H31-261130-0001"
        assert e.dossiers.record(1, code, "2026-12-05").code == code
    finally:
        e.store.close()


@pytest.mark.parametrize(
    "raw", ["0912345678", "+84912345678", "84912345678", "0912 345 678", "091.234.5678",
            "+84 (91) 234-5678"],
)  # fmt: skip
def test_phone_numbers_are_normalised(raw):
    assert normal_phone(raw) == PHONE


def test_phone_kept_with_consent_and_never_in_events(ds, q, served):
    d = ds.record(1, "HS-000001", "2026-12-05", phone="+84 912 345 678", consent=True,
                  notify_near=True)  # fmt: skip
    assert d.has_contact and PHONE not in json.dumps(d.to_json())
    c = ds.contact("HS-000001", actor="sup")
    assert c["phone"] == PHONE and c["notify_near"] is True
    assert c["delete_after"] == "2027-02-28"  # received + max_phone_days (90)
    assert events_of(q, "contact_read") == [{"code": "HS-000001", "purpose": "staff"}]
    dump = json.dumps([list(r) for r in q.store.reader().execute("SELECT * FROM events")])
    assert "912345678" not in dump and "345 678" not in dump


def test_contact_of_a_dossier_without_one_is_404(ds, served):
    ds.record(1, "HS-000001", "2026-12-05")
    with pytest.raises(NotFound) as e:
        ds.contact("HS-000001")
    assert e.value.code == "no_contact"
    with pytest.raises(UnknownDossier):
        ds.contact("HS-404404")


def test_status_path_and_ready_at(ds, q, served, clock):
    ds.record(1, "HS-000001", "2026-12-05")
    clock.advance(3600)
    assert ds.set_status("HS-000001", "in_progress").status == "in_progress"
    clock.advance(3600)
    d = ds.set_status("hs-000001", "ready", actor="an")
    assert d.ready_at.startswith("2026-11-30T11:00") and d.returned_at is None
    assert ds.set_status("HS-000001", "ready") == d  # the same again: nothing changes
    data = events_of(q, "dossier_status")
    assert [(e["from"], e["status"], e["source"]) for e in data] == [
        ("received", "in_progress", "counter"), ("in_progress", "ready", "counter")]  # fmt: skip
    assert data[1]["due"] == "2026-12-05" and data[1]["ready_at"].startswith("2026-11-30T11:00")
    back = ds.set_status("HS-000001", "in_progress")  # marked ready by mistake
    assert back.ready_at is None


def test_illegal_jumps_are_409_and_unknown_status_400(ds, q, served):
    ds.record(1, "HS-000001", "2026-12-05")
    with pytest.raises(Conflict) as e:
        ds.set_status("HS-000001", "returned")  # never ready
    assert e.value.code == "bad_transition"
    ds.set_status("HS-000001", "withdrawn")
    for status in DOSSIER_STATUSES:
        if status != "withdrawn":
            with pytest.raises(Conflict):
                ds.set_status("HS-000001", status)
    with pytest.raises(BadRequest) as e:
        ds.set_status("HS-000001", "lost")
    assert e.value.code == "bad_status"
    with pytest.raises(UnknownDossier):
        ds.set_status("HS-404404", "ready")
    assert ds.get("HS-000001").status == "withdrawn"


def test_transition_table_covers_every_status():
    assert set(TRANSITIONS) == set(DOSSIER_STATUSES)
    assert all(set(v) <= set(DOSSIER_STATUSES) for v in TRANSITIONS.values())


def test_correct_code_due_and_service(ds, q, served):
    ds.record(1, "HS-000001", "2026-12-05", phone=PHONE, consent=True)
    d = ds.correct("HS-000001", "code", "hs-000009", actor="an")
    assert d.code == "HS-000009" and d.has_contact
    with pytest.raises(UnknownDossier):
        ds.get("HS-000001")
    assert ds.contact("HS-000009")["phone"] == PHONE
    assert ds.correct("HS-000009", "due", "2026-12-10").due == "2026-12-10"
    assert ds.correct("HS-000009", "service", "chungthuc").service == "chungthuc"
    assert [(e["field"], e["old"], e["new"]) for e in events_of(q, "dossier_corrected")] == [
        ("code", "HS-000001", "HS-000009"), ("due", "2026-12-05", "2026-12-10"),
        ("service", "hotich", "chungthuc")]  # fmt: skip


def test_bad_corrections_change_nothing(ds, q, served):
    ds.record(1, "HS-000001", "2026-12-05")
    ds.record(1, "HS-000002", "2026-12-05")
    before = count(q, "events")
    for field, value, code in [("code", "HS-000002", "duplicate_code"), ("code", "x", "bad_code"),
                               ("due", "2026-11-01", "bad_due"), ("status", "ready", "bad_field"),
                               ("service", "traketqua", "unknown_service")]:  # fmt: skip
        with pytest.raises((BadRequest, Conflict, NotFound)) as e:
            ds.correct("HS-000001", field, value)
        assert e.value.code == code
    assert count(q, "events") == before and ds.get("HS-000001").due == "2026-12-05"


def test_advice_only_is_logged_once_on_the_ticket(ds, q, served):
    assert ds.advice_only(1, actor="an")["id"] == served["id"]
    ds.advice_only(1, actor="an")
    rows = q.store.reader().execute(
        "SELECT ticket_id, clerk FROM events WHERE type = 'advice_only'"
    )
    assert [tuple(r) for r in rows] == [(served["id"], "an")]
    q.finish(1)
    with pytest.raises(Conflict) as e:
        ds.advice_only(1)
    assert e.value.code == "no_ticket"


def _many(ds, q, n: int) -> list[str]:
    q.issue("hotich")
    q.next(1)
    codes = [f"HS-{i:06d}" for i in range(n)]
    for c in codes:
        ds.record(1, c, "2026-12-05")
    return codes


def test_set_many_applies_all_in_one_go(ds, q):
    codes = _many(ds, q, 30)
    rows = [(c, "ready") for c in codes[:20]] + [(codes[0], "returned"), (codes[25], "received")]
    assert ds.set_many(rows, actor="import") == 21  # received -> received changes nothing
    assert ds.get(codes[0]).status == "returned" and ds.get(codes[19]).status == "ready"
    assert ds.get(codes[0]).ready_at is not None and ds.get(codes[25]).status == "received"
    data = events_of(q, "dossier_status")
    assert len(data) == 21 and {e["source"] for e in data} == {"import"}


@pytest.mark.parametrize(
    "bad, reason",
    [(("HS-999999", "ready"), "unknown dossier"), (("HS-000003", "done"), "unknown status"),
     (("HS-000007", "returned"), "received cannot become returned"), (("", "ready"), "no dossier code")],
)  # fmt: skip
def test_set_many_refuses_the_first_bad_row_and_applies_nothing(ds, q, bad, reason):
    codes = _many(ds, q, 10)
    before = count(q, "events")
    rows = [(c, "ready") for c in codes[:5]] + [bad] + [(c, "ready") for c in codes[5:]]
    with pytest.raises(RowError) as e:
        ds.set_many(rows)
    assert e.value.index == 5 and reason in e.value.reason and e.value.status == 400
    assert count(q, "events") == before
    assert {ds.get(c).status for c in codes} == {"received"}


def _ready(ds, q, code="HS-000001", phone=None):
    q.issue("hotich")
    q.next(1)
    ds.record(1, code, "2026-12-05", phone=phone, consent=phone is not None)
    q.finish(1)
    return ds.set_status(code, "ready")


def test_return_at_the_kiosk_and_finish_marks_returned(ds, q, clock):
    _ready(ds, q, phone=PHONE)
    clock.advance(600)
    t, created = ds.take_return("hs-000001", kiosk="kiosk-1", key="scan-000001")
    assert created and t["number"] == "R001" and t["service"] == "traketqua"
    again, created2 = ds.take_return("HS-000001", kiosk="kiosk-1", key="scan-000001")
    assert again["id"] == t["id"] and not created2
    other_key, created3 = ds.take_return("HS-000001", kiosk="kiosk-1", key="scan-000002")
    assert other_key["id"] == t["id"] and not created3  # one return ticket per dossier
    assert ds.get("HS-000001").return_number == "R001"
    assert q.next(1) is None  # counter 1 does not serve the return procedure
    called = q.next(2, clerk="binh")
    assert called["id"] == t["id"]
    clock.advance(120)
    q.finish(2, clerk="binh")
    d = ds.get("HS-000001")
    assert d.status == "returned" and d.returned_at.startswith("2026-11-30T09:12")
    last = events_of(q, "dossier_status")[-1]
    assert last["source"] == "return" and last["from"] == "ready"
    assert ds.contact("HS-000001")["delete_after"] == "2026-12-30"  # returned + 30 days
    with pytest.raises(Conflict) as e:
        ds.issue_return("HS-000001", kiosk="kiosk-1", key="scan-000003")
    assert e.value.code == "already_returned"


def test_next_finishing_a_return_ticket_marks_returned_too(ds, q):
    _ready(ds, q)
    ds.issue_return("HS-000001", kiosk="k")
    q.next(2)
    q.next(2)  # finishes the return ticket, nobody else waits
    assert ds.get("HS-000001").status == "returned"


def test_no_show_keeps_the_dossier_ready_for_another_scan(ds, q):
    _ready(ds, q)
    first = ds.issue_return("HS-000001", kiosk="k")
    q.next(2)
    q.no_show(2)
    assert ds.get("HS-000001").status == "ready"
    second, created = ds.take_return("HS-000001", kiosk="k")
    assert created and second["id"] != first["id"] and second["number"] == "R002"


def test_not_ready_unknown_and_bad_keys(ds, q, served):
    ds.record(1, "HS-000001", "2026-12-05")
    before = count(q, "tickets")
    with pytest.raises(NotReady) as e:
        ds.issue_return("HS-000001", kiosk="k")
    assert e.value.code == "not_ready" and e.value.extra == {"due": "2026-12-05",
                                                             "status": "received"}  # fmt: skip
    with pytest.raises(UnknownDossier) as e:
        ds.issue_return("HS-999999", kiosk="k")
    assert e.value.status == 404 and e.value.code == "unknown_dossier"
    with pytest.raises(BadRequest):
        ds.issue_return("HS-000001", kiosk="k", key="short")
    assert count(q, "tickets") == before


def test_purge_deletes_numbers_on_schedule(ds, q, clock):
    _ready(ds, q, "HS-000001", phone=PHONE)
    q.issue("hotich")
    q.next(1)
    ds.record(1, "HS-000002", "2026-12-05", phone="0987654321", consent=True)
    ds.set_many([("HS-000001", "returned")])  # returned: kept 30 days more
    clock.advance(29 * 86400)
    assert ds.purge() == 0
    clock.advance(86400)
    assert ds.purge() == 1 and not ds.get("HS-000001").has_contact
    assert ds.get("HS-000002").has_contact  # never returned: kept up to 90 days
    clock.advance(60 * 86400)
    assert ds.purge() == 1 and count(q, "dossier_contacts") == 0
    assert events_of(q, "contact_deleted") == [
        {"code": "HS-000001", "purpose": "schedule"}, {"code": "HS-000002", "purpose": "schedule"}]  # fmt: skip


def test_status_messages_reach_the_bus_without_a_number(ds, q):
    seen = []
    q.subscribe(lambda name, msg: seen.append((name, msg.to_json())), inline=True)
    _ready(ds, q, phone=PHONE)
    q.drain()
    names = [n for n, _ in seen]
    assert "dossier_received" in names and "dossier_status" in names
    assert "contact_read" not in names  # internal: no screen hears of it
    assert PHONE[1:] not in json.dumps([m for _, m in seen if isinstance(m, dict)], default=str)
    ready = [m for n, m in seen if n == "dossier_status"][-1]
    assert ready["status"] == "ready" and ready["code"] == "HS-000001"


def ecma(pattern: str) -> str:
    """JavaScript's `$` (no m flag) ends the text; Python's also matches before a final newline."""
    return pattern.replace("$", r"\Z")


PHONEISH = st.text(alphabet="0123456789+84 .()-\t", max_size=20) | st.text(max_size=14)


@settings(max_examples=300, deadline=None)
@given(raw=PHONEISH | st.sampled_from(["0912345678", "+84 912 345 678", "(+84) 91-234-5678"]))
def test_the_documented_phone_pattern_is_what_the_server_takes(raw):
    """The OpenAPI's pattern (server/openapi_dossiers.py) accepts exactly what normal_phone does."""
    from server.openapi_dossiers import record_body

    schema = record_body()["content"]["application/json"]["schema"]["properties"]["phone"]
    documented = re.search(ecma(schema["pattern"]), raw) is not None
    try:
        normal_phone(raw)
        taken = True
    except BadRequest:
        taken = raw == ""
    assert documented == taken


@settings(max_examples=300, deadline=None)
@given(raw=st.text(alphabet="abcdxyzABCDXYZ0189.-_ \t\r\nßı", max_size=44))
def test_the_documented_code_pattern_is_what_the_server_takes(raw):
    from core.dossier_rules import DEFAULT_PATTERN, normal_code
    from server.openapi_dossiers import code_schema

    documented = re.search(ecma(code_schema()["pattern"]), raw) is not None
    assert documented == bool(re.fullmatch(DEFAULT_PATTERN, normal_code(raw)))


def test_finishing_a_return_publishes_returned_after_the_finish(ds, q):
    _ready(ds, q)
    ds.issue_return("HS-000001", kiosk="k")
    q.next(2)
    seen = []
    q.subscribe(lambda name, msg: seen.append(name), inline=True)
    q.finish(2)
    q.drain()
    assert seen == ["queue_changed", "dossier_status"]


def test_a_dossier_filed_on_a_return_ticket_names_its_procedure(ds, q):
    _ready(ds, q)
    ds.issue_return("HS-000001", kiosk="k")
    q.next(2)
    with pytest.raises(BadRequest) as e:
        ds.record(2, "HS-000002", "2026-12-05")
    assert e.value.code == "service_required"
    assert ds.record(2, "HS-000002", "2026-12-05", service="khac").service == "khac"
