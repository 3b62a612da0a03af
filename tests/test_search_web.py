"""The directory pages: shareable URLs, htmx fragments, CSV export, saved searches, query counts."""

import csv
import io

from sqlalchemy import insert, select

from network.extensions import db
from network.models import Organization, SavedSearch
from network.services import search
from tests import factories
from tests.conftest import login


def test_every_state_is_a_shareable_url_and_facet_links_keep_the_others(client, app):
    factories.organization("Nairobi Solar", country="KE", themes=["energy-transition"])
    factories.organization("Mumbai Transit", country="IN", themes=["transport"])
    db.session.commit()
    page = client.get("/organizations?q=solar&sort=name").get_data(as_text=True)
    assert "Nairobi" in page and "Mumbai" not in page
    # The Kenya facet link keeps the words and the sort order.
    assert 'href="/organizations?q=solar&amp;country=KE&amp;sort=name"' in page
    page = client.get("/organizations?region=142").get_data(as_text=True)
    assert "Mumbai Transit" in page and "Nairobi Solar" not in page


def test_htmx_requests_get_the_results_fragment_only(client, app):
    factories.organization("Fragment Org")
    db.session.commit()
    full = client.get("/organizations").get_data(as_text=True)
    fragment = client.get("/organizations", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" in full and "<html" not in fragment
    assert 'id="directory"' in fragment and "Fragment Org" in fragment


def test_results_link_to_the_organisation_page(client, app):
    factories.organization("Linked Org", slug="linked-org")
    db.session.commit()
    assert 'href="/organizations/linked-org"' in client.get("/organizations").get_data(as_text=True)


def test_did_you_mean_and_relax_hints_are_shown(client, app):
    factories.organization("Renewable Futures", country="KE")
    db.session.commit()
    page = client.get("/organizations?q=renewabel+futurez").get_data(as_text=True)
    assert "Did you mean" in page and "renewable futures" in page
    page = client.get("/organizations?q=renewable&country=IN").get_data(as_text=True)
    assert "Remove the place filter" in page


def test_csv_export_has_every_row_and_escapes_formulas(client, app):
    kenya = factories.region("KE")
    rows = [{"name": f"Row {i:04d}", "slug": f"row-{i}", "kind": "ngo", "hq_country_id": kenya.id, "version": 1}
            for i in range(600)]  # fmt: skip
    rows += [
        {"name": "=cmd|' /C calc'!A0", "slug": "f1", "kind": "ngo", "version": 1, "description": "+1"},
        {"name": "@SUM(1)", "slug": "f2", "kind": "ngo", "version": 1, "description": "-2"},
    ]
    db.session.execute(insert(Organization), rows)
    search.rebuild_index()
    viewer = factories.user("viewer")
    db.session.commit()
    assert client.get("/imports/export?format=csv").status_code in (302, 401)
    login(client, viewer)
    response = client.get("/imports/export?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(table) == 602
    by_name = {r["name"]: r for r in table}
    assert by_name["'=cmd|' /C calc'!A0"]["description"] == "'+1"
    assert by_name["'@SUM(1)"]["description"] == "'-2"
    assert by_name["Row 0000"]["country"] == "KE"
    only_rows = client.get("/imports/export?format=csv&q=row").data.decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(only_rows)))) == 600
    # The directory's old second CSV address is the same export now.
    moved = client.get("/organizations/export.csv?q=row")
    assert moved.status_code == 301 and moved.location.endswith("/imports/export?format=csv&q=row")


def test_saved_search_is_named_listed_shared_and_deleted(client, app):
    viewer = factories.user("viewer")
    db.session.commit()
    login(client, viewer)
    response = client.post("/organizations/saved", data={"name": "Kenyan solar", "query": "q=solar&country=KE&page=3"})
    assert response.status_code == 302
    saved = db.session.scalar(select(SavedSearch))
    assert saved.name == "Kenyan solar" and saved.query == "q=solar&country=KE"
    assert "Kenyan solar" in client.get("/organizations/saved").get_data(as_text=True)
    anonymous = client.application.test_client()
    shared = anonymous.get(f"/organizations/shared/{saved.share_token}")
    assert shared.status_code == 302 and shared.location.endswith("/organizations?q=solar&country=KE")
    assert anonymous.get("/organizations/shared/not-a-token").status_code == 404
    assert client.post("/organizations/saved", data={"name": "", "query": "q=x"}).status_code == 302
    assert db.session.scalar(select(SavedSearch).where(SavedSearch.name == "")) is None
    other = factories.user("viewer")
    db.session.commit()
    intruder = client.application.test_client()
    login(intruder, other)
    assert intruder.post(f"/organizations/saved/{saved.id}/delete").status_code == 403
    assert client.post(f"/organizations/saved/{saved.id}/delete").status_code == 302
    assert db.session.scalar(select(SavedSearch)) is None


def test_the_list_page_does_not_grow_queries_with_rows(client, app, count_queries):
    for i in range(3):
        factories.organization(f"Few {i}", themes=["transport"], countries=["IN"])
    db.session.commit()
    client.get("/organizations")  # builds the facet index once
    few = count_queries.get(client, "/organizations?q=few")
    for i in range(40):
        factories.organization(f"Few more {i}", themes=["transport", "cities"], countries=["IN", "BD"])
    db.session.commit()
    client.get("/organizations")
    many = count_queries.get(client, "/organizations?q=few")
    assert many == few


def test_filters_in_force_are_chips_and_never_hidden(client, app):
    """Chips above the results remove one filter each; a chosen country beyond the first eight
    stays in view; regions and countries sit under one "Where" heading with the match choice."""
    for i, code in enumerate(["KE", "IN", "BR", "CN", "DE", "FR", "US", "MX", "NG", "BD", "PE"]):
        for _ in range(12 - i):  # Peru has the fewest: last in the country list
            factories.organization(country=code)
    db.session.commit()
    page = client.get("/organizations?country=PE&theme=transport&match=hq").get_data(as_text=True)
    chips = page[page.index('data-testid="filter-chips"') :].split("</ul>")[0]
    assert 'data-chip="country:PE"' in chips and "Peru" in chips
    assert "HQ only" in chips  # the match choice is a filter too
    # Peru's chip removes Peru and keeps the rest; the theme (chosen, no result) has its chip too
    assert 'href="/organizations?theme=transport&amp;match=hq" data-chip="country:PE"' in chips
    assert 'data-chip="theme:transport"' in chips
    collapsed = page.split("<details><summary", 1)[1] if "<details><summary" in page else ""
    assert 'data-value="PE"' not in collapsed.split("</details>")[0]  # Peru is shown, not folded away
    assert 'aria-current="true" class="fw-semibold">HQ country<' in page
    page = client.get("/organizations?country=PE").get_data(as_text=True)
    assert page.index('id="facet-where"') < page.index('id="facet-region"') < page.index('id="facet-country"')
    # one export button offering both formats
    login(client, factories.user("viewer"))
    page = client.get("/organizations?country=PE").get_data(as_text=True)
    assert page.count('class="export-menu"') == 1
    assert 'data-testid="export-import-csv"' in page and 'data-testid="export-import-xlsx"' in page
