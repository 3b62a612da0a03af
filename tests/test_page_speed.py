"""Pages of #13 read what they show in a fixed, small number of statements (counts, not seconds)."""

import re
from datetime import UTC, datetime

from network.extensions import db
from network.models import OrganizationIdentifier, ProjectParticipant
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
    """Lead organisations come joined into the project rows (no separate SELECT of organisations),
    partners are not read (the list shows none; the API's search lists them), and the count does
    not grow with projects or partners."""
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
    # BEGIN, the record generation, projects (leads joined), countries, themes: 5, where separate
    # SELECTs of leads and of partners made 8. The list shows no partners: none are read.
    assert len(statements) <= 5, [s[:60] for s in statements]
    assert not [s for s in statements if s.lstrip().upper().startswith("SELECT ORGANIZATIONS.")], statements
    assert not [s for s in statements if "project_participants" in s], statements


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
    # BEGIN, the organisation with its hq country and memberships, its countries, themes,
    # identifiers and initiatives (one statement), people, projects (with roles and leads),
    # partnerships, events it took part in (#17's panel): 7, where separate reads of memberships,
    # initiatives and project roles made 12.
    assert len(statements) <= 7, [s[:60] for s in statements]


def test_home_reads_both_search_generations_in_one_statement(client, app, count_queries):
    """The home page checks the facet index and both record indexes: one read of search_state
    for all three (it was four: each generation twice), and still exact after a write."""
    org = f.organization(country="KE")
    f.project(org)
    db.session.commit()
    client.get("/")
    with count_queries() as statements:
        assert client.get("/").status_code == 200
    reads = [s for s in statements if "search_state" in s]
    assert len(reads) == 1, reads
    before = home_figures(client)
    f.organization("Another one", country="KE")
    f.project(f.organization(), "Second project")
    db.session.commit()
    after = home_figures(client)  # one read, still exact after the writes
    assert (after["organizations"], after["projects"]) == (before["organizations"] + 2, before["projects"] + 1)


def home_figures(client) -> dict[str, int]:
    html = client.get("/").get_data(as_text=True)
    return {k: int(v.replace(",", "")) for k, v in re.findall(r'data-count="(\w+)">([\d,]+)<', html)}


def test_facet_links_are_the_facet_queries(app):
    """facet_links builds the same query strings as params.facet_query, value by value."""
    from werkzeug.datastructures import MultiDict

    from network.facet_links import facet_queries
    from network.services.search import parse_record_params, parse_search_params

    searches = [
        parse_search_params(MultiDict()),
        parse_search_params(
            MultiDict(
                [
                    ("q", "clean  wäter & co"),
                    ("country", "KE"),
                    ("country", "IN"),
                    ("kind", "ngo"),
                    ("sort", "name"),
                    ("page", "3"),
                    ("per_page", "50"),
                    ("founded_from", "1990"),
                    ("founded_to", "1999"),
                    ("match", "hq"),
                    ("text_only", "1"),
                ]
            )
        ),  # fmt: skip
        parse_record_params(MultiDict()),
        parse_record_params(
            MultiDict(
                [
                    ("q", "solar"),
                    ("status", "active"),
                    ("theme", "energy-transition"),
                    ("organization", "org-1"),
                    ("page", "2"),
                ]
            )
        ),  # fmt: skip
    ]
    for params in searches:
        names = [n for n in ("region", "country", "theme", "kind", "network", "status", "founded") if hasattr(params, n)
                 or n == "founded" and hasattr(params, "founded_from")]  # fmt: skip
        for name in names:
            values = (
                ["1990", "2000"] if name == "founded" else ["KE", "IN", "a b", "ngo", "active", "energy-transition"]
            )
            assert facet_queries(params, name, values) == [params.facet_query(name, v) for v in values], name


def test_api_project_search_still_lists_partners(client, app):
    """The page's search leaves partners out; the API's keeps them."""
    transit_projects(1, partners=2)
    client.get("/projects?q=transit")
    item = client.get("/api/v1/projects?q=transit").get_json()["items"][0]
    assert sorted(p["role"] for p in item["participants"]) == ["partner", "partner"]


