"""Editing organisations, memberships, people, projects, outcome reports and partnerships:
per-field validation, permissions (including the attacks), archive and restore, web forms."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from network.models import Membership, Organization, OutcomeReport, Partnership, Person, Project
from network.services import Conflict, PermissionDenied, ValidationError, archiving, partnerships, projects
from network.services import organizations as orgs
from tests import factories as f


def errors_of(call, *args, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.errors


# Validation: a message on each field, for every kind of invalid value ------------------------


def test_organization_validation_names_every_invalid_field(app):
    errors = errors_of(
        orgs.validate_organization,
        {"name": "  ", "kind": "club", "hq_country": "ZZ", "website": "ftp://example.org", "email": "not-an-email",
         "phone": "call me", "founded": "nineteen", "countries": "KE, XX", "themes": ["transport", "knitting"],
         "identifiers": "not an id", "acronym": "A" * 41},
    )  # fmt: skip
    assert errors["name"] == ["This field is required."]
    assert errors["kind"][0].startswith("Not a valid choice: club.")
    assert "ISO 3166" in errors["hq_country"][0]
    assert "web address" in errors["website"][0]
    assert errors["email"] == ["Not a valid email address."]
    assert "phone" in errors["phone"][0]
    assert errors["founded"] == ["Must be a whole number."]
    assert errors["countries"] == ["Not known ISO 3166 country codes: XX."]
    assert errors["themes"] == ["Not known themes: knitting."]
    assert "GB-CHC-1000003" in errors["identifiers"][0]
    assert errors["acronym"] == ["At most 40 characters (this is 41)."]


def test_organization_validation_ranges_lengths_and_unknown_fields(app):
    errors = errors_of(
        orgs.validate_organization,
        {"name": "x" * 301, "founded": 3000, "website": "https://" + "a" * 300 + ".org", "colour": "green"},
    )
    assert errors["name"] == ["At most 300 characters (this is 301)."]
    assert errors["founded"][0].startswith("Must be between 1000 and")
    assert errors["website"][0].startswith("At most 300 characters")
    assert errors["colour"] == ["Unknown field."]
    assert errors_of(orgs.validate_organization, {"name": "A", "founded": 999})["founded"]
    assert errors_of(orgs.validate_organization, {"name": "Two\nlines"})["name"] == ["Must be a single line."]


def test_organization_values_are_cleaned(app):
    cleaned = orgs.validate_organization(
        {"name": " Green Earth ", "hq_country": "ke", "website": "greenearth.org", "email": "Info@GreenEarth.org",
         "countries": "tz;ke", "themes": "Transport", "founded": "1999", "identifiers": ["gb-chc-1000003"]}
    )  # fmt: skip
    assert cleaned["name"] == "Green Earth"
    assert cleaned["hq_country"] == "KE"
    assert cleaned["website"] == "https://greenearth.org"
    assert cleaned["email"].casefold() == "info@greenearth.org"
    assert cleaned["countries"] == ["KE", "TZ"]
    assert cleaned["themes"] == ["transport"]
    assert cleaned["founded"] == 1999
    assert cleaned["identifiers"] == ["GB-CHC-1000003"]
    assert cleaned["kind"] == "ngo"  # the default when creating


def test_identifier_of_another_organization_is_refused(world):
    admin = world.users["admin"]
    orgs.update_organization(admin, world.org_a, {"identifiers": "GB-CHC-1000003"}, world.org_a.version)
    errors = errors_of(orgs.update_organization, admin, world.org_b, {"identifiers": "GB-CHC-1000003"}, 1)
    assert "Already used by another organisation" in errors["identifiers"][0]


def test_project_validation(world):
    member = world.users["member_a"]
    errors = errors_of(
        projects.create_project, member, world.org_a,
        {"title": "", "status": "dreaming", "start_date": "2024-05-01", "end_date": "2024-01-01", "budget": "-1",
         "currency": "EURO", "countries": ["QQ"], "themes": ["nope"],
         "participants": [{"organization": "no-such-org", "role": "partner"},
                          {"organization": "org-b", "role": "boss"}]},
    )  # fmt: skip
    assert errors["title"] == ["This field is required."]
    assert errors["status"][0].startswith("Not a valid choice: dreaming.")
    assert errors["end_date"] == ["Must not be before the start date."]
    assert errors["budget"] == ["Must not be negative."]
    assert "ISO 4217" in errors["currency"][0]
    assert errors["countries"] and errors["themes"]
    assert errors["participants"] == ["Row 1: no such organisation.", "Row 2: not a valid role: boss."]
    errors = errors_of(projects.create_project, member, world.org_a,
                       {"title": "T", "budget": "lots", "start_date": "31/12/2024"})  # fmt: skip
    assert errors["budget"] == ["Must be a number, such as 1250.50."]
    assert errors["start_date"] == ["Not a valid date; use YYYY-MM-DD."]
    errors = errors_of(projects.create_project, member, world.org_a, {"title": "T", "budget": "10.5555"})
    assert errors["budget"] == ["At most 2 decimal places."]
    errors = errors_of(projects.create_project, member, world.org_a, {"title": "T", "budget": "100"})
    assert errors["currency"] == ["Give the currency of the budget."]
    twice = [{"organization": "org-b", "role": "partner"}, {"organization": world.org_b.id, "role": "funder"}]
    errors = errors_of(projects.create_project, member, world.org_a, {"title": "T", "participants": twice})
    assert errors["participants"] == ["Row 2: Organisation B is listed twice."]


def test_project_is_saved_with_typed_values(world, db_session):
    project = projects.create_project(
        world.users["member_a"], world.org_a,
        {"title": "Solar schools", "budget": "250,000.50", "currency": "kes", "start_date": "2024-01-01",
         "countries": ["KE", "UG"], "themes": ["energy-transition"],
         "participants": [{"organization": "org-b", "role": "funder"}, {"organization": "", "role": "partner"}]},
    )  # fmt: skip
    db_session.commit()
    assert project.budget == Decimal("250000.50") and project.currency == "KES"
    assert project.start_date == date(2024, 1, 1)
    assert [c.code for c in project.countries] == ["KE", "UG"]
    assert [(p.organization.slug, p.role) for p in project.participants] == [("org-b", "funder")]
    assert project.status == "active"


def test_update_checks_dates_against_the_stored_record(world):
    member = world.users["member_a"]
    project = projects.create_project(member, world.org_a, {"title": "T", "start_date": "2024-06-01"})
    errors = errors_of(projects.update_project, member, project, {"end_date": "2024-01-01"}, project.version)
    assert errors == {"end_date": ["Must not be before the start date."]}


def test_outcome_validation(world):
    member = world.users["member_a"]
    errors = errors_of(
        projects.create_outcome, member, world.project_a,
        {"period_start": "2024-12-01", "period_end": "2024-01-01", "tco2e_reduced": "-3", "basis": "guessed",
         "people_reached": "-1", "method": "m" * 301},
    )  # fmt: skip
    assert errors["period_end"] == ["Must not be before the start of the period."]
    assert errors["tco2e_reduced"] == ["Must not be negative."]
    assert errors["basis"][0].startswith("Not a valid choice: guessed.")
    assert errors["people_reached"] == ["Must be 0 or more."] or errors["people_reached"][0].startswith(
        "Must be between"
    )
    assert errors["method"][0].startswith("At most 300 characters")
    errors = errors_of(projects.create_outcome, member, world.project_a, {"tco2e_reduced": "many"})
    assert errors["period_start"] == ["This field is required."]
    assert errors["period_end"] == ["This field is required."]
    assert errors["tco2e_reduced"] == ["Must be a number, such as 1250.50."]
    report = projects.create_outcome(
        member, world.project_a,
        {"period_start": "2024-01-01", "period_end": "2024-12-31", "tco2e_reduced": "1250.125", "basis": "estimated",
         "method": "Metered", "people_reached": "300"},
    )  # fmt: skip
    assert report.tco2e_reduced == Decimal("1250.125") and report.people_reached == 300


def test_partnership_validation(world):
    member = world.users["member_a"]
    errors = errors_of(partnerships.create_partnership, member, world.org_a,
                       {"partner": "org-a", "kind": "friendship", "start_date": "2024-02-01",
                        "end_date": "2023-01-01"})  # fmt: skip
    assert errors["partner"] == ["A partnership needs two different organisations."]
    assert errors["kind"][0].startswith("Not a valid choice: friendship.")
    assert errors["end_date"] == ["Must not be before the start date."]
    assert errors_of(
        partnerships.create_partnership, member, world.org_a, {"partner": "nobody", "kind": "funding"}
    ) == {"partner": ["No such organisation."]}
    partnership = partnerships.create_partnership(member, world.org_a, {"partner": "org-b", "kind": "funding"})
    assert (partnership.org_a, partnership.org_b, partnership.status) == (world.org_a, world.org_b, "active")


def test_person_and_membership_validation(world):
    coordinator = world.users["coordinator_x"]
    errors = errors_of(orgs.create_person, coordinator, world.org_a, {"name": "", "email": "x@", "phone": "abc"})
    assert set(errors) == {"name", "email", "phone"}
    membership = world.org_a.memberships[0]
    errors = errors_of(orgs.update_membership, coordinator, membership,
                       {"status": "retired", "left_on": "2019-01-01"}, membership.version)  # fmt: skip
    assert errors["status"][0].startswith("Not a valid choice: retired.")
    assert errors["left_on"] == ["Must not be before the date it joined."]
    errors = errors_of(orgs.add_membership, coordinator, world.org_a, world.x1)
    assert errors == {"network": ["Already a member of this node."]}


# Slugs ---------------------------------------------------------------------------------------


def test_slugs_are_unique_and_chinese_names_get_pinyin(world):
    admin = world.users["admin"]
    first = orgs.create_organization(admin, {"name": "绿色地球"})
    second = orgs.create_organization(admin, {"name": "绿色地球"})
    third = orgs.create_organization(admin, {"name": "Green Earth – São Paulo"})
    assert (first.slug, second.slug) == ("lu-se-di-qiu", "lu-se-di-qiu-2")
    assert third.slug == "green-earth-sao-paulo"
    assert orgs.create_organization(admin, {"name": "Organisation A"}).slug == "organisation-a"


# Who may edit what: the attacks ---------------------------------------------------------------


def test_member_of_a_cannot_edit_bs_project_by_id(world, client_as, db_session):
    member_a = world.users["member_a"]
    with pytest.raises(PermissionDenied):
        projects.update_project(member_a, world.project_b, {"title": "Hijacked"}, world.project_b.version)
    with pytest.raises(PermissionDenied):
        projects.create_outcome(member_a, world.project_b, {"period_start": "2024-01-01", "period_end": "2024-02-01"})
    with pytest.raises(PermissionDenied):
        archiving.archive(member_a, world.project_b)
    client = client_as("member_a")
    assert client.get(f"/projects/{world.project_b.id}/edit").status_code == 403
    response = client.post(f"/projects/{world.project_b.id}/edit", data={"title": "Hijacked", "version": "1"})
    assert response.status_code == 403
    assert client.post(f"/projects/{world.project_b.id}/archive").status_code == 403
    db_session.expire_all()
    assert world.project_b.title == "Project B" and not world.project_b.is_archived


def test_coordinator_of_x_cannot_edit_an_organisation_only_in_y(world, client_as, db_session):
    coordinator_x = world.users["coordinator_x"]
    for call in (
        lambda: orgs.update_organization(coordinator_x, world.org_b, {"name": "Mine now"}, world.org_b.version),
        lambda: archiving.archive(coordinator_x, world.org_b),
        lambda: orgs.create_person(coordinator_x, world.org_b, {"name": "Spy"}),
        lambda: projects.update_project(coordinator_x, world.project_b, {"title": "X"}, world.project_b.version),
        lambda: orgs.end_membership(coordinator_x, world.org_b.memberships[0], 1),
        lambda: orgs.add_membership(coordinator_x, world.org_b, world.y),
    ):
        with pytest.raises(PermissionDenied):
            call()
    client = client_as("coordinator_x")
    assert client.post("/organizations/org-b/edit", data={"name": "Mine now", "version": "1"}).status_code == 403
    assert client.post("/organizations/org-b/archive").status_code == 403
    db_session.expire_all()
    assert world.org_b.name == "Organisation B" and not world.org_b.is_archived
    # …while it manages A, a member of X1 below X.
    orgs.update_organization(coordinator_x, world.org_a, {"acronym": "OA"}, world.org_a.version)
    assert world.org_a.acronym == "OA"


def test_members_propose_rather_than_edit_their_profile(world, client_as):
    member_a = world.users["member_a"]
    with pytest.raises(PermissionDenied):
        orgs.update_organization(member_a, world.org_a, {"name": "Direct"}, world.org_a.version)
    with pytest.raises(PermissionDenied):
        orgs.propose_profile_change(member_a, world.org_b, {"name": "Theirs"}, world.org_b.version)
    errors = errors_of(orgs.propose_profile_change, member_a, world.org_a, {"founded": 1999, "identifiers": []}, 1)
    assert errors == {"founded": ["Ask a coordinator to change this field."],
                      "identifiers": ["Ask a coordinator to change this field."]}  # fmt: skip


def test_viewers_and_anonymous_visitors_edit_nothing(world, client_as):
    viewer = client_as("viewer")
    for url in ("/organizations/org-a/edit", f"/projects/{world.project_a.id}/edit", "/organizations/new",
                "/organizations/org-a/people/new", "/changes"):  # fmt: skip
        assert viewer.get(url).status_code == 403, url
    anonymous = client_as("anonymous")
    response = anonymous.post("/organizations/org-a/edit", data={"name": "Anon", "version": "1"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with pytest.raises(PermissionDenied):
        orgs.create_organization(world.users["viewer"], {"name": "Viewer's"})


def test_members_manage_their_own_people_projects_outcomes_and_partnerships(world):
    member_b = world.users["member_b"]
    person = orgs.create_person(member_b, world.org_b, {"name": "Li Wei", "email": "li@example.org"})
    orgs.update_person(member_b, person, {"title": "Director"}, person.version)
    project = projects.create_project(member_b, world.org_b, {"title": "Wind"})
    projects.create_outcome(member_b, project, {"period_start": "2024-01-01", "period_end": "2024-06-30"})
    partnership = partnerships.create_partnership(member_b, world.org_b, {"partner": "org-a", "kind": "technical"})
    partnerships.update_partnership(member_b, partnership, {"status": "ended"}, partnership.version)
    assert person.title == "Director" and partnership.status == "ended"
    with pytest.raises(PermissionDenied):
        orgs.create_person(member_b, world.org_a, {"name": "Not ours"})
    with pytest.raises(PermissionDenied):
        partnerships.create_partnership(member_b, world.org_a, {"partner": "org-b", "kind": "technical"})
    with pytest.raises(PermissionDenied):  # memberships are the coordinators' business
        orgs.add_membership(member_b, world.org_b, world.x)


def test_coordinator_creates_an_organisation_in_its_node_only(world, client_as, db_session):
    coordinator_x = world.users["coordinator_x"]
    with pytest.raises(PermissionDenied):
        orgs.create_organization(coordinator_x, {"name": "In Y"}, world.y)
    client = client_as("coordinator_x")
    response = client.post("/organizations/new", data={"name": "In Y", "kind": "ngo", "network": str(world.y.id)})
    assert response.status_code == 422
    assert b"Choose one of your network nodes." in response.data
    response = client.post("/organizations/new", data={"name": "Coastal Youth", "kind": "youth", "hq_country": "BD",
                                                       "network": str(world.x1.id), "themes": ["oceans", "youth"]})  # fmt: skip
    assert response.status_code == 302
    org = db_session.scalar(select(Organization).where(Organization.slug == "coastal-youth"))
    assert response.headers["Location"].endswith("/organizations/coastal-youth")
    assert org.hq_country.code == "BD" and [t.slug for t in org.themes] == ["oceans", "youth"]
    assert [m.network_id for m in org.memberships] == [world.x1.id]


# Web forms -----------------------------------------------------------------------------------


def test_edit_form_shows_a_message_under_each_invalid_field(world, client_as, db_session):
    client = client_as("coordinator_x")
    page = client.get("/organizations/org-a/edit")
    assert page.status_code == 200
    assert b'name="version" type="hidden" value="1"' in page.data
    assert b'<select class="form-select" data-filter="Filter countries" id="countries" multiple' in page.data
    response = client.post("/organizations/org-a/edit", data={
        "version": "1", "name": "", "kind": "ngo", "website": "not a url", "email": "nope", "founded": "1200000",
        "hq_country": "ZZ",
    })  # fmt: skip
    assert response.status_code == 422
    html = response.data.decode()
    assert html.count("invalid-feedback") == 5
    assert "This field is required." in html and "Not a valid email address." in html
    assert "Not a valid web address" in html and "Must be between 1000 and" in html
    db_session.expire_all()
    assert world.org_a.name == "Organisation A"


def test_coordinator_edits_the_whole_profile_through_the_form(world, client_as, db_session):
    client = client_as("coordinator_x")
    response = client.post("/organizations/org-a/edit", data={
        "version": "1", "name": "Organisation A", "name_local": "甲组织", "kind": "think_tank", "hq_country": "IN",
        "website": "https://a.example.org", "email": "hello@a.example.org", "founded": "1998",
        "countries": ["IN", "BD"], "themes": ["cities"], "description": "Cities for people.",
    })  # fmt: skip
    assert response.status_code == 302
    db_session.expire_all()
    org = world.org_a
    assert (org.kind, org.hq_country.code, org.founded, org.name_local) == ("think_tank", "IN", 1998, "甲组织")
    assert [c.code for c in org.countries] == ["BD", "IN"] and org.version == 2


def test_member_edits_its_project_and_reports_an_outcome_through_the_forms(world, client_as, db_session):
    client = client_as("member_a")
    project = world.project_a
    page = client.get(f"/projects/{project.id}/edit")
    assert page.status_code == 200 and b"participants-1-organization" in page.data  # two empty rows
    response = client.post(f"/projects/{project.id}/edit", data={
        "version": "1", "title": "Project A, phase 2", "status": "active", "budget": "1000", "currency": "EUR",
        "start_date": "2024-01-01", "end_date": "2025-12-31", "themes": ["transport"],
        "participants-0-organization": "org-b", "participants-0-role": "funder",
    })  # fmt: skip
    assert response.status_code == 302
    response = client.post(f"/projects/{project.id}/outcomes/new", data={
        "period_start": "2024-01-01", "period_end": "2024-12-31", "tco2e_reduced": "42.5", "basis": "verified",
    })  # fmt: skip
    assert response.status_code == 302
    db_session.expire_all()
    assert project.title == "Project A, phase 2" and project.budget == Decimal("1000.00")
    assert [(p.organization.slug, p.role) for p in project.participants] == [("org-b", "funder")]
    report = db_session.scalar(select(OutcomeReport).where(OutcomeReport.project_id == project.id))
    # The form offers a member no basis: a posted "verified" is ignored (verifiers verify; #15)
    assert report.tco2e_reduced == Decimal("42.5") and report.basis == "estimated"
    assert project.participants[0].status == "proposed"  # org B has not confirmed it takes part yet
    response = client.post(f"/projects/{project.id}/outcomes/new", data={"period_start": "2024-01-01",
                                                                         "period_end": "2023-01-01", "basis": "x"})  # fmt: skip
    assert response.status_code == 422
    assert b"Must not be before the start of the period." in response.data


def test_people_memberships_and_partnerships_through_the_forms(world, client_as, db_session):
    client = client_as("coordinator_x")
    assert client.get("/organizations/org-a/records").status_code == 200
    response = client.post("/organizations/org-a/people/new", data={"name": "Asha", "email": "asha@example.org",
                                                                     "consent_to_list": "y"})  # fmt: skip
    assert response.status_code == 302
    person = db_session.scalar(select(Person).where(Person.name == "Asha"))
    assert person.consent_to_list is True
    response = client.post(f"/people/{person.id}/edit", data={"name": "Asha K.", "email": "bad", "version": "1"})
    assert response.status_code == 422 and b"Not a valid email address." in response.data
    response = client.post("/organizations/org-a/memberships/new",
                           data={"network": str(world.x.id), "status": "applicant"})  # fmt: skip
    assert response.status_code == 302
    membership = db_session.scalar(
        select(Membership).where(Membership.organization_id == world.org_a.id, Membership.network_id == world.x.id)
    )
    assert membership.status == "applicant"
    response = client.post(f"/memberships/{membership.id}/end", data={"version": str(membership.version)})
    assert response.status_code == 302
    db_session.expire_all()
    assert membership.status == "lapsed" and membership.left_on is not None
    response = client.post("/organizations/org-a/partnerships/new", data={"partner": "org-b", "kind": "funding",
                                                                          "status": "proposed"})  # fmt: skip
    assert response.status_code == 302
    partnership = db_session.scalar(select(Partnership))
    assert (partnership.org_b_id, partnership.status) == (world.org_b.id, "proposed")
    response = client.post("/organizations/org-a/partnerships/new", data={"partner": "org-a", "kind": "funding"})
    assert response.status_code == 422 and b"two different organisations" in response.data


# Archive and restore --------------------------------------------------------------------------


def test_archive_and_restore_everything(world, db_session):
    coordinator = world.users["coordinator_x"]
    member = world.users["member_a"]
    person = orgs.create_person(member, world.org_a, {"name": "P"})
    report = projects.create_outcome(
        member, world.project_a, {"period_start": "2024-01-01", "period_end": "2024-02-01"}
    )
    partnership = partnerships.create_partnership(member, world.org_a, {"partner": "org-b", "kind": "advocacy"})
    # One operation pair for every record type, each taking the version the caller read.
    for actor, record in [(coordinator, world.org_a), (member, person), (member, world.project_a),
                          (member, report), (member, partnership)]:  # fmt: skip
        read = record.version
        archiving.archive(actor, record, read)
        assert record.is_archived
        with pytest.raises(ValidationError, match="already archived"):
            archiving.archive(actor, record, read)  # a second click stays archived: not a silent no-op, no conflict
        assert record.is_archived
        with pytest.raises(Conflict):
            archiving.restore(actor, record, read)  # the version read before archiving is stale
        archiving.restore(actor, record, record.version)
        assert not record.is_archived
        with pytest.raises(ValidationError, match="not archived"):
            archiving.restore(actor, record)
    db_session.commit()
    for model in (Organization, Person, Project, OutcomeReport, Partnership):  # nothing was deleted
        assert db_session.scalar(select(model.id).limit(1)) is not None


def test_members_cannot_archive_their_organisation(world, client_as, db_session):
    with pytest.raises(PermissionDenied):
        archiving.archive(world.users["member_a"], world.org_a)
    assert client_as("member_a").post("/organizations/org-a/archive").status_code == 403


def test_archive_and_restore_buttons(world, client_as, db_session):
    client = client_as("coordinator_x")
    page = client.get("/organizations/org-a")
    assert b'action="/organizations/org-a/archive"' in page.data
    assert client.post("/organizations/org-a/archive", data={"version": "1"}).status_code == 302
    db_session.expire_all()
    assert world.org_a.is_archived
    page = client.get("/organizations/org-a")
    assert b'action="/organizations/org-a/restore"' in page.data
    assert client.post("/organizations/org-a/restore").status_code == 302
    db_session.expire_all()
    assert not world.org_a.is_archived
    # Stale archive button (someone saved since the page was read): a conflict, not a blind archive.
    orgs.update_organization(world.users["admin"], world.org_a, {"acronym": "OA"}, world.org_a.version)
    db_session.commit()
    assert client.post("/organizations/org-a/archive", data={"version": "1"}).status_code == 409
    db_session.expire_all()
    assert not world.org_a.is_archived


def test_edit_buttons_show_only_to_those_who_may_use_them(world, client_as):
    assert b"/organizations/org-a/edit" in client_as("coordinator_x").get("/organizations/org-a").data
    member_page = client_as("member_a").get("/organizations/org-a").data
    assert b"Propose a change" in member_page and b"/organizations/org-a/archive" not in member_page
    for role in ("viewer", "member_b", "coordinator_y", "anonymous"):
        page = client_as(role).get("/organizations/org-a").data
        assert b"/organizations/org-a/edit" not in page, role
        project_page = client_as(role).get(f"/projects/{world.project_a.id}").data
        assert f"/projects/{world.project_a.id}/edit".encode() not in project_page, role
    assert (
        f"/projects/{world.project_a.id}/edit".encode()
        in client_as("member_a").get(f"/projects/{world.project_a.id}").data
    )


def test_factories_may_go_through_the_services(world):
    org = f.organization("Factory Made", actor=world.users["coordinator_x"], networks=[world.x1], themes=["water"])
    assert org.slug == "factory-made" and org.memberships[0].network == world.x1
    project = f.project(org, "Through the service", actor=world.users["coordinator_x"], countries=["KE"])
    assert project.lead_organization == org and [c.code for c in project.countries] == ["KE"]


def test_either_side_of_a_partnership_edits_it_and_returns_to_its_own_page(world, client_as, db_session):
    partnership = partnerships.create_partnership(world.users["member_a"], world.org_a, {"partner": "org-b",
                                                                                           "kind": "funding"})  # fmt: skip
    db_session.commit()
    client = client_as("member_b")
    response = client.post(f"/partnerships/{partnership.id}/edit", data={"kind": "technical", "status": "active",
                                                                         "version": "1"})  # fmt: skip
    assert response.status_code == 302 and "/organizations/org-b" in response.headers["Location"]
    response = client.post(f"/partnerships/{partnership.id}/archive", data={"version": "2"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/organizations/org-b/records")
    db_session.expire_all()
    assert partnership.kind == "technical" and partnership.is_archived
    assert client_as("viewer").post(f"/partnerships/{partnership.id}/restore").status_code == 403


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_edit_forms_and_buttons_need_the_csrf_token(world, client_as, db_session):
    import re

    client = client_as("coordinator_x")
    page = client.get("/organizations/org-a/edit").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"version": "1", "name": "With token", "kind": "ngo"}
    assert client.post("/organizations/org-a/edit", data=data | {"name": "No token"}).status_code == 400
    assert client.post("/organizations/org-a/archive").status_code == 400
    assert client.post("/organizations/org-a/edit", data=data | {"csrf_token": token}).status_code == 302
    db_session.expire_all()
    assert world.org_a.name == "With token" and not world.org_a.is_archived


def test_bad_input_gets_messages_never_a_crash(world, client_as, db_session):
    coordinator = world.users["coordinator_x"]
    errors = errors_of(orgs.update_organization, coordinator, world.org_a,
                       {"name": "Nul\x00name", "description": "bell\x07", "website": "https://a\x00.org"}, 1)  # fmt: skip
    assert errors == {key: ["Contains characters that are not allowed."] for key in ("name", "description", "website")}
    errors = errors_of(projects.create_outcome, coordinator, world.project_a, {
        "period_start": "2024-02-30", "period_end": "2024-03-01", "people_reached": 3_000_000_000,
        "tco2e_reduced": "NaN"})  # fmt: skip
    assert errors["period_start"] == ["Not a valid date; use YYYY-MM-DD."]
    assert errors["people_reached"][0].startswith("Must be between 0 and")
    assert errors["tco2e_reduced"] == ["Must be a number, such as 1250.50."]
    errors = errors_of(projects.create_project, coordinator, world.org_a,
                       {"title": ["not", "text"], "budget": "1e20", "currency": "USD", "countries": {"KE": 1}})  # fmt: skip
    assert errors["title"] == ["Must be text."] and errors["budget"] == ["Too large."]
    client = client_as("coordinator_x")
    response = client.post("/organizations/org-a/edit", data={"version": "one", "name": "A", "kind": "ngo"})
    assert response.status_code == 422 and b"Must be a whole number." in response.data  # shown above the form
    assert client.post("/changes/999999", data={"decision": "approve"}).status_code == 404
    assert client.get("/admin/audit").status_code == 403
    db_session.expire_all()
    assert world.org_a.name == "Organisation A"


def test_a_coordinator_cannot_take_over_another_nodes_organisation_by_adding_a_membership(world, client_as):
    coordinator_x = world.users["coordinator_x"]
    with pytest.raises(PermissionDenied):
        orgs.add_membership(coordinator_x, world.org_b, world.x)  # B is Y's
    assert client_as("coordinator_x").post("/organizations/org-b/memberships/new",
                                           data={"network": str(world.x.id)}).status_code == 403  # fmt: skip
    # An organisation in no node yet (a company, say) may be brought in; one it manages may join more nodes.
    firm = f.organization("Tyre Maker Ltd", kind="company")
    assert orgs.add_membership(coordinator_x, firm, world.x).status == "active"
    assert orgs.add_membership(coordinator_x, world.org_a, world.x).network == world.x
    assert orgs.add_membership(world.users["admin"], world.org_b, world.x).organization == world.org_b


def test_every_edit_page_opens_for_those_who_may_use_it(world, client_as, db_session):
    member = world.users["member_a"]
    person = orgs.create_person(member, world.org_a, {"name": "Ann"})
    report = projects.create_outcome(
        member, world.project_a, {"period_start": "2024-01-01", "period_end": "2024-02-01"}
    )
    partnership = partnerships.create_partnership(member, world.org_a, {"partner": "org-b", "kind": "funding"})
    archiving.archive(member, person)
    db_session.commit()
    pages = {
        "member_a": ["/organizations/org-a/records", f"/partnerships/{partnership.id}/edit", f"/outcomes/{report.id}/edit",
                     f"/projects/{world.project_a.id}/outcomes", "/organizations/org-a/people/new",
                     "/organizations/org-a/partnerships/new", "/organizations/org-a/projects/new",
                     f"/projects/{world.project_a.id}/outcomes/new", "/organizations/org-a/changes"],
        "coordinator_x": [f"/memberships/{world.org_a.memberships[0].id}/edit", "/changes?status=approved",
                          "/changes?status=nonsense", "/organizations/org-a/records"],
    }  # fmt: skip
    for role, urls in pages.items():
        client = client_as(role)
        for url in urls:
            assert client.get(url).status_code == 200, (role, url)
    records = client_as("member_a").get("/organizations/org-a/records").data.decode()
    assert f'action="/people/{person.id}/restore"' in records  # archived people can be restored
    assert "/memberships/new" not in records  # memberships are the coordinators' business
    for role in ("member_b", "coordinator_y", "viewer"):
        client = client_as(role)
        for url in pages["member_a"]:
            if url.startswith("/partnerships/") and role != "viewer":
                continue  # B is the partnership's other side: its people may edit it too
            assert client.get(url).status_code == 403, (role, url)
