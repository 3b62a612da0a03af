"""Logging in and out: passwords, remember-me, session protection, safe redirects, rate limits, CLI."""

import os
import uuid

import pytest
from sqlalchemy import select

from network import create_app
from network.auth.views import safe_next
from network.config import environment_overrides
from network.extensions import db, limiter
from network.models import User
from network.services import accounts
from tests import factories as f
from tests.conftest import login

PASSWORD = f.PASSWORD
REDIS_URL = os.environ.get("NETWORK_TEST_REDIS_URL")


def log_in(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


# ---------------------------------------------------------------- passwords


@pytest.mark.parametrize(
    "password",
    [
        "short1!",  # too short
        "amina@example.org",  # the email
        "aaaaaaaaaaaaaaaa",  # one character
        "abababababab",  # too few different characters
        "1234567890123",  # digits only
        "onlylowercase",  # one class, short
        "ONLYUPPERCASE",
    ],
)
def test_weak_passwords_are_refused(app, password):
    assert accounts.password_problems(password, email="amina@example.org", name="Amina") != []


@pytest.mark.parametrize("password", ["correct horse battery staple", "Tr0ub4dor&3x", "purple monkey dishwasher"])
def test_reasonable_passwords_pass(app, password):
    assert accounts.password_problems(password, email="amina@example.org", name="Amina") == []


def test_name_and_email_local_part_are_refused(app):
    assert accounts.password_problems("Amina Member", email="x@example.org", name="amina member")
    assert accounts.password_problems("amina.member", email="amina.member@example.org", name="A")


def test_passwords_are_hashed_with_scrypt(app, runner):
    result = runner.invoke(args=["create-user", "root@example.org", "--role", "admin", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "root@example.org"))
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


# ---------------------------------------------------------------- login and logout


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="password"' in response.data and b'type="password"' in response.data


def test_login_and_logout(client, users):
    response = log_in(client, "admin@example.org")
    assert response.status_code == 302
    page = client.get("/account")
    assert page.status_code == 200 and b"Ada Admin" in page.data
    assert users["admin"].last_login_at is not None
    # Logout is a POST: a GET (e.g. a prefetched link) does not log out.
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200
    assert client.post("/logout").status_code == 302
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_email_is_case_insensitive(client, users):
    assert log_in(client, "  Admin@Example.ORG ").status_code == 302


@pytest.mark.parametrize(
    "email,password",
    [("admin@example.org", "wrong password here"), ("nobody@example.org", PASSWORD), ("", "")],
)
def test_wrong_credentials_are_refused_with_one_message(client, users, email, password):
    response = log_in(client, email, password)
    assert response.status_code == 200
    assert client.get("/account").status_code == 302
    if email:
        assert b"Wrong email or password" in response.data


def test_deactivated_user_cannot_log_in(client, users):
    users["viewer"].active = False
    db.session.commit()
    response = log_in(client, "viewer@example.org")
    assert response.status_code == 200 and b"Wrong email or password" in response.data


def test_invited_user_without_password_cannot_log_in(client, world):
    invited = accounts.invite_user(
        world.users["admin"], email="new@example.org", name="New", role="viewer", link_to=lambda token: token
    )
    db.session.commit()
    assert invited.password_hash is None
    assert log_in(client, "new@example.org", "").status_code == 200
    assert b"Wrong email or password" in log_in(client, "new@example.org", "anything at all").data


def test_login_page_when_logged_in_goes_home(client, users):
    login(client, users["viewer"])
    assert client.get("/login").status_code == 302


# ---------------------------------------------------------------- safe next


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/x",
        "http:/evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nLocation: http://evil.example",
        "",
        None,
    ],
)
def test_unsafe_next_is_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/", "/organizations?q=solar&page=2", "/account#tokens"])
def test_local_next_is_kept(target):
    assert safe_next(target) == target


def test_login_redirects_to_safe_next_only(client, users):
    response = log_in(client, "viewer@example.org", next="/organizations?q=a")
    assert response.headers["Location"].endswith("/organizations?q=a")
    client.post("/logout")
    response = log_in(client, "viewer@example.org", next="//evil.example/steal")
    location = response.headers["Location"]
    assert "evil" not in location and location.rstrip("/") in ("", "http://localhost")