def test_add_to_initiative_is_asked_once_and_shown_on_every_row_to_coordinators(client, app):
    """The directory asks whether the reader may build initiatives once, not per row: a coordinator
    still gets the link on every result, a visitor on none."""
    from tests.conftest import login

    for n in range(3):
        f.organization(f"Hoisted {n}")
    db.session.commit()
    html = client.get("/organizations?q=hoisted").get_data(as_text=True)
    assert 'data-testid="result-add-to-initiative"' not in html
    login(client, f.user("coordinator", networks=[f.network()]))
    html = client.get("/organizations?q=hoisted").get_data(as_text=True)
    assert html.count('data-testid="result-add-to-initiative"') == 3


def test_api_facets_are_passed_through_in_the_documented_shape(client, app):
    """The API's facet counts are not dumped again value by value: what goes out is what a dump
    through FacetValueSchema gives, and the OpenAPI document still describes lists of FacetValue."""
    from network.api.schemas import FacetValueSchema

    f.organization("Facet shape", country="KE", kind="cbo")
    db.session.commit()
    for path in ("/api/v1/organizations?q=facet", "/api/v1/projects"):
        facets = client.get(path).get_json()["facets"]
        assert facets["country"] or path.endswith("projects")
        for values in facets.values():
            for value in values:
                assert FacetValueSchema().dump(value) == value and set(value) == set(FacetValueSchema().fields)
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for page in ("OrganizationPage", "ProjectPage", "InitiativePage"):
        facets = spec[page]["properties"]["facets"]
        assert facets["additionalProperties"]["items"]["$ref"] == "#/components/schemas/FacetValue"


def test_api_search_marks_no_highlights_but_still_suggests(app):
    """The API returns no highlights, so its search marks none; 'did you mean' still comes."""
    from flask_login import AnonymousUserMixin
    from werkzeug.datastructures import MultiDict

    from network.services.search import parse_search_params, search_organizations

    f.organization("Rainforest Guardians")
    db.session.commit()
    with app.test_request_context("/"):
        found = search_organizations(AnonymousUserMixin(), parse_search_params(MultiDict([("q", "rainforest")])))
        bare = search_organizations(
            AnonymousUserMixin(), parse_search_params(MultiDict([("q", "rainforest")])), highlights=False
        )
        typo = search_organizations(
            AnonymousUserMixin(), parse_search_params(MultiDict([("q", "rainforrest")])), highlights=False
        )
    assert found.highlights and not bare.highlights
    assert [o.id for o in bare.items] == [o.id for o in found.items]
    assert typo.suggestions == ["rainforest"]  # the hint does not need highlights


def grow_initiative(ini, n: int, start: int = 0) -> list[str]:
    """n more rounds on the initiative: an accepted partner leading a linked project with two
    outcome reports (estimated and verified), and an invited organisation without users (the
    coordinator answers for it). The new projects' titles."""
    from network.services.initiatives import link_project

    titles = []
    for i in range(start, start + n):
        org = f.organization(f"Speed partner {i}")
        f.participant(ini, org, "partner", "accepted")
        project = f.project(org, f"Speed project {i}", themes=["transport"], countries=["KE"])
        link_project(f.SETUP, ini, project)
        f.outcome(project, "10", year=2023)
        f.outcome(project, "5", year=2024, basis="verified", raw=True)
        f.participant(ini, f.organization(f"Speed invitee {i}"), "observer", "invited")
        titles.append(project.title)
    db.session.commit()
    return titles


