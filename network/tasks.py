"""Background jobs on a Huey queue: import previews and commits, and mail, never run in a web worker.

Where the queue lives comes from the config: Redis when REDIS_URL is set (consumers may run on any
number of hosts), otherwise a SQLite file in the instance folder (no server; consumers on this
host). ``flask --app network worker`` runs a consumer; ``scripts/run`` starts one beside the dev
server. Tests set JOBS_IMMEDIATE: a job then runs at once, in this process, when it is queued.

A service queues a job with ``enqueue(func, *args)``. Inside a transaction the job reaches the
queue only once that transaction commits, so it never acts on data that was rolled back (a mail
about a change that failed is never sent). Each job runs in its own app context and session.
"""

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import Flask, current_app, g
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab, signals
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from network.extensions import db

JOBS: dict[str, tuple[Callable, int]] = {}  # name -> (function, retries)
HEARTBEAT_SECONDS = 5.0  # how often a running job says it is alive (see Heartbeat)


def job(retries: int = 0):
    """Make a function something the queue runs; after an exception it is tried again `retries` times,
    JOBS_RETRY_DELAY seconds apart."""

    def decorator(func):
        JOBS[func.__name__] = (func, retries)
        return func

    return decorator


# name -> (function, huey crontab keywords): run on the consumer on a schedule, in an app context.
PERIODIC: dict[str, tuple[Callable, dict]] = {}


def periodic(**schedule):
    """Run a function on a schedule (``minute="*/15"``) on the consumer; it commits its own work."""

    def decorator(func):
        PERIODIC[func.__name__] = (func, schedule)
        return func

    return decorator


def init_app(app: Flask) -> None:
    from network.services import exporting, mail  # noqa: F401  (their @job functions register)
    from network.services.importing import jobs  # noqa: F401
    from network.services.mailings import sending  # its @job functions register; its periodic one below

    huey = make_huey(app)
    tasks = {}
    for name, (func, retries) in JOBS.items():
        tasks[func] = huey.task(name=name, retries=retries, retry_delay=app.config["JOBS_RETRY_DELAY"],
                                context=True)(_in_app_context(app, func))  # fmt: skip
    from network.services.events import invitations

    periodic(minute="*/15")(invitations.reminders_job)  # reminders the day before an event
    periodic(minute="*/5")(sending.resume_stalled)  # a mailing whose worker died is sent on (#16)
    from network.services.notices import digest, memberships

    # Daily at DIGEST_HOUR (the consumer's local time): the digests, then memberships ending soon.
    periodic(hour=str(app.config["DIGEST_HOUR"]), minute="0")(digest.digest_job)
    periodic(hour=str(app.config["DIGEST_HOUR"]), minute="5")(memberships.endings_job)
    for name, (func, schedule) in PERIODIC.items():
        huey.periodic_task(crontab(**schedule), name=name)(_in_app_context(app, func))
    # A consumer stopped mid-job (SIGTERM, a restart): the job goes back on the queue for the next one.
    huey.signal(signals.SIGNAL_INTERRUPTED)(lambda _signal, task, *args, **kwargs: huey.enqueue(task))
    app.extensions["huey"] = huey
    app.extensions["huey_tasks"] = tasks
    app.cli.add_command(worker)


def make_huey(app: Flask):
    config = app.config
    name = config["JOBS_QUEUE"]
    if config.get("JOBS_IMMEDIATE"):
        return MemoryHuey(name, immediate=True, results=False)
    if config.get("REDIS_URL"):
        return RedisHuey(name, url=config["REDIS_URL"], results=False)
    path = config.get("JOBS_SQLITE_PATH") or str(Path(app.instance_path) / "jobs.sqlite3")
    return SqliteHuey(name, filename=path, results=False, timeout=15)


def _in_app_context(app: Flask, func: Callable) -> Callable:
    @functools.wraps(func)
    def run(*args, task=None):
        with app.app_context():
            g.job_retries_left = task.retries if task is not None else 0
            return func(*args)

    return run


def last_attempt() -> bool:
    """Inside a job: whether a failure now is final (the queue will not try it again)."""
    return not g.get("job_retries_left")


