"""A coordinator creates an event with one seat; two members register (the second waits); the first
cancels and the second moves up; the coordinator checks them in on a phone. Real /login, Chromium."""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.helpers import log_in


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


def test_event_pages_have_no_serious_axe_violation(app, live_server, browser, db_session):
    """axe-core (as tests/e2e/test_accessibility.py runs it) on the event pages of a coordinator, in
    English and Chinese, at desktop and phone width; no page wider than the phone."""
    from network.services import events
    from tests.e2e.test_accessibility import AXE, DESKTOP, PHONE, RUN_AXE, TAGS

    node = f.network("CAN Eastern Africa", slug="can-ea")
    ngo = f.organization("Sunrise Clean Freight Kenya", slug="sunrise", networks=[node], themes=["transport"])
    f.user("coordinator", email="coord@example.org", networks=[node])
    day = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    event = events.create_event(f.SETUP, {"title": "Cutting truck emissions", "title_local": "减少卡车排放",
                                          "status": "open", "capacity": 1, "starts_at": f"{day}T13:15",
                                          "ends_at": f"{day}T14:30", "timezone": "Africa/Nairobi", "city": "Nairobi",
                                          "country": "KE", "themes": ["transport"], "network": node.id})  # fmt: skip
    events.add_host(f.SETUP, event, ngo, "host")
    events.add_agenda_item(f.SETUP, event, {"title": "Opening", "starts_at": f"{day}T13:15",
                                            "speakers": [{"name": "Amara Tesfaye", "organization_name": "UNECA"}]})  # fmt: skip
    events.register_person(f.SETUP, event, {"name": "Guest One", "email": "one@example.org", "dietary": "vegan"})
    events.register_person(f.SETUP, event, {"name": "Guest Two", "email": "two@example.org"})
    db_session.commit()
    pages = ["/events", "/events?when=all&theme=transport", f"/events/{event.slug}", f"/events/{event.slug}/edit",
             "/events/new", f"/events/{event.slug}/registrations", f"/events/{event.slug}/check-in"]  # fmt: skip
    problems: list[str] = []
    for lang in ("en", "zh"):
        context = browser.new_context(locale="en-GB", viewport=DESKTOP)
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        log_in(page, live_server, "coord@example.org")
        page.goto(f"{live_server}/?lang={lang}")
        for url in pages:
            page.set_viewport_size(DESKTOP)
            response = page.goto(live_server + url)
            assert response.ok, (url, response.status)
            for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                page.set_viewport_size(viewport)
                page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
                for v in page.evaluate(RUN_AXE, TAGS):
                    problems.append(f"{lang} {size} {url}: {v['id']} ({v['impact']}) {v['targets']} {v['summary']}")
                if size == "phone":
                    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                    if width[0] > width[1]:
                        problems.append(f"{lang} {url}: {width[0]} px wide on a {width[1]} px screen")
        context.close()
    assert not problems, "\n".join(problems)
