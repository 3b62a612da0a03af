"""What clients and people type: JSON the API must refuse cleanly, text that is not valid Unicode,
numbers written in every locale's style (one parser for forms, API and importer)."""

import dataclasses

import numpy as np
import pytest
from sqlalchemy import select

from network.extensions import db
from network.models import Organization, Person
from network.services import search
from tests import factories as f
from tests.conftest import login
from tests.test_api import assert_problem, bearer

# --- Search results are plain Python (they become JSON) --------------------------------------


def plain(value, path="result") -> None:
    """Fail on any numpy scalar or array anywhere in a result (json cannot encode them)."""
    assert not isinstance(value, np.generic | np.ndarray), f"{path} is {type(value).__name__}"
    if dataclasses.is_dataclass(value):
        for item in dataclasses.fields(value):
            plain(getattr(value, item.name), f"{path}.{item.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            plain(key, f"{path} key")
            plain(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            plain(item, f"{path}[{n}]")


def test_founded_filter_in_the_api_is_json(client, world):
    f.organization("Old Friends", founded=1985)
    f.organization("New Friends", founded=1995)
    db.session.commit()
    response = client.get("/api/v1/organizations?founded_from=1990&founded_to=1999")
    assert response.status_code == 200
    body = response.get_json()
    assert [i["name"] for i in body["items"]] == ["New Friends"]
    decades = {v["value"]: v["selected"] for v in body["facets"]["founded"]}
    assert decades == {"1980": False, "1990": True}


def test_search_results_hold_no_numpy_values(app, world):
    f.organization("Solar Sisters", country="IN", kind="cbo", founded=1995, themes=["energy-transition"],
                   networks=[world.x1])  # fmt: skip
    db.session.commit()
    args = {"q": "solar", "region": ["142"], "country": ["IN"], "theme": ["energy-transition"], "kind": ["cbo"],
            "network": ["node-x"], "status": ["active"], "founded_from": "1990", "founded_to": "1999"}  # fmt: skip
    for drop in [None, *args]:  # every filter alone missing, so each facet counts with the others applied
        params = search.parse_search_params({k: v for k, v in args.items() if k != drop})
        plain(search.search_organizations(world.users["admin"], params))
    plain(search.search_organizations(world.users["admin"], search.parse_search_params({"q": "nothing-like-it"})))


# --- Bodies the API cannot use are 400 problems ----------------------------------------------

NESTED = "[" * 100_000
BAD_BODIES = {
    "nested": NESTED,
    "nested in a field": '{"name": ' + "[" * 5000 + "]" * 5000 + "}",
    "deep but balanced": '{"name": ' + "[" * 40 + "]" * 40 + "}",
    "lone surrogate": '{"name": "\\ud800"}',
    "low surrogate in a list": '{"name": "x", "themes": ["\\udfff"]}',
    "lone surrogate as a key": '{"\\ud800": "x"}',
    "lone surrogate alone": '"\\udc00"',
    "invalid UTF-8": b'{"name": "\xed\xa0\x80"}',
}


def write_requests(world):
    return [
        ("patch", "/api/v1/organizations/org-a", {"If-Match": f'"{world.org_a.version}"'}),
        ("post", "/api/v1/organizations", {}),
        ("post", "/api/v1/people", {}),
        ("patch", f"/api/v1/projects/{world.project_a.id}", {"If-Match": f'"{world.project_a.version}"'}),
    ]


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bodies_that_python_decodes_badly_are_400_problems(client, world, body):
    headers = bearer(world.users["admin"])
    before = db.session.scalar(select(Organization.version).where(Organization.id == world.org_a.id))
    for method, url, extra in write_requests(world):
        response = getattr(client, method)(url, data=body, content_type="application/json",
                                           headers={**headers, **extra})  # fmt: skip
        problem = assert_problem(response, 400)
        assert "JSON" in problem["detail"], (url, problem)
    db.session.expire_all()
    assert db.session.scalar(select(Organization.version).where(Organization.id == world.org_a.id)) == before
    assert db.session.scalars(select(Person)).all() == []


def test_the_problem_says_where_the_bad_text_is(client, world):
    response = client.post("/api/v1/people", data='{"organization": 1, "name": "A\\ud800"}',
                           content_type="application/json", headers=bearer(world.users["admin"]))  # fmt: skip
    assert "/name" in assert_problem(response, 400)["detail"]


def test_paired_surrogates_are_one_character_and_welcome(client, world):
    # "\ud83c\udf31" is how JSON escapes U+1F331 (a seedling): valid, and stored as that character.
    response = client.patch("/api/v1/organizations/org-a", data='{"name": "Seedling \\ud83c\\udf31"}',
                            content_type="application/json",
                            headers={**bearer(world.users["admin"]), "If-Match": f'"{world.org_a.version}"'})  # fmt: skip
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["name"] == "Seedling \U0001f331"


def test_moderately_nested_values_get_the_usual_field_errors(client, world):
    response = client.post("/api/v1/people", json={"organization": world.org_a.id, "name": [[["x"]]]},
                           headers=bearer(world.users["admin"]))  # fmt: skip
    assert assert_problem(response, 422)["errors"][0]["field"] == "name"


# --- Text that is not valid Unicode in URLs and forms ----------------------------------------

# The UTF-8 form of the lone surrogate U+D800 (which UTF-8 forbids), percent-encoded and raw (as
# WSGI hands a raw byte on: one latin-1 character each; curl sends such bytes unescaped).
SURROGATE_QUERY = ["q=%ED%A0%80", "q=\xed\xa0\x80", "q=solar%ED%A0%80&country=KE"]
SEARCH_URLS = ["/organizations", "/projects", "/initiatives", "/api/v1/organizations", "/api/v1/projects",
               "/api/v1/initiatives"]  # fmt: skip


@pytest.mark.parametrize("query", SURROGATE_QUERY)
def test_searches_with_a_surrogate_in_the_query_string(client, world, query):
    for url in SEARCH_URLS:
        response = client.get(url, environ_overrides={"QUERY_STRING": query})
        assert response.status_code == 200, (url, query, response.status_code)


def test_a_raw_surrogate_in_the_query_string_keeps_the_page_working(client, world):
    """The login link repeats the page's address (request.full_path): it must not fail either."""
    response = client.get("/organizations", environ_overrides={"QUERY_STRING": "q=\xed\xa0\x80"})
    assert response.status_code == 200
    assert "%25ED%25A0%2580" in response.get_data(as_text=True)  # the bytes, kept percent-encoded in next=


def test_form_posts_with_a_surrogate_are_answered(client, world):
    login(client, world.users["admin"])
    raw = "\ud800".encode("utf-8", "surrogatepass")
    # urlencoded, percent-escaped and raw, and multipart: werkzeug keeps or replaces the bytes
    for body, content_type in [
        (b"name=%ED%A0%80&country=KE&kind=ngo&network=" + str(world.x1.id).encode(), "application/x-www-form-urlencoded"),
        (b"name=" + raw + b"&country=KE&kind=ngo", "application/x-www-form-urlencoded"),
        (b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\n' + raw + b"\r\n--b--\r\n",
         "multipart/form-data; boundary=b"),
    ]:  # fmt: skip
        for url in ("/organizations/new", "/organizations/org-a/people/new",
                    "/organizations/org-a/edit"):  # fmt: skip
            response = client.post(url, data=body, content_type=content_type)
            assert response.status_code < 500, (url, body, response.status_code)
