"""Export of organisations in the import columns, as CSV or Excel, so a re-import changes nothing.

Text that a spreadsheet would run as a formula (starting with = + - @, tab or CR) is written with
a leading apostrophe (spreadsheet.escape_formula); the importer drops that apostrophe again.

The directory's one export: up to EXPORT_INLINE_ROWS organisations are answered in the request; a
larger export is an ExportJob that the job queue prepares into instance/exports/ (as the user who
asked), kept EXPORT_KEEP_HOURS for its owner to download.
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.datastructures import MultiDict

from network import database, permissions, tasks
from network.errors import Conflict, NotFound, PermissionDenied, ServiceError
from network.extensions import db
from network.models import ExportJob, Organization, User
from network.models.base import utcnow
from network.services.spreadsheet import COLUMNS, escape_formula, plain_records

BATCH = 1000
FORMATS = ("csv", "xlsx")


def export_row(record: dict) -> dict[str, str]:
    """One organisation as a row of the import columns."""
    memberships = sorted(record["memberships"].values(), key=lambda m: m[2])
    values = {
        "name": record["name"], "name_local": record["name_local"], "acronym": record["acronym"],
        "kind": record["kind"], "country": record["hq_country"],
        "countries_of_operation": ";".join(record["countries"]), "themes": ";".join(record["themes"]),
        "website": record["website"], "email": record["email"], "phone": record["phone"],
        "description": record["description"], "founded": record["founded"],
        "network": ";".join(m[2] for m in memberships),
        "membership_status": ";".join(m[0] for m in memberships),
        "joined_on": ";".join(m[1] or "" for m in memberships) if any(m[1] for m in memberships) else "",
        "identifier": ";".join(record["identifiers"]),
    }  # fmt: skip
    return {key: escape_formula(value) for key, value in values.items()}


def organization_ids(actor, params=None) -> list[int]:
    """The organisations of the whole directory or of a search (request args or a dict), by name."""
    permissions.require(actor, "directory.export")
    query = select(Organization.id).where(Organization.archived_at.is_(None), Organization.merged_into_id.is_(None))
    chosen = _chosen_ids(params)
    if chosen is not None:  # the rows ticked in the directory (id=…): those, in name order
        return [i for i in db.session.scalars(query.order_by(Organization.name, Organization.id)) if i in chosen]
    if params:
        from network.services.search import organization_id_set, parse_search_params

        search = params if hasattr(params, "filters_active") else parse_search_params(params)
        if search.q or search.filters_active:
            matched = organization_id_set(actor, search)
            return [i for i in db.session.scalars(query.order_by(Organization.name, Organization.id)) if i in matched]
    return list(db.session.scalars(query.order_by(Organization.name, Organization.id)))


def _chosen_ids(params) -> set[int] | None:
    """The id=… values of an export of chosen rows (None when it exports a search)."""
    if not params or not hasattr(params, "getlist") or "id" not in params:
        return None
    return {int(v) for v in params.getlist("id") if str(v).isdigit() and len(str(v)) <= 10}


def export_rows(actor, params: dict | None = None) -> Iterator[dict[str, str]]:
    return rows_of(organization_ids(actor, params))


def rows_of(ids: list[int], progress: Callable[[int, int], None] | None = None) -> Iterator[dict[str, str]]:
    """The rows of these organisations, read a batch at a time; progress(done, total) after each."""
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        records = plain_records(chunk)
        for org_id in chunk:
            yield export_row(records[org_id])
        if progress is not None:
            progress(start + len(chunk), len(ids))


def write_csv(rows: Iterable[dict], target) -> None:
    """CSV with a BOM, so Excel opens UTF-8 (Chinese names) correctly."""
    writer = csv.DictWriter(target, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)


def write_xlsx(rows: Iterable[dict], path_or_stream) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("organisations")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    workbook.save(path_or_stream)


def export_to_file(actor, path: Path, fmt: str, params: dict | None = None) -> int:
    """Write the export to path; returns the number of organisations written."""
    return write_file(export_rows(actor, params), path, fmt)


def write_file(rows: Iterable[dict], path: Path, fmt: str) -> int:
    count = 0

    def counted():
        nonlocal count
        for row in rows:
            count += 1
            yield row

    if fmt == "xlsx":
        write_xlsx(counted(), path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            write_csv(counted(), f)
    return count


def file_content(rows: Iterable[dict], fmt: str) -> bytes:
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(rows, buffer)
        return buffer.getvalue()
    text = io.StringIO()
    text.write("\ufeff")  # so Excel opens UTF-8 (Chinese names) correctly
    write_csv(rows, text)
    return text.getvalue().encode("utf-8")


# --- The directory's export: at once when small, on the job queue when large ------------------

ACTIVE_STATUSES = ("queued", "running")  # a consumer has yet to finish these
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip
NOT_SEARCH_ARGS = ("format", "page")


@dataclass
class Export:
    """What asking for an export gave: the file itself (small), or the job that prepares it."""

    format: str
    row_count: int
    content: bytes | None = None
    job_id: int | None = None

    @property
    def filename(self) -> str:
        return f"organisations.{self.format}"


def search_args(args) -> dict[str, list[str]]:
    """The search in a query string (a MultiDict), as the job keeps it in JSON."""
    return {
        key: values for key in args if key not in NOT_SEARCH_ARGS and (values := [v for v in args.getlist(key) if v])
    }


def as_query(params: dict[str, list[str]]) -> MultiDict:
    return MultiDict([(key, value) for key, values in params.items() for value in values])


def export_directory(actor, fmt: str, args, locale: str) -> Export:
    """The directory, or the search in args, in the import columns. Up to EXPORT_INLINE_ROWS
    organisations come back at once; more are left to a job (the request only finds which)."""
    if fmt not in FORMATS:
        raise NotFound(_("Unknown export format."))
    params = search_args(args)
    ids = organization_ids(actor, as_query(params))  # checks directory.export
    if len(ids) <= current_app.config["EXPORT_INLINE_ROWS"]:
        return Export(fmt, len(ids), content=file_content(rows_of(ids), fmt))
    return Export(fmt, len(ids), job_id=queue_export(actor, fmt, params, locale))


def queue_export(actor, fmt: str, params: dict[str, list[str]], locale: str) -> int:
    """A new ExportJob (or the same one still under way: a second click waits for the first), queued
    once written. The export buttons are links: a GET request writes the job in a short transaction
    of its own (on SQLite a transaction that began by reading cannot take the write lock later)."""
    permissions.require(actor, "directory.export")
    under_way = db.session.scalars(
        select(ExportJob).where(ExportJob.user_id == actor.id, ExportJob.status.in_(ACTIVE_STATUSES),
                                ExportJob.format == fmt).order_by(ExportJob.id.desc())
    ).all()  # fmt: skip
    for job in under_way:
        if job.params == params and mark_if_interrupted(job).status in ACTIVE_STATUSES:
            return job.id
    values = {"user_id": actor.id, "format": fmt, "params": params, "locale": locale[:10], "status": "queued",
              "created_at": utcnow()}  # fmt: skip
    job_id = _write(insert(ExportJob).values(**values), database.BUSY_TIMEOUT).inserted_primary_key[0]
    tasks.enqueue(export_job, job_id)
    return job_id


def _write(statement, wait: float):
    """In a unit of work that writes (a POST, a job's writing scope), with it; otherwise in a short
    transaction of its own that waits at most `wait` seconds for the lock."""
    if database.will_write():
        return db.session.execute(statement)
    with database.side_transaction(wait) as conn:
        return conn.execute(statement)


def get_export(actor, job_id: int) -> ExportJob:
    """An export, for the user who asked for it (and admins)."""
    job = db.session.get(ExportJob, job_id)
    if job is None:
        raise NotFound(_("No such export."))
    permissions.require(actor, "export.view", job)
    return mark_if_interrupted(job)


def is_expired(job: ExportJob, now: datetime | None = None) -> bool:
    """Whether a finished export's file is gone, or due to go at the next export."""
    if job.expired_at is not None:
        return True
    keep = timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])
    return job.status == "done" and job.finished_at is not None and (now or utcnow()) - job.finished_at > keep


