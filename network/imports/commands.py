"""``flask import`` and ``flask export``: the same services as the web pages, committed once."""

import sys
from contextlib import nullcontext
from pathlib import Path

import click
from flask import g
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import func, select

from network import permissions
from network.database import writing
from network.errors import ServiceError
from network.extensions import db
from network.models import Network, User
from network.services.importing import (
    ImportOptions,
    open_table,
    record_job,
    run_import,
    write_import,
    write_rejected,
)


def _actor(email: str | None) -> User:
    """The user the command acts as: --as EMAIL, or the first administrator."""
    query = select(User).where(User.active.is_(True))
    if email:
        user = db.session.scalar(query.where(func.lower(User.email) == email.lower()))
        if user is None:
            raise click.ClickException(f"No active user {email}.")
    else:
        user = db.session.scalar(query.where(permissions.administrators()).order_by(User.id))
        if user is None:
            raise click.ClickException("No administrator exists; create one or pass --as EMAIL.")
    g.actor_id = user.id
    return user


def _node(slug: str | None) -> Network | None:
    if not slug:
        return None
    node = db.session.scalar(select(Network).where(Network.slug == slug))
    if node is None:
        raise click.ClickException(f"No network node with slug {slug!r}.")
    return node


def _print_report(result, dry_run: bool) -> None:
    counts = result.counts
    click.echo(
        f"{result.total} rows: {counts['new']} new, {counts['updated']} updated, {counts['unchanged']} unchanged, "
        f"{counts['duplicate']} possible duplicates, {counts['invalid']} invalid"
        + (f", {counts['skipped']} skipped" if counts["skipped"] else "")
        + (" (dry run: nothing saved)" if dry_run else "")
    )
    for error in result.errors[:50]:
        hint = f" Did you mean {error['suggestion']}?" if error.get("suggestion") else ""
        click.echo(f"  row {error['row']}, {error['column']}: {error['message']}{hint}", err=True)
    if result.error_count > 50:
        click.echo(f"  … and {result.error_count - 50} more errors", err=True)
    for dup in result.duplicates[:20]:
        click.echo(f"  row {dup['row']}: {dup['name']} looks like {dup['candidate_name']} "
                   f"({', '.join(dup['reasons'])})")  # fmt: skip


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report only; save nothing.")
@click.option("--skip-invalid", is_flag=True, help="Save the valid rows; write the rejected ones to FILE.rejected.csv.")
@click.option(
    "--network", "network_slug", help="Slug of the node new members join (when the file has no network column)."
)
@click.option("--as", "email", help="E-mail of the user doing the import (default: the first admin).")
@click.option(
    "--duplicates",
    type=click.Choice(["create", "update", "skip"]),
    default="create",
    show_default=True,
    help="What to do with rows that look like an existing organisation.",
)
@with_appcontext
def import_command(file: Path, dry_run: bool, skip_invalid: bool, network_slug: str | None, email: str | None,
                   duplicates: str) -> None:  # fmt: skip
    """Import organisations from a CSV or .xlsx FILE (all or nothing unless --skip-invalid)."""
    # A dry run only reads: it must not hold SQLite's write lock while it checks a large file.
    with nullcontext() if dry_run else writing():
        _import(file, dry_run, skip_invalid, network_slug, email, duplicates)


def _import(file: Path, dry_run: bool, skip_invalid: bool, network_slug: str | None, email: str | None,
            duplicates: str) -> None:  # fmt: skip
    actor = _actor(email)
    node = _node(network_slug)
    try:
        table = open_table(file)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    with click.progressbar(length=max(table.count, 1), label="Importing", file=sys.stderr,
                           show_pos=True) as bar:  # fmt: skip
        done = 0

        def progress(processed: int, total: int) -> None:
            nonlocal done
            bar.update(processed - done)
            done = processed

        options = ImportOptions(node=node, write=not dry_run, skip_invalid=skip_invalid, default_decision=duplicates,
                                progress=progress)  # fmt: skip
        try:
            result = (run_import if dry_run else write_import)(actor, file, file.name, options)
        except ServiceError as exc:
            db.session.rollback()
            if getattr(exc, "errors", None) and "file" in exc.errors and not dry_run:
                # Report the row errors of a refused file, then fail.
                preview = run_import(actor, file, file.name, ImportOptions(node=node))
                _print_report(preview, True)
            raise click.ClickException(exc.message) from exc
    if dry_run:
        db.session.rollback()
        _print_report(result, True)
        if result.counts["invalid"]:
            raise SystemExit(1)
        return
    record_job(actor, file.name, result, node, file)
    db.session.commit()
    _print_report(result, False)
    if skip_invalid and result.rejected:
        out = write_rejected(file, table.columns, result.rejected)
        click.echo(f"{len(result.rejected)} rejected rows written to {out}")


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Default: from FILE's extension, else csv.")
@click.option("--as", "email", help="E-mail of the user exporting (default: the first admin).")
@click.option("-q", "--query", "q", help="Search text.")
@click.option("--country", help="ISO country code.")
@click.option("--kind", help="Organisation kind.")
@click.option("--theme", help="Theme slug.")
@click.option("--network", "network_slug", help="Network node slug.")
@click.option("--region", help="M49 region code.")
@click.option("--status", help="Membership status.")
@with_appcontext
def export_command(file: Path, fmt: str | None, email: str | None, **search) -> None:
    """Export the directory (or a search) to FILE in the import columns."""
    from network.services.exporting import export_to_file

    actor = _actor(email)
    fmt = fmt or ("xlsx" if file.suffix.lower() == ".xlsx" else "csv")
    params = {key: value for key, value in search.items() if value}
    if "network_slug" in params:
        params["network"] = params.pop("network_slug")
    try:
        count = export_to_file(actor, file, fmt, params)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{count} organisations written to {file}")


@click.command("import-template")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the column names (both are recognised when importing).")  # fmt: skip
@click.option("--as", "email", help="E-mail of the user (default: the first admin); the nodes listed are theirs.")
@with_appcontext
def template_command(file: Path, lang: str, email: str | None) -> None:
    """Write the import template to FILE: .xlsx (with a sheet of allowed values) or .csv."""
    from network.services import import_template

    actor = _actor(email)
    try:
        with force_locale(lang):
            if file.suffix.lower() == ".xlsx":
                import_template.write_xlsx(actor, file, lang)
            else:
                with file.open("w", encoding="utf-8-sig", newline="") as f:
                    import_template.write_csv(actor, f, lang)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Import template written to {file}")


commands = [import_command, export_command, template_command]
