"""CSV (UTF-8 with BOM, so Excel shows Vietnamese) and XLSX (openpyxl) exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

# (key, Vietnamese header, kind): kind "n" count, "s" seconds, "p" percent.
METRIC_COLUMNS = (
    ("issued", "Số phiếu", "n"),
    ("served", "Đã phục vụ", "n"),
    ("no_show", "Vắng mặt", "n"),
    ("cancelled", "Đã huỷ", "n"),
    ("expired", "Hết hạn", "n"),
    ("transferred", "Chuyển thủ tục", "n"),
    ("wait_avg_s", "Chờ trung bình", "s"),
    ("wait_p50_s", "Chờ trung vị", "s"),
    ("wait_p90_s", "Chờ P90", "s"),
    ("wait_max_s", "Chờ lâu nhất", "s"),
    ("service_avg_s", "Phục vụ trung bình", "s"),
    ("service_p50_s", "Phục vụ trung vị", "s"),
    ("service_p90_s", "Phục vụ P90", "s"),
    ("within_target_pct", "Trong thời gian mục tiêu (%)", "p"),
    ("rating_4", "Rất hài lòng", "n"),
    ("rating_3", "Hài lòng", "n"),
    ("rating_2", "Bình thường", "n"),
    ("rating_1", "Không hài lòng", "n"),
    ("satisfied_pct", "Hài lòng trở lên (%)", "p"),
    ("estimate_mae_s", "Sai số ước tính", "s"),
)
SCOPE_NAMES = {
    "office": "Toàn bộ phận",
    "services": "Thủ tục",
    "counters": "Quầy",
    "clerks": "Cán bộ",
    "hours": "Giờ",
}
SHEETS = (
    ("services", "Theo thủ tục"),
    ("counters", "Theo quầy"),
    ("clerks", "Theo cán bộ"),
    ("hours", "Theo giờ"),
)
LOG_COLUMNS = (
    ("number", "Số thứ tự", "t"),
    ("service", "Mã thủ tục", "t"),
    ("service_name", "Thủ tục", "t"),
    ("status", "Trạng thái", "t"),
    ("priority", "Ưu tiên", "t"),
    ("issued_at", "Lấy số lúc", "t"),
    ("called_at", "Gọi lúc", "t"),
    ("started_at", "Bắt đầu lúc", "t"),
    ("finished_at", "Kết thúc lúc", "t"),
    ("counter", "Quầy", "n"),
    ("clerk", "Cán bộ", "t"),
    ("wait_s", "Thời gian chờ", "s"),
    ("service_s", "Thời gian phục vụ", "s"),
    ("estimated_wait_at_issue_s", "Ước tính khi lấy số", "s"),
    ("rating", "Đánh giá", "n"),
    ("id", "Mã phiếu", "t"),
)
STATUS_VI = {
    "waiting": "Đang chờ",
    "called": "Đã gọi",
    "serving": "Đang phục vụ",
    "done": "Hoàn thành",
    "no_show": "Vắng mặt",
    "cancelled": "Đã huỷ",
    "expired": "Hết hạn",
}


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# Ticket ids are URL-safe base64 and may start with "-": no formula can hide in those.
PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


def safe(value):
    """Text a spreadsheet will not run as a formula (a user or procedure named "=...")."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and not PLAIN_TOKEN.fullmatch(value)
    ):
        return "'" + value
    return value


def flat(m: dict) -> dict:
    """Metrics with ratings spread into rating_1..rating_4 columns."""
    out = {k: v for k, v in m.items() if k != "ratings"}
    for r, n in (m.get("ratings") or {}).items():
        out[f"rating_{r}"] = n
    return out


def csv_header(vi: str, key: str, kind: str) -> str:
    """Vietnamese header for people, the API key in brackets for scripts."""
    return f"{vi}{' (giây)' if kind == 's' else ''} [{key}]"


def report_rows(report: dict) -> list[tuple[str, str, str, dict]]:
    """(scope, key, name, flat metrics) for the office and every breakdown."""
    out = [("office", "", "Toàn bộ phận", flat(report["office"]))]
    for scope in ("services", "counters", "clerks", "hours"):
        for m in report[scope]:
            name = m.get("name") or (f"{m['key']}:00" if scope == "hours" else m["key"])
            out.append((scope, m["key"], name, flat(m)))
    return out


