"""A coordinator creates an event with one seat; two members register (the second waits); the first
cancels and the second moves up; the coordinator checks them in on a phone. Real /login, Chromium."""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.test_initiative_flow import log_in


def watch(page, errors: list[str]) -> None:
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)


def test_create_register_waitlist_moves_up_check_in(live_server, browser, db_session):
    node = f.network("CAN Eastern Africa", slug="can-ea")
    ngo = f.organization("Sunrise Clean Freight Kenya", slug="sunrise", networks=[node])
    firm = f.organization("FreightLink Platform", kind="company", slug="freightlink")
    f.user("coordinator", email="coord@example.org", networks=[node])
    f.user("member", email="amina@sunrise.example", name="Amina Odhiambo", organization=ngo)
    f.user("member", email="li@freightlink.example", name="Li Wei", organization=firm)
    db_session.commit()
    day = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    errors: list[str] = []

    # --- the coordinator creates the event (one seat) and adds a co-host
    coordinator = browser.new_context(locale="en-GB").new_page()
    watch(coordinator, errors)
    log_in(coordinator, live_server, "coord@example.org")
    coordinator.goto(f"{live_server}/events/new")
    coordinator.fill("input[name=title]", "Cutting truck emissions")
    coordinator.select_option("select[name=kind]", "side_event")
    coordinator.select_option("select[name=status]", "open")
    coordinator.fill("input[name=starts_at]", f"{day}T13:15")
    coordinator.fill("input[name=ends_at]", f"{day}T14:30")
    coordinator.select_option("select[name=timezone]", "Africa/Nairobi")
    coordinator.fill("input[name=city]", "Nairobi")
    coordinator.fill("input[name=capacity]", "1")
    coordinator.get_by_role("button", name="Create event").click()
    expect(coordinator).to_have_url(re.compile(r"/events/cutting-truck-emissions$"))
    expect(coordinator.locator("[data-testid=event-when]").first).to_contain_text(f"{day} 13:15 – 14:30")
    expect(coordinator.locator(".local-time")).to_contain_text("Your time:")  # the reader's own zone, by script
    coordinator.fill("#hosts input[name=organization]", "freightlink")
    coordinator.get_by_role("button", name="Add host").click()
    expect(coordinator.locator("#hosts")).to_contain_text("FreightLink Platform")

    # --- Amina registers and gets the seat; Li joins the waitlist
    amina = browser.new_context(locale="en-GB").new_page()
    watch(amina, errors)
    log_in(amina, live_server, "amina@sunrise.example")
    amina.goto(f"{live_server}/events/cutting-truck-emissions")
    amina.fill("#registration input[name=dietary]", "vegetarian")
    amina.get_by_role("button", name="Register", exact=True).click()
    expect(amina.locator("[data-testid=own-registration]")).to_have_text("You are registered.")

    li = browser.new_context(locale="en-GB").new_page()
    watch(li, errors)
    log_in(li, live_server, "li@freightlink.example")
    li.goto(f"{live_server}/events/cutting-truck-emissions")
    li.get_by_role("button", name="Join the waitlist").click()
    expect(li.locator("[data-testid=own-registration]")).to_contain_text("waitlist (number 1)")

    # --- Amina cancels: Li moves up and is told
    amina.once("dialog", lambda dialog: dialog.accept())
    amina.get_by_role("button", name="Cancel my registration").click()
    expect(amina.get_by_text("The registration is cancelled.")).to_be_visible()
    li.reload()
    expect(li.locator("[data-testid=own-registration]")).to_have_text("You are registered.")
    li.goto(f"{live_server}/notifications")
    expect(li.get_by_text("A seat became free")).to_be_visible()

    # --- the co-host's member sees the registrations; the coordinator checks Li in on a phone
    li.goto(f"{live_server}/events/cutting-truck-emissions/registrations")
    expect(li.locator("[data-testid=registration-row]")).to_have_count(2)
    phone = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    watch(phone, errors)
    log_in(phone, live_server, "coord@example.org")
    phone.goto(f"{live_server}/events/cutting-truck-emissions/check-in")
    phone.fill("input[name=q]", "li")
    phone.get_by_role("button", name="Find").click()
    expect(phone.locator("[data-testid=check-in-row]")).to_have_count(1)
    phone.get_by_role("button", name="Check in").click()
    expect(phone.locator("[data-testid=checked-in]")).to_be_visible()
    expect(phone.locator("[data-testid=checked-in-count]")).to_have_text("1 of 1 checked in")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the check-in page is wider than the phone ({width}px)"
    assert errors == []
