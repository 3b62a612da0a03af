"""Initiative pages, their actions, JSON for the pictures, the report and CSV exports.

Views stay thin: parse the form, call one service, flash and redirect (or render).
"""

import csv
import io

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from network import permissions
from network.activity import views as activity_views
from network.activity.forms import ACTIVITY_KIND_LABELS, ActivityForm
from network.editing import actor, create_view, edit_view, flash_errors
from network.fragments import record_filters
from network.initiatives.forms import (
    AddToInitiativeForm,
    AnswerForm,
    ConfirmForm,
    InitiativeForm,
    InviteForm,
    LinkProjectForm,
    RoleForm,
    initiative_form_data,
)  # fmt: skip
from network.services import ValidationError, activities, archiving, outcomes, search, suggestions
from network.services import initiatives as service
from network.services.history import ACTION_LABELS
from network.services.spreadsheet import escape_formula

bp = Blueprint("initiatives", __name__)


def _back(initiative, anchor: str = ""):
    return redirect(url_for("initiatives.detail", slug=initiative.slug) + anchor)


# ------------------------------------------------------------------------------------------ pages


@bp.get("/initiatives")
def index():
    params = search.parse_record_params(request.args)
    result = search.search_initiatives(current_user, params)
    counts = service.participant_counts([i.id for i in result.items])
    filters = record_filters(result, "initiatives.index")
    if request.headers.get("HX-Request"):
        return render_template(
            "initiatives/_results.html", result=result, params=params, counts=counts, filters=filters
        )
    return render_template("initiatives/index.html", result=result, params=params, counts=counts, filters=filters,
                           totals=outcomes.network_totals())  # fmt: skip


@bp.route("/initiatives/new", methods=["GET", "POST"])
@login_required
def create():
    permissions.require(current_user, "initiative.create", None)
    return create_view(
        InitiativeForm(networks=service.networks_to_convene(current_user)),
        lambda data: service.create_initiative(actor(), data),
        message=_("Initiative created. Now invite organisations to it."),
        next_url=lambda saved: url_for("initiatives.detail", slug=saved.slug),
        render=lambda form: render_template("initiatives/form.html", form=form, initiative=None),
    )  # fmt: skip


@bp.route("/initiatives/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "initiative.update", initiative)
    return edit_view(
        initiative, InitiativeForm, initiative_form_data,
        lambda data, version: service.update_initiative(actor(), initiative, data, version),
        cancel_url=url_for("initiatives.detail", slug=initiative.slug), message=_("Initiative saved."),
        render=lambda form: render_template("initiatives/form.html", form=form, initiative=initiative),
    )  # fmt: skip


@bp.get("/initiatives/<slug>")
def detail(slug: str):
    initiative = service.find_initiative(slug, outcomes=True)
    permissions.require(current_user, "initiative.view", initiative)
    if initiative.is_archived and not permissions.can(current_user, "initiative.update", initiative):
        abort(404)
    manage = permissions.can(current_user, "initiative.manage_participants", initiative)
    own = service.own_participation(current_user, initiative)
    rollup = outcomes.roll_up(initiative, initiative.project_links)
    activity_list = activities.activities_for(current_user, initiative)
    finding = request.args.get("find", "").strip()[:100]
    linkable = service.linkable_projects(current_user, initiative)
    private = permissions.can(current_user, "initiative.view_private", initiative)
    participants = service.visible_participants(current_user, initiative)
    return render_template(
        "initiatives/detail.html",
        initiative=initiative,
        participants=participants,
        # Invitations a coordinator answers for: the organisation has no user account to answer with
        answer_for=service.answered_for(current_user, initiative, participants),
        answer_form=AnswerForm(),
        role_form=RoleForm(),
        manage=manage,
        own=own,
        rollup=rollup,
        shares=service.effective_shares(initiative),
        # The newest changes (a page; "Older" pages by cursor, as History tabs do)
        history=service.participant_history(initiative, request.args.get("before")) if private else None,
        history_actions=ACTION_LABELS,
        activities=activity_list,
        activity_authors=activities.authors(activity_list),
        can_view_activities=permissions.can(current_user, "activity.view", initiative),
        can_record_activity=permissions.can(current_user, "activity.record", initiative),
        can_edit=permissions.can(current_user, "initiative.update", initiative),
        can_export=permissions.can(current_user, "initiative.export", initiative),
        finding=finding,
        # The picker's matches for ?find= (its "Find" button without JavaScript comes back here).
        invite_form=InviteForm(formdata=MultiDict({"organization_q": finding, "organization_find": "1"}))
        if finding
        else InviteForm(formdata=None),
        link_form=LinkProjectForm(projects=linkable) if linkable else None,
        activity_form=ActivityForm() if manage else None,
        confirm_form=ConfirmForm(),
        activity_labels=ACTIVITY_KIND_LABELS,
    )


@bp.get("/initiatives/<slug>/suggestions")
@login_required
def suggested_partners(slug: str):
    """The ranked suggestions: a fragment for htmx, a page of its own otherwise."""
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "initiative.manage_participants", initiative)
    template = "initiatives/_suggestions.html" if request.headers.get("HX-Request") else "initiatives/suggestions.html"
    return render_template(template, initiative=initiative, suggestions=suggestions.suggest_partners(initiative))


