"""Pages of #13 read what they show in a fixed, small number of statements (counts, not seconds)."""

import re
from datetime import UTC, datetime

from network.extensions import db
from network.models import ProjectParticipant
from tests import factories as f


def transit_projects(n: int, partners: int) -> list[str]:
    """n projects found by "transit", each with `partners` partner organisations; their leads' slugs."""
    leads = []
    for i in range(n):
        project = f.project(f.organization(), f"Transit line {i}", themes=["transport"], countries=["KE"])
        for _ in range(partners):
            db.session.add(ProjectParticipant(project=project, organization=f.organization(), role="partner"))
        leads.append(project.lead_organization.slug)
    db.session.commit()
    return leads


def test_project_search_reads_organisations_with_their_rows(client, app, count_queries):
    """Lead and partner organisations come joined into the project and participant rows: no
    separate SELECT of organisations, and the count does not grow with projects or partners."""
    leads = transit_projects(2, partners=1)
    client.get("/projects?q=transit")  # brings the record index up to date
    few = count_queries.get(client, "/projects?q=transit")
    leads += transit_projects(20, partners=4)
    client.get("/projects?q=transit")
    with count_queries() as statements:
        page = client.get("/projects?q=transit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert all(f"/organizations/{slug}" in html for slug in leads)  # every result shows its lead
    assert len(statements) == few, statements
    # BEGIN, the record generation, projects (leads joined), countries, themes, participants
    # (their organisations joined): 6, where separate SELECTs of leads and of partners made 8.
    assert len(statements) <= 6, [s[:60] for s in statements]
    assert not [s for s in statements if s.lstrip().upper().startswith("SELECT ORGANIZATIONS.")], statements


def project_rows(html: str) -> dict[int, str]:
    """The organisation page's project table: project id → its row's text."""
    rows = {}
    for row in html.split("<tr>")[1:]:
        match = re.search(r'href="/projects/(\d+)"', row)
        if match:
            rows[int(match.group(1))] = re.sub(r"<[^>]+>|\s+", " ", row.split("</tr>")[0])
    return rows


def test_organisation_page_reads_its_project_roles_with_its_projects(client, app, count_queries):
    """The organisation's role in each project comes joined into the projects statement (no
    statement of its own): same roles as before, archived and unrelated projects left out."""
    org = f.organization("Roles Org")
    led = f.project(org, "Led here")
    funded = f.project(f.organization("Other lead"), "Funded here")
    technical = f.project(f.organization(), "Technical here")
    unrelated = f.project(f.organization(), "Not ours")
    db.session.add(ProjectParticipant(project=unrelated, organization=f.organization(), role="funder"))
    archived = f.project(f.organization(), "Archived one", archived_at=datetime(2024, 1, 1, tzinfo=UTC))
    for project, role in ((funded, "funder"), (technical, "technical"), (archived, "funder")):
        db.session.add(ProjectParticipant(project=project, organization=org, role=role))
    db.session.commit()
    ids = {name: p.id for name, p in [("led", led), ("funded", funded), ("technical", technical),
                                      ("unrelated", unrelated), ("archived", archived)]}  # fmt: skip

    with count_queries() as statements:
        page = client.get(f"/organizations/{org.slug}")
    assert page.status_code == 200
    rows = project_rows(page.get_data(as_text=True))
    assert set(rows) == {ids["led"], ids["funded"], ids["technical"]}
    assert " Lead " in rows[ids["led"]] and "led by" not in rows[ids["led"]]
    assert " Funder " in rows[ids["funded"]] and "led by Other lead" in rows[ids["funded"]]
    assert " Technical " in rows[ids["technical"]]
    assert not [s for s in statements if s.lstrip().upper().startswith("SELECT PROJECT_PARTICIPANTS.")], statements
    # BEGIN, the organisation and its hq country, countries, themes, identifiers, memberships,
    # people, projects (with roles and leads), partnerships, initiatives: 10, where a separate read
    # of the organisation's project roles made 11.
    assert len(statements) <= 10, [s[:60] for s in statements]
