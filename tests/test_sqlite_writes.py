"""Writes under contention: a request, command or job that writes waits for the database's lock
instead of failing, and an API token's last use is written apart from the request.

SQLite has one write lock, and a transaction that read first cannot wait for it (SQLite answers
"database is locked" at once), so every write path begins with BEGIN IMMEDIATE (network/database.py).
The same tests run on PostgreSQL, where another writer's row locks must not get in the way either.

A request in the test client shares the test's session (Flask reuses the test's app context), so
the tests end the session's transaction before a request: a server would give it a fresh one.
"""

import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from network import database
from network.extensions import db
from network.models import ApiToken, AuditEvent, Organization, User, utcnow
from network.services import tokens
from tests import factories as f
from tests.conftest import SERVER_URL, login

SQLITE = not SERVER_URL
sqlite_only = pytest.mark.skipif(
    not SQLITE, reason="SQLite's one write lock and BEGIN IMMEDIATE; PostgreSQL locks rows and has neither"
)
NO_PROPAGATION = pytest.mark.app_config(PROPAGATE_UNEXPECTED_ERRORS=False)  # a thread sees a 500, not a traceback


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def new_token(user, scope: str = "read") -> str:
    return tokens.create_token(user, "test", scope).secret


@contextmanager
def another_writer(statement, until: threading.Event | None = None, seconds: float = 0.5):
    """Another connection runs `statement` and keeps its transaction (and so its locks) open until
    `until` is set, or for `seconds`; the block runs meanwhile."""
    engine = db.engine
    holding, release = threading.Event(), until or threading.Event()

    def hold() -> None:
        with engine.begin() as conn:
            conn.execute(statement)
            holding.set()
            release.wait(seconds if until is None else 20)

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10), "the other writer did not start"
    try:
        yield thread
    finally:
        release.set()
        thread.join(30)


def touch(org_id: int):
    """A write to a row nobody else in the test writes."""
    return update(Organization).where(Organization.id == org_id).values(description="Written meanwhile.")


def write_lock_is_free() -> bool:
    """Whether another connection could take SQLite's write lock right now, without waiting."""
    probe = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


# A write waits for the other writer ------------------------------------------------------------


def test_an_api_write_waits_for_another_writer_instead_of_failing(client, world):
    headers = {**bearer(new_token(world.users["admin"], "read-write")), "If-Match": f'"{world.org_a.version}"'}
    org_a, org_b = world.org_a.id, world.org_b.id
    db.session.commit()
    with another_writer(touch(org_b)):
        response = client.patch(f"/api/v1/organizations/{org_a}", json={"acronym": "WAITED"}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Organization, org_a).acronym == "WAITED"
    assert db.session.get(Organization, org_b).description == "Written meanwhile."


def test_a_page_form_waits_for_another_writer_instead_of_failing(client, world):
    viewer = world.users["viewer"]
    login(client, viewer)
    viewer_id, org_b = viewer.id, world.org_b.id
    db.session.commit()
    with another_writer(touch(org_b)):
        response = client.post("/account/tokens", data={"name": "Waited", "scope": "read", "expires_in_days": "30"})
    assert response.status_code == 201, response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(ApiToken.name).where(ApiToken.user_id == viewer_id)) == "Waited"


def test_a_cli_command_waits_for_another_writer_instead_of_failing(runner, world):
    org_b = world.org_b.id
    db.session.commit()
    with another_writer(touch(org_b)):
        result = runner.invoke(args=["create-user", "late@example.org", "--password", f.PASSWORD])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert db.session.scalar(select(User.role).where(User.email == "late@example.org")) == "viewer"


@sqlite_only
def test_only_units_of_work_that_write_take_the_write_lock_and_none_outlives_them(client, runner, world):
    viewer = world.users["viewer"]
    login(client, viewer)
    db.session.commit()
    db.session.scalar(select(User.id))  # the test's own reads take no write lock
    assert write_lock_is_free()
    db.session.rollback()
    with database.writing():
        db.session.scalar(select(User.id))  # a read, yet the unit of work holds the lock from its start
        assert not write_lock_is_free()
    assert write_lock_is_free()  # the scope ended: its transaction was rolled back
    assert client.get("/").status_code == 200
    assert write_lock_is_free()
    response = client.post("/account/tokens", data={"name": "x", "scope": "read", "expires_in_days": "30"})
    assert response.status_code == 201 and write_lock_is_free()
    assert runner.invoke(args=["create-user", "cli@example.org", "--password", f.PASSWORD]).exit_code == 0
    assert write_lock_is_free()


