"""Faults survived and explained: Redis down, database down, proxies, replayed remember cookies,
reactivated users' tokens, and /healthz.

Faults are real: a Redis URL on a closed port (and a relay to the real Redis that the test cuts
and restores), a database that cannot be reached, backends terminated on the PostgreSQL server.
"""

import contextlib
import json
import logging
import os
import shutil
import socket
import sqlite3
import threading
import time
import uuid
from types import SimpleNamespace

import pytest
import redis
from flask_login.utils import encode_cookie
from sqlalchemy import create_engine, event, func, make_url, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from network import create_app
from network.extensions import db, limiter
from network.models import ApiToken, SavedSearch
from network.services import tokens
from tests import factories as f
from tests.conftest import SERVER_URL, login

REDIS_URL = os.environ.get("NETWORK_TEST_REDIS_URL")
CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1
WRONG = "wrong password!!"
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="NETWORK_TEST_REDIS_URL is not set")


def log_in(client, email, password=f.PASSWORD, address="127.0.0.1", **extra):
    data = {"email": email, "password": password, **extra}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def limiter_state():
    """The limiter is one object for every app in the session: a storage this test broke (and the
    back-off of its checks) must not outlive the test."""
    yield
    limiter._storage_dead = False
    limiter._Limiter__check_backend_count = 0


# ---------------------------------------------------------------- Redis down


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=CLOSED_REDIS, REDIS_URL=CLOSED_REDIS,
                        LOGIN_RATE_LIMIT="3 per minute")  # fmt: skip
def test_redis_down_logins_and_api_work_and_the_login_limit_holds_in_memory(client, users, caplog, limiter_state):
    caplog.set_level(logging.WARNING)
    assert log_in(client, "member-a@example.org").status_code == 302  # the right password: in
    assert "falling back to in-memory storage" in caplog.text
    assert client.get("/account").status_code == 200
    client.post("/logout")
    anonymous_read = client.get("/api/v1/organizations")
    assert anonymous_read.status_code == 200 and anonymous_read.json["items"]
    assert log_in(client, "member-a@example.org", WRONG).status_code == 200
    assert log_in(client, "member-a@example.org", WRONG).status_code == 200
    response = log_in(client, "member-a@example.org")  # the fourth attempt from this address
    assert response.status_code == 429 and b"Too many login attempts" in response.data
    assert log_in(client, "member-a@example.org", address="192.0.2.11").status_code == 302  # another address


class RedisRelay:
    """A TCP relay to the real Redis, which a test cuts ("Redis is down") and restores."""

    def __init__(self, url: str):
        target = make_url(url)
        self.target = (target.host or "127.0.0.1", target.port or 6379)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/{target.database or 0}"
        self.sockets: list[socket.socket] = []
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        self.running = True
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.listener.settimeout(0.05)
        self._spawn(self._accept)

    def stop(self) -> None:
        self.running = False
        for sock in [self.listener, *self.sockets]:
            with contextlib.suppress(OSError):  # not connected (the listener), or closed by the other side
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self.threads:
            thread.join(timeout=5)
        for sock in [self.listener, *self.sockets]:
            sock.close()
        self.sockets, self.threads = [], []

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _address = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            self._spawn(self._pipe, client, upstream)
            self._spawn(self._pipe, upstream, client)

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass  # the relay was cut


def hits_in_redis(address: str) -> int:
    """Login attempts the limiter counted in Redis for this client address (fixed windows)."""
    with redis.Redis.from_url(REDIS_URL) as client:
        return sum(int(client.get(key) or 0) for key in client.scan_iter(f"*{address}*"))


@needs_redis
def test_the_limit_is_counted_in_redis_falls_back_while_it_is_down_and_returns(databases, tmp_path, caplog,
                                                                               limiter_state):  # fmt: skip
    relay = RedisRelay(REDIS_URL)
    relay.start()
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": databases.fresh(), "INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False, "SERVER_NAME": "localhost", "RATELIMIT_ENABLED": True,
        "REDIS_URL": relay.url, "LOGIN_RATE_LIMIT": "100 per minute",
    })  # fmt: skip
    assert app.config["RATELIMIT_STORAGE_URI"] == relay.url
    client = app.test_client()
    run = uuid.uuid4().int % 200
    up, down, back = (f"198.51.100.{run}", f"203.0.113.{run}", f"192.0.2.{run + 50}")
    caplog.set_level(logging.INFO)
    try:
        assert log_in(client, "nobody@example.org", WRONG, address=up).status_code == 200
        assert hits_in_redis(up) == 1
        relay.stop()
        assert log_in(client, "nobody@example.org", WRONG, address=down).status_code == 200
        assert "falling back to in-memory storage" in caplog.text
        assert hits_in_redis(down) == 0  # counted in memory
        relay.start()
        deadline = time.monotonic() + 10  # Flask-Limiter looks at Redis again after 1, 2, 4… seconds
        while hits_in_redis(back) == 0 and time.monotonic() < deadline:
            assert log_in(client, "nobody@example.org", WRONG, address=back).status_code == 200
            time.sleep(0.25)
        assert hits_in_redis(back) >= 1
        assert "Rate limit storage recovered" in caplog.text
    finally:
        relay.stop()
        with app.app_context():
            db.engine.dispose()


