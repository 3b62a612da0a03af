"""The restore drill: back a seeded database up while writes go on, restore it into an empty
database, and find exactly one moment of the original: every table's row count and a checksum
of the organisations. On SQLite (online backup API) and PostgreSQL (pg_dump / pg_restore)."""

import hashlib
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, func, inspect, make_url, select, table, text

from network import create_app
from network.extensions import db
from network.models import Organization, User
from tests import factories as f
from tests.conftest import SERVER_URL


def state(engine) -> dict:
    """Every table's row count, and a checksum over the organisations' id, name and version."""
    with engine.connect() as connection:
        counts = {
            name: connection.execute(select(func.count()).select_from(table(name))).scalar()
            for name in sorted(inspect(connection).get_table_names())
        }
        rows = connection.execute(
            select(Organization.id, Organization.name, Organization.version).order_by(Organization.id)
        )
        checksum = hashlib.sha256("\n".join(f"{i}|{n}|{v}" for i, n, v in rows).encode()).hexdigest()
    return {"counts": counts, "organizations": checksum}


class Writer(threading.Thread):
    """Creates organisations through the service, one commit each, and records the database's
    state after every commit (it is the only writer, so each is one exact moment)."""

    def __init__(self, app, actor_id: int):
        super().__init__(daemon=True)
        self.app, self.actor_id = app, actor_id
        self.states: list[dict] = []
        self.stop = threading.Event()
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            with self.app.app_context():
                actor = db.session.get(User, self.actor_id)
                for n in range(10_000):
                    if self.stop.is_set():
                        break
                    f.organization(f"Written during the backup {n}", actor=actor)
                    db.session.commit()
                    self.states.append(state(db.engine))
                db.session.remove()
        except BaseException as error:  # reported by the test, not lost in the thread
            self.errors.append(error)

    def wait_for(self, commits: int) -> None:
        deadline = time.monotonic() + 60
        while len(self.states) < commits and not self.errors and time.monotonic() < deadline:
            time.sleep(0.01)


@pytest.fixture
def empty_database(tmp_path):
    """A URL of a database with nothing in it: a new SQLite file, or a new PostgreSQL database."""
    if not SERVER_URL:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    server = make_url(SERVER_URL).set(drivername="postgresql+psycopg")
    name = f"network_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_on(url: str, tmp_path):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test",
                       "INSTANCE_PATH": str(tmp_path / f"instance-{uuid.uuid4().hex[:6]}")})  # fmt: skip


def seed(world) -> None:
    for n in range(5):
        org = f.organization(f"Seeded {n}", networks=[world.x1], themes=["energy-transition"])
        f.person(org, f"Contact {n}")
        f.outcome(f.project(org, f"Project {n}"))
    db.session.commit()


def test_restore_drill_backup_while_writing_then_restore_into_an_empty_database(app, world, runner, tmp_path,
                                                                                empty_database):  # fmt: skip
    seed(world)
    backup_file = tmp_path / "network.backup"
    writer = Writer(app, world.users["admin"].id)
    writer.start()
    try:
        writer.wait_for(2)
        started = len(writer.states)
        result = runner.invoke(args=["backup", str(backup_file)])
        finished = len(writer.states)
        writer.wait_for(finished + 2)  # and writes go on afterwards
    finally:
        writer.stop.set()
        writer.join(timeout=60)
    assert not writer.errors, writer.errors
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output and backup_file.stat().st_size > 0
    assert finished >= started >= 2 and len(writer.states) >= finished + 2

    restored_app = app_on(empty_database, tmp_path)
    with restored_app.app_context():
        result = restored_app.test_cli_runner().invoke(args=["restore", str(backup_file)])
        assert result.exit_code == 0, result.output
        restored = state(db.engine)
        # One moment of the original: the state after some commit while the backup ran (the
        # writer records a commit's state just after it, so the window is one commit wider).
        window = writer.states[max(started - 1, 0) : finished + 1]
        assert restored in window, (restored["counts"]["organizations"], [s["counts"]["organizations"] for s in window])
        assert restored["counts"]["organizations"] >= 5 + 2 and restored["counts"]["audit_events"] > 0
        # The restored database takes new writes (PostgreSQL's sequences came back with the rows).
        f.organization("Written after the restore", actor=db.session.get(User, world.users["admin"].id))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_database_that_holds_data_unless_forced(app, world, runner, tmp_path, empty_database):
    seed(world)
    backup_file = tmp_path / "network.backup"
    assert runner.invoke(args=["backup", str(backup_file)]).exit_code == 0
    original = state(db.engine)
    target = app_on(empty_database, tmp_path)
    with target.app_context():
        cli = target.test_cli_runner()
        assert cli.invoke(args=["restore", str(backup_file)]).exit_code == 0
        f.organization("Added after the restore")
        db.session.commit()
        refused = cli.invoke(args=["restore", str(backup_file)])
        assert refused.exit_code == 1
        assert "already holds data" in refused.output and "--force" in refused.output
        assert state(db.engine)["counts"]["organizations"] == original["counts"]["organizations"] + 1
        forced = cli.invoke(args=["restore", "--force", str(backup_file)])
        assert forced.exit_code == 0, forced.output
        assert state(db.engine) == original
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(runner, tmp_path):
    stray = tmp_path / "notes.txt"
    stray.write_text("not a backup")
    result = runner.invoke(args=["restore", str(stray)])
    assert result.exit_code == 1 and "neither a SQLite database nor a pg_dump" in result.output
    assert "No backup file" in runner.invoke(args=["restore", str(tmp_path / "absent.backup")]).output


@pytest.mark.skipif(not SERVER_URL, reason="PostgreSQL backups run pg_dump")
def test_without_pg_dump_on_path_the_error_says_what_to_install(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no PostgreSQL client tools
    result = runner.invoke(args=["backup", str(tmp_path / "network.backup")])
    assert result.exit_code == 1
    assert "pg_dump was not found on PATH" in result.output and "postgresql-client" in result.output
    assert not (tmp_path / "network.backup").exists()