def test_initiative_page_statements_do_not_grow_with_participants_projects_and_reports(app, count_queries):
    """The initiative page reads its initiative, participants, linked projects (with their leads,
    countries, themes and reports) once each: the same number of statements with one round of
    participants, projects and reports as with nine, for a visitor, the convening coordinator
    (answers for invitations, history, link form) and a member of a participant. The links, the
    projects and the organisations are read once (the roll-up used to read them again)."""
    from tests.conftest import login

    node = f.network("Speed node")
    ini = f.initiative("Speed initiative", network=node, slug="speed-initiative")
    titles = grow_initiative(ini, 1)
    member_org = f.organization("Speed member org")
    f.participant(ini, member_org, "partner", "accepted")
    readers = {"visitor": None, "coordinator": f.user("coordinator", networks=[node]),
               "member": f.user("member", organization=member_org)}  # fmt: skip
    db.session.commit()
    clients = {}
    for name, user in readers.items():
        clients[name] = app.test_client()
        if user is not None:
            login(clients[name], user)
        clients[name].get("/initiatives/speed-initiative")  # a first request warms what each worker caches
    few = {name: count_queries.get(c, "/initiatives/speed-initiative") for name, c in clients.items()}

    titles += grow_initiative(ini, 8, start=1)
    for name, client in clients.items():
        db.session.expire_all()
        with count_queries() as statements:
            page = client.get("/initiatives/speed-initiative")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert all(title in html for title in titles), name  # every linked project is shown
        assert html.count('data-participant="speed-partner-') == 9, name  # and every accepted partner
        assert len(statements) == few[name], (name, [s[:70] + s[-250:] for s in statements])
        reads = [s.lstrip().upper() for s in statements]
        assert len([s for s in reads if s.startswith("SELECT INITIATIVE_PROJECTS.")]) == 1, name
        assert not [s for s in reads if s.startswith("SELECT ORGANIZATIONS.")], name
        if name == "coordinator":
            assert html.count('data-testid="answer-for"') == 9  # asked in one statement, not one per invitation
            assert 'data-testid="history"' in html
    # BEGIN, the initiative (its node joined), links, themes, regions, targets, participants (their
    # organisations joined), projects (leads joined), their countries, themes and reports: 11 for a
    # visitor, where reading the links, projects and leads again in the roll-up made 19.
    assert few["visitor"] <= 11, few


def test_a_page_asks_each_permission_question_once(app, count_queries):
    """A coordinator who does not manage an initiative is asked, for every check the page makes,
    whether it manages each lead participant: within one GET request each organisation is looked up
    once (permissions._remembered), not once per check."""
    from tests.conftest import login

    ini = f.initiative("Asked once", network=f.network("Convening node"), slug="asked-once")
    for n in range(3):
        f.participant(ini, f.organization(f"Lead {n}", networks=[f.network(f"Lead node {n}")]), "lead", "accepted")
    outsider = f.user("coordinator", networks=[f.network("Elsewhere")])
    db.session.commit()
    client = app.test_client()
    login(client, outsider)
    client.get("/initiatives/asked-once")
    with count_queries() as statements:
        assert client.get("/initiatives/asked-once").status_code == 200
    # manages_organization's statement, once per lead organisation (without remembering: 24 for these three)
    scope_checks = [s for s in statements if s.lstrip().startswith("SELECT EXISTS (SELECT memberships.organization_id")]
    assert len(scope_checks) == 3, len(scope_checks)


def filter_panel(html: str) -> str:
    return html.split('<aside aria-label="', 1)[1].split("</aside>", 1)[0]


def facet_count(html: str, facet: str, value: str) -> int | None:
    found = re.search(rf'data-facet="{facet}" data-value="{value}">.*?<span class="badge[^>]*>([\d,]+)<', html, re.S)
    return int(found.group(1).replace(",", "")) if found else None


def result_row(html: str, slug: str) -> str:
    return re.sub(r"<[^>]+>|\s+", " ", html.split(f'href="/organizations/{slug}"', 1)[1].split("</li>", 1)[0])


def test_the_kept_filter_panel_and_result_rows_follow_every_change_and_the_language(client, app):
    """The filter panel is rendered once per search, index state and language (network/fragments.py)
    and result rows take countries and themes from the facet index: a change shows at once, in the
    panel's counts and in the rows, and the same search in Chinese gets its own panel."""
    from network.services.organizations import update_organization

    first = f.organization("Solar Coop A", country="KE", themes=["energy-transition"])
    f.organization("Solar Coop B", country="IN", themes=["energy-transition"])
    db.session.commit()
    html = client.get("/organizations?q=solar&lang=en").get_data(as_text=True)
    assert facet_count(html, "theme", "energy-transition") == 2
    assert "Kenya" in result_row(html, first.slug) and "Energy transition" in result_row(html, first.slug)

    f.organization("Solar Coop C", country="KE", themes=["energy-transition"])
    update_organization(f.SETUP, first, {"themes": [], "hq_country": "TZ"}, first.version)
    db.session.commit()
    html = client.get("/organizations?q=solar&lang=en").get_data(as_text=True)
    assert facet_count(html, "theme", "energy-transition") == 2  # C added, A's theme taken away
    assert facet_count(html, "country", "KE") == 1 and facet_count(html, "country", "TZ") == 1
    row = result_row(html, first.slug)
    assert "Tanzania" in row and "Kenya" not in row and "Energy transition" not in row

    zh = client.get("/organizations?q=solar&lang=zh").get_data(as_text=True)
    assert "能源转型" in filter_panel(zh) and "Energy transition" not in filter_panel(zh)
    assert facet_count(zh, "theme", "energy-transition") == 2
    api = client.get("/api/v1/organizations?q=solar").get_json()
    assert {o["slug"]: (o["hq_country"], o["themes"]) for o in api["items"]}[first.slug] == ("TZ", [])


