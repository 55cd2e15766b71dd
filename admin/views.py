"""The /admin pages: each a form over GET /api/admin/config or one of the finer routes."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from server.i18n import lang_args
from server.kernel import ext, page_require

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# The pages in the navigation's order: (slug, catalogue key of the title).
PAGES = (
    ("office", "admin.nav_office"),
    ("procedures", "admin.nav_procedures"),
    ("counters", "admin.nav_counters"),
    ("notices", "admin.nav_notices"),
    ("users", "admin.nav_users"),
    ("devices", "admin.nav_devices"),
    ("printer-voice", "admin.nav_printer_voice"),
    ("history", "admin.nav_history"),
)
SLUGS = dict(PAGES)


@bp.get("/")
@page_require("admin")
def home():
    return redirect(url_for("admin.page", slug="office", **lang_args()))


@bp.get("/<string:slug>")
@page_require("admin")
def page(slug: str):
    if slug not in SLUGS:
        abort(404)
    office = ext().settings.office
    return render_template(
        f"admin/{slug.replace('-', '_')}.html", office=office, pages=PAGES, active=slug,
        title=SLUGS[slug], user=current_user,
    )  # fmt: skip
