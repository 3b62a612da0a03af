"""seed-demo: a believable demo network (issue 2)."""

import click
from flask.cli import with_appcontext


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Build a demo network."""
    raise click.ClickException("not yet implemented")
