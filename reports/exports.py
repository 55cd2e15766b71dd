"""CSV (UTF-8 with BOM, so Excel shows Vietnamese) and XLSX (openpyxl) exports, vi or en."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from server.i18n import t

# (key, catalogue key of the header, kind): kind "n" count, "s" seconds, "p" percent.
METRIC_COLUMNS = (
    ("issued", "export.m_issued", "n"),
    ("served", "export.m_served", "n"),
    ("no_show", "export.m_no_show", "n"),
    ("cancelled", "export.m_cancelled", "n"),
    ("expired", "export.m_expired", "n"),
    ("transferred", "export.m_transferred", "n"),
    ("wait_avg_s", "export.m_wait_avg_s", "s"),
    ("wait_p50_s", "export.m_wait_p50_s", "s"),
    ("wait_p90_s", "export.m_wait_p90_s", "s"),
    ("wait_max_s", "export.m_wait_max_s", "s"),
    ("service_avg_s", "export.m_service_avg_s", "s"),
    ("service_p50_s", "export.m_service_p50_s", "s"),
    ("service_p90_s", "export.m_service_p90_s", "s"),
    ("within_target_pct", "export.m_within_target_pct", "p"),
    ("rating_4", "export.m_rating_4", "n"),
    ("rating_3", "export.m_rating_3", "n"),
    ("rating_2", "export.m_rating_2", "n"),
    ("rating_1", "export.m_rating_1", "n"),
    ("satisfied_pct", "export.m_satisfied_pct", "p"),
    ("estimate_mae_s", "export.m_estimate_mae_s", "s"),
)
# The dossier figures (core/dossier_stats.py) beside the ticket figures of the same row.
DOSSIER_COLUMNS = (
    ("received", "reports.d_received", "n"),
    ("ready", "reports.d_ready", "n"),
    ("returned", "reports.d_returned", "n"),
    ("early", "reports.d_early", "n"),
    ("on_time", "reports.d_on_time", "n"),
    ("late", "reports.d_late", "n"),
    ("early_pct", "reports.d_early_pct", "p"),
    ("on_time_pct", "reports.d_on_time_pct", "p"),
    ("late_pct", "reports.d_late_pct", "p"),
    ("on_time_or_early_pct", "reports.d_on_time_or_early_pct", "p"),
    ("ready_to_collected_p50_s", "reports.d_collect_p50", "s"),
    ("ready_to_collected_p90_s", "reports.d_collect_p90", "s"),
)
RETURN_ROWS = (
    ("issued", "export.m_issued", "n"),
    ("wait_p50_s", "export.m_wait_p50_s", "s"),
    ("wait_p90_s", "export.m_wait_p90_s", "s"),
    ("wait_max_s", "export.m_wait_max_s", "s"),
    ("within_target_pct", "export.m_within_target_pct", "p"),
)
SCOPE_NAMES = {
    "office": "export.scope_office",
    "services": "export.scope_services",
    "counters": "export.scope_counters",
    "clerks": "export.scope_clerks",
    "hours": "export.scope_hours",
}
SHEETS = (
    ("services", "reports.h_per_service"),
    ("counters", "reports.h_per_counter"),
    ("clerks", "reports.h_per_clerk"),
    ("hours", "reports.h_per_hour"),
)
LOG_COLUMNS = (
    ("number", "export.l_number", "t"),
    ("service", "export.l_service", "t"),
    ("service_name", "export.l_service_name", "t"),
    ("status", "export.l_status", "t"),
    ("priority", "export.l_priority", "t"),
    ("issued_at", "export.l_issued_at", "t"),
    ("called_at", "export.l_called_at", "t"),
    ("started_at", "export.l_started_at", "t"),
    ("finished_at", "export.l_finished_at", "t"),
    ("counter", "export.l_counter", "n"),
    ("clerk", "export.l_clerk", "t"),
    ("wait_s", "export.l_wait_s", "s"),
    ("service_s", "export.l_service_s", "s"),
    ("estimated_wait_at_issue_s", "export.l_estimated_wait_at_issue_s", "s"),
    ("rating", "export.l_rating", "n"),
    ("id", "export.l_id", "t"),
)
STATUS_KEYS = {
    "waiting": "state.waiting",
    "called": "state.called",
    "serving": "state.serving",
    "done": "state.done",
    "no_show": "state.no_show",
    "cancelled": "state.cancelled",
    "expired": "state.expired",
}


def statuses(lang: str | None = None) -> dict[str, str]:
    """Ticket states by key, named in `lang` (default: the request's language)."""
    return {k: t(v, lang) for k, v in STATUS_KEYS.items()}


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


def csv_header(name: str, key: str, kind: str, lang: str | None = None) -> str:
    """A translated header for people, the API key in brackets for scripts (never translated)."""
    return f"{t(name, lang)}{' (' + t('export.seconds', lang) + ')' if kind == 's' else ''} [{key}]"


def dossier_blocks(report: dict) -> dict[tuple[str, str], dict]:
    """(scope, key) -> that row's dossier figures; the office's under ("office", "")."""
    d = report.get("dossiers") or {}
    out = {("office", ""): d.get("office") or {}}
    for scope in ("services", "counters"):
        out.update({(scope, m["key"]): m for m in d.get(scope, [])})
    return out


def report_rows(report: dict, lang: str | None = None) -> list[tuple[str, str, str, dict]]:
    """(scope, key, name, flat metrics) for the office and every breakdown; a procedure or
    counter with dossier figures but no ticket that day gets a row of its own."""
    out = [("office", "", t("export.scope_office", lang), flat(report["office"]))]
    dossiers = report.get("dossiers") or {}
    for scope in ("services", "counters", "clerks", "hours"):
        rows = list(report[scope])
        seen = {m["key"] for m in rows}
        rows += [m for m in dossiers.get(scope, []) if m["key"] not in seen]
        for m in sorted(rows, key=lambda m: m["key"]):
            name = m.get("name") or (f"{m['key']}:00" if scope == "hours" else m["key"])
            out.append((scope, m["key"], name, flat(m) if m["key"] in seen else {}))
    return out


def _csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows([safe(v) for v in row] for row in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def daily_csv(report: dict, lang: str | None = None) -> bytes:
    header = [csv_header(name, k, "t", lang) for k, name in (("scope", "export.scope"), ("key", "export.key"), ("name", "export.name"))]  # fmt: skip
    header += [csv_header(name, k, kind, lang) for k, name, kind in METRIC_COLUMNS]
    header += [csv_header(name, f"dossiers_{k}", kind, lang) for k, name, kind in DOSSIER_COLUMNS]
    dossiers = dossier_blocks(report)
    rows = []
    for scope, key, name, m in report_rows(report, lang):
        d = dossiers.get((scope, key), {})
        rows.append([t(SCOPE_NAMES[scope], lang), key, name,
                     *["" if m.get(k) is None else m.get(k) for k, _, _ in METRIC_COLUMNS],
                     *["" if d.get(k) is None else d.get(k) for k, _, _ in DOSSIER_COLUMNS]])  # fmt: skip
    return _csv_bytes(header, rows)


def log_csv(tickets: list[dict], lang: str | None = None) -> bytes:
    header = [csv_header(name, k, kind, lang) for k, name, kind in LOG_COLUMNS]
    names, yes = statuses(lang), t("export.yes", lang)
    rows = []
    for ticket in tickets:
        row = []
        for k, _, _ in LOG_COLUMNS:
            v = names.get(ticket[k], ticket[k]) if k == "status" else ticket.get(k)
            row.append("" if v is None else (yes if v is True else "" if v is False else v))
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


def daily_xlsx(report: dict, office_name: str = "", lang: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = t("export.summary", lang)
    ws.cell(1, 1, t("reports.day_title", lang, day=report["date"])).font = Font(bold=True, size=14)
    ws.cell(2, 1, safe(office_name))
    office = flat(report["office"])
    for i, (k, name, kind) in enumerate(METRIC_COLUMNS, 4):
        ws.cell(i, 1, t(name, lang)).font = BOLD
        _cell(ws, i, 2, office.get(k), kind)
    day = report.get("day") or {}
    extra = [
        (
            t("reports.k_peak", lang),
            f"{day['peak_hour']}:00" if day.get("peak_hour") else None,
            "t",
        ),
        (t("export.peak_issued", lang), day.get("peak_hour_issued"), "n"),
        (t("export.longest_queue", lang), day.get("longest_queue"), "n"),
    ]
    row = 4 + len(METRIC_COLUMNS)
    extra += _dossier_summary(report.get("dossiers") or {}, lang)
    for label, v, kind in extra:
        ws.cell(row, 1, label).font = BOLD
        _cell(ws, row, 2, v, kind)
        row += 1
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 16
    for scope, title in SHEETS:
        _scope_sheet(wb.create_sheet(t(title, lang)), report, scope, lang)
    sh = wb.create_sheet(t("export.utilisation", lang))
    rows = [
        [u["counter"], u.get("name", ""), u["busy_s"], u["open_s"], u["utilisation_pct"]]
        for u in day.get("utilisation", [])
    ]
    _table(
        sh,
        [
            t(k, lang)
            for k in (
                "export.scope_counters",
                "export.name",
                "export.busy",
                "export.open",
                "export.util_pct",
            )
        ],
        rows,
        ["n", "t", "s", "s", "p"],
    )
    return _save(wb)


def _scope_sheet(sh, report: dict, scope: str, lang: str | None) -> None:
    """One breakdown's sheet: the ticket columns, then (procedures, counters) the dossiers'."""
    with_dossiers = scope in ("services", "counters")
    columns = [*METRIC_COLUMNS, *(DOSSIER_COLUMNS if with_dossiers else ())]
    header = [t("export.key", lang), t("export.name", lang), *[t(name, lang) for _, name, _ in columns]]  # fmt: skip
    dossiers = dossier_blocks(report)
    rows = []
    for row_scope, key, name, f in report_rows(report, lang):
        if row_scope == scope:
            d = dossiers.get((scope, key), {})
            rows.append([key, name, *[f.get(k) for k, _, _ in METRIC_COLUMNS],
                         *[d.get(k) for k, _, _ in columns[len(METRIC_COLUMNS):]]])  # fmt: skip
    _table(sh, header, rows, ["t", "t", *[kind for _, _, kind in columns]])


def _dossier_summary(d: dict, lang: str | None) -> list[tuple[str, object, str]]:
    """The summary sheet's dossier lines: the office's figures, then the return queue's."""
    office = d.get("office") or {}
    out = [(t(name, lang), office.get(k), kind) for k, name, kind in DOSSIER_COLUMNS]
    returns = d.get("returns") or {}
    queue = t("reports.d_return_queue", lang)
    out.append((queue, returns.get("name") or returns.get("service"), "t"))
    out += [(f"{queue}: {t(name, lang)}", returns.get(k), kind) for k, name, kind in RETURN_ROWS]
    return out


def log_xlsx(tickets: list[dict], day: str, lang: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = t("export.log_sheet", lang, day=day)
    names, yes = statuses(lang), t("export.yes", lang)
    rows = []
    for ticket in tickets:
        rows.append(
            [
                names.get(ticket[k], ticket[k]) if k == "status" else (yes if ticket.get(k) is True else "" if ticket.get(k) is False else ticket.get(k))
                for k, _, _ in LOG_COLUMNS
            ]
        )  # fmt: skip
    _table(ws, [t(name, lang) for _, name, _ in LOG_COLUMNS], rows, [kind for _, _, kind in LOG_COLUMNS])  # fmt: skip
    return _save(wb)


def table_csv(columns, rows: list[dict], lang: str | None = None) -> bytes:
    """Rows (flat dicts) as CSV under the columns' (key, header, kind) translated headers."""
    header = [csv_header(name, k, kind, lang) for k, name, kind in columns]
    return _csv_bytes(header, [["" if r.get(k) is None else r[k] for k, _, _ in columns]
                               for r in rows])  # fmt: skip


def table_xlsx(title: str, columns, rows: list[dict], lang: str | None = None) -> bytes:
    """Rows (flat dicts) as one sheet under the columns' translated headers."""
    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", "-", title)[:31]  # what Excel allows in a sheet name
    _table(ws, [t(name, lang) for _, name, _ in columns],
           [[r.get(k) for k, _, _ in columns] for r in rows], [kind for _, _, kind in columns])  # fmt: skip
    return _save(wb)
