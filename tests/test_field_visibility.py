"""The field-visibility matrix: for every serializer, page and export that can show a private field,
every role, and every private field, whether it is there.

Private fields (permissions.PRIVATE_FIELDS): a person's email and phone, seen by the organisation's
members, its coordinators and admins. Unlisted people are private as a whole: not shown, not
counted, and not told apart from an id that does not exist. An initiative invitation that was not
accepted is its organisation's, its managers' and its participants' business.

Roles are the World's (tests/conftest.py): organisation A is a member of node X1, under X.
"""

import csv
import io

import pytest
from openpyxl import load_workbook

from network.extensions import db
from network.services import tokens
from tests import factories as f
from tests.conftest import ROLE_NAMES, login

RIGHTS_OVER_A = {"member_a", "coordinator_x", "admin"}  # A's members, coordinators in scope, admins
EXPORTERS = {"viewer", "member_a", "member_b", "coordinator_x", "coordinator_y", "admin"}

LISTED_EMAIL, LISTED_PHONE = "listed.contact@example.org", "+254 700 111 222"
UNLISTED_NAME, UNLISTED_EMAIL, UNLISTED_PHONE = "Quiet Quentin", "quiet.quentin@example.org", "+254 700 999 888"


@pytest.fixture
def people(world):
    listed = f.person(world.org_a, "Listed Lena", email=LISTED_EMAIL, phone=LISTED_PHONE, consent_to_list=True)
    unlisted = f.person(world.org_a, UNLISTED_NAME, email=UNLISTED_EMAIL, phone=UNLISTED_PHONE, consent_to_list=False)
    world.org_a.email, world.org_a.phone = "office@org-a.example.org", "+254 20 123 456"
    db.session.commit()
    return listed, unlisted


def api_headers(world, role: str) -> dict:
    if role == "anonymous":
        return {}
    created = tokens.create_token(world.users[role], f"visibility {role}", "read", 30)
    db.session.commit()
    return {"Authorization": f"Bearer {created.secret}"}


def page_client(app, world, role: str):
    client = app.test_client()
    if role != "anonymous":
        login(client, world.users[role])
    return client


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_api_person_detail_shows_contacts_only_to_those_with_rights(client, world, people, role):
    listed, _unlisted = people
    body = client.get(f"/api/v1/people/{listed.id}", headers=api_headers(world, role)).get_json()
    assert body["name"] == "Listed Lena"
    if role in RIGHTS_OVER_A:
        assert (body["email"], body["phone"]) == (LISTED_EMAIL, LISTED_PHONE)
    else:
        assert "email" not in body and "phone" not in body
        assert LISTED_EMAIL not in str(body) and LISTED_PHONE not in str(body)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_api_people_list_hides_unlisted_people_and_contacts(client, world, people, role):
    body = client.get("/api/v1/organizations/org-a/people", headers=api_headers(world, role)).get_json()
    by_name = {p["name"]: p for p in body["items"]}
    if role in RIGHTS_OVER_A:
        assert set(by_name) == {"Listed Lena", UNLISTED_NAME}
        assert by_name[UNLISTED_NAME]["email"] == UNLISTED_EMAIL
        assert by_name["Listed Lena"]["phone"] == LISTED_PHONE
    else:
        assert set(by_name) == {"Listed Lena"}
        assert body["total"] == 1  # unlisted people are not counted either
        assert "email" not in by_name["Listed Lena"] and "phone" not in by_name["Listed Lena"]


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_unlisted_people_cannot_be_guessed_by_id(client, world, people, role):
    """An unlisted person's id answers exactly as an id that does not exist, in the API and on pages."""
    _listed, unlisted = people
    missing = unlisted.id + 1000
    headers = api_headers(world, role)
    hidden = client.get(f"/api/v1/people/{unlisted.id}", headers=headers)
    if role in RIGHTS_OVER_A:
        assert hidden.status_code == 200 and hidden.get_json()["email"] == UNLISTED_EMAIL
    else:
        absent = client.get(f"/api/v1/people/{missing}", headers=headers)
        assert (
            (hidden.status_code, hidden.get_json())
            == (absent.status_code, absent.get_json())
            == (404, absent.get_json())
        )
        for method in ("patch", "delete"):
            refused = getattr(client, method)(f"/api/v1/people/{unlisted.id}", json={"title": "x"}, headers=headers)
            assert refused.status_code in (401, 403, 404) and UNLISTED_NAME not in refused.get_data(as_text=True)
    if role == "anonymous":
        return  # the edit page asks visitors to log in whatever the id
    pages = page_client(client.application, world, role)
    edit = pages.get(f"/people/{unlisted.id}/edit")
    if role in RIGHTS_OVER_A:
        assert edit.status_code == 200 and UNLISTED_EMAIL in edit.get_data(as_text=True)
    else:
        assert edit.status_code == pages.get(f"/people/{missing}/edit").status_code == 404
        assert UNLISTED_NAME not in edit.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_organisation_page_shows_contacts_and_unlisted_people_only_to_those_with_rights(app, world, people, role):
    html = page_client(app, world, role).get("/organizations/org-a").get_data(as_text=True)
    assert "Listed Lena" in html
    assert "office@org-a.example.org" in html  # the organisation's own contact is public
    private = (LISTED_EMAIL, LISTED_PHONE, UNLISTED_NAME, UNLISTED_EMAIL, UNLISTED_PHONE)
    if role in RIGHTS_OVER_A:
        assert all(value in html for value in private)
    else:
        assert not any(value in html for value in private)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_records_and_history_pages_with_contacts_are_for_those_with_rights(app, world, people, role):
    client = page_client(app, world, role)
    for url in ("/organizations/org-a/records", "/organizations/org-a/history"):
        response = client.get(url)
        text = response.get_data(as_text=True)
        if role in RIGHTS_OVER_A:
            assert response.status_code == 200 and UNLISTED_NAME in text, url
        else:
            assert response.status_code in (302, 403) and UNLISTED_EMAIL not in text, url


