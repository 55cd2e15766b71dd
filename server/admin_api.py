"""The admin's API of the office's configuration: read, change, history, restore (role admin).

A change names the version it edits in `If-Match` (428 without it, 409 `stale_version` when
another change came first); a refused config is 400 `invalid_config` with the field, and
nothing is changed. See docs/api.md and docs/admin.md ("Configuration and versions").
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from core.config_store import StaleVersion, diff_text
from core.errors import BadRequest, QueueError

from .kernel import body, clerk_name, ext, require
from .settings import ConfigError

bp = Blueprint("admin_api", __name__, url_prefix="/api/admin")
MAX_VERSIONS = 500


class PreconditionRequired(QueueError):
    code = "precondition_required"
    status = 428


def invalid(field: str, reason: str):
    """400 invalid_config naming the field and the reason (nothing was changed)."""
    resp = jsonify({"error": {"code": "invalid_config", "message": f"{field}: {reason}",
                              "field": field, "reason": reason}})  # fmt: skip
    resp.status_code = 400
    return resp


@bp.app_errorhandler(ConfigError)
def invalid_config(e: ConfigError):
    return invalid(e.key, e.reason)


@bp.app_errorhandler(StaleVersion)
def stale_version(e: StaleVersion):
    resp = jsonify({"error": {"code": e.code, "message": e.message, "version": e.current}})
    resp.status_code = 409
    resp.headers["ETag"] = f'"{e.current}"'
    return resp


def _expected() -> int:
    """The version the caller edited, from If-Match ("3" or 3); 428 without one."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        raise PreconditionRequired(
            "Send If-Match with the version you edited (GET /api/admin/config gives it)."
        )
    text = raw.removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 12:
        raise BadRequest("If-Match must be a version number.", "invalid_if_match")
    return int(text)


def _reason(data: dict) -> str:
    reason = data.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 500:
        raise BadRequest("'reason' must be text of at most 500 characters.", "invalid_reason")
    return reason


def _only(data: dict, *keys: str) -> dict:
    unknown = set(data) - set(keys)
    if unknown:
        raise BadRequest(f"Unknown key {sorted(unknown)[0]!r}; send {' and '.join(keys)}.",
                         "unknown_key")  # fmt: skip
    return data


def _version_number(n: str) -> int:
    if not n.isdigit() or len(n) > 12:
        raise BadRequest("A version is a positive number.", "invalid_version")
    return int(n)


def _changed(n: int):
    resp = jsonify({"version": n, "restart_needed": ext().config.restart_needed()})
    resp.headers["ETag"] = f'"{n}"'
    return resp


@bp.get("/config")
@require("admin")
def get_config():
    live = ext().config
    current = live.versions.current()
    resp = jsonify({"version": current["n"], "config": current["config"]})
    resp.headers["ETag"] = f'"{current["n"]}"'
    return resp


@bp.put("/config")
@require("admin")
def put_config():
    data = _only(body(), "config", "reason")
    expected = _expected()
    if not isinstance(data.get("config"), dict):
        return invalid("config", "send the office as a JSON object")
    n = ext().config.apply(data["config"], clerk_name(), _reason(data), expected=expected)
    return _changed(n)


@bp.get("/config/versions")
@require("admin")
def list_versions():
    raw = request.args.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_VERSIONS:
        raise BadRequest(f"limit must be 1 to {MAX_VERSIONS}.", "invalid_limit")
    versions = ext().config.versions.versions(int(raw))
    return jsonify({"versions": [{**v, "changes": diff_text(v["diff"])} for v in versions]})


@bp.get("/config/versions/<number>")
@require("admin")
def get_version(number: str):
    v = ext().config.versions.get(_version_number(number))
    return jsonify({**v, "changes": diff_text(v["diff"])})


@bp.post("/config/versions/<number>/restore")
@require("admin")
def restore_version(number: str):
    data = _only(body(), "reason")
    expected = _expected()
    live = ext().config
    old = live.versions.get(_version_number(number))
    reason = _reason(data) or f"restored version {old['n']}"
    return _changed(live.apply(old["config"], clerk_name(), reason, expected=expected))