@needs_redis
@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
def test_redis_url_puts_the_login_limit_in_redis(app, databases, tmp_path, limiter_state):
    other = create_app({**app.config, "REDIS_URL": REDIS_URL, "RATELIMIT_STORAGE_URI": REDIS_URL})
    address = f"198.18.0.{uuid.uuid4().int % 250}"
    with other.app_context():
        client = other.test_client()
        assert log_in(client, "nobody@example.org", WRONG, address=address).status_code == 200
        assert hits_in_redis(address) == 1
        db.engine.dispose()


# ---------------------------------------------------------------- database down


def unreachable_database(kind: str, tmp_path) -> str:
    if kind == "postgresql":
        return "postgresql+psycopg://postgres@127.0.0.1:1/x"  # nothing listens on port 1
    return f"sqlite:///{tmp_path / 'missing' / 'network.sqlite3'}"  # its folder does not exist


def app_on(url: str, tmp_path, **config):
    return create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost",
        **config,
    })  # fmt: skip


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_database_down_gives_the_apps_own_503_page_and_problem_json(kind, tmp_path, caplog):
    app = app_on(unreachable_database(kind, tmp_path), tmp_path)
    anonymous, member = app.test_client(), app.test_client()
    login(member, SimpleNamespace(get_id=lambda: "1:token"))  # the user loader will ask the database
    try:
        for client, path in ((anonymous, "/"), (anonymous, "/organizations"), (member, "/account"), (member, "/")):
            page = client.get(path)
            assert page.status_code == 503, path
            assert page.headers["Retry-After"] == "30"
            assert page.mimetype == "text/html"
            assert b"Service unavailable" in page.data and b"Back to the start" in page.data
            assert b"Internal Server Error" not in page.data
        api = anonymous.get("/api/v1/organizations")
        assert api.status_code == 503 and api.headers["Retry-After"] == "30"
        assert api.mimetype == "application/problem+json"
        assert api.json["status"] == 503 and api.json["title"] == "Service unavailable"
        assert "127.0.0.1" not in api.get_data(as_text=True)  # nothing about where the database is
        assert "Database unavailable on GET /account" in caplog.text
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.skipif(bool(SERVER_URL), reason="SQLite: the database file comes back")
def test_sqlite_database_back_without_a_restart(databases, tmp_path):
    url = unreachable_database("sqlite", tmp_path)
    app = app_on(url, tmp_path)
    client = app.test_client()
    try:
        assert client.get("/organizations").status_code == 503
        (tmp_path / "missing").mkdir()
        shutil.copyfile(make_url(databases.fresh()).database, make_url(url).database)
        assert client.get("/organizations").status_code == 200
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.skipif(not SERVER_URL, reason="PostgreSQL: the server ends the app's connections")
def test_postgresql_connections_ended_by_the_server_are_replaced_without_a_restart(app, client_as):
    member = client_as("member_a")
    assert member.get("/account").status_code == 200
    assert member.get("/api/v1/organizations").status_code == 200
    name = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    admin = create_engine(make_url(SERVER_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        ended = connection.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name},
        ).scalar()
    admin.dispose()
    assert ended >= 1  # the app's pooled connections were there, and are gone
    assert member.get("/account").status_code == 200
    assert member.get("/api/v1/organizations").status_code == 200


def test_a_commit_the_database_fails_is_a_503_and_saves_nothing(app, client_as):
    """The view succeeded but the commit after it failed (the server went away at that moment):
    the user is told to try again, not shown a bare 500, and nothing is half-saved."""
    member = client_as("member_a")
    failures = [1]  # the request's commit only

    def database_goes_away(session):
        if session.in_nested_transaction() or not failures or not failures.pop():  # not a service's savepoint
            return
        if SERVER_URL:  # the server ends this very connection: the COMMIT fails for real
            backend = session.connection().execute(text("SELECT pg_backend_pid()")).scalar()
            admin = create_engine(make_url(SERVER_URL).set(drivername="postgresql+psycopg"))
            with admin.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            admin.dispose()
        else:  # SQLite cannot be taken away from an open connection: the driver's error is raised
            raise OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error"))

    event.listen(Session, "before_commit", database_goes_away)
    try:
        page = member.post("/organizations/saved", data={"name": "Kenyan NGOs", "query": "country=KE"})
    finally:
        event.remove(Session, "before_commit", database_goes_away)
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert b"Service unavailable" in page.data
    assert page.headers["Content-Security-Policy"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SavedSearch)) == 0
    assert member.get("/organizations/saved").status_code == 200  # and the next request works


# ---------------------------------------------------------------- trusted proxies


