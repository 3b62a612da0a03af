"""Fixtures: a database migrated once per session and emptied before each test, one shared app, clients.

The suite runs on SQLite; with NETWORK_TEST_DATABASE_URL set (a PostgreSQL server URL whose
user may create databases) it runs on a new PostgreSQL database created for this session and
dropped after it.

Speed (the suite runs on two cores): tests share one app (``app``; a test with an app_config
marker gets its own), whose database is put back to the reference data before each test (SQLite:
a copy of the migrated file; PostgreSQL: DELETE of every other table). Data many tests start from
(the world, the permission tests' records) is built once and copied in (``snapshots``). Every
test still starts from its own database and may write to it.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, event, make_url, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from network import create_app, kept
from network.extensions import db, limiter

SERVER_URL = os.environ.get("NETWORK_TEST_DATABASE_URL")
# Tables every test starts with, as loaded once per session.
REFERENCE_TABLES = {"alembic_version", "regions", "themes"}


def migrate_and_load_reference(url: str, instance_path: Path) -> None:
    from flask_migrate import upgrade

    from network.services.reference import load_reference_data

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance_path),
                      "SECRET_KEY": "test"})  # fmt: skip
    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.commit()
        if url.startswith("sqlite"):
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.remove()
        db.engine.dispose()


def release(app) -> None:
    """End the app's session and close its pooled connections (the app's context must be the current one)."""
    db.session.remove()
    db.engine.dispose()


class SQLiteDatabases:
    """A migrated template file, copied for every test: each test gets a truly fresh database.

    Snapshots (see Snapshots) are copies of a test's database file, copied back over it."""

    engine_options: dict = {}

    def __init__(self, folder: Path):
        self.folder = folder
        self.template = folder / "template.sqlite3"
        migrate_and_load_reference(f"sqlite:///{self.template}", folder)
        self.count = 0
        self.snapshots: dict[str, Path] = {}

    def fresh(self) -> str:
        self.count += 1
        path = self.folder / f"test-{self.count}.sqlite3"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def capture(self, app, name: str) -> None:
        with db.engine.connect() as conn:  # everything in the main file, whatever connection wrote it
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        release(app)
        self.snapshots[name] = self.folder / f"snapshot-{len(self.snapshots)}.sqlite3"
        shutil.copyfile(self._path(app), self.snapshots[name])

    def restore(self, app, name: str | None = None) -> None:
        """Make the app's database the template again (name None) or the snapshot called name."""
        release(app)
        path = self._path(app)
        copy = path.with_name(path.name + ".new")
        shutil.copyfile(self.snapshots[name] if name else self.template, copy)
        for suffix in ("-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        os.replace(copy, path)  # a new file: a connection a test leaked keeps the old one

    @staticmethod
    def _path(app) -> Path:
        return Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)

    def close(self) -> None:
        pass


