"""The string catalogue: both languages complete, every used key present, pages and exports in English."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from openpyxl import load_workbook

from server import i18n
from tests.reports.test_pages import login
from tests.reports.test_summary import one_day

ROOT = Path(__file__).resolve().parents[2]
PO = {lang: ROOT / "server" / "translations" / lang / "LC_MESSAGES" / "messages.po" for lang in i18n.LANGS}  # fmt: skip
CAT = i18n.catalogue()
NAMESPACES = sorted({k.split(".")[0] for k in CAT.strings["vi"]})
KEY = re.compile(rf"^(?:{'|'.join(NAMESPACES)})\.(?!(?:html|js|css|svg|png|json)$)[a-z0-9_]+$")
LITERAL = re.compile(r"""["']([a-z0-9_.]+)["']""")
# Page scripts and the template that loads each (its i18n_script(...) namespaces must cover it).
SCRIPTS = sorted(
    p
    for pattern in (
        "kiosk/static/*.js",
        "counter/static/*.js",
        "display/static/*.js",
        "reports/static/*.js",
        "voice/static/voice_admin.js",
        "admin/static/*.js",
    )  # fmt: skip
    for p in ROOT.glob(pattern)
)
TEMPLATES = sorted(ROOT.glob("*/templates/**/*.html"))
PYTHON = [ROOT / p for p in ("reports/exports.py", "reports/views.py", "kiosk/views.py", "server/views.py", "sms/__init__.py", "admin/views.py")]  # fmt: skip
VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹàáèéìíòóùúýõãĩũ]", re.I)  # fmt: skip


def keys_in(path: Path) -> set[str]:
    """Catalogue keys a file names: quoted literals shaped like a key (not endpoints/files)."""
    text = path.read_text(encoding="utf-8")
    # url_for('reports.static', filename='kiosk.js') names endpoints and files, not strings.
    text = re.sub(r"url_for\(\s*['\"][^'\"]*['\"]", "", text)
    text = re.sub(r"filename=['\"][^'\"]*['\"]", "", text)
    found = {m[1] for m in LITERAL.finditer(text) if KEY.match(m[1])}
    found |= set(re.findall(r'data-t="([^"]+)"', text))
    return found


def read(lang: str):
    with PO[lang].open("rb") as f:
        return read_po(f, locale=lang)


def test_both_languages_have_the_same_keys_and_no_empty_string():
    ids = {}
    for lang in i18n.LANGS:
        po = read(lang)
        ids[lang] = {m.id if isinstance(m.id, str) else m.id[0] for m in po if m.id}
        for m in po:
            if m.id:
                strings = m.string if isinstance(m.string, tuple) else (m.string,)
                assert all(s.strip() for s in strings), f"{lang}: {m.id} has no text"
                assert not m.fuzzy, f"{lang}: {m.id} is fuzzy"
    assert ids["vi"] - ids["en"] == set(), "keys missing from en"
    assert ids["en"] - ids["vi"] == set(), "keys missing from vi"
    assert len(ids["vi"]) > 300


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_po_files_are_nfc(lang):
    text = PO[lang].read_text(encoding="utf-8")
    bad = [line for line in text.splitlines() if unicodedata.normalize("NFC", line) != line]
    assert bad == [], f"not NFC in {lang}: {bad[:3]}"


def test_a_decomposed_string_is_normalised_when_read():
    decomposed = unicodedata.normalize("NFD", "Quầy")
    assert decomposed != "Quầy" and i18n.nfc(decomposed) == "Quầy"


@pytest.mark.parametrize("path", SCRIPTS + TEMPLATES + PYTHON, ids=lambda p: str(p.relative_to(ROOT)))  # fmt: skip
def test_every_key_a_file_uses_is_in_both_languages(path):
    used = keys_in(path)
    for lang in i18n.LANGS:
        missing = sorted(k for k in used if k not in CAT.strings[lang])
        assert missing == [], f"{path.name}: not in {lang}.po: {missing}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_a_script_only_uses_keys_its_pages_carry(script):
    used = {k.split(".")[0] for k in keys_in(script)}
    pages = [p for p in TEMPLATES if f"filename='{script.name}'" in p.read_text(encoding="utf-8")]
    assert pages or not used, f"no template loads {script.name}"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        carried = {"common"}
        for args in re.findall(r"i18n_script\(([^)]*)\)", text):
            carried |= set(re.findall(r"'(\w+)'", args))
        assert used <= carried, f"{page.name} loads {script.name} without {used - carried}"
        if used:  # the helper and its strings come first
            assert text.index("i18n_script(") < text.index(f"filename='{script.name}'")


