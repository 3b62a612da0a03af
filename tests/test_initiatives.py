"""Initiatives: creating and editing, the invitation workflow, permissions (attacks included), pages."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from network.extensions import db
from network.models import AuditEvent, Initiative, InitiativeProject, Notification, Participant, utcnow
from network.services import Conflict, PermissionDenied, ValidationError, notifications
from network.services import initiatives as service
from tests import factories as f


@pytest.fixture
def initiative(world):
    """Convened by node X (coordinator_x manages it); nobody invited yet."""
    ini = f.initiative("Road freight programme", network=world.x, slug="road-freight", target_tco2e=Decimal("1000"))
    db.session.commit()
    return ini


def values(**extra):
    base = {"title": "Clean trucks", "status": "active", "themes": ["transport"], "regions": ["KE", "142"],
            "target_tco2e": "500", "target_people": "1000"}  # fmt: skip
    base.update(extra)
    return base


# ---------------------------------------------------------------------------------- create / edit


def test_coordinator_creates_initiative_in_own_node(world):
    coordinator = world.users["coordinator_x"]
    ini = service.create_initiative(coordinator, values(
        title_local="清洁卡车", targets=[{"label": "Trucks retrofitted", "unit": "trucks", "value": "500"}],
        start_date="2025-01-01", end_date="2026-12-31"))  # fmt: skip
    db.session.commit()
    assert ini.slug == "clean-trucks"
    assert ini.network == world.x  # convened in the coordinator's node, so they keep managing it
    assert [t.slug for t in ini.themes] == ["transport"]
    assert {r.code for r in ini.regions} == {"KE", "142"}
    assert ini.target_tco2e == Decimal("500") and ini.target_people == 1000
    assert [(t.label, t.unit, t.value) for t in ini.targets] == [("Trucks retrofitted", "trucks", Decimal("500"))]
    assert service.create_initiative(coordinator, values()).slug == "clean-trucks-2"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"target_tco2e": "-1"}, "target_tco2e"),
        ({"target_people": "-5"}, "target_people"),
        ({"target_people": "1.5"}, "target_people"),
        ({"target_tco2e": "lots"}, "target_tco2e"),
        ({"start_date": "2026-01-01", "end_date": "2025-01-01"}, "end_date"),
        ({"title": "  "}, "title"),
        ({"status": "paused"}, "status"),
        ({"themes": ["no-such-theme"]}, "themes"),
        ({"regions": ["ZZ"]}, "regions"),
        ({"targets": [{"label": "Trucks", "unit": "trucks", "value": "-3"}]}, "targets"),
        ({"targets": [{"label": "", "unit": "trucks", "value": "3"}]}, "targets"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(world, bad, field):
    with pytest.raises(ValidationError) as raised:
        service.create_initiative(world.users["coordinator_x"], values(**bad))
    assert raised.value.errors[field]
    assert db.session.scalar(select(Initiative).where(Initiative.title == "Clean trucks")) is None


def test_members_and_viewers_cannot_create(world):
    for role in ("member_a", "viewer"):
        with pytest.raises(PermissionDenied):
            service.create_initiative(world.users[role], values())


def test_coordinator_outside_scope_cannot_edit_or_invite(world, initiative):
    outsider = world.users["coordinator_y"]
    with pytest.raises(PermissionDenied):
        service.update_initiative(outsider, initiative, values(), initiative.version)
    with pytest.raises(PermissionDenied):
        service.invite_participant(outsider, initiative, world.org_b)
    with pytest.raises(PermissionDenied):
        service.set_shares(outsider, initiative, {})
    assert initiative.participants == []


def test_coordinator_of_a_lead_participants_node_manages(world):
    """Not convened by Y, but a lead participant is a member of Y: Y's coordinator manages it."""
    ini = f.initiative("Led from Y")
    f.participant(ini, world.org_b, role="lead")
    assert service.invite_participant(world.users["coordinator_y"], ini, world.org_a).invitation_status == "invited"


def test_stale_edit_is_a_conflict(world, initiative):
    old_version = initiative.version
    service.update_initiative(world.users["coordinator_x"], initiative, values(title="First"), old_version)
    with pytest.raises(Conflict):
        service.update_initiative(world.users["coordinator_x"], initiative, values(title="Second"), old_version)
    assert initiative.title == "First"


