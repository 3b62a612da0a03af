"""Tags (#15 item 3): who makes and applies them, the audit trail, the "tag" facet and filter (pages
and API), incremental facet updates, and a tag made from a saved search."""

import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from network.errors import PermissionDenied
from network.extensions import db
from network.models import AuditEvent, SavedSearch
from network.models.tag import Tag, organization_tags
from network.services import search, tags
from network.services.search import facets
from tests import factories as f
from tests.test_api import bearer
from tests.test_search_incremental import snapshot


def search_ids(actor, **args) -> set[int]:
    return search.organization_id_set(actor, search.parse_search_params(MultiDict(args)))


@pytest.fixture
def orgs(world):
    made = [f.organization(f"Tagged {n}", networks=[world.x1]) for n in range(3)]
    db.session.commit()
    return made


def test_coordinators_make_tags_of_their_nodes_admins_network_wide(world):
    coordinator = world.users["coordinator_x"]
    tag = tags.create_tag(coordinator, "  Summit   2027 ", world.x1)  # a node below theirs
    assert (tag.name, tag.network_id) == ("Summit 2027", world.x1.id)
    with pytest.raises(PermissionDenied):
        tags.create_tag(coordinator, "Theirs", world.y)
    with pytest.raises(PermissionDenied):
        tags.create_tag(coordinator, "Everyone's", None)
    with pytest.raises(PermissionDenied):
        tags.create_tag(world.users["member_a"], "Mine", world.x1)
    assert tags.create_tag(world.users["admin"], "Press", None).network_id is None


def test_a_coordinator_applies_only_the_tags_of_their_nodes(world, orgs):
    tag_y = tags.create_tag(world.users["coordinator_y"], "Y list", world.y)
    ids = [o.id for o in orgs]
    with pytest.raises(PermissionDenied):
        tags.add_to_tag(world.users["coordinator_x"], tag_y, ids)
    with pytest.raises(PermissionDenied):
        tags.delete_tag(world.users["coordinator_x"], tag_y)
    assert not db.session.scalars(select(organization_tags.c.organization_id)).all()


def test_adding_and_removing_counts_audits_and_filters(world, orgs):
    coordinator = world.users["coordinator_x"]
    tag = tags.create_tag(coordinator, "Invited", world.x)
    first = tags.add_to_tag(coordinator, tag, [orgs[0].id, orgs[1].id])
    again = tags.add_to_tag(coordinator, tag, [o.id for o in orgs] + [world.org_b.id])
    db.session.commit()
    assert (first.changed, first.unchanged) == (2, 0)
    assert (again.changed, again.unchanged) == (2, 2)
    assert search_ids(coordinator, tag=str(tag.id)) == {o.id for o in orgs} | {world.org_b.id}
    assert search_ids(coordinator, tag=str(tag.id), network="node-y") == {world.org_b.id}
    # The audit trail says what each organisation's tags were and became, as for its themes.
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "organizations", AuditEvent.entity_id == orgs[0].id,
                                 AuditEvent.changes.is_not(None)).order_by(AuditEvent.id)
    ).all()  # fmt: skip
    assert events[-1].changes == {"tags": [[], ["Invited"]]} and events[-1].actor_id == coordinator.id
    removed = tags.remove_from_tag(coordinator, tag, [orgs[0].id, world.org_a.id])
    db.session.commit()
    assert (removed.changed, removed.unchanged) == (1, 1)
    assert orgs[0].id not in search_ids(coordinator, tag=str(tag.id))
    last = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == orgs[0].id).order_by(AuditEvent.id.desc())
    ).first()
    assert last.changes == {"tags": [["Invited"], []]}


def test_the_tag_facet_counts_and_is_patched_not_rebuilt(world, orgs, monkeypatch):
    coordinator = world.users["coordinator_x"]
    tag = tags.create_tag(coordinator, "Press", world.x)
    db.session.commit()
    params = search.parse_search_params(MultiDict({}))
    search.search_organizations(coordinator, params)  # the index, built with the new tag
    rebuilds = []
    real = facets.build
    monkeypatch.setattr(facets, "build", lambda conn, g: rebuilds.append(g) or real(conn, g))
    tags.add_to_tag(coordinator, tag, [orgs[0].id, orgs[2].id])
    db.session.commit()
    result = search.search_organizations(coordinator, search.parse_search_params(MultiDict({})))
    assert rebuilds == []  # patched from the change log
    assert [(v.value, v.count) for v in result.facets["tag"]] == [(str(tag.id), 2)]
    page = search.search_organizations(coordinator, search.parse_search_params(MultiDict({"tag": str(tag.id)})))
    assert {o.id for o in page.items} == {orgs[0].id, orgs[2].id}
    assert [t.name for t in page.tags[orgs[0].id]] == ["Press"] and orgs[1].id not in page.tags
    # The patched index holds what a full build holds.
    conn = db.session.connection()
    patched = facets.current_index(conn)
    rebuilt = real(conn, patched.generation)
    assert snapshot(patched)["sets"]["tag"] == snapshot(rebuilt)["sets"]["tag"]


