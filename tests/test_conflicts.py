"""No lost updates: a save against a stale version is a conflict showing both sides, never a silent
overwrite, whether through the services, two real database sessions, or two browsers' forms."""

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from network.extensions import db
from network.models import Organization, Project
from network.services import Conflict, ValidationError, partnerships, projects
from network.services import organizations as orgs


def test_a_stale_version_is_a_conflict_with_both_sides(world, db_session):
    admin, coordinator = world.users["admin"], world.users["coordinator_x"]
    read_version = world.org_a.version
    orgs.update_organization(admin, world.org_a, {"name": "Admin's name", "acronym": "AA"}, read_version)
    with pytest.raises(Conflict) as caught:
        orgs.update_organization(coordinator, world.org_a, {"name": "Coordinator's name"}, read_version)
    assert caught.value.current == {"name": "Admin's name"}
    assert caught.value.submitted == {"name": "Coordinator's name"}
    assert caught.value.current_version == read_version + 1
    db_session.commit()
    db_session.expire_all()
    assert (world.org_a.name, world.org_a.acronym) == ("Admin's name", "AA")


def test_every_edit_needs_the_version_it_read(world):
    admin = world.users["admin"]
    with pytest.raises(ValidationError) as caught:
        orgs.update_organization(admin, world.org_a, {"name": "No version"}, None)
    assert "version" in caught.value.errors
    with pytest.raises(ValidationError):
        projects.update_project(admin, world.project_a, {"title": "x"}, "one")


@pytest.mark.parametrize("kind", ["project", "outcome", "person", "membership", "partnership"])
def test_stale_saves_of_every_kind_of_record_conflict(world, kind):
    member, coordinator = world.users["member_a"], world.users["coordinator_x"]
    if kind == "project":
        record, update, data = world.project_a, projects.update_project, ({"title": "One"}, {"title": "Two"})
        actor = member
    elif kind == "outcome":
        record = projects.create_outcome(
            member, world.project_a, {"period_start": "2024-01-01", "period_end": "2024-12-31"}
        )
        update, data, actor = projects.update_outcome, ({"tco2e_reduced": "1"}, {"tco2e_reduced": "2"}), member
    elif kind == "person":
        record = orgs.create_person(member, world.org_a, {"name": "Ann"})
        update, data, actor = orgs.update_person, ({"title": "One"}, {"title": "Two"}), member
    elif kind == "membership":
        record = world.org_a.memberships[0]
        update, data, actor = orgs.update_membership, ({"status": "suspended"}, {"status": "lapsed"}), coordinator
    else:
        record = partnerships.create_partnership(member, world.org_a, {"partner": "org-b", "kind": "funding"})
        update, data, actor = partnerships.update_partnership, ({"status": "ended"}, {"kind": "advocacy"}), member
    read_version = record.version
    update(actor, record, data[0], read_version)
    with pytest.raises(Conflict) as caught:
        update(actor, record, data[1], read_version)
    assert caught.value.submitted and caught.value.current_version == record.version
    field, first_value = next(iter(data[0].items()))
    assert str(getattr(record, field)) == first_value  # the first save stands


def test_two_database_sessions_saving_the_same_record(world, db_session):
    """The second writer read version 1 before the first committed version 2: its UPDATE … WHERE
    version = 1 matches nothing (or SQLite refuses the stale snapshot), and it becomes a Conflict."""
    org = db_session.get(Organization, world.org_a.id)
    assert org.name == "Organisation A"  # this session has read version 1 (and, on SQLite, holds that snapshot)

    with Session(db.engine) as other:
        theirs = other.get(Organization, world.org_a.id)
        theirs.name = "Saved first"
        other.commit()

    with pytest.raises(Conflict):
        orgs.update_organization(world.users["admin"], org, {"name": "Saved second"}, 1)
    db_session.rollback()
    db_session.expire_all()
    assert db_session.get(Organization, world.org_a.id).name == "Saved first"  # the first save is not lost


# Through the web: two people with the same edit form open ---------------------------------------


