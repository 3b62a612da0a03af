"""Import pages (upload, preview, commit with progress, log, undo), export, and duplicate review."""

import io
import uuid

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from network import paging, permissions
from network.errors import Conflict, NotFound, ValidationError
from network.imports.forms import MergeForm, UploadForm
from network.models import Network
from network.services import duplicates, exporting, history, import_template, importing, networks, spreadsheet

bp = Blueprint("imports", __name__)


def node_choices(nodes: list[Network]) -> list[tuple[str, str]]:
    choices = [(str(n.id), ("— " * n.depth) + n.name) for n in nodes]
    if permissions.can(current_user, "organization.without_node"):
        choices.insert(0, ("", _("No node (only the network column)")))
    return choices


@bp.route("/imports", methods=["GET", "POST"])
@login_required
def index():
    # A page of the log from the cursor ?before=<job id>; one job more tells there is an older page.
    raw = request.args.get("before", "")
    before = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None
    jobs = importing.import_log(
        current_user, limit=paging.PER_PAGE + 1, before=before
    )  # 403 for those who do not import
    older = str(jobs[paging.PER_PAGE - 1].id) if len(jobs) > paging.PER_PAGE else None
    page = paging.Page(items=jobs[: paging.PER_PAGE], older=older, first=before is None)
    nodes = networks.nodes_for(current_user, "organization.import")
    status = 200
    try:
        form = UploadForm()  # reads the request body: a body over the limit fails here
        form.node.choices = node_choices(nodes)
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = UploadForm(formdata=None)
        form.node.choices = node_choices(nodes)
        submitted = False
        megabytes = "{:g}".format(current_app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024))
        form.file.errors = [_("The file is larger than the limit of %(limit)s MB.", limit=megabytes)]
        status = 413
    if submitted:
        upload = form.file.data
        if not upload or not upload.filename:
            form.file.errors = [_("Choose a file to upload.")]
        else:
            filename = secure_filename(upload.filename) or "upload.csv"
            path = importing.import_folder() / f"{uuid.uuid4().hex}-{filename}"
            upload.save(path)
            node = next((n for n in nodes if str(n.id) == form.node.data), None)
            try:
                job = importing.upload_file(current_user, path, upload.filename, node, str(get_locale()))
            except ValidationError as error:
                path.unlink(missing_ok=True)
                form.file.errors = [m for msgs in error.errors.values() for m in msgs]
            else:
                return redirect(url_for("imports.show", job_id=job.id))
        status = 422
    elif request.method == "POST" and status == 200:
        status = 422
    return render_template("imports/index.html", form=form, page=page, jobs=page.items, columns=spreadsheet.HEADER_ALIASES,
                           status_labels=history.IMPORT_STATUS_LABELS), status  # fmt: skip


@bp.get("/imports/<int:job_id>")
@login_required
def show(job_id: int):
    job = importing.get_job(current_user, job_id)
    return render_template("imports/show.html", job=job, progress=importing.job_progress(job),
                           details=job.details or {}, status_labels=history.IMPORT_STATUS_LABELS)  # fmt: skip


@bp.get("/imports/<int:job_id>/progress")
@login_required
def progress(job_id: int):
    job = importing.get_job(current_user, job_id)
    return jsonify(importing.job_progress(job))


@bp.post("/imports/<int:job_id>/commit")
@login_required
def commit(job_id: int):
    job = importing.get_job(current_user, job_id)
    decisions = {key.removeprefix("decision-"): value for key, value in request.form.items()
                 if key.startswith("decision-")}  # fmt: skip
    try:
        started = importing.start_commit(current_user, job, decisions, str(get_locale()))
    except ValidationError as error:
        flash(error.message, "error")
        return redirect(url_for("imports.show", job_id=job.id))
    except Conflict:  # SQLite: another request moved the job on since this one read it
        started = False
        job = importing.get_job(current_user, job_id)
    if not started:  # a double click or a second tab: the first request is the one that imports
        if job.status == "committed":
            flash(_("This import was already committed."), "info")
        else:
            flash(_("This import is already being committed; its progress is below."), "info")
    return redirect(url_for("imports.show", job_id=job.id))


