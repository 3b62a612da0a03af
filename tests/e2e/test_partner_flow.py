"""#15 items 4 and 5 through the real pages, in Chromium: a coordinator invites a bank that has no user
account, records its answer and gives it a share; the NGO's member reports an estimated outcome,
attaches the evidence and submits it; the technical partner's user verifies it; only then does the
initiative count it as verified."""

import re

from playwright.sync_api import expect

from network.models import utcnow
from tests import factories as f
from tests.e2e.helpers import log_in

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def test_partner_without_account_and_verified_outcome(live_server, browser, db_session, app, tmp_path):
    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    node = f.network("China Climate Action", slug="ccan")
    ngo = f.organization("Green Transport Association", slug="gtpa", networks=[node])
    auditor = f.organization("Freight Audit Institute", slug="audit", networks=[node])
    f.organization("Evergreen Commercial Bank", kind="company", slug="bank")  # no user account
    project = f.project(ngo, "Eco-driving for truckers")
    initiative = f.initiative("Green Freight China", network=node, slug="green-freight", target_tco2e=1000)
    f.participant(initiative, ngo, role="lead")
    f.participant(initiative, auditor, role="technical")
    coordinator_user = f.user("coordinator", email="coord@example.org", name="Chen Coordinator", networks=[node])
    f.user("member", email="staff@gtpa.example", organization=ngo)
    f.user("member", email="verifier@audit.example", organization=auditor)
    from network.services import initiatives

    initiatives.link_project(coordinator_user, initiative, project)  # a coordinator's link: confirmed
    db_session.commit()
    errors: list[str] = []

    def new_page():
        page = browser.new_context(locale="en-GB").new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        return page

    # --- the coordinator invites the bank from the directory: nobody there can be notified
    coordinator = new_page()
    log_in(coordinator, live_server, "coord@example.org")
    coordinator.goto(f"{live_server}/organizations?q=Evergreen")
    coordinator.locator("[data-testid=result-add-to-initiative]").first.click()
    expect(coordinator.locator("[data-testid=no-users]")).to_be_visible()
    coordinator.select_option("select[name=initiative]", "green-freight")
    coordinator.select_option("select[name=role]", "funder")
    coordinator.get_by_role("button", name="Invite").click()
    expect(coordinator.locator(".alert")).to_contain_text("has no user account here")
    expect(coordinator.get_by_text("its members were notified")).to_have_count(0)

    # --- … records the bank's answer, as agreed by mail, then gives it a share
    row = coordinator.locator("[data-participant=bank]")
    answer = row.locator("[data-testid=answer-for]")
    answer.locator("select[name=answer]").select_option("accepted")
    answer.locator("input[name=answered_on]").fill(utcnow().date().isoformat())
    answer.locator("input[name=how]").fill("email from CEO 3 May")
    answer.get_by_role("button", name="Record answer").click()
    expect(coordinator.locator("[data-participant=bank]")).to_contain_text("Accepted")
    expect(coordinator.locator("[data-participant=bank] [data-testid=answer-recorded]")).to_contain_text(
        "answer recorded by Chen Coordinator: email from CEO 3 May"
    )
    expect(coordinator.locator("[data-testid=history]")).to_contain_text("recorded on its behalf: email from CEO 3 May")
    coordinator.get_by_label("Share of Green Transport Association").fill("60")
    coordinator.get_by_label("Share of Freight Audit Institute").fill("10")
    coordinator.get_by_label("Share of Evergreen Commercial Bank").fill("30")
    coordinator.get_by_role("button", name="Save shares").click()
    expect(coordinator.locator(".alert-success")).to_contain_text("Shares saved")

    # --- the NGO's member reports an estimate (no "verified" to pick), attaches evidence, submits
    member = new_page()
    log_in(member, live_server, "staff@gtpa.example")
    member.goto(f"{live_server}/projects/{project.id}/outcomes/new")
    expect(member.locator("select[name=basis]")).to_have_count(0)
    member.fill("input[name=period_start]", "2024-01-01")
    member.fill("input[name=period_end]", "2024-12-31")
    member.fill("input[name=tco2e_reduced]", "250")
    member.get_by_role("button", name="Save").click()
    expect(member.get_by_text("The outcome report was added.")).to_be_visible()
    member.goto(f"{live_server}/projects/{project.id}/outcomes")
    member.locator("[data-testid=review-status] a").first.click()
    expect(member.locator("[data-testid=review-status]")).to_have_text("Not submitted")
    member.set_input_files("#evidence-file", files=[{"name": "fuel-records.pdf", "mimeType": "application/pdf",
                                                      "buffer": PDF}])  # fmt: skip
    member.get_by_role("button", name="Attach").click()
    expect(member.locator("[data-testid=evidence]")).to_contain_text("fuel-records.pdf")
    member.get_by_role("button", name="Submit for verification").click()
    expect(member.locator("[data-testid=review-status]")).to_have_text("Awaiting verification")
    member.goto(f"{live_server}/initiatives/green-freight")
    expect(member.locator("[data-testid=verified-tCO2e]")).to_have_text("0.0")  # submitted is still an estimate

    # --- the technical partner's user is told, checks the evidence and verifies
    verifier = new_page()
    log_in(verifier, live_server, "verifier@audit.example")
    verifier.goto(f"{live_server}/notifications")
    verifier.get_by_role("link", name=re.compile("awaits your verification")).click()
    with verifier.expect_download() as download:
        verifier.get_by_role("link", name="fuel-records.pdf").click()
    assert download.value.suggested_filename == "fuel-records.pdf"
    verifier.fill("#comment", "Matches the fuel invoices.")
    verifier.get_by_role("button", name="Verify", exact=True).click()
    expect(verifier.locator("[data-testid=review-status]")).to_have_text("Verified")
    expect(verifier.locator("[data-testid=review]")).to_contain_text("Matches the fuel invoices.")

    # --- now it counts as verified, and the bank is credited its 30 %
    member.reload()
    expect(member.locator("[data-testid=verified-tCO2e]")).to_have_text("250.0")
    expect(member.locator("[data-testid=attribution]")).to_contain_text("Evergreen Commercial Bank")
    assert errors == []