class PostgresDatabases:
    """One database per session. Before each test every table but the reference data is emptied
    (DELETE: TRUNCATE takes half a second, it makes new files) and the sequences start again.
    Snapshots are the rows of those tables and the sequences' values, inserted back."""

    # Tests need no durability: a commit does not wait for the disk.
    engine_options = {"connect_args": {"options": "-c synchronous_commit=off"}}

    def __init__(self, server_url: str, folder: Path):
        server = make_url(server_url).set(drivername="postgresql+psycopg")
        self.name = f"network_test_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = server.set(database=self.name).render_as_string(hide_password=False)
        migrate_and_load_reference(self.url, folder)
        # Pinged: a test may end every connection to the database (tests/test_faults.py).
        self.engine = create_engine(self.url, pool_pre_ping=True, **self.engine_options)
        metadata = MetaData()
        metadata.reflect(self.engine)
        self.tables = [t for t in metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        with self.engine.connect() as conn:
            owned = conn.execute(text(
                "SELECT s.relname, t.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid"
                " JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S' AND d.deptype IN ('a', 'i')"
            )).all()  # fmt: skip
        self.sequences = sorted(seq for seq, table in owned if table not in REFERENCE_TABLES)
        # Without foreign-key triggers (session_replication_role) rows go in and out in any order.
        # (Names from the catalogue, not from input.)
        deletes = "".join(f'DELETE FROM "{t.name}";' for t in self.tables)  # noqa: S608
        restarts = "".join(f"SELECT setval('\"{s}\"', 1, false);" for s in self.sequences)
        self.clear = "SET LOCAL session_replication_role = replica;" + deletes + restarts
        self.snapshots: dict[str, tuple] = {}

    def fresh(self) -> str:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(self.clear)
        return self.url

    def capture(self, app, name: str) -> None:
        release(app)
        rows = {}
        with self.engine.connect() as conn:
            for table in self.tables:
                columns = [c for c in table.columns if c.computed is None]
                found = conn.execute(select(*columns)).mappings().all()
                if found:
                    rows[table] = [dict(r) for r in found]
            sequences = {
                s: conn.execute(text(f'SELECT last_value, is_called FROM "{s}"')).one()  # noqa: S608
                for s in self.sequences
            }
        self.snapshots[name] = (rows, sequences)

    def restore(self, app, name: str | None = None) -> None:
        db.session.remove()  # the pool's connections stay: rows are deleted, not files
        with self.engine.begin() as conn:
            conn.exec_driver_sql(self.clear)
            if name:
                rows, sequences = self.snapshots[name]
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                for table, values in rows.items():
                    conn.execute(table.insert(), values)
                for seq, (value, called) in sequences.items():
                    conn.execute(text("SELECT setval(:s, :v, :c)"), {"s": f'"{seq}"', "v": value, "c": called})

    def close(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("db")
    dbs = PostgresDatabases(SERVER_URL, folder) if SERVER_URL else SQLiteDatabases(folder)
    yield dbs
    dbs.close()


def base_config(databases) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "localhost",
        "JOBS_IMMEDIATE": True,  # jobs run when queued (tests/test_jobs.py runs real consumers)
        "SQLALCHEMY_ENGINE_OPTIONS": databases.engine_options,
    }


@pytest.fixture(scope="session")
def shared_app(databases, tmp_path_factory):
    """The app of every test without an app_config marker: making one costs ~50 ms, and it holds
    nothing between tests (the app fixture restores its config and empties its database and instance folder)."""
    folder = tmp_path_factory.mktemp("shared")
    if SERVER_URL:
        url = databases.url
    else:
        url = f"sqlite:///{folder / 'shared.sqlite3'}"
        shutil.copyfile(databases.template, folder / "shared.sqlite3")
    app = create_app({**base_config(databases), "SQLALCHEMY_DATABASE_URI": url,
                      "INSTANCE_PATH": str(folder / "instance")})  # fmt: skip
    # Flask-Limiter is one object for every app: init_app (of a test's own app) sets its storage and
    # whether it is enabled. What it holds for this app is put back before each test.
    app.extensions["test_limiter_state"] = dict(limiter.__dict__)
    return app


@pytest.fixture
def app(databases, tmp_path, request):
    """A fresh database (the reference data only) and an empty instance folder, in an app context.

    Tests with ``@pytest.mark.app_config(...)`` get an app of their own; the others share one."""
    marker = request.node.get_closest_marker("app_config")
    if marker:
        config = {**base_config(databases), "SQLALCHEMY_DATABASE_URI": databases.fresh(),
                  "INSTANCE_PATH": str(tmp_path / "instance"), **marker.kwargs}  # fmt: skip
        app = create_app(config)
        with app.app_context():
            start(app, databases, request)
            yield app
            release(app)
        return
    app = request.getfixturevalue("shared_app")
    config = dict(app.config)
    limiter.__dict__.update(app.extensions["test_limiter_state"])
    shutil.rmtree(app.instance_path, ignore_errors=True)
    os.makedirs(app.instance_path)
    try:
        with app.app_context():
            databases.restore(app)
            start(app, databases, request)
            yield app
            db.session.remove()
    finally:
        app.config.clear()
        app.config.update(config)
        app.extensions["huey"].flush()  # heartbeats a job left in the memory queue's storage
        with app.app_context():
            release(app)


def start(app, databases, request) -> None:
    """The test's snapshots; the world first of all, before any other fixture writes (copying a
    snapshot in replaces the whole database). What a worker keeps (network/kept.py) is forgotten:
    its keys (ids of audit rows, say) are unique within one database, not across the tests' fresh ones."""
    kept.forget_all()
    snapshots = app.extensions["test_snapshots"] = Snapshots(app, databases)
    Snapshots.written = False
    if "world" in request.fixturenames:
        snapshots.use("world", lambda: World().freeze())


class Snapshots:
    """Data many tests start from, built by the first of them and copied into the database of the
    others (each still gets a database of its own: they may write to it).

    ``snapshots.use(name, build)``: the first time, ``build()`` runs and its result (ids and plain
    values, see freeze/thaw) is kept with a copy of the database; after that the database becomes
    that copy and the kept result is returned. Either way the session is new: objects loaded
    before must be loaded again (World.reload does it for the world).
    """

    written = False  # since the database was last replaced (see the after_flush listener below)

    def __init__(self, app, databases):
        self.app = app
        self.databases = databases
        self.kept = databases.__dict__.setdefault("kept", {})  # name -> what build returned
        self.loaded: set[str] = set()  # the snapshots this test's database was made from
        self.worlds: list[World] = []

    def use(self, name: str, build):
        if name in self.kept:
            # Fixtures that write must come after those that copy a snapshot in (it would wipe their data).
            assert not Snapshots.written, f"the '{name}' snapshot would replace data a fixture has written"
            self.databases.restore(self.app, name)
            value = self.kept[name]
        else:
            value = build()
            db.session.commit()
            self.databases.capture(self.app, name)
            self.kept[name] = value
        Snapshots.written = False
        self.loaded.add(name)
        for world in self.worlds:
            world.reload()
        return value


@event.listens_for(Session, "after_flush")
def _note_a_write(session, flush_context) -> None:
    Snapshots.written = True


@pytest.fixture
def snapshots(app) -> Snapshots:
    return app.extensions["test_snapshots"]


def freeze(value):
    """Mapped objects as (class, primary key), in lists, tuples and dicts too; other values as they are."""
    if hasattr(value, "__mapper__"):
        return (FROZEN, type(value), sa_inspect(value).identity)
    if isinstance(value, dict):
        return {k: freeze(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(freeze(v) for v in value)
    return value


def thaw(value):
    """What freeze kept, as objects of the current session. Without a query: each is expired, as
    after the commit that made it, and loads itself when first read."""
    if isinstance(value, tuple) and len(value) == 3 and value[0] is FROZEN:
        cls, identity = value[1], value[2]
        mapper = sa_inspect(cls)
        found = db.session.identity_map.get(mapper.identity_key_from_primary_key(identity))
        if found is not None:
            return found
        obj = mapper.class_manager.new_instance()
        for column, part in zip(mapper.primary_key, identity, strict=True):
            setattr(obj, mapper.get_property_by_column(column).key, part)
        make_transient_to_detached(obj)
        db.session.add(obj)
        return obj
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(thaw(v) for v in value)
    return value


FROZEN = object()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def login(client, user) -> None:
    """Log a user in without the login form (the auth tests cover the form itself)."""
    from flask_login.utils import _create_identifier

    # "strong" session protection drops a session whose client identifier (address, agent) differs.
    with client.application.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["_id"] = identifier


@pytest.fixture
def db_session(app):
    return db.session


class QueryCounter:
    """The SQL statements the app sends (tests that pages do not grow queries with rows).

    ``with count_queries() as statements:`` collects those run in the block (a list of strings);
    ``count_queries.get(client, url)`` counts those of one GET, which must answer 200, with nothing
    left in the identity map from the test's setup."""

    @contextmanager
    def __call__(self) -> Iterator[list[str]]:
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    def get(self, client, url: str) -> int:
        db.session.expire_all()
        with self() as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        return len(statements)


@pytest.fixture
def count_queries(app) -> QueryCounter:
    """Counts as a worker that has shown a page before: the names of places it reads once (and keeps)
    are read first, so a count does not depend on which test of a worker came first."""
    from network.services.reference import places

    places()
    return QueryCounter()


# Roles of the shared small world, in the order the permission matrix lists them.
ROLE_NAMES = ("anonymous", "viewer", "member_a", "member_b", "coordinator_x", "coordinator_y", "admin")


class World:
    """Node X with its child X1, node Y; org A (member of X1) and org B (member of Y), a project
    each, and one user per role: admin, coordinator_x, coordinator_y, member_a, member_b, viewer.

    Built once per session (see Snapshots): every other test gets a copy of that database, and
    this object with the same records loaded in its own session."""

    FIELDS = ("x", "x1", "y", "org_a", "org_b", "project_a", "project_b", "users")

    def __init__(self, build: bool = True):
        if build:
            self.build()

    def build(self) -> None:
        from tests import factories as f

        self.x = f.network("Node X", slug="node-x")
        self.x1 = f.network("Node X1", parent=self.x, slug="node-x1")
        self.y = f.network("Node Y", slug="node-y")
        self.org_a = f.organization("Organisation A", slug="org-a", networks=[self.x1])
        self.org_b = f.organization("Organisation B", slug="org-b", networks=[self.y])
        self.project_a = f.project(self.org_a, "Project A")
        self.project_b = f.project(self.org_b, "Project B")
        self.users = {
            "admin": f.user("admin", email="admin@example.org", name="Ada Admin"),
            "coordinator_x": f.user("coordinator", email="coord-x@example.org", name="Xavier", networks=[self.x]),
            "coordinator_y": f.user("coordinator", email="coord-y@example.org", name="Yara", networks=[self.y]),
            "member_a": f.user("member", email="member-a@example.org", name="Amina Member", organization=self.org_a),
            "member_b": f.user("member", email="member-b@example.org", name="Bo Member", organization=self.org_b),
            "viewer": f.user("viewer", email="viewer@example.org", name="Vic Viewer"),
        }
        # Committed: a request answering >= 400 rolls the session back, which must not undo the world.
        db.session.commit()

    def freeze(self) -> dict:
        return {name: freeze(getattr(self, name)) for name in self.FIELDS}

    def reload(self) -> None:
        """The same records, loaded in the current session (expired, as after the commit that built them)."""
        for name, value in self.frozen.items():
            setattr(self, name, thaw(value))

    @classmethod
    def from_snapshot(cls, snapshots: Snapshots) -> "World":
        world = cls(build=False)
        if "world" in snapshots.loaded:  # the app fixture copied it in
            world.frozen = snapshots.kept["world"]
        else:  # asked for with request.getfixturevalue
            world.frozen = snapshots.use("world", lambda: cls().freeze())
        world.reload()
        snapshots.worlds.append(world)
        return world


@pytest.fixture
def world(app, snapshots) -> World:
    return World.from_snapshot(snapshots)


@pytest.fixture
def users(world) -> dict:
    """The world's users by role name (see World)."""
    return world.users


@pytest.fixture
def client_as(app, world):
    """``client_as("member_a")``: a new test client logged in as that world user ("anonymous": none)."""

    def make(role_name: str):
        new_client = app.test_client()
        if role_name != "anonymous":
            login(new_client, world.users[role_name])
        return new_client

    return make
