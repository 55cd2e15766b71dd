"""The lobby page as served: public, no inline script, config and filters in place."""

from __future__ import annotations

import html as htmllib
import json
import re

import pytest

from tests.counter.pages import no_inline_script
from tests.helpers import site_config


def page_config(client, url="/display"):
    r = client.get(url)
    assert r.status_code == 200
    m = re.search(r'data-config="([^"]*)"', r.get_data(as_text=True))
    return json.loads(htmllib.unescape(m.group(1))), r.get_data(as_text=True)


def test_display_is_public_and_vietnamese_first(client):
    cfg, html = page_config(client)
    assert '<html lang="vi">' in html
    assert "Màn hình sảnh – UBND xã Tân Châu" in html
    assert "MỜI CÔNG DÂN CÓ SỐ" in html
    assert cfg["office"]["name"] == "UBND xã Tân Châu – Bộ phận Một cửa"
    assert cfg["display"] == {"recent_calls": 8, "flash_s": 6, "notice_rotate_s": 12}


def test_scripts_are_files_of_this_server(client):
    _, html = page_config(client)
    assert no_inline_script(html)
    srcs = re.findall(r'<script src="([^"]+)"', html)
    assert srcs == [
        "/static/vendor/socket.io/socket.io.min.js",
        "/voice/static/announcer.js",
        "/static/i18n.js",  # the string catalogue's lookups (server/i18n.py)
        "/display/static/display.js",
    ]
    for src in srcs:
        if not src.startswith("/voice/"):  # the voice branch serves that one
            assert client.get(src).status_code == 200


def test_notices_fees_and_officials_reach_the_page(client):
    cfg, _ = page_config(client)
    assert [n["title"] for n in cfg["notices"]][0] == "Thủ tục hành chính và phí, lệ phí"
    fees = {s["code"]: s["fee"] for s in cfg["services"]}
    assert fees["chungthuc"].startswith("Chứng thực bản sao: 2.000 đ/trang")
    assert {o["phone"] for o in cfg["officials"]} >= {"0912 345 678", "0987 654 321"}
    assert [c["number"] for c in cfg["counters"]] == [1, 2, 3, 4]


@pytest.fixture
def config():
    cfg = site_config()
    cfg["displays"].append({"name": "hall-2", "counters": [3, 4], "services": ["datdai"]})
    return cfg


def test_a_named_display_gets_its_filter(client):
    cfg, _ = page_config(client, "/display?name=hall-2")
    assert cfg["name"] == "hall-2" and cfg["configured"] is True
    assert cfg["filter"] == {"counters": [3, 4], "services": ["datdai"]}
    cfg, _ = page_config(client, "/display?name=sanh-chinh")
    assert cfg["filter"] == {"counters": [], "services": []}


def test_an_unknown_or_odd_name_shows_everything(client):
    cfg, _ = page_config(client, "/display?name=kho-a")
    assert cfg["name"] == "kho-a" and cfg["configured"] is False
    assert cfg["filter"] == {"counters": [], "services": []}
    cfg, _ = page_config(client, "/display?name=" + "x" * 200)
    assert cfg["name"] is None
