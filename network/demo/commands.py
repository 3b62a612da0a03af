"""flask seed-demo and flask demo-logins."""

import os
from collections import Counter
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import delete, func, select

from network.database import writing
from network.demo.builder import DemoBuilder, DemoLogin
from network.extensions import db
from network.models import Base, Network, Organization, Project, User

LOGIN_URL = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}/login"  # scripts/run serves on $PORT
LOGINS_FILE = "demo-logins.txt"
REFERENCE_TABLES = {"regions", "themes", "alembic_version"}


def wipe_demo_data() -> None:
    """Delete every row but the reference data, children before parents."""
    for table in reversed(Base.metadata.sorted_tables):
        if table.name not in REFERENCE_TABLES:
            db.session.execute(delete(table))


def rebuild_search_index() -> None:
    try:
        from network.services.search import rebuild_index
    except ImportError:  # search not installed yet: nothing to rebuild
        return
    rebuild_index()


def logins_path() -> Path:
    return Path(current_app.instance_path) / LOGINS_FILE


def write_logins(logins: list[DemoLogin]) -> Path:
    path = logins_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"Demo logins (log in at {LOGIN_URL}):", ""]
    lines += [f"  {login.role:<12} {login.email:<26} {login.password:<18} {login.scope}" for login in logins]
    # Created 0600 from the start: the passwords are never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def seed(orgs: int, seed_value: int) -> tuple[list[DemoLogin], Counter[str]]:
    """Build the demo network in the current session (no commit)."""
    info = db.session.info
    saved = {key: info.get(key) for key in ("audit", "search_index")}
    info["audit"] = False  # seeding is not a user's change
    info["search_index"] = False  # one rebuild at the end instead of one per flush
    try:
        builder = DemoBuilder(orgs, seed_value)
        logins = builder.build()
        db.session.flush()
        click.echo("Search index…")
        rebuild_search_index()
    finally:
        for key, value in saved.items():
            if value is None:
                info.pop(key, None)
            else:
                info[key] = value
    return logins, builder.counts


def everyday_changes() -> None:
    """A few changes made through the services as the demo users would make them (audited, like
    any user's), so a fresh demo's home page and history tabs show recent work."""
    from network.services import organizations, projects

    users = {u.role: u for u in db.session.scalars(select(User).where(User.email.like("%@example.org")))}
    member, coordinator = users.get("member"), users.get("coordinator")
    if member is None or coordinator is None or member.organization is None:
        return
    org = member.organization
    project = db.session.scalar(
        select(Project).where(Project.lead_organization_id == org.id, Project.archived_at.is_(None)).limit(1)
    )
    if project is not None:
        projects.create_outcome(member, project, {
            "period_start": date(2025, 1, 1), "period_end": date(2025, 6, 30), "tco2e_reduced": "42.5",
            "basis": "estimated", "people_reached": 1200, "method": "Fuel use logged before and after",
        })  # fmt: skip
    organizations.update_organization(coordinator, org, {
        "description": (org.description or org.name) + " Member of the network's clean cooking working group.",
    }, org.version)  # fmt: skip


@click.command("seed-demo")
@click.option("--orgs", "orgs", type=int, default=2000, show_default=True, help="How many organisations (1 or more).")
@click.option("--seed", "seed_value", type=int, default=1, show_default=True, help="Same seed, same names.")
@click.option("--force", is_flag=True, help="Delete ALL existing data first (reference data is kept).")
@click.option("--if-empty", is_flag=True, help="Do nothing, quietly, when there is data already.")
@with_appcontext
@writing()
def seed_demo_command(orgs: int, seed_value: int, force: bool, if_empty: bool) -> None:
    """Build a demo network: nodes, organisations, people, projects, partnerships, initiatives, users."""
    if orgs < 1:
        raise click.BadParameter(f"must be at least 1 (got {orgs}).", param_hint="--orgs")
    existing = db.session.scalar(select(func.count()).select_from(Organization))
    nodes = db.session.scalar(select(func.count()).select_from(Network))
    if existing or nodes:
        if if_empty:
            return
        if not force:
            raise click.ClickException(
                f"The database already has {existing:,} organisations and {nodes:,} network nodes. "
                "Run with --force to delete ALL of them (and every user, project and initiative; reference data "
                "is kept) before seeding, or with --if-empty to leave existing data alone."
            )
        click.echo(f"Deleting the existing data ({existing:,} organisations)…")
        wipe_demo_data()
    logins, counts = seed(orgs, seed_value)
    everyday_changes()
    db.session.commit()
    path = write_logins(logins)
    shown = {"networks": "network nodes", "organizations": "organisations", "memberships": "memberships",
             "people": "people", "projects": "projects", "outcome_reports": "outcome reports",
             "partnerships": "partnerships", "initiatives": "initiatives", "participants": "initiative participants",
             "users": "users"}  # fmt: skip
    click.echo("Built " + ", ".join(f"{counts[table]:,} {label}" for table, label in shown.items()) + ".")
    click.echo(path.read_text(encoding="utf-8"), nl=False)


@click.command("demo-logins")
@with_appcontext
def demo_logins_command() -> None:
    """Print the demo logins written by seed-demo."""
    path = logins_path()
    if not path.exists():
        click.echo(f"No demo logins: {path} does not exist (seed-demo writes it).")
        return
    click.echo(path.read_text(encoding="utf-8"), nl=False)
