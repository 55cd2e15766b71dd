"""Status-page URLs in QR codes must be reachable from a phone on the LAN."""

from __future__ import annotations

import pytest

from kiosk import links as links_mod
from kiosk.links import Links
from tests.helpers import site_config


@pytest.fixture
def lan(monkeypatch):
    monkeypatch.setattr(links_mod, "lan_ip", lambda: "192.168.1.20")


def test_public_url_wins(lan):
    links = Links("https://xa-tanchau.example.vn/")
    links.note("http://127.0.0.1:5000/")
    assert links.ticket_url({"id": "abc", "url": "/t/abc"}) == "https://xa-tanchau.example.vn/t/abc"


def test_loopback_is_replaced_by_the_lan_address(lan):
    links = Links("")
    links.note("http://127.0.0.1:5000/")
    assert links.base() == "http://192.168.1.20:5000"
    links.note("http://localhost:8080/")
    assert links.base() == "http://192.168.1.20:8080"
    links.note("http://192.168.1.20/")
    assert links.base() == "http://192.168.1.20"


def test_a_forged_host_header_is_not_trusted(lan):
    links = Links("")
    links.note("http://127.0.0.1:5000/")
    links.note("http://evil.example:6666/")
    links.note("http://10.9.9.9:7777/")
    links.note("http://[::1:bad/")
    assert links.ticket_url({"id": "x", "url": "/t/x"}) == "http://192.168.1.20:5000/t/x"


def test_before_any_request_the_default_port(lan, monkeypatch):
    monkeypatch.setenv("PORT", "5123")
    assert Links("").base() == "http://192.168.1.20:5123"


def test_without_a_network_loopback_is_kept(monkeypatch):
    monkeypatch.setattr(links_mod, "lan_ip", lambda: None)
    links = Links("")
    links.note("http://127.0.0.1:5000/")
    assert links.base() == "http://127.0.0.1:5000"


def test_absolute_ticket_urls_are_kept():
    assert Links("").ticket_url({"id": "x", "url": "https://a.b/t/x"}) == "https://a.b/t/x"


def test_lan_ip_is_an_address_or_none():
    ip = links_mod.lan_ip()
    assert ip is None or (ip.count(".") == 3 and not ip.startswith("127."))


def test_printed_qr_follows_the_address_the_kiosk_used(app, onestop, client, lan):
    base = "http://127.0.0.1:5000"  # the kiosk's Chromium on the Pi itself
    client.get("/kiosk", base_url=base)
    r = client.post("/api/tickets", json={"service": "hotich"}, base_url=base)
    ticket = r.get_json()["ticket"]
    onestop.queue.drain()
    # The core's ticket carries a relative URL when public_url is empty; the printer makes
    # it absolute with the LAN address a phone can reach.
    relative = {**ticket, "url": f"/t/{ticket['id']}"}
    assert onestop.devices.printer.url_for(relative) == f"http://192.168.1.20:5000/t/{ticket['id']}"


class TestPublicUrl:
    @pytest.fixture
    def config(self):
        return site_config(office={"public_url": "https://xa.example.vn"})

    def test_ticket_url_uses_it(self, kiosk):
        t = kiosk.take_ticket("hotich")
        assert t["url"] == f"https://xa.example.vn/t/{t['id']}"