def test_visitors_neither_see_nor_filter_by_tags(world, orgs, client):
    tag = tags.create_tag(world.users["admin"], "Internal list", None)
    tags.add_to_tag(world.users["admin"], tag, [orgs[0].id])
    db.session.commit()
    result = search.search_organizations(None, search.parse_search_params(MultiDict({"tag": str(tag.id)})))
    assert result.total > 1 and "tag" not in result.facets and result.tags == {}
    assert any("Sign in" in n for n in result.notices)
    page = client.get(f"/organizations?tag={tag.id}").get_data(as_text=True)
    assert "Internal list" not in page


def test_result_rows_show_tags_without_a_query_per_row(world, orgs, client_as, count_queries):
    admin = world.users["admin"]
    tag = tags.create_tag(admin, "Summit", None)
    viewer = client_as("viewer")
    few = count_queries.get(viewer, "/organizations")
    tags.add_to_tag(admin, tag, [o.id for o in orgs] + [world.org_a.id])
    db.session.commit()
    viewer.get("/organizations")  # the facet index catches up
    many = count_queries.get(viewer, "/organizations")
    page = viewer.get("/organizations").get_data(as_text=True)
    assert page.count('class="badge rounded-pill text-bg-secondary tag-badge"') == 4
    assert many <= few


def test_api_filters_by_tag(client, world, orgs):
    tag = tags.create_tag(world.users["coordinator_x"], "API list", world.x)
    tags.add_to_tag(world.users["coordinator_x"], tag, [orgs[1].id])
    db.session.commit()
    body = client.get(f"/api/v1/organizations?tag={tag.id}", headers=bearer(world.users["viewer"], "read")).get_json()
    assert [item["id"] for item in body["items"]] == [orgs[1].id]
    assert [(v["value"], v["count"]) for v in body["facets"]["tag"]] == [(str(tag.id), 1)]
    visitor = client.get(f"/api/v1/organizations?tag={tag.id}").get_json()
    assert visitor["total"] > 1 and "tag" not in visitor["facets"]
    spec = client.get("/api/v1/openapi.json").get_json()
    params = [p["name"] for p in spec["paths"]["/api/v1/organizations"]["get"]["parameters"]]
    assert "tag" in params


def test_a_tag_from_a_saved_search_holds_its_results(world, orgs, client_as):
    coordinator = world.users["coordinator_x"]
    saved = SavedSearch(user_id=coordinator.id, name="Tagged ones", query="q=tagged", share_token="t" * 32)
    db.session.add(saved)
    db.session.commit()
    client = client_as("coordinator_x")
    assert "Make a tag from this search" in client.get("/organizations/saved").get_data(as_text=True)
    response = client.post(f"/organizations/saved/{saved.id}/tag", data={"name": "", "network": str(world.x1.id)})
    assert response.status_code == 302
    tag = db.session.scalar(select(Tag).where(Tag.name == "Tagged ones"))
    assert tag.network_id == world.x1.id
    assert search_ids(coordinator, tag=str(tag.id)) == {o.id for o in orgs}
    # Someone else's saved search is not theirs to turn into a tag.
    other = client_as("coordinator_y").post(f"/organizations/saved/{saved.id}/tag",
                                            data={"name": "Stolen", "network": str(world.y.id)})  # fmt: skip
    assert other.status_code == 404


def test_deleting_a_tag_takes_it_off_every_organisation(world, orgs, client_as):
    coordinator = world.users["coordinator_x"]
    tag = tags.create_tag(coordinator, "Short-lived", world.x)
    tags.add_to_tag(coordinator, tag, [o.id for o in orgs])
    db.session.commit()
    tag_id = tag.id
    assert client_as("coordinator_y").post(f"/tags/{tag_id}/delete").status_code == 403
    assert client_as("coordinator_x").post(f"/tags/{tag_id}/delete").status_code == 302
    assert db.session.get(Tag, tag_id) is None
    assert not db.session.scalars(select(organization_tags.c.organization_id)).all()
    page = client_as("coordinator_x").get("/organizations").get_data(as_text=True)
    assert "Short-lived" not in page


def test_tags_page_lists_and_creates(world, client_as):
    client = client_as("coordinator_x")
    response = client.post("/tags", data={"name": "Funders", "network": str(world.x.id)})
    assert response.status_code == 302
    page = client.get("/tags").get_data(as_text=True)
    assert "Funders" in page and "Whole network (admins)" not in page
    assert client_as("member_a").post("/tags", data={"name": "No", "network": str(world.x.id)}).status_code == 403


