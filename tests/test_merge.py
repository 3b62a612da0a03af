"""Merging a duplicate into the organisation that survives: fields, everything that points at it."""

import pytest
from sqlalchemy import select

from network.errors import Conflict, PermissionDenied, ValidationError
from network.extensions import db
from network.models import Activity, AuditEvent, Membership, Organization, Participant, Partnership, ProjectParticipant
from network.services.duplicates import merge_organizations
from tests import factories as f
from tests.conftest import login


@pytest.fixture
def pair(app):
    node, other_node = f.network("CAN Kenya", slug="can-kenya"), f.network("CAN Africa", slug="can-africa")
    survivor = f.organization("Green Earth Kenya", country="KE", themes=["energy-transition"], website=None,
                              networks=[node])  # fmt: skip
    duplicate = f.organization("GREEN EARTH KENYA LTD", country="KE", themes=["water"], countries=["UG"],
                               website="https://greenearth.ke", description="From the duplicate")  # fmt: skip
    f.membership(duplicate, node, status="applicant")  # clashes with the survivor's membership
    f.membership(duplicate, other_node, status="active")
    return node, survivor, duplicate


def test_merge_moves_everything(pair):
    node, survivor, duplicate = pair
    admin = f.user("admin")
    partner = f.organization("Solar Firm", country="KE", kind="company")
    person = f.person(duplicate, "Wanjiru")
    led = f.project(duplicate, "Solar schools")
    outcome = f.outcome(led)
    joint = f.project(partner, "Joint")
    db.session.add_all([
        ProjectParticipant(project=joint, organization=duplicate, role="partner"),
        ProjectParticipant(project=joint, organization=survivor, role="funder"),  # clash: survivor already in
    ])  # fmt: skip
    with_partner = f.partnership(partner, duplicate)
    between = f.partnership(survivor, duplicate)  # becomes meaningless
    both = f.initiative("Clean cooking")
    f.participant(both, survivor, status="invited")
    f.participant(both, duplicate, role="lead", status="accepted")  # clash: the better answer wins
    only_dup = f.initiative("Solar schools initiative")
    f.participant(only_dup, duplicate)
    member = f.user("member", organization=duplicate)
    db.session.add(Activity(kind="note", subject="Met them", organization_id=duplicate.id))
    db.session.commit()

    merge_organizations(admin, survivor, duplicate, choices={"website": "duplicate", "name": "survivor"},
                        survivor_version=survivor.version, duplicate_version=duplicate.version)  # fmt: skip
    db.session.commit()
    db.session.expire_all()

    survivor = db.session.get(Organization, survivor.id)
    duplicate = db.session.get(Organization, duplicate.id)
    assert survivor.name == "Green Earth Kenya" and survivor.website == "https://greenearth.ke"
    assert survivor.description == "From the duplicate"  # empty on the survivor: taken from the duplicate
    assert {t.slug for t in survivor.themes} == {"energy-transition", "water"}
    assert [c.code for c in survivor.countries] == ["UG"]
    assert duplicate.merged_into_id == survivor.id and duplicate.archived_at is not None

    memberships = db.session.scalars(select(Membership).where(Membership.organization_id == survivor.id)).all()
    assert sorted((m.network.slug, m.status) for m in memberships) == [
        ("can-africa", "active"),
        ("can-kenya", "active"),
    ]
    assert not db.session.scalars(select(Membership).where(Membership.organization_id == duplicate.id)).all()
    assert db.session.get(type(person), person.id).organization_id == survivor.id
    assert db.session.get(type(led), led.id).lead_organization_id == survivor.id
    assert db.session.get(type(outcome), outcome.id).project.lead_organization_id == survivor.id
    participants = db.session.scalars(select(ProjectParticipant).where(ProjectParticipant.project_id == joint.id)).all()
    assert [(p.organization_id, p.role) for p in participants] == [(survivor.id, "funder")]
    moved = db.session.get(Partnership, with_partner.id)
    assert {moved.org_a_id, moved.org_b_id} == {partner.id, survivor.id}
    assert db.session.get(Partnership, between.id).archived_at is not None
    in_both = db.session.scalars(select(Participant).where(Participant.initiative_id == both.id)).all()
    assert [(p.organization_id, p.role, p.invitation_status) for p in in_both] == [(survivor.id, "lead", "accepted")]
    assert (
        db.session.scalar(select(Participant.organization_id).where(Participant.initiative_id == only_dup.id))
        == survivor.id
    )
    assert db.session.get(type(member), member.id).organization_id == survivor.id
    assert db.session.scalar(select(Activity.organization_id)) == survivor.id

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "organizations",
                                                         AuditEvent.entity_id == duplicate.id)).all()  # fmt: skip
    merge_event = next(e for e in events if "merged_into_id" in e.changes)
    assert merge_event.changes["merged_into_id"] == [None, survivor.id] and merge_event.actor_id == admin.id


def test_merge_checks_versions_permission_and_self(pair):
    node, survivor, duplicate = pair
    admin = f.user("admin")
    with pytest.raises(Conflict):
        merge_organizations(admin, survivor, duplicate, choices={}, survivor_version=survivor.version - 1,
                            duplicate_version=duplicate.version)  # fmt: skip
    with pytest.raises(ValidationError):
        merge_organizations(admin, survivor, survivor, choices={}, survivor_version=survivor.version,
                            duplicate_version=survivor.version)  # fmt: skip
    with pytest.raises(ValidationError):
        merge_organizations(admin, survivor, duplicate, choices={"slug": "duplicate"},
                            survivor_version=survivor.version, duplicate_version=duplicate.version)  # fmt: skip
    outsider = f.user("coordinator", networks=[f.network("Elsewhere", slug="elsewhere")])
    with pytest.raises(PermissionDenied):
        merge_organizations(outsider, survivor, duplicate, choices={}, survivor_version=survivor.version,
                            duplicate_version=duplicate.version)  # fmt: skip
    assert duplicate.merged_into_id is None


def test_merge_page(client, pair):
    node, survivor, duplicate = pair
    coordinator = f.user("coordinator", networks=[node])
    db.session.commit()
    login(client, coordinator)
    page = client.get(f"/duplicates/merge?survivor={survivor.id}&duplicate={duplicate.id}")
    assert page.status_code == 200 and "GREEN EARTH KENYA LTD" in page.text
    response = client.post(f"/duplicates/merge?survivor={survivor.id}&duplicate={duplicate.id}",
                           data={"survivor_version": survivor.version, "duplicate_version": duplicate.version,
                                 "choice-name": "duplicate"})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, survivor.id).name == "GREEN EARTH KENYA LTD"
    assert db.session.get(Organization, duplicate.id).merged_into_id == survivor.id
    # The merged-away page redirects to the survivor (the pages feature handles merged_into_id).
    detail = client.get(f"/organizations/{duplicate.slug}")
    assert detail.status_code in (301, 302) and survivor.slug in detail.headers["Location"]
    stale = client.post(f"/duplicates/merge?survivor={survivor.id}&duplicate={duplicate.id}",
                        data={"survivor_version": 1, "duplicate_version": 1})  # fmt: skip
    assert stale.status_code in (403, 409, 422)  # merged already: refused, nothing changes
