"""In Chromium (#16): a coordinator ticks two organisations in the directory, writes to them from the
bulk action, previews the draft, sends it, and the mail is in the outbox; a recipient unsubscribes
through the mail's link without logging in."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from network.extensions import db
from network.models import Person
from network.services import mail
from tests import factories as f
from tests.e2e.helpers import log_in


def test_from_the_directory_selection_to_the_mail_in_the_outbox(live_server, browser, db_session):
    node = f.network("CAN South Asia", slug="can-sa")
    picked = [f.organization(f"Transport NGO {n}", networks=[node]) for n in ("Alpha", "Beta")]
    other = f.organization("Transport NGO Gamma", networks=[node])
    f.person(picked[0], "Asha Rao", email="asha@example.org", mail_consent=True)
    f.person(picked[1], "Bilal Khan", email="bilal@example.org", mail_consent=True, language="zh")
    f.person(picked[1], "No Consent", email="nc@example.org")
    f.person(other, "Not Picked", email="np@example.org", mail_consent=True)
    f.user("coordinator", email="coord@example.org", networks=[node])
    db_session.commit()
    errors: list[str] = []
    page = browser.new_context(locale="en-GB").new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("dialog", lambda dialog: dialog.accept())  # "Send it now?"

    log_in(page, live_server, "coord@example.org")
    page.goto(f"{live_server}/organizations?q=transport&sort=name")
    picks = page.locator("[data-testid=bulk-pick]")
    expect(picks).to_have_count(3)
    picks.nth(0).check()
    picks.nth(1).check()
    page.select_option("[data-testid=bulk-action]", "mailing")
    page.locator("[data-testid=bulk-go]").click()

    expect(page.get_by_role("heading", name="New mailing")).to_be_visible()
    expect(page.locator("select[name=audience]")).to_have_value("selection:")
    page.get_by_label("Everyone listed").check()
    page.fill("input[name=subject]", "Call for the COP side event")
    page.fill("textarea[name=body]", "Dear {{ name }} of {{ organisation }},\n\n**Join us** in Baku.")
    page.locator("summary", has_text="中文").click()
    page.fill("input[name=subject_zh]", "COP 边会征集")
    page.fill("textarea[name=body_zh]", "{{ name }}，您好")
    page.get_by_role("button", name="Save the draft").click()

    expect(page.locator("[data-testid=recipient-count]")).to_contain_text("2 people will receive it")
    expect(page.locator("[data-testid=excluded]")).to_contain_text("No Consent")
    expect(page.locator("[data-testid=preview]")).to_contain_text("Dear Asha Rao of Transport NGO Alpha")
    expect(page.locator("[data-testid=preview] strong", has_text="Join us")).to_be_visible()
    page.get_by_role("button", name="Send to 2 people").click()
    expect(page.locator("[data-testid=count-sent]")).to_have_text("2")

    messages = {m["To"].addresses[0].addr_spec: m for m in mail.outbox_messages()}
    assert sorted(messages) == ["asha@example.org", "bilal@example.org"]
    assert messages["asha@example.org"]["Subject"] == "Call for the COP side event"
    assert messages["bilal@example.org"]["Subject"] == "COP 边会征集"

    # The recipient, not logged in, follows the link in the mail.
    link = str(messages["asha@example.org"]["List-Unsubscribe"]).strip().strip("<>")
    link = re.sub(r"^https?://[^/]+", live_server, link)
    reader = browser.new_context(locale="en-GB").new_page()
    reader.goto(link)
    reader.get_by_role("button", name="Unsubscribe").click()
    expect(reader.get_by_role("status")).to_contain_text("You are unsubscribed")
    db.session.rollback()
    person = db.session.scalar(select(Person).where(Person.email == "asha@example.org"))
    assert person.unsubscribed_at is not None
    assert errors == []


def test_mailing_pages_have_no_serious_axe_violation(live_server, browser, db_session):
    from network.models import Mailing
    from network.services import mailings
    from network.services.mailings import sending
    from tests.e2e.test_accessibility import AXE, DESKTOP, PHONE, RUN_AXE, TAGS

    node = f.network("CAN South Asia", slug="can-sa")
    org = f.organization("Transport NGO Alpha", networks=[node])
    f.person(org, "Asha Rao", email="asha@example.org", mail_consent=True)
    f.person(org, "No Consent", email="nc@example.org")
    coordinator = f.user("coordinator", email="coord@example.org", networks=[node])
    values = {"subject": "Call", "body": "Dear {{ name }},\n\n- one\n- two", "source": "node", "ref": str(node.id),
              "people": "all"}  # fmt: skip
    draft = mailings.save_mailing(coordinator, values, node)
    sent = mailings.save_mailing(coordinator, values, node)
    db_session.commit()
    mailings.send_mailing(coordinator, sent, live_server)
    db_session.commit()
    delivery = db.session.scalar(select(sending.MailingDelivery).where(sending.MailingDelivery.mailing_id == sent.id,
                                                                       sending.MailingDelivery.status == "sent"))  # fmt: skip
    token = sending.unsubscribe_token(delivery)
    assert db.session.get(Mailing, sent.id).status == "sent"
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
        for url in ("/mailings", "/mailings/new", f"/mailings/{draft.id}", f"/mailings/{sent.id}",
                    f"/unsubscribe/{token}"):  # fmt: skip
            page.goto(live_server + url)
            check(page, f"{lang} {url}")
        context.close()
    assert not problems, "\n".join(problems)
