"""``flask --app network backup FILE`` and ``restore FILE``: a whole database in one file.

SQLite is copied through its online backup API: one consistent snapshot while the app keeps
reading and writing (WAL). PostgreSQL goes through pg_dump and pg_restore in their custom format,
which must be on PATH (the client tools of the server's major version or newer); pg_dump also
reads one snapshot while the app runs. A restore refuses a database that already holds data
unless told ``--force``.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import Engine, inspect, literal, select, table

from network.extensions import db

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"


class BackupError(click.ClickException):
    """Shown to whoever ran the command, with exit status 1."""


def backup(engine: Engine, path: Path) -> None:
    """Write the whole database to ``path`` (replaced only once the copy is complete)."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(engine.url.database, partial)
        else:
            _run_pg_tool(engine, "pg_dump", "--format=custom", "--file", str(partial))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def restore(engine: Engine, path: Path, *, force: bool = False) -> None:
    """Replace the database's contents with the backup at ``path``."""
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    with path.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    kind = "sqlite" if header == SQLITE_HEADER else "postgresql" if header.startswith(PG_DUMP_HEADER) else None
    if kind is None:
        raise BackupError(f"{path} is neither a SQLite database nor a pg_dump custom-format file.")
    if kind != engine.dialect.name:
        raise BackupError(f"{path} is a {kind} backup; this app's database is {engine.dialect.name}.")
    filled = tables_with_rows(engine)
    if filled and not force:
        raise BackupError(
            f"The database already holds data (in {', '.join(filled[:5])}{', …' if len(filled) > 5 else ''}); "
            "restoring would replace all of it. Run again with --force to overwrite it."
        )
    engine.dispose()  # no pooled connection keeps the old contents open
    if kind == "sqlite":
        _sqlite_restore(path, engine.url.database)
    else:
        # --clean drops what the backup holds before recreating it (tables an upgrade made, or
        # the data --force replaces); one transaction, so a failure leaves the database as it was.
        _run_pg_tool(
            engine, "pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
            "--single-transaction", "--exit-on-error", str(path),
        )  # fmt: skip


def tables_with_rows(engine: Engine) -> list[str]:
    """The app's tables that hold a row. A freshly migrated database holds none: its Alembic
    revision and the search index's own bookkeeping (FTS5 config rows) do not count."""
    existing = set(inspect(engine).get_table_names())
    names = [t.name for t in db.metadata.sorted_tables if t.name in existing]
    with engine.connect() as connection:
        return [
            name for name in names if connection.execute(select(literal(1)).select_from(table(name)).limit(1)).first()
        ]


def _sqlite_backup(database: str, target: Path) -> None:
    if not Path(database).is_file():  # connecting would create an empty database there
        raise BackupError(f"There is no database at {database}.")
    source = sqlite3.connect(database, timeout=15)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one read transaction, one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        _check_sqlite(copy, target)
    finally:
        copy.close()
        source.close()


def _sqlite_restore(path: Path, database: str) -> None:
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(database, timeout=15)
    try:
        _check_sqlite(source, path)
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


def _check_sqlite(connection: sqlite3.Connection, path: Path) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{path} is damaged: {result}")


def _run_pg_tool(engine: Engine, tool: str, *args: str) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"{tool} was not found on PATH. Install PostgreSQL's client tools, of the server's major "
            "version or newer (Debian and Ubuntu: the postgresql-client package), or add them to PATH."
        )
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where ps would show it
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run(  # noqa: S603  (a fixed tool with the app's own database URL)
        [executable, *args, "--dbname", conninfo], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()}")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Back the database up into FILE while the app runs (SQLite: a copy; PostgreSQL: pg_dump -Fc)."""
    backup(db.engine, file)
    click.echo(f"Backed up the {db.engine.dialect.name} database to {file} ({file.stat().st_size:,} bytes).")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(file: Path, force: bool) -> None:
    """Restore the database from FILE (made by the backup command). Stop the app first."""
    restore(db.engine, file, force=force)
    click.echo(
        f"Restored the {db.engine.dialect.name} database from {file}. If the backup comes from an "
        "older release, run: flask --app network db upgrade"
    )


commands = [backup_command, restore_command]