def export_progress(job: ExportJob) -> dict:
    """How far a job got: from its heartbeat while a consumer runs it."""
    pulse = tasks.pulse(heartbeat_key(job.id)) if job.status in ACTIVE_STATUSES else None
    processed, total = (pulse.get("processed", 0), pulse.get("total", 0)) if pulse else (job.row_count or 0,) * 2
    percent = 100 if job.status == "done" else (round(processed * 100 / total) if total else 0)
    return {"status": job.status, "processed": processed, "total": total, "percent": min(percent, 100),
            "started": pulse is not None}  # fmt: skip


def export_path(actor, job_id: int) -> tuple[Path, ExportJob]:
    """The file of a finished export, for its owner (and admins)."""
    job = get_export(actor, job_id)
    if job.status != "done" or not job.file_name:
        raise NotFound(_("This export is not ready."))
    path = export_folder() / job.file_name
    if is_expired(job) or not path.is_file():
        raise NotFound(_("This export has expired; export again."))
    return path, job


def file_chunks(path: Path, size: int = 256 * 1024) -> Iterator[bytes]:
    """A file's bytes for a response, opened when the response is sent and closed at its end."""
    with path.open("rb") as file:
        while chunk := file.read(size):
            yield chunk


def export_folder() -> Path:
    folder = Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def heartbeat_key(job_id: int) -> str:
    return f"export-{job_id}"


