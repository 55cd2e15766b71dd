"""`flask --app hub.wsgi init | office add | user add | user token`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from core.users import hash_password

from . import auth, catalogue, db


def _pool():
    return current_app.extensions["hub"]["pool"]


def _fail(message: str):
    raise click.ClickException(message)


office = AppGroup("office", help="Offices that sync to this hub.")
user = AppGroup("user", help="People who read the hub.")


@click.command("init")
def init():
    """Create or migrate the hub's database (idempotent)."""
    applied = db.migrate(_pool())
    click.echo(f"migrations applied: {applied or 'none (up to date)'}")


@office.command("add")
@click.argument("code")
@click.option("--name", required=True)
def office_add(code, name):
    """Enrol an office; its sync token is the last line."""
    token, digest = auth.new_token()
    with _pool().connection() as conn:
        if conn.execute("SELECT 1 FROM offices WHERE code = %s", (code,)).fetchone():
            _fail(f"office {code!r} exists")
        conn.execute(
            "INSERT INTO offices (code, name, token_hash) VALUES (%s, %s, %s)", (code, name, digest)
        )
    click.echo(f"office {code} added; its sync token ([hub] token):")
    click.echo(token)


@office.command("list")
def office_list():
    with _pool().connection() as conn:
        for code, name, seen in conn.execute(
            "SELECT code, name, last_contact FROM offices ORDER BY code"
        ):
            click.echo(f"{code}\t{name}\t{seen or '-'}")


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(auth.ROLES), required=True)
@click.option("--office", "office_code", default=None)
@click.option("--password", required=True)
def user_add(name, role, office_code, password):
    """Add a hub user; an office viewer needs --office."""
    if (role == "office_viewer") != (office_code is not None):
        _fail("--office is required for office_viewer and only for it")
    if len(password) < 8:
        _fail("the password needs at least 8 characters")
    with _pool().connection() as conn:
        if (
            office_code
            and not conn.execute("SELECT 1 FROM offices WHERE code = %s", (office_code,)).fetchone()
        ):
            _fail(f"no office {office_code!r}")
        if conn.execute("SELECT 1 FROM users WHERE name = %s", (name,)).fetchone():
            _fail(f"user {name!r} exists")
        conn.execute(
            "INSERT INTO users (name, role, office, password_hash) VALUES (%s, %s, %s, %s)",
            (name, role, office_code, hash_password(password)),
        )
    click.echo(f"user {name} added ({role})")


@user.command("token")
@click.argument("name")
def user_token(name):
    """A new API token for NAME (the last line)."""
    token, digest = auth.new_token()
    with _pool().connection() as conn:
        if not conn.execute("SELECT 1 FROM users WHERE name = %s", (name,)).fetchone():
            _fail(f"no user {name!r}")
        conn.execute("INSERT INTO tokens (token_hash, user_name) VALUES (%s, %s)", (digest, name))
    click.echo(token)


def init_app(app: Flask) -> None:
    app.cli.add_command(init)
    app.cli.add_command(office)
    app.cli.add_command(user)
    app.cli.add_command(catalogue.cli)
