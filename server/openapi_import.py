"""The OpenAPI of the status import and of the report's `dossiers` block; merged by openapi.py."""

from __future__ import annotations

from core import dossier_import as DI
from core import dossier_stats

from .openapi_parts import AUTH, CLERK, answer, error, ref

NUM = {"type": ["number", "null"]}
# 400 of the import: the row as the admin sees it (null: the file as a whole) and why.
BAD_ROW = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message", "row", "reason"],
    "properties": {"code": {"const": "bad_row"}, "message": {"type": "string"},
                   "row": {"type": ["integer", "null"], "minimum": 1},
                   "reason": {"type": "string"}, "detail": {"type": "string"}}}}}  # fmt: skip
_WORDS = ["Đã tiếp nhận", "Đang xử lý", "Đã có kết quả", "Đã trả kết quả", "Bổ sung hồ sơ",
          "Từ chối", "Rút hồ sơ"]  # fmt: skip
STATUS = {"type": "string", "enum": [*DI.STATUSES, *_WORDS],
          "description": "An API code, or the province's Vietnamese word (any case)."}  # fmt: skip
IMPORT_ROW = {"type": "object", "required": ["code", "status"], "properties": {
    "code": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "\\S"},
    "status": STATUS,
    "at": {"type": ["string", "null"], "format": "date-time",
           "description": "When it changed there; checked, not applied."}}}  # fmt: skip
_CSV = (
    "^(code|ma_ho_so),(status|trang_thai)\\r?\\n([A-Z0-9.-]{6,40},("
    + "|".join(DI.STATUSES)
    + ")\\r?\\n)+$"
)
APPLIED = {"type": "object", "required": ["applied", "rows", "skipped", "unknown"], "properties": {
    "applied": {"type": "integer"}, "rows": {"type": "integer"},
    "skipped": {"type": "integer", "description": "Rows of codes this office never recorded."},
    "unknown": {"type": "array", "maxItems": 100, "items": {
        "type": "object", "required": ["row", "code"],
        "properties": {"row": {"type": "integer"}, "code": {"type": "string"}}}}}}  # fmt: skip

PATHS: dict = {
    "/api/dossiers/import": {"post": {
        "summary": "Apply a status file from the province's system: every row or none.",
        "description": "The body is the file: CSV (UTF-8, `,` or `;`, headers ma_ho_so|code, "
                       "trang_thai|status, thoi_gian|at), the first sheet of an XLSX workbook "
                       'with the same headers, or JSON {"rows": [...]}. See docs/dossiers.md.',
        "tags": ["dossiers"], "security": CLERK,
        "requestBody": {"required": True, "content": {
            "text/csv": {"schema": {"type": "string", "pattern": _CSV}},
            DI.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object", "required": ["rows"], "properties": {
                "rows": {"type": "array", "minItems": 1, "maxItems": DI.MAX_ROWS,
                         "items": IMPORT_ROW}}}}}},
        "responses": {
            "200": answer("How many dossiers changed, of how many rows; the rows skipped.",
                          APPLIED),
            "400": answer("bad_row: the file is malformed; nothing was changed.", BAD_ROW),
            "409": answer("bad_row: a row's status change is not allowed (bad_transition); "
                          "nothing was changed.", BAD_ROW),
            "413": answer(f"Larger than {DI.MAX_BYTES} bytes (bad_row, reason too_large).",
                          BAD_ROW),
            "415": error("Not text/csv, the XLSX type or application/json."),
            **AUTH,
        },
    }},
}  # fmt: skip

_FIGURES = {
    "type": "object", "required": list(dossier_stats.METRIC_KEYS), "properties": {
        **{k: {"type": "integer"} for k in dossier_stats.COUNT_KEYS},
        **{k: NUM for k in dossier_stats.METRIC_KEYS if k not in dossier_stats.COUNT_KEYS}},
}  # fmt: skip
SCHEMAS: dict = {
    "DossierFigures": _FIGURES,
    "DailyDossiers": {"type": "object", "required": ["office", "services", "counters", "returns"],
                      "description": "core/dossier_stats.py; early/on time/late by the day "
                                     "returned against the promised date.",
                      "properties": {
        "office": ref("DossierFigures"),
        **{k: {"type": "array", "items": {"allOf": [ref("DossierFigures"), {
            "type": "object", "required": ["key"], "properties": {
                "key": {"type": "string"}, "name": {"type": "string"}}}]}}
           for k in dossier_stats.SCOPES},
        "returns": {"type": "object", "required": ["service"], "properties": {
            "service": {"type": ["string", "null"]}, "name": {"type": ["string", "null"]},
            **{k: {"type": "integer"} if k in ("issued", "served") else NUM
               for k in dossier_stats.RETURN_WAIT_KEYS}}},
    }},
}  # fmt: skip
