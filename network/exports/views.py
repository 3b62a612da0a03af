"""A large export's own page (/exports/<id>): prepared on the job queue, then downloaded by the user
who asked for it. The export itself starts at /imports/export (network/imports/views.py)."""

from flask import Blueprint, Response, jsonify, render_template
from flask_login import current_user, login_required

from network.services import exporting

bp = Blueprint("exports", __name__)


@bp.get("/exports/<int:job_id>")
@login_required
def show(job_id: int):
    job = exporting.get_export(current_user, job_id)
    return render_template("exports/show.html", job=job, progress=exporting.export_progress(job),
                           expired=exporting.is_expired(job), args=job.params)  # fmt: skip


@bp.get("/exports/<int:job_id>/progress")
@login_required
def progress(job_id: int):
    return jsonify(exporting.export_progress(exporting.get_export(current_user, job_id)))


@bp.get("/exports/<int:job_id>/download")
@login_required
def download(job_id: int):
    path, job = exporting.export_path(current_user, job_id)
    headers = {"Content-Disposition": f'attachment; filename="organisations-{job.id}.{job.format}"',
               "Content-Length": str(path.stat().st_size)}  # fmt: skip
    return Response(exporting.file_chunks(path), mimetype=exporting.MIMETYPES[job.format], headers=headers)
