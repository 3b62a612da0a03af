"""Members keep their own profile current: description, themes, countries of operation and contact
fields are proposed like the core fields, or saved at once where every node of the organisation
allows it (each node's editing settings, chosen by its coordinators). Lists are reviewed as what
was added and removed, and approving applies exactly that to the list as it is then."""

import re

import pytest

from network.extensions import db
from network.models import ChangeRequest
from network.services import PermissionDenied, ValidationError
from network.services import organizations as orgs
from tests import factories as f


def edit_form(org, **values) -> dict:
    data = {"name": org.name, "kind": org.kind, "hq_country": org.hq_country.code if org.hq_country else "",
            "version": str(org.version)}  # fmt: skip
    data.update(values)
    return data


def test_members_propose_description_themes_countries_and_contacts(world, client_as):
    org = world.org_a
    orgs.update_organization(world.users["admin"], org, {"themes": ["transport"], "countries": ["KE"]}, org.version)
    db.session.commit()
    member = client_as("member_a")
    form = member.get("/organizations/org-a/edit").get_data(as_text=True)
    for name in ("description", "themes", "countries", "phone"):
        assert f'name="{name}"' in form, name
    assert 'name="founded"' not in form and 'name="identifiers"' not in form
    response = member.post("/organizations/org-a/edit", data=edit_form(
        org, description="We build bike lanes.", phone="+254 700 123456", themes=["adaptation", "energy-transition"],
        countries=["KE", "UG"],
    ))  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"].endswith("/organizations/org-a/changes")
    request = db.session.scalars(db.select(ChangeRequest)).one()
    assert request.changes["themes"] == [["transport"], ["adaptation", "energy-transition"]]
    assert request.changes["countries"] == [["KE"], ["KE", "UG"]]
    assert set(request.changes) == {"description", "phone", "themes", "countries"}
    db.session.expire_all()
    assert org.description is None and [t.slug for t in org.themes] == ["transport"]  # nothing applied yet

    # The review page names what is added and removed.
    review = client_as("coordinator_x").get(f"/changes/{request.id}").get_data(as_text=True)
    cells = " ".join(re.findall(r'data-testid="collection-change">(.*?)</td>', review, re.S))
    assert "+ Adaptation" in cells and "+ Energy transition" in cells and "− Transport" in cells
    assert "+ Uganda" in cells and "Kenya" not in cells

    # Meanwhile a coordinator adds a theme; approving applies the request's additions and removals
    # to the list as it is now, so that addition stays.
    orgs.update_organization(world.users["coordinator_x"], org, {"themes": ["transport", "climate-finance"]},
                             org.version)  # fmt: skip
    db.session.commit()
    orgs.review_change_request(world.users["coordinator_x"], request, True)
    db.session.commit()
    db.session.expire_all()
    assert sorted(t.slug for t in org.themes) == ["adaptation", "climate-finance", "energy-transition"]
    assert sorted(c.code for c in org.countries) == ["KE", "UG"]
    assert org.description == "We build bike lanes." and org.phone == "+254 700 123456"


def test_founding_year_and_identifiers_stay_with_the_coordinators(world):
    with pytest.raises(ValidationError) as caught:
        orgs.propose_profile_change(world.users["member_a"], world.org_a, {"founded": 1999}, world.org_a.version)
    assert caught.value.errors == {"founded": ["Ask a coordinator to change this field."]}


def test_fields_the_node_allows_are_saved_at_once_the_others_proposed(world, client_as):
    coordinator = client_as("coordinator_x")
    settings = coordinator.get("/networks/node-x1/editing")
    assert settings.status_code == 200
    response = coordinator.post("/networks/node-x1/editing", data={"fields": ["phone", "description"]})
    assert response.status_code == 302
    db.session.expire_all()
    assert world.x1.direct_edit_list == ["description", "phone"]

    org = world.org_a
    member = client_as("member_a")
    assert "Saved at once, without approval:" in member.get("/organizations/org-a/edit").get_data(as_text=True)
    response = member.post("/organizations/org-a/edit", data=edit_form(org, phone="+254 711 000000", acronym="OA"))
    assert response.status_code == 302
    db.session.expire_all()
    assert org.phone == "+254 711 000000" and org.acronym is None  # the phone at once, the acronym waits
    request = db.session.scalars(db.select(ChangeRequest)).one()
    assert request.changes == {"acronym": [None, "OA"]} and request.base_version == 1

    # Only direct fields changed: saved, no request.
    member.post("/organizations/org-a/edit", data=edit_form(org, description="Fresh words", acronym=""))
    db.session.expire_all()
    assert org.description == "Fresh words" and db.session.query(ChangeRequest).count() == 1


def test_an_organisation_in_two_nodes_saves_at_once_only_what_both_allow(world):
    orgs.set_direct_edit_fields(world.users["coordinator_x"], world.x1, ["phone", "description"])
    orgs.set_direct_edit_fields(world.users["coordinator_y"], world.y, ["phone"])
    f.membership(world.org_a, world.y)
    db.session.commit()
    assert orgs.direct_edit_fields(world.org_a) == {"phone"}
    assert orgs.direct_edit_fields(world.org_b) == {"phone"}
    assert orgs.direct_edit_fields(f.organization("In no node")) == set()
    edit = orgs.edit_own_profile(world.users["member_a"], world.org_a,
                                 {"phone": "+1 555 0100", "description": "Proposed"}, world.org_a.version)  # fmt: skip
    assert edit.applied == ["phone"] and edit.change_request.changes == {"description": [None, "Proposed"]}


def test_only_the_nodes_coordinators_choose_its_settings(world, client_as):
    for role in ("coordinator_y", "member_a", "viewer"):
        assert client_as(role).post("/networks/node-x1/editing", data={"fields": ["phone"]}).status_code == 403, role
    with pytest.raises(PermissionDenied):
        orgs.set_direct_edit_fields(world.users["coordinator_y"], world.x, ["phone"])
    with pytest.raises(ValidationError):
        orgs.set_direct_edit_fields(world.users["coordinator_x"], world.x, ["name"])  # who it is: always reviewed
    db.session.expire_all()
    assert world.x1.direct_edit_list == [] and world.x.direct_edit_list == []


def test_the_api_takes_the_same_fields_as_a_proposal(client, world):
    from tests.test_api import bearer

    org = world.org_a
    response = client.post(
        f"/api/v1/organizations/{org.id}/change-requests",
        json={"themes": ["transport"], "countries": ["KE", "UG"], "phone": "+254 700 000001"},
        headers={**bearer(world.users["member_a"]), "If-Match": f'"{org.version}"'},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["changes"]["themes"] == [[], ["transport"]]
    assert response.get_json()["changes"]["countries"] == [[], ["KE", "UG"]]
    db.session.expire_all()
    assert org.themes == [] and org.phone is None  # waits for a coordinator, whatever the node allows