# -------------------------------------------------------------------------------- invitation flow


def test_invitation_workflow_states_notices_and_history(world, initiative):
    coordinator, member = world.users["coordinator_x"], world.users["member_b"]
    p = service.invite_participant(coordinator, initiative, world.org_b, "partner")
    db.session.commit()
    assert p.invitation_status == "invited"
    notices = db.session.scalars(select(Notification).where(Notification.user_id == member.id)).all()
    assert len(notices) == 1 and "Road freight programme" in notifications.text_of(notices[0])
    assert notices[0].link == "/initiatives/road-freight"

    service.respond_to_invitation(member, p, accept=True)
    assert p.invitation_status == "accepted" and p.responded_at is not None
    with pytest.raises(ValidationError, match="already answered"):
        service.respond_to_invitation(member, p, accept=True)

    service.leave_initiative(member, p)
    assert p.invitation_status == "left"
    with pytest.raises(ValidationError):
        service.leave_initiative(member, p)

    # Invited again after leaving: the same row, a new round.
    again = service.invite_participant(coordinator, initiative, world.org_b, "technical")
    assert again.id == p.id and again.invitation_status == "invited" and again.role == "technical"
    service.respond_to_invitation(member, p, accept=False)
    assert p.invitation_status == "declined"
    db.session.commit()

    statuses = [
        e.changes.get("invitation_status", [None, None])[1] for e in service.participant_history(initiative).items
    ]
    assert statuses[:5] == ["declined", "invited", "left", "accepted", "invited"]
    # The coordinator who invited was told of the answers.
    notices = db.session.scalars(select(Notification).where(Notification.user_id == coordinator.id)).all()
    answers = [notifications.text_of(n) for n in notices]
    assert any("accepted" in m for m in answers) and any("declined" in m for m in answers)


def test_invitation_mails_the_members(world, initiative, app):
    from network.services.mail import outbox_messages

    service.invite_participant(world.users["coordinator_x"], initiative, world.org_b)
    db.session.commit()
    mails = [m for m in outbox_messages() if m["To"] == "member-b@example.org"]
    assert len(mails) == 1 and "Road freight programme" in mails[0]["Subject"]


def test_cannot_invite_archived_or_already_in(world, initiative):
    coordinator = world.users["coordinator_x"]
    archived = f.organization("Gone NGO", networks=[world.x1])
    archived.archived_at = utcnow()
    with pytest.raises(ValidationError, match="archived"):
        service.invite_participant(coordinator, initiative, archived)
    service.invite_participant(coordinator, initiative, world.org_a)
    with pytest.raises(ValidationError, match="already invited"):
        service.invite_participant(coordinator, initiative, world.org_a)
    service.respond_to_invitation(world.users["member_a"], initiative.participants[0], True)
    with pytest.raises(ValidationError, match="already accepted"):
        service.invite_participant(coordinator, initiative, world.org_a)
    with pytest.raises(ValidationError):
        service.invite_participant(coordinator, initiative, world.org_b, "boss")
    assert len(db.session.scalars(select(Participant)).all()) == 1


def test_member_of_b_cannot_accept_a_invitation(world, initiative):
    p = service.invite_participant(world.users["coordinator_x"], initiative, world.org_a)
    with pytest.raises(PermissionDenied, match="Organisation A"):
        service.respond_to_invitation(world.users["member_b"], p, accept=True)
    with pytest.raises(PermissionDenied):
        service.respond_to_invitation(world.users["viewer"], p, accept=True)
    # Answering "for another organisation" is refused even by the right member.
    with pytest.raises(ValidationError, match="not for Organisation B"):
        service.respond_to_invitation(world.users["member_a"], p, accept=True, organization=world.org_b)
    assert p.invitation_status == "invited"


def test_member_cannot_remove_others_or_manage(world, initiative):
    p_a = f.participant(initiative, world.org_a)
    f.participant(initiative, world.org_b)
    with pytest.raises(PermissionDenied):
        service.remove_participant(world.users["member_b"], p_a)
    with pytest.raises(PermissionDenied):
        service.invite_participant(world.users["member_a"], initiative, world.org_b)
    service.remove_participant(world.users["coordinator_x"], p_a)
    assert p_a.invitation_status == "removed"


