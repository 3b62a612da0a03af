"""Searching projects and initiatives: words, filters, drill-down facet counts, pages, the pages
and API endpoints that call it, and bad input."""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from network.errors import PermissionDenied
from network.extensions import db
from network.models import Project
from network.services import archiving, search
from network.services import projects as project_service
from tests import factories


def find_projects(**args):
    return search.search_projects(None, search.parse_record_params(MultiDict(args)))


def find_initiatives(**args):
    return search.search_initiatives(None, search.parse_record_params(MultiDict(args)))


def titles(result) -> list[str]:
    return [item.title for item in result.items]


def counts(result, facet: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[facet]}


@pytest.fixture
def projects(app):
    lead = factories.organization("Lead Org", slug="lead-org")
    other = factories.organization("Other Org", slug="other-org")
    made = {
        "solar": factories.project(lead, "Solar schools Nairobi", themes=["energy-transition"], countries=["KE"],
                                   summary="Rooftop panels on forty schools"),
        "brt": factories.project(lead, "Bus rapid transit", themes=["transport"], countries=["IN"], status="completed"),
        "freight": factories.project(other, "绿色货运 freight platform", themes=["transport", "energy-transition"],
                                     countries=["CN", "IN"], summary="满帮 trucks share loads"),
        "bogota": factories.project(other, "Ciclovía Bogotá", themes=["transport"], countries=["CO"]),
    }  # fmt: skip
    db.session.commit()
    return made


def test_words_find_titles_summaries_chinese_pinyin_accents_and_the_lead(projects):
    assert titles(find_projects(q="solar")) == ["Solar schools Nairobi"]
    assert titles(find_projects(q="rooftop")) == ["Solar schools Nairobi"]  # the summary
    assert titles(find_projects(q="绿色")) == ["绿色货运 freight platform"]  # a two-character word
    assert titles(find_projects(q="满帮")) == ["绿色货运 freight platform"]
    assert titles(find_projects(q="lvse")) == ["绿色货运 freight platform"]  # pinyin
    assert titles(find_projects(q="ciclovia bogota")) == ["Ciclovía Bogotá"]  # accents fold
    assert titles(find_projects(q="transi")) == ["Bus rapid transit"]  # a prefix
    assert sorted(titles(find_projects(q="other org"))) == ["Ciclovía Bogotá", "绿色货运 freight platform"]


def test_filters_combine_and_values_within_a_facet_are_alternatives(projects):
    assert sorted(titles(find_projects(theme="transport"))) == [
        "Bus rapid transit", "Ciclovía Bogotá", "绿色货运 freight platform"]  # fmt: skip
    assert titles(find_projects(theme="transport", country="IN", status="completed")) == ["Bus rapid transit"]
    assert sorted(titles(find_projects(country=["KE", "CO"]))) == ["Ciclovía Bogotá", "Solar schools Nairobi"]
    assert titles(find_projects(country="ke")) == ["Solar schools Nairobi"]  # codes in any case
    assert titles(find_projects(organization="lead-org", status="active")) == ["Solar schools Nairobi"]
    lead_id = projects["solar"].lead_organization_id
    assert len(find_projects(organization=str(lead_id)).items) == 2  # by id too (the API's habit)


def test_a_region_includes_every_country_below_it(projects):
    assert sorted(titles(find_projects(region="142"))) == ["Bus rapid transit", "绿色货运 freight platform"]  # Asia
    assert titles(find_projects(region="034", status="completed")) == ["Bus rapid transit"]  # Southern Asia
    assert titles(find_projects(region="419")) == ["Ciclovía Bogotá"]  # Latin America and the Caribbean


def test_facet_counts_apply_the_other_filters_and_not_their_own(projects):
    result = find_projects(theme="transport", country="IN")
    # Theme counts: with the country filter, without the theme filter.
    assert counts(result, "theme") == {"transport": 2, "energy-transition": 1}
    # Country counts: with the theme filter, without the country filter.
    assert counts(result, "country") == {"IN": 2, "CN": 1, "CO": 1}
    assert counts(result, "status") == {"active": 1, "completed": 1}
    # A project counts once under a region however many of its countries lie there.
    assert counts(result, "region")["142"] == 2 and counts(result, "region")["034"] == 2
    assert [v.value for v in result.facets["theme"] if v.selected] == ["transport"]
    assert result.facet_depth["region"]["142"] == 0 and result.facet_depth["region"]["034"] == 1


