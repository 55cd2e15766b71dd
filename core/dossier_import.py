"""Status updates from the province's one-stop system: CSV, XLSX or JSON, behind one interface.

Those systems publish no API, so these generic formats are the contract (docs/dossiers.md,
"Importing status from the province's system"). A source turns the file into rows; a file
that cannot be read whole is refused with the first bad row as the admin sees it (its line in
the CSV, its row in the sheet, its place in the JSON list) and the reason, so nothing of it is
applied. Applying the rows is `Dossiers.set_many`, one transaction (`apply`).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from .dossier_rules import MAX_CODE, RowError
from .shapes import DOSSIER_STATUSES as STATUSES

MAX_BYTES = 5 * 1024 * 1024  # a province export of 5,000 rows is ~200 KB
MAX_ROWS = 50_000
# The words the province systems export, folded (no accents, lower case, single spaces).
_WORDS = {
    "da tiep nhan": "received",
    "dang xu ly": "in_progress",
    "da co ket qua": "ready",
    "da tra ket qua": "returned",
    "bo sung ho so": "more_needed",
    "tu choi": "rejected",
    "rut ho so": "withdrawn",
}
_HEADERS = {
    "ma_ho_so": "code", "code": "code",
    "trang_thai": "status", "status": "status",
    "thoi_gian": "at", "at": "at",
}  # fmt: skip
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


@dataclass(frozen=True, slots=True)
class StatusRow:
    line: int  # where the admin finds it: CSV line, sheet row, JSON list position (1-based)
    code: str
    status: str  # one of STATUSES
    at: str | None = None  # ISO time of the change in the province's system, when given


class BadRow(ValueError):
    """The file is refused at `line` (None: the file as a whole) for `reason`; `status`
    400 when the file is malformed, 409 when a row conflicts with what the office holds."""

    def __init__(self, line: int | None, reason: str, detail: str = "", status: int = 400):
        super().__init__(f"row {line}: {reason}{': ' + detail if detail else ''}")
        self.line, self.reason, self.detail = line, reason, detail
        self.status = status  # 400: the file is malformed; 409: it conflicts with the stored


class StatusSource(Protocol):
    """One format of the province's export."""

    def rows(self, data: bytes) -> list[StatusRow]: ...


def fold(text: str) -> str:
    """Lower case, no accents (đ as d), single spaces: "Đã Trả  kết quả" -> "da tra ket qua"."""
    text = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def status_of(word) -> str | None:
    """The API's status code for a Vietnamese word or an English code; None if neither."""
    return _status_of(word if isinstance(word, str) else str(word or ""))


@functools.lru_cache(maxsize=512)  # a file repeats a handful of words thousands of times
def _status_of(word: str) -> str | None:
    folded = fold(word)
    code = folded.replace(" ", "_")
    return code if code in STATUSES else _WORDS.get(folded)


def dossier_code(text) -> str:
    """A code as the dossiers table keeps it: NFC, upper case, no surrounding blanks."""
    return unicodedata.normalize("NFC", str(text or "")).strip().upper()


