"""The JSON API: tokens, permissions through the API, versions, errors as problem+json."""

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from network.extensions import db
from network.models import ApiToken, AuditEvent, Organization
from network.services import tokens
from tests import factories as f

PROBLEM = "application/problem+json"


def bearer(user, scope: str = "read-write", days: int | None = 30) -> dict:
    created = tokens.create_token(user, f"test {scope}", scope, days)
    db.session.commit()
    return {"Authorization": f"Bearer {created.secret}"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"]
    return body


# Reading -------------------------------------------------------------------------------------


def test_anonymous_reads_the_public_directory_with_etag(client, world):
    response = client.get(f"/api/v1/organizations/{world.org_a.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["slug"] == "org-a" and body["hq_country"] == "KE"
    assert response.headers["ETag"] == f'"{world.org_a.version}"'
    assert [m["network"] for m in body["memberships"]] == ["node-x1"]
    assert client.get("/api/v1/organizations/org-a").get_json()["id"] == world.org_a.id


@pytest.mark.app_config(PUBLIC_DIRECTORY=False)
def test_private_directory_needs_a_token(client, world):
    assert_problem(client.get("/api/v1/organizations/org-a"), 401)
    response = client.get("/api/v1/organizations/org-a", headers=bearer(world.users["viewer"], "read"))
    assert response.status_code == 200


def test_list_uses_the_directory_search_with_pages_and_links(client, world):
    for n in range(3):
        f.organization(f"Kenyan group {n}", country="KE", kind="cbo")
    f.organization("Indian group", country="IN", kind="cbo")
    db.session.commit()
    response = client.get("/api/v1/organizations?country=KE&kind=cbo&per_page=2")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3 and len(body["items"]) == 2
    assert body["links"]["prev"] is None
    assert "page=2" in body["links"]["next"] and "country=KE" in body["links"]["next"]
    assert 'rel="next"' in response.headers["Link"]
    second = client.get(body["links"]["next"]).get_json()
    assert len(second["items"]) == 1 and second["links"]["next"] is None
    assert {i["hq_country"] for i in body["items"] + second["items"]} == {"KE"}
    kinds = {v["value"]: v for v in body["facets"]["kind"]}
    assert kinds["cbo"]["count"] == 3 and kinds["cbo"]["selected"] is True


def test_list_full_text_and_region_filters_like_the_directory(client, world):
    f.organization("Solar Mamas", country="IN")
    f.organization("Solar Kenya", country="KE")
    f.organization("Wind Asia", country="IN")
    db.session.commit()
    body = client.get("/api/v1/organizations?q=solar&region=142").get_json()
    assert [i["name"] for i in body["items"]] == ["Solar Mamas"]
    assert body["total"] == 1


def test_reference_resources(client, world):
    regions = client.get("/api/v1/regions?level=country&per_page=5").get_json()
    assert regions["total"] > 200 and len(regions["items"]) == 5
    assert client.get("/api/v1/regions/in").get_json()["parent_code"] == "034"
    assert len(client.get("/api/v1/themes").get_json()["items"]) == 15
    nodes = client.get("/api/v1/networks").get_json()
    assert [n["slug"] for n in nodes["items"]] == ["node-x", "node-x1", "node-y"]
    assert client.get("/api/v1/networks/node-x1").get_json()["parent_id"] == world.x.id


def test_unknown_things_are_404_problems(client, world):
    assert_problem(client.get("/api/v1/organizations/no-such-org"), 404)
    assert_problem(client.get("/api/v1/projects/99999999999"), 404)
    assert_problem(client.get("/api/v1/no-such-resource"), 404)
    assert_problem(client.put("/api/v1/themes"), 405)


def test_problems_speak_the_clients_language(client, world):
    """Titles and our own details follow Accept-Language; status and type do not change."""
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    assert assert_problem(client.get("/api/v1/organizations/no-such-org", headers=zh), 404)["title"] == "未找到"
    assert assert_problem(client.get("/api/v1/organizations/no-such-org"), 404)["title"] == "Not found"
    body = assert_problem(client.put("/api/v1/themes", headers=zh), 405)
    assert body["title"] == "不允许的请求方法" and body["type"] == "about:blank"
    body = assert_problem(client.post("/api/v1/organizations", data="{", content_type="application/json",
                                      headers={**zh, **bearer(world.users["admin"])}), 400)  # fmt: skip
    assert body["title"] == "请求有误" and "JSON" in body["detail"] and "not valid" not in body["detail"]


def test_unlisted_people_are_hidden_from_others(client, world):
    listed = f.person(world.org_a, "Listed", consent_to_list=True)
    unlisted = f.person(world.org_a, "Unlisted", consent_to_list=False)
    db.session.commit()
    names = [p["name"] for p in client.get("/api/v1/organizations/org-a/people").get_json()["items"]]
    assert names == ["Listed"]
    member = bearer(world.users["member_a"], "read")
    names = [p["name"] for p in client.get("/api/v1/organizations/org-a/people", headers=member).get_json()["items"]]
    assert names == ["Listed", "Unlisted"]
    assert client.get(f"/api/v1/people/{listed.id}").status_code == 200
    assert_problem(client.get(f"/api/v1/people/{unlisted.id}"), 404)
    assert client.get(f"/api/v1/people/{unlisted.id}", headers=member).status_code == 200


# Tokens --------------------------------------------------------------------------------------


def test_writes_need_a_valid_read_write_token(client, world):
    admin = world.users["admin"]
    payload = {"name": "Solar Sisters", "hq_country": "KE"}
    assert_problem(client.post("/api/v1/organizations", json=payload), 401)
    response = client.post("/api/v1/organizations", json=payload, headers=bearer(admin, "read"))
    body = assert_problem(response, 403)  # a valid token with too little scope (RFC 6750)
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert "read" in body["detail"]
    invalid = {"Authorization": "Bearer net_00000000_not-a-token"}
    response = client.post("/api/v1/organizations", json=payload, headers=invalid)
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert_problem(client.get("/api/v1/organizations", headers={"Authorization": "Basic abc"}), 401)
    assert db.session.scalar(select(Organization).where(Organization.name == "Solar Sisters")) is None


def test_revoked_and_expired_tokens_are_refused(client, world):
    from datetime import timedelta

    from network.models import utcnow

    headers = bearer(world.users["admin"])
    assert client.get("/api/v1/themes", headers=headers).status_code == 200
    token = db.session.scalar(select(ApiToken))
    assert token.last_used_at is not None  # recorded and committed by the request
    tokens.revoke_token(world.users["admin"], token.id)
    db.session.commit()
    assert_problem(client.get("/api/v1/themes", headers=headers), 401)
    headers = bearer(world.users["admin"])
    token = db.session.scalar(select(ApiToken).where(ApiToken.revoked_at.is_(None)))
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert_problem(client.get("/api/v1/themes", headers=headers), 401)


def test_create_with_token_is_audited_as_the_tokens_user(client, world):
    coordinator = world.users["coordinator_x"]
    response = client.post(
        "/api/v1/organizations",
        json={"name": "Solar Sisters", "hq_country": "KE", "themes": ["energy-transition"], "network": world.x1.id},
        headers=bearer(coordinator),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/organizations/{body['id']}")
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert body["themes"] == ["energy-transition"]
    assert [m["network"] for m in body["memberships"]] == ["node-x1"]
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity_type == "organizations", AuditEvent.entity_id == body["id"])
    )
    assert event.actor_id == coordinator.id


# The permission matrix through the API -------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "org_name", "status"),
    [
        ("admin", "org_b", 200),
        ("coordinator_x", "org_a", 200),  # A is a member of X1, below X
        ("coordinator_x", "org_b", 403),  # B is only in Y
        ("coordinator_y", "org_a", 403),
        ("member_a", "org_b", 403),
        ("member_a", "org_a", 403),  # members propose changes; they do not edit directly
        ("viewer", "org_a", 403),
    ],
)
def test_who_may_update_an_organisation(client, world, role, org_name, status):
    org = getattr(world, org_name)
    response = client.patch(
        f"/api/v1/organizations/{org.id}",
        json={"acronym": "NEW"},
        headers={**bearer(world.users[role]), "If-Match": f'"{org.version}"'},
    )
    assert response.status_code == status, response.get_data(as_text=True)
    db.session.expire_all()
    assert (db.session.get(Organization, org.id).acronym == "NEW") is (status == 200)
    if status == 403:
        assert response.mimetype == PROBLEM