def test_login_required_page_sends_to_login_with_next(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


# ---------------------------------------------------------------- remember-me and sessions


def test_remember_me_sets_a_cookie_that_logs_in_a_new_browser_session(app, client, users):
    response = log_in(client, "member-a@example.org", remember="y")
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))
    cookie = client.get_cookie("remember_token")
    fresh = app.test_client()  # a browser restarted: no session cookie, only the remember cookie
    fresh.set_cookie("remember_token", cookie.value, domain="localhost")
    page = fresh.get("/account")
    assert page.status_code == 200 and b"Amina Member" in page.data


def test_without_remember_me_no_cookie(client, users):
    response = log_in(client, "member-a@example.org")
    assert "remember_token=" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_strong_session_protection_drops_a_replayed_session(client, users):
    log_in(client, "admin@example.org")
    assert client.get("/account").status_code == 200
    # The same cookie sent by another browser (user agent) is not trusted.
    response = client.get("/account", headers={"User-Agent": "Other browser"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_logs_out_other_sessions_and_remember_cookies(app, users):
    first, second = app.test_client(), app.test_client()
    log_in(first, "member-a@example.org", remember="y")
    log_in(second, "member-a@example.org")
    response = second.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-new_password": "a brand new passphrase",
            "password-confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert second.get("/account").status_code == 200  # the session that changed it stays in
    assert first.get("/account").status_code == 302  # the other one is out…
    stale = app.test_client()  # …and so is its remember cookie
    stale.set_cookie("remember_token", first.get_cookie("remember_token").value, domain="localhost")
    assert stale.get("/account").status_code == 302
    assert log_in(app.test_client(), "member-a@example.org", "a brand new passphrase").status_code == 302


def test_deactivation_logs_out_existing_sessions(client, client_as, world):
    member = client_as("member_a")
    assert member.get("/account").status_code == 200
    admin = client_as("admin")
    assert admin.post(f"/admin/users/{world.users['member_a'].id}/deactivate").status_code == 302
    assert member.get("/account").status_code == 302


# ---------------------------------------------------------------- rate limit


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI="memory://")
def test_login_is_rate_limited_in_memory(client, users):
    for _attempt in range(3):
        assert log_in(client, "admin@example.org", "wrong password!!").status_code == 200
    response = log_in(client, "admin@example.org")  # even the right password now waits
    assert response.status_code == 429
    assert b"Too many login attempts" in response.data
    assert b"Back to the start" in response.data  # the app's own error page
    assert client.get("/login").status_code == 200  # reading the form is not limited


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="100 per minute",
                        LOGIN_ACCOUNT_RATE_LIMIT="2 per hour", RATELIMIT_STORAGE_URI="memory://")  # fmt: skip
def test_failed_logins_are_limited_per_account_from_any_address(client, users):
    wrong = "wrong password!!"

    def attempt(address: str, email: str = "admin@example.org", password: str = wrong):
        return client.post("/login", data={"email": email, "password": password},
                           environ_base={"REMOTE_ADDR": address})  # fmt: skip

    assert attempt("192.0.2.1").status_code == 200
    assert log_in(client, "viewer@example.org").status_code == 302  # successes do not count
    client.post("/logout")
    assert attempt("192.0.2.2", email=" ADMIN@example.org").status_code == 200  # the same account
    response = attempt("192.0.2.3", password=PASSWORD)  # a third address, even the right password
    assert response.status_code == 429 and b"Too many failed logins for this account" in response.data
    assert attempt("192.0.2.4", email="viewer@example.org", password=PASSWORD).status_code == 302


