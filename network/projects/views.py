"""Project pages. Read routes first; edit routes follow below them."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import permissions
from network.editing import actor, create_view, edit_view
from network.projects import forms
from network.services import archiving, history, profiles, projects, search

bp = Blueprint("projects", __name__)


@bp.get("/projects")
def index():
    params = search.parse_record_params(request.args)
    result = search.search_projects(current_user, params, partners=False)  # the list shows leads only
    template = "projects/_results.html" if request.headers.get("HX-Request") else "projects/index.html"
    return render_template(template, result=result, params=params)


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
    return create_view(
        forms.OutcomeForm(data={"basis": "estimated"}), lambda data: projects.create_outcome(actor(), project, data),
        message=_("The outcome report was added."), next_url=url_for("projects.detail", id=project.id) + "#outcomes",
        render=lambda form: render_template("projects/outcome_form.html", form=form, project=project, report=None),
    )  # fmt: skip


@bp.route("/outcomes/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit_outcome(id: int):
    report = projects.find_outcome(id)
    project = report.project
    permissions.require(current_user, "outcome.manage", project)
    return edit_view(
        report, forms.OutcomeForm, forms.outcome_form_data,
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
