"""``flask --app network create-user EMAIL --role admin``: the first account, and scripted ones."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from network.database import writing
from network.errors import ValidationError
from network.extensions import db
from network.models import Network
from network.models.user import ROLES
from network.services import accounts


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--name", help="Display name (default: the part of the email before @).")
@click.option("--organization", "organization_slug", metavar="SLUG", help="For members: the organisation's slug.")
@click.option("--network", "network_slugs", metavar="SLUG", multiple=True, help="For coordinators: a node (repeat).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when omitted.")
@with_appcontext
@writing()
def create_user_command(
    email: str,
    role: str,
    name: str | None,
    organization_slug: str | None,
    network_slugs: tuple[str, ...],
    password: str,
) -> None:
    """Create a user who can log in at once (the command line is trusted: no invitation)."""
    try:
        networks = []
        for slug in network_slugs:
            node = db.session.scalar(select(Network).where(Network.slug == slug))
            if node is None:
                raise ValidationError({"network": [f"No network node has the slug {slug!r}."]})
            networks.append(node)
        user = accounts.create_user(
            None,
            email=email,
            name=name or email.partition("@")[0],
            role=role,
            password=password,
            organization=accounts.find_organization(organization_slug),
            networks=networks,
        )
    except ValidationError as error:
        db.session.rollback()
        for field, messages in error.errors.items():
            for message in messages:
                click.echo(f"{field or 'error'}: {message}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


commands = [create_user_command]
