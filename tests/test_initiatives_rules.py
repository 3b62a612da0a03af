"""Initiatives follow the rules every record follows (issue #12): the Cleaner's validation, a
required version, archive and restore as two actions, the one slug module, an API that hands its
values to the service as they came, and the features that moved out of the initiatives blueprint."""

from decimal import Decimal

import pytest
from flask import url_for
from sqlalchemy import select

from network.extensions import db
from network.models import Initiative
from network.services import Conflict, ValidationError, archiving, organizations
from network.services import initiatives as service
from network.slugs import slugify
from tests import factories as f
from tests.test_api import assert_problem, bearer


@pytest.fixture
def initiative(world):
    ini = f.initiative("Road freight programme", network=world.x, slug="road-freight", target_tco2e=Decimal("1000"))
    db.session.commit()
    return ini


# ---------------------------------------------------------------------------------------- versions


def test_update_without_a_version_is_refused_like_an_organisation(world, initiative):
    coordinator = world.users["coordinator_x"]
    with pytest.raises(ValidationError) as raised:
        organizations.update_organization(world.users["admin"], world.org_a, {"name": "Renamed"}, None)
    org_message = raised.value.errors["version"]
    before = initiative.version
    with pytest.raises(ValidationError) as raised:
        service.update_initiative(coordinator, initiative, {"title": "Overwritten"}, None)
    assert raised.value.errors["version"] == org_message
    db.session.expire_all()
    assert (initiative.title, initiative.version) == ("Road freight programme", before)


def test_a_version_that_is_not_a_number_is_a_field_error(world, initiative):
    with pytest.raises(ValidationError) as raised:
        service.update_initiative(world.users["coordinator_x"], initiative, {"title": "New"}, "abc")
    assert raised.value.errors["version"]


def test_edit_page_with_a_bad_or_missing_version_says_so(world, initiative, client_as):
    client = client_as("coordinator_x")
    data = {"title": "Renamed", "status": "active"}
    for version in ("abc", ""):
        response = client.post("/initiatives/road-freight/edit", data=dict(data, version=version))
        assert response.status_code == 422, version
        assert b"Must be a whole number." in response.data or b"The version you read is required" in response.data
    db.session.expire_all()
    assert db.session.scalar(select(Initiative.title)) == "Road freight programme"


def test_edit_page_with_a_stale_version_shows_the_conflict_page(world, initiative, client_as):
    client = client_as("coordinator_x")
    form = {"title": "Mine", "status": "active", "version": str(initiative.version)}
    service.update_initiative(world.users["admin"], initiative, {"goal": "Theirs"}, initiative.version)
    db.session.commit()
    response = client.post("/initiatives/road-freight/edit", data=form)
    assert response.status_code == 409 and b"Theirs" in response.data
    db.session.expire_all()
    assert db.session.scalar(select(Initiative.title)) == "Road freight programme"


# ------------------------------------------------------------------------------------ validation


def test_service_checks_fields_with_the_cleaner(world):
    coordinator = world.users["coordinator_x"]
    with pytest.raises(ValidationError) as raised:
        service.create_initiative(coordinator, {"title": "T", "colour": "red", "target_tco2e": "1.2345",
                                                "target_people": "-1", "title_local": "a\nb"})  # fmt: skip
    assert set(raised.value.errors) == {"colour", "target_tco2e", "target_people", "title_local"}


def test_partial_update_changes_only_what_is_given(world, initiative):
    coordinator = world.users["coordinator_x"]
    service.update_initiative(coordinator, initiative, {"themes": ["transport"], "regions": ["ke", "142"],
                                                        "targets": [{"label": "Trucks", "unit": "trucks",
                                                                     "value": "50"}]}, initiative.version)  # fmt: skip
    db.session.commit()
    service.update_initiative(coordinator, initiative, {"goal": "Cleaner freight"}, initiative.version)
    db.session.commit()
    db.session.expire_all()
    assert (initiative.title, initiative.goal) == ("Road freight programme", "Cleaner freight")
    assert [t.slug for t in initiative.themes] == ["transport"] and {r.code for r in initiative.regions} == {
        "KE",
        "142",
    }
    assert [(t.label, t.value) for t in initiative.targets] == [("Trucks", Decimal("50"))]
    with pytest.raises(ValidationError) as raised:
        service.update_initiative(coordinator, initiative, {"network": world.y.id}, initiative.version)
    assert raised.value.errors["network"]


# ------------------------------------------------------------------------------------------- slugs


def test_chinese_title_gets_a_pinyin_slug_as_an_organisation_does(world):
    coordinator = world.users["coordinator_x"]
    ini = service.create_initiative(coordinator, {"title": "绿色货运联盟"})
    org = organizations.create_organization(world.users["admin"], {"name": "绿色货运联盟"})
    assert ini.slug == org.slug == "lu-se-huo-yun-lian-meng"
    assert service.create_initiative(coordinator, {"title": "绿色货运联盟"}).slug == "lu-se-huo-yun-lian-meng-2"
    assert service.create_initiative(coordinator, {"title": "São Paulo"}).slug == "sao-paulo"
    assert service.create_initiative(coordinator, {"title": "!!!"}).slug == "initiative"
    assert slugify("!!!", fallback="organisation") == "organisation"


# ---------------------------------------------------------------------------------- archive/restore


