"""Engine settings per database, and how a unit of work that writes begins its transaction.

SQLite (the embedded default) gets WAL, foreign keys, a busy timeout and real SAVEPOINTs. It has
one write lock for the whole database, and a transaction that began by reading cannot wait for it:
when such a transaction first writes while another connection holds the lock (or has committed
since it read), SQLite answers "database is locked" at once; the busy timeout only covers taking
a transaction's first lock. So a transaction that will write begins with ``BEGIN IMMEDIATE``,
which takes the write lock up front and waits for it on the busy timeout. That is every
transaction begun

- in a request with an unsafe method (POST, PUT, PATCH, DELETE): pages and API alike;
- inside ``with writing():``: CLI commands that write, imports and other jobs (see ``writing``).

Every other transaction (GET requests, a test's own reads) begins deferred, as a reader, and
never blocks a writer (WAL); one whose first statement writes waits on the busy timeout too.
Bookkeeping beside a unit of work (a token's last use) goes through ``side_transaction``.
PostgreSQL locks rows, not the database: nothing changes there.

Why not retry the unit of work on SQLITE_BUSY instead: a request cannot be replayed safely (its
body has been read, an upload saved, mail queued), and once the lock is taken first the only
SQLITE_BUSY left is a busy timeout that has already waited BUSY_TIMEOUT seconds.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from network.extensions import db

BUSY_TIMEOUT = 15  # seconds a SQLite writer waits for the write lock before "database is locked"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_writing: ContextVar[bool] = ContextVar("network_writing", default=False)


def configure(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    # A copy: the default dict lives on the config class and would leak into the next app (a SQLite
    # timeout passed to psycopg when one process makes a SQLite app, then a PostgreSQL one).
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": BUSY_TIMEOUT, **options.get("connect_args", {})}
    else:
        options.setdefault("pool_pre_ping", True)


@contextmanager
def writing() -> Iterator[None]:
    """A unit of work that writes, outside a request: its transactions take SQLite's write lock
    when they begin (waiting for it up to BUSY_TIMEOUT), so its writes cannot fail half-way.

    Enter it before the work's first query, commit inside it::

        with app.app_context(), database.writing():
            run_the_job()
            db.session.commit()

    or, on a command, ``@writing()`` below ``@with_appcontext``. A transaction begun inside and
    still open when the scope ends is rolled back, so no write lock outlives the scope (tests share
    one session with the commands they run). A transaction already open when the scope is entered
    keeps the kind it began with: end it first. Keep read-only stretches (checking a large file)
    outside: while the scope's transaction is open, every other writer waits.

    Requests need none of this: a request with an unsafe method is already such a unit of work.
    """
    reset = _writing.set(True)
    session = db.session() if has_app_context() else None
    before = session.get_transaction() if session is not None else None
    try:
        yield
    finally:
        _writing.reset(reset)
        if session is not None and session.get_transaction() not in (None, before):
            session.rollback()


def will_write() -> bool:
    """Whether a transaction begun now belongs to a unit of work that writes."""
    return _writing.get() or (has_request_context() and request.method in UNSAFE_METHODS)


@contextmanager
def side_transaction(wait: float) -> Iterator[Connection]:
    """A short write transaction on a connection of its own, apart from the session's (committed at
    the end of the block), that waits at most `wait` seconds for a lock: for bookkeeping that must
    neither hold up nor be held up by the unit of work around it. On SQLite, not while this thread's
    own session holds the write lock (inside a POST request's transaction or a writing() scope): it
    would wait for that lock and give up."""
    milliseconds = int(wait * 1000)
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # the wait applies when BEGIN IMMEDIATE asks for the lock, so it is set before
            conn.connection.driver_connection.execute(f"PRAGMA busy_timeout={milliseconds}")
        try:
            with writing(), conn.begin():
                if not sqlite:
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {milliseconds}")
                yield conn
        finally:
            if sqlite:
                conn.connection.driver_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT * 1000}")


@event.listens_for(Engine, "connect")
def on_connect(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # Let SQLAlchemy emit BEGIN itself, so SAVEPOINT (used by every operation) works.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def on_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if will_write() else "BEGIN")
