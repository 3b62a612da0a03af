"""The import pages: upload, preview with errors and duplicates, commit with progress, log, undo."""

import io
import time

import pytest
from sqlalchemy import func, select

from network.extensions import db
from network.models import ImportJob, Organization
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


def wait_for(job_id: int, seconds: float = 20) -> ImportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.rollback()  # end the read transaction, to see the worker's commit
        job = db.session.get(ImportJob, job_id)
        if job.status not in ("running", "previewed"):
            return job
        time.sleep(0.05)
    raise AssertionError("import did not finish")


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
    assert "orgs.csv" in log.text and "committed" in log.text

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


def running_job(user, **worker) -> ImportJob:
    job = ImportJob(user_id=user.id, filename="members.csv", status="running", total_rows=10,
                    details={"worker": worker})  # fmt: skip
    db.session.add(job)
    db.session.commit()
    return job


def test_a_job_whose_worker_is_gone_shows_as_interrupted(client, coordinator):
    import os
    import socket
    from datetime import UTC, datetime, timedelta

    from network.services import importing

    dead_pid = 2**30  # beyond any pid_max: no such process
    host, now = socket.gethostname(), datetime.now(UTC)
    restarted = running_job(coordinator, process="an earlier process", host=host, pid=dead_pid,
                            started=now.isoformat())  # fmt: skip
    ours_no_thread = running_job(coordinator, process=importing.PROCESS_ID, host=host, pid=os.getpid(),
                                 started=now.isoformat())  # fmt: skip
    elsewhere_old = running_job(coordinator, process="x", host="another-host", pid=1,
                                started=(now - timedelta(hours=7)).isoformat())  # fmt: skip
    elsewhere_now = running_job(coordinator, process="y", host="another-host", pid=1, started=now.isoformat())
    alive_here = running_job(coordinator, process="z", host=host, pid=os.getppid(), started=now.isoformat())
    login(client, coordinator)
    for job in (restarted, ours_no_thread, elsewhere_old):
        page = client.get(f"/imports/{job.id}")
        assert "interrupted before it finished" in page.text, job.details
        assert client.get(f"/imports/{job.id}/progress").get_json()["status"] == "failed"
    for job in (elsewhere_now, alive_here):
        assert client.get(f"/imports/{job.id}/progress").get_json()["status"] == "running"
    db.session.expire_all()
    assert db.session.get(ImportJob, restarted.id).status == "failed"  # recorded, not just shown
