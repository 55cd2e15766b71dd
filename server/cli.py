"""`flask` commands: init, user, device, config, day. Other packages add theirs in their own
modules."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from core.devices import KINDS
from core.errors import QueueError
from core.timeutil import iso
from core.users import ROLES

from . import settings as settings_mod
from .kernel import ext
from .settings import toml_out


def _fail(e: QueueError):
    raise click.ClickException(e.message)


@click.command("init")
@with_appcontext
def init():
    """Create or migrate the database (idempotent)."""
    e = ext()
    click.echo(f"Database ready: {e.store.path}")
    click.echo(f"Office: {e.settings.office.name} ({len(e.settings.office.services)} procedures, "
               f"{len(e.settings.office.counters)} counters)")  # fmt: skip


@click.group("user", cls=AppGroup)
def user():
    """Manage clerks, supervisors and admins."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_add(name, role, password):
    """Add a user."""
    try:
        ext().users.add(name, role, password)
    except QueueError as e:
        _fail(e)
    click.echo(f"Added {name} ({role}).")


@user.command("passwd")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_passwd(name, password):
    """Change a user's password."""
    try:
        ext().users.set_password(name, password)
    except QueueError as e:
        _fail(e)
    click.echo(f"Password of {name} changed.")


@user.command("token")
@click.argument("name")
def user_token(name):
    """Print a new API token for NAME (last line of output)."""
    try:
        token = ext().users.new_token(name)
    except QueueError as e:
        _fail(e)
    click.echo(f"New API token for {name} (shown once):")
    click.echo(token)


@user.command("revoke")
@click.argument("name")
def user_revoke(name):
    """Revoke every API token of NAME."""
    try:
        n = ext().users.revoke_tokens(name)
    except QueueError as e:
        _fail(e)
    click.echo(f"Revoked {n} token(s) of {name}.")


@user.command("disable")
@click.argument("name")
def user_disable(name):
    """Disable NAME: their logins end at once and their tokens stop working."""
    try:
        ext().users.disable(name)
    except QueueError as e:
        _fail(e)
    click.echo(f"Disabled {name}.")


@user.command("enable")
@click.argument("name")
def user_enable(name):
    """Enable NAME again (they log in anew)."""
    try:
        ext().users.set_active(name, True)
    except QueueError as e:
        _fail(e)
    click.echo(f"Enabled {name}.")


@user.command("list")
def user_list():
    """List users."""
    for u in ext().users.list():
        click.echo(f"{u['name']}\t{u['role']}\t{'active' if u['active'] else 'disabled'}")


@click.group("device", cls=AppGroup)
def device():
    """Enrol kiosks, lobby displays and rating tablets."""


@device.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--counter", type=int, help="A tablet's counter number.")
def device_add(name, kind, counter):
    """Enrol a device; print its token (shown once) as the last line of output."""
    e = ext()
    try:
        if counter is not None:
            e.queue.line.counter(counter)
        row, token = e.enrolled.add(name, kind, counter)
    except QueueError as err:
        _fail(err)
    where = f" at counter {counter}" if counter is not None else ""
    click.echo(f"Enrolled {row['name']} ({kind}{where}). On its browser, open once:")
    click.echo(f"  {e.settings['office']['public_url'].rstrip('/')}/devices/enrol?token=<token>")
    click.echo("Token (shown once):")
    click.echo(token)


@device.command("list")
def device_list():
    """List enrolled and revoked devices."""
    tz = ext().settings.office.tz
    for d in ext().enrolled.list():
        counter = "" if d["counter"] is None else str(d["counter"])
        state = f"revoked {iso(d['revoked_at'], tz)}" if d["revoked_at"] else "enrolled"
        click.echo(f"{d['name']}\t{d['kind']}\t{counter}\t{iso(d['created_at'], tz)}\t{state}")


@device.command("revoke")
@click.argument("name")
def device_revoke(name):
    """Revoke a device's token at once (its browser is no longer enrolled)."""
    try:
        ext().enrolled.revoke(name)
    except QueueError as err:
        _fail(err)
    click.echo(f"Revoked {name}.")


@click.group("config", cls=AppGroup)
def config():
    """The office configuration."""


@config.command("check")
def config_check():
    """Check the config file (start-up stops on any error) and summarise it."""
    s = ext().settings
    click.echo(f"{s.path}: OK")
    click.echo(f"  {s.office.name}; hours enforced: {s.office.enforce_hours}")
    for svc in s.office.services:
        click.echo(f"  {svc.prefix}  {svc.code:<12} {svc.name}")
    for c in s.office.counters:
        click.echo(f"  {c.name}: {', '.join(c.services)}")


@config.command("schema")
def config_schema():
    """Print every setting with its type, default and meaning (Markdown)."""
    click.echo(settings_mod.schema_markdown())


@config.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True))
def config_export(file):
    """Write the configuration in force as TOML (site.toml's keys) to FILE or stdout."""
    live = ext().config
    text = toml_out.dumps(live.data())
    if file is None:
        click.echo(text, nl=False)
        return
    with open(file, "w", encoding="utf-8") as f:
        f.write(text)
    click.echo(f"Version {live.version} written to {file}", err=True)


@config.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--reason", default="", help="Why (kept with the version).")
def config_import(file, reason):
    """Make FILE (TOML, site.toml's keys) the office: checked whole, all or nothing."""
    try:
        data = settings_mod.load(file).data
        n = ext().config.apply(data, f"cli:{_operator()}", reason or f"imported {file}")
    except settings_mod.ConfigError as e:
        raise click.ClickException(f"{e.path}: {e.key}: {e.reason} (nothing changed)") from None
    except QueueError as e:
        _fail(e)
    click.echo(f"Imported {file} as version {n}; restart needed for: "
               f"{', '.join(ext().config.restart_needed()) or 'nothing'}")  # fmt: skip


def _operator() -> str:
    """Who runs the command (sudo's caller first), for the version's author."""
    name = os.environ.get("SUDO_USER") or os.environ.get("USER") or os.environ.get("LOGNAME")
    return name or "import"


@click.group("day", cls=AppGroup)
def day():
    """The office day."""


@day.command("close")
@click.option("--date", "date_", help="Office day YYYY-MM-DD (default: today).")
def day_close(date_):
    """Expire every ticket of the day (and earlier) not served. History is kept."""
    n = ext().queue.close_day(date_)
    click.echo(f"Expired {n} ticket(s).")


def init_app(app: Flask) -> None:
    for command in (init, user, device, config, day):
        app.cli.add_command(command)
