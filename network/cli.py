"""Flask commands: ``flask --app network <command>``. Each calls services and commits once; one that
writes runs in ``database.writing()``, so it waits for SQLite's write lock instead of failing."""

import click
from flask import Flask
from flask.cli import with_appcontext

from network.database import writing
from network.extensions import db
from network.services.reference import load_reference_data


@click.command("load-reference")
@with_appcontext
@writing()
def load_reference_command() -> None:
    """Load or update the M49 regions and the starter themes (idempotent)."""
    added = load_reference_data()
    db.session.commit()
    click.echo(f"Reference data loaded ({added['regions']} regions and {added['themes']} themes added).")


def init_app(app: Flask) -> None:
    from network.auth.commands import commands as auth_commands
    from network.backup import commands as backup_commands
    from network.demo.commands import demo_logins_command, seed_demo_command
    from network.imports.commands import commands as import_commands
    from network.notifications.commands import commands as notice_commands

    builtin = (load_reference_command, seed_demo_command, demo_logins_command)
    for command in (*builtin, *auth_commands, *import_commands, *backup_commands, *notice_commands):
        app.cli.add_command(command)