@NO_PROPAGATION
def test_first_calls_with_fresh_tokens_while_others_patch_give_no_server_errors(app, world, caplog):
    created = [tokens.create_token(world.users["viewer"], f"client {n}") for n in range(60)]
    readers, reader_ids = [c.secret for c in created], {c.token.id for c in created}
    writer = bearer(new_token(world.users["admin"], "read-write"))
    orgs = [f.organization(f"Patched {n}") for n in range(3)]
    targets = [(org.id, org.version) for org in orgs]
    read_url = f"/api/v1/organizations/{targets[0][0]}"
    db.session.commit()
    statuses: dict[str, list[int]] = {"read": [], "write": []}
    reading_done = threading.Event()

    def read(secrets: list[str]) -> None:
        client = app.test_client()
        for secret in secrets:
            statuses["read"].append(client.get(read_url, headers=bearer(secret)).status_code)

    def write(org_id: int, version: int) -> None:
        client = app.test_client()
        etag = f'"{version}"'
        for n in range(40):
            if reading_done.is_set():
                break
            response = client.patch(f"/api/v1/organizations/{org_id}", json={"acronym": f"W{n}"},
                                    headers={**writer, "If-Match": etag})  # fmt: skip
            statuses["write"].append(response.status_code)
            etag = response.headers.get("ETag", etag)

    writers = [threading.Thread(target=write, args=target) for target in targets]
    reader_threads = [threading.Thread(target=read, args=(readers[n::2],)) for n in range(2)]
    for thread in writers + reader_threads:
        thread.start()
    for thread in reader_threads:
        thread.join(120)
    reading_done.set()
    for thread in writers:
        thread.join(120)
    assert statuses["read"] == [200] * 60
    assert statuses["write"] and not [s for s in statuses["write"] if s >= 500], statuses["write"]
    db.session.rollback()
    # Each reader's first use was recorded, or, when the lock stayed taken too long, given up and logged.
    recorded = set(db.session.scalars(select(ApiToken.id).where(ApiToken.last_used_at.is_not(None))))
    given_up = {r.args[0] for r in caplog.records if r.getMessage().startswith("Last use of API token")}
    assert reader_ids <= recorded | given_up and not reader_ids & recorded & given_up


# The token's last use --------------------------------------------------------------------------


@pytest.mark.app_config(TOKEN_LAST_USED_INTERVAL=3600)
def test_a_tokens_last_use_is_written_at_most_once_per_interval_and_not_audited(client, world):
    secret = new_token(world.users["viewer"])
    db.session.commit()
    token_id = db.session.scalar(select(ApiToken.id))
    audit_rows = db.session.scalar(select(func.count()).select_from(AuditEvent))

    def call_and_read_last_use():
        assert client.get("/api/v1/themes", headers=bearer(secret)).status_code == 200
        db.session.rollback()  # a fresh snapshot: the use is written through another connection
        return db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id))

    first = call_and_read_last_use()
    assert first is not None
    assert call_and_read_last_use() == first
    # Within the configured interval (an hour here) it is not rewritten; past it, it is.
    for seconds_ago, rewritten in ((3000, False), (3700, True)):
        moved = first - timedelta(seconds=seconds_ago)
        db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=moved))
        db.session.commit()
        assert (call_and_read_last_use() != moved) is rewritten
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audit_rows


def test_a_last_use_that_cannot_be_written_neither_fails_nor_stalls_the_request(client, world, caplog):
    secret = new_token(world.users["viewer"])
    db.session.commit()
    token_id = db.session.scalar(select(ApiToken.id))
    db.session.rollback()
    # The token's own row is locked by another writer (on SQLite: the whole database).
    lock_row = update(ApiToken).where(ApiToken.id == token_id).values(name="busy")
    release = threading.Event()
    with another_writer(lock_row, until=release) as holder:
        started = time.monotonic()
        response = client.get("/api/v1/themes", headers=bearer(secret))
        elapsed = time.monotonic() - started
        assert holder.is_alive()  # answered while the lock was still held
        release.set()
    assert response.status_code == 200, response.get_data(as_text=True)
    assert elapsed < database.BUSY_TIMEOUT / 3  # gave up after a short wait, not the busy timeout
    assert "not recorded" in caplog.text
    db.session.rollback()
    assert db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id)) is None
    # Once the lock is gone the next call records it.
    before = utcnow()
    assert client.get("/api/v1/themes", headers=bearer(secret)).status_code == 200
    db.session.rollback()
    assert db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id)) >= before
