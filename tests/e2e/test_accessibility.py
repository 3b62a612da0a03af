"""Accessibility in Chromium: axe-core (vendored, test-only) on every page of the inventory below,
as the public, a member, a coordinator and an admin see them, in English and Chinese, at desktop
(1366×900) and phone (390×844) width: no serious or critical violation. At phone width no page is
wider than the screen and the directory shows its first result above the fold. Then the key paths
by keyboard alone: search, editing an organisation, the initiative flow, registering for an event
and cancelling."""

import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert, select

from network.extensions import db
from network.models import AuditEvent, EventInvitation, ExportJob, ImportJob, MailingDelivery, Person
from network.paging import PER_PAGE
from network.services import accounts, events, importing, mailings, tags
from network.services import organizations as orgs
from network.services import projects as project_service
from network.services.events import invitations
from network.services.mailings import sending
from network.services.search import saved
from tests import factories as f
from tests.e2e.helpers import log_in

AXE = Path(__file__).parent / "vendor" / "axe-core-4.10.2" / "axe.min.js"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# WCAG 2.0/2.1 A and AA, and 2.2 AA for target-size (24 px targets).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
    summary: (v.nodes[0].failureSummary || "").split("\\n").slice(0, 3).join(" "),
  }));
}"""
# The innermost elements reaching past the right edge of the screen (to say what makes a page wide).
PAST_THE_EDGE = """[...document.querySelectorAll("body *")].filter(el => el.getBoundingClientRect().right > innerWidth
  && ![...el.children].some(c => c.getBoundingClientRect().right > innerWidth)).slice(0, 4)
  .map(el => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : "")
       + " " + Math.round(el.getBoundingClientRect().right))"""
IMPORT_CSV = (
    "name,name_local,acronym,kind,country,countries_of_operation,themes,website,email,founded,membership_status\n"
    "Green Earth Kenya Trust,,GEKT,NGO,Kenya,KE;UG,energy-transition,greenearth.example.org,a@example.org,1998,active\n"
    "Lake Victoria Watch,,,NGO,KE,,water,,,2005,applicant\n"
    "Broken Row,,,not-a-kind,Atlantis,,,,,,\n"
)


def seed(app, db_session) -> dict:
    """Records for every page of the inventory; returns the pages each role visits."""
    node = f.network("CAN East Africa", slug="can-ea")
    child = f.network("CAN Kenya", parent=node, slug="can-kenya")
    org = f.organization("Green Earth Kenya", slug="green-earth-kenya", acronym="GEK", themes=["transport", "water"],
                         networks=[child], description="Cleaner freight for East Africa.")  # fmt: skip
    twin = f.organization("GREEN EARTH KENYA LTD", slug="green-earth-kenya-ltd", networks=[child])  # a likely duplicate
    firm = f.organization("Freight Certifier", slug="freight-certifier", kind="company", country="DE")
    for n in range(12):
        f.organization(f"Sample Organisation {n}", country=["KE", "UG", "TZ", "BR"][n % 4], networks=[node],
                       themes=[["energy-transition"], ["water"], ["youth"]][n % 3])  # fmt: skip
    person = f.person(org, "Wanjiru Listed", consent_to_list=True)
    partnership = f.partnership(org, firm, kind="technical")
    project = f.project(org, "Truck Retrofit Programme", countries=["KE"], themes=["transport"])
    outcome = f.outcome(project, "120", basis="verified", year=2025)
    ini = f.initiative("Green Freight East Africa", network=node, slug="green-freight", target_tco2e=1000)
    f.participant(ini, org, role="lead")
    f.participant(ini, firm, role="technical", status="invited")
    f.user("admin", email="admin@example.org", name="Ada Admin")
    coordinator = f.user("coordinator", email="coord@example.org", name="Sara Coordinator", networks=[node])
    member = f.user("member", email="member@example.org", name="Amina Member", organization=org)
    db_session.commit()
    change = orgs.propose_profile_change(member, org, {"name": "Green Earth Kenya Trust"}, org.version)
    saved.save_search(member, "Water in Kenya", "theme=water&country=KE")
    db_session.commit()
    submitted = add_submitted_outcome(project, member)
    event = add_event(node, firm)
    tag = tags.create_tag(coordinator, "Summit 2027", node)
    tags.add_to_tag(coordinator, tag, [org.id, firm.id])
    draft, sent, token = add_mailings(coordinator, node, org)
    links = mailed_links(member, event)
    export = ExportJob(user_id=member.id, format="csv", params={"q": ["green"]}, status="queued")  # being prepared
    db.session.add(export)
    db.session.commit()
    path = importing.import_folder() / "members.csv"
    path.write_text(IMPORT_CSV)
    job = importing.upload_file(coordinator, path, "members.csv", child, "en")
    db_session.commit()
    membership = org.memberships[0]
    add_older_pages(org, coordinator)
    db.session.expire_all()

    public = ["/", "/organizations", "/organizations?q=green&theme=transport", "/organizations/green-earth-kenya",
              "/projects", f"/projects/{project.id}", "/initiatives", "/initiatives/green-freight",
              "/initiatives/green-freight/report", "/networks", "/login", "/reset", "/api/v1/docs",
              "/organizations/no-such-organisation", "/overview", "/events", f"/events/{event.slug}",
              f"/unsubscribe/{token}", *links]  # fmt: skip
    return {
        "anonymous": public,
        "member": [
            "/", "/account", "/account/tokens", "/notifications", "/organizations/saved",
            "/organizations/green-earth-kenya",
            "/organizations/green-earth-kenya/edit", "/organizations/green-earth-kenya/records",
            "/organizations/green-earth-kenya/changes", (f"/projects/{project.id}/edit", "pick"),
            f"/projects/{project.id}/outcomes",
            f"/outcomes/{outcome.id}/edit", "/initiatives/green-freight", f"/partnerships/{partnership.id}/history",
            "/organizations/green-earth-kenya/history", f"/projects/{project.id}/history",
            ("/organizations/green-earth-kenya/history", "older"), "/notifications/preferences", "/overview",
            f"/outcomes/{outcome.id}", (f"/outcomes/{submitted.id}", "see [data-testid=evidence-form]"), "/events",
            (f"/events/{event.slug}", "see #registration [type=submit]"),
            (f"/exports/{export.id}", "see [data-testid=export-progress]"),
        ],
        "coordinator": [
            "/", "/notifications", "/organizations", "/changes", f"/changes/{change.id}", "/imports", f"/imports/{job.id}",
            "/duplicates", f"/duplicates/merge?survivor={org.id}&duplicate={twin.id}", "/initiatives/new",
            "/initiatives/green-freight?find=Sample", "/initiatives/green-freight/edit",
            "/organizations/new", "/organizations/green-earth-kenya/edit", "/organizations/green-earth-kenya/people/new",
            "/organizations/green-earth-kenya/memberships/new",
            ("/organizations/green-earth-kenya/partnerships/new", "pick"),
            f"/people/{person.id}/edit", f"/memberships/{membership.id}/edit", f"/partnerships/{partnership.id}/edit",
            f"/initiatives/add?organization={twin.slug}", f"/projects/{project.id}/outcomes/new",
            "/networks/can-ea/editing", ("/outcomes/to-verify", "see [data-testid=to-verify] a"),
            (f"/outcomes/{submitted.id}", "see [data-testid=review-form]"), "/tags", f"/organizations?tag={tag.id}",
            "/organizations/green-earth-kenya/merge?duplicate_q=green&duplicate_find=1",
            ("/organizations?q=green", "bulk tag"), ("/organizations?q=green", "bulk event"),
            "/events", "/events?when=all&theme=transport",
            f"/events/{event.slug}", f"/events/{event.slug}/registrations", f"/events/{event.slug}/check-in",
            f"/events/{event.slug}/edit", "/events/new", f"/events/{event.slug}/history", "/mailings", "/mailings/new",
            (f"/mailings/{draft.id}", "see [data-testid=preview]"),
            (f"/mailings/{sent.id}", "see [data-testid=mailing-counts]"),
            ("/imports", "older"),
        ],
        "admin": ["/", "/overview", "/account", "/admin/users", ("/admin/users/invite", "pick"),
                  f"/admin/users/{member.id}/role", "/admin/audit", "/initiatives/green-freight/report"],
    }  # fmt: skip


def add_submitted_outcome(project, member):
    """An estimated report with its evidence, submitted for verification (the coordinator verifies)."""
    report = f.outcome(project, "80", basis="estimated", year=2026)
    db.session.commit()
    project_service.add_evidence(member, report, "fuel-receipts.pdf", io.BytesIO(b"%PDF-1.4 receipts"))
    project_service.submit_outcome(member, report)
    db.session.commit()
    return report


def add_event(node, host):
    """An open event of the node with a host (not the member's organisation: the member is no organiser),
    an agenda with a speaker and two registrations."""
    day = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    event = events.create_event(f.SETUP, {"title": "Cutting truck emissions", "title_local": "减少卡车排放",
                                          "status": "open", "capacity": 30, "starts_at": f"{day}T13:15",
                                          "ends_at": f"{day}T14:30", "timezone": "Africa/Nairobi", "city": "Nairobi",
                                          "country": "KE", "themes": ["transport"], "network": node.id})  # fmt: skip
    events.add_host(f.SETUP, event, host, "host")
    events.add_agenda_item(f.SETUP, event, {"title": "Opening", "starts_at": f"{day}T13:15",
                                            "speakers": [{"name": "Amara Tesfaye", "organization_name": "UNECA"}]})  # fmt: skip
    events.register_person(f.SETUP, event, {"name": "Guest One", "email": "one@example.org", "dietary": "vegan"})
    events.register_person(f.SETUP, event, {"name": "Guest Two", "email": "two@example.org"})
    db.session.commit()
    return event


def add_mailings(coordinator, node, org):
    """A draft (its page shows the preview) and a sent mailing (its report); the unsubscribe token."""
    f.person(org, "Asha Rao", email="asha@example.org", mail_consent=True)
    f.person(org, "No Consent", email="nc@example.org")
    values = {"subject": "Call for the COP side event", "body": "Dear {{ name }},\n\n**Join us**\n\n- one\n- two",
              "source": "node", "ref": str(node.id), "people": "all"}  # fmt: skip
    draft = mailings.save_mailing(coordinator, values, node)
    sent = mailings.save_mailing(coordinator, values, node)
    db.session.commit()
    mailings.send_mailing(coordinator, sent, "http://127.0.0.1")
    db.session.commit()
    delivery = db.session.scalar(select(MailingDelivery).where(MailingDelivery.mailing_id == sent.id))
    return draft, sent, sending.unsubscribe_token(delivery)


def mailed_links(member, event) -> list[str]:
    """The pages opened from a link in a mail: an invitation to an account, a password reset, an
    invitation to the event (its registration form)."""
    invited = f.user("viewer", email="new@example.org", name="New Person")
    invited.password_hash = None  # not accepted yet
    person = db.session.scalar(select(Person).where(Person.email == "asha@example.org"))
    invitations.invite_people(f.SETUP, event, [person], lambda event, token: token)
    db.session.commit()
    invitation = db.session.scalar(select(EventInvitation).where(EventInvitation.event_id == event.id))
    return [f"/invitation/{accounts.make_token('invitation', invited)}",
            f"/reset/{accounts.make_token('reset', member)}",
            f"/events/{event.slug}/join/{invitations.signed_invitation(invitation)}"]  # fmt: skip


def add_older_pages(org, coordinator):
    """More than a page of the organisation's history and of the coordinator's imports: "Older" links."""
    start = datetime.now(UTC) - timedelta(days=30)
    db.session.execute(insert(AuditEvent), [
        {"action": "update", "entity_type": "organizations", "entity_id": org.id, "changes": {"acronym": ["A", "B"]},
         "at": start + timedelta(minutes=i)} for i in range(PER_PAGE + 5)
    ])  # fmt: skip
    job = {"filename": "orgs.csv", "status": "committed", "counts": {}, "details": {}, "user_id": coordinator.id}
    db.session.execute(insert(ImportJob), [job] * (PER_PAGE + 5))
    db.session.commit()


EMAILS = {"member": "member@example.org", "coordinator": "coord@example.org", "admin": "admin@example.org"}


def act(page, action: str) -> None:
    """A state reached from the loaded page: the second page of a paged list, the organisation
    picker's matches (htmx), the confirm step of a bulk action on the directory's selection; or
    "see <selector>": the page shows what it is in the inventory for."""
    if action == "older":
        page.locator("[data-testid=older-page]").click()
        page.locator("[data-testid=newest-page]").wait_for()
    elif action == "pick":
        page.locator(".org-picker input[type=search]").first.fill("green")
        page.locator(".org-matches input[type=radio]").first.wait_for()
    elif action.startswith("bulk "):
        page.locator("[data-testid=bulk-pick]").first.check()
        page.select_option("[data-testid=bulk-action]", action.removeprefix("bulk "))
        page.locator("[data-testid=bulk-go]").click()
        page.locator("[data-testid=bulk-confirm], form[action$='/events/invite-selected'] [type=submit]").wait_for()
    elif action.startswith("see "):  # only a check that the page shows what it is listed for
        page.locator(action.removeprefix("see ")).first.wait_for(timeout=5_000)
    else:
        raise AssertionError(action)
    page.wait_for_load_state("load")


def settle(page, url: str) -> None:
    """What some pages draw after loading, before axe looks at them."""
    if url == "/api/v1/docs":
        page.locator(".opblock-summary-path").first.wait_for(timeout=15_000)
    elif url.split("?")[0] == "/initiatives/green-freight":  # its graph, drawn from JSON
        page.locator("#graph[data-rendered]").wait_for()


@pytest.mark.parametrize("role", ["anonymous", "member", "coordinator", "admin"])
def test_every_page_has_no_serious_axe_violation(role, app, live_server, browser, db_session):
    pages = seed(app, db_session)[role]
    problems: list[str] = []
    for lang in ("en", "zh"):
        context = browser.new_context(locale="en-GB", viewport=DESKTOP)
        context.add_init_script(path=str(AXE))  # into every page, before its scripts (and past its CSP)
        page = context.new_page()
        if role != "anonymous":
            log_in(page, live_server, EMAILS[role])
        page.goto(f"{live_server}/?lang={lang}")  # kept in the session
        assert page.get_attribute("html", "lang") == {"en": "en", "zh": "zh-Hans"}[lang]
        for url in pages:
            url, action = url if isinstance(url, tuple) else (url, None)
            page.set_viewport_size(DESKTOP)
            response = page.goto(live_server + url)
            if not response.ok and not (response.status == 404 and "no-such" in url):  # the error page too
                problems.append(f"{role} {lang} {url}: answered {response.status}")
                continue
            settle(page, url)
            if action:
                act(page, action)
                url = f"{url} ({action})"
            # The same page at both widths: the layout follows the viewport (CSS, and app.js's
            # media query listener), which saves loading each page twice.
            for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                where = f"{role} {lang} {size} {url}"
                page.set_viewport_size(viewport)
                page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
                for v in page.evaluate(RUN_AXE, TAGS):
                    problems.append(f"{where}: {v['id']} ({v['impact']}) {json.dumps(v['targets'])} {v['summary']}")
                if size == "phone":
                    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                    if width[0] > width[1]:
                        problems.append(f"{where}: the page is {width[0]} px wide on a {width[1]} px screen, "
                                        f"past its edge: {page.evaluate(PAST_THE_EDGE)}")  # fmt: skip
        context.close()
    assert not problems, "\n".join(problems)


def test_phone_layout(app, live_server, browser, db_session):
    """The directory shows results first, with its filters in a panel; the map is big enough to tap."""
    seed(app, db_session)
    page = browser.new_context(locale="en-GB", viewport=PHONE).new_page()
    page.goto(f"{live_server}/")
    kenya = page.locator('#member-map a[data-country="KE"]')
    kenya.wait_for()
    assert kenya.bounding_box()["height"] >= 24 and kenya.bounding_box()["width"] >= 20  # pans inside its box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto(f"{live_server}/organizations")
    first = page.locator("ol.results > li").first
    assert first.bounding_box()["y"] < PHONE["height"]  # above the fold
    panel, toggle = page.locator("details.filters-panel"), page.locator("details.filters-panel > summary")
    expect(page.locator("a[data-facet=theme]").first).to_be_hidden()
    # By keyboard: the Filters button opens the panel over the page; Escape closes it.
    toggle.focus()
    page.keyboard.press("Enter")
    expect(panel).to_have_attribute("open", "")
    assert panel.bounding_box()["y"] == 0 and panel.bounding_box()["height"] == PHONE["height"]
    page.keyboard.press("Escape")
    expect(panel).not_to_have_attribute("open", "")
    expect(toggle).to_be_focused()
    # A filter chosen in the panel brings its results, with the panel closed again.
    page.keyboard.press("Enter")
    tab_until(page, "el.dataset.facet === 'theme' && el.dataset.value === 'water'")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"theme=water"))
    expect(page.locator("#result-count")).to_contain_text("5 organisations")
    expect(panel).not_to_have_attribute("open", "")

    # Without JavaScript the filters are open, after the results; the navigation is shown expanded.
    page = browser.new_context(locale="en-GB", viewport=PHONE, java_script_enabled=False).new_page()
    page.goto(f"{live_server}/organizations")
    first_result = page.locator("ol.results > li").first.bounding_box()["y"]
    facet = page.locator("a[data-facet=theme]").first
    expect(facet).to_be_visible()
    assert first_result < facet.bounding_box()["y"] and first_result < PHONE["height"]
    expect(page.get_by_role("link", name="Initiatives")).to_be_visible()


def test_navigation_bar_stays_on_one_line(app, live_server, browser, db_session):
    """An admin's and a coordinator's bar (with its counts of things waiting), in both languages, at
    the widths where it wrapped (1280-1366 px) and the narrowest where it is expanded (1200 px)."""
    seed(app, db_session)
    for email in ("admin@example.org", "coord@example.org"):
        page = browser.new_context(locale="en-GB").new_page()
        log_in(page, live_server, email)
        for lang in ("en", "zh"):
            page.goto(f"{live_server}/organizations?lang={lang}")
            for width in (1200, 1280, 1366):
                page.set_viewport_size({"width": width, "height": 800})
                items = page.locator("nav.navbar .nav-link")
                assert items.count() >= 8
                boxes = [items.nth(i).bounding_box() for i in range(items.count())]
                tops, heights = {round(b["y"]) for b in boxes}, {round(b["height"]) for b in boxes}
                where = (email, lang, width, tops, heights, [round(b["x"] + b["width"]) for b in boxes])
                assert len(tops) == 1 and max(heights) < 48, where  # one row, no label broken in two
                assert max(b["x"] + b["width"] for b in boxes) <= width, where  # nothing past the edge
                assert page.evaluate("document.documentElement.scrollWidth") <= width, where
        page.context.close()


def tab_until(page, condition: str, limit: int = 120) -> None:
    """Press Tab until the focused element (``el``) meets the JavaScript condition."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!({condition}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {condition}")