# ------------------------------------------------------------------------------- linked projects


def test_member_links_own_project_only_after_accepting(world, initiative):
    member = world.users["member_a"]
    p = service.invite_participant(world.users["coordinator_x"], initiative, world.org_a)
    with pytest.raises(ValidationError, match="accepted"):
        service.link_project(member, initiative, world.project_a)
    service.respond_to_invitation(member, p, True)
    service.link_project(member, initiative, world.project_a)
    with pytest.raises(ValidationError, match="already linked"):
        service.link_project(member, initiative, world.project_a)
    # Not its own project (B is not even taking part): refused.
    with pytest.raises(PermissionDenied):
        service.link_project(member, initiative, world.project_b)
    # B's member, not participating: refused too.
    with pytest.raises(PermissionDenied):
        service.link_project(world.users["member_b"], initiative, world.project_b)
    assert [link.project for link in db.session.scalars(select(InitiativeProject))] == [world.project_a]
    service.unlink_project(member, initiative, world.project_a)
    assert db.session.scalars(select(InitiativeProject)).all() == []


def test_shares_must_sum_to_100(world, initiative):
    coordinator = world.users["coordinator_x"]
    lead = f.participant(initiative, world.org_a, role="lead")
    partner = f.participant(initiative, world.org_b, role="partner")
    funder = f.participant(initiative, f.organization("Bank", kind="company"), role="funder")
    assert service.effective_shares(initiative) == {lead.id: 50, partner.id: 50, funder.id: 0}
    with pytest.raises(ValidationError, match="add up to 100; they add up to 90"):
        service.set_shares(coordinator, initiative, {lead.id: "60", partner.id: "30"})
    assert lead.share is None  # nothing half-saved
    with pytest.raises(ValidationError):
        service.set_shares(coordinator, initiative, {lead.id: "-10", partner.id: "110"})
    service.set_shares(coordinator, initiative, {lead.id: "60", partner.id: "30", funder.id: "10"})
    assert service.effective_shares(initiative) == {lead.id: 60, partner.id: 30, funder.id: 10}
    with pytest.raises(PermissionDenied):
        service.set_shares(world.users["member_a"], initiative, {lead.id: "100"})
    # Leaving resets the custom split (the rest no longer adds up to 100).
    service.leave_initiative(world.users["member_b"], partner)
    assert service.effective_shares(initiative) == {lead.id: 100, funder.id: 0}


# ------------------------------------------------------------------------------------------ pages


def test_pages_for_each_role(world, initiative, client_as):
    f.participant(initiative, world.org_a, role="lead")
    invited = f.participant(initiative, world.org_b, status="invited")
    db.session.commit()
    anonymous = client_as("anonymous").get("/initiatives/road-freight")
    assert anonymous.status_code == 200 and b"Organisation A" in anonymous.data
    assert b"Suggested partners" not in anonymous.data
    # Invitations are the business of the initiative's coordinators and participants.
    assert b"Organisation B" not in anonymous.data and b'id="history"' not in anonymous.data
    assert b"Organisation B" not in client_as("viewer").get("/initiatives/road-freight/participants.csv").data
    coordinator = client_as("coordinator_x").get("/initiatives/road-freight")
    assert b"Invite an organisation" in coordinator.data and b"Suggested partners" in coordinator.data
    member_b = client_as("member_b").get("/initiatives/road-freight")
    assert b'data-testid="invitation"' in member_b.data and b'id="history"' in member_b.data
    assert f"/participants/{invited.id}/accept".encode() in member_b.data
    assert b"Invite an organisation" not in member_b.data
    assert client_as("viewer").get("/initiatives").status_code == 200
    assert client_as("viewer").get("/initiatives/nope").status_code == 404


def test_member_of_b_posting_to_a_invitation_gets_403(world, initiative, client_as):
    p = f.participant(initiative, world.org_a, status="invited")
    db.session.commit()
    response = client_as("member_b").post(f"/initiatives/road-freight/participants/{p.id}/accept")
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Participant, p.id).invitation_status == "invited"


def test_accept_twice_through_the_page_flashes_a_message(world, initiative, client_as):
    p = f.participant(initiative, world.org_a, status="invited")
    db.session.commit()
    member = client_as("member_a")
    assert member.post(f"/initiatives/road-freight/participants/{p.id}/accept").status_code == 302
    again = member.post(f"/initiatives/road-freight/participants/{p.id}/accept", follow_redirects=True)
    assert b"already answered" in again.data


