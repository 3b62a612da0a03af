"""Moderated profile changes: an organisation's members propose a change of its profile, a
coordinator approves or rejects it (the organisation's edit page sends the proposals). Each node
chooses which fields its members' organisations save without approval (its editing settings)."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import permissions
from network.editing import actor
from network.errors import Conflict, ValidationError
from network.models import Organization
from network.organizations import forms
from network.services import history, organizations, profiles, reference

bp = Blueprint("moderation", __name__)


@bp.app_template_global()
def pending_change_count(org: Organization) -> int:
    """How many of the organisation's change requests wait for review (for its action bar)."""
    return organizations.pending_count(org)


@bp.app_context_processor
def change_diff_helpers() -> dict:
    return {
        "collection_fields": organizations.COLLECTION_FIELDS,
        "collection_change": organizations.collection_change,
        "names_of": names_of,
    }


def names_of(key: str, values) -> list[str]:
    """Country codes or theme slugs of a change request as names in the reader's language (the
    names are read once a request, however many requests a page shows)."""
    names = g.get("change_names")
    if names is None:
        locale = str(get_locale())
        names = g.change_names = {
            "countries": dict(reference.country_names(locale)),
            "themes": dict(reference.theme_names(locale)),
        }
    return [names.get(key, {}).get(v, v) for v in values or ()]


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


@bp.route("/networks/<slug>/editing", methods=["GET", "POST"])
@login_required
def node_settings(slug: str):
    """Which profile fields the members of the node's organisations save without approval."""
    node = reference.visible_network(actor(), slug)
    permissions.require(current_user, "network.manage", node)
    form = forms.DirectEditForm(data={"fields": node.direct_edit_list})
    if form.validate_on_submit():
        organizations.set_direct_edit_fields(actor(), node, form.fields.data or [])
        flash(_("The editing settings of %(name)s were saved.", name=node.name), "success")
        return redirect(url_for("moderation.node_settings", slug=node.slug))
    return render_template("moderation/node_settings.html", node=node, form=form, field_labels=history.FIELD_LABELS,
                           choices=organizations.DIRECT_EDIT_CHOICES), 422 if form.errors else 200  # fmt: skip