@bp.get("/initiatives/<slug>/report")
def report(slug: str):
    initiative = service.find_initiative(slug, outcomes=True)
    permissions.require(current_user, "initiative.view", initiative)
    return render_template("initiatives/report.html", initiative=initiative, rollup=outcomes.roll_up(initiative, initiative.project_links),
                           participants=service.visible_participants(current_user, initiative))  # fmt: skip


@bp.post("/initiatives/<slug>/archive")
@login_required
def archive(slug: str):
    initiative = service.find_initiative(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        archiving.archive(actor(), initiative, request.form.get("version") or None)
    except ValidationError as error:  # a second click: it stays archived, and says so
        flash_errors(error)
    else:
        flash(_("Initiative archived."), "info")
    return _back(initiative)


@bp.post("/initiatives/<slug>/restore")
@login_required
def restore(slug: str):
    initiative = service.find_initiative(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        archiving.restore(actor(), initiative, request.form.get("version") or None)
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("Initiative restored."), "info")
    return _back(initiative)


# ---------------------------------------------------------------------------------- participants


@bp.post("/initiatives/<slug>/invite")
@login_required
def invite(slug: str):
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "initiative.manage_participants", initiative)  # before judging the form
    form = InviteForm()
    if form.organization.searching:  # "Find" without JavaScript: the page again, with the matches
        return redirect(url_for("initiatives.detail", slug=slug, find=form.organization.query) + "#invite")
    if form.organization.unknown:
        abort(404)
    if not form.validate_on_submit():
        flash(_("Choose an organisation and a role."), "error")
        return _back(initiative, "#participants")
    organization = form.organization.organization
    try:
        service.invite_participant(current_user, initiative, organization, form.role.data)
    except ValidationError as error:
        flash_errors(error)
    else:
        _flash_invited(organization)
    return _back(initiative, "#participants")


def _flash_invited(organization) -> None:
    if service.answers_itself(organization):
        flash(_("%(org)s is invited; its members were notified.", org=organization.name), "success")
    else:
        flash(_("%(org)s is invited. It has no user account here, so nobody there was notified: once it has "
                "answered (by mail, in a meeting), record its answer in the participants list.",
                org=organization.name), "warning")  # fmt: skip