def test_create_form_shows_field_messages(world, client_as):
    client = client_as("coordinator_x")
    response = client.post("/initiatives/new", data={"title": "T", "status": "active", "target_tco2e": "-4",
                                                     "start_date": "2026-02-01", "end_date": "2026-01-01"})  # fmt: skip
    assert response.status_code == 422
    assert b"Must not be negative." in response.data and b"Must not be before the start date." in response.data
    assert db.session.scalar(select(Initiative)) is None
    ok = client.post("/initiatives/new", data={"title": "Cold chain", "status": "active", "target_tco2e": "10",
                                               "custom_targets": "Fridges; units; 40; 3"})  # fmt: skip
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/initiatives/cold-chain")
    created = db.session.scalar(select(Initiative))
    assert created.targets[0].achieved == Decimal("3")


def test_add_to_initiative_from_organisation_page(world, initiative, client_as):
    client = client_as("coordinator_x")
    form = client.get("/initiatives/add?organization=org-b")
    assert form.status_code == 200 and b"Road freight programme" in form.data
    response = client.post("/initiatives/add?organization=org-b", data={"initiative": "road-freight", "role": "funder"})
    assert response.status_code == 302
    p = db.session.scalar(select(Participant))
    assert (p.organization_id, p.role, p.invitation_status) == (world.org_b.id, "funder", "invited")
    assert client_as("member_a").get("/initiatives/add?organization=org-b").status_code == 403


def test_notifications_page_and_mark_read(world, initiative, client_as):
    service.invite_participant(world.users["coordinator_x"], initiative, world.org_b)
    db.session.commit()
    client = client_as("member_b")
    page = client.get("/notifications")
    assert b"Road freight programme" in page.data and b"notice-unread" in page.data
    client.post("/notifications/read")
    assert b"notice-unread" not in client.get("/notifications").data
    assert client_as("anonymous").get("/notifications").status_code in (302, 401)


def test_csv_export_escapes_formulas(world, initiative, client_as):
    evil = f.organization('=HYPERLINK("http://x")', slug="evil")
    f.participant(initiative, evil)
    project = f.project(evil, "+cmd|' /C calc'!A0")
    f.outcome(project, "5", method="@SUM(1)")
    db.session.add(InitiativeProject(initiative=initiative, project=project))
    db.session.commit()
    client = client_as("viewer")
    participants = client.get("/initiatives/road-freight/participants.csv").data.decode()
    assert "'=HYPERLINK" in participants and "\n=HYPERLINK" not in participants
    rows = client.get("/initiatives/road-freight/outcomes.csv").data.decode()
    assert "'+cmd" in rows and "'@SUM(1)" in rows
    assert client_as("anonymous").get("/initiatives/road-freight/outcomes.csv").status_code in (302, 401)


def test_detail_page_queries_do_not_grow_with_participants(world, initiative, client_as, count_queries):
    client = client_as("coordinator_x")

    def add_participant_with_project(org):
        f.participant(initiative, org)
        project = f.project(org, countries=["KE"], themes=["transport"])
        f.outcome(project, "10")
        db.session.add(InitiativeProject(initiative=initiative, project=project))

    add_participant_with_project(world.org_a)
    db.session.commit()
    few = count_queries.get(client, "/initiatives/road-freight")
    for n in range(6):
        add_participant_with_project(f.organization(f"Extra {n}", networks=[world.x1], themes=["transport"]))
    db.session.commit()
    assert count_queries.get(client, "/initiatives/road-freight") == few


def test_audit_records_the_actor(world, initiative, client_as):
    p = f.participant(initiative, world.org_a, status="invited")
    db.session.commit()
    client_as("member_a").post(f"/initiatives/road-freight/participants/{p.id}/accept")
    event_row = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity_type == "participants", AuditEvent.entity_id == p.id,
                                 AuditEvent.action == "update")
    )  # fmt: skip
    assert event_row.actor_id == world.users["member_a"].id


