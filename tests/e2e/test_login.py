"""In Chromium: log in through the form, see the user menu, open the profile, log out (CSRF on)."""

from playwright.sync_api import expect

from tests import factories as f


def test_login_user_menu_and_logout(live_server, page, world):
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    # A page that needs a login sends there and comes back after it.
    page.goto(f"{live_server}/account")
    page.wait_for_url(f"{live_server}/login?next=*")
    page.get_by_label("Email").fill("member-a@example.org")
    page.get_by_label("Password").fill("not the password!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Wrong email or password")).to_be_visible()

    page.get_by_label("Email").fill("member-a@example.org")
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_label("Keep me logged in on this device").check()
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    assert {c["name"] for c in page.context.cookies()} >= {"session", "remember_token"}

    # The user menu: the name opens a dropdown with the profile and a logout button (a POST form).
    menu = page.locator("#user-menu")
    expect(menu).to_have_text("Amina Member")
    menu.click()
    expect(page.get_by_role("link", name="Your account")).to_be_visible()
    expect(page.get_by_role("link", name="Users")).to_have_count(0)  # members administer no one
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server}/")
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.locator("#user-menu")).to_have_count(0)

    page.goto(f"{live_server}/account")
    page.wait_for_url(f"{live_server}/login?next=*")
    assert csp_errors == []


def test_admin_sees_admin_links(live_server, page, world):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("admin@example.org")
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/")
    page.locator("#user-menu").click()
    page.get_by_role("link", name="Users").click()
    page.wait_for_url(f"{live_server}/admin/users")
    expect(page.get_by_role("cell", name="member-b@example.org")).to_be_visible()
