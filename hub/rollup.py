"""Roll-ups the league table reads: days (kept at ingest) and months (summed from the days).

A range is read as its whole months from `monthly` plus its loose days from `daily`, so a
year is 12 rows per office, not 365. Figures that cannot be summed (averages, percentiles,
shares) are kept as sums weighted by tickets issued: sum(f x issued) and sum(issued where f
is known), divided at read time.
"""

from __future__ import annotations

import datetime as dt

COUNTS = ("issued", "served", "no_show", "cancelled", "expired", "transferred")
FIGURES = ("wait_avg_s", "wait_p50_s", "wait_p90_s", "service_avg_s", "within_target_pct")
RATINGS = ("r1", "r2", "r3", "r4")
SUMMED = (*COUNTS, *RATINGS, *(f"{f}_w" for f in FIGURES), *(f"{f}_n" for f in FIGURES))

MIGRATION = (
    "ALTER TABLE daily ADD COLUMN wait_max_s DOUBLE PRECISION;\n"
    "CREATE TABLE monthly (office TEXT NOT NULL REFERENCES offices (code), month DATE NOT NULL, "
    + ", ".join(f"{c} DOUBLE PRECISION NOT NULL" for c in SUMMED)
    + ", wait_max_s DOUBLE PRECISION, PRIMARY KEY (office, month));\n"
    "CREATE INDEX monthly_month ON monthly (month);"
)

# One procedure of one office day (a procedure across offices reads these, not the reports);
# filled from the reports already stored when the table is made.
_SERVICE_COLUMNS = (*COUNTS, *FIGURES, "wait_max_s", *RATINGS)
SERVICES_MIGRATION = (
    "CREATE TABLE daily_services (office TEXT NOT NULL REFERENCES offices (code), "
    "day DATE NOT NULL, service TEXT NOT NULL, "
    + ", ".join(f"{c} INTEGER NOT NULL" for c in COUNTS)
    + ", "
    + ", ".join(f"{c} DOUBLE PRECISION" for c in (*FIGURES, "wait_max_s"))
    + ", "
    + ", ".join(f"{c} INTEGER NOT NULL" for c in RATINGS)
    + ", PRIMARY KEY (service, day, office));\n"
    f"INSERT INTO daily_services (office, day, service, {', '.join(_SERVICE_COLUMNS)}) "
    "SELECT d.office, d.day, e ->> 'key', "
    + ", ".join(f"(e ->> '{c}')::int" for c in COUNTS)
    + ", "
    + ", ".join(f"(e ->> '{c}')::float8" for c in (*FIGURES, "wait_max_s"))
    + ", "
    + ", ".join(f"(e -> 'ratings' ->> '{r[1]}')::int" for r in RATINGS)
    + " FROM daily d CROSS JOIN LATERAL jsonb_array_elements(d.report -> 'services') e;\n"
    "CREATE TABLE monthly_services (office TEXT NOT NULL REFERENCES offices (code), "
    "month DATE NOT NULL, service TEXT NOT NULL, "
    + ", ".join(f"{c} DOUBLE PRECISION NOT NULL" for c in SUMMED)
    + ", wait_max_s DOUBLE PRECISION, PRIMARY KEY (service, month, office));\n"
)


def refresh_services(conn, office: str, day, services: list[dict]) -> None:
    """The day's procedure rows of `office`, replaced by those of its fresh report."""
    conn.execute("DELETE FROM daily_services WHERE office = %s AND day = %s", (office, day))
    rows = [(office, day, m["key"], *(m[c] for c in (*COUNTS, *FIGURES, "wait_max_s")),
             *(m["ratings"][r[1]] for r in RATINGS)) for m in services]  # fmt: skip
    if rows:
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO daily_services (office, day, service, {', '.join(_SERVICE_COLUMNS)}) "
                f"VALUES ({', '.join(['%s'] * (3 + len(_SERVICE_COLUMNS)))})",
                rows,
            )


def refresh_service_months(conn, office: str | None = None, months=None) -> None:
    """Recompute the monthly procedure rows of `office` (all when None) for `months` (all)."""
    where, args = ["TRUE"], []
    if office is not None:
        where.append("office = %s")
        args.append(office)
    if months is not None:
        where.append("date_trunc('month', day)::date = ANY(%s)")
        args.append(sorted(months))
    month_where = " AND ".join(w.replace("date_trunc('month', day)::date", "month") for w in where)
    conn.execute(f"DELETE FROM monthly_services WHERE {month_where}", args)
    conn.execute(
        f"INSERT INTO monthly_services (office, month, service, {', '.join(SUMMED)}, wait_max_s) "
        f"SELECT office, date_trunc('month', day)::date, service, {_SUMS} FROM "
        f"(SELECT office, day, service, {_DAILY_PARTS} FROM daily_services "
        f"WHERE {' AND '.join(where)}) d GROUP BY 1, 2, 3",
        args,
    )


