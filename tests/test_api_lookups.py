"""How the API finds the record a URL or a body names: through the services' reads
(``visible_project(actor, id)``…), so a missing record is a 404 problem whose detail is in the
reader's language, a malformed or out-of-range reference is a 404 too (never a database error),
and a record named in a body that does not exist is a 422 on that field."""

from datetime import UTC, datetime

import pytest

from network.extensions import db
from network.models import Organization
from network.services import lookups
from tests import factories as f
from tests.test_api import assert_problem, bearer

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.mark.parametrize(
    "url,detail",
    [
        ("/api/v1/organizations/no-such-org", "没有此组织。"),
        ("/api/v1/organizations/99999999", "没有此组织。"),
        ("/api/v1/organizations/no-such-org/memberships", "没有此组织。"),
        ("/api/v1/organizations/no-such-org/people", "没有此组织。"),
        ("/api/v1/memberships/99999999", "没有此成员资格。"),
        ("/api/v1/projects/99999999", "没有此项目。"),
        ("/api/v1/projects/99999999/outcomes", "没有此项目。"),
        ("/api/v1/outcomes/99999999", "没有此成果报告。"),
        ("/api/v1/partnerships/99999999", "没有此合作伙伴关系。"),
        ("/api/v1/initiatives/no-such-initiative", "没有此联合行动。"),
        ("/api/v1/networks/no-such-node", "没有此网络节点。"),
        ("/api/v1/regions/zzz", "没有此地区。"),
    ],
)
def test_missing_records_are_404_in_the_readers_language(client, world, url, detail):
    assert assert_problem(client.get(url, headers=ZH), 404)["detail"] == detail


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/organizations/99999999999999999999",  # beyond the id column
        "/api/v1/organizations/2147483648",
        "/api/v1/organizations/" + "a" * 201,
        "/api/v1/initiatives/99999999999999999999",
        "/api/v1/projects/2147483648",
    ],
)
def test_malformed_references_name_nothing(client, world, url):
    assert_problem(client.get(url), 404)


def test_records_are_found_by_id_or_slug(client, world):
    initiative = f.initiative("Clean Air Pact", network=world.x)
    db.session.commit()
    assert client.get(f"/api/v1/organizations/{world.org_a.id}").get_json()["slug"] == "org-a"
    assert client.get(f"/api/v1/initiatives/{initiative.id}").get_json()["id"] == initiative.id
    assert client.get(f"/api/v1/initiatives/{initiative.slug}").get_json()["id"] == initiative.id
    assert client.get(f"/api/v1/networks/{world.x1.id}").get_json()["slug"] == "node-x1"


@pytest.mark.app_config(PUBLIC_DIRECTORY=False)
def test_a_missing_record_is_404_and_a_hidden_one_403(client, world):
    """The order of today's answers: whether it exists first, then whether the caller may see it
    (refused to an anonymous caller: 401, send a token)."""
    assert_problem(client.get("/api/v1/projects/99999999"), 404)
    assert_problem(client.get(f"/api/v1/projects/{world.project_a.id}"), 401)
    assert_problem(client.get("/api/v1/partnerships/99999999"), 404)
    assert_problem(client.get(f"/api/v1/organizations/{world.org_a.id}"), 401)
    assert_problem(client.get(f"/api/v1/networks/{world.x1.id}"), 401)
    assert (
        client.get(f"/api/v1/projects/{world.project_a.id}", headers=bearer(world.users["viewer"], "read")).status_code
        == 200
    )


def test_an_archived_organisation_is_not_found_by_those_who_may_not_see_it(client, world):
    old = f.organization("Old Org", slug="old-org", networks=[world.x1], archived_at=datetime.now(UTC))
    db.session.commit()
    assert (
        assert_problem(client.get("/api/v1/organizations/old-org", headers=ZH), 404)["detail"]
        == "没有使用此地址的组织。"
    )
    assert_problem(client.get(f"/api/v1/organizations/{old.id}"), 404)
    assert client.get("/api/v1/organizations/old-org", headers=bearer(world.users["viewer"], "read")).status_code == 200


def test_malformed_slugs_never_reach_the_database(app, world):
    for ref in ("a\x00b", "a" * 201, "9" * 30, "0", "-1"):
        assert lookups.by_ref(Organization, ref) is None
    assert lookups.by_ref(Organization, "org-a") is world.org_a
    assert lookups.by_ref(Organization, str(world.org_a.id)) is world.org_a


def test_a_record_named_in_the_body_that_does_not_exist_is_invalid_input(client, world):
    headers = {**bearer(world.users["admin"]), **ZH}
    body = assert_problem(
        client.post("/api/v1/people", json={"organization": 99999999, "name": "X"}, headers=headers), 422
    )
    assert body["errors"][0]["field"] == "organization" and body["errors"][0]["detail"] == "没有此组织。"
    payload = {"organization": world.org_a.id, "network": 99999999}
    body = assert_problem(client.post("/api/v1/memberships", json=payload, headers=headers), 422)
    assert [(e["field"], e["detail"]) for e in body["errors"]] == [("network", "没有此网络节点。")]
