"""Notices and their mail, through the real pages in Chromium: a member chooses on its preferences
page to get decisions at once and rejections in the app only, proposes a change; the coordinator
is mailed at once (with the link to the preferences) and sees the notice; approving it mails the
member at once, while a rejection later reaches only the notices page."""

from playwright.sync_api import expect

from network.services.mail import outbox_messages
from tests import factories as f
from tests.e2e.helpers import log_in


def mails_to(address: str) -> list:
    return [m for m in outbox_messages() if m["To"] == address]


def body_of(message) -> str:
    part = message.get_body(preferencelist=("plain",)) if message.is_multipart() else message
    return part.get_content()


def test_notice_preferences_decide_what_is_mailed(live_server, browser, db_session):
    node = f.network("CAN South Asia", slug="can-sa")
    org = f.organization("Green Delta", slug="green-delta", country="BD", networks=[node])
    f.user("member", email="staff@greendelta.example", organization=org)
    f.user("coordinator", email="coord@example.org", networks=[node])
    db_session.commit()

    member = browser.new_context(locale="en-GB").new_page()
    log_in(member, live_server, "staff@greendelta.example")
    member.goto(f"{live_server}/notifications/preferences")
    member.locator("input[name=change_approved][value=immediately]").check()
    member.locator("input[name=change_rejected][value=app]").check()
    member.get_by_role("button", name="Save choices").click()
    expect(member.locator("input[name=change_approved][value=immediately]")).to_be_checked()
    expect(member.locator("input[name=change_rejected][value=app]")).to_be_checked()

    member.goto(f"{live_server}/organizations/green-delta/edit")
    member.fill("textarea[name=description]", "Mangrove restoration with fishing communities.")
    member.get_by_role("button", name="Send for approval").click()
    expect(member.get_by_text("Your change was sent to the coordinators for approval.")).to_be_visible()

    # The coordinator is told at once, by mail (with the preferences link) and on the notices page.
    (mail,) = mails_to("coord@example.org")
    assert "Green Delta" in body_of(mail) and "/notifications/preferences" in body_of(mail)
    coordinator = browser.new_context(locale="en-GB").new_page()
    log_in(coordinator, live_server, "coord@example.org")
    coordinator.goto(f"{live_server}/notifications")
    expect(coordinator.get_by_text("Green Delta", exact=False).first).to_be_visible()
    coordinator.goto(f"{live_server}/changes")
    coordinator.get_by_role("link", name="Review", exact=True).first.click()
    coordinator.get_by_role("button", name="Approve").click()
    expect(coordinator.get_by_text("The change was approved and applied.")).to_be_visible()
    assert len(mails_to("staff@greendelta.example")) == 1  # approvals: at once, as chosen

    # A rejection of the next proposal stays in the app: no mail, but a notice.
    member.goto(f"{live_server}/organizations/green-delta/edit")
    member.fill("textarea[name=description]", "Something the coordinator will not accept.")
    member.get_by_role("button", name="Send for approval").click()
    expect(member.get_by_text("Your change was sent to the coordinators for approval.")).to_be_visible()
    coordinator.goto(f"{live_server}/changes")
    coordinator.get_by_role("link", name="Review", exact=True).first.click()
    coordinator.get_by_role("button", name="Reject").click()
    expect(coordinator.get_by_text("The change was rejected.")).to_be_visible()
    assert len(mails_to("staff@greendelta.example")) == 1
    member.goto(f"{live_server}/notifications")
    expect(member.get_by_text("rejected", exact=False).first).to_be_visible()