@bp.route("/initiatives/add", methods=["GET", "POST"])
@login_required
def add_organization():
    """ "Add to initiative" from an organisation's page or the directory's results."""
    organization = service.organization_named(request.values.get("organization"))
    choices = service.manageable_initiatives(current_user)
    if not choices:
        permissions.require(current_user, "initiative.create", None)  # a 403 with the usual message
        flash(_("There is no open initiative you coordinate yet: create one first."), "info")
        return redirect(url_for("initiatives.create"))
    form = AddToInitiativeForm(initiatives=choices)
    if form.validate_on_submit():
        initiative = next(i for i in choices if i.slug == form.initiative.data)
        try:
            service.invite_participant(current_user, initiative, organization, form.role.data)
        except ValidationError as error:
            flash_errors(error)
        else:
            _flash_invited(organization)
            return _back(initiative, "#participants")
    return render_template("initiatives/add.html", form=form, organization=organization,
                           answers_itself=service.answers_itself(organization))  # fmt: skip


def _participant_action(slug: str, participant_id: int, action) -> Response:
    initiative = service.find_initiative(slug)
    participant = service.find_participant(initiative, participant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action(participant)
    except ValidationError as error:
        flash_errors(error)
    return _back(initiative, "#participants")


@bp.post("/initiatives/<slug>/participants/<int:participant_id>/accept")
@login_required
def accept(slug: str, participant_id: int):
    def run(p):
        service.respond_to_invitation(current_user, p, True)
        flash(_("You accepted: %(org)s now takes part. Link its projects below.", org=p.organization.name), "success")

    return _participant_action(slug, participant_id, run)


@bp.post("/initiatives/<slug>/participants/<int:participant_id>/decline")
@login_required
def decline(slug: str, participant_id: int):
    def run(p):
        service.respond_to_invitation(current_user, p, False)
        flash(_("You declined the invitation."), "info")

    return _participant_action(slug, participant_id, run)


@bp.post("/initiatives/<slug>/participants/<int:participant_id>/leave")
@login_required
def leave(slug: str, participant_id: int):
    def run(p):
        service.leave_initiative(current_user, p)
        flash(_("%(org)s left the initiative.", org=p.organization.name), "info")

    return _participant_action(slug, participant_id, run)


@bp.post("/initiatives/<slug>/participants/<int:participant_id>/remove")
@login_required
def remove(slug: str, participant_id: int):
    def run(p):
        service.remove_participant(current_user, p)
        flash(_("%(org)s was removed.", org=p.organization.name), "info")

    return _participant_action(slug, participant_id, run)


@bp.post("/initiatives/<slug>/participants/<int:participant_id>/answer")
@login_required
def answer_for(slug: str, participant_id: int):
    """A coordinator records the answer of an organisation that has no user account."""
    initiative = service.find_initiative(slug)
    participant = service.find_participant(initiative, participant_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.record_answer(current_user, participant, form.answer.data == "accepted", form.answered_on.data,
                              form.how.data)  # fmt: skip
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("The answer of %(org)s is recorded.", org=participant.organization.name), "success")
    return _back(initiative, "#participants")


@bp.post("/initiatives/<slug>/participants/<int:participant_id>/role")
@login_required
def change_role(slug: str, participant_id: int):
    initiative = service.find_initiative(slug)
    participant = service.find_participant(initiative, participant_id)
    if not ConfirmForm().validate_on_submit():  # the CSRF token; the service checks the role
        abort(400)
    try:
        service.change_participant_role(current_user, participant, request.form.get("role", ""))
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("The role of %(org)s is changed.", org=participant.organization.name), "success")
    return _back(initiative, "#participants")


@bp.post("/initiatives/<slug>/shares")
@login_required
def set_shares(slug: str):
    initiative = service.find_initiative(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    shares = {}
    for key, value in request.form.items():
        if key.startswith("share-") and key[6:].isdigit():
            shares[int(key[6:])] = value
    try:
        service.set_shares(current_user, initiative, shares)
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("Shares saved."), "success")
    return _back(initiative, "#attribution")


# -------------------------------------------------------------------------------------- projects