FILTER_VALUES = {
    "status": ["active", "completed", "planned"],
    "theme": ["transport", "energy-transition", "adaptation"],
    "country": ["KE", "IN", "CN", "CO"],
    "region": ["142", "002", "034", "419"],
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({name: st.lists(st.sampled_from(values), unique=True, max_size=2)
                              for name, values in FILTER_VALUES.items()}))  # fmt: skip
def test_facet_counts_equal_brute_force_counts(projects, chosen):
    everything = db.session.scalars(select(Project).where(Project.archived_at.is_(None))).all()

    def values_of(project: Project, facet: str) -> set[str]:
        if facet == "status":
            return {project.status}
        if facet == "theme":
            return {t.slug for t in project.themes}
        if facet == "country":
            return {c.code for c in project.countries}
        return {part for c in project.countries for part in c.path.strip("/").split("/")}

    places = ("region", "country")  # one "where" facet: any place picked matches

    def passes(project: Project, without: str | None = None) -> bool:
        others = all(
            not chosen[f] or values_of(project, f) & set(chosen[f])
            for f in FILTER_VALUES
            if f != without and f not in places
        )
        where = without in places or not any(chosen[f] for f in places)
        return others and (where or any(values_of(project, f) & set(chosen[f]) for f in places if chosen[f]))

    result = find_projects(**{k: v for k, v in chosen.items() if v})
    assert result.total == sum(passes(p) for p in everything)
    for facet in FILTER_VALUES:
        expected: dict[str, int] = {}
        for p in everything:
            if passes(p, without=facet):
                for value in values_of(p, facet):
                    expected[value] = expected.get(value, 0) + 1
        got = counts(result, facet)
        if facet == "region":  # the facet lists regions, not the world or the countries
            expected = {k: n for k, n in expected.items() if k in got or (not k.isalpha() and k != "001")}
        assert got == expected, facet


def test_relevance_puts_title_matches_first_and_other_orders_work(projects):
    lead = projects["solar"].lead_organization
    factories.project(lead, "Cooking stoves", summary="Solar cookers for villages")
    db.session.commit()
    assert titles(find_projects(q="solar")) == ["Solar schools Nairobi", "Cooking stoves"]
    assert titles(find_projects(q="solar", sort="title")) == ["Cooking stoves", "Solar schools Nairobi"]
    projects["bogota"].summary = "Car-free Sundays"
    db.session.commit()
    assert titles(find_projects(sort="updated"))[0] == "Ciclovía Bogotá"


def test_matches_are_highlighted(projects):
    result = find_projects(q="rooftop")
    project = result.items[0]
    assert "<mark>Rooftop</mark>" in result.highlights[project.id]["snippet"]
    result = find_projects(q="solar")
    assert "<mark>Solar</mark>" in result.highlights[result.items[0].id]["title"]


def test_pages_and_a_page_beyond_the_end(projects):
    result = find_projects(per_page="2", page="2", sort="title")
    assert result.total == 4 and result.pages == 2 and len(result.items) == 2
    assert find_projects(per_page="2", page="99").page == 2  # the last page, not an error


@pytest.mark.parametrize("sort", ["relevance", "title", "updated"])
def test_pages_read_one_after_another_are_the_whole_order(projects, sort):
    """Each page sorts only the records up to its end (argpartition): read page by page, in every
    order, they are the one-page list's order exactly."""
    lead = projects["solar"].lead_organization
    for n in range(7):
        factories.project(lead, f"Transport corridor {7 - n}", themes=["transport"], summary="transport links")
    db.session.commit()
    whole = titles(find_projects(q="transport", sort=sort, per_page="100"))
    paged = [
        t
        for page in (1, 2, 3, 4)
        for t in titles(find_projects(q="transport", sort=sort, per_page="3", page=str(page)))
    ]
    assert len(whole) == 10 and paged[: len(whole)] == whole


def test_empty_results_say_which_filter_to_drop(projects):
    result = find_projects(q="solar", country="IN")
    assert result.total == 0
    assert ("place", 1) in [(what, n) for what, n, _args in result.relax]
    assert {"q": "solar"} in [args for _what, _n, args in result.relax]


