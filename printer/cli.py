"""`flask printer test|preview|status`: check the printer and see exactly what prints."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from core.timeutil import iso, office_day
from server.kernel import ext

from . import adapters


def sample_ticket(e, code: str | None) -> dict:
    """A ticket as the next one of `code` would look now (nothing is issued or stored)."""
    office = e.settings.office
    svc = office.service(code) if code else office.services[0]
    if svc is None:
        raise click.BadParameter(f"no procedure {code!r}", param_hint="--service")
    info = next(s for s in e.queue.line.services() if s["code"] == svc.code)
    day = office_day(e.clock(), office.tz, office.day_starts_at)
    row = (
        e.store.reader()
        .execute("SELECT last FROM sequences WHERE service = ? AND day = ?", (svc.code, day))
        .fetchone()
    )
    kiosk = e.settings["kiosk"]["id"]
    return {"id": "preview", "number": svc.label((row[0] if row else 0) + 1), "service": svc.code,
            "priority": False, "issued_at": iso(e.clock(), office.tz), "position": info["waiting"],
            "estimated_wait_s": info["estimated_wait_s"], "kiosk": kiosk, "url": "/t/preview"}  # fmt: skip


def init_app(app: Flask) -> None:
    @app.cli.group("printer")
    def printer():
        """The ticket printer."""

    @printer.command("test")
    def test():
        """Print a test page on the configured printer; exit 1 if it fails."""
        e = ext()
        worker = e.devices.printer
        if not worker.enabled:
            raise click.ClickException("No printer configured ([printer] type = none).")
        try:
            status, ms = worker.test_page(
                e.settings.office.name, iso(e.clock(), e.settings.office.tz)
            )
        except Exception as exc:
            from .worker import reason_of

            raise click.ClickException(
                f"Printing failed ({reason_of(exc)}): {exc}. Check the cable, power, paper"
                " and [printer] settings; see docs/kiosk-and-printer.md."
            ) from None
        click.echo(f"Test page sent to the {worker.type} printer in {ms:.0f} ms.")
        click.echo(f"Printer status (hint): online={status.online} paper={status.paper}")

    @printer.command("preview")
    @click.option("--service", "code", help="Procedure code (default: the first one).")
    @click.option("-o", "--output", default="ticket-preview.png", show_default=True)
    def preview(code, output):
        """Write the exact ticket image that prints, as PNG."""
        e = ext()
        worker = e.devices.printer
        ticket = sample_ticket(e, code)
        image = worker.image_for(ticket)
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        image.save(output)
        click.echo(f"{output}: {image.width}x{image.height} px, ticket {ticket['number']}")

    @printer.command("status")
    def status():
        """Ask the printer for its state (online, paper) where the connection allows."""
        e = ext()
        cfg = e.settings["printer"]
        if cfg["type"] == "none":
            click.echo("No printer configured ([printer] type = none).")
            return
        try:
            p = adapters.connect(cfg, e.data_dir)
            st = adapters.read_status(p)
            p.close()
        except Exception as exc:
            raise click.ClickException(f"Cannot reach the {cfg['type']} printer: {exc}") from None
        if not adapters.can_read(p):
            click.echo(f"The {cfg['type']} connection cannot report status.")
        click.echo(f"online={st.online} paper={st.paper}")