@bp.post("/imports/<int:job_id>/undo")
@login_required
def undo(job_id: int):
    job = importing.get_job(current_user, job_id)
    try:
        importing.undo_import(current_user, job)
    except ValidationError as error:
        flash(error.message, "error")
        return redirect(url_for("imports.show", job_id=job.id))
    flash(_("The import was undone: what it created is archived and what it changed is put back."), "success")
    return redirect(url_for("imports.show", job_id=job.id))


@bp.get("/imports/export")
@login_required
def export():
    """The directory, or the search in the query string, in the import columns (CSV or XLSX): a
    small one at once, a large one prepared on the job queue (its page says when it is ready)."""
    result = exporting.export_directory(current_user, request.args.get("format", "csv"), request.args,
                                        str(get_locale()))  # fmt: skip
    if result.job_id is not None:
        return redirect(url_for("exports.show", job_id=result.job_id))
    return Response(result.content, mimetype=exporting.MIMETYPES[result.format],
                    headers={"Content-Disposition": f'attachment; filename="{result.filename}"'})  # fmt: skip


@bp.get("/imports/template.<fmt>")
@login_required
def template(fmt: str):
    """A spreadsheet to fill in: the columns in the reader's language and an example row; the .xlsx
    also lists the allowed kinds, statuses, themes, countries and nodes."""
    if fmt not in exporting.FORMATS:
        raise NotFound(_("Unknown template format."))
    locale = str(get_locale())
    if fmt == "xlsx":
        buffer = io.BytesIO()
        import_template.write_xlsx(current_user, buffer, locale)
        return Response(buffer.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="import-template.xlsx"'})  # fmt: skip
    text = io.StringIO()
    text.write("\ufeff")  # so Excel opens the Chinese header as UTF-8
    import_template.write_csv(current_user, text, locale)
    return Response(text.getvalue().encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="import-template.csv"'})  # fmt: skip


# Duplicates --------------------------------------------------------------------------------------


@bp.get("/duplicates")
@login_required
def duplicate_queue():
    pairs, seconds = duplicates.duplicate_pairs(current_user)
    return render_template("duplicates/index.html", pairs=pairs, seconds=seconds)


@bp.post("/duplicates/distinct")
@login_required
def mark_distinct():
    """ "Not a duplicate": the pair leaves the queue (CSRF-checked like every form)."""
    first = duplicates.find_organization(request.form.get("survivor"))
    second = duplicates.find_organization(request.form.get("duplicate"))
    duplicates.mark_not_duplicate(current_user, first, second)
    flash(_("%(a)s and %(b)s are marked as different organisations.", a=first.name, b=second.name), "success")
    return redirect(url_for("imports.duplicate_queue"))


@bp.route("/duplicates/merge", methods=["GET", "POST"])
@login_required
def merge():
    survivor = duplicates.find_organization(request.values.get("survivor"))
    duplicate = duplicates.find_organization(request.values.get("duplicate"))
    score, reasons = duplicates.merge_preview(current_user, survivor, duplicate)
    form = MergeForm()
    if form.validate_on_submit():
        choices = {name: request.form.get(f"choice-{name}", "survivor") for name in duplicates.MERGE_FIELDS}
        try:
            duplicates.merge_organizations(
                current_user, survivor, duplicate, choices=choices,
                survivor_version=int(form.survivor_version.data or -1),
                duplicate_version=int(form.duplicate_version.data or -1),
            )  # fmt: skip
        except ValidationError as error:
            flash(error.message, "error")
        else:
            flash(_("%(duplicate)s was merged into %(survivor)s.", duplicate=duplicate.name, survivor=survivor.name),
                  "success")  # fmt: skip
            return redirect(url_for("imports.duplicate_queue"))
    form.survivor_version.data = survivor.version
    form.duplicate_version.data = duplicate.version
    return render_template("duplicates/merge.html", form=form, survivor=survivor, duplicate=duplicate,
                           fields=duplicates.MERGE_FIELDS, field_labels=history.FIELD_LABELS, score=score, reasons=reasons)  # fmt: skip
