"""In Chromium: a coordinator uploads a spreadsheet, reads the preview, commits, watches the
progress, and then finds the new organisations in the directory."""

from pathlib import Path

from playwright.sync_api import expect

from tests import factories as f

DATA = Path(__file__).parent.parent / "data"


def test_upload_preview_commit_then_search_finds_rows(live_server, page, db_session):
    node = f.network("CAN Kenya", slug="can-kenya")
    coordinator = f.user("coordinator", networks=[node])
    db_session.commit()

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", coordinator.email)
    page.fill("input[name=password]", f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Log in", exact=True)).to_have_count(0)

    page.goto(f"{live_server}/imports")
    page.set_input_files("input[name=file]", str(DATA / "members.csv"))
    page.select_option("select[name=node]", str(node.id))
    page.get_by_role("button", name="Upload and preview").click()

    counts = page.get_by_test_id("import-counts")
    expect(counts).to_contain_text("3 new")
    expect(counts).to_contain_text("0 invalid")
    page.get_by_test_id("commit-import").click()

    # The progress bar polls the job, then the page reloads with the result.
    expect(page.get_by_test_id("import-done")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("button", name="Undo this import")).to_be_visible()

    page.goto(f"{live_server}/organizations?q=Green+Earth")
    expect(page.locator("ol.results")).to_contain_text("Green Earth Kenya")
    page.goto(f"{live_server}/organizations?q=绿色发展")
    expect(page.locator("ol.results")).to_contain_text("北京绿色发展协会")