def enqueue(func: Callable, *args) -> None:
    """Queue a job: now outside a transaction, else once the current transaction commits."""
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        _put(func, args)
    else:
        session.info.setdefault("queued_jobs", []).append((transaction, func, args))


def _put(func: Callable, args: tuple) -> None:
    task = current_app.extensions["huey_tasks"][func]
    if task.huey.immediate:
        # Run at once, yet as a consumer would: in a thread of its own, outside the request that queued it.
        thread = threading.Thread(target=task, args=args, name=f"job-{func.__name__}")
        thread.start()
        thread.join()
        return
    try:
        task(*args)
    except Exception:  # the queue is unreachable: what was saved stays saved; the job is logged as lost
        current_app.logger.exception("Could not queue %s%r", func.__name__, args)


@event.listens_for(Session, "after_commit")
def _queue_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: the outer transaction may still roll back
        return
    for _transaction, func, args in session.info.pop("queued_jobs", []):
        _put(func, args)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    queued = session.info.get("queued_jobs")
    if queued:
        session.info["queued_jobs"] = [q for q in queued if not _within(q[0], previous)]


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # closed without a commit: nothing it queued may run
        session.info.pop("queued_jobs", None)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


# --- Liveness --------------------------------------------------------------------------------


class Heartbeat:
    """A running job's pulse, kept in the queue's storage under `key`: when it was last alive and how
    far it got. A thread beats every HEARTBEAT_SECONDS however long one step takes; when the consumer
    dies the beats stop, which every web process on every host can see. (Not in the job's row: on
    SQLite the job's own write transaction holds the only write lock until it ends.)"""

    def __init__(self, key: str):
        self.key = key
        self.huey = current_app.extensions["huey"]
        self.logger = current_app.logger
        self.state: dict = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, name=f"heartbeat-{key}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self.beat()
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.thread.join()
        self.huey.get(self.key)  # reading without peek removes it

    def progress(self, processed: int, total: int) -> None:
        self.state = {"processed": processed, "total": total}
        self.beat()

    def beat(self) -> None:
        try:
            self.huey.put(self.key, {**self.state, "at": time.time()})
        except Exception:  # a missed beat is not worth stopping the job for
            self.logger.warning("Job heartbeat %s not written", self.key, exc_info=True)

    def run(self) -> None:
        while not self.stop.wait(HEARTBEAT_SECONDS):
            self.beat()


def pulse(key: str) -> dict | None:
    """The last heartbeat of a running job ({"at": epoch seconds, "processed", "total"}), or None
    when it has not started (or the queue cannot be read)."""
    try:
        return current_app.extensions["huey"].get(key, peek=True)
    except Exception:
        current_app.logger.warning("Job heartbeat %s not readable", key, exc_info=True)
        return None


def stalled(key: str, waiting_since: datetime) -> bool:
    """Whether a job's consumer is gone: once it runs, its heartbeat is older than
    IMPORT_HEARTBEAT_TIMEOUT; before, it has waited longer than IMPORT_TIMEOUT for a consumer."""
    config = current_app.config
    beat = pulse(key)
    if beat is not None:
        return time.time() - beat["at"] > config["IMPORT_HEARTBEAT_TIMEOUT"]
    return datetime.now(UTC) - waiting_since > timedelta(seconds=config["IMPORT_TIMEOUT"])


# --- The consumer ----------------------------------------------------------------------------


@click.command("worker")
@click.option("--workers", type=int, default=None, help="Jobs run at once (default: JOBS_WORKERS).")
def worker(workers: int | None) -> None:
    """Run the job queue's consumer (imports, mail) until stopped (SIGINT waits for running jobs)."""
    huey = current_app.extensions["huey"]
    if huey.immediate:
        raise click.UsageError("JOBS_IMMEDIATE is set: jobs run where they are queued, there is nothing to consume.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    consumer = huey.create_consumer(workers=workers or current_app.config["JOBS_WORKERS"], worker_type="thread",
                                    periodic=True, max_delay=1.0)  # fmt: skip
    consumer.run()
