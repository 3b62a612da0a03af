"""Moderated profile changes: members propose, coordinators of the organisation's nodes approve or
reject with a comment, the member sees the outcome; nothing newer is silently overwritten."""

import pytest
from sqlalchemy import select

from network.models import ChangeRequest, Notification
from network.services import Conflict, PermissionDenied, ValidationError, notifications
from network.services import organizations as orgs
from tests import factories as f


def propose(world, data=None):
    return orgs.propose_profile_change(
        world.users["member_a"], world.org_a, data or {"name": "Organisation A Kenya", "website": "a.example.org"},
        world.org_a.version,
    )  # fmt: skip


def test_a_proposal_waits_and_changes_nothing(world, db_session):
    request = propose(world)
    db_session.commit()
    assert request.status == "pending"
    assert request.changes == {"name": ["Organisation A", "Organisation A Kenya"],
                               "website": [None, "https://a.example.org"]}  # fmt: skip
    assert request.base_version == 1 and request.proposed_by_id == world.users["member_a"].id
    db_session.expire_all()
    assert world.org_a.name == "Organisation A" and world.org_a.website is None


def test_a_proposal_is_validated_and_must_change_something(world):
    with pytest.raises(ValidationError) as caught:
        propose(world, {"name": "", "email": "nope", "kind": "gang", "hq_country": "XX"})
    assert set(caught.value.errors) == {"name", "email", "kind", "hq_country"}
    with pytest.raises(ValidationError) as caught:
        propose(world, {"name": "Organisation A"})
    assert caught.value.message == "Nothing was changed."


def test_approval_applies_the_change_and_tells_the_member(world, db_session):
    request = propose(world)
    orgs.review_change_request(world.users["coordinator_x"], request, True, "Welcome news.", link="/somewhere")
    db_session.commit()
    db_session.expire_all()
    assert world.org_a.name == "Organisation A Kenya" and world.org_a.website == "https://a.example.org"
    assert (request.status, request.comment, request.reviewed_by_id) == (
        "approved", "Welcome news.", world.users["coordinator_x"].id)  # fmt: skip
    assert request.reviewed_at is not None
    notice = db_session.scalar(select(Notification).where(Notification.user_id == world.users["member_a"].id))
    assert "approved" in notifications.text_of(notice) and notice.link == "/somewhere"


def test_rejection_keeps_the_profile(world, db_session):
    request = propose(world)
    orgs.review_change_request(world.users["coordinator_x"], request, False, "Please use the registered name.")
    db_session.commit()
    db_session.expire_all()
    assert world.org_a.name == "Organisation A"
    assert (request.status, request.comment) == ("rejected", "Please use the registered name.")
    notice = db_session.scalar(select(Notification).where(Notification.user_id == world.users["member_a"].id))
    assert "rejected" in notifications.text_of(notice)


def test_who_may_review(world):
    request = propose(world)
    with pytest.raises(PermissionDenied):  # approving one's own change
        orgs.review_change_request(world.users["member_a"], request, True)
    for role in ("member_b", "viewer", "coordinator_y"):
        with pytest.raises(PermissionDenied):
            orgs.review_change_request(world.users[role], request, True)
    assert request.status == "pending"
    orgs.review_change_request(world.users["admin"], request, True)
    assert request.status == "approved"


def test_a_request_is_reviewed_once(world, app):
    """A second decision is a conflict that names the first by its label, in the reader's language."""
    from flask_babel import force_locale

    request = propose(world)
    orgs.review_change_request(world.users["coordinator_x"], request, False)
    with pytest.raises(Conflict) as conflict:
        orgs.review_change_request(world.users["admin"], request, True)
    assert request.status == "rejected"
    assert str(conflict.value) == "This change request was already rejected."  # not the code
    with app.test_request_context("/"), force_locale("zh"), pytest.raises(Conflict) as conflict:
        orgs.withdraw_change_request(world.users["member_a"], request)
    assert "（已驳回）" in str(conflict.value)


