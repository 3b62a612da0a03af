"""The start page through the real pages, in Chromium: a member logs in, lands on its start page,
sees its organisation and an invitation waiting (counted in the top bar), goes to its organisation
from the user menu and proposes themes; the coordinator lands on the queue counts of its node and
reviews the themes added, by name."""

from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.helpers import log_in
from tests.e2e.test_accessibility import AXE, PHONE, RUN_AXE, TAGS


def axe_problems(page, where: str) -> list[str]:
    """Serious or critical axe violations of the page, at desktop and phone width."""
    found = [f"{where}: {v['id']} {v['targets']}" for v in page.evaluate(RUN_AXE, TAGS)]
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    found += [f"{where} (phone): {v['id']} {v['targets']}" for v in page.evaluate(RUN_AXE, TAGS)]
    if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
        found.append(f"{where}: wider than the phone screen")
    page.set_viewport_size(size)
    return found


def test_member_and_coordinator_start_pages(live_server, browser, db_session):
    node = f.network("CAN South Asia", slug="can-sa")
    org = f.organization("Clean Air Dhaka", slug="clean-air-dhaka", country="BD", networks=[node])
    other = f.organization("Elsewhere Trust", slug="elsewhere", country="KE", networks=[f.network("Node B")])
    f.participant(f.initiative("Brick Kiln Alliance", network=node), org, status="invited")
    f.participant(f.initiative("Not Yours"), other, status="invited")
    f.user("member", email="staff@cleanair.example", organization=org)
    f.user("coordinator", email="coord@example.org", name="Sara Coordinator", networks=[node])
    db_session.commit()
    errors: list[str] = []

    problems: list[str] = []
    member_context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    member_context.add_init_script(path=str(AXE))
    member = member_context.new_page()
    member.on("pageerror", lambda e: errors.append(str(e)))
    log_in(member, live_server, "staff@cleanair.example")
    expect(member.get_by_role("heading", level=1)).to_contain_text("Welcome")
    expect(member.get_by_test_id("own-organization").get_by_role("link", name="Clean Air Dhaka")).to_be_visible()
    expect(member.get_by_test_id("missing-fields")).to_contain_text("Themes")
    expect(member.get_by_test_id("invitations")).to_contain_text("Brick Kiln Alliance")
    expect(member.get_by_text("Not Yours")).to_have_count(0)
    expect(member.get_by_test_id("waiting-count")).to_have_text("1")  # the invitation (no project yet)
    member.wait_for_load_state("load")
    problems += axe_problems(member, "member start")
    member.get_by_role("link", name="Overview of the network").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Member directory and joint initiatives")

    # The user menu leads to its organisation; it proposes two themes there.
    member.locator("summary#user-menu").click()
    member.get_by_role("link", name="My organisation").click()
    expect(member.get_by_role("heading", level=1)).to_contain_text("Clean Air Dhaka")
    member.goto(f"{live_server}/organizations/clean-air-dhaka/edit")
    member.locator("select[name=themes]").select_option(["transport", "adaptation"])
    member.get_by_role("button", name="Send for approval").click()
    expect(member.get_by_text("Your change was sent to the coordinators for approval.")).to_be_visible()

    coordinator_context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    coordinator_context.add_init_script(path=str(AXE))
    coordinator = coordinator_context.new_page()
    coordinator.on("pageerror", lambda e: errors.append(str(e)))
    log_in(coordinator, live_server, "coord@example.org")
    expect(coordinator.locator("[data-queue=duplicates] [data-count]")).to_have_text(
        "0", timeout=15_000
    )  # loaded after
    problems += axe_problems(coordinator, "coordinator start")
    changes = coordinator.locator("[data-queue=changes]")
    expect(changes.locator("[data-count]")).to_have_text("1")
    expect(coordinator.locator("[data-queue=invitations] [data-count]")).to_have_text("1")  # its node's only
    expect(coordinator.get_by_test_id("review-count")).to_have_text("1")
    changes.get_by_role("link", name="Clean Air Dhaka").click()
    cell = coordinator.get_by_test_id("collection-change")
    expect(cell).to_contain_text("+ Transport")
    expect(cell).to_contain_text("+ Adaptation")
    problems += axe_problems(coordinator, "review with themes added")
    coordinator.get_by_role("button", name="Approve").click()
    expect(coordinator.get_by_text("The change was approved and applied.")).to_be_visible()
    coordinator.goto(live_server + "/")
    expect(coordinator.locator("[data-queue=changes] [data-count]")).to_have_text("0")

    # The node's editing settings: the phone saved at once from now on.
    coordinator.get_by_role("link", name="(editing settings)").click()
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text("Editing settings of CAN South Asia")
    coordinator.wait_for_load_state("load")  # styled, before axe measures targets
    problems += axe_problems(coordinator, "editing settings")
    coordinator.get_by_label("Phone").check()
    coordinator.get_by_role("button", name="Save").click()
    expect(coordinator.get_by_text("The editing settings of CAN South Asia were saved.")).to_be_visible()
    member.goto(f"{live_server}/organizations/clean-air-dhaka/edit")
    expect(member.get_by_test_id("direct-fields")).to_contain_text("Phone")
    member.fill("input[name=phone]", "+880 2 5555 0100")
    member.get_by_role("button", name="Save").click()
    expect(member.get_by_text("The profile was saved.")).to_be_visible()
    expect(member.get_by_text("+880 2 5555 0100")).to_be_visible()
    assert errors == [] and problems == [], errors + problems
