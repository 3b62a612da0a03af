"""Moderated profile changes: an organisation's members propose a change of its core profile, a
coordinator approves or rejects it (the organisation's edit page sends the proposals)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import permissions
from network.editing import actor
from network.errors import Conflict, ValidationError
from network.models import Organization
from network.organizations import forms
from network.services import history, organizations, profiles

bp = Blueprint("moderation", __name__)


@bp.app_template_global()
def pending_change_count(org: Organization) -> int:
    """How many of the organisation's change requests wait for review (for its action bar)."""
    return organizations.pending_count(org)


@bp.get("/organizations/<slug>/changes")
@login_required
def changes(slug: str):
    """The organisation's change requests: what is waiting, what was approved or rejected, and why."""
    org = profiles.find_organization(slug)
    requests = organizations.change_requests_of(actor(), org)
    return render_template("organizations/changes.html", org=org, requests=requests, field_labels=history.FIELD_LABELS)


@bp.get("/changes")
@login_required
def queue():
    permissions.require(current_user, "change_request.queue")
    status = request.args.get("status", "pending")
    if status not in ("pending", "approved", "rejected", "withdrawn"):
        status = "pending"
    requests = organizations.pending_change_requests(actor(), status=status)
    return render_template("organizations/changes_queue.html", requests=requests, status=status,
                           field_labels=history.FIELD_LABELS)  # fmt: skip


@bp.route("/changes/<int:id>", methods=["GET", "POST"])
@login_required
def review(id: int):
    change_request = organizations.find_change_request(actor(), id)
    org = change_request.organization
    form = forms.ReviewForm()
    conflict = None
    if form.is_submitted():
        decision = request.form.get("decision")
        if decision not in ("approve", "reject"):
            abort(400)
        try:
            organizations.review_change_request(
                actor(), change_request, decision == "approve", form.comment.data,
                overwrite=form.overwrite.data == "1", link=url_for("moderation.changes", slug=org.slug),
            )  # fmt: skip
        except ValidationError as error:
            for key, messages in error.errors.items():
                (form.comment.errors if key == "comment" else form.form_errors).extend(messages)
        except Conflict as error:
            conflict = error
            form.overwrite.data = "1"
            form.overwrite.raw_data = ["1"]
        else:
            flash(_("The change was approved and applied.") if decision == "approve" else _("The change was rejected."),
                  "success")  # fmt: skip
            return redirect(url_for("moderation.queue"))
    current = organizations.profile_values(org, change_request.changes.keys())
    status = 409 if conflict else (422 if form.errors or form.form_errors else 200)
    return render_template(
        "organizations/changes_review.html", change_request=change_request, org=org, form=form, current=current,
        conflict=conflict, field_labels=history.FIELD_LABELS,
        may_review=permissions.can(current_user, "change_request.review", change_request),
        may_withdraw=permissions.can(current_user, "change_request.withdraw", change_request),
    ), status  # fmt: skip


@bp.post("/changes/<int:id>/withdraw")
@login_required
def withdraw(id: int):
    change_request = organizations.find_change_request(actor(), id)
    organizations.withdraw_change_request(actor(), change_request)
    flash(_("Your change request was withdrawn."), "success")
    return redirect(url_for("moderation.changes", slug=change_request.organization.slug))
