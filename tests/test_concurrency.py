"""People working at the same time on different records never conflict: only a real edit of the
same record since it was read is a conflict. Requests run at once in threads, each with its own
database connection (a file on SQLite, the server on PostgreSQL), as under gunicorn.

A create form that does conflict says so: status 409, a message that nothing was saved, the
entries kept.
"""

import threading
import time

import pytest
from sqlalchemy import select, text

from network.extensions import db
from network.models import OutcomeReport, Project
from network.services import Conflict, organizations, partnerships, projects, tokens
from network.services.search.index import reindex
from tests import factories as f
from tests.conftest import login


def at_once(calls) -> list:
    """Run the calls in threads released together; their results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as error:  # reported by the test's assertion
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def bearer(user) -> dict:
    created = tokens.create_token(user, "concurrency test", "read-write")
    db.session.commit()
    return {"Authorization": f"Bearer {created.secret}"}


def test_edits_of_different_projects_of_one_organisation_never_conflict(app, world):
    """Each project's document names its lead organisation, so every edit rewrites the lead's
    search document too: the rewrites must not collide."""
    admin = world.users["admin"]
    ids = [f.project(world.org_a, f"Parallel project {i}").id for i in range(4)]
    db.session.commit()
    headers = [bearer(admin) for _ in ids]
    for round_ in range(3):
        calls = []
        for project_id, header in zip(ids, headers, strict=True):
            etag = app.test_client().get(f"/api/v1/projects/{project_id}", headers=header).headers["ETag"]
            body = {"summary": f"Round {round_} of project {project_id}"}
            calls.append(lambda p=project_id, h=header, e=etag, b=body: app.test_client().patch(
                f"/api/v1/projects/{p}", json=b, headers={**h, "If-Match": e}))  # fmt: skip
        statuses = [getattr(r, "status_code", r) for r in at_once(calls)]
        assert statuses == [200] * len(ids), f"round {round_}: {statuses}"
    db.session.rollback()  # a new snapshot: see what the requests committed
    summaries = db.session.scalars(select(Project.summary).where(Project.id.in_(ids)).order_by(Project.id)).all()
    assert summaries == [f"Round 2 of project {i}" for i in ids]


def test_edits_of_different_organisations_never_conflict(app, world):
    admin = world.users["admin"]
    orgs = [f.organization(f"Parallel organisation {i}", networks=[world.x]) for i in range(3)]
    for org in orgs:
        f.project(org, f"Project of {org.name}")  # its document is rewritten with the organisation's
    f.partnership(orgs[0], orgs[1])  # partners carry each other's names
    db.session.commit()
    slugs = [org.slug for org in orgs]
    headers = [bearer(admin) for _ in slugs]
    for round_ in range(3):
        calls = []
        for slug, header in zip(slugs, headers, strict=True):
            etag = app.test_client().get(f"/api/v1/organizations/{slug}", headers=header).headers["ETag"]
            body = {"name": f"Renamed {slug} {round_}", "description": f"Round {round_}"}
            calls.append(lambda s=slug, h=header, e=etag, b=body: app.test_client().patch(
                f"/api/v1/organizations/{s}", json=b, headers={**h, "If-Match": e}))  # fmt: skip
        statuses = [getattr(r, "status_code", r) for r in at_once(calls)]
        assert statuses == [200] * len(slugs), f"round {round_}: {statuses}"


def test_simultaneous_outcome_reports_on_one_project_are_all_saved(app, world):
    member = world.users["member_a"]
    project_id = world.project_a.id
    clients = []
    for _ in range(6):
        client = app.test_client()
        login(client, member)
        clients.append(client)
    form = {"period_start": "2025-01-01", "period_end": "2025-06-30", "tco2e_reduced": "1.5", "basis": "estimated"}
    calls = [
        lambda c=client, n=n: c.post(f"/projects/{project_id}/outcomes/new", data={**form, "note": f"Report {n}"})
        for n, client in enumerate(clients)
    ]
    statuses = [getattr(r, "status_code", r) for r in at_once(calls)]
    assert statuses == [302] * 6
    db.session.rollback()  # a new snapshot: see what the requests committed
    saved = db.session.scalars(select(OutcomeReport.note).where(OutcomeReport.project_id == project_id)).all()
    assert sorted(saved) == [f"Report {n}" for n in range(6)]


def test_two_writers_rewriting_one_search_document_both_commit(app, world):
    """PostgreSQL: the second rewrite waits for the first's row lock, then replaces its document
    (it used to find nothing to delete, insert a second row and fail on the key). SQLite lets one
    writer at a time in, so the requests above cover it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL row-lock race; SQLite serialises whole write transactions")
    org_id, engine = world.org_a.id, db.engine
    first = engine.connect()
    first_tx = first.begin()
    reindex(first, "organization", [org_id])
    outcome = []

    def second_writer():
        try:
            with engine.connect() as second, second.begin():
                reindex(second, "organization", [org_id])
            outcome.append("committed")
        except Exception as error:  # reported by the assertion below
            outcome.append(repr(error))

    thread = threading.Thread(target=second_writer)
    thread.start()
    wait_until_blocked(thread)
    first_tx.commit()
    first.close()
    thread.join(timeout=60)
    assert outcome == ["committed"]
    count = db.session.scalar(
        text("SELECT count(*) FROM search_organization_documents WHERE organization_id = :id"), {"id": org_id}
    )
    assert count == 1


