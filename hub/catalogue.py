"""The province's procedure catalogue: codes, Vietnamese and English names, target waits.

One version number for the whole catalogue, raised by every change that changes something;
offices fetch it with If-None-Match during sync and apply what they offer.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .ingest import storable

FIELDS = ("code", "name", "name_en", "target_wait_min", "retired")


class BadEntry(ValueError):
    """A catalogue entry that does not fit the office's own rules for a procedure."""


def check(entry: dict) -> dict:
    """One entry, checked as the office's config model would (code, name, 1-480 minutes)."""
    if not isinstance(entry, dict):
        raise BadEntry("each entry is an object")
    code = entry.get("code")
    if not isinstance(code, str) or not re.fullmatch(r"[a-z0-9_-]{1,32}", code):
        raise BadEntry(f"code {code!r}: use 1-32 lower-case letters, digits, - or _")
    name, name_en = entry.get("name"), entry.get("name_en") or ""
    for what, v in (("name", name), ("name_en", name_en)):
        if not isinstance(v, str) or len(v) > 200 or not storable(v):
            raise BadEntry(f"{code}: {what} must be text of at most 200 characters")
    if not name.strip():
        raise BadEntry(f"{code}: name must not be empty")
    try:
        target = int(entry.get("target_wait_min"))
    except (TypeError, ValueError):
        target = 0
    if not 1 <= target <= 480:
        raise BadEntry(f"{code}: target_wait_min must be 1 to 480")
    retired = entry.get("retired", False)
    if isinstance(retired, str):
        retired = retired.strip().lower() in ("1", "true", "yes", "x")
    return {"code": code, "name": name.strip(), "name_en": name_en.strip(),
            "target_wait_min": target, "retired": bool(retired)}  # fmt: skip


def read_file(path: Path) -> list[dict]:
    """Entries of a .json (a list, or {"procedures": [...]}) or a .csv with a header row."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        data = data.get("procedures") if isinstance(data, dict) else data
        if not isinstance(data, list):
            raise BadEntry("the JSON must be a list of procedures")
    else:
        data = list(csv.DictReader(io.StringIO(text)))
    entries = [check(e) for e in data]
    if len({e["code"] for e in entries}) != len(entries):
        raise BadEntry("a code appears twice")
    return entries


def upsert(conn, entries: list[dict]) -> int:
    """Store the entries; the catalogue's version (raised once if anything changed)."""
    changed = 0
    for e in entries:
        cur = conn.execute(
            "INSERT INTO catalogue (code, name, name_en, target_wait_min, retired) "
            "VALUES (%(code)s, %(name)s, %(name_en)s, %(target_wait_min)s, %(retired)s) "
            "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, "
            "target_wait_min = EXCLUDED.target_wait_min, retired = EXCLUDED.retired, "
            "updated_at = now() WHERE (catalogue.name, catalogue.name_en, "
            "catalogue.target_wait_min, catalogue.retired) IS DISTINCT FROM (EXCLUDED.name, "
            "EXCLUDED.name_en, EXCLUDED.target_wait_min, EXCLUDED.retired)",
            e,
        )
        changed += cur.rowcount
    if changed:
        conn.execute("UPDATE catalogue_version SET version = version + 1")
    return version(conn)


def version(conn) -> int:
    return conn.execute("SELECT version FROM catalogue_version").fetchone()[0]


def listing(conn) -> dict:
    """The API's body: the version and every entry, retired ones marked."""
    rows = conn.execute(
        "SELECT code, name, name_en, target_wait_min, retired, updated_at FROM catalogue "
        "ORDER BY code"
    ).fetchall()
    return {"version": version(conn), "procedures": [
        {**dict(zip(FIELDS, r[:5], strict=True)), "updated_at": r[5].isoformat()} for r in rows
    ]}  # fmt: skip


def names(conn) -> dict[str, dict]:
    """code -> {name, name_en, target_wait_min} of the catalogue (for the hub's own pages)."""
    return {r[0]: {"name": r[1], "name_en": r[2], "target_wait_min": r[3]} for r in conn.execute(
        "SELECT code, name, name_en, target_wait_min FROM catalogue")}  # fmt: skip


cli = AppGroup("catalogue", help="The province's procedure catalogue (offices pull it).")


def _pool():
    return current_app.extensions["hub"]["pool"]


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(file):
    """Add or update procedures from a CSV or JSON file (code,name,name_en,target_wait_min)."""
    try:
        entries = read_file(file)
    except (BadEntry, ValueError) as e:
        raise click.ClickException(str(e)) from None
    with _pool().connection() as conn:
        v = upsert(conn, entries)
    click.echo(f"{len(entries)} procedures read; catalogue version {v}")


@cli.command("set")
@click.argument("code")
@click.option("--name")
@click.option("--name-en")
@click.option("--target-wait-min", type=int)
@click.option("--retire/--restore", default=None, help="Retired codes are not applied.")
def set_(code, name, name_en, target_wait_min, retire):
    """Add or change one procedure (a new one needs --name and --target-wait-min)."""
    with _pool().connection() as conn:
        row = conn.execute(
            "SELECT code, name, name_en, target_wait_min, retired FROM catalogue WHERE code = %s",
            (code,),
        ).fetchone()
        entry = dict(zip(FIELDS, row, strict=True)) if row else {"code": code}
        given = {"name": name, "name_en": name_en, "target_wait_min": target_wait_min,
                 "retired": retire}  # fmt: skip
        entry.update({k: v for k, v in given.items() if v is not None})
        try:
            v = upsert(conn, [check(entry)])
        except BadEntry as e:
            raise click.ClickException(str(e)) from None
    click.echo(f"catalogue version {v}")


@cli.command("list")
def list_():
    """Every procedure of the catalogue and its version."""
    with _pool().connection() as conn:
        body = listing(conn)
    click.echo(f"version {body['version']}")
    for p in body["procedures"]:
        mark = "\t(retired)" if p["retired"] else ""
        click.echo(f"{p['code']}\t{p['name']}\t{p['name_en']}\t{p['target_wait_min']}{mark}")
