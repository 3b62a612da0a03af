"""Initiative pages, their actions, JSON for the pictures, the report and CSV exports, and notices.

Views stay thin: parse the form, call one service, flash and redirect (or render).
"""

import csv
import io
from types import SimpleNamespace

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from network import permissions
from network.extensions import db
from network.initiatives.forms import (
    ACTIVITY_KIND_LABELS,
    ActivityForm,
    AddToInitiativeForm,
    ConfirmForm,
    InitiativeForm,
    InviteForm,
    LinkProjectForm,
)  # fmt: skip
from network.labels import INVITATION_STATUS_LABELS, PARTICIPANT_ROLE_LABELS, label
from network.models import Network, Organization, Project
from network.services import ValidationError, activities, notifications, outcomes, search, suggestions
from network.services import initiatives as service

bp = Blueprint("initiatives", __name__)


@bp.app_context_processor
def inject_unread_notices():
    # A callable, so pages that never show the indicator run no query.
    return {"unread_notices": lambda: notifications.unread_count(current_user)}


def flash_errors(error: ValidationError) -> None:
    for messages in error.errors.values():
        for message in messages:
            flash(message, "error")


def _organization(slug: str | None) -> Organization:
    org = db.session.scalar(select(Organization).where(Organization.slug == (slug or "")))
    if org is None:
        abort(404)
    return org


def _back(initiative, anchor: str = ""):
    return redirect(url_for("initiatives.detail", slug=initiative.slug) + anchor)


# ------------------------------------------------------------------------------------------ pages


@bp.get("/initiatives")
def index():
    params = search.parse_record_params(request.args)
    result = search.search_initiatives(current_user, params)
    counts = service.participant_counts([i.id for i in result.items])
    if request.headers.get("HX-Request"):
        return render_template("initiatives/_results.html", result=result, params=params, counts=counts)
    return render_template("initiatives/index.html", result=result, params=params, counts=counts,
                           totals=outcomes.network_totals())  # fmt: skip


def _editable_networks() -> list[Network]:
    if permissions.role_of(current_user) == "admin":
        return list(db.session.scalars(select(Network).where(Network.archived_at.is_(None)).order_by(Network.path)))
    paths = permissions.managed_network_paths(current_user)
    if not paths:
        return []
    return list(db.session.scalars(
        select(Network).where(Network.archived_at.is_(None), db.or_(*[Network.path.startswith(p) for p in paths]))
        .order_by(Network.path)))  # fmt: skip


