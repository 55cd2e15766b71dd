"""`flask voice warm|status|say`: fill and inspect the audio cache."""

from __future__ import annotations

import json

import click
from flask import Flask

from server.kernel import ext, terminal_bar


def _voice():
    return ext().devices.voice


def init_app(app: Flask) -> None:
    @app.cli.group("voice")
    def voice():
        """Voice announcements: the audio segment cache."""

    @voice.command("warm")
    @click.option("--engine", "engines", multiple=True,
                  help="Only these engines (gtts, espeak); default: all configured.")  # fmt: skip
    @click.option("-v", "--verbose", is_flag=True, help="Print each segment rendered.")
    def warm(engines, verbose):
        """Render every segment the configured office can need (run it while online)."""
        v = _voice()
        if not v.active:
            raise click.ClickException(
                "Voice is disabled or has no engine ([voice] in the config)."
            )
        progress = click.echo if verbose else None
        # With --verbose the segment lines are the progress; a bar would garble them.
        with terminal_bar("Rendering segments", enabled=not verbose) as steps:
            r = v.warm(engines=list(engines) or None, progress=progress, steps=steps)
        rendered = ", ".join(f"{k} {n}" for k, n in sorted(r["rendered"].items())) or "none"
        click.echo(f"Segments needed: {r['needed']}; rendered now: {rendered}; "
                   f"missing: {r['missing']}.")  # fmt: skip
        click.echo(f"Cache: {r['cache_files']} files, {r['cache_bytes'] / 1024:.1f} KiB "
                   f"in {v.cache.audio_dir}; took {r['seconds']:.2f} s.")  # fmt: skip
        for e in v.engines:
            state = e.state()
            if state.get("last_error"):  # e.g. gTTS offline: say so, the cache is still complete
                click.echo(f"{e.name}: {state['last_error']} (resting {state['resting_s']:.0f} s)")
        for f in r["failed"][:10]:
            click.echo(
                f"  not rendered: [{f['lang']}] {f['text']}: {'; '.join(f['errors'])}", err=True
            )
        if r["missing"]:
            raise click.ClickException(f"{r['missing']} segment(s) could not be rendered.")

    @voice.command("status")
    def status():
        """Print the voice health as JSON."""
        click.echo(json.dumps(_voice().health(), ensure_ascii=False, indent=2))

    @voice.command("say")
    @click.argument("number")
    @click.argument("counter", type=int)
    def say(number, counter):
        """Show the sentence and audio URLs a call of NUMBER to COUNTER gets."""
        out = _voice().call(number, counter)
        click.echo(out["text"])
        for url in out["audio"]:
            click.echo(url)