@pytest.mark.parametrize("q", ['"', "*", "NEAR(", "-", ":", "solar:*", 'NEAR("a" "b")', "x" * 10_000, "\u3000"])
def test_bad_words_never_raise(projects, q):
    result = find_projects(q=q)
    assert result.total >= 0


def test_unknown_codes_and_values_are_noted_and_ignored(projects):
    result = find_projects(theme="no-such-theme", country="ZZ", region="999", status="bogus", organization="nobody")
    assert result.total == 4
    assert len(result.notices) == 5
    result = find_projects(q="x" * 10_001, sort="sideways", page="-3", per_page="abc")
    assert any("cut" in str(n) for n in result.notices) and result.page == 1 and result.per_page == 25


def test_the_index_follows_edits_and_archiving(projects, world):
    admin = world.users["admin"]
    project = projects["brt"]
    project_service.update_project(admin, project, {**project_service.project_values(project),
                                                    "title": "Electric buses"}, project.version)  # fmt: skip
    db.session.commit()
    assert titles(find_projects(q="electric")) == ["Electric buses"]
    assert find_projects(q="rapid").total == 0
    archiving.archive(admin, project)
    db.session.commit()
    assert find_projects(q="electric").total == 0
    assert "Electric buses" not in titles(find_projects(per_page="100"))
    archiving.restore(admin, project)
    db.session.commit()
    assert titles(find_projects(q="electric")) == ["Electric buses"]


def test_initiatives_by_words_status_theme_and_region(app):
    cooking = factories.initiative("Clean Cooking Coalition", status="active", goal="Stoves for a million homes")
    cooking.themes = [factories.theme("energy-transition")]
    cooking.regions = [factories.region("002")]  # all of Africa
    heat = factories.initiative("Urban Heat Alliance", status="proposed")
    heat.regions = [factories.region("IN")]
    db.session.commit()
    assert titles(find_initiatives(q="stoves")) == ["Clean Cooking Coalition"]
    assert titles(find_initiatives(status="proposed")) == ["Urban Heat Alliance"]
    assert titles(find_initiatives(theme="energy-transition")) == ["Clean Cooking Coalition"]
    assert titles(find_initiatives(region="002")) == ["Clean Cooking Coalition"]  # the region itself
    assert titles(find_initiatives(region="142")) == ["Urban Heat Alliance"]  # a country inside
    assert titles(find_initiatives(country="IN")) == ["Urban Heat Alliance"]
    assert titles(find_initiatives()) == ["Urban Heat Alliance", "Clean Cooking Coalition"]  # newest first
    assert counts(find_initiatives(), "region") == {"002": 1, "142": 1, "034": 1}
    archiving.archive(factories.user("admin"), cooking)
    db.session.commit()
    assert find_initiatives(q="stoves").total == 0


def test_a_private_directory_refuses_anonymous_searches(app):
    app.config["PUBLIC_DIRECTORY"] = False
    with pytest.raises(PermissionDenied):
        find_projects()
    with pytest.raises(PermissionDenied):
        find_initiatives()


# --- pages --------------------------------------------------------------------------------------


def test_projects_page_searches_filters_and_links_keep_the_other_choices(client, projects):
    page = client.get("/projects?q=transit&sort=title").get_data(as_text=True)
    assert "Bus rapid <mark>transit</mark>" in page and "Solar schools" not in page
    # The India facet link keeps the words and the order.
    assert 'href="/projects?q=transit&amp;country=IN&amp;sort=title"' in page
    assert f'href="/projects/{projects["brt"].id}"' in page
    page = client.get("/projects?region=419").get_data(as_text=True)
    assert "Ciclovía Bogotá" in page and "Bus rapid transit" not in page
    page = client.get("/projects?q=solar&country=IN").get_data(as_text=True)
    assert "No project matches this search." in page and "Remove the place filter" in page