def test_organisation_page_offers_add_graph_and_activity(world, client_as):
    f.partnership(world.org_a, f.organization("Tyre Maker", kind="company"))
    db.session.commit()
    coordinator = client_as("coordinator_x").get("/organizations/org-a").data.decode()
    assert 'data-testid="add-to-initiative"' in coordinator
    assert "/organizations/org-a/graph.json" in coordinator
    assert 'id="activity"' in coordinator
    viewer = client_as("viewer").get("/organizations/org-a").data.decode()
    assert 'data-testid="add-to-initiative"' not in viewer and 'id="activity"' not in viewer
    assert "/organizations/org-a/graph.json" in viewer


def test_activity_log_on_initiative_and_organisation(world, initiative, client_as):
    coordinator = client_as("coordinator_x")
    response = coordinator.post("/initiatives/road-freight/activities",
                                data={"kind": "meeting", "subject": "Kick-off with the freight platform",
                                      "occurred_on": "2026-03-02", "body": "Agreed on the targets."})  # fmt: skip
    assert response.status_code == 302
    assert b"Kick-off with the freight platform" in coordinator.get("/initiatives/road-freight").data
    # Not visible to a viewer, nor to a member whose organisation is not taking part.
    assert b"Kick-off" not in client_as("viewer").get("/initiatives/road-freight").data
    assert b"Kick-off" not in client_as("member_b").get("/initiatives/road-freight").data
    f.participant(initiative, world.org_b)
    db.session.commit()
    assert b"Kick-off" in client_as("member_b").get("/initiatives/road-freight").data
    # Members cannot write on the initiative's log; bad kinds are refused.
    assert client_as("member_b").post("/initiatives/road-freight/activities",
                                      data={"kind": "note", "subject": "x"}).status_code == 403  # fmt: skip
    from network.services import activities

    with pytest.raises(ValidationError):
        activities.record_activity(world.users["coordinator_x"], initiative, {"kind": "party", "subject": ""})
    # On an organisation: its own members and its coordinators record and read.
    assert client_as("member_a").post("/organizations/org-a/activities",
                                      data={"kind": "call", "subject": "Called about the audit"}).status_code == 302  # fmt: skip
    assert b"Called about the audit" in client_as("coordinator_x").get("/organizations/org-a").data
    assert client_as("member_b").post("/organizations/org-a/activities",
                                      data={"kind": "call", "subject": "Snooping"}).status_code == 403  # fmt: skip
    assert b"Called about the audit" not in client_as("viewer").get("/organizations/org-a").data


def test_notices_indicator_counts_unread(world, initiative, client_as):
    service.invite_participant(world.users["coordinator_x"], initiative, world.org_b)
    db.session.commit()
    page = client_as("member_b").get("/initiatives").data.decode()
    assert 'data-testid="unread-count">1<' in page


def test_directory_results_offer_add_to_initiative(world, client_as):
    page = client_as("coordinator_x").get("/organizations").data.decode()
    assert "/initiatives/add?organization=org-a" in page
    assert "/initiatives/add?organization=" not in client_as("viewer").get("/organizations").data.decode()


def test_edit_page_round_trip_and_stale_version(world, initiative, client_as):
    client = client_as("coordinator_x")
    form = client.get("/initiatives/road-freight/edit")
    assert form.status_code == 200 and b"Road freight programme" in form.data
    data = {"title": "Road freight programme", "status": "active", "target_tco2e": "1200", "themes": ["transport"],
            "regions": ["KE"], "custom_targets": "Trucks; trucks; 50", "version": str(initiative.version)}  # fmt: skip
    assert client.post("/initiatives/road-freight/edit", data=data).status_code == 302
    db.session.expire_all()
    saved = db.session.scalar(select(Initiative))
    assert saved.target_tco2e == Decimal("1200") and [t.label for t in saved.targets] == ["Trucks"]
    # The same (now stale) version again: an edit conflict, nothing saved.
    stale = client.post("/initiatives/road-freight/edit", data=dict(data, target_tco2e="5"))
    assert stale.status_code == 409
    db.session.expire_all()
    assert db.session.scalar(select(Initiative)).target_tco2e == Decimal("1200")
    assert client_as("coordinator_y").get("/initiatives/road-freight/edit").status_code == 403
    bad = client.post("/initiatives/road-freight/edit", data=dict(data, version=str(saved.version),
                                                                  custom_targets="Trucks; trucks; -1"))  # fmt: skip
    assert bad.status_code == 422 and b"Line 1" in bad.data