def wrong_logins_through_a_proxy(client, forwarded_for: str, times: int) -> list[int]:
    return [
        client.post("/login", data={"email": "admin@example.org", "password": WRONG},
                    environ_base={"REMOTE_ADDR": "10.0.0.2"}, headers={"X-Forwarded-For": forwarded_for}).status_code
        for _ in range(times)
    ]  # fmt: skip


@pytest.mark.app_config(PROXY_HOPS=1, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="10 per minute")
def test_behind_one_proxy_the_login_limit_counts_the_real_client(client, users):
    assert wrong_logins_through_a_proxy(client, "198.51.100.1", 10) == [200] * 10
    assert wrong_logins_through_a_proxy(client, "198.51.100.1", 1) == [429]  # A is locked out…
    assert wrong_logins_through_a_proxy(client, "198.51.100.2", 1) == [200]  # …B is not
    # Only the hop the proxy added is trusted: a client's own X-Forwarded-For does not free it.
    assert wrong_logins_through_a_proxy(client, "203.0.113.9, 198.51.100.1", 1) == [429]


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="10 per minute")
def test_without_trusted_proxies_forwarded_headers_are_ignored(client, users):
    assert wrong_logins_through_a_proxy(client, "198.51.100.1", 10) == [200] * 10
    assert wrong_logins_through_a_proxy(client, "198.51.100.2", 1) == [429]  # anyone could have sent it


# ---------------------------------------------------------------- remember-me and reactivation


def remembered(app, client) -> str:
    assert log_in(client, "member-a@example.org", remember="y").status_code == 302
    return client.get_cookie("remember_token").value


def browser_with(app, cookie: str):
    browser = app.test_client()
    browser.set_cookie("remember_token", cookie, domain="localhost")
    return browser


def test_remember_cookie_keeps_the_same_browser_logged_in_across_requests(app, client, users):
    browser = browser_with(app, remembered(app, client))  # restarted: only the remember cookie left
    for _ in range(3):
        page = browser.get("/account")
        assert page.status_code == 200 and b"Amina Member" in page.data


def test_remember_cookie_replayed_from_another_browser_logs_nobody_in(app, client, users):
    thief = browser_with(app, remembered(app, client))
    response = thief.get("/account", headers={"User-Agent": "Other browser"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    from_elsewhere = browser_with(app, client.get_cookie("remember_token").value)
    assert from_elsewhere.get("/account", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 302


def test_a_claimed_forwarded_address_does_not_pass_for_the_victims(app, client, users):
    thief = browser_with(app, remembered(app, client))  # the victim logged in from 127.0.0.1
    response = thief.get(
        "/account", headers={"X-Forwarded-For": "127.0.0.1"}, environ_base={"REMOTE_ADDR": "203.0.113.5"}
    )
    assert response.status_code == 302
    assert client.get("/account", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 200  # nor is it needed


def test_an_unbound_remember_cookie_logs_nobody_in(app, users):
    member = users["member_a"]
    cookie = encode_cookie(member.get_id())  # signed with the right key, but bound to no client
    assert browser_with(app, cookie).get("/account").status_code == 302


def test_reactivating_a_user_does_not_bring_their_api_tokens_back(app, client_as, world):
    member = world.users["member_a"]
    old = tokens.create_token(member, "sync script", "read")
    db.session.commit()

    def read_with(secret: str) -> int:
        return app.test_client().get("/api/v1/organizations", headers={"Authorization": f"Bearer {secret}"}).status_code

    assert read_with(old.secret) == 200
    admin = client_as("admin")
    assert admin.post(f"/admin/users/{member.id}/deactivate").status_code == 302
    assert read_with(old.secret) == 401
    assert admin.post(f"/admin/users/{member.id}/reactivate").status_code == 302
    assert read_with(old.secret) == 401
    assert db.session.get(ApiToken, old.token.id).revoked_at is not None
    new = tokens.create_token(db.session.merge(member), "after reactivation", "read")
    db.session.commit()
    assert read_with(new.secret) == 200


# ---------------------------------------------------------------- /healthz


def test_healthz_ok_reveals_nothing_and_sets_no_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert not any(name.startswith("X-RateLimit") for name, _value in response.headers)


@pytest.mark.app_config(REDIS_URL=CLOSED_REDIS)
def test_healthz_names_redis_when_it_does_not_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json == {"status": "unavailable", "failed": ["redis"]}


@needs_redis
def test_healthz_with_redis_up(app, client):
    app.config["REDIS_URL"] = REDIS_URL
    assert client.get("/healthz").json == {"status": "ok"}


def test_healthz_names_migrations_when_the_schema_is_behind(app, client):
    current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    db.session.commit()
    try:
        response = client.get("/healthz")
        assert response.status_code == 503 and response.json == {"status": "unavailable", "failed": ["migrations"]}
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
        db.session.commit()
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_healthz_names_the_database_when_it_does_not_answer(kind, tmp_path):
    app = app_on(unreachable_database(kind, tmp_path), tmp_path)
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert json.loads(response.data) == {"status": "unavailable", "failed": ["database"]}
    finally:
        with app.app_context():
            db.engine.dispose()
