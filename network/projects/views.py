"""Project pages. Read routes first; edit routes follow below them."""

import io
from functools import partial

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import permissions
from network.editing import actor, create_view, edit_view, flash_errors
from network.errors import ValidationError
from network.fragments import record_filters
from network.projects import forms
from network.services import archiving, history, profiles, projects, search
from network.services import outcomes as outcome_queue

bp = Blueprint("projects", __name__)


@bp.get("/projects")
def index():
    params = search.parse_record_params(request.args)
    result = search.search_projects(current_user, params, partners=False)  # the list shows leads only
    template = "projects/_results.html" if request.headers.get("HX-Request") else "projects/index.html"
    return render_template(template, result=result, params=params, filters=record_filters(result, "projects.index"))


@bp.get("/projects/<int:id>")
def detail(id: int):
    page = profiles.project_page(current_user, id)
    return render_template(
        "projects/detail.html",
        page=page,
        project=page.project,
        initiative_pages="initiatives.detail" in current_app.view_functions,
    )


# Editing ------------------------------------------------------------------------------------
# Thin views: parse the form, call one service, flash and redirect, or show the messages.


@bp.route("/organizations/<slug>/projects/new", methods=["GET", "POST"])
@login_required
def create(slug: str):
    org = profiles.find_organization(slug)
    permissions.require(current_user, "project.create", org)
    return create_view(
        forms.ProjectForm(data={"status": "active"}), lambda data: projects.create_project(actor(), org, data),
        message=_("The project was created."), next_url=lambda saved: url_for("projects.detail", id=saved.id),
        on_show=forms.ProjectForm.add_blank_rows,
        render=lambda form: render_template(
            "projects/edit.html", form=form, project=None, org=org
        ),
    )  # fmt: skip