def test_bad_query_parameters_and_ids(world, initiative, client_as):
    client = client_as("coordinator_x")
    assert client.get("/initiatives?page=abc&status=bogus").status_code == 200
    assert client.get("/initiatives?page=-1").status_code == 200
    assert client.post("/initiatives/road-freight/participants/999/accept").status_code == 404
    assert (
        client.post("/initiatives/road-freight/invite", data={"organization": "nope", "role": "lead"}).status_code
        == 404
    )
    assert client.post("/initiatives/road-freight/projects", data={"project": "x"}).status_code == 404
    shares = client.post("/initiatives/road-freight/shares", data={"share-abc": "1"}, follow_redirects=True)
    assert shares.status_code == 200


def test_archive_and_restore(world, initiative, client_as):
    coordinator = client_as("coordinator_x")
    assert client_as("coordinator_y").post("/initiatives/road-freight/archive").status_code == 403
    assert coordinator.post("/initiatives/road-freight/archive").status_code == 302
    assert b"Road freight programme" not in client_as("viewer").get("/initiatives").data
    assert client_as("viewer").get("/initiatives/road-freight").status_code == 404
    assert b"/initiatives/road-freight/restore" in coordinator.get("/initiatives/road-freight").data
    # A second click of Archive (a double submit) leaves it archived and says so.
    again = coordinator.post("/initiatives/road-freight/archive", follow_redirects=True)
    assert b"already archived" in again.data
    assert client_as("viewer").get("/initiatives/road-freight").status_code == 404
    assert client_as("coordinator_y").post("/initiatives/road-freight/restore").status_code == 403
    assert coordinator.post("/initiatives/road-freight/restore").status_code == 302
    assert client_as("viewer").get("/initiatives/road-freight").status_code == 200
    assert b"not archived" in coordinator.post("/initiatives/road-freight/restore", follow_redirects=True).data
    assert client_as("viewer").get("/initiatives/road-freight").status_code == 200


def test_invitation_mail_links_to_the_page(world, initiative, client):
    from network.services.mail import outbox_messages

    with client.application.test_request_context():
        service.invite_participant(world.users["coordinator_x"], initiative, world.org_b)
    db.session.commit()
    [mail] = outbox_messages()
    assert "http://localhost/initiatives/road-freight" in mail.get_content()


def test_participation_history_shows_a_page_of_labelled_changes_and_pages_to_the_rest(world, initiative, client):
    """The initiative page shows the newest 50 changes to its participants, with the statuses'
    labels (not their codes) and dates in the reader's language; "Older" pages to the rest, and
    "Newest" comes back."""
    from datetime import UTC, datetime, timedelta

    from tests.conftest import login

    p = f.participant(initiative, world.org_a, "partner", "invited")
    start = datetime(2025, 3, 1, 9, tzinfo=UTC)
    for n in range(60):  # 60 answers, then withdrawals of them, oldest first (plus the invitation)
        old, new = ("invited", "declined") if n % 2 == 0 else ("declined", "invited")
        db.session.add(AuditEvent(at=start + timedelta(hours=n), action="update", entity_type="participants",
                                  entity_id=p.id, changes={"invitation_status": [old, new]}))  # fmt: skip
    db.session.commit()
    login(client, world.users["coordinator_x"])

    first = client.get("/initiatives/road-freight").get_data(as_text=True)
    history = first.split('data-testid="history"')[1].split("</ul>")[0]
    assert history.count("<li") == 50
    assert "Invited → Declined" in history and "invited →" not in history  # labels, not codes
    assert "Mar 3, 2025" in history  # the newest (hour 59: 3 March, 20:00) in the reader's format
    older = re.search(r'href="([^"]+)"[^>]*data-testid="history-older"', first).group(1).replace("&amp;", "&")
    assert older.endswith("#history") and "before=" in older

    rest = client.get(older).get_data(as_text=True)
    history = rest.split('data-testid="history"')[1].split("</ul>")[0]
    assert history.count("<li") == 11  # the 10 oldest answers and the invitation
    assert 'data-testid="history-older"' not in rest and 'data-testid="history-newest"' in rest

    chinese = client.get(older, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "2025年3月1日" in chinese.split('data-testid="history"')[1].split("</ul>")[0]
