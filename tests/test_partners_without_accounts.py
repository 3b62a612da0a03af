"""Partners without user accounts (#15, 4): coordinators record an organisation's answer on its
behalf (audited, shown on the page), change roles, give shares; invitations say who was told;
projects members link to an initiative count once a coordinator confirms the link."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from network.extensions import db
from network.models import AuditEvent, Notification, utcnow
from network.services import PermissionDenied, ValidationError, outcomes
from network.services import initiatives as service
from tests import factories as f


@pytest.fixture
def freight(world):
    """An initiative convened by X with org A leading, and four firms with no user accounts."""
    ini = f.initiative("Green freight", network=world.x, slug="green-freight", target_tco2e=Decimal("1000"))
    f.participant(ini, world.org_a, role="lead")
    firms = {name: f.organization(name, kind="company") for name in ("Freight Platform", "Certifier", "Bank", "Tyres")}
    db.session.commit()
    return ini, firms


def notices_of(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def test_inviting_a_firm_without_users_tells_the_convening_coordinators(world, freight):
    ini, firms = freight
    coordinator = world.users["coordinator_x"]
    before = {name: len(notices_of(u)) for name, u in world.users.items()}
    service.invite_participant(coordinator, ini, firms["Bank"], "funder")
    db.session.commit()
    assert not service.answers_itself(firms["Bank"])
    after = {name: len(notices_of(u)) for name, u in world.users.items()}
    # coordinator_x convenes (node X); coordinator_y (node Y) and the members hear nothing
    assert {name for name in after if after[name] != before[name]} == {"coordinator_x"}
    notice = notices_of(coordinator)[-1]
    assert notice.kind == "invitation_no_users" and notice.params["org"] == "Bank"
    # an organisation with users is told itself, the coordinators are not
    service.invite_participant(coordinator, ini, world.org_b, "partner")
    assert service.answers_itself(world.org_b)
    assert notices_of(world.users["member_b"])[-1].kind == "invitation"
    assert len(notices_of(coordinator)) == after["coordinator_x"]


def test_coordinator_records_the_answer_and_can_give_a_share(world, freight):
    ini, firms = freight
    coordinator = world.users["coordinator_x"]
    participants = {name: service.invite_participant(coordinator, ini, org, "partner") for name, org in firms.items()}
    today = utcnow().date()
    service.record_answer(coordinator, participants["Bank"], True, today.isoformat(), "email from CEO 3 May")
    service.record_answer(coordinator, participants["Tyres"], False, today, "phone call with the director")
    db.session.commit()
    bank = participants["Bank"]
    assert bank.invitation_status == "accepted" and bank.responded_at.date() == today
    assert bank.answer_how == "email from CEO 3 May" and bank.answer_recorded_by_id == coordinator.id
    assert participants["Tyres"].invitation_status == "declined"
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity_type == "participants", AuditEvent.entity_id == bank.id,
                                 AuditEvent.action == "update")
    )  # fmt: skip
    assert audit.actor_id == coordinator.id
    assert audit.changes["invitation_status"] == ["invited", "accepted"]
    assert audit.changes["answer_how"][1] == "email from CEO 3 May"
    # The bank now shares the credit like anyone who accepted
    lead = next(p for p in ini.participants if p.organization_id == world.org_a.id)
    shares = service.set_shares(coordinator, ini, {lead.id: "70", bank.id: "30"})
    assert shares[bank.id] == Decimal("30.00")
    assert {c.participant.organization.name for c in outcomes.roll_up(ini).credits} >= {"Bank"}


@pytest.mark.parametrize("who", ["coordinator_y", "member_a", "member_b", "viewer"])
def test_only_a_coordinator_of_the_initiative_records_answers(world, freight, who):
    ini, firms = freight
    invited = service.invite_participant(world.users["coordinator_x"], ini, firms["Certifier"], "technical")
    with pytest.raises(PermissionDenied):
        service.record_answer(world.users[who], invited, True, utcnow().date(), "told me so")
    assert invited.invitation_status == "invited"


def test_an_organisation_with_users_answers_itself(world, freight):
    ini, _firms = freight
    invited = service.invite_participant(world.users["coordinator_x"], ini, world.org_b, "partner")
    with pytest.raises(ValidationError) as raised:
        service.record_answer(world.users["coordinator_x"], invited, True, utcnow().date(), "they said yes")
    assert "answer the invitation themselves" in raised.value.errors[""][0]
    assert invited.invitation_status == "invited"


@pytest.mark.parametrize(
    ("day", "how", "field"),
    [
        (lambda today: today + timedelta(days=1), "email", "answered_on"),
        (lambda today: date(2000, 1, 1), "email", "answered_on"),  # before the invitation
        (lambda today: "3 May", "email", "answered_on"),
        (lambda today: today, "   ", "how"),
        (lambda today: today, "x" * 301, "how"),
    ],
)
def test_an_answer_needs_a_plausible_date_and_how_it_was_given(world, freight, day, how, field):
    ini, firms = freight
    invited = service.invite_participant(world.users["coordinator_x"], ini, firms["Bank"], "funder")
    with pytest.raises(ValidationError) as raised:
        service.record_answer(world.users["coordinator_x"], invited, True, day(utcnow().date()), how)
    assert raised.value.errors[field]
    assert invited.invitation_status == "invited" and invited.answer_how is None


def test_an_answer_is_recorded_once(world, freight):
    ini, firms = freight
    coordinator = world.users["coordinator_x"]
    invited = service.invite_participant(coordinator, ini, firms["Bank"], "funder")
    service.record_answer(coordinator, invited, False, utcnow().date(), "letter")
    with pytest.raises(ValidationError):
        service.record_answer(coordinator, invited, True, utcnow().date(), "changed its mind")
    assert invited.invitation_status == "declined"


def test_coordinator_changes_a_role(world, freight):
    ini, firms = freight
    coordinator = world.users["coordinator_x"]
    invited = service.invite_participant(coordinator, ini, firms["Certifier"], "partner")
    service.change_participant_role(coordinator, invited, "technical")
    assert invited.role == "technical"
    with pytest.raises(ValidationError):
        service.change_participant_role(coordinator, invited, "boss")
    for who in ("coordinator_y", "member_a"):
        with pytest.raises(PermissionDenied):
            service.change_participant_role(world.users[who], invited, "observer")
    assert invited.role == "technical"


def test_a_project_a_member_links_counts_once_a_coordinator_confirms(world, freight):
    ini, _firms = freight
    member = world.users["member_a"]
    f.outcome(world.project_a, "100")
    link = service.link_project(member, ini, world.project_a)
    db.session.commit()
    assert link.status == "proposed"
    rollup = outcomes.roll_up(ini)
    assert rollup.total.tco2e_total == 0 and rollup.projects[0].proposed and not rollup.projects[0].counted
    assert outcomes.network_totals().projects == 0
    assert notices_of(world.users["coordinator_x"])[-1].kind == "project_link_proposed"
    for who in ("member_a", "member_b", "coordinator_y"):
        with pytest.raises(PermissionDenied):
            service.confirm_project_link(world.users[who], ini, world.project_a)
    service.confirm_project_link(world.users["coordinator_x"], ini, world.project_a)
    db.session.commit()
    assert link.status == "confirmed" and link.confirmed_by_id == world.users["coordinator_x"].id
    assert outcomes.roll_up(ini).total.tco2e_estimated == Decimal("100")
    assert outcomes.network_totals().projects == 1


def test_a_coordinator_links_a_project_confirmed_at_once(world, freight):
    ini, _firms = freight
    link = service.link_project(world.users["coordinator_x"], ini, world.project_a)
    assert link.status == "confirmed"


# ------------------------------------------------------------------------------------------- pages


def test_invite_page_says_nobody_was_notified(world, freight, client_as):
    ini, firms = freight
    client = client_as("coordinator_x")
    response = client.post(f"/initiatives/{ini.slug}/invite", data={"organization": firms["Bank"].slug, "role": "funder"},
                           follow_redirects=True)  # fmt: skip
    html = response.get_data(as_text=True)
    assert "its members were notified" not in html
    assert "has no user account here" in html
    assert 'data-testid="answer-for"' in html  # the form to record its answer


def test_recorded_answer_is_shown_on_the_initiative_page(world, freight, client_as):
    ini, firms = freight
    client = client_as("coordinator_x")
    invited = service.invite_participant(world.users["coordinator_x"], ini, firms["Bank"], "funder")
    db.session.commit()
    response = client.post(f"/initiatives/{ini.slug}/participants/{invited.id}/answer", data={
        "answer": "accepted", "answered_on": utcnow().date().isoformat(), "how": "email from CEO 3 May"})  # fmt: skip
    assert response.status_code == 302
    html = client.get(f"/initiatives/{ini.slug}").get_data(as_text=True)
    assert "answer recorded by Xavier: email from CEO 3 May" in html
    assert "recorded on its behalf: email from CEO 3 May" in html  # the history of participation
    # another node's coordinator cannot, even by posting
    other = client_as("coordinator_y")
    late = service.invite_participant(world.users["coordinator_x"], ini, firms["Tyres"], "partner")
    db.session.commit()
    response = other.post(f"/initiatives/{ini.slug}/participants/{late.id}/answer", data={
        "answer": "accepted", "answered_on": utcnow().date().isoformat(), "how": "trust me"})  # fmt: skip
    assert response.status_code == 403