def test_approving_never_silently_overwrites_a_newer_edit(world, db_session):
    request = propose(world, {"name": "Name from the member"})
    # A coordinator renames the organisation meanwhile.
    orgs.update_organization(world.users["admin"], world.org_a, {"name": "Name from the admin"}, world.org_a.version)
    db_session.commit()
    with pytest.raises(Conflict) as caught:
        orgs.review_change_request(world.users["coordinator_x"], request, True)
    assert caught.value.current == {"name": "Name from the admin"}
    assert caught.value.submitted == {"name": "Name from the member"}
    db_session.expire_all()
    assert world.org_a.name == "Name from the admin" and request.status == "pending"
    # Having seen both, the reviewer may apply it knowingly.
    orgs.review_change_request(world.users["coordinator_x"], request, True, overwrite=True)
    assert world.org_a.name == "Name from the member" and request.status == "approved"


def test_an_edit_of_other_fields_does_not_block_approval(world, db_session):
    request = propose(world, {"acronym": "OAK"})
    orgs.update_organization(world.users["admin"], world.org_a, {"description": "New text"}, world.org_a.version)
    orgs.review_change_request(world.users["coordinator_x"], request, True)
    assert (world.org_a.acronym, world.org_a.description) == ("OAK", "New text")


def test_a_stale_proposal_is_a_conflict(world):
    orgs.update_organization(world.users["admin"], world.org_a, {"name": "Renamed"}, world.org_a.version)
    with pytest.raises(Conflict) as caught:
        orgs.propose_profile_change(world.users["member_a"], world.org_a, {"name": "Mine"}, 1)
    assert caught.value.current == {"name": "Renamed"} and caught.value.current_version == 2


def test_withdraw(world):
    request = propose(world)
    with pytest.raises(PermissionDenied):
        orgs.withdraw_change_request(world.users["member_b"], request)
    orgs.withdraw_change_request(world.users["member_a"], request)
    assert request.status == "withdrawn"
    with pytest.raises(Conflict):
        orgs.review_change_request(world.users["coordinator_x"], request, True)


def test_the_queue_holds_only_the_reviewers_organisations(world):
    request_a = propose(world)
    request_b = orgs.propose_profile_change(world.users["member_b"], world.org_b, {"acronym": "OB"}, 1)
    assert orgs.pending_change_requests(world.users["coordinator_x"]) == [request_a]
    assert orgs.pending_change_requests(world.users["coordinator_y"]) == [request_b]
    assert orgs.pending_change_requests(world.users["admin"]) == [request_a, request_b]
    assert orgs.pending_change_requests(world.users["member_a"]) == []


def test_an_organisation_in_two_nodes_is_reviewed_by_either_coordinator(world):
    f.membership(world.org_a, world.y)
    request = propose(world)
    assert orgs.pending_change_requests(world.users["coordinator_y"]) == [request]
    orgs.review_change_request(world.users["coordinator_y"], request, True)
    assert request.status == "approved"


# Through the pages ---------------------------------------------------------------------------


def test_member_proposes_coordinator_approves_member_sees_the_outcome(world, client_as, db_session):
    member = client_as("member_a")
    page = member.get("/organizations/org-a/edit")
    assert page.status_code == 200 and b"Send for approval" in page.data
    assert b'name="founded"' not in page.data  # the founding year and identifiers stay with coordinators
    response = member.post("/organizations/org-a/edit", data={
        "version": "1", "name": "Organisation A Kenya", "kind": "ngo", "hq_country": "KE", "acronym": "OAK",
    })  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"].endswith("/organizations/org-a/changes")
    request = db_session.scalar(select(ChangeRequest))
    assert request.changes == {"name": ["Organisation A", "Organisation A Kenya"], "acronym": [None, "OAK"]}
    status_page = member.get("/organizations/org-a/changes").data.decode()
    assert "Waiting for approval" in status_page and "Organisation A Kenya" in status_page

    coordinator = client_as("coordinator_x")
    queue = coordinator.get("/changes").data.decode()
    assert "Organisation A Kenya" in queue and 'data-testid="change-diff"' in queue
    assert "Organisation A Kenya" not in client_as("coordinator_y").get("/changes").data.decode()
    review = coordinator.get(f"/changes/{request.id}").data.decode()
    assert "Approve" in review and "<del" in review and "<ins" in review
    response = coordinator.post(f"/changes/{request.id}", data={"decision": "approve", "comment": "Thanks!"})
    assert response.status_code == 302
    db_session.expire_all()
    assert world.org_a.name == "Organisation A Kenya" and world.org_a.acronym == "OAK"

    status_page = member.get("/organizations/org-a/changes").data.decode()
    assert "Approved" in status_page and "Thanks!" in status_page and "Xavier" in status_page
    notice = db_session.scalar(select(Notification).where(Notification.user_id == world.users["member_a"].id))
    assert notice.link == "/organizations/org-a/changes"  # the page the review was made from links there


