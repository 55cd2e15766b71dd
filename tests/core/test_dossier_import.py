"""core.dossier_import: the three formats of the province's export, and how a bad file is refused."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import Workbook

from core import dossier_import as DI
from core.dossier_import import BadRow, CsvSource, JsonSource, StatusRow, XlsxSource

VI_WORDS = {
    "Đã tiếp nhận": "received",
    "Đang xử lý": "in_progress",
    "Đã có kết quả": "ready",
    "Đã trả kết quả": "returned",
    "Bổ sung hồ sơ": "more_needed",
    "Từ chối": "rejected",
    "Rút hồ sơ": "withdrawn",
}


def xlsx(rows, sheets=1) -> bytes:
    book = Workbook()
    book.active.title = "Trạng thái"
    for r in rows:
        book.active.append(r)
    for i in range(1, sheets):
        book.create_sheet(f"other{i}").append(["code", "status"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refused(source, data) -> BadRow:
    with pytest.raises(BadRow) as e:
        DI.parse(data, source)
    return e.value


@pytest.mark.parametrize("word,code", [*VI_WORDS.items(), *((c, c) for c in DI.STATUSES)])
def test_every_status_word_of_the_province_and_every_api_code(word, code):
    assert DI.status_of(word) == code
    assert DI.status_of(word.upper()) == code
    assert DI.status_of(f"  {word}  ") == code


def test_status_words_decomposed_unicode_and_unaccented_still_read():
    import unicodedata

    assert DI.status_of(unicodedata.normalize("NFD", "Đã có kết quả")) == "ready"
    assert DI.status_of("da tra ket qua") == "returned"
    assert DI.status_of("done") is None and DI.status_of("") is None


def test_csv_vietnamese_headers_semicolons_bom_and_words():
    data = (
        "\ufeffMã hồ sơ;Trạng thái;Thời gian\n"
        "hs-000001;Đã có kết quả;30/11/2026 14:05\n"
        "\n"
        "HS-000002;Đang xử lý;2026-11-30T09:00:00+07:00\n"
    ).encode()
    assert DI.parse(data, CsvSource()) == [
        StatusRow(2, "HS-000001", "ready", "2026-11-30T14:05:00"),
        StatusRow(4, "HS-000002", "in_progress", "2026-11-30T09:00:00+07:00"),
    ]


def test_csv_english_headers_commas_no_bom_columns_in_any_order():
    data = b"status,note,code\nready,x,HS-000001\nreturned,,HS-000002\n"
    rows = DI.parse(data, CsvSource())
    assert [(r.line, r.code, r.status, r.at) for r in rows] == [
        (2, "HS-000001", "ready", None),
        (3, "HS-000002", "returned", None),
    ]


def test_csv_bad_status_is_refused_at_its_line():
    data = "ma_ho_so,trang_thai\nHS-000001,Đã có kết quả\nHS-000002,Đã xong\n".encode()
    e = refused(CsvSource(), data)
    assert (e.line, e.reason, e.detail) == (3, "unknown_status", "Đã xong")


def test_csv_line_numbers_count_a_quoted_field_spanning_lines():
    data = b'code,status,note\nHS-000001,ready,"two\nlines"\nHS-000002,bogus,\n'
    assert refused(CsvSource(), data).line == 4


@pytest.mark.parametrize(
    "data,line,reason",
    [
        (b"code;trang_thai\n;ready\n", 2, "missing_code"),
        (b"code,status,at\nHS-000001,ready,yesterday\n", 2, "bad_time"),
        (b"code,state\nHS-000001,ready\n", 1, "missing_column"),
        (b"\n\nfoo\n", 3, "missing_column"),
        (b"code,status\nHS-000001,ready\nHS-00\xff0002,ready\n", 3, "not_utf8"),
        (b'code,status\nHS-000001,"ready\n', 2, "bad_csv"),
        (b"code,status\n", None, "no_rows"),
        (b"", 1, "missing_column"),
        (b"code,status,at\nHS-000001,ready,31/02/2026\n", 2, "bad_time"),
    ],
)
def test_csv_malformed_files(data, line, reason):
    e = refused(CsvSource(), data)
    assert (e.line, e.reason) == (line, reason)


def test_xlsx_first_sheet_vietnamese_headers_and_a_date_cell():
    data = xlsx(
        [
            ["Mã hồ sơ", "Trạng thái", "Thời gian"],
            ["HS-000001", "Đã trả kết quả", dt.datetime(2026, 11, 30, 15, 0)],
            [None, None, None],
            ["HS-000002", "rejected", None],
        ],
        sheets=2,
    )
    assert DI.parse(data, XlsxSource()) == [
        StatusRow(2, "HS-000001", "returned", "2026-11-30T15:00:00"),
        StatusRow(4, "HS-000002", "rejected", None),
    ]


def test_xlsx_bad_row_is_the_sheet_row_and_a_non_workbook_is_refused():
    e = refused(XlsxSource(), xlsx([["code", "status"], ["HS-000001", "ready"], ["HS-2", 7]]))
    assert (e.line, e.reason) == (3, "unknown_status")
    e = refused(XlsxSource(), b"PK\x03\x04 not really a zip")
    assert (e.line, e.reason) == (None, "not_xlsx")
    assert refused(XlsxSource(), xlsx([["ma", "trang_thai"]])).reason == "missing_column"


def test_json_rows_and_positions():
    body = {"rows": [{"code": "hs-000001", "status": "ready"},
                     {"code": "HS-000002", "status": "Đã trả kết quả", "at": "2026-11-30"}]}  # fmt: skip
    assert DI.parse(json.dumps(body).encode(), JsonSource()) == [
        StatusRow(1, "HS-000001", "ready", None),
        StatusRow(2, "HS-000002", "returned", "2026-11-30T00:00:00"),
    ]


@pytest.mark.parametrize(
    "body,line,reason",
    [
        (b"{", None, "bad_json"),
        (b"[]", None, "bad_json"),
        (b'{"rows": {}}', None, "bad_json"),
        (b'{"rows": []}', None, "no_rows"),
        (b'{"rows": [{"code": "HS-000001", "status": "ready"}, 5]}', 2, "bad_json"),
        (b'{"rows": [{"code": 123456, "status": "ready"}]}', 1, "bad_json"),
        (b'{"rows": [{"code": "HS-000001"}]}', 1, "unknown_status"),
        (b'{"rows": [{"status": "ready"}]}', 1, "missing_code"),
        (b'{"rows": [{"code": "HS-000001", "status": "ready", "at": "noon"}]}', 1, "bad_time"),
    ],
)
def test_json_malformed(body, line, reason):
    e = refused(JsonSource(), body)
    assert (e.line, e.reason) == (line, reason)


def test_size_and_row_limits(monkeypatch):
    big = b"code,status\n" + b"HS-000001,ready\n" * (DI.MAX_BYTES // 16 + 1)
    assert refused(CsvSource(), big).reason == "too_large"
    monkeypatch.setattr(DI, "MAX_ROWS", 3)
    e = refused(CsvSource(), b"code,status\n" + b"HS-000001,ready\n" * 4)
    assert (e.line, e.reason) == (5, "too_many_rows")


def test_source_for_media_type_or_file_name():
    assert isinstance(DI.source_for("text/csv; charset=utf-8"), CsvSource)
    assert isinstance(DI.source_for(DI.XLSX_TYPE), XlsxSource)
    assert isinstance(DI.source_for("application/json"), JsonSource)
    assert isinstance(DI.source_for(None, "trang-thai.XLSX"), XlsxSource)
    assert DI.source_for("text/plain", "notes.txt") is None


def test_times_in_rfc3339_forms_and_a_too_long_code():
    assert DI.when("2026-11-30t09:00:00z") == "2026-11-30T09:00:00+00:00"
    assert DI.when("2026-11-30T09:00:00.123456+07:00") == "2026-11-30T09:00:00.123456+07:00"
    e = refused(
        JsonSource(), json.dumps({"rows": [{"code": "A" * 65, "status": "ready"}]}).encode()
    )
    assert (e.line, e.reason) == (1, "bad_code")