@bp.post("/initiatives/<slug>/projects")
@login_required
def link_project(slug: str):
    initiative = service.find_initiative(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    project = service.project_numbered(request.form.get("project"))
    try:
        link = service.link_project(current_user, initiative, project)
    except ValidationError as error:
        flash_errors(error)
    else:
        if link.is_confirmed:
            flash(_("“%(title)s” is linked: its outcome reports now count towards the initiative.", title=project.title),
                  "success")  # fmt: skip
        else:
            flash(_("“%(title)s” is proposed: its outcome reports count once a coordinator of the initiative "
                    "confirms the link.", title=project.title), "info")  # fmt: skip
    return _back(initiative, "#projects")


@bp.post("/initiatives/<slug>/projects/<int:project_id>/confirm")
@login_required
def confirm_link(slug: str, project_id: int):
    initiative = service.find_initiative(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service.confirm_project_link(current_user, initiative, service.project_numbered(project_id))
    flash(_("The link is confirmed: the project's outcome reports now count towards the initiative."), "success")
    return _back(initiative, "#projects")


@bp.post("/initiatives/<slug>/projects/<int:project_id>/unlink")
@login_required
def unlink_project(slug: str, project_id: int):
    initiative = service.find_initiative(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service.unlink_project(current_user, initiative, service.project_numbered(project_id))
    flash(_("Project unlinked."), "info")
    return _back(initiative, "#projects")


# ---------------------------------------------------------------------------------- activity log


@bp.post("/initiatives/<slug>/activities")
@login_required
def record_activity(slug: str):
    initiative = service.find_initiative(slug)
    return activity_views.record(initiative, url_for("initiatives.detail", slug=initiative.slug) + "#activity")


# ------------------------------------------------------------------------------------ JSON, exports


@bp.get("/initiatives/<slug>/graph.json")
def graph(slug: str):
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "initiative.view", initiative)
    private = permissions.can(current_user, "initiative.view_private", initiative)
    return jsonify(service.initiative_graph(initiative, include_invited=private))


@bp.get("/initiatives/<slug>/progress.json")
def progress(slug: str):
    initiative = service.find_initiative(slug, outcomes=True)
    permissions.require(current_user, "initiative.view", initiative)
    return jsonify(outcomes.progress_series(outcomes.roll_up(initiative, initiative.project_links)))


def csv_response(rows: list[list], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([escape_formula(v) for v in row])
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


def _plain(number) -> str:
    return "" if number is None else format(round(number, 3).normalize(), "f")


@bp.get("/initiatives/<slug>/participants.csv")
@login_required
def participants_csv(slug: str):
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "initiative.export", initiative)
    shares = service.effective_shares(initiative)
    rows = [["organization", "kind", "country", "role", "status", "invited_at", "responded_at", "share_percent"]]
    for p in service.visible_participants(current_user, initiative):
        org = p.organization
        rows.append([org.name, org.kind, org.hq_country.code if org.hq_country else "", p.role, p.invitation_status,
                     p.invited_at.isoformat(), p.responded_at.isoformat() if p.responded_at else "",
                     _plain(shares.get(p.id))])  # fmt: skip
    return csv_response(rows, f"{initiative.slug}-participants.csv")


@bp.get("/initiatives/<slug>/outcomes.csv")
@login_required
def outcomes_csv(slug: str):
    initiative = service.find_initiative(slug, outcomes=True)
    permissions.require(current_user, "initiative.export", initiative)
    rollup = outcomes.roll_up(initiative, initiative.project_links)
    rows = [["project", "lead_organization", "counted", "period_start", "period_end", "basis", "tco2e_reduced",
             "people_reached", "method", "review_status"]]  # fmt: skip
    for line in rollup.projects:
        for r in line.project.outcome_reports:
            if r.is_archived:
                continue
            rows.append([line.project.title, line.project.lead_organization.name, "yes" if line.counted else "no",
                         r.period_start.isoformat(), r.period_end.isoformat(), r.basis, _plain(r.tco2e_reduced),
                         r.people_reached if r.people_reached is not None else "", r.method or "",
                         r.review_status])  # fmt: skip
    return csv_response(rows, f"{initiative.slug}-outcomes.csv")
