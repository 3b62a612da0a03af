"""The job queue: mail leaves only after its transaction commits, and real consumers (a `flask
worker` process) on both storages, SQLite in the instance folder and Redis, run jobs queued before
they started, retry a job that failed, pick up what was queued while they were stopped, and a job
whose consumer was killed is marked failed.

The Redis storage is tested when NETWORK_TEST_REDIS_URL is set (CI sets redis://127.0.0.1:6379/15).
"""

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from network import create_app
from network.errors import ValidationError
from network.extensions import db
from network.models import ImportJob, Organization
from network.services import accounts, operation
from network.services.mail import outbox_messages, send_mail
from network.services.notices import preferences
from tests import factories as f
from tests.conftest import login

REDIS_URL = os.environ.get("NETWORK_TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parent.parent


# --- Mail after commit (immediate mode: a queued job runs at once) ---------------------------


def invite(admin, email):
    return accounts.invite_user(admin, email=email, name="New Person", role="viewer", link_to=lambda token: token)


def test_mail_waits_for_the_commit_and_goes_once(world):
    invite(world.users["admin"], "new@example.org")
    assert outbox_messages() == []  # asked for, not sent: the operation could still roll back
    db.session.commit()
    assert [m["To"] for m in outbox_messages()] == ["new@example.org"]
    db.session.commit()
    assert len(outbox_messages()) == 1


def test_a_rolled_back_operation_sends_nothing(world):
    invite(world.users["admin"], "new@example.org")
    db.session.rollback()
    db.session.commit()
    assert outbox_messages() == []


@operation
def invite_then_fail(actor, email):
    invite(actor, email)
    raise ValidationError({"": ["changed my mind"]})


def test_a_failed_operation_inside_a_committed_request_sends_only_what_stood(world):
    admin = world.users["admin"]
    invite(admin, "kept@example.org")
    with pytest.raises(ValidationError):
        invite_then_fail(admin, "dropped@example.org")  # its savepoint rolls back, and its mail with it
    db.session.commit()
    assert [m["To"] for m in outbox_messages()] == ["kept@example.org"]


def test_mail_outside_a_transaction_goes_at_once(app):
    send_mail("someone@example.org", "Hello", "Body\n")
    assert [m["Subject"] for m in outbox_messages()] == ["Hello"]


# --- Real consumers on both storages ---------------------------------------------------------


class FlakySMTP:
    """An SMTP server on a loopback port that turns the first `refuse` connections away (421)."""

    def __init__(self, refuse: int = 1):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.refuse = refuse
        self.connections = 0
        self.received: list[bytes] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopped.is_set():
            try:
                conn, _addr = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                if self.connections <= self.refuse:
                    conn.sendall(b"421 too busy, try later\r\n")
                    continue
                self.converse(conn)
        self.sock.close()

    def converse(self, conn):
        conn.settimeout(10)
        stream = conn.makefile("rb")
        conn.sendall(b"220 flaky ESMTP\r\n")
        while line := stream.readline():
            command = line.strip().upper()
            if command == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                data = b""
                while (chunk := stream.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.received.append(data)
                conn.sendall(b"250 queued\r\n")
            elif command == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                break
            else:
                conn.sendall(b"250 ok\r\n")

    def close(self):
        self.stopped.set()
        self.thread.join(timeout=5)


@pytest.fixture(params=["sqlite", "redis"])
def queue(request, databases, tmp_path):
    """An app whose jobs go to a real queue (no consumer yet), the settings a consumer process needs,
    and a mail server that refuses the first connection."""
    if request.param == "redis" and not REDIS_URL:
        pytest.skip("NETWORK_TEST_REDIS_URL is not set, so the Redis storage is not tested here (CI sets it)")
    smtp = FlakySMTP(refuse=1)
    settings = {
        "SQLALCHEMY_DATABASE_URI": databases.fresh(), "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret", "RATELIMIT_STORAGE_URI": "memory://", "JOBS_QUEUE": f"test-{uuid.uuid4().hex}",
        "JOBS_RETRY_DELAY": 1, "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port,
        "IMPORT_MAX_ROWS": 200_000, "IMPORT_HEARTBEAT_TIMEOUT": 6,
    }  # fmt: skip
    if request.param == "redis":
        settings["REDIS_URL"] = REDIS_URL
    app = create_app({**settings, "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        yield app, settings, smtp
        smtp.close()
        if request.param == "redis":
            app.extensions["huey"].flush()
        db.session.remove()
        db.engine.dispose()


class Consumer:
    """`flask --app network worker` in its own process, configured like the test's app."""

    def __init__(self, settings: dict, log: Path):
        env = {**os.environ, **{f"NETWORK_{k}": str(v) for k, v in settings.items()}}
        env["NETWORK_DATABASE_URL"] = env.pop("NETWORK_SQLALCHEMY_DATABASE_URI")
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "network", "worker", "--workers", "2"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def wait_until(check, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.rollback()  # a new transaction, to see what the consumer committed
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting until {what}")


def job_status(job_id: int) -> str:
    return db.session.scalar(select(ImportJob.status).where(ImportJob.id == job_id))


def test_a_real_consumer_runs_retries_and_survives_a_restart(queue, tmp_path):
    app, settings, smtp = queue
    huey = app.extensions["huey"]
    node = f.network("CAN Kenya", slug="can-kenya")
    coordinator = f.user("coordinator", email="coord@example.org", networks=[node])
    # The mails counted below are the ones this test queues: the import's notices stay in the app.
    preferences.set_choices(
        coordinator, dict.fromkeys(("import_previewed", "import_committed", "import_failed"), "app")
    )
    db.session.commit()
    client = app.test_client()
    login(client, coordinator)

    # Queued while no consumer runs: a preview and a mail wait in the queue's storage.
    data = {"file": (io.BytesIO(b"name,country\nGreen Earth Kenya,KE\nLake Victoria Watch,KE\n"), "orgs.csv"),
            "node": str(node.id)}  # fmt: skip
    assert client.post("/imports", data=data, content_type="multipart/form-data").status_code == 302
    job_id = db.session.scalar(select(ImportJob.id))
    with app.test_request_context():
        accounts.request_password_reset("coord@example.org", link_to=lambda token: token)
    db.session.commit()
    assert huey.pending_count() == 2
    time.sleep(0.5)
    assert job_status(job_id) == "uploaded" and smtp.connections == 0

    consumer = Consumer(settings, tmp_path / "consumer.log")
    try:
        wait_until(lambda: job_status(job_id) == "previewed", "the preview ran")
        # The mail server refused the first try; the queue tried again a second later.
        wait_until(lambda: len(smtp.received) == 1, "the mail was retried and delivered")
        assert smtp.connections == 2 and b"Reset your password" in smtp.received[0]
        assert client.post(f"/imports/{job_id}/commit").status_code == 302
        wait_until(lambda: job_status(job_id) == "committed", "the import was committed")
        names = db.session.scalars(select(Organization.name).order_by(Organization.name)).all()
        assert names == ["Green Earth Kenya", "Lake Victoria Watch"]

        consumer.stop()  # a restart: what is queued meanwhile waits for the next consumer
        send_mail("someone@example.org", "While stopped", "Body\n")
        db.session.commit()
        time.sleep(0.5)
        assert len(smtp.received) == 1 and huey.pending_count() == 1
        consumer = Consumer(settings, tmp_path / "consumer.log")
        wait_until(lambda: len(smtp.received) == 2, "the mail queued during the restart was sent")
        assert b"While stopped" in smtp.received[1]

        # A consumer killed in the middle of a job: its heartbeat stops, and the job shows as
        # interrupted once IMPORT_HEARTBEAT_TIMEOUT has passed, instead of running for ever.
        rows = "".join(f"Organisation {n},KE\n" for n in range(100_000))
        # Encoded in memory: for a body over 500 kB the test client spools to a file it never closes.
        upload = FileStorage(io.BytesIO(("name,country\n" + rows).encode()), filename="big.csv")
        boundary, body = encode_multipart({"file": upload, "node": str(node.id)})
        response = client.post("/imports", data=body, content_type=f"multipart/form-data; boundary={boundary}")
        big_id = int(response.headers["Location"].rsplit("/", 1)[1])
        wait_until(lambda: client.get(f"/imports/{big_id}/progress").get_json()["started"], "the big preview began")
        consumer.process.kill()
        assert client.get(f"/imports/{big_id}/progress").get_json()["status"] == "uploaded"
        wait_until(lambda: client.get(f"/imports/{big_id}/progress").get_json()["status"] == "failed",
                   "the dead consumer's job was marked failed", seconds=30)  # fmt: skip
        assert "interrupted before it finished" in client.get(f"/imports/{big_id}").text
    finally:
        consumer.stop()
        print((tmp_path / "consumer.log").read_text(errors="replace")[-5000:])  # shown when the test fails