def test_the_overview_keeps_its_latest_changes_until_the_next_public_change(client, app, count_queries):
    """Visitors' latest changes are rendered once per worker for the ids of the changes shown
    (network/fragments.py): a repeat visit reads those ids and nothing else about them, and a
    rename (a newer public change) or another language shows at once."""
    from network.services.organizations import update_organization

    org = f.organization("Old Name Org")
    db.session.commit()
    assert "Old Name Org" in client.get("/?lang=en").get_data(as_text=True)
    with count_queries() as statements:
        client.get("/")
    assert not [s for s in statements if "audit_events.action" in s or "FROM organizations" in s], statements

    update_organization(f.SETUP, org, {"name": "New Name Org"}, org.version)
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "New Name Org" in html and "Old Name Org" not in html
    zh = client.get("/?lang=zh").get_data(as_text=True)
    assert "已添加" in zh.split('id="changes-heading"', 1)[1]


def test_project_result_rows_show_their_countries_and_themes_in_the_readers_language(client, app, count_queries):
    """Rows of the project search take countries and themes from one statement (names kept per
    process): every row shows its own, in order, in English and Chinese, and a change at once."""
    from network.services.projects import update_project

    solar = f.project(
        f.organization(), "Solar pumps", themes=["energy-transition", "transport"], countries=["KE", "IN"]
    )
    f.project(f.organization(), "Solar kiosks", themes=["transport"], countries=["BR"])
    db.session.commit()
    html = client.get("/projects?q=solar&lang=en").get_data(as_text=True)
    row = html.split("pumps</a>", 1)[1].split("</li>", 1)[0]
    assert row.index("India") < row.index("Kenya") and "Energy transition" in row and "Brazil" not in row
    zh = client.get("/projects?q=solar&lang=zh").get_data(as_text=True)
    assert "肯尼亚" in zh.split("pumps</a>", 1)[1].split("</li>", 1)[0]

    update_project(f.SETUP, solar, {"countries": ["TZ"], "themes": []}, solar.version)
    db.session.commit()
    client.get("/projects?q=solar&lang=en")
    with count_queries() as statements:
        html = client.get("/projects?q=solar").get_data(as_text=True)
    row = html.split("pumps</a>", 1)[1].split("</li>", 1)[0]
    assert "Tanzania" in row and "Kenya" not in row and "Energy transition" not in row
    assert len(statements) <= 5, statements


def test_the_kept_node_tree_follows_nodes_and_memberships(client, app):
    """/networks keeps its rendered tree under the facet index's generation: a new member, a new or
    renamed node shows at once, and the Chinese page is its own."""
    root = f.network("Climate Action Network", name_local="气候行动网络")
    child = f.network("CAN East Africa", parent=root)
    f.organization("Member One", networks=[child])
    db.session.commit()
    html = client.get("/networks?lang=en").get_data(as_text=True)
    assert f'data-members="{root.slug}">1<' in html and f'data-members="{child.slug}">1<' in html

    f.organization("Member Two", networks=[root])
    f.network("CAN South Asia", parent=root)
    child.name = "CAN Eastern Africa"
    db.session.commit()
    html = client.get("/networks").get_data(as_text=True)
    assert f'data-members="{root.slug}">2<' in html and f'data-members="{child.slug}">1<' in html
    assert "CAN South Asia" in html and "CAN Eastern Africa" in html
    assert "气候行动网络" in client.get("/networks?lang=zh").get_data(as_text=True)


