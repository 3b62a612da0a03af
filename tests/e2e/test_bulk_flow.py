"""In Chromium (#15 items 3 and 7): a coordinator ticks three search results and adds them to an
initiative as partners in one go; an admin invites a user, picking the organisation by typing its
Chinese name (the picker's matches arrive by htmx)."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from network.extensions import db
from network.models import Participant, User
from tests import factories as f
from tests.e2e.helpers import log_in


def watch(page, errors: list[str]):
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return page


def test_three_results_join_an_initiative_and_a_user_is_invited_by_chinese_name(live_server, browser, db_session):
    node = f.network("CAN East Asia", slug="can-eastasia")
    solar = [f.organization(f"Solar Cooperative {n}", networks=[node]) for n in ("Alpha", "Beta", "Delta", "Gamma")]
    green = f.organization("Green Earth Alliance", name_local="绿色地球联盟", networks=[node])
    initiative = f.initiative("Solar Schools", slug="solar-schools", network=node, status="active")
    f.user("coordinator", email="coord@example.org", networks=[node])
    f.user("admin", email="admin@example.org")
    db_session.commit()
    errors: list[str] = []

    # --- the coordinator ticks three results and adds them as partners
    coordinator = watch(browser.new_context(locale="en-GB").new_page(), errors)
    log_in(coordinator, live_server, "coord@example.org")
    coordinator.goto(f"{live_server}/organizations?q=solar&sort=name")
    picks = coordinator.locator("[data-testid=bulk-pick]")
    expect(picks).to_have_count(4)
    for n in range(3):
        picks.nth(n).check()
    coordinator.select_option("[data-testid=bulk-action]", "initiative")
    coordinator.locator("[data-testid=bulk-go]").click()
    expect(coordinator.locator("[data-testid=bulk-count]")).to_have_text("3 organisations selected.")
    coordinator.select_option("select[name=initiative]", "solar-schools")
    coordinator.select_option("select[name=role]", "partner")
    coordinator.locator("[data-testid=bulk-confirm]").click()
    expect(coordinator).to_have_url(re.compile(r"/organizations\?q=solar"))
    expect(coordinator.get_by_text("3 organisations invited to Solar Schools as partner.")).to_be_visible()
    coordinator.goto(f"{live_server}/initiatives/solar-schools")
    participants = coordinator.locator("[data-testid=participants]")
    for org in solar[:3]:
        expect(participants).to_contain_text(org.name)
    expect(participants).not_to_contain_text(solar[3].name)

    # --- the admin invites a member of the organisation typed in Chinese
    admin = watch(browser.new_context(locale="en-GB").new_page(), errors)
    log_in(admin, live_server, "admin@example.org")
    admin.goto(f"{live_server}/admin/users/invite")
    expect(admin.locator("select[name=role]")).to_have_value("viewer")  # least privilege by default
    admin.fill("input[name=email]", "lan@example.org")
    admin.fill("input[name=name]", "Lan")
    admin.select_option("select[name=role]", "member")
    admin.locator("input[name=organization_q]").press_sequentially("绿色地球")
    choice = admin.get_by_label(re.compile("绿色地球联盟"))
    expect(choice).to_be_visible()
    choice.check()
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin).to_have_url(re.compile(r"/admin/users$"))

    db.session.rollback()  # a new snapshot: the server wrote from its own threads
    user = db.session.scalar(select(User).where(User.email == "lan@example.org"))
    assert (user.role, user.organization_id) == ("member", green.id)
    invited = db.session.scalars(select(Participant.organization_id).where(Participant.initiative_id == initiative.id))
    assert sorted(invited) == sorted(o.id for o in solar[:3])
    assert errors == []


def test_tag_bulk_and_picker_pages_have_no_serious_axe_violation(live_server, browser, db_session):
    from tests.e2e.test_accessibility import AXE, DESKTOP, PHONE, RUN_AXE, TAGS

    node = f.network("CAN East Asia", slug="can-eastasia")
    orgs = [f.organization(f"Solar Cooperative {n}", networks=[node]) for n in ("Alpha", "Beta")]
    coordinator = f.user("coordinator", email="coord@example.org", networks=[node])
    from network.services import tags

    tag = tags.create_tag(coordinator, "Summit 2027", node)
    tags.add_to_tag(coordinator, tag, [o.id for o in orgs])
    db_session.commit()
    problems: list[str] = []

    def check(page, where: str) -> None:
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
            problems.extend(
                f"{where} {size}: {v['id']} {v['targets']} {v['summary']}" for v in page.evaluate(RUN_AXE, TAGS)
            )

    for lang in ("en", "zh"):
        context = browser.new_context(locale="en-GB", viewport=DESKTOP)
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        log_in(page, live_server, "coord@example.org")
        page.goto(f"{live_server}/?lang={lang}")
        for url in ("/tags", f"/organizations?tag={tag.id}", "/organizations/saved",
                    f"/organizations/{orgs[0].slug}/merge?duplicate_q=solar&duplicate_find=1"):  # fmt: skip
            page.goto(live_server + url)
            check(page, f"{lang} {url}")
        page.goto(f"{live_server}/organizations?q=solar")
        page.locator("[data-testid=bulk-pick]").first.check()
        page.select_option("[data-testid=bulk-action]", "tag")
        page.locator("[data-testid=bulk-go]").click()
        page.locator("[data-testid=bulk-confirm]").wait_for()
        check(page, f"{lang} bulk step")
        context.close()
    assert not problems, "\n".join(problems)
