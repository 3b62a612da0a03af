"""The import pages: upload, preview with errors and duplicates, commit with progress, log, undo."""

import io
import re
import threading
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from network.extensions import db
from network.models import ImportJob, Organization
from network.services import importing
from network.services.importing import jobs
from tests import factories as f
from tests.conftest import login

CSV = "name,country,themes\nGreen Earth Kenya,Kenya,energy-transition\nLake Victoria Watch,KE,water\n"


@pytest.fixture
def coordinator(app):
    node = f.network("CAN Kenya", slug="can-kenya")
    user = f.user("coordinator", networks=[node])
    db.session.commit()
    return user


def upload(client, content: str | bytes, filename="orgs.csv", **data):
    payload = content.encode() if isinstance(content, str) else content
    return client.post("/imports", data={"file": (io.BytesIO(payload), filename), **data},
                       content_type="multipart/form-data")  # fmt: skip


def wait_for(job_id: int) -> ImportJob:
    """The job, finished: the tests' queue runs a job when it is queued (JOBS_IMMEDIATE), so the
    request that queued it has returned after it, and there is nothing to wait for."""
    db.session.rollback()  # end the read transaction, to see the job's commit
    job = db.session.get(ImportJob, job_id)
    assert job.status not in ("running", "previewed"), f"the import is still {job.status}"
    return job


def test_upload_preview_commit_undo(client, coordinator):
    login(client, coordinator)
    node_id = coordinator.networks[0].id
    response = upload(client, CSV, node=str(node_id))
    assert response.status_code == 302, response.text
    job = db.session.scalar(select(ImportJob))
    assert job.status == "previewed" and job.counts["new"] == 2
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 0

    page = client.get(f"/imports/{job.id}")
    assert page.status_code == 200 and "Import 2 rows" in page.text

    response = client.post(f"/imports/{job.id}/commit")
    assert response.status_code == 302
    progress = client.get(f"/imports/{job.id}/progress").get_json()
    assert progress["status"] in ("running", "committed") and progress["total"] == 2
    job = wait_for(job.id)
    assert job.status == "committed", job.details.get("message")
    orgs = db.session.scalars(select(Organization)).all()
    assert {o.name for o in orgs} == {"Green Earth Kenya", "Lake Victoria Watch"}
    assert all(m.network_id == node_id for o in orgs for m in o.memberships)
    assert client.get(f"/imports/{job.id}/progress").get_json()["percent"] == 100

    from network.services import search

    def found(text):
        return search.organization_id_set(coordinator, search.parse_search_params({"q": text}))

    assert found("Victoria") == {o.id for o in orgs if o.name == "Lake Victoria Watch"}

    log = client.get("/imports")
    assert "orgs.csv" in log.text and "Committed" in log.text  # the status by its label

    response = client.post(f"/imports/{job.id}/undo")
    assert response.status_code == 302
    db.session.expire_all()
    assert all(o.archived_at is not None for o in db.session.scalars(select(Organization)))
    assert db.session.get(ImportJob, job.id).status == "undone"
    assert found("Victoria") == set()  # the search index follows the undo


def test_undo_refused_once_a_record_changed(client, coordinator):
    login(client, coordinator)
    upload(client, CSV, node=str(coordinator.networks[0].id))
    job = db.session.scalar(select(ImportJob))
    client.post(f"/imports/{job.id}/commit")
    wait_for(job.id)
    org = db.session.scalar(select(Organization).where(Organization.name == "Lake Victoria Watch"))
    org.description = "Edited since"
    db.session.commit()
    response = client.post(f"/imports/{job.id}/undo", follow_redirects=True)
    assert "changed since the import" in response.text
    db.session.expire_all()
    assert db.session.get(ImportJob, job.id).status == "committed"
    assert not any(o.archived_at for o in db.session.scalars(select(Organization)))


def test_preview_shows_errors_and_blocks_commit(client, coordinator):
    login(client, coordinator)
    response = upload(client, "name,country,shoe size\nGood,KE,\nBad,Kenia,\n", node=str(coordinator.networks[0].id))
    job = db.session.scalar(select(ImportJob))
    page = client.get(response.headers["Location"])
    assert "Kenia" in page.text and "Did you mean Kenya (KE)?" in page.text
    assert "Fix the invalid rows first" in page.text
    assert "not recognised, ignored: shoe size" in page.text
    client.post(f"/imports/{job.id}/commit")
    db.session.expire_all()
    assert db.session.get(ImportJob, job.id).status == "previewed"
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 0