@pytest.mark.app_config(
    RATELIMIT_ENABLED=True,
    LOGIN_RATE_LIMIT="2 per minute",
    RATELIMIT_STORAGE_URI=REDIS_URL or "memory://",
    RATELIMIT_KEY_PREFIX=f"network-test-{uuid.uuid4().hex}",
)
def test_login_limit_on_the_configured_storage(app, client, users):
    """Against the real Redis when NETWORK_TEST_REDIS_URL is set (CI), else in memory."""
    storage = limiter.storage
    assert type(storage).__name__ == ("RedisStorage" if REDIS_URL else "MemoryStorage")
    assert storage.check()
    try:
        assert log_in(client, "admin@example.org", "wrong password!!").status_code == 200
        assert log_in(client, "admin@example.org", "wrong password!!").status_code == 200
        assert log_in(client, "admin@example.org").status_code == 429
        # A second app on the same storage (another worker) sees the same count only with Redis.
        other = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
        with other.app_context():
            status = log_in(other.test_client(), "admin@example.org").status_code
            db.session.remove()
            db.engine.dispose()  # its pooled connection would otherwise be closed by the garbage collector
        assert status == (429 if REDIS_URL else 302)
    finally:
        limiter.reset()


def test_redis_url_setting_selects_redis_storage(tmp_path):
    assert environment_overrides({"NETWORK_REDIS_URL": "redis://127.0.0.1:6379/15"}) == {
        "REDIS_URL": "redis://127.0.0.1:6379/15"
    }
    base = {"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)}
    with_redis = create_app({**base, "REDIS_URL": "redis://127.0.0.1:6379/15"})
    assert with_redis.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/15"
    assert create_app(base).config["RATELIMIT_STORAGE_URI"] == "memory://"


# ---------------------------------------------------------------- user menu


def test_user_menu_for_anonymous_offers_login(client, world):
    page = client.get("/").data
    assert b'href="/login?next=' in page and b"Log out" not in page


def test_user_menu_shows_name_profile_and_a_logout_form(client_as):
    page = client_as("member_a").get("/").data.decode()
    assert "Amina Member" in page and 'href="/account"' in page
    assert 'action="/logout"' in page and 'name="csrf_token"' in page
    assert 'href="/admin/users"' not in page


def test_user_menu_shows_admin_links_when_allowed(client_as):
    assert 'href="/admin/users"' in client_as("admin").get("/").data.decode()
    assert 'href="/admin/users"' in client_as("coordinator_x").get("/").data.decode()


# ---------------------------------------------------------------- create-user command


def test_create_user_command_for_each_scope(runner, world):
    result = runner.invoke(
        args=["create-user", "c@example.org", "--role", "coordinator", "--network", "node-x", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    coordinator = db.session.scalar(select(User).where(User.email == "c@example.org"))
    assert [n.slug for n in coordinator.networks] == ["node-x"] and coordinator.name == "c"
    result = runner.invoke(
        args=["create-user", "m@example.org", "--role", "member", "--organization", "org-a", "--name", "Em",
              "--password", PASSWORD]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    member = db.session.scalar(select(User).where(User.email == "m@example.org"))
    assert member.organization_id == world.org_a.id and member.name == "Em"


def test_create_user_command_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["create-user", "p@example.org", "--role", "admin"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert accounts.authenticate("p@example.org", PASSWORD) is not None


@pytest.mark.parametrize(
    "args,message",
    [
        (["--role", "member", "--password", PASSWORD], "organisation"),
        (["--role", "coordinator", "--password", PASSWORD], "network node"),
        (["--role", "coordinator", "--network", "nope", "--password", PASSWORD], "nope"),
        (["--role", "member", "--organization", "nope", "--password", PASSWORD], "nope"),
        (["--role", "admin", "--password", "short"], "at least 10"),
        (["--role", "wizard", "--password", PASSWORD], "wizard"),
    ],
)
def test_create_user_command_refuses_bad_input(runner, world, args, message):
    result = runner.invoke(args=["create-user", "bad@example.org", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(User).where(User.email == "bad@example.org")) is None


def test_create_user_command_refuses_a_taken_email(runner, world):
    result = runner.invoke(args=["create-user", "Admin@example.org", "--role", "admin", "--password", PASSWORD])
    assert result.exit_code == 1 and "already exists" in result.output
