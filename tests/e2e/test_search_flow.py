"""In Chromium: search the directory, narrow by region and theme (results update in place with
htmx, the URL follows), then open a result."""

import re

from playwright.sync_api import expect

from tests import factories


def test_search_narrow_by_region_and_theme_then_open_a_result(live_server, page, db_session):
    factories.organization("Dhaka Solar Collective", slug="dhaka-solar", country="BD", themes=["energy-transition"],
                           description="Solar home systems for rural Bangladesh.")  # fmt: skip
    factories.organization("Delhi Solar Transit", country="IN", themes=["transport"], description="Solar buses.")
    factories.organization("Nairobi Solar Hub", country="KE", themes=["energy-transition"])
    factories.organization("Lagos Water Trust", country="NG", themes=["water"])
    db_session.commit()

    page.goto(f"{live_server}/organizations")
    page.fill("#q", "solar")
    page.press("#q", "Enter")
    page.wait_for_url("**/organizations?q=solar**")
    expect(page.locator("#result-count strong")).to_have_text("3")
    assert page.locator("ol.results mark").first.inner_text().lower() == "solar"

    # Narrow by region: Asia (a world region containing India and Bangladesh).
    page.locator('a[data-facet="region"][data-value="142"]').click()
    page.wait_for_url("**region=142**")
    expect(page.locator("#result-count strong")).to_have_text("2")
    assert page.locator("ol.results").inner_text().count("Nairobi") == 0

    # Then by theme; the region stays chosen.
    page.locator('a[data-facet="theme"][data-value="energy-transition"]').click()
    page.wait_for_url("**theme=energy-transition**")
    assert "region=142" in page.url
    expect(page.locator("#result-count strong")).to_have_text("1")

    page.get_by_role("link", name="Dhaka Solar Collective").click()
    page.wait_for_url("**/organizations/dhaka-solar")
    assert "Dhaka Solar Collective" in page.locator("h1").inner_text()


def test_project_search_narrow_by_theme_and_region_then_open_a_project(live_server, page, db_session):
    lead = factories.organization("Freight Lead", country="CN")
    factories.project(lead, "Solar depots", themes=["energy-transition"], countries=["CN"])
    wanted = factories.project(lead, "Solar trucks", themes=["transport"], countries=["IN"])
    factories.project(lead, "Solar buses Nairobi", themes=["transport"], countries=["KE"])
    factories.project(lead, "Mangrove belts", themes=["adaptation"], countries=["BD"])
    db_session.commit()

    page.goto(f"{live_server}/projects")
    page.get_by_role("link", name="Projects").first.wait_for()
    page.fill("#q", "solar")
    page.press("#q", "Enter")
    page.wait_for_url("**/projects?q=solar**")
    expect(page.locator("#result-count strong")).to_have_text("3")

    page.locator('a[data-facet="theme"][data-value="transport"]').click()
    page.wait_for_url("**theme=transport**")
    expect(page.locator("#result-count strong")).to_have_text("2")
    page.locator('a[data-facet="region"][data-value="142"]').click()  # Asia
    page.wait_for_url("**region=142**")
    assert "theme=transport" in page.url
    expect(page.locator("#result-count strong")).to_have_text("1")

    page.locator("ol.results h3 a").first.click()
    page.wait_for_url(f"**/projects/{wanted.id}")
    assert "Solar trucks" in page.locator("h1").inner_text()


def test_where_facet_chips_and_focus_after_a_facet_click(live_server, page, db_session):
    """South Asia or Kenya in two clicks; both shown as chips above the results; the focus goes to
    the result count (and the view to the results) after each click; a chip removes its filter."""
    factories.organization("Dhaka Solar Collective", country="BD")
    factories.organization("Nairobi Solar Hub", country="KE")
    factories.organization("Lima Solar", country="PE")
    db_session.commit()

    page.goto(f"{live_server}/organizations")
    page.locator('a[data-facet="region"][data-value="034"]').click()  # Southern Asia
    page.wait_for_url("**region=034**")
    page.locator('a[data-facet="country"][data-value="KE"]').click()
    page.wait_for_url("**country=KE**")
    expect(page.locator("#result-count strong")).to_have_text("2")
    chips = page.get_by_test_id("filter-chips")
    assert "Kenya" in chips.inner_text() and "Southern Asia" in chips.inner_text()
    expect(page.locator("#result-count")).to_be_focused()  # (no wait_for_function: the CSP forbids eval)
    page.locator('[data-chip="region:034"]').click()
    expect(page).not_to_have_url(re.compile("region=034"))
    expect(page.locator("#result-count strong")).to_have_text("1")
    assert page.locator("ol.results").inner_text().count("Nairobi") == 1
