"""`flask summarize` and `flask demo simulate`."""

from __future__ import annotations

import datetime as dt
import time

import click
from flask import Flask, current_app

from server.kernel import terminal_bar

from . import simulate, summary


def _day(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param_hint=name) from None


def init_app(app: Flask) -> None:
    @app.cli.command("summarize")
    @click.option("--date", "date_", help="Office day YYYY-MM-DD (default: today).")
    @click.option("--from", "first", help="First day of a range to backfill.")
    @click.option("--to", "last", help="Last day of the range (default: today).")
    def summarize(date_, first, last):
        """Compute and store daily summaries (idempotent; a range backfills)."""
        e = current_app.extensions["onestop"]
        office = e.settings.office
        today = summary.today(office, e.clock())
        date_, first, last = _day(date_, "--date"), _day(first, "--from"), _day(last, "--to")
        if date_ and (first or last):
            raise click.UsageError("Give either --date or --from/--to, not both.")
        if last and not first:
            raise click.UsageError("--to needs --from.")
        days = [date_ or today] if not first else summary.date_range(first, last or today)
        if not days:
            raise click.UsageError("--from is after --to.")
        t0 = time.perf_counter()
        with terminal_bar("Summarising", enabled=len(days) > 1) as progress:
            n = summary.summarize(e.store, office, days, progress=progress,
                                  office_for=e.config.office_for)  # fmt: skip
        click.echo(
            f"Summarised {n} day(s) ({days[0]} .. {days[-1]}) in {time.perf_counter() - t0:.2f} s."
        )

    @app.cli.group("demo")
    def demo():
        """Demo data for newcomers and benchmarks."""

    @demo.command("simulate")
    @click.option("--days", default=30, show_default=True, type=click.IntRange(1, 400))
    @click.option("--seed", default=1, show_default=True, type=int)
    @click.option(
        "--until", help="Local time 'YYYY-MM-DD HH:MM' the history runs up to (default: now)."
    )
    @click.option("--scale", default=1.0, show_default=True, type=click.FloatRange(0.05, 20),
                  help="Multiply the arrival rate (1 = a busy commune, ~120 citizens a day).")  # fmt: skip
    def demo_simulate(days, seed, until, scale):
        """Fill the data dir with a realistic history through QueueService, then summarise it."""
        e = current_app.extensions["onestop"]
        office = e.settings.office
        if until:
            try:
                end = dt.datetime.fromisoformat(until).replace(tzinfo=office.tz).timestamp()
            except ValueError:
                raise click.BadParameter(
                    "expected 'YYYY-MM-DD HH:MM'", param_hint="--until"
                ) from None
        else:
            end = e.clock()
        try:
            with terminal_bar("Simulating days") as progress:
                result = simulate.run(e.store, office, days=days, seed=seed, until=end,
                                      scale=scale, progress=progress)  # fmt: skip
        except simulate.NotEmpty as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(
            f"Simulated {result['days']} office day(s): {result['tickets']} tickets,"
            f" {result['events']} events."
        )
        full = [d for d in result["day_list"] if d < summary.today(office, end)]
        with terminal_bar("Summarising", enabled=len(full) > 1) as progress:
            n = summary.summarize(e.store, office, full, progress=progress)
        click.echo(f"Summarised {n} day(s).")