def test_possible_duplicate_choices(client, coordinator):
    node = coordinator.networks[0]
    existing = f.organization("Green Earth Kenya Ltd", country="KE", website="https://greenearth.ke", networks=[node])
    db.session.commit()
    login(client, coordinator)
    upload(client, "name,country,website,description\nGreen-Earth Kenya,KE,www.greenearth.ke,From the file\n"
           "Other Org,KE,,\n", node=str(node.id))  # fmt: skip
    job = db.session.scalar(select(ImportJob))
    assert job.counts["duplicate"] == 1 and job.details["duplicates"][0]["candidate_id"] == existing.id
    page = client.get(f"/imports/{job.id}")
    assert "same website greenearth.ke" in page.text
    client.post(f"/imports/{job.id}/commit", data={"decision-2": "update"})
    job = wait_for(job.id)
    assert job.status == "committed", job.details
    db.session.expire_all()
    assert db.session.get(Organization, existing.id).description == "From the file"
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 2


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("notes.pdf", b"%PDF-1.4", "not a CSV or .xlsx"),
        ("empty.csv", b"", "empty"),
        ("nameless.csv", b"title,country\nA,KE\n", "No name column"),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "not a valid .xlsx"),
    ],
)
def test_bad_files_get_a_message_and_no_job(client, coordinator, filename, content, message):
    login(client, coordinator)
    response = upload(client, content, filename, node=str(coordinator.networks[0].id))
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0


@pytest.mark.app_config(MAX_CONTENT_LENGTH=200)
def test_upload_over_the_limit(client, coordinator):
    login(client, coordinator)
    response = upload(client, "name,country\n" + "Org,KE\n" * 100, node=str(coordinator.networks[0].id))
    assert response.status_code == 413 and "larger than the limit" in response.text


def test_viewers_and_members_cannot_import(client, app):
    viewer = f.user("viewer")
    db.session.commit()
    login(client, viewer)
    assert client.get("/imports").status_code == 403
    assert upload(client, CSV).status_code == 403


def test_someone_elses_job_is_hidden(client, coordinator):
    login(client, coordinator)
    upload(client, CSV, node=str(coordinator.networks[0].id))
    job = db.session.scalar(select(ImportJob))
    other = f.user("coordinator", networks=[coordinator.networks[0]])
    db.session.commit()
    login(client, other)
    assert client.get(f"/imports/{job.id}").status_code == 403
    assert client.post(f"/imports/{job.id}/commit").status_code == 403


def active_job(user, status="running", age=timedelta(0)) -> ImportJob:
    job = ImportJob(user_id=user.id, filename="members.csv", status=status, total_rows=10, details={})
    db.session.add(job)
    db.session.flush()
    job.updated_at = datetime.now(UTC) - age
    db.session.commit()
    return job


def beat(app, job, seconds_ago: float, processed=4) -> None:
    """A heartbeat as a consumer's job writes it into the queue's storage."""
    app.extensions["huey"].put(jobs.heartbeat_key(job.id), {"at": time.time() - seconds_ago,
                                                                   "processed": processed, "total": 10})  # fmt: skip


def test_a_job_whose_consumer_is_gone_shows_as_interrupted(app, client, coordinator):
    """Liveness is the job's heartbeat, the same for every web process (no process ids: those broke
    under gunicorn --preload); a job not started yet waits for a consumer, but not for ever."""
    dead = active_job(coordinator)
    beat(app, dead, seconds_ago=app.config["IMPORT_HEARTBEAT_TIMEOUT"] + 5)
    alive = active_job(coordinator, age=timedelta(hours=1))
    beat(app, alive, seconds_ago=2)
    checking = active_job(coordinator, status="uploaded")
    beat(app, checking, seconds_ago=2, processed=7)
    queued = active_job(coordinator, status="uploaded", age=timedelta(minutes=30))
    forgotten = active_job(coordinator, age=timedelta(seconds=app.config["IMPORT_TIMEOUT"] + 60))
    login(client, coordinator)
    page = client.post(f"/imports/{dead.id}/commit", follow_redirects=True)  # a POST finds it dead too
    assert "interrupted before it finished" in page.text and "already being committed" not in page.text
    for job in (dead, forgotten):
        page = client.get(f"/imports/{job.id}")
        assert "interrupted before it finished" in page.text
        assert client.get(f"/imports/{job.id}/progress").get_json()["status"] == "failed"
    progress = client.get(f"/imports/{alive.id}/progress").get_json()
    assert progress["status"] == "running" and progress["processed"] == 4 and progress["percent"] == 40
    progress = client.get(f"/imports/{checking.id}/progress").get_json()
    assert progress["status"] == "uploaded" and progress["processed"] == 7 and progress["started"]
    assert "Checking the file" in client.get(f"/imports/{checking.id}").text
    page = client.get(f"/imports/{queued.id}")
    assert "Waiting for a background worker" in page.text
    assert client.get(f"/imports/{queued.id}/progress").get_json()["status"] == "uploaded"
    db.session.expire_all()
    assert db.session.get(ImportJob, dead.id).status == "failed"  # recorded, not just shown
    assert db.session.get(ImportJob, forgotten.id).status == "failed"


