"""A procedure compared across offices, and the device-health board."""

from __future__ import annotations

import datetime as dt

from core import stats

from .rollup import COUNTS, FIGURES

PRESENCE = ("kiosk", "display", "tablet")


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def combine(days: list[dict]) -> dict:
    """Days' metrics of one scope as one: counts and ratings summed, figures weighted by
    tickets issued (as the league table does; one day gives that day's own figures)."""
    m = stats.empty_metrics()
    for d in days:
        for k in COUNTS:
            m[k] += d.get(k) or 0
        for r in stats.RATINGS:
            m["ratings"][r] += (d.get("ratings") or {}).get(r) or 0
    for f in FIGURES:
        known = [(d[f], d.get("issued") or 0) for d in days if d.get(f) is not None]
        n = sum(w for _, w in known)
        m[f] = round(sum(v * w for v, w in known) / n, 1) if n else None
    maxes = [d["wait_max_s"] for d in days if d.get("wait_max_s") is not None]
    m["wait_max_s"] = max(maxes) if maxes else None
    m["satisfied_pct"] = _pct(m["ratings"]["3"] + m["ratings"]["4"], sum(m["ratings"].values()))
    m["no_show_pct"] = _pct(m["no_show"], m["issued"])
    return m


def procedure(conn, code: str, start: dt.date, end: dt.date, office: str | None) -> list[dict]:
    """One row per office offering `code` (its target names it) or with tickets of it."""
    rows = conn.execute(
        "SELECT o.code, o.name, o.targets ->> %s, s.value FROM offices o LEFT JOIN ("
        " SELECT d.office, e.value FROM daily d"
        " CROSS JOIN LATERAL jsonb_array_elements(d.report -> 'services') e"
        " WHERE d.day BETWEEN %s AND %s AND e.value ->> 'key' = %s) s ON s.office = o.code "
        "WHERE (o.targets ? %s OR s.value IS NOT NULL) AND (%s::text IS NULL OR o.code = %s) "
        "ORDER BY o.code",
        (code, start, end, code, code, office, office),
    ).fetchall()
    offices: dict[str, dict] = {}
    for ocode, name, target, value in rows:
        o = offices.setdefault(ocode, {"code": ocode, "name": name, "days": [],
                                       "target_wait_s": int(target) if target else None})  # fmt: skip
        if value is not None:
            o["days"].append(value)
    return [{"code": o["code"], "name": o["name"], "target_wait_s": o["target_wait_s"],
             **combine(o.pop("days"))} for o in offices.values()]  # fmt: skip


def _presence_rows(devices: list[dict]) -> list[dict]:
    out = []
    for d in devices or []:
        status = "ok" if d.get("connected") else ("offline" if d.get("fault") else "away")
        out.append({"kind": d.get("kind"), "name": d.get("name"), "status": status,
                    "last_seen": d.get("last_seen")})  # fmt: skip
    return out


def _checks(health: dict) -> tuple[list[dict], list[dict]]:
    """(the office's own checks as device rows, its clock steps)."""
    rows, steps = [], []
    for name, check in (health or {}).items():
        if not isinstance(check, dict) or name == "displays":  # displays: one row per screen
            continue
        row = {"kind": name, "name": check.get("type") or "", "status": check.get("status"),
               "last_seen": None}  # fmt: skip
        if name == "printer" and check.get("paper"):
            row["paper"] = check["paper"]
        rows.append(row)
        if name == "clock":
            steps = [s for s in check.get("steps") or [] if isinstance(s, dict)]
    return rows, steps


def devices(conn, office: str | None, stale_after_s: float, now: dt.datetime) -> list[dict]:
    """Every office's kiosks, screens, printer, voice and clock, its last contact and staleness."""
    out = []
    for code, name, contact, health, devs, cat in conn.execute(
        "SELECT code, name, last_contact, health, devices, catalogue_version FROM offices "
        "WHERE %s::text IS NULL OR code = %s ORDER BY code",
        (office, office),
    ):
        checks, steps = _checks(health)
        age = None if contact is None else (now - contact).total_seconds()
        out.append({
            "code": code, "name": name,
            "last_contact": contact.isoformat() if contact else None,
            "stale": age is None or age > stale_after_s,
            "devices": _presence_rows(devs) + checks, "clock_steps": steps,
            "catalogue_version": cat,
        })  # fmt: skip
    return out