def test_archive_twice_stays_archived_and_restore_is_its_own_action(world, initiative):
    coordinator = world.users["coordinator_x"]
    archiving.archive(coordinator, initiative)
    with pytest.raises(ValidationError, match="already archived"):
        archiving.archive(coordinator, initiative)
    assert initiative.is_archived
    archiving.restore(coordinator, initiative)
    assert not initiative.is_archived
    with pytest.raises(ValidationError, match="not archived"):
        archiving.restore(coordinator, initiative)
    assert not initiative.is_archived
    with pytest.raises(Conflict):
        archiving.archive(coordinator, initiative, initiative.version - 1)


# -------------------------------------------------------------------------------------------- API


def test_api_patch_needs_a_current_if_match_checked_by_the_service(client, world, initiative):
    url = "/api/v1/initiatives/road-freight"
    headers = bearer(world.users["coordinator_x"])
    etag = client.get(url).headers["ETag"]
    assert_problem(client.patch(url, json={"goal": "X"}, headers=headers), 428)
    ok = client.patch(url, json={"goal": "X", "targets": [{"label": "Trucks", "unit": "trucks", "value": "5"}]},
                      headers={**headers, "If-Match": etag})  # fmt: skip
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert ok.get_json()["title"] == "Road freight programme" and ok.get_json()["targets"][0]["label"] == "Trucks"
    assert_problem(client.patch(url, json={"goal": "Y"}, headers={**headers, "If-Match": etag}), 412)
    assert_problem(client.patch(url, json={"goal": "Y"}, headers={**headers, "If-Match": '"abc"'}), 412)
    fresh = ok.headers["ETag"]
    moved = assert_problem(client.patch(url, json={"network": world.y.id}, headers={**headers, "If-Match": fresh}), 422)
    assert [e["field"] for e in moved["errors"]] == ["network"]
    bad = assert_problem(client.patch(url, json={"target_people": -3}, headers={**headers, "If-Match": fresh}), 422)
    assert [e["field"] for e in bad["errors"]] == ["target_people"]
    db.session.expire_all()
    assert db.session.scalar(select(Initiative.goal)) == "X"


def test_api_delete_archives_once_through_the_service(client, world, initiative):
    url = "/api/v1/initiatives/road-freight"
    headers = bearer(world.users["coordinator_x"])
    etag = client.get(url).headers["ETag"]
    assert_problem(client.delete(url, headers=headers), 428)
    assert_problem(client.delete(url, headers={**headers, "If-Match": '"0"'}), 412)
    archived = client.delete(url, headers={**headers, "If-Match": etag})
    assert archived.status_code == 200 and archived.get_json()["archived_at"]
    assert_problem(client.delete(url, headers={**headers, "If-Match": archived.headers["ETag"]}), 422)
    db.session.expire_all()
    assert db.session.scalar(select(Initiative)).is_archived


def test_api_creates_with_a_pinyin_slug(client, world):
    created = client.post("/api/v1/initiatives", json={"title": "绿色货运联盟", "themes": ["transport"]},
                          headers=bearer(world.users["coordinator_x"]))  # fmt: skip
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["slug"] == "lu-se-huo-yun-lian-meng"
    assert created.get_json()["network_id"] == world.x.id


# -------------------------------------------------------------------------------- moved features


def test_moved_features_keep_their_addresses(app, world, initiative, client_as):
    with app.test_request_context():
        assert url_for("notifications.index") == "/notifications"
        assert url_for("notifications.mark_read") == "/notifications/read"
        assert url_for("activity.record_organization_activity", slug="org-a") == "/organizations/org-a/activities"
        assert url_for("graph.organization_graph", slug="org-a") == "/organizations/org-a/graph.json"
        assert url_for("initiatives.restore", slug="road-freight") == "/initiatives/road-freight/restore"
    assert not [r for r in app.url_map.iter_rules() if r.endpoint.startswith("initiatives.")
                and not r.rule.startswith("/initiatives")]  # fmt: skip
    service.invite_participant(world.users["coordinator_x"], initiative, world.org_a)
    db.session.commit()
    member = client_as("member_a")
    assert 'data-testid="unread-count">1<' in member.get("/organizations").get_data(as_text=True)
    assert client_as("viewer").get("/organizations/org-a/graph.json").get_json()["nodes"]
    recorded = member.post("/organizations/org-a/activities", data={"kind": "call", "subject": "Called"})
    assert recorded.status_code == 302 and recorded.headers["Location"].endswith("/organizations/org-a#activity")
    assert b"Called" in member.get("/organizations/org-a").data


def test_nodes_to_convene_in_are_the_coordinators_own(world):
    assert {n.id for n in service.networks_to_convene(world.users["coordinator_x"])} == {world.x.id, world.x1.id}
    assert {world.x.id, world.x1.id, world.y.id} <= {n.id for n in service.networks_to_convene(world.users["admin"])}
    assert service.networks_to_convene(world.users["member_a"]) == []


def test_create_page_puts_the_services_messages_on_their_fields(world, client_as):
    client = client_as("coordinator_x")
    response = client.post("/initiatives/new", data={"title": "T", "network_id": "999999999999"})
    assert response.status_code == 422 and b"Unknown network node." in response.data
    response = client.post("/initiatives/new", data={"title": "T", "custom_targets": "Trucks; trucks"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Line 1: Each target needs a label, a unit and a value." in page
    assert db.session.scalar(select(Initiative)) is None