def _csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows([safe(v) for v in row] for row in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def daily_csv(report: dict) -> bytes:
    header = ["Phạm vi [scope]", "Mã [key]", "Tên [name]"]
    header += [csv_header(vi, k, kind) for k, vi, kind in METRIC_COLUMNS]
    rows = [
        [SCOPE_NAMES[scope], key, name, *["" if m.get(k) is None else m.get(k) for k, _, _ in METRIC_COLUMNS]]
        for scope, key, name, m in report_rows(report)
    ]  # fmt: skip
    return _csv_bytes(header, rows)


def log_csv(tickets: list[dict]) -> bytes:
    header = [csv_header(vi, k, kind) for k, vi, kind in LOG_COLUMNS]
    rows = []
    for t in tickets:
        row = []
        for k, _, _ in LOG_COLUMNS:
            v = STATUS_VI.get(t[k], t[k]) if k == "status" else t.get(k)
            row.append("" if v is None else ("có" if v is True else "" if v is False else v))
        rows.append(row)
    return _csv_bytes(header, rows)


BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="F2DCDB")
DURATION = "[h]:mm:ss"


def _cell(ws, row: int, col: int, value, kind: str):
    if value is None or value == "":
        return ws.cell(row, col, None)
    if kind == "s":
        c = ws.cell(row, col, dt.timedelta(seconds=int(value)))
        c.number_format = DURATION
    elif kind == "p":
        c = ws.cell(row, col, float(value))
        c.number_format = "0.0"
    else:
        c = ws.cell(row, col, safe(value))
    return c


def _table(ws, header: list[str], rows: list[list], kinds: list[str], start_row: int = 1):
    for j, h in enumerate(header, 1):
        c = ws.cell(start_row, j, h)
        c.font, c.fill = BOLD, HEAD_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(rows, start_row + 1):
        for j, (v, kind) in enumerate(zip(row, kinds, strict=True), 1):
            _cell(ws, i, j, v, kind)
    for j, h in enumerate(header, 1):
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(40, len(h) + 2))
    ws.freeze_panes = ws.cell(start_row + 1, 2)


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def daily_xlsx(report: dict, office_name: str = "") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws.cell(1, 1, f"Báo cáo ngày {report['date']}").font = Font(bold=True, size=14)
    ws.cell(2, 1, safe(office_name))
    keys = [k for k, _, _ in METRIC_COLUMNS]
    kinds = [kind for _, _, kind in METRIC_COLUMNS]
    office = flat(report["office"])
    for i, (k, vi, kind) in enumerate(METRIC_COLUMNS, 4):
        ws.cell(i, 1, vi).font = BOLD
        _cell(ws, i, 2, office.get(k), kind)
    day = report.get("day") or {}
    extra = [
        ("Giờ cao điểm", f"{day['peak_hour']}:00" if day.get("peak_hour") else None, "t"),
        ("Số phiếu giờ cao điểm", day.get("peak_hour_issued"), "n"),
        ("Hàng chờ dài nhất (người)", day.get("longest_queue"), "n"),
    ]
    row = 4 + len(METRIC_COLUMNS)
    for label, v, kind in extra:
        ws.cell(row, 1, label).font = BOLD
        _cell(ws, row, 2, v, kind)
        row += 1
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 16
    for scope, title in SHEETS:
        sh = wb.create_sheet(title)
        header = ["Mã", "Tên", *[vi for _, vi, _ in METRIC_COLUMNS]]
        rows = []
        for m in report[scope]:
            f = flat(m)
            name = m.get("name") or (f"{m['key']}:00" if scope == "hours" else m["key"])
            rows.append([m["key"], name, *[f.get(k) for k in keys]])
        _table(sh, header, rows, ["t", "t", *kinds])
    sh = wb.create_sheet("Hiệu suất quầy")
    rows = [
        [u["counter"], u.get("name", ""), u["busy_s"], u["open_s"], u["utilisation_pct"]]
        for u in day.get("utilisation", [])
    ]
    _table(
        sh,
        ["Quầy", "Tên", "Thời gian bận", "Thời gian mở", "Hiệu suất (%)"],
        rows,
        ["n", "t", "s", "s", "p"],
    )
    return _save(wb)


def log_xlsx(tickets: list[dict], day: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"Nhật ký {day}"
    rows = []
    for t in tickets:
        rows.append(
            [
                STATUS_VI.get(t[k], t[k]) if k == "status" else ("có" if t.get(k) is True else "" if t.get(k) is False else t.get(k))
                for k, _, _ in LOG_COLUMNS
            ]
        )  # fmt: skip
    _table(ws, [vi for _, vi, _ in LOG_COLUMNS], rows, [kind for _, _, kind in LOG_COLUMNS])
    return _save(wb)