def test_member_edits_own_projects_not_others(client, world):
    headers = bearer(world.users["member_a"])
    own = client.patch(
        f"/api/v1/projects/{world.project_a.id}",
        json={"summary": "Solar pumps"},
        headers={**headers, "If-Match": f'"{world.project_a.version}"'},
    )
    assert own.status_code == 200 and own.get_json()["summary"] == "Solar pumps"
    other = client.patch(
        f"/api/v1/projects/{world.project_b.id}",
        json={"summary": "Hijacked"},
        headers={**headers, "If-Match": f'"{world.project_b.version}"'},
    )
    assert_problem(other, 403)
    created = client.post(
        "/api/v1/projects", json={"organization": world.org_b.id, "title": "Not mine"}, headers=headers
    )
    assert_problem(created, 403)


# Versions ------------------------------------------------------------------------------------


def test_if_match_is_required_and_a_stale_version_is_refused(client, world):
    headers = bearer(world.users["admin"])
    url = f"/api/v1/organizations/{world.org_a.id}"
    read = client.get(url)
    etag = read.headers["ETag"]
    assert_problem(client.patch(url, json={"acronym": "ONE"}, headers=headers), 428)
    first = client.patch(url, json={"acronym": "ONE"}, headers={**headers, "If-Match": etag})
    assert first.status_code == 200 and first.headers["ETag"] != etag
    stale = client.patch(url, json={"acronym": "TWO"}, headers={**headers, "If-Match": etag})
    body = assert_problem(stale, 412)
    assert body["current_version"] == first.get_json()["version"]
    assert client.get(url).get_json()["acronym"] == "ONE"
    archived = client.delete(url, headers={**headers, "If-Match": first.headers["ETag"]})
    assert archived.status_code == 200 and archived.get_json()["archived_at"]
    restored = client.post(f"{url}/restore", headers={**headers, "If-Match": archived.headers["ETag"]})
    assert restored.status_code == 200 and restored.get_json()["archived_at"] is None


