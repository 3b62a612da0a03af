"""The verification queue (#15): /outcomes/to-verify lists the outcome reports awaiting the user's
verification, the longest waiting first, from the rule's own SQL form (permissions.verifiable_projects),
which must answer exactly what permissions.verifies answers for one report."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from network import permissions
from network.extensions import db
from network.models import InitiativeProject, OutcomeReport
from network.services import PermissionDenied, outcomes
from network.services import initiatives as initiatives_service
from tests import factories as f
from tests.conftest import login

SUBMITTED = datetime(2025, 3, 1, tzinfo=UTC)


def submitted(project, year, at=SUBMITTED, **values) -> OutcomeReport:
    return f.outcome(project, year=year, review_status="submitted", submitted_at=at, **values)


@pytest.fixture
def programmes(world):
    """Project A confirmed in an initiative of node X where B is technical; project C (org C, in no
    node) confirmed in an initiative of node Y where B is technical too; project D proposed there;
    project E in an archived initiative; project F where B declined to be technical."""
    a, b = world.org_a, world.org_b
    x_ini = f.initiative("Freight X", network=world.x)
    f.participant(x_ini, a, role="lead")
    f.participant(x_ini, b, role="technical")
    initiatives_service.link_project(world.users["coordinator_x"], x_ini, world.project_a)
    c = f.organization("Organisation C")
    project_c, project_d = f.project(c, "Project C"), f.project(c, "Project D")
    y_ini = f.initiative("Ports Y", network=world.y)
    f.participant(y_ini, c, role="lead")
    f.participant(y_ini, b, role="technical")
    initiatives_service.link_project(world.users["coordinator_y"], y_ini, project_c)
    db.session.add(InitiativeProject(initiative=y_ini, project=project_d, status="proposed"))
    project_e, project_f = f.project(c, "Project E"), f.project(c, "Project F")
    old = f.initiative("Old", network=world.y)
    f.participant(old, c, role="lead")
    f.participant(old, b, role="technical")
    initiatives_service.link_project(world.users["coordinator_y"], old, project_e)
    old.archived_at = SUBMITTED
    declined = f.initiative("Declined", network=None)
    f.participant(declined, c, role="lead")
    f.participant(declined, b, role="technical", status="declined")
    initiatives_service.link_project(world.users["admin"], declined, project_f)
    reports = {
        "a": submitted(world.project_a, 2024),
        "b": submitted(world.project_b, 2024),
        "c": submitted(project_c, 2024),
        "d": submitted(project_d, 2024),
        "e": submitted(project_e, 2024),
        "f": submitted(project_f, 2024),
        "a_draft": f.outcome(world.project_a, year=2023),
    }
    db.session.commit()
    return reports


def queue_ids(user) -> set[int]:
    return set(db.session.scalars(select(outcomes.to_verify_query(user).subquery().c.id)))


def test_the_queue_is_exactly_what_the_rule_allows(world, programmes):
    expected = {
        "admin": {"a", "b", "c", "d", "e", "f"},
        "coordinator_x": {"a"},  # A is in its node; nothing of node Y's initiatives
        "coordinator_y": {"b", "c"},  # B in its node; C through its initiative (D only proposed, E archived)
        "member_b": {"a", "c"},  # technical in X's and Y's initiatives; not D, E, F; never B itself
        "member_a": set(),
        "viewer": set(),
    }
    for name, keys in expected.items():
        user = world.users[name]
        allowed = {k for k, r in programmes.items() if r.review_status == "submitted"
                   and permissions.can(user, "outcome.verify", r)}  # fmt: skip
        assert allowed == keys, name  # the rule (verifies) says so …
        if name != "viewer":
            assert queue_ids(user) == {programmes[k].id for k in keys}, name  # … and the queue lists the same


def page(client, url="/outcomes/to-verify") -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-report="(\d+)"', html)]


def test_the_page_lists_the_users_reports_oldest_first(world, programmes, client_as):
    programmes["c"].submitted_at = SUBMITTED - timedelta(days=3)
    db.session.commit()
    html = page(client_as("member_b"))
    assert listed(html) == [programmes["c"].id, programmes["a"].id]
    assert "Project C" in html and "Organisation C" in html
    assert listed(page(client_as("coordinator_x"))) == [programmes["a"].id]
    assert "No outcome report waits for your verification." in page(client_as("member_a"))
    assert client_as("viewer").get("/outcomes/to-verify").status_code == 403
    assert client_as("anonymous").get("/outcomes/to-verify").status_code in (302, 401)
    with pytest.raises(PermissionDenied):
        outcomes.reports_to_verify(world.users["viewer"])
    # verified or returned: out of the queue
    programmes["a"].review_status = "verified"
    db.session.commit()
    assert listed(page(client_as("member_b"))) == [programmes["c"].id]


def test_pages_follow_on_from_the_cursor(world, programmes):
    for i in range(5):
        submitted(world.project_a, 2010 + i, at=SUBMITTED + timedelta(hours=i + 1))
    db.session.commit()
    member = world.users["member_b"]
    seen, after = [], None
    while True:
        queue = outcomes.reports_to_verify(member, after=after, per_page=2)
        seen += [r.id for r in queue.page.items]
        assert queue.count == 7
        if queue.page.older is None:
            break
        after = queue.page.older
    at = {
        r.id: (r.submitted_at, r.id)
        for r in db.session.scalars(select(OutcomeReport).where(OutcomeReport.id.in_(seen)))
    }
    assert len(seen) == 7 == len(set(seen)) and seen == sorted(seen, key=lambda i: at[i])
    # a malformed cursor is the first page
    assert [r.id for r in outcomes.reports_to_verify(member, after="x'--").page.items] == seen[:25]


def test_start_page_card_and_badge_for_a_technical_partner(world, programmes, client_as):
    html = page(client_as("member_b"), "/")
    card = html[html.index('data-queue="verify"') :]
    assert 'href="/outcomes/to-verify"' in card and "Project C" in card
    assert re.search(r'data-queue="verify".*?data-count>2<', html, re.S)
    # member A verifies nothing: no card
    assert 'data-queue="verify"' not in page(client_as("member_a"), "/")
    coordinator = page(client_as("coordinator_y"), "/")
    assert re.search(r'href="/outcomes/to-verify">Outcome reports to verify</a> <span[^>]*data-count>2<', coordinator)


def test_the_queue_reads_the_same_statements_however_many_reports(world, programmes, client, count_queries):
    login(client, world.users["member_b"])
    page(client)  # warm-up
    few = count_queries.get(client, "/outcomes/to-verify")
    for i in range(40):
        submitted(world.project_a, 1950 + i)
    db.session.commit()
    many = count_queries.get(client, "/outcomes/to-verify")
    assert many == few, (few, many)
    assert len(listed(page(client))) == outcomes.QUEUE_PAGE
