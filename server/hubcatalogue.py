"""The province's procedure catalogue at the office: fetched during sync, applied to what it offers.

For every procedure the office offers whose code is in the catalogue (and not retired), the
catalogue's name, English name and target wait replace the office's. The office keeps its
choice of procedures, their prefixes, number ranges, hours and counters; a code only the
office has keeps its own name and target; a catalogue code the office does not offer is
ignored. Applied through the config model (validated, versioned, live to the kiosk).
"""

from __future__ import annotations

import re

import requests

CATALOGUE = "hub_catalogue_version"
CODE = re.compile(r"[a-z0-9_-]{1,32}")


def _entry(p) -> tuple[str, dict] | None:
    """One catalogue entry, checked; None for a retired one. Raises on garbage."""
    if (
        not isinstance(p, dict)
        or not isinstance(p.get("code"), str)
        or not CODE.fullmatch(p["code"])
    ):
        raise ValueError("the hub's catalogue has an entry without a valid code")
    name, name_en, target = p.get("name"), p.get("name_en") or "", p.get("target_wait_min")
    if not isinstance(name, str) or not name.strip() or not isinstance(name_en, str):
        raise ValueError(f"catalogue entry {p['code']}: names must be text")
    if type(target) is not int or not 1 <= target <= 480:
        raise ValueError(f"catalogue entry {p['code']}: target_wait_min must be 1 to 480")
    if p.get("retired"):
        return None
    return p["code"], {"name": name, "name_en": name_en, "target_wait_min": target}


def fetch(agent) -> tuple[int, dict[str, dict]] | None:
    """(version, code -> entry) when the hub's catalogue differs from the one applied; else None."""
    cfg, seen = agent.cfg, agent.catalogue_version()
    headers = {"Authorization": f"Bearer {cfg['token']}"}
    if seen is not None:
        headers["If-None-Match"] = f'"v{seen}"'
    r = requests.get(cfg["url"].rstrip("/") + "/api/catalogue", headers=headers,
                     timeout=cfg["timeout_s"])  # fmt: skip
    if r.status_code in (304, 404):  # unchanged, or a hub that keeps no catalogue
        return None
    if r.status_code != 200:
        raise RuntimeError(f"hub answered {r.status_code} for the catalogue")
    try:
        body = r.json()
        version, procedures = body["version"], body["procedures"]
    except (ValueError, KeyError, TypeError):
        raise RuntimeError("hub answered garbage for the catalogue") from None
    if type(version) is not int or version < 0 or not isinstance(procedures, list):
        raise RuntimeError("hub answered garbage for the catalogue")
    if version == seen:
        return None
    return version, dict(e for e in map(_entry, procedures) if e is not None)


def changes(office, entries: dict[str, dict]) -> dict[str, dict]:
    """code -> new fields, for the offered procedures whose catalogue entry differs."""
    out = {}
    for s in office.services:
        e = entries.get(s.code)
        if e and (s.name, s.name_en, s.target_wait_s) != (
            e["name"], e["name_en"], e["target_wait_min"] * 60
        ):  # fmt: skip
            out[s.code] = e
    return out


def apply(doc: dict, wanted: dict[str, dict]) -> None:
    """Mutate a site.toml-shaped dict: the catalogue's fields on the offered procedures."""
    for svc in doc.get("services") or []:
        if svc.get("code") in wanted:
            svc.update(wanted[svc["code"]])


def pull(agent) -> int | None:
    """Fetch and apply; the catalogue version the office now has."""
    got = fetch(agent)
    if got is None:
        agent.catalogue_error = None
        return agent.catalogue_version()
    version, entries = got
    e = agent.ext
    wanted = changes(e.settings.office, entries)
    if wanted:
        e.config.patch(lambda doc: apply(doc, wanted), author="hub",
                       reason=f"province catalogue v{version}")  # fmt: skip
    with e.store.write() as conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     (CATALOGUE, str(version)))  # fmt: skip
    agent.catalogue_error = None
    return version
