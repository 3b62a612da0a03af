"""Imports as jobs: the web flow (the upload is checked, then its preview and its commit run on the
task queue, which beats while it works), the log of imports, and the CLI's record of one."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from network import database, permissions, tasks
from network.errors import Conflict, NotFound, PermissionDenied, ValidationError
from network.extensions import db
from network.models import ImportJob, Network, utcnow
from network.services import operation
from network.services.importing.matching import ImportResult
from network.services.importing.reading import quick_count, too_many_rows
from network.services.importing.run import ImportOptions, run_import, write_import

# A consumer has yet to finish these: "uploaded" waits for its preview, "running" for its commit.
ACTIVE_STATUSES = ("uploaded", "running")


def heartbeat_key(job_id: int) -> str:
    return f"import-{job_id}"


def mark_if_interrupted(job: ImportJob) -> ImportJob:
    """A job whose consumer is gone failed: say so instead of showing it running forever. A running
    job beats (tasks.Heartbeat); one not started yet waits for a consumer, but not past IMPORT_TIMEOUT."""
    if job.status not in ACTIVE_STATUSES:
        return job
    if tasks.stalled(heartbeat_key(job.id), job.updated_at):
        fail_job(job, job.status, _("The import was interrupted before it finished (its worker stopped); nothing "
                                    "was saved. Upload the file again."))  # fmt: skip
    return job


def fail_job(job: ImportJob, status: str, message: str, wait: float = 2) -> None:
    """Record why a job ended, unless it left `status` meanwhile (finished by a consumer still alive),
    and remove its upload. Written in a short transaction of its own, so a page that finds a dead job
    neither waits long for a lock nor fails: when the write cannot be made now, the next look tries."""
    table = ImportJob.__table__
    now = utcnow()
    values = {"status": "failed", "finished_at": now, "updated_at": now,
              "details": {**(job.details or {}), "message": message}}  # fmt: skip
    statement = update(table).where(table.c.id == job.id, table.c.status == status).values(**values)
    try:
        if database.will_write():  # a unit of work that writes anyway (a POST): the update goes with it
            failed = db.session.execute(statement).rowcount
        else:
            with database.side_transaction(wait) as conn:
                failed = conn.execute(statement).rowcount
    except OperationalError:
        current_app.logger.warning("import %s: could not record it failed now", job.id, exc_info=True)
        return
    if failed:
        for key, value in values.items():  # what the page shows, without a write of the session's own
            set_committed_value(job, key, value)
        if values["details"].get("path"):
            Path(values["details"]["path"]).unlink(missing_ok=True)


def job_progress(job: ImportJob) -> dict:
    """Progress of a job: from its heartbeat while a consumer runs it, else from its row."""
    processed, total = job.processed_rows, job.total_rows
    pulse = tasks.pulse(heartbeat_key(job.id)) if job.status in ACTIVE_STATUSES else None
    if pulse:
        processed, total = pulse.get("processed", processed), pulse.get("total", total)
    percent = 100 if job.status in ("committed", "undone") else (round(processed * 100 / total) if total else 0)
    return {"status": job.status, "processed": processed, "total": total, "percent": min(percent, 100),
            "started": pulse is not None, "counts": job.counts or {},
            "message": (job.details or {}).get("message")}  # fmt: skip


def import_folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@operation
def upload_file(actor, path: Path, filename: str, node: Network | None, locale: str) -> ImportJob:
    """Check what is quick to check of an upload now, and queue its preview: the rows are read by a
    job, so a large file never holds up a web worker."""
    permissions.require(actor, "organization.import", node)
    count = quick_count(path, filename)
    limit = current_app.config["IMPORT_MAX_ROWS"]
    if count > limit:  # the job counts again while it reads
        raise too_many_rows(limit)
    job = ImportJob(user_id=actor.id, filename=filename[:255], status="uploaded", total_rows=count,
                    processed_rows=0, counts={})  # fmt: skip
    job.details = {"path": str(path), "node_id": node.id if node else None, "kind": Path(filename).suffix.lower(),
                   "locale": locale}  # fmt: skip
    db.session.add(job)
    db.session.flush()
    tasks.enqueue(preview_job, job.id)
    return job


def get_job(actor, job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(_("No such import."))
    if not permissions.can(actor, "import.view", job):
        raise PermissionDenied(_("This is someone else's import."))
    return mark_if_interrupted(job)


def import_log(actor, limit: int = 50, before: int | None = None) -> list[ImportJob]:
    """The imports the actor may see (admins: everyone's), newest first, older than job ``before``
    when given: a page reads the primary key (or the (user_id, id) index) from there and stops."""
    if not permissions.can(actor, "organization.import", None):
        raise PermissionDenied(_("Only coordinators import."))
    query = select(ImportJob).options(selectinload(ImportJob.user)).order_by(ImportJob.id.desc()).limit(limit)
    if not permissions.can(actor, "import.view_all"):
        query = query.where(ImportJob.user_id == actor.id)
    if before is not None:
        query = query.where(ImportJob.id < before)
    return [mark_if_interrupted(job) for job in db.session.scalars(query)]


@operation
def start_commit(actor, job: ImportJob, decisions: dict[str, str], locale: str) -> bool:
    """Queue the commit of a clean preview with the coordinator's choices for possible duplicates.

    Exactly one of several requests to commit one preview (a double click, two tabs) wins: the job
    moves from previewed to running in one conditional UPDATE. The others get False."""
    if not permissions.can(actor, "import.commit", job):
        raise PermissionDenied(_("This is someone else's import."))
    if job.status in ("running", "committed"):
        return False
    if job.status == "uploaded":
        raise ValidationError({"": [_("The file is still being checked; wait for the preview.")]})
    if job.status != "previewed":
        raise ValidationError({"": [_("This import can no longer be committed; upload the file again.")]})
    if (job.counts or {}).get("invalid"):
        raise ValidationError({"": [_("Fix the invalid rows and upload the file again; nothing was imported.")]})
    bad = [d for d in decisions.values() if d not in ("create", "update", "skip")]
    if bad:
        raise ValidationError({"": [_("Choose create, update or skip for each possible duplicate.")]})
    table = ImportJob.__table__
    details = {**job.details, "decisions": decisions, "locale": locale}
    won = db.session.execute(
        update(table).where(table.c.id == job.id, table.c.status == "previewed")
        .values(status="running", details=details, updated_at=utcnow())
    ).rowcount  # fmt: skip
    if won:
        tasks.enqueue(commit_job, job.id)
    return bool(won)


@tasks.job(retries=2)
def preview_job(job_id: int) -> None:
    """The queued check of an uploaded file: the preview is recorded in the job, or why it failed."""
    _run_job(job_id, "uploaded")


@tasks.job(retries=2)
def commit_job(job_id: int) -> None:
    """The queued import of a previewed file: everything or nothing."""
    _run_job(job_id, "running")


def _run_job(job_id: int, status: str) -> None:
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != status:  # finished, failed or removed meanwhile: a repeat does nothing
        return
    locale = (job.details or {}).get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]
    db.session.rollback()  # what follows starts its own transactions
    with force_locale(locale), tasks.Heartbeat(heartbeat_key(job_id)) as heartbeat:
        try:
            (_commit if status == "running" else _preview)(job_id, heartbeat)
        except (Conflict, OperationalError):
            db.session.rollback()
            if not tasks.last_attempt():
                raise  # the queue tries it again later
            current_app.logger.exception("import %s failed", job_id)
            _record_failure(job_id, status, _("The import failed and nothing was saved: the database was busy or "
                                              "unreachable. Upload the file again."))  # fmt: skip
        except Exception as exc:
            db.session.rollback()
            if isinstance(exc, ValidationError | PermissionDenied):
                message = exc.message
            else:
                current_app.logger.exception("import %s failed", job_id)
                message = _("The import failed and nothing was saved: %(error)s", error=str(exc)[:300])
            _record_failure(job_id, status, message)


def _record_failure(job_id: int, status: str, message: str) -> None:
    job = db.session.get(ImportJob, job_id)
    if job is not None:
        fail_job(job, status, message, wait=database.BUSY_TIMEOUT)
        if job.status == "failed":
            _tell_user(job, "import_failed")
    db.session.rollback()


def _tell_user(job: ImportJob, kind: str) -> None:
    """A notice to whoever started the import (committed with the job's row or on its own)."""
    from network.models import User
    from network.services.notifications import notify

    user_id, params, link = job.user_id, {"file": job.filename}, f"/imports/{job.id}"
    if database.will_write():  # inside the job's own write transaction: it commits the notice
        user = db.session.get(User, user_id) if user_id else None
        if user is not None and user.active:
            notify([user], kind, params, link)
        return
    db.session.rollback()  # a write transaction of its own, begun as one (SQLite's lock first)
    with database.writing():
        user = db.session.get(User, user_id) if user_id else None
        if user is not None and user.active:
            notify([user], kind, params, link)
            db.session.commit()


def _job_context(job: ImportJob):
    from network.models import User

    details = dict(job.details or {})
    if not details.get("path") or not Path(details["path"]).exists():
        raise ValidationError({"": [_("The uploaded file of this import is gone; upload it again.")]})
    actor = db.session.get(User, job.user_id) if job.user_id else None
    node = db.session.get(Network, details["node_id"]) if details.get("node_id") else None
    return actor, node, details


def _preview(job_id: int, heartbeat: tasks.Heartbeat) -> None:
    job = db.session.get(ImportJob, job_id)
    actor, node, details = _job_context(job)
    options = ImportOptions(node=node, progress=heartbeat.progress, max_rows=current_app.config["IMPORT_MAX_ROWS"])
    result = run_import(actor, Path(details["path"]), job.filename, options)
    db.session.rollback()  # only reads so far: the row is written in a short transaction of its own
    details |= {
        "errors": result.errors, "error_count": result.error_count, "warnings": result.warnings,
        "duplicates": result.duplicates, "ignored_columns": result.ignored_columns, "encoding": result.encoding,
    }  # fmt: skip
    table = ImportJob.__table__
    with database.writing():
        previewed = db.session.execute(
            update(table).where(table.c.id == job_id, table.c.status == "uploaded")
            .values(status="previewed", total_rows=result.total, processed_rows=0, counts=result.summary(),
                    details=details, updated_at=utcnow())
        ).rowcount  # fmt: skip
        if previewed:
            _tell_user(job, "import_previewed")
        db.session.commit()


@database.writing()
def _commit(job_id: int, heartbeat: tasks.Heartbeat) -> None:
    table = ImportJob.__table__
    # The first statement of the import's transaction: it keeps the job's row locked to the end, so
    # a second delivery of this job waits, then finds it no longer running.
    claimed = db.session.execute(
        update(table).where(table.c.id == job_id, table.c.status == "running").values(updated_at=utcnow())
    ).rowcount
    if not claimed:
        db.session.rollback()
        return
    job = db.session.get(ImportJob, job_id)
    actor, node, details = _job_context(job)
    options = ImportOptions(node=node, write=True, decisions=details.get("decisions") or {},
                            progress=heartbeat.progress)  # fmt: skip
    result = write_import(actor, Path(details["path"]), job.filename, options)
    job.status, job.finished_at = "committed", utcnow()
    job.processed_rows, job.total_rows, job.counts = result.total, result.total, result.summary()
    job.details = {**details, "created": result.created, "updated": result.updated,
                   "memberships": result.memberships}  # fmt: skip
    _tell_user(job, "import_committed")
    db.session.commit()


def record_job(actor, filename: str, result: ImportResult, node: Network | None, path: Path) -> ImportJob:
    """The log entry of an import done in one go (the CLI)."""
    job = ImportJob(user_id=getattr(actor, "id", None), filename=filename[:255], status="committed",
                    total_rows=result.total, processed_rows=result.total, counts=result.summary(),
                    finished_at=utcnow())  # fmt: skip
    job.details = {"path": str(path), "node_id": node.id if node else None, "created": result.created,
                   "updated": result.updated, "memberships": result.memberships, "errors": result.errors[:200],
                   "error_count": result.error_count}  # fmt: skip
    db.session.add(job)
    db.session.flush()
    return job