def _form_errors(form, error: ValidationError) -> None:
    for field, messages in error.errors.items():
        target = getattr(form, field, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + list(messages)
        else:
            form.form_errors.extend(messages)


@bp.route("/initiatives/new", methods=["GET", "POST"])
@login_required
def create():
    permissions.require(current_user, "initiative.create", None)
    form = InitiativeForm(networks=_editable_networks())
    if form.validate_on_submit():
        try:
            initiative = service.create_initiative(current_user, form.values())
        except ValidationError as error:
            _form_errors(form, error)
        else:
            flash(_("Initiative created. Now invite organisations to it."), "success")
            return _back(initiative)
    return render_template("initiatives/form.html", form=form, initiative=None), 422 if form.errors else 200


@bp.route("/initiatives/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "initiative.update", initiative)
    form = InitiativeForm(obj=initiative, networks=_editable_networks())
    del form.network_id  # the convening node is chosen once, at creation
    if request.method == "GET":
        form.themes.data = [t.slug for t in initiative.themes]
        form.regions.data = [r.code for r in initiative.regions]
        form.custom_targets.data = InitiativeForm.targets_text(initiative)
        form.target_tco2e.data = format(initiative.target_tco2e.normalize(), "f") if initiative.target_tco2e else ""
        form.target_people.data = str(initiative.target_people) if initiative.target_people is not None else ""
        form.version.data = initiative.version
    if form.validate_on_submit():
        try:
            service.update_initiative(current_user, initiative, form.values(), form.version.data or None)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            flash(_("Initiative saved."), "success")
            return _back(initiative)
    return render_template("initiatives/form.html", form=form, initiative=initiative), 422 if form.errors else 200


@bp.get("/initiatives/<slug>")
def detail(slug: str):
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "initiative.view", initiative)
    if initiative.is_archived and not permissions.can(current_user, "initiative.update", initiative):
        abort(404)
    manage = permissions.can(current_user, "initiative.manage_participants", initiative)
    own = service.own_participation(current_user, initiative)
    rollup = outcomes.roll_up(initiative)
    activity_list = activities.activities_for(current_user, initiative)
    finding = request.args.get("find", "").strip()[:100]
    linkable = service.linkable_projects(current_user, initiative)
    private = permissions.can(current_user, "initiative.view_private", initiative)
    return render_template(
        "initiatives/detail.html",
        initiative=initiative,
        participants=service.visible_participants(current_user, initiative),
        manage=manage,
        own=own,
        rollup=rollup,
        shares=service.effective_shares(initiative),
        history=service.participant_history(initiative) if private else None,
        activities=activity_list,
        activity_authors=activities.authors(activity_list),
        can_view_activities=permissions.can(current_user, "activity.view", initiative),
        can_record_activity=permissions.can(current_user, "activity.record", initiative),
        can_edit=permissions.can(current_user, "initiative.update", initiative),
        can_export=permissions.can(current_user, "initiative.export", initiative),
        finding=finding,
        found=service.find_organizations_to_invite(initiative, finding) if manage and finding else [],
        invite_form=InviteForm(),
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
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "initiative.view", initiative)
    return render_template("initiatives/report.html", initiative=initiative, rollup=outcomes.roll_up(initiative),
                           participants=service.visible_participants(current_user, initiative))  # fmt: skip


@bp.post("/initiatives/<slug>/archive")
@login_required
def archive(slug: str):
    initiative = service.find_initiative(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service.archive_initiative(current_user, initiative, archived=not initiative.is_archived)
    flash(_("Initiative archived.") if initiative.is_archived else _("Initiative restored."), "info")
    return _back(initiative)


# ---------------------------------------------------------------------------------- participants


@bp.post("/initiatives/<slug>/invite")
@login_required
def invite(slug: str):
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "initiative.manage_participants", initiative)  # before judging the form
    form = InviteForm()
    if not form.validate_on_submit():
        flash(_("Choose an organisation and a role."), "error")
        return _back(initiative, "#participants")
    organization = _organization(form.organization.data)
    try:
        service.invite_participant(current_user, initiative, organization, form.role.data)
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("%(org)s is invited; its members were notified.", org=organization.name), "success")
    return _back(initiative, "#participants")


@bp.route("/initiatives/add", methods=["GET", "POST"])
@login_required
def add_organization():
    """ "Add to initiative" from an organisation's page or the directory's results."""
    organization = _organization(request.values.get("organization"))
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
            flash(_("%(org)s is invited; its members were notified.", org=organization.name), "success")
            return _back(initiative, "#participants")
    return render_template("initiatives/add.html", form=form, organization=organization)


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


def _project(project_id) -> Project:
    project = db.session.get(Project, int(project_id)) if str(project_id or "").isdigit() else None
    if project is None:
        abort(404)
    return project


@bp.post("/initiatives/<slug>/projects")
@login_required
def link_project(slug: str):
    initiative = service.find_initiative(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    project = _project(request.form.get("project"))
    try:
        service.link_project(current_user, initiative, project)
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("“%(title)s” is linked: its outcome reports now count towards the initiative.", title=project.title),
              "success")  # fmt: skip
    return _back(initiative, "#projects")