def when(value) -> str | None:
    """The `at` column as ISO text: ISO 8601, dd/mm/yyyy [HH:MM[:SS]], or a sheet's date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value).strip()
    m = _DMY.match(text)
    try:
        if m:
            d, mo, y, h, mi, s = (int(g) if g else 0 for g in m.groups())
            return dt.datetime(y, mo, d, h, mi, s).isoformat()
        return dt.datetime.fromisoformat(text.upper()).isoformat()  # RFC 3339 allows t and z
    except ValueError:
        raise ValueError(text) from None


def _row(line: int, code, status, at) -> StatusRow:
    """One row checked: a code, a known status, a readable time (or none)."""
    code = dossier_code(code)
    if not code:
        raise BadRow(line, "missing_code")
    if len(code) > MAX_CODE:
        raise BadRow(line, "bad_code", code[:MAX_CODE] + "…")
    found = status_of(status)
    if found is None:
        raise BadRow(line, "unknown_status", str(status or ""))
    try:
        at = when(at)
    except ValueError:
        raise BadRow(line, "bad_time", str(at)) from None
    return StatusRow(line, code, found, at)


def _columns(header: list, line: int = 1) -> dict[str, int]:
    """Which column holds the code, the status and (optionally) the time."""
    cols: dict[str, int] = {}
    for i, name in enumerate(header):
        key = _HEADERS.get(fold(name or "").replace(" ", "_").replace("-", "_"))
        if key and key not in cols:
            cols[key] = i
    missing = [k for k in ("code", "status") if k not in cols]
    if missing:
        raise BadRow(line, "missing_column", ", ".join(missing))
    return cols


def _cell(cells: list, i: int | None):
    return cells[i] if i is not None and i < len(cells) else None


def _table(cells_by_line, first_line: int = 1) -> list[StatusRow]:
    """Rows of a table whose first non-empty line is the header; blank lines skipped."""
    out: list[StatusRow] = []
    cols = None
    for line, cells in cells_by_line:
        cells = list(cells)
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue
        if cols is None:
            cols = _columns(cells, line)
            continue
        if len(out) >= MAX_ROWS:
            raise BadRow(line, "too_many_rows", str(MAX_ROWS))
        code, status, at = (_cell(cells, cols.get(k)) for k in ("code", "status", "at"))
        out.append(_row(line, code, status, at))
    if cols is None:
        raise BadRow(first_line, "missing_column", "code, status")
    return out


class CsvSource:
    """UTF-8 (with or without a BOM), `,` or `;` between fields, a header line first."""

    def rows(self, data: bytes) -> list[StatusRow]:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise BadRow(data[: e.start].count(b"\n") + 1, "not_utf8") from None
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            return _table((reader.line_num, cells) for cells in reader)
        except csv.Error as e:
            raise BadRow(reader.line_num or 1, "bad_csv", str(e)) from None


class XlsxSource:
    """The first sheet of a workbook, the header in its first non-empty row."""

    def rows(self, data: bytes) -> list[StatusRow]:
        from openpyxl import load_workbook  # only an import reads a workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as e:  # a zip that is no workbook raises one of a dozen kinds
            raise BadRow(None, "not_xlsx", type(e).__name__) from None
        try:
            sheet = book.worksheets[0]
            return _table(enumerate(sheet.iter_rows(values_only=True), 1))
        finally:
            book.close()


class JsonSource:
    """`{"rows": [{"code", "status", "at"?}, ...]}`; a row's line is its place in the list."""

    def rows(self, data: bytes) -> list[StatusRow]:
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as e:
            raise BadRow(None, "bad_json", str(e)) from None
        items = doc.get("rows") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            raise BadRow(None, "bad_json", 'expected {"rows": [...]}')
        if len(items) > MAX_ROWS:
            raise BadRow(MAX_ROWS + 1, "too_many_rows", str(MAX_ROWS))
        out = []
        for line, item in enumerate(items, 1):
            if not isinstance(item, dict):
                raise BadRow(line, "bad_json", "a row is an object")
            for key in ("code", "status", "at"):
                if item.get(key) is not None and not isinstance(item[key], str):
                    raise BadRow(line, "bad_json", f"{key} is text")
            out.append(_row(line, item.get("code"), item.get("status"), item.get("at")))
        return out


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SOURCES: dict[str, StatusSource] = {
    "text/csv": CsvSource(),
    XLSX_TYPE: XlsxSource(),
    "application/json": JsonSource(),
}


def source_for(content_type: str | None, name: str = "") -> StatusSource | None:
    """The source of a media type (parameters ignored), else of a file name's extension."""
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in SOURCES:
        return SOURCES[mime]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {"csv": SOURCES["text/csv"], "xlsx": SOURCES[XLSX_TYPE],
            "json": SOURCES["application/json"]}.get(ext)  # fmt: skip


def parse(data: bytes, source: StatusSource) -> list[StatusRow]:
    """Every row of the file, or BadRow for the first that cannot be read (or an empty file)."""
    if len(data) > MAX_BYTES:
        raise BadRow(None, "too_large", str(MAX_BYTES))
    rows = source.rows(data)
    if not rows:
        raise BadRow(None, "no_rows")
    return rows


@dataclass(frozen=True, slots=True)
class Applied:
    applied: int  # dossiers whose status changed
    skipped: list[StatusRow]  # rows of codes this office never recorded (filed elsewhere)


def known_codes(store, codes: set[str]) -> set[str]:
    """Which of `codes` the office's dossiers table holds (one query, whatever their number)."""
    rows = store.reader().execute(
        "SELECT code FROM dossiers WHERE code IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(codes)),),
    )
    return {r[0] for r in rows}


def apply(dossiers, rows: list[StatusRow], actor: str | None = None) -> Applied:
    """Apply the rows of known dossiers in one transaction (all or none); skip the others.

    A province export also lists dossiers filed elsewhere (online, another office): those
    rows are skipped and reported, not refused. A row the dossiers refuse (a step the status
    table forbids) raises BadRow at its line with status 409, and nothing is applied.
    """
    known = known_codes(dossiers.store, {r.code for r in rows})
    kept = [r for r in rows if r.code in known]
    skipped = [r for r in rows if r.code not in known]
    try:
        n = dossiers.set_many([(r.code, r.status) for r in kept], actor, source="import")
    except RowError as e:
        line = kept[e.index].line if 0 <= e.index < len(kept) else None
        if e.reason == "unknown dossier":  # its code was corrected meanwhile
            raise BadRow(line, "unknown_code", e.dossier, status=409) from None
        if " cannot become " in e.reason:
            raise BadRow(line, "bad_transition", e.dossier, status=409) from None
        raise BadRow(line, "refused", e.dossier) from None
    return Applied(n, skipped)
