"""One string catalogue for every screen: Vietnamese and English .po files read with Babel."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from pathlib import Path

from babel.messages.pofile import read_po
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    has_request_context,
    request,
    url_for,
)
from markupsafe import Markup, escape

# Vietnamese first: it is the reference language and the fallback for a missing string.
LANGS = ("vi", "en")
DEFAULT = "vi"
DIR = Path(__file__).resolve().parent / "translations"
PLACEHOLDER = re.compile(r"\{(\w+)\}")

bp = Blueprint("i18n", __name__)


class Catalogue:
    """Every UI string by language and key; a plural entry is a tuple of forms."""

    def __init__(self, directory: Path = DIR, langs: tuple[str, ...] = LANGS):
        self.langs = langs
        self.strings: dict[str, dict[str, str | tuple[str, ...]]] = {}
        for lang in langs:
            path = directory / lang / "LC_MESSAGES" / "messages.po"
            with path.open("rb") as f:
                po = read_po(f, locale=lang)
            table: dict[str, str | tuple[str, ...]] = {}
            for m in po:
                if not m.id:
                    continue  # the header entry
                key = m.id[0] if isinstance(m.id, tuple) else m.id
                if isinstance(m.string, tuple):
                    table[key] = tuple(nfc(s) for s in m.string)
                else:
                    table[key] = nfc(m.string)
            self.strings[lang] = table
        body = json.dumps(self.strings, sort_keys=True, ensure_ascii=False)
        # Changes whenever a .po file does: the ETag of the served JSON.
        self.version = hashlib.sha256(body.encode()).hexdigest()[:16]

    def get(self, key: str, lang: str, n: int | None = None) -> str:
        """The raw string (plural form picked by n); Vietnamese, then the key, when missing."""
        value = self.strings.get(lang, {}).get(key) or self.strings[self.langs[0]].get(key)
        if value is None:
            return key
        if isinstance(value, tuple):
            # Vietnamese has one form; English two (n == 1, other): enough for both.
            return value[0] if len(value) == 1 or n == 1 else value[1]
        return value

    def export(self, lang: str, namespaces: tuple[str, ...] = ()) -> dict:
        """Strings of one language as JSON-ready data, limited to some key namespaces."""
        table = self.strings[lang]
        if namespaces:
            prefixes = tuple(ns + "." for ns in namespaces)
            return {k: list(v) if isinstance(v, tuple) else v for k, v in table.items() if k.startswith(prefixes)}  # fmt: skip
        return {k: list(v) if isinstance(v, tuple) else v for k, v in table.items()}


def nfc(text: str) -> str:
    # Vietnamese can be typed decomposed (a + combining marks); compare and show one form.
    return unicodedata.normalize("NFC", text)


@functools.cache
def catalogue() -> Catalogue:
    return Catalogue()


def fill(text: str, params: dict) -> str:
    """Replace {name} placeholders; unknown ones stay visible rather than raising."""
    if not params:
        return text
    return PLACEHOLDER.sub(lambda m: str(params[m[1]]) if m[1] in params else m[0], text)


def default_lang() -> str:
    try:
        lang = current_app.extensions["onestop"].settings["office"]["language"]
    except (RuntimeError, KeyError, AttributeError):
        return DEFAULT
    return lang if lang in LANGS else DEFAULT


def current_lang() -> str:
    """The request's ?lang= when valid, else the office's default language (as pages did)."""
    if has_request_context():
        lang = request.args.get("lang")
        if lang in LANGS:
            return lang
        return default_lang()
    return DEFAULT


def t(key: str, lang: str | None = None, **params) -> str:
    """The string `key` in `lang` (default: the request's), placeholders filled, n picks plurals."""
    lang = lang if lang in LANGS else current_lang()
    return fill(catalogue().get(key, lang, params.get("n")), params)


def bi_text(key: str, **params) -> str:
    """'Việt / English' on a Vietnamese page, English only on an English one."""
    if current_lang() == "en":
        return t(key, "en", **params)
    return f"{t(key, 'vi', **params)} / {t(key, 'en', **params)}"


def bi(key: str, small: bool = True, **params) -> Markup:
    """Like bi_text, for templates: the English part in <small> as the pages show it."""
    if current_lang() == "en" or not small:
        return escape(bi_text(key, **params))
    return Markup("{} <small>/ {}</small>").format(t(key, "vi", **params), t(key, "en", **params))


def en_sub(key: str, before: str = "", **params) -> str:
    """The English gloss a Vietnamese page shows beside a heading; nothing on an English page."""
    if current_lang() == "en":
        return ""
    return before + t(key, "en", **params)


def lang_url(lang: str) -> str:
    """This page's address in another language (the pages' VI / EN links)."""
    args = request.args.to_dict()
    args["lang"] = lang
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def page_script(*namespaces: str) -> Markup:
    """<script src=i18n.js data-i18n=...>: the helper with the strings of these namespaces."""
    cat = catalogue()
    namespaces = ("common", *namespaces)
    data = {
        "lang": current_lang(),
        "strings": {lang: cat.export(lang, namespaces) for lang in cat.langs},
    }
    # An attribute, not an inline block: the CSP (script-src 'self') and the pages' tests
    # allow no <script> without src; both languages, so a page can switch without a reload.
    return Markup('<script src="{}" data-i18n="{}" defer></script>').format(
        url_for("static", filename="i18n.js"), json.dumps(data, ensure_ascii=False)
    )


def lang_args() -> dict:
    """Query arguments that keep a chosen non-default language on the next link."""
    lang = current_lang()
    return {"lang": lang} if lang != default_lang() else {}


@bp.get("/i18n/<lang>.json")
def catalogue_json(lang: str):
    """The whole catalogue of one language for scripts and tools; cacheable, with an ETag."""
    cat = catalogue()
    if lang not in cat.langs:
        return Response(
            json.dumps({"error": {"code": "unknown_language", "message": f"One of {', '.join(cat.langs)}."}}),
            status=404,
            mimetype="application/json",
        )  # fmt: skip
    body = json.dumps({"lang": lang, "strings": cat.export(lang)}, ensure_ascii=False)
    resp = Response(body, mimetype="application/json")
    resp.set_etag(f"{lang}-{cat.version}")
    # No ticket or user data in here, unlike the API: shared caches may keep it.
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp.make_conditional(request)


def init_app(app: Flask) -> None:
    """Serve the JSON catalogue; give templates _(), bi(), en_sub(), i18n_script() and lang links."""
    catalogue()  # a broken .po file stops start-up, not the first page
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        _=t,
        bi=bi,
        en_sub=en_sub,
        lang_url=lang_url,
        i18n_script=page_script,
        i18n_lang=current_lang,
        lang_args=lang_args,
    )
    app.jinja_env.filters["t"] = t
