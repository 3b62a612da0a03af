"""The audit trail: a row for every kind of change with its actor and diff; History tabs of
organisations, projects and partnerships; the admin-wide log and its filters."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from network.errors import PermissionDenied
from network.extensions import db
from network.models import AuditEvent, utcnow
from network.services import archiving, history, partnerships, projects
from network.services import organizations as orgs


def events(entity_type: str, entity_id: int) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def test_every_kind_of_change_is_recorded_with_its_actor(world, db_session):
    coordinator, member = world.users["coordinator_x"], world.users["member_a"]
    org = orgs.create_organization(coordinator, {"name": "Audit Me", "hq_country": "IN"}, world.x1)
    orgs.update_organization(coordinator, org, {"acronym": "AM", "themes": ["water"]}, org.version)
    archiving.archive(coordinator, org)
    archiving.restore(coordinator, org)
    request = orgs.propose_profile_change(member, world.org_a, {"name": "A renamed"}, world.org_a.version)
    orgs.review_change_request(coordinator, request, True, "ok")
    db_session.commit()

    rows = events("organizations", org.id)
    assert [(e.action, e.actor_id) for e in rows] == [
        ("create", coordinator.id), ("update", coordinator.id), ("archive", coordinator.id), ("restore", coordinator.id)
    ]  # fmt: skip
    assert rows[0].changes["name"] == [None, "Audit Me"]
    assert rows[1].changes == {"acronym": [None, "AM"], "themes": [[], ["water"]]}
    assert rows[2].changes["archived_at"][0] is None and rows[3].changes["archived_at"][1] is None
    request_rows = events("change_requests", request.id)
    assert [(e.action, e.actor_id) for e in request_rows] == [("create", member.id), ("approved", coordinator.id)]
    applied = events("organizations", world.org_a.id)[-1]
    assert (applied.action, applied.actor_id, applied.changes) == (
        "update", coordinator.id, {"name": ["Organisation A", "A renamed"]})  # fmt: skip


def test_projects_outcomes_people_and_partnerships_are_recorded(world, db_session):
    member = world.users["member_a"]
    project = projects.create_project(member, world.org_a, {"title": "Audited", "participants": [
        {"organization": "org-b", "role": "funder"}]})  # fmt: skip
    report = projects.create_outcome(member, project, {"period_start": "2024-01-01", "period_end": "2024-12-31",
                                                       "tco2e_reduced": "10"})  # fmt: skip
    projects.update_outcome(member, report, {"tco2e_reduced": "12.5"}, report.version)
    person = orgs.create_person(member, world.org_a, {"name": "Ann"})
    archiving.archive(member, person)
    partnership = partnerships.create_partnership(member, world.org_a, {"partner": "org-b", "kind": "funding"})
    archiving.archive(member, partnership)
    archiving.restore(member, partnership)
    db_session.commit()
    assert [e.action for e in events("projects", project.id)] == ["create"]
    assert [e.action for e in events("outcome_reports", report.id)] == ["create", "update"]
    old, new = events("outcome_reports", report.id)[1].changes["tco2e_reduced"]
    assert (Decimal(old), new) == (Decimal(10), "12.5")
    assert [e.action for e in events("people", person.id)] == ["create", "archive"]
    assert [e.action for e in events("partnerships", partnership.id)] == ["create", "archive", "restore"]
    assert {e.actor_id for e in db_session.scalars(select(AuditEvent).where(AuditEvent.at >= project.created_at))} == {
        member.id
    }


def test_changes_made_through_the_pages_name_the_logged_in_user(world, client_as, db_session):
    client_as("coordinator_x").post("/organizations/org-a/edit", data={
        "version": "1", "name": "Organisation A", "kind": "ngo", "hq_country": "IN"})  # fmt: skip
    row = events("organizations", world.org_a.id)[-1]
    assert row.actor_id == world.users["coordinator_x"].id
    assert row.changes["hq_country_id"][1] == db_session.scalar(select(world.org_a.__class__.hq_country_id).where(
        world.org_a.__class__.id == world.org_a.id))  # fmt: skip


def test_organisation_history_tab(world, client_as, db_session):
    coordinator, member = world.users["coordinator_x"], world.users["member_a"]
    orgs.update_organization(coordinator, world.org_a, {"hq_country": "IN", "website": "a.example.org"}, 1)
    orgs.create_person(member, world.org_a, {"name": "Priya"})
    orgs.propose_profile_change(member, world.org_a, {"acronym": "OA"}, world.org_a.version)
    db_session.commit()
    page = client_as("member_a").get("/organizations/org-a/history")
    assert page.status_code == 200
    html = page.data.decode()
    assert html.count('data-testid="history-event"') == 5  # created, membership, edit, person, change request
    assert "https://a.example.org" in html and "Priya" in html and "Change request" in html
    assert '<td class="history-new">India</td>' in html  # the HQ country's id is shown as its name
    assert "Xavier" in html and "Amina Member" in html
    for role in ("viewer", "member_b", "coordinator_y", "anonymous"):
        assert client_as(role).get("/organizations/org-a/history").status_code in (302, 403), role


def test_project_and_partnership_history_tabs(world, client_as, db_session):
    member = world.users["member_a"]
    projects.update_project(member, world.project_a, {"title": "Renamed project"}, 1)
    projects.create_outcome(member, world.project_a, {"period_start": "2024-01-01", "period_end": "2024-03-31",
                                                      "people_reached": "40"})  # fmt: skip
    partnership = partnerships.create_partnership(member, world.org_a, {"partner": "org-b", "kind": "in_kind"})
    partnerships.update_partnership(member, partnership, {"status": "ended"}, partnership.version)
    db_session.commit()
    html = client_as("coordinator_x").get(f"/projects/{world.project_a.id}/history").data.decode()
    assert "Renamed project" in html and "Outcome report" in html and "40" in html
    assert client_as("member_b").get(f"/projects/{world.project_a.id}/history").status_code == 403
    # Either side of a partnership sees its history.
    html = client_as("member_b").get(f"/partnerships/{partnership.id}/history").data.decode()
    assert html.count('data-testid="history-event"') == 2 and ">Ended<" in html  # the status's label
    assert client_as("coordinator_y").get(f"/partnerships/{partnership.id}/history").status_code == 200
    assert client_as("viewer").get(f"/partnerships/{partnership.id}/history").status_code == 403


def test_history_page_queries_do_not_grow_with_its_events(world, client_as, db_session, count_queries):
    coordinator = world.users["coordinator_x"]
    client = client_as("coordinator_x")

    def add_changes(count: int) -> None:
        for n in range(count):
            orgs.create_person(coordinator, world.org_a, {"name": f"Person {n}"})
            orgs.update_organization(coordinator, world.org_a, {"acronym": f"A{n}"}, world.org_a.version)
        db_session.commit()

    add_changes(2)
    with count_queries() as few:
        assert client.get("/organizations/org-a/history").data.decode().count('data-testid="history-event"') == 6
    add_changes(15)
    with count_queries() as many:
        assert client.get("/organizations/org-a/history").data.decode().count('data-testid="history-event"') == 36
    assert len(many) == len(few)


def test_admin_audit_log_and_its_filters(world, client_as, db_session):
    coordinator, member = world.users["coordinator_x"], world.users["member_a"]
    orgs.update_organization(coordinator, world.org_a, {"acronym": "OA"}, 1)
    projects.update_project(member, world.project_a, {"title": "Filtered project"}, 1)
    db_session.commit()
    admin = client_as("admin")
    everything = admin.get("/admin/audit").data.decode()
    assert "Filtered project" in everything and "OA" in everything

    by_member = admin.get(f"/admin/audit?actor={member.id}").data.decode()
    assert "Filtered project" in by_member and ">OA<" not in by_member
    projects_only = admin.get("/admin/audit?entity=projects").data.decode()
    # Only project events (a project's "created" row names its lead organisation, so look at the kind).
    kind = '<span class="fw-semibold">Organisation</span>'
    assert kind in everything and "Filtered project" in projects_only and kind not in projects_only
    updates = admin.get("/admin/audit?action=update").data.decode()
    assert updates.count('data-action="update"') == updates.count('data-testid="history-event"') >= 2
    assert 'data-action="create"' not in updates and "Filtered project" in updates

    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    today = utcnow().date().isoformat()
    assert admin.get(f"/admin/audit?since={tomorrow}").data.decode().count('data-testid="history-event"') == 0
    assert "Filtered project" in admin.get(f"/admin/audit?since={today}&until={today}").data.decode()
    bad = admin.get("/admin/audit?since=yesterday")
    assert bad.status_code == 200 and "Not a valid date value." in bad.data.decode()

    for role in ("coordinator_x", "member_a", "viewer"):
        assert client_as(role).get("/admin/audit").status_code == 403, role


def test_audit_log_pages(world, db_session):
    coordinator = world.users["coordinator_x"]
    for n in range(60):
        orgs.update_organization(coordinator, world.org_a, {"acronym": f"A{n}"}, world.org_a.version)
    db_session.commit()
    admin = world.users["admin"]
    first = history.audit_log(admin, history.AuditFilter(actor_id=coordinator.id))
    second = history.audit_log(admin, history.AuditFilter(actor_id=coordinator.id), before=first.older)
    with pytest.raises(PermissionDenied):
        history.audit_log(coordinator, history.AuditFilter())
    assert (len(first.items), len(second.items), second.older) == (50, 10, None)
    assert first.items[0].changes["acronym"][1] == "A59"  # newest first
