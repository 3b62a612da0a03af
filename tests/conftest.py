"""Fixtures: a freshly migrated database per test session, a clean one per test, app and clients.

The suite runs on SQLite; with NETWORK_TEST_DATABASE_URL set (a PostgreSQL server URL whose
user may create databases) it runs on a new PostgreSQL database created for this session and
dropped after it.
"""

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, text

from network import create_app
from network.extensions import db

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


class SQLiteDatabases:
    """A migrated template file, copied for every test: each test gets a truly fresh database."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.template = folder / "template.sqlite3"
        migrate_and_load_reference(f"sqlite:///{self.template}", folder)
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        path = self.folder / f"test-{self.count}.sqlite3"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def close(self) -> None:
        pass


class PostgresDatabases:
    """One database per session; every table but the reference data is truncated before each test."""

    def __init__(self, server_url: str, folder: Path):
        server = make_url(server_url).set(drivername="postgresql+psycopg")
        self.name = f"network_test_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = server.set(database=self.name).render_as_string(hide_password=False)
        migrate_and_load_reference(self.url, folder)
        engine = create_engine(self.url)
        tables = [t for t in inspect(engine).get_table_names() if t not in REFERENCE_TABLES]
        engine.dispose()
        self.truncate = text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")

    def fresh(self) -> str:
        engine = create_engine(self.url, poolclass=None)
        with engine.begin() as conn:
            conn.execute(self.truncate)
        engine.dispose()
        return self.url

    def close(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("db")
    dbs = PostgresDatabases(SERVER_URL, folder) if SERVER_URL else SQLiteDatabases(folder)
    yield dbs
    dbs.close()


@pytest.fixture
def app(databases, tmp_path, request):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": databases.fresh(),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "localhost",
        "JOBS_IMMEDIATE": True,  # jobs run when queued (tests/test_jobs.py runs real consumers)
    }
    marker = request.node.get_closest_marker("app_config")
    if marker:
        config.update(marker.kwargs)
    app = create_app(config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


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


# Roles of the shared small world, in the order the permission matrix lists them.
ROLE_NAMES = ("anonymous", "viewer", "member_a", "member_b", "coordinator_x", "coordinator_y", "admin")


class World:
    """Node X with its child X1, node Y; org A (member of X1) and org B (member of Y), a project
    each, and one user per role: admin, coordinator_x, coordinator_y, member_a, member_b, viewer."""

    def __init__(self):
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


@pytest.fixture
def world(app) -> World:
    return World()


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