def test_queue_pages_are_scoped(world, client_as):
    propose(world)
    orgs.propose_profile_change(world.users["member_b"], world.org_b, {"acronym": "OB"}, 1)
    from network.extensions import db

    db.session.commit()
    x_queue = client_as("coordinator_x").get("/changes").data.decode()
    y_queue = client_as("coordinator_y").get("/changes").data.decode()
    assert "Organisation A Kenya" in x_queue and "Organisation B" not in x_queue
    assert "Organisation B" in y_queue and "Organisation A Kenya" not in y_queue
    assert client_as("member_a").get("/changes").status_code == 403
    request = db.session.scalar(select(ChangeRequest).where(ChangeRequest.organization_id == world.org_a.id))
    assert client_as("coordinator_y").get(f"/changes/{request.id}").status_code == 403
    assert client_as("member_b").get("/organizations/org-a/changes").status_code == 403


def test_member_cannot_approve_its_own_change_through_the_page(world, client_as, db_session):
    request = propose(world)
    db_session.commit()
    member = client_as("member_a")
    page = member.get(f"/changes/{request.id}").data.decode()
    assert 'value="approve"' not in page  # no button…
    response = member.post(f"/changes/{request.id}", data={"decision": "approve"})
    assert response.status_code == 403  # …and no way round it
    db_session.expire_all()
    assert request.status == "pending" and world.org_a.name == "Organisation A"


def test_reject_through_the_page_and_conflict_on_approval(world, client_as, db_session):
    first = propose(world, {"name": "First name"})
    second = propose(world, {"acronym": "OA2"})
    db_session.commit()
    coordinator = client_as("coordinator_x")
    response = coordinator.post(f"/changes/{second.id}", data={"decision": "reject", "comment": "No acronym"})
    assert response.status_code == 302
    orgs.update_organization(world.users["admin"], world.org_a, {"name": "Admin's name"}, world.org_a.version)
    db_session.commit()
    response = coordinator.post(f"/changes/{first.id}", data={"decision": "approve"})
    assert response.status_code == 409
    page = response.data.decode()
    assert 'data-testid="review-conflict"' in page and "Admin&#39;s name" in page and "First name" in page
    assert 'name="overwrite" type="hidden" value="1"' in page
    db_session.expire_all()
    assert world.org_a.name == "Admin's name"
    response = coordinator.post(f"/changes/{first.id}", data={"decision": "approve", "overwrite": "1"})
    assert response.status_code == 302
    db_session.expire_all()
    assert world.org_a.name == "First name"
    assert (first.status, second.status, second.comment) == ("approved", "rejected", "No acronym")


def test_the_organisation_page_shows_how_many_changes_wait(world, client_as, db_session):
    propose(world)
    db_session.commit()
    link = 'data-testid="change-requests-link"'
    page = client_as("member_a").get("/organizations/org-a").data.decode()
    assert link in page and '<span class="badge text-bg-warning" title="waiting for approval">1</span>' in page
    assert link not in client_as("viewer").get("/organizations/org-a").data.decode()