@pytest.mark.parametrize("path", SCRIPTS + TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_ui_text_left_outside_the_catalogue(path):
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^\s*//.*$|/\*.*?\*/|\{#.*?#\}", "", text, flags=re.M | re.S)  # comments
    text = re.sub(r"//[^\n\"']*$", "", text, flags=re.M)
    assert not VIETNAMESE.search(text), f"Vietnamese text in {path.name}: move it to the .po files"


def test_t_fills_placeholders_picks_plurals_and_falls_back():
    assert i18n.t("kiosk.waiting_n", "vi", n=3) == "Đang chờ: 3 người"
    assert i18n.t("kiosk.waiting_n", "en", n=1) == "1 person waiting"
    assert i18n.t("kiosk.waiting_n", "en", n=2) == "2 people waiting"
    assert i18n.t("common.counter_n", "en", n=4) == "Counter 4"
    assert i18n.t("no.such_key", "en") == "no.such_key"
    assert i18n.t("counter.unreachable", "en") == "Server unreachable: {error}"  # unknown stays


def test_catalogue_json_is_served_and_cacheable(client):
    r = client.get("/i18n/en.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert "public" in r.headers["Cache-Control"] and r.headers["ETag"]
    body = r.get_json()
    assert (
        body["lang"] == "en"
        and body["strings"]["kiosk.choose"] == "Tap a procedure to take a number"
    )
    assert body["strings"]["kiosk.waiting_n"] == ["{n} person waiting", "{n} people waiting"]
    again = client.get("/i18n/en.json", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/i18n/vi.json").get_json()["strings"]["kiosk.choose"].startswith("Chạm")
    assert client.get("/i18n/fr.json").status_code == 404


def visible(html: str) -> str:
    """The page without the catalogue it carries for its script (both languages)."""
    return re.sub(r'data-i18n="[^"]*"', "", html)


def page_strings(html: str) -> dict:
    raw = re.search(r'<script src="/static/i18n.js" data-i18n="([^"]+)"', html)[1]
    return json.loads(raw.replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'"))  # fmt: skip


def test_kiosk_renders_in_english_when_asked(client):
    html = client.get("/kiosk?lang=en").get_data(as_text=True)
    assert "Tap a procedure to take a number" in html and "Chạm vào thủ tục" not in visible(html)
    data = page_strings(html)
    assert data["lang"] == "en" and set(data["strings"]) == {"vi", "en"}  # both: the toggle
    assert all(k.split(".")[0] in ("common", "citizen", "kiosk") for k in data["strings"]["en"])
    assert "Chạm vào thủ tục để lấy số thứ tự" in client.get("/kiosk").get_data(as_text=True)


def test_login_page_is_bilingual_by_default_and_english_when_asked(client):
    html = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập <small>/ Log in</small>" in html
    html = client.get("/login?lang=en").get_data(as_text=True)
    assert "<h1>Log in</h1>" in html and "Đăng nhập" not in html


@pytest.fixture
def supervisor(client, onestop, clock, kiosk, counter):
    one_day(clock, kiosk, counter)
    clock.set("2026-12-01 09:00")
    onestop.users.add("sup", "supervisor", "secret123")
    login(client, "sup")
    return client


def test_supervisor_pages_render_in_english_when_asked(supervisor):
    html = supervisor.get("/supervisor/day?date=2026-11-30&lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Daily report 2026-11-30" in html and "Ticket log" in html and "Per procedure" in html
    assert "Báo cáo ngày" not in visible(html) and "Nhật ký phiếu" not in visible(html)
    assert "format=csv&amp;lang=en" in html  # the exports follow the page's language
    assert 'name="lang" value="en"' in html  # so do the date and filter forms
    vi = supervisor.get("/supervisor/day?date=2026-11-30").get_data(as_text=True)
    assert "Báo cáo ngày 2026-11-30" in vi and "lang=en" not in vi.split("hreflang")[0]
    for url in ("/supervisor?lang=en", "/supervisor/trend?lang=en", "/supervisor/print?date=2026-11-30&lang=en"):  # fmt: skip
        html = supervisor.get(url).get_data(as_text=True)
        assert '<html lang="en">' in html, url
        # Only names from the office's config (office, procedures, counters) stay Vietnamese.
        text = re.sub(r"<option[^>]*>[^<]*</option>|<td[^>]*>[^<]*</td>", "", visible(html))
        text = re.sub(r"<title>.*?</title>|<strong>[^<]*</strong>|<div class=\"(?:org|muted)\">[^<]*</div>", "", text)  # fmt: skip
        assert not VIETNAMESE.search(text), (url, VIETNAMESE.search(text) and text[VIETNAMESE.search(text).start() - 80 :][:160])  # fmt: skip
    assert "RECEPTION PERFORMANCE REPORT OF 30/11/2026" in supervisor.get(
        "/supervisor/print?date=2026-11-30&lang=en"
    ).get_data(as_text=True)


def test_csv_export_has_english_headers_when_asked(client, auth, supervisor):
    h = auth["supervisor"]
    vi = list(csv.reader(io.StringIO(client.get("/api/reports/daily?date=2026-11-30&format=csv", headers=h).data.decode("utf-8-sig"))))  # fmt: skip
    en = list(csv.reader(io.StringIO(client.get("/api/reports/daily?date=2026-11-30&format=csv&lang=en", headers=h).data.decode("utf-8-sig"))))  # fmt: skip
    assert vi[0][:4] == ["Phạm vi [scope]", "Mã [key]", "Tên [name]", "Số phiếu [issued]"]
    assert en[0][:4] == ["Scope [scope]", "Key [key]", "Name [name]", "Tickets [issued]"]
    assert "Average wait (seconds) [wait_avg_s]" in en[0]
    # Column keys are machine-stable: the same [key] in the same place in both languages.
    assert [c.rsplit("[", 1)[1] for c in vi[0]] == [c.rsplit("[", 1)[1] for c in en[0]]
    assert en[1][0] == "Whole office" and vi[1][0] == "Toàn bộ phận"
    assert vi[1][3:] == en[1][3:]  # the same numbers
    log = client.get("/api/tickets?date=2026-11-30&format=csv&lang=en", headers=h)
    rows = list(csv.reader(io.StringIO(log.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Number [number]", "Procedure code [service]", "Procedure [service_name]", "Status [status]"]  # fmt: skip
    assert {r[3] for r in rows[1:]} <= {"Waiting", "Called", "Being served", "Done", "No-show", "Cancelled", "Expired"}  # fmt: skip


def test_xlsx_export_has_english_headers_when_asked(client, auth, supervisor):
    h = auth["supervisor"]
    r = client.get("/api/reports/daily?date=2026-11-30&format=xlsx&lang=en", headers=h)
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["Summary", "Per procedure", "Per counter", "Per clerk", "Per hour", "Counter utilisation"]  # fmt: skip
    assert wb["Summary"]["A1"].value == "Daily report 2026-11-30"
    assert [c.value for c in wb["Per procedure"][1]][:3] == ["Key", "Name", "Tickets"]
    r = client.get("/api/tickets?date=2026-11-30&format=xlsx&lang=en", headers=h)
    ws = load_workbook(io.BytesIO(r.data)).active
    assert ws.title == "Log 2026-11-30" and ws["A1"].value == "Number"
    r = client.get("/api/reports/daily?date=2026-11-30&format=xlsx", headers=h)
    assert load_workbook(io.BytesIO(r.data)).sheetnames[0] == "Tổng hợp"  # Vietnamese by default