@bp.route("/projects/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit(id: int):
    project = projects.find_project(id)
    permissions.require(current_user, "project.update", project)
    return edit_view(
        project, forms.ProjectForm, forms.project_form_data,
        lambda data, version: projects.update_project(actor(), project, data, version),
        cancel_url=url_for("projects.detail", id=project.id), message=_("The project was saved."),
        on_show=forms.ProjectForm.add_blank_rows,
        render=lambda form: render_template(
            "projects/edit.html", form=form, project=project, org=project.lead_organization,
        ),
    )  # fmt: skip


@bp.post("/projects/<int:id>/archive")
@login_required
def archive(id: int):
    project = projects.find_project(id)
    archiving.archive(actor(), project, request.form.get("version") or None)
    flash(_("The project was archived. It can be restored."), "success")
    return redirect(url_for("projects.detail", id=project.id))


@bp.post("/projects/<int:id>/restore")
@login_required
def restore(id: int):
    project = projects.find_project(id)
    archiving.restore(actor(), project, request.form.get("version") or None)
    flash(_("The project was restored."), "success")
    return redirect(url_for("projects.detail", id=project.id))


@bp.get("/projects/<int:id>/history")
@login_required
def history_page(id: int):
    project = projects.find_project(id)
    page = history.project_history(actor(), project, before=request.args.get("before"))
    return render_template("projects/history.html", project=project, **history.history_context(page))


# Outcome reports


@bp.route("/projects/<int:id>/outcomes/new", methods=["GET", "POST"])
@login_required
def new_outcome(id: int):
    project = projects.find_project(id)
    permissions.require(current_user, "outcome.manage", project)
    may_verify = permissions.can(current_user, "outcome.verify", projects.claim_on(project))
    return create_view(
        forms.OutcomeForm(data={"basis": "estimated"}, may_verify=may_verify),
        lambda data: projects.create_outcome(actor(), project, data),
        message=_("The outcome report was added."), next_url=url_for("projects.detail", id=project.id) + "#outcomes",
        render=lambda form: render_template("projects/outcome_form.html", form=form, project=project, report=None),
    )  # fmt: skip


@bp.route("/outcomes/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit_outcome(id: int):
    report = projects.find_outcome(id)
    project = report.project
    permissions.require(current_user, "outcome.manage", project)
    may_verify = permissions.can(current_user, "outcome.verify", report)
    return edit_view(
        report, partial(forms.OutcomeForm, may_verify=may_verify), forms.outcome_form_data,
        lambda data, version: projects.update_outcome(actor(), report, data, version),
        cancel_url=url_for("projects.detail", id=project.id), message=_("The outcome report was saved."),
        next_url=url_for("projects.detail", id=project.id) + "#outcomes",
        render=lambda form: render_template("projects/outcome_form.html", form=form, project=project, report=report),
    )  # fmt: skip


@bp.post("/outcomes/<int:id>/archive")
@login_required
def archive_outcome(id: int):
    report = projects.find_outcome(id)
    archiving.archive(actor(), report, request.form.get("version") or None)
    flash(_("The outcome report was archived. It can be restored."), "success")
    return redirect(url_for("projects.outcomes", id=report.project_id))


@bp.post("/outcomes/<int:id>/restore")
@login_required
def restore_outcome(id: int):
    report = projects.find_outcome(id)
    archiving.restore(actor(), report, request.form.get("version") or None)
    flash(_("The outcome report was restored."), "success")
    return redirect(url_for("projects.outcomes", id=report.project_id))


@bp.get("/projects/<int:id>/outcomes")
@login_required
def outcomes(id: int):
    """Every outcome report of the project, archived ones too, with their edit buttons."""
    project = projects.find_project(id)
    reports = projects.outcomes_to_manage(actor(), project)
    return render_template("projects/edit_outcomes.html", project=project, reports=reports)


# Verification: evidence files, submitting, verifying or returning; confirming participants


@bp.get("/outcomes/to-verify")
@login_required
def to_verify():
    """The outcome reports awaiting the user's verification, the longest waiting first."""
    queue = outcome_queue.reports_to_verify(actor(), after=request.args.get("after"))
    return render_template("projects/to_verify.html", queue=queue, count_limit=outcome_queue.QUEUE_COUNT_LIMIT)


@bp.get("/outcomes/<int:id>")
def outcome(id: int):
    """One outcome report: its figures, where it stands with its verifier, its evidence files."""
    report = projects.visible_outcome(current_user, id)
    return render_template(
        "projects/outcome.html", report=report, project=report.project,
        evidence_visible=permissions.can(current_user, "outcome.view_evidence", report),
        can_manage=permissions.can(current_user, "outcome.manage", report.project),
        can_verify=permissions.can(current_user, "outcome.verify", report),
        evidence_form=forms.EvidenceForm(), review_form=forms.ReviewForm(),
    )  # fmt: skip


def _outcome_action(id: int, run, done: str):
    report = projects.find_outcome(id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        run(report)
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(done, "success")
    return redirect(url_for("projects.outcome", id=report.id))


@bp.post("/outcomes/<int:id>/evidence")
@login_required
def add_evidence(id: int):
    upload = request.files.get("file")

    def run(report):
        projects.add_evidence(actor(), report, upload.filename if upload else "", upload.stream if upload else None)

    return _outcome_action(id, run, _("The file was attached."))


@bp.post("/evidence/<int:id>/delete")
@login_required
def remove_evidence(id: int):
    evidence = projects.visible_evidence(actor(), id)
    report_id = evidence.report_id
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        projects.remove_evidence(actor(), evidence)
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("The file was removed."), "info")
    return redirect(url_for("projects.outcome", id=report_id))


@bp.get("/evidence/<int:id>")
@login_required
def evidence_file(id: int):
    """Always a download, never shown inline: an uploaded file is not trusted to be what it says."""
    evidence = projects.visible_evidence(actor(), id)
    data = io.BytesIO(projects.evidence_path(evidence).read_bytes())  # at most EVIDENCE_MAX_BYTES
    response = send_file(data, mimetype=evidence.content_type, as_attachment=True,
                         download_name=evidence.filename, max_age=0)  # fmt: skip
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/outcomes/<int:id>/submit")
@login_required
def submit_outcome(id: int):
    return _outcome_action(id, lambda r: projects.submit_outcome(actor(), r),
                           _("Submitted for verification; the verifiers were notified."))  # fmt: skip


@bp.post("/outcomes/<int:id>/verify")
@login_required
def verify_outcome(id: int):
    comment = request.form.get("comment")
    return _outcome_action(id, lambda r: projects.verify_outcome(actor(), r, comment),
                           _("The outcome report is verified."))  # fmt: skip


@bp.post("/outcomes/<int:id>/return")
@login_required
def return_outcome(id: int):
    comment = request.form.get("comment")
    return _outcome_action(id, lambda r: projects.return_outcome(actor(), r, comment),
                           _("The outcome report was returned to its organisation."))  # fmt: skip


@bp.post("/projects/<int:id>/participants/<int:participant_id>/confirm")
@login_required
def confirm_participant(id: int, participant_id: int):
    project = projects.find_project(id)
    participant = projects.find_project_participant(project, participant_id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    projects.confirm_project_participant(actor(), participant)
    flash(_("%(org)s's part in the project is confirmed.", org=participant.organization.name), "success")
    return redirect(url_for("projects.detail", id=project.id) + "#participants")
