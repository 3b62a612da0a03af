"""In Chromium: a large export's page says it is being prepared, updates itself when the job is
done (no inline script: import-progress.js polls), and then downloads the file."""

from playwright.sync_api import expect

from network import tasks
from network.models import ExportJob
from network.services import exporting
from tests import factories as f


def test_the_export_page_updates_itself_then_downloads(live_server, page, db_session, app):
    f.organization("Green Earth", country="KE", name_local="绿色地球")
    viewer = f.user("viewer")
    job = ExportJob(user_id=viewer.id, format="csv", params={"q": ["green"]}, status="queued")
    db_session.add(job)
    db_session.flush()
    job_id = job.id
    db_session.commit()

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", viewer.email)
    page.fill("input[name=password]", f.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Log in", exact=True)).to_have_count(0)

    page.goto(f"{live_server}/exports/{job_id}")
    expect(page.get_by_test_id("export-progress")).to_contain_text("The export is being prepared")
    tasks.enqueue(exporting.export_job, job_id)
    db_session.commit()  # the job is queued on commit, and the worker takes it up (here: at once, in a thread)
    expect(page.get_by_test_id("export-done")).to_contain_text("Ready: 1 organisation.", timeout=20_000)
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    path = download.value.path()
    assert download.value.suggested_filename == f"organisations-{job_id}.csv"
    assert "绿色地球" in path.read_text(encoding="utf-8-sig")
