"""Users: invitations, password reset, deactivation, roles and their escalation attacks, profile, mail."""

import re
import socket
import threading
import time
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select

from network.errors import PermissionDenied, ValidationError
from network.extensions import db
from network.models import UsedToken, User
from network.permissions import Grant
from network.services import accounts
from network.services.mail import outbox_messages, send_mail
from tests import factories as f

NEW_PASSWORD = "a fresh long passphrase"
LINK = re.compile(r"https?://[^\s]+")


def last_link() -> str:
    """The path of the link in the newest outbox message."""
    body = outbox_messages()[-1].get_content()
    return LINK.search(body).group(0).split("localhost", 1)[1]


def invite(client, **fields):
    data = {"email": "new@example.org", "name": "New Person", "role": "viewer", "organization": "", **fields}
    return client.post("/admin/users/invite", data=data)


def new_user() -> User | None:
    return db.session.scalar(select(User).where(User.email == "new@example.org"))


# ---------------------------------------------------------------- invitations


def test_admin_invites_a_member_who_sets_a_password_once(app, client_as, world):
    admin = client_as("admin")
    assert admin.get("/admin/users/invite").status_code == 200
    response = invite(admin, role="member", organization="org-a")
    assert response.status_code == 302
    user = new_user()
    assert (user.role, user.organization_id, user.password_hash) == ("member", world.org_a.id, None)
    message = outbox_messages()[-1]
    assert message["To"] == "new@example.org" and "invit" in message["Subject"].lower()
    link = last_link()
    assert link.startswith("/invitation/")

    visitor = app.test_client()
    assert b"Choose your password" in visitor.get(link).data
    response = visitor.post(link, data={"name": "New Person", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert b"New Person" in visitor.get("/account").data  # logged in at once
    assert accounts.authenticate("new@example.org", NEW_PASSWORD) is not None

    # Single use: the same link again, even in another browser, is refused.
    again = app.test_client().get(link)
    assert again.status_code == 400 and b"already" in again.data
    again = app.test_client().post(link, data={"name": "X", "password": "another passphrase", "confirm": "another passphrase"})  # fmt: skip
    assert again.status_code == 400
    assert accounts.authenticate("new@example.org", NEW_PASSWORD) is not None


def test_the_service_mails_the_link_its_caller_builds_without_a_request(app, world):
    """Outside any request (a job, the CLI) the service needs no routes: the caller says where links lead."""
    from flask import has_request_context

    assert not has_request_context()
    made = []

    def link_to(token: str) -> str:
        made.append(token)
        return f"https://directory.example.net/join/{token}"

    user = accounts.invite_user(world.users["admin"], email="new@example.org", name="N", role="viewer", link_to=link_to)
    db.session.commit()
    assert len(made) == 1 and accounts.read_token("invitation", made[0], 60)[0] == user
    assert f"https://directory.example.net/join/{made[0]}" in outbox_messages()[-1].get_content()
    accounts.request_password_reset(world.users["viewer"].email, link_to=link_to)
    db.session.commit()
    assert len(made) == 2 and accounts.read_token("reset", made[1], 60)[0] == world.users["viewer"]
    assert f"https://directory.example.net/join/{made[1]}" in outbox_messages()[-1].get_content()


def test_invitation_password_rules_give_field_messages(app, client_as, world):
    invite(client_as("admin"))
    link = last_link()
    visitor = app.test_client()
    response = visitor.post(link, data={"name": "New Person", "password": "short", "confirm": "short"})
    assert response.status_code == 200 and b"at least 10" in response.data
    response = visitor.post(link, data={"name": "New Person", "password": NEW_PASSWORD, "confirm": "different one!"})
    assert b"The passwords differ" in response.data
    assert new_user().password_hash is None
    # The failed tries did not use the link up.
    assert visitor.post(link, data={"name": "N", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_invitation_form_reports_bad_input_per_field(client_as, world):
    admin = client_as("admin")
    response = invite(admin, email="not-an-email", role="member", organization="no-such-org")
    assert response.status_code == 422
    assert b"No organisation has the address name no-such-org" in response.data
    response = invite(admin, email="member-a@example.org")
    assert response.status_code == 422 and b"already exists" in response.data
    response = invite(admin, email="not-an-email")
    assert b"Enter a valid email address" in response.data
    response = invite(admin, role="coordinator")
    assert b"at least one network node" in response.data
    assert new_user() is None and outbox_messages() == []


def test_expired_invitation_is_refused(app, client_as, world, monkeypatch):
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: real(self) - app.config["INVITATION_MAX_AGE"] - 5
    )
    invite(client_as("admin"))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    response = app.test_client().get(last_link())
    assert response.status_code == 400 and b"expired" in response.data


@pytest.mark.parametrize("purpose", ["forged", "other-secret", "tampered", "reset-token-as-invitation"])
def test_forged_invitation_tokens_are_refused(app, client_as, world, purpose):
    invite(client_as("admin"))
    user = new_user()
    token = last_link().rsplit("/", 1)[1]
    if purpose == "forged":
        token = "eyJ1IjoxLCJuIjoiYWJjIn0.ZZZZZZ.not-a-signature"
    elif purpose == "other-secret":
        token = URLSafeTimedSerializer("guessed-secret", salt="network.invitation").dumps(
            {"u": user.id, "n": "f" * 32, "s": user.session_token}
        )
    elif purpose == "tampered":
        payload, rest = token.split(".", 1)
        token = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + rest
    else:
        token = accounts.make_token("reset", user)
    visitor = app.test_client()
    assert visitor.get(f"/invitation/{token}").status_code == 400
    response = visitor.post(
        f"/invitation/{token}", data={"name": "X", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert new_user().password_hash is None


def test_resending_an_invitation_kills_the_old_link(app, client_as, world):
    admin = client_as("admin")
    invite(admin)
    old = last_link()
    assert admin.post(f"/admin/users/{new_user().id}/resend").status_code == 302
    new = last_link()
    assert old != new
    assert app.test_client().get(old).status_code == 400
    assert app.test_client().get(new).status_code == 200


def test_invitation_to_a_deactivated_user_is_refused(app, client_as, world):
    admin = client_as("admin")
    invite(admin)
    link = last_link()
    admin.post(f"/admin/users/{new_user().id}/deactivate")
    assert app.test_client().get(link).status_code == 400


def test_coordinator_invites_within_own_nodes(client_as, world):
    coordinator = client_as("coordinator_x")
    page = coordinator.get("/admin/users/invite").data.decode()
    assert "Node X1" in page and "Node Y" not in page  # only nodes they may grant
    assert 'value="admin"' not in page and 'value="viewer"' not in page
    assert invite(coordinator, role="coordinator", networks=[world.x1.id]).status_code == 302
    assert [n.slug for n in new_user().networks] == ["node-x1"]


# ---------------------------------------------------------------- escalation attacks


@pytest.mark.parametrize(
    "role_name,grant",
    [
        ("coordinator_x", lambda w: Grant("admin")),
        ("coordinator_x", lambda w: Grant("viewer")),
        ("coordinator_x", lambda w: Grant("coordinator", networks=[w.y])),
        ("coordinator_x", lambda w: Grant("coordinator", networks=[w.x1, w.y])),
        ("coordinator_x", lambda w: Grant("member", organization=w.org_b)),
        ("coordinator_y", lambda w: Grant("member", organization=w.org_a)),
        ("member_a", lambda w: Grant("member", organization=w.org_a)),
        ("viewer", lambda w: Grant("viewer")),
    ],
)
def test_invitation_escalations_are_refused_by_the_service(world, role_name, grant):
    g = grant(world)
    with pytest.raises(PermissionDenied):
        accounts.invite_user(
            world.users[role_name], email="new@example.org", name="N", role=g.role,
            organization=g.organization, networks=g.networks, link_to=lambda token: token,
        )  # fmt: skip
    assert new_user() is None and outbox_messages() == []


@pytest.mark.parametrize(
    "role_name,fields",
    [
        ("coordinator_x", {"role": "admin"}),
        ("coordinator_x", {"role": "coordinator", "networks": "NODE_Y"}),
        ("coordinator_x", {"role": "member", "organization": "org-b"}),
        ("member_a", {"role": "member", "organization": "org-a"}),
        ("viewer", {"role": "viewer"}),
    ],
)
def test_invitation_escalations_are_refused_on_the_web(client_as, world, role_name, fields):
    fields = {k: (world.y.id if v == "NODE_Y" else v) for k, v in fields.items()}
    response = invite(client_as(role_name), **fields)
    assert response.status_code == 403
    assert new_user() is None


def test_no_one_escalates_their_own_role(client_as, world):
    member = world.users["member_a"]
    # The profile form ignores a smuggled role field.
    client_as("member_a").post("/account", data={"profile-name": "Amina", "profile-locale": "", "role": "admin"})
    db.session.expire_all()
    assert member.role == "member" and member.name == "Amina"
    # The role page of oneself is refused, for coordinators too…
    coordinator = world.users["coordinator_x"]
    response = client_as("coordinator_x").post(
        f"/admin/users/{coordinator.id}/role", data={"role": "coordinator", "networks": [world.x.id, world.y.id]}
    )
    assert response.status_code == 403
    assert client_as("member_a").post(f"/admin/users/{member.id}/role", data={"role": "admin"}).status_code == 403
    # …and by the service, even for an admin (no one locks themselves out or in).
    with pytest.raises(PermissionDenied):
        accounts.change_role(coordinator, coordinator, role="admin")
    with pytest.raises(PermissionDenied):
        accounts.change_role(world.users["admin"], world.users["admin"], role="viewer")
    db.session.expire_all()
    assert [n.slug for n in coordinator.networks] == ["node-x"] and coordinator.role == "coordinator"


def test_coordinator_changes_roles_only_within_scope(client_as, world):
    member_a, member_b = world.users["member_a"], world.users["member_b"]
    coordinator = client_as("coordinator_x")
    assert coordinator.get(f"/admin/users/{member_b.id}/role").status_code == 403
    assert coordinator.post(f"/admin/users/{member_b.id}/role", data={"role": "viewer"}).status_code == 403
    assert coordinator.get(f"/admin/users/{world.users['coordinator_y'].id}/role").status_code == 403
    # Promote member A to coordinator of X1 (inside X): allowed; to admin: refused.
    response = coordinator.post(f"/admin/users/{member_a.id}/role", data={"role": "admin"})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        accounts.change_role(world.users["coordinator_x"], member_a, role="admin")
    response = coordinator.post(f"/admin/users/{member_a.id}/role", data={"role": "coordinator", "networks": [world.x1.id]})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert member_a.role == "coordinator" and [n.slug for n in member_a.networks] == ["node-x1"]


def test_member_cannot_see_or_manage_users(client_as, world):
    member = client_as("member_a")
    assert member.get("/admin/users").status_code == 403
    assert member.get("/admin/users/invite").status_code == 403
    assert member.post(f"/admin/users/{world.users['member_b'].id}/deactivate").status_code == 403
    assert world.users["member_b"].active


# ---------------------------------------------------------------- users page, deactivation


def test_users_page_lists_by_scope(client_as, world):
    admin_page = client_as("admin").get("/admin/users").data.decode()
    assert all(u.email in admin_page for u in world.users.values())
    coordinator_page = client_as("coordinator_x").get("/admin/users").data.decode()
    assert "member-a@example.org" in coordinator_page and "coord-x@example.org" in coordinator_page
    assert "member-b@example.org" not in coordinator_page and "admin@example.org" not in coordinator_page


def test_deactivate_and_reactivate(app, client_as, world):
    member = world.users["member_a"]
    coordinator = client_as("coordinator_x")
    assert coordinator.post(f"/admin/users/{member.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert not member.active
    assert accounts.authenticate("member-a@example.org", f.PASSWORD) is None
    assert "Deactivated" in coordinator.get("/admin/users").data.decode()
    assert coordinator.post(f"/admin/users/{member.id}/reactivate").status_code == 302
    db.session.expire_all()
    assert member.active and accounts.authenticate("member-a@example.org", f.PASSWORD) is not None
    # Coordinator X cannot touch coordinator Y nor B's member; nobody deactivates themselves.
    assert coordinator.post(f"/admin/users/{world.users['coordinator_y'].id}/deactivate").status_code == 403
    assert coordinator.post(f"/admin/users/{world.users['member_b'].id}/deactivate").status_code == 403
    assert client_as("admin").post(f"/admin/users/{world.users['admin'].id}/deactivate").status_code == 422
    db.session.expire_all()
    assert world.users["admin"].active and world.users["coordinator_y"].active


def test_users_page_has_no_n_plus_one(client_as, world, app):
    from sqlalchemy import event

    for _n in range(8):
        f.user("coordinator", networks=[world.x, world.y])
        f.user("member", organization=world.org_a)
    db.session.commit()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client_as("admin").get("/admin/users").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) <= 8, statements


# ---------------------------------------------------------------- password reset


def test_password_reset_works_once(app, world):
    visitor = app.test_client()
    response = visitor.post("/reset", data={"email": "Member-A@example.org"})
    assert response.status_code == 302
    message = outbox_messages()[-1]
    assert message["To"] == "member-a@example.org" and "reset" in message["Subject"].lower()
    link = last_link()
    assert visitor.get(link).status_code == 200
    response = visitor.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert accounts.authenticate("member-a@example.org", NEW_PASSWORD) is not None
    assert accounts.authenticate("member-a@example.org", f.PASSWORD) is None
    again = app.test_client().post(link, data={"password": "yet another passphrase", "confirm": "yet another passphrase"})  # fmt: skip
    assert again.status_code == 400
    assert accounts.authenticate("member-a@example.org", NEW_PASSWORD) is not None
    assert db.session.scalar(select(UsedToken)) is not None


def test_reset_answers_the_same_for_unknown_addresses(app, world):
    known = app.test_client().post("/reset", data={"email": "member-a@example.org"}, follow_redirects=True)
    unknown = app.test_client().post("/reset", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert b"If an active account has this address" in unknown.data
    assert [m["To"] for m in outbox_messages()] == ["member-a@example.org"]


def test_reset_link_dies_when_the_password_changes_otherwise(app, world, client_as):
    app.test_client().post("/reset", data={"email": "member-a@example.org"})
    link = last_link()
    accounts.change_password(
        world.users["member_a"], world.users["member_a"], current_password=f.PASSWORD, new_password=NEW_PASSWORD
    )
    db.session.commit()
    response = app.test_client().get(link)
    assert response.status_code == 400 and b"password has changed" in response.data


def test_expired_reset_link_is_refused(app, world, monkeypatch):
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - app.config["RESET_MAX_AGE"] - 5)
    app.test_client().post("/reset", data={"email": "member-a@example.org"})
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    response = app.test_client().get(last_link())
    assert response.status_code == 400 and b"expired" in response.data


def test_reset_logs_out_other_sessions(app, world, client_as):
    member = client_as("member_a")
    assert member.get("/account").status_code == 200
    app.test_client().post("/reset", data={"email": "member-a@example.org"})
    app.test_client().post(last_link(), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert member.get("/account").status_code == 302


# ---------------------------------------------------------------- own profile


def test_profile_name_and_language(client_as, world):
    member = client_as("member_a")
    page = member.get("/account").data.decode()
    assert "Amina Member" in page and "Organisation A" in page
    response = member.post("/account", data={"profile-name": "Amina M.", "profile-locale": "zh"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (world.users["member_a"].name, world.users["member_a"].locale) == ("Amina M.", "zh")
    assert 'lang="zh-Hans"' in member.get("/account").data.decode()  # the chosen language applies
    response = member.post("/account", data={"profile-name": "", "profile-locale": "fr"})
    assert response.status_code == 422
    page = response.data.decode()  # now in Chinese: check the marked fields rather than the words
    assert 'id="profile-name"' in page and page.count("is-invalid") >= 2


def test_change_password_checks_the_current_one(client_as, world):
    member = client_as("member_a")
    bad = {"password-current_password": "wrong one!!", "password-new_password": NEW_PASSWORD,
           "password-confirm": NEW_PASSWORD}  # fmt: skip
    response = member.post("/account", data=bad)
    assert response.status_code == 422 and b"not your current password" in response.data
    weak = {"password-current_password": f.PASSWORD, "password-new_password": "member-a@example.org",
            "password-confirm": "member-a@example.org"}  # fmt: skip
    response = member.post("/account", data=weak)
    assert response.status_code == 422 and b"email address" in response.data
    assert accounts.authenticate("member-a@example.org", f.PASSWORD) is not None


def test_account_page_leaves_room_for_api_tokens():
    template = (Path(__file__).parent.parent / "templates" / "auth" / "account.html").read_text()
    assert "{% block api_tokens %}" in template


def test_update_profile_of_someone_else_is_refused(world):
    with pytest.raises(PermissionDenied):
        accounts.update_profile(world.users["member_b"], world.users["member_a"], name="X", locale=None)
    with pytest.raises(PermissionDenied):
        accounts.change_password(
            world.users["member_b"], world.users["member_a"], current_password=f.PASSWORD, new_password=NEW_PASSWORD
        )
    with pytest.raises(ValidationError):
        accounts.update_profile(world.users["member_a"], world.users["member_a"], name=" ", locale=None)


# ---------------------------------------------------------------- mail


def test_outbox_writes_eml_files_and_logs(app, caplog):
    caplog.set_level("INFO")
    message = send_mail("someone@example.org", "Hello", "Body with a link http://localhost/x\n")
    files = list((Path(app.instance_path) / "outbox").glob("*.eml"))
    assert len(files) == 1 and b"Subject: Hello" in files[0].read_bytes()
    assert message["To"] == "someone@example.org"
    assert "http://localhost/x" in caplog.text and "someone@example.org" in caplog.text
    assert outbox_messages()[0]["Subject"] == "Hello"


class TinySMTPServer:
    """Enough of SMTP on a loopback port to receive one message (no TLS, no auth)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        conn, _addr = self.sock.accept()
        conn.settimeout(10)
        stream = conn.makefile("rb")
        conn.sendall(b"220 tiny ESMTP\r\n")
        while line := stream.readline():
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                conn.sendall(b"250 tiny\r\n")
            elif command == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                data = b""
                while (chunk := stream.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.received.append(data)
                conn.sendall(b"250 queued\r\n")
            elif command == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                break
            else:
                conn.sendall(b"250 ok\r\n")
        conn.close()
        self.sock.close()


def test_smtp_backend_sends_through_the_server(app):
    server = TinySMTPServer()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_SENDER="n@example.org")
    send_mail("someone@example.org", "Hello by SMTP", "The body.\n")
    server.thread.join(timeout=10)
    assert len(server.received) == 1
    assert b"Subject: Hello by SMTP" in server.received[0] and b"The body." in server.received[0]
    assert b"To: someone@example.org" in server.received[0]


def test_unknown_mail_backend_is_an_error(app):
    app.config["MAIL_BACKEND"] = "pigeon"
    with pytest.raises(RuntimeError):
        send_mail("a@example.org", "x", "y")


def test_outbox_is_ordered(app):
    for n in range(3):
        send_mail("a@example.org", f"Message {n}", "body")
        time.sleep(0.001)
    assert [m["Subject"] for m in outbox_messages()] == ["Message 0", "Message 1", "Message 2"]