def test_projects_page_fragment_for_htmx_and_bad_input(client, projects):
    fragment = client.get("/projects?q=solar", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="project-search"' in fragment and "<mark>Solar</mark> schools" in fragment
    for query in ("q=" + "x" * 10_000, "q=NEAR(%22", "page=999999999", "page=abc", "theme=zz&country=<b>",
                  "region=%00", "organization=a%00", "q=%00solar", "sort=;drop"):  # fmt: skip
        assert client.get("/projects?" + query).status_code == 200, query
    assert "Unknown value" in client.get("/projects?theme=nothing").get_data(as_text=True)


def test_initiatives_page_searches_and_keeps_the_totals(client, app):
    factories.initiative("Clean Cooking Coalition", status="active")
    factories.initiative("Urban Heat Alliance", status="proposed")
    db.session.commit()
    page = client.get("/initiatives?q=cooking").get_data(as_text=True)
    assert "Clean <mark>Cooking</mark> Coalition" in page and "Urban Heat Alliance" not in page
    assert 'data-testid="network-totals"' in page
    page = client.get("/initiatives?status=proposed").get_data(as_text=True)
    assert "Urban Heat Alliance" in page and "Clean Cooking Coalition" not in page
    assert "No initiative matches this search." in client.get("/initiatives?q=zzzz").get_data(as_text=True)


def test_nav_links_to_the_project_search(client, app):
    assert 'href="/projects"' in client.get("/").get_data(as_text=True)


# --- API ----------------------------------------------------------------------------------------


def test_api_searches_projects_with_facets(client, projects):
    body = client.get("/api/v1/projects?q=freight&theme=transport&country=IN&country=CN").get_json()
    assert [p["title"] for p in body["items"]] == ["绿色货运 freight platform"]
    assert {v["value"]: v["count"] for v in body["facets"]["theme"]} == {"transport": 1, "energy-transition": 1}
    assert body["total"] == 1 and body["notices"] == []
    body = client.get("/api/v1/projects?status=completed&status=active&organization=lead-org").get_json()
    assert sorted(p["title"] for p in body["items"]) == ["Bus rapid transit", "Solar schools Nairobi"]
    body = client.get("/api/v1/projects?theme=nope").get_json()
    assert body["total"] == 4 and body["notices"]


def test_api_searches_initiatives(client, app):
    factories.initiative("Clean Cooking Coalition", status="active")
    factories.initiative("Urban Heat Alliance", status="proposed", start_date=date(2025, 1, 1))
    db.session.commit()
    body = client.get("/api/v1/initiatives?q=heat").get_json()
    assert [i["title"] for i in body["items"]] == ["Urban Heat Alliance"]
    assert {v["value"]: v["count"] for v in body["facets"]["status"]} == {"proposed": 1}
    body = client.get("/api/v1/initiatives?status=active").get_json()
    assert [i["title"] for i in body["items"]] == ["Clean Cooking Coalition"]


def test_facet_counts_follow_link_changes_and_ignore_rolled_back_ones(projects):
    assert counts(find_projects(), "theme")["transport"] == 3
    project = projects["solar"]
    project.themes.append(factories.theme("transport"))
    db.session.flush()
    assert counts(find_projects(), "theme")["transport"] == 4  # this transaction sees its own change
    db.session.rollback()
    assert counts(find_projects(), "theme")["transport"] == 3
    projects["bogota"].countries = [factories.region("KE")]
    db.session.commit()
    assert titles(find_projects(country="KE")) == titles(find_projects(region="002"))  # Bogotá now in Kenya
    assert counts(find_projects(region="002"), "country")["KE"] == 2
    assert titles(find_projects(region="419")) == []


def test_a_merge_moves_projects_to_the_survivor_in_the_search(projects, world):
    from network.services.duplicates import merge_organizations

    survivor = projects["solar"].lead_organization
    duplicate = projects["bogota"].lead_organization
    assert len(find_projects(organization=survivor.slug).items) == 2
    merge_organizations(world.users["admin"], survivor, duplicate, choices={},
                        survivor_version=survivor.version, duplicate_version=duplicate.version)  # fmt: skip
    db.session.commit()
    assert sorted(titles(find_projects(organization=survivor.slug))) == [
        "Bus rapid transit", "Ciclovía Bogotá", "Solar schools Nairobi", "绿色货运 freight platform"]  # fmt: skip


def test_a_projects_themes_link_to_the_project_search(client, projects):
    page = client.get(f"/projects/{projects['solar'].id}").get_data(as_text=True)
    assert 'href="/projects?theme=energy-transition"' in page
