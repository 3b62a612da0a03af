"""What several browser tests do the same way."""

from playwright.sync_api import expect

from tests import factories as f


def log_in(page, base: str, email: str) -> None:
    """Log in through the form and wait until the page after it has loaded."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Log in", exact=True)).to_have_count(0)