# Bad input -----------------------------------------------------------------------------------


def test_bad_bodies_are_problems_with_field_details(client, world):
    headers = bearer(world.users["admin"])
    malformed = client.post(
        "/api/v1/organizations", data="{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert_problem(malformed, 400)
    wrong_types = assert_problem(
        client.post("/api/v1/organizations", json={"name": 5, "themes": "energy"}, headers=headers), 422
    )
    assert {e["field"] for e in wrong_types["errors"]} == {"name", "themes"}
    unknown = assert_problem(
        client.post("/api/v1/organizations", json={"name": "X", "colour": "red"}, headers=headers), 422
    )
    assert unknown["errors"][0]["pointer"] == "/colour"
    missing = assert_problem(client.post("/api/v1/organizations", json={"acronym": "X"}, headers=headers), 422)
    assert [e["field"] for e in missing["errors"]] == ["name"]
    service_rules = assert_problem(
        client.post(
            "/api/v1/organizations", json={"name": "X", "hq_country": "ZZ", "website": "nope"}, headers=headers
        ),
        422,
    )
    assert {e["field"] for e in service_rules["errors"]} == {"hq_country", "website"}
    nul = assert_problem(client.post("/api/v1/organizations", json={"name": "a\x00b"}, headers=headers), 422)
    assert nul["errors"][0]["field"] == "name"
    assert_problem(client.get("/api/v1/organizations?page=0"), 422)
    assert_problem(client.get("/api/v1/organizations?q=a%00b"), 400)


@pytest.mark.app_config(API_MAX_BODY=1000)
def test_oversized_bodies_are_refused(client, world):
    headers = bearer(world.users["admin"])
    response = client.post("/api/v1/organizations", json={"name": "x" * 2000}, headers=headers)
    assert_problem(response, 413)


@pytest.mark.app_config(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
def test_rate_limit_answers_429_with_retry_after(client, world):
    statuses = [client.get("/api/v1/themes").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/themes")
    assert_problem(response, 429)
    assert int(response.headers["Retry-After"]) > 0


def test_cors_is_off_by_default(client, world):
    response = client.get("/api/v1/themes", headers={"Origin": "https://example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.app_config(CORS_ORIGINS=["https://partner.example"])
def test_cors_allows_configured_origins(client, world):
    allowed = client.options("/api/v1/organizations", headers={"Origin": "https://partner.example",
                                                               "Access-Control-Request-Method": "POST"})  # fmt: skip
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://partner.example"
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    other = client.get("/api/v1/themes", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_api_is_exempt_from_csrf_but_ignores_session_cookies(client, world):
    from tests.conftest import login

    login(client, world.users["admin"])
    # A signed-in browser session is no credential for the API: no CSRF token needed, none accepted.
    assert_problem(client.post("/api/v1/organizations", json={"name": "Via cookie"}), 401)
    response = client.post("/api/v1/organizations", json={"name": "Via token"}, headers=bearer(world.users["admin"]))
    assert response.status_code == 201


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert "/api/v1/organizations" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "swagger-ui-dist-5.35.0/swagger-ui-bundle.js" in html and "js/api-docs.js" in html
    assert "<script>" not in html  # the CSP allows no inline script
    assert json.loads(json.dumps(spec))  # serialisable as JSON


def test_huge_ids_in_bodies_are_field_errors_not_database_errors(client, world):
    headers = bearer(world.users["admin"])
    huge = "99999999999"
    partnership = client.post(
        "/api/v1/partnerships",
        json={"organization": world.org_a.id, "partner": huge, "kind": "technical"},
        headers=headers,
    )
    assert [e["field"] for e in assert_problem(partnership, 422)["errors"]] == ["partner"]
    ini = f.initiative(network=world.x)
    db.session.commit()
    invite = client.post(f"/api/v1/initiatives/{ini.id}/participants", json={"organization": huge}, headers=headers)
    assert [e["field"] for e in assert_problem(invite, 422)["errors"]] == ["organization"]
    project = client.post("/api/v1/projects", json={"organization": 2**40, "title": "T"}, headers=headers)
    assert [e["field"] for e in assert_problem(project, 422)["errors"]] == ["organization"]


def test_member_proposes_a_profile_change_instead_of_editing(client, world):
    from network.models import ChangeRequest

    org = world.org_a
    response = client.post(
        f"/api/v1/organizations/{org.id}/change-requests",
        json={"acronym": "OA"},
        headers={**bearer(world.users["member_a"]), "If-Match": f'"{org.version}"'},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["changes"] == {"acronym": [None, "OA"]}
    assert db.session.scalar(select(ChangeRequest)).status == "pending"
    db.session.expire_all()
    assert db.session.get(Organization, org.id).acronym is None  # not applied until reviewed
    other = client.post(
        f"/api/v1/organizations/{world.org_b.id}/change-requests",
        json={"acronym": "OB"},
        headers={**bearer(world.users["member_a"]), "If-Match": f'"{world.org_b.version}"'},
    )
    assert_problem(other, 403)


def test_if_none_match_answers_304(client, world):
    first = client.get(f"/api/v1/organizations/{world.org_a.id}")
    again = client.get(f"/api/v1/organizations/{world.org_a.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data


@pytest.mark.parametrize(
    ("role", "node", "status"),
    [("coordinator_x", "x1", 201), ("coordinator_y", "x1", 403), ("member_b", "y", 403), ("admin", "y", 201)],
)
def test_who_may_add_a_membership(client, world, role, node, status):
    org = f.organization("Newcomer")
    db.session.commit()
    response = client.post(
        "/api/v1/memberships",
        json={"organization": org.id, "network": getattr(world, node).id, "status": "applicant"},
        headers=bearer(world.users[role]),
    )
    assert response.status_code == status, response.get_data(as_text=True)


def test_initiative_coordinators_only_manage_their_own(client, world):
    ini = f.initiative("Clean cookstoves", network=world.x)
    db.session.commit()
    url = f"/api/v1/initiatives/{ini.slug}"
    etag = client.get(url).headers["ETag"]
    denied = client.patch(url, json={"goal": "Y"}, headers={**bearer(world.users["coordinator_y"]), "If-Match": etag})
    assert_problem(denied, 403)
    allowed = client.patch(url, json={"goal": "X"}, headers={**bearer(world.users["coordinator_x"]), "If-Match": etag})
    assert allowed.status_code == 200 and allowed.get_json()["goal"] == "X"
    assert allowed.get_json()["title"] == "Clean cookstoves"  # fields not sent are kept
    invite = client.post(
        f"{url}/participants",
        json={"organization": "org-b", "role": "partner"},
        headers=bearer(world.users["coordinator_x"]),
    )
    assert invite.status_code == 201
    participant_id = invite.get_json()["id"]
    # Only B's members answer B's invitation; to A's members an invitation not accepted does not exist.
    assert_problem(
        client.post(f"/api/v1/participants/{participant_id}/response", json={"accept": True},
                    headers=bearer(world.users["member_a"])),
        404,
    )  # fmt: skip
    accepted = client.post(
        f"/api/v1/participants/{participant_id}/response",
        json={"accept": True},
        headers=bearer(world.users["member_b"]),
    )
    assert accepted.get_json()["invitation_status"] == "accepted"


def test_member_reports_outcomes_of_own_project(client, world):
    url = f"/api/v1/projects/{world.project_a.id}/outcomes"
    body = {"period_start": "2024-01-01", "period_end": "2024-12-31", "tco2e_reduced": "12.5"}
    created = client.post(url, json=body, headers=bearer(world.users["member_a"]))
    assert created.status_code == 201 and Decimal(created.get_json()["tco2e_reduced"]) == Decimal("12.5")
    assert_problem(client.post(url, json=body, headers=bearer(world.users["member_b"])), 403)
    backwards = client.post(url, json={**body, "period_end": "2023-01-01"}, headers=bearer(world.users["member_a"]))
    assert [e["field"] for e in assert_problem(backwards, 422)["errors"]] == ["period_end"]


@pytest.mark.parametrize(
    "url", ["/api/v1/organizations", "/api/v1/projects", "/api/v1/initiatives", "/api/v1/partnerships"]
)
def test_lists_take_the_same_queries_for_more_rows(client, world, url, count_queries):
    def add_rows():
        for _ in range(4):
            org = f.organization(themes=["transport"], countries=["IN"])
            f.project(org, themes=["transport"], countries=["KE"])
            ini = f.initiative(network=world.x)
            f.participant(ini, org)
            f.partnership(org, world.org_a)
        db.session.commit()

    add_rows()
    client.get(url)  # warm caches (the search index, reference data)
    few = count_queries.get(client, url)
    add_rows()
    add_rows()
    client.get(url)
    assert count_queries.get(client, url) == few


# Review states, evidence, proposed participants and links, tags (#15) ----------------------------


def test_outcomes_show_their_review_and_evidence_count_not_the_files(client, world, app, tmp_path, count_queries):
    import io

    from network.services import initiatives as initiatives_service
    from network.services import projects as project_service

    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    try:
        ini = f.initiative("API verified", network=world.x)
        f.participant(ini, world.org_a, role="lead")
        f.participant(ini, world.org_b, role="technical")
        initiatives_service.link_project(world.users["coordinator_x"], ini, world.project_a)
        report = f.outcome(world.project_a, year=2024)
        draft = f.outcome(world.project_a, year=2023)
        project_service.add_evidence(world.users["member_a"], report, "secret-invoice.pdf",
                                     io.BytesIO(b"%PDF-1.4\n%%EOF\n"))  # fmt: skip
        project_service.submit_outcome(world.users["member_a"], report)
        project_service.verify_outcome(world.users["member_b"], report, "Checked.")
        db.session.commit()
    finally:
        app.config["EVIDENCE_DIR"] = None
    body = client.get(f"/api/v1/outcomes/{report.id}").get_json()
    assert body["review_status"] == "verified" and body["basis"] == "verified"
    assert body["verifier"] == "Bo Member" and body["verified_at"] and body["submitted_at"]
    assert body["review_comment"] == "Checked." and body["evidence_count"] == 1
    assert "secret-invoice" not in json.dumps(body)
    page = client.get(f"/api/v1/projects/{world.project_a.id}/outcomes").get_json()
    drafts = [o for o in page["items"] if o["id"] == draft.id]
    assert drafts[0]["review_status"] == "draft" and drafts[0]["verifier"] is None and drafts[0]["verified_at"] is None
    assert drafts[0]["evidence_count"] == 0
    # the list reads the verifiers and files with the page, not per report
    few = count_queries.get(client, f"/api/v1/projects/{world.project_a.id}/outcomes")
    for year in range(2010, 2016):
        f.outcome(world.project_a, year=year)
    db.session.commit()
    assert count_queries.get(client, f"/api/v1/projects/{world.project_a.id}/outcomes") == few
    # documented
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert {"review_status", "verifier", "verified_at", "evidence_count"} <= set(spec["Outcome"]["properties"])


def test_proposed_participants_and_links_say_so(client, world):
    from network.services import initiatives as initiatives_service
    from network.services import projects as project_service

    project_service.update_project(world.users["member_a"], world.project_a, {
        "participants": [{"organization": world.org_b.slug, "role": "funder"}]}, world.project_a.version)  # fmt: skip
    ini = f.initiative("API links", network=world.x)
    f.participant(ini, world.org_a, role="lead")
    initiatives_service.link_project(world.users["member_a"], ini, world.project_a)
    db.session.commit()
    project = client.get(f"/api/v1/projects/{world.project_a.id}").get_json()
    assert [(p["organization"], p["status"]) for p in project["participants"]] == [(world.org_b.slug, "proposed")]
    detail = client.get(f"/api/v1/initiatives/{ini.slug}").get_json()
    assert [(k["project_id"], k["status"]) for k in detail["project_links"]] == [(world.project_a.id, "proposed")]
    initiatives_service.confirm_project_link(world.users["coordinator_x"], ini, world.project_a)
    db.session.commit()
    detail = client.get(f"/api/v1/initiatives/{ini.slug}").get_json()
    assert detail["project_links"][0]["status"] == "confirmed" and detail["project_links"][0]["confirmed_at"]
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert (
        "status" in spec["ProjectParticipant"]["properties"]
        and "project_links" in spec["InitiativeDetail"]["properties"]
    )


def test_an_organisations_tags_only_for_those_who_may_see_tags(client, world):
    from network.services import tags

    tag = tags.create_tag(world.users["coordinator_x"], "Summit 2027", world.x)
    tags.add_to_tag(world.users["coordinator_x"], tag, [world.org_a.id])
    db.session.commit()
    url = f"/api/v1/organizations/{world.org_a.slug}"
    assert client.get(url, headers=bearer(world.users["viewer"], "read")).get_json()["tags"] == [
        {"id": tag.id, "name": "Summit 2027"}
    ]
    assert "tags" not in client.get(url).get_json()  # anonymous reader of the public directory
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert "tags" in spec["Organization"]["properties"]


def test_type_errors_speak_the_clients_language(client, world):
    """marshmallow's own messages (a number where text is due, an unknown field) come back in the
    client's language too."""
    zh = {"Accept-Language": "zh-CN,zh;q=0.9", **bearer(world.users["admin"])}
    body = assert_problem(client.post("/api/v1/organizations", json={"name": 123, "surprise": 1}, headers=zh), 422)
    details = {e["field"]: e["detail"] for e in body["errors"]}
    assert details["name"] == "不是有效的字符串。" and details["surprise"] == "未知字段。", details
    english = assert_problem(
        client.post("/api/v1/organizations", json={"name": 123}, headers=bearer(world.users["admin"])), 422
    )
    assert {e["field"]: e["detail"] for e in english["errors"]}["name"] == "Not a valid string."
