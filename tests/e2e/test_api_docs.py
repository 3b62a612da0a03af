"""The API documentation page renders Swagger UI from static/vendor under the strict CSP, and the
account page creates a token that works against the API."""

from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.helpers import log_in


def test_api_docs_page_lists_operations_without_csp_errors(live_server, page, db_session):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server}/api/v1/docs")
    expect(page.locator(".opblock-summary-path").first).to_be_visible(timeout=15000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any(p.startswith("/api/v1/organizations") for p in paths)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_token_created_on_account_page_reads_the_api(live_server, page, db_session):
    f.user("viewer", email="reader@example.org")
    db_session.commit()
    log_in(page, live_server, "reader@example.org")
    page.goto(f"{live_server}/account")
    page.fill("section[aria-labelledby=api-tokens-heading] input[name=name]", "Website sync")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("net_")
    response = page.request.get(f"{live_server}/api/v1/themes", headers={"Authorization": f"Bearer {secret}"})
    assert response.status == 200 and len(response.json()["items"]) == 15
