"""The directory's one export: small ones answered in the request, large ones prepared by a job into
instance/exports/ and downloaded by the user who asked (and admins); files expire; a job that fails
or whose consumer died says so; the directory's old CSV address leads to it."""

import csv
import io
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from network import create_app, tasks
from network.extensions import db
from network.models import ExportJob, utcnow
from network.services import exporting
from network.services.spreadsheet import COLUMNS
from tests import factories as f
from tests.conftest import login
from tests.test_jobs import REDIS_URL, Consumer, wait_until

SMALL = pytest.mark.app_config(EXPORT_INLINE_ROWS=2)


def directory():
    """Four organisations, three in Tanzania: a Chinese name, a formula, a plain one."""
    f.organization("Green Earth", country="TZ", name_local="绿色地球", acronym="GE", description="-minus first")
    f.organization("=SUM(A1:A2)", country="TZ", kind="company")
    f.organization("北京环境研究所", country="TZ")
    f.organization("Plain Org", country="BR")
    db.session.commit()


def read_csv(data: bytes) -> list[dict]:
    assert data.startswith("\ufeff".encode())  # so Excel reads UTF-8
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    assert reader.fieldnames == list(COLUMNS)
    return list(reader)


def read_xlsx(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


def jobs() -> list[ExportJob]:
    db.session.expire_all()
    return list(db.session.scalars(select(ExportJob).order_by(ExportJob.id)))


def as_user(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_a_small_export_is_answered_at_once(app, world):
    directory()
    client = as_user(app, world.users["viewer"])
    response = client.get("/imports/export?format=csv&country=TZ")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="organisations.csv"' in response.headers["Content-Disposition"]
    rows = {r["name"]: r for r in read_csv(response.data)}
    assert sorted(rows) == ["'=SUM(A1:A2)", "Green Earth", "北京环境研究所"]  # formula guarded, Chinese kept
    assert rows["Green Earth"]["name_local"] == "绿色地球" and rows["Green Earth"]["description"] == "'-minus first"
    assert rows["Green Earth"]["country"] == "TZ" and rows["'=SUM(A1:A2)"]["kind"] == "company"
    xlsx = client.get("/imports/export?format=xlsx&country=TZ")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    table = read_xlsx(xlsx.data)
    assert table[0] == tuple(COLUMNS) and {r[0] for r in table[1:]} == set(rows)
    assert client.get("/imports/export?format=pdf").status_code == 404
    assert jobs() == []  # nothing queued, nothing written
    folder = Path(app.instance_path) / "exports"
    assert not folder.exists() or not any(folder.iterdir())


def test_the_directory_offers_the_one_export(app, world):
    directory()
    page = as_user(app, world.users["viewer"]).get("/organizations?country=TZ").get_data(as_text=True)
    assert "/imports/export?format=csv&amp;country=TZ" in page and "/imports/export?format=xlsx&amp;country=TZ" in page
    assert "/organizations/export.csv" not in page
    assert "/imports/export" not in app.test_client().get("/organizations").get_data(as_text=True)  # visitors


@SMALL
def test_a_large_export_is_prepared_by_a_job_and_downloaded_by_its_owner(app, world):
    directory()
    viewer = world.users["viewer"]
    client = as_user(app, viewer)
    response = client.get("/imports/export?format=csv&country=TZ&page=3")
    [job] = jobs()
    assert response.status_code == 302 and response.location.endswith(f"/exports/{job.id}")
    assert (job.user_id, job.format, job.params, job.status, job.row_count) == (
        viewer.id, "csv", {"country": ["TZ"]}, "done", 3)  # fmt: skip
    assert job.finished_at is not None and job.error is None and job.expired_at is None
    path = Path(app.instance_path) / "exports" / job.file_name
    assert path.is_file() and [p.name for p in path.parent.iterdir()] == [job.file_name]  # no part left over

    page = client.get(f"/exports/{job.id}").get_data(as_text=True)
    assert f'href="/exports/{job.id}/download"' in page and "Ready: 3 organisations." in page
    assert client.get(f"/exports/{job.id}/progress").get_json()["status"] == "done"
    download = client.get(f"/exports/{job.id}/download")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = {r["name"]: r for r in read_csv(download.data)}
    assert sorted(rows) == ["'=SUM(A1:A2)", "Green Earth", "北京环境研究所"]
    assert rows["Green Earth"]["name_local"] == "绿色地球"
    # The admin may fetch it too; the Excel export of the whole directory is a job of its own.
    assert as_user(app, world.users["admin"]).get(f"/exports/{job.id}/download").data == download.data
    response = client.get("/imports/export?format=xlsx")
    xlsx_job = jobs()[-1]
    assert response.location.endswith(f"/exports/{xlsx_job.id}") and xlsx_job.row_count == 6  # with A and B
    table = read_xlsx(client.get(f"/exports/{xlsx_job.id}/download").data)
    assert table[0] == tuple(COLUMNS) and "绿色地球" in {r[1] for r in table[1:]}


@pytest.mark.app_config(EXPORT_INLINE_ROWS=1)
def test_a_second_click_while_it_is_prepared_gets_the_same_job(app, world):
    viewer = world.users["viewer"]
    waiting = ExportJob(user_id=viewer.id, format="csv", params={"q": ["organisation"]}, status="queued")
    db.session.add(waiting)
    db.session.commit()
    response = as_user(app, viewer).get("/imports/export?format=csv&q=organisation")
    assert response.location.endswith(f"/exports/{waiting.id}") and len(jobs()) == 1
    assert "being prepared" in as_user(app, viewer).get(f"/exports/{waiting.id}").get_data(as_text=True)


@SMALL
def test_only_the_owner_and_admins_see_an_export(app, world):
    directory()
    response = as_user(app, world.users["member_a"]).get("/imports/export?format=csv")
    job_id = jobs()[0].id
    assert response.location.endswith(f"/exports/{job_id}")
    for role in ("member_b", "viewer", "coordinator_x"):
        other = as_user(app, world.users[role])
        for url in (f"/exports/{job_id}", f"/exports/{job_id}/progress", f"/exports/{job_id}/download"):
            answer = other.get(url)
            assert answer.status_code == 403 and b"Green Earth" not in answer.data, (role, url)
    anonymous = app.test_client()
    for url in (f"/exports/{job_id}", f"/exports/{job_id}/download"):
        answer = anonymous.get(url)
        assert answer.status_code == 302 and "/login" in answer.location
    assert as_user(app, world.users["member_a"]).get(f"/exports/{job_id + 1}").status_code == 404
    assert as_user(app, world.users["admin"]).get(f"/exports/{job_id}").status_code == 200


@SMALL
def test_files_expire_after_the_keeping_time(app, world):
    directory()
    client = as_user(app, world.users["viewer"])
    client.get("/imports/export?format=csv")
    old = jobs()[0]
    old_file = Path(app.instance_path) / "exports" / old.file_name
    keep = current_app.config["EXPORT_KEEP_HOURS"]
    db.session.execute(update(ExportJob).values(finished_at=utcnow() - timedelta(hours=keep, minutes=1)))
    db.session.commit()
    # Past its time the file is no longer offered, even before a job deleted it.
    page = client.get(f"/exports/{old.id}").get_data(as_text=True)
    assert "has expired" in page and f"/exports/{old.id}/download" not in page
    assert client.get(f"/exports/{old.id}/download").status_code == 404
    assert old_file.exists()
    # The next export job deletes it and records that.
    client.get("/imports/export?format=xlsx")
    old, new = jobs()
    assert old.expired_at is not None and not old_file.exists()
    assert new.status == "done" and new.expired_at is None
    assert (Path(app.instance_path) / "exports" / new.file_name).is_file()
    assert "has expired" in client.get(f"/exports/{old.id}").get_data(as_text=True)


def test_a_job_that_fails_says_why(app, world):
    viewer = world.users["viewer"]
    job = ExportJob(user_id=viewer.id, format="csv", params={}, status="queued", locale="zh")
    db.session.add(job)
    viewer.active = False  # no longer allowed to export when the job runs
    db.session.flush()
    job_id = job.id
    db.session.commit()
    tasks.enqueue(exporting.export_job, job_id)  # outside a transaction: runs now, in a thread of its own
    [failed] = jobs()
    assert failed.status == "failed" and failed.finished_at is not None and failed.file_name is None
    assert failed.error == "您无权执行此操作。"  # in the language of the user who asked
    viewer.active = True
    db.session.commit()
    page = as_user(app, viewer).get(f"/exports/{job_id}").get_data(as_text=True)
    assert "您无权执行此操作。" in page and "/imports/export?format=csv" in page  # and a way to try again
    assert as_user(app, viewer).get(f"/exports/{job_id}/download").status_code == 404


def test_a_job_whose_consumer_died_is_marked_failed(app, world):
    viewer = world.users["viewer"]
    running = ExportJob(user_id=viewer.id, format="csv", params={}, status="running")
    forgotten = ExportJob(user_id=viewer.id, format="xlsx", params={}, status="queued",
                          created_at=utcnow() - timedelta(seconds=current_app.config["IMPORT_TIMEOUT"] + 1))  # fmt: skip
    alive = ExportJob(user_id=viewer.id, format="csv", params={"q": ["x"]}, status="running")
    db.session.add_all([running, forgotten, alive])
    db.session.commit()
    huey = current_app.extensions["huey"]
    stale = time.time() - current_app.config["IMPORT_HEARTBEAT_TIMEOUT"] - 1
    huey.put(exporting.heartbeat_key(running.id), {"at": stale, "processed": 10, "total": 100})
    huey.put(exporting.heartbeat_key(alive.id), {"at": time.time(), "processed": 10, "total": 100})
    client = as_user(app, viewer)
    assert "interrupted" in client.get(f"/exports/{running.id}").get_data(as_text=True)
    assert client.get(f"/exports/{forgotten.id}/progress").get_json()["status"] == "failed"
    progress = client.get(f"/exports/{alive.id}/progress").get_json()
    assert progress == {"status": "running", "processed": 10, "total": 100, "percent": 10, "started": True}
    statuses = {j.id: j.status for j in jobs()}
    assert statuses == {running.id: "failed", forgotten.id: "failed", alive.id: "running"}


def test_the_old_csv_address_leads_to_the_one_export(app, world):
    directory()
    answer = app.test_client().get("/organizations/export.csv?country=TZ")
    assert answer.status_code == 302 and "/login" in answer.location
    client = as_user(app, world.users["viewer"])
    moved = client.get("/organizations/export.csv?country=TZ&q=earth&format=xlsx")
    assert moved.status_code == 301
    assert moved.location.endswith("/imports/export?format=csv&country=TZ&q=earth")
    rows = read_csv(client.get(moved.location).data)
    assert [r["name"] for r in rows] == ["Green Earth"]
    assert db.session.scalar(select(func.count()).select_from(ExportJob)) == 0


# --- With a real consumer (a `flask worker` process), as in production -------------------------


@pytest.fixture(params=["sqlite"] + (["redis"] if REDIS_URL else []))
def real_queue(request, databases, tmp_path):
    """An app whose jobs go to a real queue (SQLite file, or Redis when NETWORK_TEST_REDIS_URL is
    set), and the settings a consumer process needs."""
    settings = {
        "SQLALCHEMY_DATABASE_URI": databases.fresh(), "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret", "RATELIMIT_STORAGE_URI": "memory://", "JOBS_QUEUE": f"test-{uuid.uuid4().hex}",
        "EXPORT_INLINE_ROWS": 1,
    }  # fmt: skip
    if request.param == "redis":
        settings["REDIS_URL"] = REDIS_URL
    app = create_app({**settings, "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        yield app, settings
        if request.param == "redis":
            app.extensions["huey"].flush()
        db.session.remove()
        db.engine.dispose()


def export_status(job_id: int) -> str:
    return db.session.scalar(select(ExportJob.status).where(ExportJob.id == job_id))


def test_a_real_consumer_prepares_the_export(real_queue, tmp_path):
    app, settings = real_queue
    f.organization("Green Earth", country="TZ", name_local="绿色地球")
    f.organization("Plain Org", country="BR")
    viewer = f.user("viewer")
    db.session.commit()
    client = as_user(app, viewer)
    response = client.get("/imports/export?format=csv")
    job_id = int(response.location.rsplit("/", 1)[1])
    assert app.extensions["huey"].pending_count() == 1 and export_status(job_id) == "queued"
    page = client.get(f"/exports/{job_id}").text
    assert f'data-progress-url="/exports/{job_id}/progress"' in page and "Waiting for a background worker" in page
    consumer = Consumer(settings, tmp_path / "consumer.log")
    try:
        wait_until(lambda: export_status(job_id) == "done", "the consumer wrote the export")
    finally:
        consumer.stop()
        print((tmp_path / "consumer.log").read_text(errors="replace")[-5000:])  # shown when the test fails
    assert client.get(f"/exports/{job_id}/progress").get_json()["status"] == "done"
    rows = read_csv(client.get(f"/exports/{job_id}/download").data)
    assert [(r["name"], r["name_local"]) for r in rows] == [("Green Earth", "绿色地球"), ("Plain Org", "")]