def test_result_links_are_the_detail_pages_addresses(client, app):
    """Result rows build their links from the list's address once (not url_for per row): they are
    exactly the detail pages' addresses, and those pages answer."""
    from flask import url_for

    org = f.organization("Linkcheck Alliance")
    project = f.project(org, "Linkcheck pilot")
    db.session.commit()
    directory = client.get("/organizations?q=linkcheck").get_data(as_text=True)
    projects = client.get("/projects?q=linkcheck").get_data(as_text=True)
    with app.test_request_context():
        org_url, project_url = url_for("organizations.detail", slug=org.slug), url_for("projects.detail", id=project.id)
    assert f'href="{org_url}"' in directory
    assert f'href="{project_url}"' in projects and f'href="{org_url}"' in projects
    assert client.get(org_url).status_code == 200 and client.get(project_url).status_code == 200


def result_slugs(client, path: str) -> set[str]:
    return {item["slug"] for item in client.get(path).get_json()["items"]}


def test_kept_word_matches_follow_every_document_written(client, app):
    """What words match is kept per worker under the documents' generation, which every document
    written replaces, also the writes that leave the facet index as it was (an identifier, a partner,
    a project's title): each shows in the next search, on the page and in the API."""
    from network.services.projects import update_project

    ngo = f.organization("Harbour Watch")
    firm = f.organization("Quayside Dredging", kind="company")
    project = f.project(f.organization("Lead Org"), "Estuary survey")
    db.session.commit()
    for words in ("gb-chc-4471", "quayside", "mangrove"):
        assert ngo.slug not in result_slugs(client, f"/api/v1/organizations?q={words}")

    db.session.add(OrganizationIdentifier(organization_id=ngo.id, value="GB-CHC-4471"))  # facets unchanged
    db.session.commit()
    assert ngo.slug in result_slugs(client, "/api/v1/organizations?q=gb-chc-4471")

    f.partnership(ngo, firm)
    db.session.commit()
    assert ngo.slug in result_slugs(client, "/api/v1/organizations?q=quayside")

    assert ngo.slug not in result_slugs(client, "/api/v1/organizations?q=estuary")
    db.session.add(ProjectParticipant(project=project, organization=ngo, role="partner"))  # facets unchanged
    db.session.commit()
    assert ngo.slug in result_slugs(client, "/api/v1/organizations?q=estuary")
    update_project(f.SETUP, project, {"title": "Mangrove survey"}, project.version)
    db.session.commit()
    assert ngo.slug in client.get("/organizations?q=mangrove").get_data(as_text=True)
    assert f'href="/projects/{project.id}"' in client.get("/projects?q=mangrove").get_data(as_text=True)


def test_project_page_reads_its_lists_in_three_statements(client, app, count_queries):
    """The project with its lead and outcome reports, its participants, then its countries, themes
    and initiatives in one statement: each shown (archived ones left out), in both languages."""
    from network.models import InitiativeProject

    project = f.project(f.organization("Lead Org"), "Clean buses", themes=["transport"], countries=["KE", "IN"])
    db.session.add(ProjectParticipant(project=project, organization=f.organization("Partner Org"), role="partner"))
    f.outcome(project, "120", year=2023)
    f.outcome(project, "80", year=2024)
    f.outcome(project, "999", year=2022, archived_at=datetime(2024, 1, 1, tzinfo=UTC))
    linked = f.initiative("Bus Alliance", title_local="公交联盟")
    gone = f.initiative("Old Alliance", archived_at=datetime(2024, 1, 1, tzinfo=UTC))
    db.session.add_all(InitiativeProject(initiative=i, project=project) for i in (linked, gone))
    db.session.commit()

    path = f"/projects/{project.id}"
    client.get(path)
    with count_queries() as statements:
        html = client.get(path + "?lang=en").get_data(as_text=True)
    assert f'href="/initiatives/{linked.slug}">Bus Alliance</a>' in html and "Old Alliance" not in html
    assert "Partner Org" in html and "India" in html and "Kenya" in html and "Transport" in html
    assert "200" in html and "999" not in html  # the live reports' estimated total
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3, statements
    zh = client.get(path + "?lang=zh").get_data(as_text=True)
    assert ">公交联盟</a>" in zh and "肯尼亚" in zh
