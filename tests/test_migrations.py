"""The migrations are the only way the schema is made: they must produce exactly the models' schema,
and go down to nothing and up again, on SQLite and on PostgreSQL."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, make_url, text

from network import create_app
from network.extensions import db
from tests.conftest import SERVER_URL


def schema_differences(connection) -> list:
    def include_object(obj, name, type_, reflected, compare_to):
        return not (name or "").startswith("search_")

    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_object})
    return compare_metadata(context, db.metadata)


def test_migrated_schema_equals_the_models(app):
    with db.engine.connect() as connection:
        assert schema_differences(connection) == []


@pytest.fixture
def scratch_database_url(tmp_path):
    """An empty database of the kind under test, dropped afterwards."""
    if not SERVER_URL:
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    server = make_url(SERVER_URL).set(drivername="postgresql+psycopg")
    name = f"network_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_downgrade_to_base_and_upgrade_again(scratch_database_url, tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": scratch_database_url,
                      "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})  # fmt: skip
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"organizations", "regions", "initiatives", "audit_events"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as connection:
            assert schema_differences(connection) == []
        db.engine.dispose()
