"""A coordinator builds an initiative and invites from search results; a member accepts and links a
project; the progress shows it. Logged in through the real /login form, in Chromium."""

import re

from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.helpers import log_in


def test_coordinator_builds_member_accepts_progress_shows(live_server, browser, db_session):
    node = f.network("CAN Eastern Africa", slug="can-ea")
    ngo = f.organization("Sunrise Clean Freight Kenya", slug="sunrise", networks=[node], themes=["transport"],
                         countries=["KE"])  # fmt: skip
    firm = f.organization("Tyre Maker Ltd", kind="company", slug="tyre-maker")
    f.partnership(ngo, firm, kind="technical")
    project = f.project(ngo, "Efficient trucks Nairobi", countries=["KE"], themes=["transport"])
    f.outcome(project, "420.5", basis="verified", year=2025)
    f.user("coordinator", email="coord@example.org", networks=[node])
    f.user("member", email="staff@sunrise.example", organization=ngo)
    db_session.commit()

    errors: list[str] = []

    # --- the coordinator creates the initiative
    coordinator = browser.new_context(locale="en-GB").new_page()
    coordinator.on("pageerror", lambda e: errors.append(str(e)))
    # A script or style the Content-Security-Policy blocks shows up as a console error.
    coordinator.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(coordinator, live_server, "coord@example.org")
    coordinator.goto(f"{live_server}/initiatives/new")
    coordinator.fill("input[name=title]", "Green Freight East Africa")
    coordinator.select_option("select[name=status]", "active")
    coordinator.fill("input[name=target_tco2e]", "1000")
    coordinator.get_by_role("button", name="Create initiative").click()
    expect(coordinator).to_have_url(re.compile(r"/initiatives/green-freight-east-africa$"))

    # --- … finds the NGO in the directory's search results and adds it
    coordinator.goto(f"{live_server}/organizations?q=Sunrise")
    coordinator.locator("[data-testid=result-add-to-initiative]").first.click()
    coordinator.select_option("select[name=initiative]", "green-freight-east-africa")
    coordinator.select_option("select[name=role]", "lead")
    coordinator.get_by_role("button", name="Invite").click()
    participants = coordinator.locator("[data-testid=participants]")
    expect(participants).to_contain_text("Sunrise Clean Freight Kenya")
    expect(participants).to_contain_text("Invited")

    # --- the member sees the notice, accepts and links the project
    member = browser.new_context(locale="en-GB").new_page()
    member.on("pageerror", lambda e: errors.append(str(e)))
    member.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(member, live_server, "staff@sunrise.example")
    expect(member.locator("[data-testid=unread-count]")).to_have_text("1")
    member.goto(f"{live_server}/notifications")
    member.get_by_role("link", name=re.compile("Green Freight East Africa")).click()
    member.locator("[data-testid=invitation]").get_by_role("button", name="Accept").click()
    expect(member.locator(".alert-success")).to_contain_text("You accepted")
    member.select_option("#link-project", str(project.id))
    member.get_by_role("button", name="Link project").click()
    expect(member.locator("[data-testid=linked-projects]")).to_contain_text("Efficient trucks Nairobi")
    # a member's link is proposed: it counts once a coordinator of the initiative confirms it (#15)
    expect(member.locator("[data-testid=link-proposed]")).to_be_visible()
    expect(member.locator("[data-testid=verified-tCO2e]")).to_have_text("0.0")
    coordinator.reload()
    coordinator.locator("[data-testid=linked-projects]").get_by_role("button", name="Confirm").click()
    expect(coordinator.locator("[data-testid=link-proposed]")).to_have_count(0)
    member.reload()

    # --- the progress shows it, in figures, in the chart and in the graph
    expect(member.locator("[data-testid=verified-tCO2e]")).to_have_text("420.5")
    expect(member.locator("[data-testid=progress-tCO2e]")).to_contain_text("42.0 % of target")
    expect(member.locator("#progress-chart")).to_have_attribute("data-rendered", "1")
    expect(member.locator("#graph")).to_have_attribute("data-rendered", "2")  # the NGO and its firm

    coordinator.reload()
    expect(coordinator.locator("[data-testid=participants]")).to_contain_text("Accepted")
    expect(coordinator.locator("[data-testid=history]")).to_contain_text("Accepted")
    # Suggested partners load into the page (htmx): the NGO's firm, with the reason.
    expect(coordinator.locator("[data-testid=suggestions]")).to_contain_text("Tyre Maker Ltd")
    expect(coordinator.locator("[data-testid=suggestions]")).to_contain_text("Technical partner of Sunrise")
    assert errors == []
