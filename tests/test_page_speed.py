"""Pages of #13 read what they show in a fixed, small number of statements (counts, not seconds)."""

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