@pytest.mark.parametrize("role", sorted(EXPORTERS))
def test_exports_hold_no_person_fields(app, world, people, role):
    """The directory's export (CSV and XLSX in the import columns, of the whole directory or a search;
    the old CSV address leads to it) is organisations only: no person's name, email or phone."""
    client = page_client(app, world, role)
    texts = [
        client.get("/imports/export?format=csv").get_data(as_text=True),
        client.get("/imports/export?format=csv&q=Organisation").get_data(as_text=True),
        client.get("/organizations/export.csv", follow_redirects=True).get_data(as_text=True),
    ]
    workbook = load_workbook(io.BytesIO(client.get("/imports/export?format=xlsx").data), read_only=True)
    texts.append(repr([row for sheet in workbook for row in sheet.iter_rows(values_only=True)]))
    for text in texts:
        assert "Organisation A" in text  # the export worked
        for value in (LISTED_EMAIL, LISTED_PHONE, UNLISTED_NAME, UNLISTED_EMAIL, UNLISTED_PHONE, "Listed Lena"):
            assert value not in text
    rows = list(csv.DictReader(io.StringIO(texts[0].lstrip("\ufeff"))))
    assert {r["name"]: r["email"] for r in rows}["Organisation A"] == "office@org-a.example.org"


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_search_finds_no_organisation_by_a_persons_name_or_contact(app, client, world, people, role):
    headers = api_headers(world, role)
    pages = page_client(app, world, role)
    for words in (UNLISTED_NAME, UNLISTED_EMAIL, "Listed Lena", LISTED_PHONE):
        assert client.get("/api/v1/organizations", query_string={"q": words}, headers=headers).get_json()["total"] == 0
        html = pages.get("/organizations", query_string={"q": words}).get_data(as_text=True)
        assert "Organisation A" not in html and 'href="/organizations/org-a"' not in html


@pytest.fixture
def invitation(world):
    ini = f.initiative("Green freight", slug="green-freight", network=world.x, status="active")
    f.participant(ini, world.org_a, status="accepted")
    invited = f.participant(ini, world.org_b, status="invited")
    declined_org = f.organization("Declining Org", slug="declining")  # in no node
    declined = f.participant(ini, declined_org, status="declined")
    db.session.commit()
    return ini, invited, declined


# Who sees every invitation: the initiative's managers (coordinator of X, the convening node), its
# participants (A accepted, B invited) and admins. B's coordinator sees B's invitation alone.
SEES_INVITATIONS = {"coordinator_x", "member_a", "member_b", "admin"}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_invitations_not_accepted_are_private(app, client, world, invitation, role):
    ini, invited, declined = invitation
    headers = api_headers(world, role)
    listed = client.get(f"/api/v1/initiatives/{ini.slug}/participants", headers=headers).get_json()
    statuses = {p["organization"]: p["invitation_status"] for p in listed["items"]}
    sees_b = role in SEES_INVITATIONS | {"member_b", "coordinator_y"}
    if role in SEES_INVITATIONS:
        assert statuses == {"org-a": "accepted", "org-b": "invited", "declining": "declined"}
    elif role == "coordinator_y":
        assert statuses == {"org-a": "accepted", "org-b": "invited"}
    else:
        assert statuses == {"org-a": "accepted"} and listed["total"] == 1
    detail = client.get(f"/api/v1/participants/{invited.id}", headers=headers)
    assert detail.status_code == (200 if sees_b else 404)
    if role == "anonymous":
        return
    pages = page_client(app, world, role)
    html = pages.get(f"/initiatives/{ini.slug}").get_data(as_text=True)
    assert ("Declining Org" in html) == (role in SEES_INVITATIONS)
    exported = pages.get(f"/initiatives/{ini.slug}/participants.csv").get_data(as_text=True)
    assert "Organisation A" in exported
    assert ("Declining Org" in exported) == (role in SEES_INVITATIONS)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_an_organisations_page_shows_its_open_invitations_only_to_those_with_rights_over_it(
    app, world, invitation, role
):
    """Organisation B's page lists the initiative it is invited to (marked "Invited") to its
    members, its coordinators and admins; to others B takes part in nothing. A's acceptance is public."""
    pages = page_client(app, world, role)
    b_page = pages.get("/organizations/org-b?lang=en").get_data(as_text=True)
    b_initiatives = b_page.split('id="initiatives"', 1)[1].split("</section>", 1)[0]
    if role in ("member_b", "coordinator_y", "admin"):
        assert 'href="/initiatives/green-freight">Green freight</a>' in b_initiatives and "Invited" in b_initiatives
    else:
        assert "Green freight" not in b_initiatives and "Not taking part in any initiative." in b_initiatives
    a_page = pages.get("/organizations/org-a").get_data(as_text=True)
    a_initiatives = a_page.split('id="initiatives"', 1)[1].split("</section>", 1)[0]
    assert "Green freight" in a_initiatives and "Invited" not in a_initiatives
