"""Personal API tokens: shown once, hashed at rest, revocable, expiring, last use recorded."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from network.errors import NotFound, PermissionDenied, ValidationError
from network.models import ApiToken, utcnow
from network.services import tokens


def test_created_token_is_shown_once_and_stored_only_as_a_hash(world, db_session):
    user = world.users["viewer"]
    created = tokens.create_token(user, "Website sync", "read", 30)
    db_session.commit()
    secret = created.secret
    assert secret.startswith(f"net_{created.token.prefix}_")
    row = db_session.scalar(select(ApiToken).where(ApiToken.id == created.token.id))
    assert row.token_hash == tokens.hash_token(secret)
    assert secret not in (row.token_hash, row.prefix, row.name)
    # Nothing in the row's columns holds the secret part.
    assert all(secret.split("_")[-1] not in str(getattr(row, c.key)) for c in ApiToken.__table__.columns)
    assert row.expires_at is not None and timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
    assert tokens.authenticate(secret).id == row.id


def test_authenticating_only_reads_and_the_last_use_is_written_once_per_interval(app, world, db_session):
    created = tokens.create_token(world.users["viewer"], "t")
    db_session.commit()
    token_id = created.token.id
    assert tokens.authenticate(created.secret).id == token_id
    assert not db_session.dirty and created.token.last_used_at is None  # nothing for the caller to write

    def last_used():
        db_session.rollback()  # a fresh snapshot: record_use writes through its own connection
        return db_session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id))

    now = utcnow()
    assert tokens.record_use(token_id, None, now) and last_used() == now
    interval = timedelta(seconds=app.config["TOKEN_LAST_USED_INTERVAL"])
    assert not tokens.record_use(token_id, now, now + interval - timedelta(seconds=1))
    assert last_used() == now
    # Another worker that read the token before this write does not write it again.
    assert not tokens.record_use(token_id, None, now + timedelta(seconds=1))
    assert last_used() == now
    later = now + interval
    assert tokens.record_use(token_id, now, later) and last_used() == later


def test_revoked_expired_unknown_and_inactive_tokens_do_not_authenticate(world, db_session):
    viewer, member = world.users["viewer"], world.users["member_a"]
    revoked = tokens.create_token(viewer, "revoked")
    tokens.revoke_token(viewer, revoked.token.id)
    expired = tokens.create_token(viewer, "expired", expires_in_days=1)
    expired.token.expires_at = utcnow() - timedelta(seconds=1)
    inactive = tokens.create_token(member, "inactive user")
    member.active = False
    db_session.flush()
    for text in (revoked.secret, expired.secret, inactive.secret, "net_0000_nope", "", None, "x" * 500):
        assert tokens.authenticate(text) is None
    assert revoked.token.revoked_at is not None


def test_only_the_owner_revokes_and_lists(world, db_session):
    created = tokens.create_token(world.users["viewer"], "mine", "read-write", None)
    with pytest.raises(NotFound):
        tokens.revoke_token(world.users["admin"], created.token.id)
    assert created.token.expires_at is None
    assert [t.id for t in tokens.list_tokens(world.users["viewer"])] == [created.token.id]
    assert tokens.list_tokens(world.users["admin"]) == []
    assert tokens.allows_writes(created.token)


def test_bad_token_requests_are_refused(world, db_session):
    from flask_login import AnonymousUserMixin

    with pytest.raises(ValidationError) as raised:
        tokens.create_token(world.users["viewer"], " ", "admin", 1000)
    assert set(raised.value.errors) == {"name", "scope", "expires_in_days"}
    with pytest.raises(PermissionDenied):
        tokens.create_token(AnonymousUserMixin(), "anon")
    assert db_session.scalar(select(ApiToken)) is None


# The account pages -----------------------------------------------------------------------------


def test_account_page_creates_a_token_shown_once_and_revokes_it(client, world, db_session):
    from tests.conftest import login

    viewer = world.users["viewer"]
    login(client, viewer)
    assert "API tokens" in client.get("/account").get_data(as_text=True)
    response = client.post("/account/tokens", data={"name": "Website", "scope": "read", "expires_in_days": "30"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    token = db_session.scalar(select(ApiToken).where(ApiToken.user_id == viewer.id))
    page = response.get_data(as_text=True)
    secret = page.split('<code id="new-token">')[1].split("</code>")[0]
    assert tokens.hash_token(secret) == token.token_hash
    # Afterwards only the prefix is shown.
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in listing and f"net_{token.prefix}_" in listing
    assert client.get("/api/v1/themes", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    assert client.get("/api/v1/themes", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_token_form_errors_and_others_tokens(client, world, db_session):
    from tests.conftest import login

    other = tokens.create_token(world.users["admin"], "admin's")
    db_session.commit()
    login(client, world.users["viewer"])
    response = client.post("/account/tokens", data={"name": "", "scope": "root", "expires_in_days": "30"})
    assert response.status_code == 422
    assert client.post(f"/account/tokens/{other.token.id}/revoke").status_code == 404
    db_session.refresh(other.token)
    assert other.token.revoked_at is None


def test_token_pages_need_login(client, world):
    assert client.get("/account/tokens").status_code == 302
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 302


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_token_forms_keep_csrf(client, world, db_session):
    from tests.conftest import login

    login(client, world.users["viewer"])
    response = client.post("/account/tokens", data={"name": "No CSRF", "scope": "read", "expires_in_days": "30"})
    assert response.status_code in (400, 422)
    assert db_session.scalar(select(ApiToken)) is None
