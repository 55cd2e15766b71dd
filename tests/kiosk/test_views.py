"""The kiosk page and the ticket status page, as served (no browser)."""

from __future__ import annotations

import datetime as dt
import html.parser
import json
import re

import pytest

from core.model import Service, Session
from kiosk.views import hours_summary
from tests.helpers import site_config


class Scripts(html.parser.HTMLParser):
    """Collects <script> tags, inline handlers and the JSON data block."""

    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.handlers: list[str] = []
        self._in = None
        self.json_blocks: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.handlers += [k for k in a if k.startswith("on")]
        if tag == "script":
            self.scripts.append(a)
            self._in = a

    def handle_data(self, data):
        if self._in is not None:
            if self._in.get("type") == "application/json":
                self.json_blocks[self._in.get("id")] = data
            elif data.strip():
                raise AssertionError(f"inline script: {data[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in = None


def parse(page: str) -> Scripts:
    p = Scripts()
    p.feed(page)
    return p


def test_kiosk_page_has_no_inline_script_and_carries_its_data(client):
    r = client.get("/kiosk")
    assert r.status_code == 200
    page = parse(r.get_data(as_text=True))
    assert page.handlers == []
    for s in page.scripts:
        assert s.get("src") or s.get("type") == "application/json"
    srcs = [s["src"] for s in page.scripts if s.get("src")]
    assert "/static/vendor/socket.io/socket.io.min.js" in srcs
    assert "/kiosk/static/kiosk.js" in srcs
    data = json.loads(page.json_blocks["kiosk-data"])
    assert data["kiosk"] == "kiosk-1"
    assert data["office"]["vi"] == "UBND xã Tân Châu – Bộ phận Một cửa"
    assert data["return_after_s"] == 8
    assert data["priority"]["vi"][0] == "Người cao tuổi"
    assert len(data["priority"]["vi"]) == len(data["priority"]["en"]) == 5
    codes = [s["code"] for s in data["services"]]
    assert codes == ["hotich", "chungthuc", "datdai", "ldtbxh", "vhxh", "khac"]
    hotich = data["services"][0]
    assert hotich["hours_vi"] == "T2–T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30"
    assert hotich["hours_en"] == "Mon–Fri 07:30-11:30, 13:30-17:00; Sat 07:30-11:30"


def test_static_files_are_served_by_the_app(client):
    for path in ("kiosk.js", "kiosk.css", "status.js", "status.css"):
        r = client.get(f"/kiosk/static/{path}")
        assert r.status_code == 200, path
        assert b"http://" not in r.data and b"https://" not in r.data, "no CDN"


def test_kiosk_id_and_language_from_the_address(client):
    r = client.get("/kiosk?kiosk=cua-sau&lang=en")
    data = json.loads(parse(r.get_data(as_text=True)).json_blocks["kiosk-data"])
    assert data["kiosk"] == "cua-sau" and data["lang"] == "en"
    assert '<html lang="en">' in r.get_data(as_text=True)


def test_bad_kiosk_id_is_a_clear_error(client):
    r = client.get("/kiosk?kiosk=" + "x" * 80)
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "invalid_kiosk"


def test_unknown_language_falls_back_to_the_default(client):
    r = client.get("/kiosk?lang=fr")
    assert json.loads(parse(r.get_data(as_text=True)).json_blocks["kiosk-data"])["lang"] == "vi"


class TestHoursEnforced:
    @pytest.fixture
    def config(self):
        return site_config(office={"enforce_hours": True})

    def test_closed_procedures_are_marked_with_their_hours(self, client, clock):
        clock.set("2026-11-30 19:00")  # Monday evening
        data = json.loads(
            parse(client.get("/kiosk").get_data(as_text=True)).json_blocks["kiosk-data"]
        )
        assert not any(s["open"] for s in data["services"])
        clock.set("2026-12-05 08:00")  # Saturday morning: only civil status receives
        data = json.loads(
            parse(client.get("/kiosk").get_data(as_text=True)).json_blocks["kiosk-data"]
        )
        assert [s["code"] for s in data["services"] if s["open"]] == ["hotich"]


def test_hours_summary_groups_days():
    am = Session(dt.time(7, 30), dt.time(11, 30))
    pm = Session(dt.time(13, 30), dt.time(17, 0))
    svc = Service("x", "X", "X", "A", hours={d: (am, pm) for d in ("mon", "tue", "wed")}
                  | {"fri": (am,), "sun": (am,)})  # fmt: skip
    assert hours_summary(svc, "vi") == (
        "T2–T4 07:30-11:30, 13:30-17:00; T6 07:30-11:30; CN 07:30-11:30"
    )
    assert hours_summary(svc, "en").startswith("Mon–Wed ")
    assert hours_summary(Service("y", "Y", "Y", "B"), "vi") == ""


def test_status_page(client, kiosk):
    t = kiosk.take_ticket("hotich")
    r = client.get(f"/t/{t['id']}")
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    page = parse(text)
    assert page.handlers == []
    data = json.loads(page.json_blocks["status-data"])
    assert data["ticket"] == t["id"]
    assert data["services"]["hotich"] == {"vi": "Tư pháp – Hộ tịch", "en": "Justice – Civil status"}
    assert data["counters"]["1"] == "Quầy 1 – Tư pháp"
    assert re.search(r'id="s-number"[^>]*>A001<', text)
    assert "/kiosk/static/status.js" in text


def test_status_page_of_an_unknown_ticket(client):
    r = client.get("/t/nope")
    assert r.status_code == 404
    assert "Không tìm thấy phiếu" in r.get_data(as_text=True)


def test_qr_code_svg(client, kiosk):
    t = kiosk.take_ticket("hotich")
    r = client.get(f"/t/{t['id']}/qr.svg")
    assert r.status_code == 200
    assert r.mimetype == "image/svg+xml"
    assert r.data.lstrip().startswith(b"<?xml") or b"<svg" in r.data[:200]
    r = client.get("/t/nope/qr.svg")
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "unknown_ticket"


def test_the_return_procedure_is_the_collect_button_not_a_procedure_button(client):
    page = parse(client.get("/kiosk").get_data(as_text=True))
    data = json.loads(page.json_blocks["kiosk-data"])
    assert "traketqua" not in [s["code"] for s in data["services"]]
    assert data["collect"]["code"] == "traketqua" and data["collect"]["kind"] == "return"
    srcs = [s["src"] for s in page.scripts if s.get("src")]
    # The scanner listener and the collect screen come after the kiosk script they extend.
    assert srcs.index("/kiosk/static/kiosk.js") < srcs.index("/static/wedge.js")
    assert srcs.index("/static/wedge.js") < srcs.index("/kiosk/static/collect.js")


class TestNoReturnProcedure:
    @pytest.fixture
    def config(self):
        config = site_config()
        config["services"] = [s for s in config["services"] if s.get("kind") != "return"]
        for c in config["counters"]:
            c["services"] = [s for s in c["services"] if s != "traketqua"]
        return config

    def test_an_office_without_one_has_no_collect_button(self, client):
        page = parse(client.get("/kiosk").get_data(as_text=True))
        assert json.loads(page.json_blocks["kiosk-data"])["collect"] is None