def keyboard_log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    tab_until(page, "el.name === 'email'")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(f.PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Log in", exact=True)).to_have_count(0)


def test_search_by_keyboard_alone(app, live_server, page, db_session):
    seed(app, db_session)
    page.goto(f"{live_server}/organizations")
    page.keyboard.press("Tab")  # the first stop skips the navigation
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#content"
    page.keyboard.press("Enter")
    tab_until(page, "el.id === 'q'")
    page.keyboard.type("green earth")
    page.keyboard.press("Enter")
    expect(page.locator("ol.results")).to_contain_text("GREEN EARTH KENYA LTD")
    tab_until(page, "el.dataset.facet === 'theme' && el.dataset.value === 'water'")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=green\+earth.*theme=water|theme=water.*q=green\+earth"))
    expect(page.locator("ol.results")).not_to_contain_text("GREEN EARTH KENYA LTD")  # not about water
    tab_until(page, "el.closest('ol.results') && el.textContent.includes('Green Earth Kenya')")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/organizations/green-earth-kenya")


def test_edit_an_organisation_by_keyboard_alone(app, live_server, page, db_session):
    seed(app, db_session)
    keyboard_log_in(page, live_server, "coord@example.org")
    # The user menu opens with Enter and closes with Escape, back on its button.
    tab_until(page, "el.id === 'user-menu'")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Your account"
    page.keyboard.press("Escape")
    expect(page.locator("#user-menu")).to_be_focused()
    expect(page.get_by_role("link", name="Your account")).to_be_hidden()

    page.goto(f"{live_server}/organizations/green-earth-kenya")
    tab_until(page, "el.getAttribute('href') === '/organizations/green-earth-kenya/edit'")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/organizations/green-earth-kenya/edit")
    tab_until(page, "el.name === 'acronym'")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("GEKT")
    tab_until(page, "el.type === 'submit' && el.textContent.trim() === 'Save'")
    page.keyboard.press("Enter")
    expect(page.get_by_text("The profile was saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("GEKT")


def test_initiative_flow_by_keyboard_alone(app, live_server, page, db_session):
    seed(app, db_session)
    keyboard_log_in(page, live_server, "coord@example.org")
    page.goto(f"{live_server}/initiatives/new")
    tab_until(page, "el.name === 'title'")
    page.keyboard.type("Clean Buses Nairobi")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/initiatives/clean-buses-nairobi")
    # Find an organisation with the picker (Enter presses its Find button), pick it, invite it.
    tab_until(page, "el.name === 'organization_q'")
    page.keyboard.type("Sample Organisation 3")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("invite-form")).to_contain_text("Sample Organisation 3")
    tab_until(page, "el.type === 'radio' && el.labels[0].textContent.includes('Sample Organisation 3')")
    page.keyboard.press("Space")
    tab_until(page, "el.name === 'role' && el.closest('[data-testid=invite-form]')")
    tab_until(page, "el.type === 'submit' && el.textContent.trim() === 'Invite'")
    page.keyboard.press("Enter")
    participants = page.get_by_test_id("participants")
    expect(participants).to_contain_text("Sample Organisation 3")
    expect(participants).to_contain_text("Invited")


def test_register_for_an_event_and_cancel_by_keyboard_alone(app, live_server, page, db_session):
    seed(app, db_session)
    keyboard_log_in(page, live_server, "member@example.org")
    page.goto(f"{live_server}/events/cutting-truck-emissions")
    tab_until(page, "el.name === 'dietary' && el.closest('#registration')")
    page.keyboard.type("vegetarian")
    tab_until(page, "el.type === 'submit' && el.textContent.trim() === 'Register'")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=own-registration]")).to_have_text("You are registered.")
    # Cancel: its button asks to confirm (the browser's own dialog, accepted here as a user would).
    tab_until(page, "el.type === 'submit' && el.textContent.trim() === 'Cancel my registration'")
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Enter")
    expect(page.get_by_text("The registration is cancelled.")).to_be_visible()
    expect(page.locator("[data-testid=own-registration]")).to_have_count(0)