def wait_until_blocked(thread, timeout: float = 10) -> None:
    """Until another connection waits on a row lock (or the thread finished, or time is up)."""
    deadline = time.time() + timeout
    while thread.is_alive() and time.time() < deadline:
        with db.engine.connect() as probe:
            waiting = probe.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ))  # fmt: skip
        if waiting:
            return
        time.sleep(0.05)


# --- a create form that conflicts says so ----------------------------------------------------------


def clashing(*args, **kwargs):
    raise Conflict("The change clashes with data saved at the same time; please try again.")


CREATE_FORMS = {
    "organisation": (organizations, "create_organization", "/organizations/new",
                     {"name": "Clashing Organisation", "kind": "ngo", "create_anyway": "1"}),
    "membership": (organizations, "add_membership", "/organizations/org-a/memberships/new", {"status": "active"}),
    "person": (organizations, "create_person", "/organizations/org-a/people/new", {"name": "Clashing Person"}),
    "partnership": (partnerships, "create_partnership", "/organizations/org-a/partnerships/new",
                    {"partner": "org-b", "kind": "funding", "status": "active", "description": "Clashing partnership"}),
    "project": (projects, "create_project", "/organizations/org-a/projects/new", {"title": "Clashing Project"}),
    "outcome": (projects, "create_outcome", None,
                {"period_start": "2025-01-01", "period_end": "2025-06-30", "note": "Clashing report"}),
}  # fmt: skip


@pytest.mark.parametrize("kind", CREATE_FORMS)
def test_a_create_form_that_conflicts_says_nothing_was_saved(world, client_as, monkeypatch, kind):
    """A clash with a write made at the same time (a unique key taken a moment earlier, a record
    changed under the form) is the service's Conflict; the page says so instead of staying silent."""
    module, name, url, data = CREATE_FORMS[kind]
    url = url or f"/projects/{world.project_a.id}/outcomes/new"
    if kind == "membership":
        data = dict(data, network=str(world.y.id))
    monkeypatch.setattr(module, name, clashing)
    response = client_as("admin").post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Nothing was saved" in page
    assert "clashes with data saved at the same time" in page
    entered = next((v for k, v in data.items() if k in ("name", "title", "note", "description")), None)
    if entered:
        assert entered in page  # the entries are kept for sending again


def test_saving_a_record_leaves_its_parents_version_alone(world):
    """A form or ETag read from the organisation (or project) before one of its children was saved
    still saves: only an edit of the record itself moves its version."""
    admin, org, project = world.users["admin"], world.org_a, world.project_a
    versions = (org.version, project.version)
    report = projects.create_outcome(admin, project, {"period_start": "2025-01-01", "period_end": "2025-06-30"})
    projects.update_outcome(admin, report, {"note": "Checked"}, report.version)
    projects.update_project(admin, project, {"summary": "New summary", "participants": [{"organization": "org-b", "role": "partner"}]},
                            project.version)  # fmt: skip
    projects.create_project(admin, org, {"title": "Another project"})
    person = organizations.create_person(admin, org, {"name": "New Person"})
    organizations.update_person(admin, person, {"title": "Director"}, person.version)
    partnership = partnerships.create_partnership(admin, org, {"partner": "org-b", "kind": "funding"})
    partnerships.update_partnership(admin, partnership, {"status": "ended"}, partnership.version)
    membership = organizations.add_membership(admin, org, world.y, {"status": "active"})
    organizations.update_membership(admin, membership, {"status": "suspended"}, membership.version)
    db.session.commit()
    db.session.expire_all()
    assert (org.version, project.version - 1) == versions  # the project itself was edited once
    assert world.org_b.version == 1  # a participant and partner now