def version_in(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def test_two_browsers_editing_the_same_organisation(world, client_as, db_session):
    first, second = client_as("coordinator_x"), client_as("admin")
    form_first = first.get("/organizations/org-a/edit").data.decode()
    form_second = second.get("/organizations/org-a/edit").data.decode()
    assert version_in(form_first) == version_in(form_second) == "1"

    saved = first.post("/organizations/org-a/edit", data={"version": "1", "name": "Organisation A", "kind": "ngo",
                                                          "hq_country": "KE", "website": "https://first.example.org"})  # fmt: skip
    assert saved.status_code == 302
    stale = second.post("/organizations/org-a/edit", data={"version": "1", "name": "Organisation A", "kind": "ngo",
                                                           "hq_country": "KE", "website": "https://second.example.org"})  # fmt: skip
    assert stale.status_code == 409
    page = stale.data.decode()
    assert 'data-testid="conflict-table"' in page
    row = re.search(r'<tr class="table-warning conflict-differs">\s*<th scope="row">Website</th>(.*?)</tr>', page, re.S)
    assert "https://first.example.org" in row.group(1) and "https://second.example.org" in row.group(1)
    assert "Last saved by Xavier" in page
    db_session.expire_all()
    assert world.org_a.website == "https://first.example.org"  # nothing overwritten

    # The conflict page carries the second person's values at the current version: saving re-applies them.
    assert version_in(page) == "2"
    assert 'value="https://second.example.org"' in page
    reapplied = second.post("/organizations/org-a/edit", data={"version": version_in(page), "name": "Organisation A",
                                                               "kind": "ngo", "hq_country": "KE",
                                                               "website": "https://second.example.org"})  # fmt: skip
    assert reapplied.status_code == 302
    db_session.expire_all()
    assert world.org_a.website == "https://second.example.org" and world.org_a.version == 3


def test_two_browsers_editing_the_same_project(world, client_as, db_session):
    member, coordinator = client_as("member_a"), client_as("coordinator_x")
    url = f"/projects/{world.project_a.id}/edit"
    assert version_in(member.get(url).data.decode()) == version_in(coordinator.get(url).data.decode()) == "1"
    assert member.post(url, data={"version": "1", "title": "Member's title", "status": "active"}).status_code == 302
    stale = coordinator.post(url, data={"version": "1", "title": "Coordinator's title", "status": "completed"})
    assert stale.status_code == 409
    page = stale.data.decode()
    assert "Member&#39;s title" in page and "Coordinator&#39;s title" in page
    db_session.expire_all()
    project = db_session.get(Project, world.project_a.id)
    assert (project.title, project.status) == ("Member's title", "active")


def test_two_members_proposing_from_the_same_page(world, client_as, db_session):
    """A coordinator saves between the member opening and sending the proposal form."""
    member = client_as("member_a")
    version = version_in(member.get("/organizations/org-a/edit").data.decode())
    orgs.update_organization(world.users["admin"], world.org_a, {"name": "Renamed by admin"}, world.org_a.version)
    db_session.commit()
    response = member.post("/organizations/org-a/edit", data={"version": version, "name": "Member's name",
                                                              "kind": "ngo", "hq_country": "KE"})  # fmt: skip
    assert response.status_code == 409
    assert "Renamed by admin" in response.data.decode()
    from network.models import ChangeRequest

    assert db_session.scalar(select(ChangeRequest)) is None


def hidden(html: str, name: str) -> str:
    import html as html_lib

    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    return html_lib.unescape(re.search(r'value="([^"]*)"', tag).group(1))


def test_reapplying_keeps_their_changes_to_fields_you_did_not_touch(world, client_as, db_session):
    """Three-way: you changed the acronym, they changed the website. The conflict page's form holds
    their website and your acronym, so saving it loses neither."""
    mine, theirs = client_as("coordinator_x"), client_as("admin")
    page = mine.get("/organizations/org-a/edit").data.decode()
    form = {"version": hidden(page, "version"), "original": hidden(page, "original"), "name": "Organisation A",
            "kind": "ngo", "hq_country": "KE"}  # fmt: skip
    their_page = theirs.get("/organizations/org-a/edit").data.decode()
    assert theirs.post("/organizations/org-a/edit", data={
        "version": hidden(their_page, "version"), "original": hidden(their_page, "original"), "name": "Organisation A",
        "kind": "ngo", "hq_country": "KE", "website": "https://theirs.example.org"}).status_code == 302  # fmt: skip

    conflict = mine.post("/organizations/org-a/edit", data=form | {"acronym": "MINE"})
    assert conflict.status_code == 409
    html = conflict.data.decode()
    assert "yours (you changed it)" in html and "theirs (you did not change it)" in html
    assert 'name="website" type="text" value="https://theirs.example.org"' in html
    assert 'name="acronym" type="text" value="MINE"' in html

    resubmitted = {"version": hidden(html, "version"), "original": hidden(html, "original"), "name": "Organisation A",
                   "kind": "ngo", "hq_country": "KE", "acronym": "MINE", "website": "https://theirs.example.org"}  # fmt: skip
    assert mine.post("/organizations/org-a/edit", data=resubmitted).status_code == 302
    db_session.expire_all()
    assert (world.org_a.acronym, world.org_a.website) == ("MINE", "https://theirs.example.org")
