"""``flask --app network send-digests`` and ``announce-memberships``: what the consumer's daily jobs
run (tasks.init_app), by hand or from cron when no consumer runs periodic jobs."""

import click
from flask.cli import with_appcontext

from network.database import writing
from network.services.notices import digest, memberships


@click.command("send-digests")
@with_appcontext
@writing()
def send_digests_command() -> None:
    """Mail each user the notices waiting for their digest (each notice once, however often it runs)."""
    click.echo(f"{digest.send_digests()} digests sent.")


@click.command("announce-memberships")
@with_appcontext
@writing()
def announce_memberships_command() -> None:
    """Tell coordinators of memberships ending soon (each membership's end once)."""
    click.echo(f"{memberships.announce_endings()} memberships ending announced.")


commands = (send_digests_command, announce_memberships_command)
