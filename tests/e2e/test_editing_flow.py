"""A member edits its project and proposes a change of its profile; a coordinator approves it; the
member sees the outcome. Logged in through the real /login form, in Chromium (CSRF on)."""

from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.helpers import log_in


def test_member_edits_and_proposes_coordinator_approves(live_server, browser, db_session):
    node = f.network("CAN South Asia", slug="can-sa")
    org = f.organization("Clean Air Dhaka", slug="clean-air-dhaka", country="BD", networks=[node])
    project = f.project(org, "Brick kilns retrofit", countries=["BD"])
    f.user("member", email="staff@cleanair.example", organization=org)
    f.user("coordinator", email="coord@example.org", name="Sara Coordinator", networks=[node])
    db_session.commit()
    errors: list[str] = []

    member = browser.new_context(locale="en-GB").new_page()
    member.on("pageerror", lambda e: errors.append(str(e)))
    # Script errors only: the 422 of the invalid save is logged by the browser as a failed load.
    member.on(
        "console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None
    )
    log_in(member, live_server, "staff@cleanair.example")

    # The member edits the project directly.
    member.goto(f"{live_server}/projects/{project.id}")
    member.get_by_role("link", name="Edit", exact=True).click()
    member.fill("input[name=title]", "Brick kilns retrofit, phase 2")
    member.fill("input[name=budget]", "-5")
    member.fill("input[name=currency]", "BDT")
    member.get_by_role("button", name="Save").click()
    expect(member.get_by_text("Must not be negative.")).to_be_visible()  # per-field message, nothing saved
    member.fill("input[name=budget]", "125000")
    member.get_by_role("button", name="Save").click()
    expect(member.get_by_role("heading", name="Brick kilns retrofit, phase 2")).to_be_visible()
    expect(member.get_by_text("The project was saved.")).to_be_visible()

    # …and proposes a new name for its organisation: it waits for a coordinator.
    member.goto(f"{live_server}/organizations/clean-air-dhaka")
    member.get_by_role("link", name="Propose a change").click()
    member.fill("input[name=name]", "Clean Air Bangladesh")
    member.fill("input[name=acronym]", "CAB")
    member.get_by_role("button", name="Send for approval").click()
    expect(member.get_by_text("Your change was sent to the coordinators for approval.")).to_be_visible()
    expect(member.get_by_test_id("change-status").first).to_have_text("Waiting for approval")
    member.goto(f"{live_server}/organizations/clean-air-dhaka")
    expect(member.get_by_role("heading", level=1)).to_contain_text("Clean Air Dhaka")

    # The coordinator reviews the field-by-field diff and approves it.
    coordinator = browser.new_context(locale="en-GB").new_page()
    coordinator.on("pageerror", lambda e: errors.append(str(e)))
    log_in(coordinator, live_server, "coord@example.org")
    coordinator.get_by_role("link", name="Changes to review").click()
    expect(coordinator.get_by_test_id("change-request")).to_have_count(1)
    coordinator.get_by_role("link", name="Review", exact=True).click()
    diff = coordinator.get_by_test_id("change-diff")
    expect(diff).to_contain_text("Clean Air Dhaka")
    expect(diff).to_contain_text("Clean Air Bangladesh")
    expect(diff).to_contain_text("CAB")
    coordinator.fill("textarea[name=comment]", "Congratulations on the new name.")
    coordinator.get_by_role("button", name="Approve").click()
    expect(coordinator.get_by_text("The change was approved and applied.")).to_be_visible()
    coordinator.goto(f"{live_server}/organizations/clean-air-dhaka")
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text("Clean Air Bangladesh")

    # The member sees the outcome and the comment; the History tab shows who did what.
    member.goto(f"{live_server}/organizations/clean-air-dhaka/changes")
    expect(member.get_by_test_id("change-status").first).to_have_text("Approved")
    expect(member.get_by_text("Congratulations on the new name.")).to_be_visible()
    member.goto(f"{live_server}/organizations/clean-air-dhaka/history")
    expect(member.get_by_test_id("history-event").first).to_contain_text("Sara Coordinator")
    assert errors == []