def test_a_second_commit_is_told_it_is_already_committed(client, coordinator):
    login(client, coordinator)
    upload(client, CSV, node=str(coordinator.networks[0].id))
    job = db.session.scalar(select(ImportJob))
    assert client.post(f"/imports/{job.id}/commit").status_code == 302
    again = client.post(f"/imports/{job.id}/commit", follow_redirects=True)
    assert again.status_code == 200 and "already committed" in again.text
    assert "nothing was saved" not in again.text
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 2


def test_two_commits_at_once_import_once(app, coordinator):
    """A double click on Import: both requests race; exactly one imports, the other is told so."""
    rows = "".join(f"Org {n},KE\n" for n in range(300))
    first, second = app.test_client(), app.test_client()
    login(first, coordinator)
    login(second, coordinator)
    upload(first, "name,country\n" + rows, node=str(coordinator.networks[0].id))
    job_id = db.session.scalar(select(ImportJob.id))
    db.session.commit()
    barrier = threading.Barrier(2)
    answers = []

    def commit(client):
        barrier.wait()
        answers.append(client.post(f"/imports/{job_id}/commit", follow_redirects=True))

    threads = [threading.Thread(target=commit, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [200, 200]
    db.session.expire_all()
    assert db.session.get(ImportJob, job_id).status == "committed"
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 300
    told = [a for a in answers if "already" in a.text]
    assert len(told) == 1 and "nothing was saved" not in told[0].text


@pytest.mark.app_config(IMPORT_MAX_ROWS=5)
def test_too_many_rows_are_refused_at_upload(client, coordinator):
    login(client, coordinator)
    response = upload(client, "name,country\n" + "".join(f"Org {n},KE\n" for n in range(6)),
                      node=str(coordinator.networks[0].id))  # fmt: skip
    assert response.status_code == 422 and "more than 5 rows" in response.text and "IMPORT_MAX_ROWS" in response.text
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0
    assert list(importing.import_folder().iterdir()) == []


def xlsx_declaring(rows: list[list[str]], declared: str | None) -> bytes:
    """A workbook whose sheet declares the range `declared` (as Excel writes it), whatever it holds;
    None: no declared range (some generators write none)."""
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                range_ = b'<dimension ref="%s"/>' % declared.encode() if declared else b""
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', range_, data)
            target.writestr(item, data)
    return out.getvalue()


@pytest.mark.app_config(IMPORT_MAX_ROWS=50_000)
def test_a_two_million_row_workbook_is_refused_without_reading_it(client, coordinator):
    login(client, coordinator)
    content = xlsx_declaring([["name", "country"], ["Org", "KE"]], "A1:B2000001")
    started = time.monotonic()
    response = upload(client, content, "big.xlsx", node=str(coordinator.networks[0].id))
    assert time.monotonic() - started < 5
    assert response.status_code == 422 and "more than 50000 rows" in response.text
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0


@pytest.mark.app_config(IMPORT_MAX_ROWS=5)
def test_the_job_counts_rows_while_reading(client, coordinator):
    """A workbook that does not declare its size passes the upload, and its preview job stops at the limit."""
    login(client, coordinator)
    rows = [["name", "country"]] + [[f"Org {n}", "KE"] for n in range(8)]
    response = upload(client, xlsx_declaring(rows, None), "small.xlsx", node=str(coordinator.networks[0].id))
    assert response.status_code == 302
    job = db.session.scalar(select(ImportJob))
    assert job.status == "failed" and "more than 5 rows" in job.details["message"]
    assert not Path(job.details["path"]).exists()  # the upload is removed with the failed job
    assert "more than 5 rows" in client.get(f"/imports/{job.id}").text