@bp.post("/initiatives/<slug>/projects/<int:project_id>/unlink")
@login_required
def unlink_project(slug: str, project_id: int):
    initiative = service.find_initiative(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service.unlink_project(current_user, initiative, _project(project_id))
    flash(_("Project unlinked."), "info")
    return _back(initiative, "#projects")


# ---------------------------------------------------------------------------------- activity log


@bp.post("/initiatives/<slug>/activities")
@login_required
def record_activity(slug: str):
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "activity.record", initiative)  # before judging the form
    form = ActivityForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return _back(initiative, "#activity")
    try:
        activities.record_activity(current_user, initiative, {
            "kind": form.kind.data, "subject": form.subject.data, "body": form.body.data,
            "occurred_on": form.occurred_on.data,
        })  # fmt: skip
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("Recorded."), "success")
    return _back(initiative, "#activity")


@bp.post("/organizations/<slug>/activities")
@login_required
def record_organization_activity(slug: str):
    organization = _organization(slug)
    permissions.require(current_user, "activity.record", organization)  # before judging the form
    form = ActivityForm()
    target = url_for("organizations.detail", slug=organization.slug) + "#activity"
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(target)
    try:
        activities.record_activity(current_user, organization, {
            "kind": form.kind.data, "subject": form.subject.data, "body": form.body.data,
            "occurred_on": form.occurred_on.data,
        })  # fmt: skip
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("Recorded."), "success")
    return redirect(target)


# ------------------------------------------------------------------------------------ JSON, exports


@bp.get("/initiatives/<slug>/graph.json")
def graph(slug: str):
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "initiative.view", initiative)
    private = permissions.can(current_user, "initiative.view_private", initiative)
    return jsonify(service.initiative_graph(initiative, include_invited=private))


@bp.get("/organizations/<slug>/graph.json")
def organization_graph(slug: str):
    organization = _organization(slug)
    permissions.require(current_user, "organization.view", organization)
    return jsonify(service.organization_graph(organization))


@bp.get("/initiatives/<slug>/progress.json")
def progress(slug: str):
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "initiative.view", initiative)
    return jsonify(outcomes.progress_series(outcomes.roll_up(initiative)))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: prefix those with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(rows: list[list], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
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
    initiative = service.find_initiative(slug)
    permissions.require(current_user, "initiative.export", initiative)
    rollup = outcomes.roll_up(initiative)
    rows = [["project", "lead_organization", "counted", "period_start", "period_end", "basis", "tco2e_reduced",
             "people_reached", "method"]]  # fmt: skip
    for line in rollup.projects:
        for r in line.project.outcome_reports:
            if r.is_archived:
                continue
            rows.append([line.project.title, line.project.lead_organization.name, "yes" if line.counted else "no",
                         r.period_start.isoformat(), r.period_end.isoformat(), r.basis, _plain(r.tco2e_reduced),
                         r.people_reached if r.people_reached is not None else "", r.method or ""])  # fmt: skip
    return csv_response(rows, f"{initiative.slug}-outcomes.csv")


# --------------------------------------------------------------------------------------- notices


@bp.get("/notifications")
@login_required
def notifications_page():
    return render_template("initiatives/notifications.html", notices=notifications.notices_for(current_user),
                           confirm_form=ConfirmForm())  # fmt: skip


@bp.post("/notifications/read")
@login_required
def mark_notifications_read():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    raw = request.form.get("id", "")
    notifications.mark_read(current_user, int(raw) if raw.isdigit() else None)
    return redirect(url_for("initiatives.notifications_page"))


@bp.app_template_global()
def activity_log_for(subject):
    """For an organisation's page: its activity log, or None without the rights to see it."""
    if not permissions.can(current_user, "activity.view", subject):
        return None
    found = activities.activities_for(current_user, subject)
    return SimpleNamespace(
        activities=found,
        authors=activities.authors(found),
        labels=ACTIVITY_KIND_LABELS,
        form=ActivityForm() if permissions.can(current_user, "activity.record", subject) else None,
    )


# Labels used by the templates, in one place.
@bp.app_template_global()
def participant_role_label(role: str) -> str:
    return label(PARTICIPANT_ROLE_LABELS, role)


@bp.app_template_global()
def invitation_status_label(status: str) -> str:
    return label(INVITATION_STATUS_LABELS, status)