def mark_if_interrupted(job: ExportJob) -> ExportJob:
    """A job whose consumer is gone failed (as an import's: tasks.Heartbeat, IMPORT_HEARTBEAT_TIMEOUT
    once it runs, IMPORT_TIMEOUT while it waits for a consumer)."""
    if job.status not in ACTIVE_STATUSES:
        return job
    if tasks.stalled(heartbeat_key(job.id), job.created_at):
        fail_export(job, _("The export was interrupted before it finished (its worker stopped). Export again."))
    return job


def fail_export(job: ExportJob, message: str, wait: float = 2) -> None:
    """Record why a job ended, unless a consumer still alive finished it meanwhile. When the write
    cannot be made now (the database is busy), the next look tries again."""
    values = {"status": "failed", "finished_at": utcnow(), "error": message}
    statement = update(ExportJob).where(ExportJob.id == job.id, ExportJob.status.in_(ACTIVE_STATUSES))
    try:
        failed = _write(statement.values(**values), wait).rowcount
    except OperationalError:
        current_app.logger.warning("export %s: could not record it failed now", job.id, exc_info=True)
        return
    if failed:
        for key, value in values.items():  # what the page shows, without a write of the session's own
            set_committed_value(job, key, value)


@tasks.job(retries=2)
def export_job(job_id: int) -> None:
    """The queued export: the file in instance/exports/, written as the user who asked for it."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status not in ACTIVE_STATUSES:  # finished or failed meanwhile: a repeat does nothing
        return
    locale = job.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    db.session.rollback()  # what follows starts its own transactions
    with force_locale(locale), tasks.Heartbeat(heartbeat_key(job_id)) as heartbeat:
        try:
            expire_old_exports()
            _export(job_id, heartbeat)
        except (Conflict, OperationalError):
            db.session.rollback()
            if not tasks.last_attempt():
                raise  # the queue tries it again later
            current_app.logger.exception("export %s failed", job_id)
            _record_failure(job_id, _("The export failed: the database was busy or unreachable. Export again."))
        except Exception as exc:
            db.session.rollback()
            if isinstance(exc, ServiceError):  # PermissionDenied: the user may no longer export
                message = exc.message
            else:
                current_app.logger.exception("export %s failed", job_id)
                message = _("The export failed: %(error)s", error=str(exc)[:300])
            _record_failure(job_id, message)


def _record_failure(job_id: int, message: str) -> None:
    job = db.session.get(ExportJob, job_id)
    db.session.rollback()
    if job is not None:
        fail_export(job, message, wait=database.BUSY_TIMEOUT)


def _export(job_id: int, heartbeat: tasks.Heartbeat) -> None:
    with database.writing():
        claimed = db.session.execute(
            update(ExportJob).where(ExportJob.id == job_id, ExportJob.status.in_(ACTIVE_STATUSES))
            .values(status="running")
        ).rowcount  # fmt: skip
        db.session.commit()
    if not claimed:
        return
    job = db.session.get(ExportJob, job_id)
    actor = db.session.get(User, job.user_id)
    if actor is None:
        raise PermissionDenied(_("You do not have permission to do this."))
    fmt, name = job.format, f"export-{job_id}.{job.format}"
    ids = organization_ids(actor, as_query(job.params))  # as the user who asked: checks directory.export again
    heartbeat.progress(0, len(ids))
    folder = export_folder()
    part = folder / f".{name}.{uuid.uuid4().hex}.part"
    try:
        count = write_file(rows_of(ids, heartbeat.progress), part, fmt)
        os.replace(part, folder / name)  # the file appears whole, or not at all
    finally:
        part.unlink(missing_ok=True)
    db.session.rollback()  # only reads so far: the row is written in a short transaction of its own
    with database.writing():
        db.session.execute(
            update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "running")
            .values(status="done", row_count=count, file_name=name, finished_at=utcnow(), error=None)
        )  # fmt: skip
        db.session.commit()


def expire_old_exports() -> int:
    """Delete the files of exports finished more than EXPORT_KEEP_HOURS ago (their records say so),
    and anything else in the folder that old (parts left by a job that died). Runs before each job."""
    cutoff = utcnow() - timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])
    old = db.session.execute(
        select(ExportJob.id, ExportJob.file_name)
        .where(ExportJob.status == "done", ExportJob.expired_at.is_(None), ExportJob.finished_at < cutoff)
    ).all()  # fmt: skip
    db.session.rollback()
    if old:
        with database.writing():
            db.session.execute(
                update(ExportJob).where(ExportJob.id.in_([i for i, _name in old])).values(expired_at=utcnow())
            )
            db.session.commit()
    folder = export_folder()
    for _id, name in old:
        if name:
            (folder / name).unlink(missing_ok=True)
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
            path.unlink(missing_ok=True)
    return len(old)