def procedure_sql(code: str, start: dt.date, end: dt.date, office: str | None) -> tuple[str, list]:
    """Offices offering `code` (or with tickets of it), summed over [start, end] as the league."""
    # Whole months from monthly_services, loose days from daily_services.
    loose, whole = split(start, end)
    parts, args = [], []
    for a, b in loose:
        parts.append(f"SELECT office, {_DAILY_PARTS} FROM daily_services "
                     "WHERE service = %s AND day BETWEEN %s AND %s")  # fmt: skip
        args += [code, a, b]
    if whole:
        parts.append(f"SELECT office, {', '.join(SUMMED)}, wait_max_s FROM monthly_services "
                     "WHERE service = %s AND month >= %s AND month < %s")  # fmt: skip
        args += [code, *whole]
    sums = ", ".join(f"COALESCE(SUM(p.{c}), 0)" for c in SUMMED) + ", MAX(p.wait_max_s)"
    sql = (f"SELECT o.code, o.name, o.targets ->> %s, {sums} FROM offices o LEFT JOIN "
           f"({' UNION ALL '.join(parts)}) p ON p.office = o.code "
           "WHERE (o.targets ? %s OR p.office IS NOT NULL) AND (%s::text IS NULL OR o.code = %s) "
           "GROUP BY o.code ORDER BY o.code")  # fmt: skip
    return sql, [code, *args, code, office, office]


# One daily row as the summable parts a monthly row holds.
_DAILY_PARTS = ", ".join(
    [*COUNTS, *RATINGS]
    + [f"COALESCE({f} * issued, 0) AS {f}_w" for f in FIGURES]
    + [f"CASE WHEN {f} IS NULL THEN 0 ELSE issued END AS {f}_n" for f in FIGURES]
    + ["wait_max_s"]
)
_SUMS = ", ".join(f"SUM({c})" for c in SUMMED) + ", MAX(wait_max_s)"
SERVICES_MIGRATION += (
    f"INSERT INTO monthly_services (office, month, service, {', '.join(SUMMED)}, wait_max_s) "
    f"SELECT office, date_trunc('month', day)::date, service, {_SUMS} FROM "
    f"(SELECT office, day, service, {_DAILY_PARTS} FROM daily_services) d GROUP BY 1, 2, 3;"
)


def refresh_months(conn, office: str | None = None, months=None) -> None:
    """Recompute the monthly rows of `office` (all when None) for `months` (all when None)."""
    where, args = ["TRUE"], []
    if office is not None:
        where.append("office = %s")
        args.append(office)
    if months is not None:
        where.append("date_trunc('month', day)::date = ANY(%s)")
        args.append(sorted(months))
    conn.execute(
        f"INSERT INTO monthly (office, month, {', '.join(SUMMED)}, wait_max_s) "
        f"SELECT office, date_trunc('month', day)::date, {_SUMS} FROM "
        f"(SELECT office, day, {_DAILY_PARTS} FROM daily WHERE {' AND '.join(where)}) d "
        "GROUP BY 1, 2 ON CONFLICT (office, month) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in (*SUMMED, "wait_max_s")),
        args,
    )


def _first_of_next(d: dt.date) -> dt.date:
    return d.replace(year=d.year + (d.month == 12), month=d.month % 12 + 1, day=1)


def split(start: dt.date, end: dt.date) -> tuple[tuple, tuple | None]:
    """([loose day ranges], (first whole month, end of the last whole month) or None)."""
    lo = start if start.day == 1 else _first_of_next(start)
    hi = (
        _first_of_next(end)
        if _first_of_next(end) - dt.timedelta(days=1) == end
        else end.replace(day=1)
    )
    if lo >= hi:
        return ((start, end),), None
    loose = tuple(r for r in ((start, lo - dt.timedelta(days=1)), (hi, end)) if r[0] <= r[1])
    return loose, (lo, hi)


def league_sql(start: dt.date, end: dt.date, office: str | None) -> tuple[str, list]:
    """The league table's query over [start, end] and its arguments."""
    loose, whole = split(start, end)
    parts, args = [], []
    for a, b in loose:
        parts.append(f"SELECT office, {_DAILY_PARTS} FROM daily WHERE day BETWEEN %s AND %s")
        args += [a, b]
    if whole:
        parts.append(f"SELECT office, {', '.join(SUMMED)}, wait_max_s FROM monthly "
                     "WHERE month >= %s AND month < %s")  # fmt: skip
        args += list(whole)
    sums = ", ".join(f"COALESCE(SUM(p.{c}), 0)" for c in SUMMED) + ", MAX(p.wait_max_s)"
    where = "WHERE o.code = %s" if office else ""
    sql = (f"SELECT o.code, o.name, o.live, o.health, o.last_contact, o.last_event_id, {sums} "
           f"FROM offices o LEFT JOIN ({' UNION ALL '.join(parts)}) p ON p.office = o.code "
           f"{where} GROUP BY o.code ORDER BY o.code")  # fmt: skip
    return sql, args + ([office] if office else [])
