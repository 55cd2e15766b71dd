"""A procedure compared across offices, and the device-health board."""

from __future__ import annotations

import datetime as dt

from .queries import metrics
from .rollup import procedure_sql

PRESENCE = ("kiosk", "display", "tablet")


def procedure(conn, code: str, start: dt.date, end: dt.date, office: str | None) -> list[dict]:
    """One row per office offering `code` (its targets name it) or with tickets of it."""
    sql, args = procedure_sql(code, start, end, office)
    return [{"code": ocode, "name": name, "target_wait_s": int(target) if target else None,
             **metrics(rest)} for ocode, name, target, *rest in conn.execute(sql, args)]  # fmt: skip


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
        if name == "printer":
            # Last seen working: its last ticket printed; the reason code, never the message.
            if isinstance(check.get("last_printed_at"), str):
                row["last_seen"] = check["last_printed_at"][:40]
            for key in ("paper", "last_error"):
                if isinstance(check.get(key), str):
                    row[key] = check[key][:40]
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
