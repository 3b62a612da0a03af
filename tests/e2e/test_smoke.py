"""Smoke test in Chromium: home → an organisation → its project."""

from decimal import Decimal

from playwright.sync_api import expect

from tests import factories as f


def seed(db_session):
    node = f.network("CAN East Africa", slug="can-ea")
    org = f.organization(
        "Green Earth Kenya", slug="green-earth-kenya", country="KE", acronym="GEK", themes=["transport"],
        networks=[node], description="Cleaner freight for East Africa.",
    )  # fmt: skip
    f.person(org, "Wanjiru Listed", consent_to_list=True)
    certifier = f.organization("Freight Certifier", slug="freight-certifier", kind="company", country="DE")
    f.partnership(org, certifier, kind="technical")
    project = f.project(org, "Truck Retrofit Programme", budget=Decimal("250000"), currency="USD", countries=["KE"])
    f.outcome(project, "120", basis="verified", method="Gold Standard")
    f.organization("Another Kenyan NGO", country="KE")
    db_session.commit()
    return org, project


def test_home_to_organization_to_project(live_server, page, db_session):
    org, project = seed(db_session)
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    page.goto(live_server + "/")
    expect(page.locator('[data-count="organizations"]')).to_have_text("2")
    # The member map is drawn from the bundled shapes; Kenya links to the filtered directory.
    kenya = page.locator('#member-map svg a[data-country="KE"]')
    kenya.wait_for()
    assert kenya.get_attribute("href") == "/organizations?country=KE&match=hq"

    page.locator(".change-list").get_by_role("link", name="Green Earth Kenya").first.click()
    page.wait_for_url(f"{live_server}/organizations/green-earth-kenya")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Green Earth Kenya")
    for text in ["CAN East Africa", "Wanjiru Listed", "Freight Certifier", "Cleaner freight for East Africa."]:
        expect(page.get_by_text(text).first).to_be_visible()

    page.get_by_role("link", name="Truck Retrofit Programme").click()
    page.wait_for_url(f"{live_server}/projects/{project.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Truck Retrofit Programme")
    expect(page.get_by_text("$250,000.00")).to_be_visible()
    expect(page.get_by_text("Gold Standard")).to_be_visible()
    assert csp_errors == []
