"""Engine settings per database: SQLite gets WAL, foreign keys, a busy timeout and real SAVEPOINTs."""

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    # A copy: the default dict lives on the config class and would leak into the next app (a SQLite
    # timeout passed to psycopg when one process makes a SQLite app, then a PostgreSQL one).
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 15, **options.get("connect_args", {})}
    else:
        options.setdefault("pool_pre_ping", True)


@event.listens_for(Engine, "connect")
def on_connect(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # Let SQLAlchemy emit BEGIN itself, so SAVEPOINT (used by every operation) works.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def on_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
