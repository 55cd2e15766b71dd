"""The status import from the province's system: POST /api/dossiers/import and its CLI twin.

The body is the file itself (CSV, XLSX or JSON, by Content-Type); core/dossier_import.py reads
it and applies every row in one transaction, or refuses it at its first bad row with nothing
changed (docs/dossiers.md, "Importing status from the province's system").
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Blueprint, Flask, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from core import dossier_import as DI

from .dossiers_api import dossiers_cli
from .i18n import t
from .kernel import clerk_name, error_response, ext, require

bp = Blueprint("dossiers_import_api", __name__, url_prefix="/api")
REASON_KEYS = {"refused": "import.r_other"}
SKIPPED_SHOWN = 100


def message(e: DI.BadRow, lang: str | None = None) -> str:
    """The refusal for a person: the row as the admin sees it, the reason, nothing changed."""
    reason = t(REASON_KEYS.get(e.reason, f"import.r_{e.reason}"), lang, detail=e.detail)
    if e.line is None:
        return t("import.bad_file", lang, reason=reason)
    return t("import.bad_row", lang, row=e.line, reason=reason)


def refusal(e: DI.BadRow, status: int | None = None):
    resp = jsonify({"error": {"code": "bad_row", "message": message(e), "row": e.line,
                              "reason": e.reason, "detail": e.detail}})  # fmt: skip
    resp.status_code = status or e.status
    return resp


def answer(result: DI.Applied, rows: int) -> dict:
    """What was applied, and the rows skipped (codes this office never recorded), the first
    SKIPPED_SHOWN of them by row."""
    return {"applied": result.applied, "rows": rows, "skipped": len(result.skipped),
            "unknown": [{"row": r.line, "code": r.code} for r in result.skipped[:SKIPPED_SHOWN]]}  # fmt: skip


@bp.post("/dossiers/import")
@require("supervisor")
def import_status():
    source = DI.source_for(request.mimetype)
    if source is None:
        return error_response("unsupported_media_type", t("import.unsupported"), 415)
    if request.content_length is not None and request.content_length > DI.MAX_BYTES:
        return refusal(DI.BadRow(None, "too_large", str(DI.MAX_BYTES)), 413)
    request.max_content_length = DI.MAX_BYTES  # above the app's 256 KB: a province export
    try:
        data = request.get_data(cache=False)
    except RequestEntityTooLarge:  # chunked, no Content-Length: cut off while reading
        return refusal(DI.BadRow(None, "too_large", str(DI.MAX_BYTES)), 413)
    if request.content_length is not None and len(data) != request.content_length:
        return error_response("incomplete_body", "The body ended before its Content-Length.", 400)
    try:
        rows = DI.parse(data, source)
        result = DI.apply(ext().dossiers, rows, clerk_name())
    except DI.BadRow as e:
        return refusal(e)
    return jsonify(answer(result, len(rows)))


@dossiers_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
def import_cmd(file: Path, lang: str):
    """Apply a status file from the province's system (.csv, .xlsx or .json): all or nothing."""
    source = DI.source_for(None, file.name)
    if source is None:
        raise click.UsageError(t("import.unsupported", lang))
    try:
        rows = DI.parse(file.read_bytes(), source)
        result = DI.apply(ext().dossiers, rows, None)
    except DI.BadRow as e:
        click.echo(message(e, lang), err=True)
        sys.exit(1)
    click.echo(t("import.applied", lang, n=result.applied))
    if result.skipped:
        shown = ", ".join(f"{r.line}:{r.code}" for r in result.skipped[:SKIPPED_SHOWN])
        click.echo(t("import.skipped", lang, n=len(result.skipped), rows=shown))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