def test_the_history_tab_names_the_tags_field(world, orgs, client_as):
    tag = tags.create_tag(world.users["coordinator_x"], "Summit list", world.x)
    tags.add_to_tag(world.users["coordinator_x"], tag, [orgs[0].id])
    db.session.commit()
    page = client_as("coordinator_x").get(f"/organizations/{orgs[0].slug}/history").get_data(as_text=True)
    assert re.search(r'<th scope="row">Tags</th>\s*<td class="history-old">.*?</td>\s*<td class="history-new">Summit list</td>',
                     page, re.S)  # fmt: skip
    zh = client_as("coordinator_x").get(f"/organizations/{orgs[0].slug}/history?lang=zh").get_data(as_text=True)
    assert '<th scope="row">标签</th>' in zh


def test_a_merge_keeps_the_duplicates_tags(world, orgs):
    from network.services.duplicates import merge_organizations

    coordinator = world.users["coordinator_x"]
    tag = tags.create_tag(coordinator, "Summit", world.x)
    other = tags.create_tag(coordinator, "Press", world.x)
    tags.add_to_tag(coordinator, tag, [orgs[1].id])
    tags.add_to_tag(coordinator, other, [orgs[0].id, orgs[1].id])
    db.session.commit()
    merge_organizations(coordinator, orgs[0], orgs[1], choices={}, survivor_version=orgs[0].version,
                        duplicate_version=orgs[1].version)  # fmt: skip
    db.session.commit()
    assert search_ids(coordinator, tag=str(tag.id)) == {orgs[0].id}
    assert search_ids(coordinator, tag=str(other.id)) == {orgs[0].id}
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == orgs[0].id).order_by(AuditEvent.id.desc())
    ).first()
    assert event.changes["tags"] == [["Press"], ["Press", "Summit"]]


def test_renaming_a_tag_who_may_audit_and_the_search_index(world, orgs, client_as):
    coordinator = world.users["coordinator_x"]
    tag = tags.create_tag(coordinator, "Summit 2026", world.x)
    tags.create_tag(coordinator, "Press", world.x)
    everyone = tags.create_tag(world.users["admin"], "Network list", None)
    tags.add_to_tag(coordinator, tag, [orgs[0].id])
    db.session.commit()
    tag_id = tag.id
    search.search_organizations(coordinator, search.parse_search_params(MultiDict({})))  # index built
    generation = facets.current_index(db.session.connection()).generation
    # attacks: a coordinator of another node, a member, a coordinator on a network-wide tag
    assert client_as("coordinator_y").post(f"/tags/{tag_id}/rename", data={"name": "Mine"}).status_code == 403
    assert client_as("member_a").post(f"/tags/{tag_id}/rename", data={"name": "Mine"}).status_code == 403
    with pytest.raises(PermissionDenied):
        tags.rename_tag(coordinator, everyone, "Ours")
    # a name taken in the same node is refused (any case)
    assert client_as("coordinator_x").post(f"/tags/{tag_id}/rename", data={"name": "press"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Tag, tag_id).name == "Summit 2026"
    assert client_as("coordinator_x").post(f"/tags/{tag_id}/rename", data={"name": " Summit  2027 "}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Tag, tag_id).name == "Summit 2027"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "tags")).one()
    assert (event.entity_id, event.changes, event.actor_id) == (tag_id, {"name": ["Summit 2026", "Summit 2027"]},
                                                                coordinator.id)  # fmt: skip
    # the search index noticed: the facet shows the new name
    result = search.search_organizations(coordinator, search.parse_search_params(MultiDict({})))
    assert facets.current_index(db.session.connection()).generation != generation
    assert [str(v.label) for v in result.facets["tag"]] == ["Summit 2027 · Node X"]
    tags.rename_tag(world.users["admin"], everyone, "Whole network list")  # admins: network-wide ones


def test_the_organisation_page_shows_its_tags_to_signed_in_users(world, orgs, client_as, count_queries):
    admin = world.users["admin"]
    tag = tags.create_tag(admin, "Summit guests", None)
    db.session.commit()
    url = f"/organizations/{orgs[0].slug}"
    viewer = client_as("viewer")
    before = count_queries.get(viewer, url)
    tags.add_to_tag(admin, tag, [orgs[0].id])
    db.session.commit()
    page = viewer.get(url).get_data(as_text=True)
    assert 'data-testid="org-tags"' in page and f'href="/organizations?tag={tag.id}"' in page
    assert count_queries.get(viewer, url) == before  # the tags' one statement is there either way
    anonymous = client_as("anonymous").get(url).get_data(as_text=True)
    assert "Summit guests" not in anonymous and 'data-testid="org-tags"' not in anonymous
