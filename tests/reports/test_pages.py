"""Supervisor pages and the rating tablet: sessions, roles, no inline script, rating flow."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from reports.views import RATE_WINDOW_S
from tests.reports.test_summary import one_day

PAGES = [
    "/supervisor",
    "/supervisor/day?date=2026-11-30",
    "/supervisor/trend",
    "/supervisor/print?date=2026-11-30",
]


def login(client, name, password="secret123"):
    client.get("/login")
    with client.session_transaction() as s:
        token = s["csrf"]
    r = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    assert r.status_code == 302, r.data


class ScriptAudit(HTMLParser):
    """Collects inline scripts and on* handler attributes (a strict CSP would block them)."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
        if tag == "script":
            if not attrs.get("src"):
                self.problems.append("inline <script>")
        for value in attrs.values():
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in <{tag}>")


@pytest.mark.parametrize("url", PAGES)
def test_pages_need_a_supervisor_session(client, auth, url):
    r = client.get(url)
    assert r.status_code == 302 and "/login" in r.location
    login(client, "clerk1")
    r = client.get(url)
    assert r.status_code == 403 and "Không có quyền" in r.get_data(as_text=True)
    # An API token is not a browser session: pages still send it to the login form.
    assert client.get(url, headers=auth["supervisor"]).status_code in (302, 403)


@pytest.mark.parametrize("url", [*PAGES, "/rate/1"])
def test_pages_render_without_inline_script(client, auth, url, clock, kiosk, counter):
    one_day(clock, kiosk, counter)
    clock.set("2026-12-01 09:00")
    login(client, "supervisor1")
    r = client.get(url)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    audit = ScriptAudit()
    audit.feed(html)
    assert audit.problems == []
    assert 'lang="vi"' in html
    for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert src.startswith("/"), src  # everything served by the app: no CDN
        assert client.get(src).status_code == 200, src


def test_day_page_shows_figures_filters_and_errors(client, auth, clock, kiosk, counter):
    a, b, *_ = one_day(clock, kiosk, counter)
    clock.set("2026-12-01 09:00")
    login(client, "admin1")
    html = client.get("/supervisor/day?date=2026-11-30").get_data(as_text=True)
    assert "Báo cáo ngày 2026-11-30" in html and "Chứng thực" in html
    assert html.count('<canvas id="c-') == 5
    assert a["number"] in html and b["number"] in html
    html = client.get("/supervisor/day?date=2026-11-30&status=no_show").get_data(as_text=True)
    assert b["number"] in html and a["number"] not in html.split('id="t-log"')[1]
    r = client.get("/supervisor/day?date=not-a-date")
    assert r.status_code == 400 and "YYYY-MM-DD" in r.get_data(as_text=True)
    r = client.get("/supervisor/day?date=2026-11-30&status=lost")
    assert r.status_code == 400


def test_print_page(client, auth, clock, kiosk, counter):
    one_day(clock, kiosk, counter)
    clock.set("2026-12-01 09:00")
    login(client, "supervisor1")
    html = client.get("/supervisor/print?date=2026-11-30").get_data(as_text=True)
    assert "BÁO CÁO HIỆU QUẢ TIẾP NHẬN NGÀY 30/11/2026" in html
    assert "LÃNH ĐẠO PHỤ TRÁCH" in html and "Gợi ý số quầy" in html


def test_rating_tablet_flow(client, auth, clock, kiosk, counter):
    login(client, "clerk1")
    h = auth["clerk"]
    assert client.get("/api/counters/1/rating-ticket", headers=h).get_json() == {"ticket": None}
    assert client.get("/api/counters/99/rating-ticket", headers=h).status_code == 404
    assert client.get("/rate/99").status_code == 404
    t = kiosk.take_ticket("hotich")
    counter.next(1)
    assert client.get("/api/counters/1/rating-ticket", headers=h).get_json() == {"ticket": None}
    clock.advance(300)
    counter.post(1, "finish")
    clock.advance(10)
    got = client.get("/api/counters/1/rating-ticket").get_json()["ticket"]  # the tablet's session
    assert got == {"id": t["id"], "number": t["number"], "finished_s_ago": 10}
    with client.session_transaction() as s:
        csrf = s["csrf"]
    r = client.post(f"/api/tickets/{t['id']}/feedback", json={"rating": 4},
                    headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert r.status_code == 201
    assert client.get("/api/counters/1/rating-ticket").get_json() == {"ticket": None}
    r = client.post(f"/api/tickets/{t['id']}/feedback", json={"rating": 1})
    assert r.status_code == 409  # one rating per ticket
    # An unrated ticket is offered only for a short while after Finish.
    t2 = kiosk.take_ticket("hotich")
    counter.next(1)
    counter.post(1, "finish")
    assert client.get("/api/counters/1/rating-ticket").get_json()["ticket"]["id"] == t2["id"]
    clock.advance(RATE_WINDOW_S + 1)
    assert client.get("/api/counters/1/rating-ticket").get_json() == {"ticket": None}


def test_rating_endpoint_roles(client):
    r = client.get("/api/counters/1/rating-ticket")
    assert r.status_code == 401
    r = client.get("/rate/1")
    assert r.status_code == 302 and "/login" in r.location
