"""Notices for what waits on someone (#15 item 2): each event tells the right people and nobody
else, by mail at once, in the daily digest or in the app only as each recipient chose; a digest is
sent once however often send-digests runs; every mail links to the choices."""

from datetime import timedelta

from sqlalchemy import select

from network.extensions import db
from network.models import Membership, Notification, utcnow
from network.services import accounts, notifications
from network.services import organizations as orgs
from network.services.initiatives import participation
from network.services.mail import outbox_messages
from network.services.notices import digest, memberships, preferences
from tests import factories as f


def notices_of(user, kind=None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def mails_to(address: str) -> list:
    return [m for m in outbox_messages() if m["To"] == address]


def propose(world):
    member = world.users["member_a"]
    return orgs.propose_profile_change(member, world.org_a, {"website": "a.example.org"}, world.org_a.version)


def test_a_proposed_change_tells_the_coordinators_who_review_it_at_once(world):
    request = propose(world)
    db.session.commit()
    (notice,) = notices_of(world.users["coordinator_x"], "change_submitted")
    assert notice.params == {"name": "Organisation A"} and notice.link == f"/changes/{request.id}"
    assert notice.digest is None  # waits on the coordinator: mailed at once by default
    for other in ("coordinator_y", "admin", "member_a", "member_b", "viewer"):
        assert notices_of(world.users[other]) == [], other
    (mail,) = mails_to("coord-x@example.org")
    body = mail.get_content()
    assert "Organisation A" in mail["Subject"] and f"/changes/{request.id}" in body
    assert "/notifications/preferences" in body
    assert mails_to("coord-y@example.org") == []


def test_the_decision_goes_to_the_proposer_in_the_digest_and_send_digests_sends_it_once(world, runner):
    request = propose(world)
    db.session.commit()
    orgs.review_change_request(world.users["coordinator_x"], request, approve=True)
    db.session.commit()
    (notice,) = notices_of(world.users["member_a"], "change_approved")
    assert notice.digest == "pending" and mails_to("member-a@example.org") == []
    result = runner.invoke(args=["send-digests"])
    assert result.exit_code == 0 and "1 digests sent" in result.output
    (mail,) = mails_to("member-a@example.org")
    assert "Your proposed change to Organisation A was approved." in mail.get_content()
    assert "/notifications/preferences" in mail.get_content()
    assert runner.invoke(args=["send-digests"]).output.startswith("0 digests")
    assert len(mails_to("member-a@example.org")) == 1
    db.session.expire_all()
    assert notice.digest == "sent"


def test_each_users_choice_is_respected(world):
    member = world.users["member_a"]
    preferences.set_choices(member, {"change_approved": "immediately", "change_rejected": "app"})
    db.session.commit()
    approved, rejected = propose(world), None
    db.session.commit()
    orgs.review_change_request(world.users["coordinator_x"], approved, approve=True)
    db.session.commit()
    assert len(mails_to("member-a@example.org")) == 1  # at once
    rejected = orgs.propose_profile_change(member, world.org_a, {"website": "b.example.org"}, world.org_a.version)
    db.session.commit()
    orgs.review_change_request(world.users["coordinator_x"], rejected, approve=False)
    db.session.commit()
    (notice,) = notices_of(member, "change_rejected")
    assert notice.digest is None  # app only: never mailed, not kept for a digest
    assert digest.send_digests() == 0
    assert len(mails_to("member-a@example.org")) == 1
    assert preferences.choices_of(member)["change_rejected"] == "app"


def test_a_choice_must_be_a_known_kind_and_delivery(world):
    import pytest

    from network.services import ValidationError

    with pytest.raises(ValidationError):
        preferences.set_choices(world.users["member_a"], {"change_approved": "weekly"})
    with pytest.raises(ValidationError):
        preferences.set_choices(world.users["member_a"], {"nonsense": "app"})


def test_every_kind_of_notice_has_a_choice():
    assert set(preferences.KINDS) == set(notifications.NOTICES)


def test_a_new_member_user_is_told_of_the_invitations_its_organisation_has_to_answer(world):
    initiative = f.initiative("Clean Cooking", network=world.x)
    other = f.organization("Organisation C", networks=[world.y])
    f.participant(initiative, other, status="invited")  # no users yet: the convening coordinators are told
    db.session.commit()
    assert [n.kind for n in notices_of(world.users["coordinator_x"])] == ["invitation_no_users"]
    newcomer = accounts.create_user(world.users["admin"], email="new@example.org", name="Nia New", role="member",
                                    password="a long good password 42", organization=other)  # fmt: skip
    db.session.commit()
    (notice,) = notices_of(newcomer, "invitation")
    assert notice.params["title"] == "Clean Cooking" and notice.params["org"] == "Organisation C"
    assert notices_of(world.users["member_b"]) == []  # another organisation's member


def test_answers_leaving_and_removal_reach_the_convening_coordinators(world):
    initiative = f.initiative("Clean Cooking", network=world.x)
    row = participation.invite_participant(world.users["coordinator_x"], initiative, world.org_b)
    db.session.commit()
    participation.respond_to_invitation(world.users["member_b"], row, True)
    db.session.commit()
    participation.leave_initiative(world.users["member_b"], row)
    db.session.commit()
    kinds = [n.kind for n in notices_of(world.users["coordinator_x"])]
    assert kinds == ["invitation_accepted", "participant_left"]  # once each, though also the inviter
    assert notices_of(world.users["coordinator_y"]) == []  # coordinates org B's node, not the convener
    again = participation.invite_participant(world.users["admin"], initiative, world.org_b)
    participation.respond_to_invitation(world.users["member_b"], again, True)
    participation.remove_participant(world.users["admin"], again)
    db.session.commit()
    assert [n.kind for n in notices_of(world.users["coordinator_x"])][-1] == "participant_removed"
    # The admin sent that invitation, so hears the answer, but is not told of the removal it made.
    assert [n.kind for n in notices_of(world.users["admin"])] == ["invitation_accepted"]


def test_a_membership_ending_soon_is_announced_to_its_nodes_coordinators_once(world):
    membership = db.session.scalar(select(Membership).where(Membership.organization_id == world.org_a.id))
    membership.left_on = utcnow().date() + timedelta(days=10)
    far = f.organization("Organisation Far", networks=[world.x])
    far_membership = db.session.scalar(select(Membership).where(Membership.organization_id == far.id))
    far_membership.left_on = utcnow().date() + timedelta(days=200)
    db.session.commit()
    assert memberships.announce_endings() == 1
    assert memberships.announce_endings() == 0  # recorded: never twice for the same end
    (notice,) = notices_of(world.users["coordinator_x"], "membership_ending")
    assert notice.params["org"] == "Organisation A" and notice.params["node"] == "Node X1"
    ends = membership.left_on
    from flask_babel import force_locale

    with force_locale("zh"):  # the stored ISO date is written as the reader writes dates
        assert f"{ends.year}年{ends.month}月{ends.day}日" in notifications.text_of(notice)
    with force_locale("en"):
        assert f"{ends.day}, {ends.year}" in notifications.text_of(notice)
    assert notices_of(world.users["coordinator_y"]) == [] and notices_of(world.users["member_a"]) == []
    membership.left_on = utcnow().date() + timedelta(days=20)  # extended, ending again: told again
    db.session.commit()
    assert memberships.announce_endings() == 1


def test_mail_and_digest_in_the_recipients_language(world):
    coordinator = world.users["coordinator_x"]
    coordinator.locale = "zh"
    preferences.set_choices(world.users["member_a"], {"change_approved": "digest"})
    world.users["member_a"].locale = "zh"
    db.session.commit()
    request = propose(world)
    db.session.commit()
    (mail,) = mails_to("coord-x@example.org")
    assert "提议" in mail.get_content() and "/notifications/preferences" in mail.get_content()
    orgs.review_change_request(coordinator, request, approve=True)
    db.session.commit()
    digest.send_digests()
    (mail,) = mails_to("member-a@example.org")
    assert "批准" in mail.get_content() and "/notifications/preferences" in mail.get_content()


def test_the_daily_jobs_are_scheduled(app):
    from network import tasks

    assert {"digest_job", "endings_job"} <= set(tasks.PERIODIC)
    assert tasks.PERIODIC["digest_job"][1]["hour"] == str(app.config["DIGEST_HOUR"])


def test_the_preferences_page(world, client_as, client):
    page = client_as("member_a").get("/notifications/preferences")
    assert page.status_code == 200 and b"change_approved" in page.data
    account = client_as("member_a").get("/account")
    assert b"/notifications/preferences" in account.data
    member = client_as("member_a")
    member.get("/notifications/preferences")
    anonymous = client.get("/notifications/preferences")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_preferences_page_saves_the_users_own_choices(world, client_as):
    member = client_as("member_a")
    response = member.post("/notifications/preferences", data={"change_approved": "app", "invitation": "digest"})
    assert response.status_code == 302
    db.session.expire_all()
    chosen = preferences.choices_of(world.users["member_a"])
    assert chosen["change_approved"] == "app" and chosen["invitation"] == "digest"
    assert chosen["change_submitted"] == "immediately"  # left at its default
    assert preferences.choices_of(world.users["member_b"])["change_approved"] == "digest"  # nobody else's
    page = member.get("/notifications/preferences")
    assert 'name="change_approved" value="app" aria-label="In the app only" aria-describedby="kind-change_approved" checked' in page.text  # fmt: skip


def test_an_import_tells_its_user_when_the_preview_is_ready_when_it_finished_or_failed(app, client):
    import io
    from pathlib import Path

    from network.models import ImportJob
    from tests.conftest import login

    node = f.network("CAN Kenya", slug="can-kenya")
    coordinator = f.user("coordinator", networks=[node], email="importer@example.org")
    other = f.user("coordinator", networks=[node], email="colleague@example.org")
    db.session.commit()
    login(client, coordinator)

    def upload():
        data = {"file": (io.BytesIO(b"name,country\nGreen Earth Kenya,KE\n"), "orgs.csv"), "node": str(node.id)}
        client.post("/imports", data=data, content_type="multipart/form-data")
        return db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc())).first()

    job = upload()
    (ready,) = notices_of(coordinator, "import_previewed")
    assert ready.params == {"file": "orgs.csv"} and ready.link == f"/imports/{job.id}"
    assert len(mails_to("importer@example.org")) == 1  # waits on the user: mailed at once
    client.post(f"/imports/{job.id}/commit")
    db.session.rollback()
    (done,) = notices_of(coordinator, "import_committed")
    assert done.digest == "pending"
    failing = upload()
    Path(failing.details["path"]).unlink()  # its file is gone: the commit fails
    client.post(f"/imports/{failing.id}/commit")
    db.session.rollback()
    assert db.session.get(ImportJob, failing.id).status == "failed"
    (failed,) = notices_of(coordinator, "import_failed")
    assert failed.link == f"/imports/{failing.id}"
    assert notices_of(other) == []


def test_a_digest_run_that_stops_midway_leaves_the_others_for_the_next_run(world):
    import pytest

    first = world.users["member_a"]
    broken = f.user("member", organization=world.org_b, email="broken@example.org")
    db.session.commit()
    for user in (first, broken):
        notifications.notify([user], "outcome_verified", {"project": "P", "period": "2024"}, "/outcomes/1")
    broken.email = "broken\n@example.org"  # a header the mailer refuses: the run stops at this user
    db.session.commit()
    with pytest.raises(ValueError):
        digest.send_digests()
    db.session.rollback()
    assert [n.digest for n in notices_of(first)] == ["sent"] and len(mails_to("member-a@example.org")) == 1
    assert [n.digest for n in notices_of(broken)] == ["pending"]
    broken.email = "broken@example.org"
    db.session.commit()
    assert digest.send_digests() == 1  # only the user the stopped run had not reached
    assert len(mails_to("member-a@example.org")) == 1 and len(mails_to("broken@example.org")) == 1
