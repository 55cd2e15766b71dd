"""The `voice` blueprint (/voice): cached segments, saved recordings, the player's settings and script."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Blueprint, Flask, jsonify, redirect, send_file

from server.kernel import error_response, ext

from .admin import bp as admin_bp
from .recorded import RecordedVoice
from .service import CHIME_URL, URL_PREFIX, VoiceService

bp = Blueprint(
    "voice", __name__, url_prefix="/voice", static_folder="static", static_url_path="/static"
)

AUDIO_MAX_AGE = 365 * 24 * 3600  # a file's name is a hash of what it says: never changes


def service() -> VoiceService:
    return ext().devices.voice


@bp.get("/audio/<string:name>")
def audio(name: str):
    """One cached segment; a segment still being rendered is waited for a few seconds."""
    voice = service()
    path = voice.cache.path(name)
    if path is None:
        return error_response("unknown_audio", "No such audio file.", 404)
    if not voice.cache.has(name):
        seg = voice.promised_segment(name)
        if seg is None or not voice.wait_for(name):
            best = voice.best(seg) if seg else None
            if best:  # the promised engine failed, another one has it
                return redirect(URL_PREFIX + best, code=302)
            return error_response("audio_not_ready", "This segment could not be rendered.", 404)
    mimetype = "audio/mpeg" if name.endswith(".mp3") else "audio/wav"
    resp = send_file(path, mimetype=mimetype, max_age=AUDIO_MAX_AGE, conditional=True)
    resp.headers["Cache-Control"] = f"public, max-age={AUDIO_MAX_AGE}, immutable"
    return resp


@bp.get("/recorded/<string:name>")
def recorded_audio(name: str):
    """One saved recording of the office's voice (a new take has a new name)."""
    rec = service().recorded
    path = rec.path(name) if rec is not None else None
    if path is None:
        return error_response("unknown_audio", "No such recording.", 404)
    resp = send_file(path, mimetype="audio/wav", max_age=AUDIO_MAX_AGE, conditional=True)
    resp.headers["Cache-Control"] = f"public, max-age={AUDIO_MAX_AGE}, immutable"
    return resp


@bp.get("/config")
def config():
    """What the browser player needs: whether to speak, how often, the chime."""
    voice = service()
    return jsonify({"enabled": voice.active, "repeat": voice.repeat, "chime": CHIME_URL,
                    "languages": list(voice.cfg.languages)})  # fmt: skip


def _autostart() -> bool:
    """Warm in the background when serving (gunicorn, flask run), not in other CLI commands."""
    ctx = click.get_current_context(silent=True)
    return ctx is None or ctx.info_name == "run"


def init_app(app: Flask, ext) -> VoiceService:
    """Build the voice service, subscribe it to calls, serve its files."""
    voice = VoiceService(ext.settings, ext.data_dir)
    voice.record = ext.queue.record
    voice.recorded = RecordedVoice(ext.store, Path(ext.data_dir) / "voice" / "recorded", ext.clock)
    if ext.settings["voice"]["server_playback"]:
        from .player import AudioPlayer

        v = ext.settings["voice"]
        chime = bp.static_folder and f"{bp.static_folder}/chime.wav"
        voice.player = AudioPlayer(v["player"], v["mp3_player"], chime=chime)
    ext.queue.subscribe(voice.on_event)
    ext.config.on_change(voice.follow)  # new procedures and counters: their segments warmed
    ext.health["voice"] = voice.health
    ext.devices.voice = voice
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    from . import cli as voice_cli

    voice_cli.init_app(app)
    if ext.settings["voice"]["warm_on_start"] and voice.active and _autostart():
        voice.start_warming()
    return voice
