"""No N+1: the pages' SQL statement counts must not grow with the number of related rows."""

import pytest
from flask import g

from network.extensions import db
from network.models import InitiativeProject, OrganizationIdentifier, ProjectParticipant
from tests import factories as f
from tests.conftest import login


def build_organization(n: int):
    """An organisation with n of everything its page shows."""
    node = f.network()
    org = f.organization(themes=["transport", "energy-transition"][: min(n, 2)], countries=["KE", "TZ", "UG"][:n])
    for i in range(n):
        child = f.network(parent=node)
        f.membership(org, child)
        f.person(org, consent_to_list=True)
        org.identifiers.append(OrganizationIdentifier(value=f"XI-TEST-{org.id}-{i}"))
        f.project(org, countries=["KE"], themes=["transport"])
        other = f.organization(kind="company")
        f.partnership(org, other)
        db.session.add(ProjectParticipant(project=f.project(f.organization()), organization=org, role="funder"))
        f.participant(f.initiative(), org)
    db.session.commit()
    return org


def build_project(n: int):
    lead = f.organization()
    project = f.project(lead, countries=["KE", "TZ", "UG"][:n], themes=["transport", "energy-transition"][: min(n, 2)])
    for i in range(n):
        db.session.add(ProjectParticipant(project=project, organization=f.organization(), role="partner"))
        f.outcome(project, "10", basis="verified" if i % 2 else "estimated", year=2000 + i)
        db.session.add(InitiativeProject(initiative=f.initiative(), project=project))
    db.session.commit()
    return project


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_organization_page_queries_do_not_grow(client, db_session, role, count_queries):
    if role == "admin":
        login(client, f.user("admin"))
    small, large = build_organization(2), build_organization(20)
    few = count_queries.get(client, f"/organizations/{small.slug}")
    many = count_queries.get(client, f"/organizations/{large.slug}")
    assert many == few, (few, many)
    assert few <= 20  # one round per panel; other features add panels (graph, activity, history)


def test_project_page_queries_do_not_grow(client, db_session, count_queries):
    small, large = build_project(2), build_project(20)
    few = count_queries.get(client, f"/projects/{small.id}")
    many = count_queries.get(client, f"/projects/{large.id}")
    assert many == few, (few, many)
    assert few <= 16


def recent_changes_by(actors: int) -> None:
    """The ten latest changes, to organisations, projects and memberships, by this many people."""
    people = [f.user("coordinator", name=f"Coordinator {n}", networks=[f.network()]) for n in range(actors)]
    db.session.commit()
    for n in range(10):
        g.actor_id = people[n % actors].id
        org = f.organization(country=["KE", "IN", "BR", "CN", "DE"][n % 5])
        f.membership(org, f.network())
        f.project(org)
        db.session.commit()
    g.pop("actor_id")


def test_home_page_queries_do_not_grow(client, db_session, count_queries):
    login(client, f.user("admin"))
    build_organization(2)
    recent_changes_by(actors=2)
    # The figures come from the in-memory facet indexes; the first request after a write brings
    # them up to date (the directory's cost, the same whichever page asks first): count the next.
    client.get("/overview")  # "/" is the admin's start page (tests/test_start_page.py)
    few = count_queries.get(client, "/overview")
    for _ in range(9):
        build_organization(2)
        build_project(2)
    recent_changes_by(actors=10)
    client.get("/overview")
    many = count_queries.get(client, "/overview")
    assert many == few, (few, many)


def test_network_tree_queries_do_not_grow(client, db_session, count_queries):
    root = f.network()
    for _ in range(2):
        f.organization(networks=[f.network(parent=root)])
    db.session.commit()
    client.get("/networks")  # the first request after a write brings the facet index up to date
    few = count_queries.get(client, "/networks")
    for _ in range(18):
        child = f.network(parent=root)
        f.organization(networks=[child, f.network(parent=child)])
    db.session.commit()
    client.get("/networks")
    many = count_queries.get(client, "/networks")
    assert many == few, (few, many)


def test_map_json_is_one_query(client, db_session, count_queries):
    for country in ["KE", "IN", "BR", "CN", "DE", "FR", "US", "MX"]:
        f.organization(country=country)
    db.session.commit()
    client.get("/map.json")  # brings the in-memory facet index up to date (see the home page's test)
    assert count_queries.get(client, "/map.json") <= 2
