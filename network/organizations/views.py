"""Organisation pages. Read routes first; edit routes follow below them."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import permissions
from network.editing import actor, form_status, save_form
from network.errors import Conflict, PermissionDenied, ValidationError
from network.models import ChangeRequest, Organization, Partnership
from network.organizations import forms
from network.services import archiving, duplicates, history, organizations, partnerships, profiles
from network.services import networks as nodes

bp = Blueprint("organizations", __name__)


@bp.get("/organizations/<slug>")
def detail(slug: str):
    org = profiles.find_organization(slug)
    if org.merged_into_id is not None:
        # A duplicate merged away: its old address keeps working, permanently moved.
        survivor = profiles.merge_survivor(org)
        return redirect(url_for("organizations.detail", slug=survivor.slug), code=301)
    page = profiles.organization_page(current_user, org)
    return render_template(
        "organizations/detail.html",
        page=page,
        org=page.organization,
        initiative_pages="initiatives.detail" in current_app.view_functions,
    )


# Editing ------------------------------------------------------------------------------------
# Thin views: parse the form, call one service, flash and redirect, or show the messages.


@bp.route("/organizations/new", methods=["GET", "POST"])
@login_required
def create():
    permissions.require(current_user, "organization.create", None)
    networks = nodes.nodes_for(actor(), "organization.create")
    form = forms.NewOrganizationForm(networks, allow_none=permissions.can(current_user, "organization.without_node"))
    similar = []
    if form.is_submitted():
        network = next((n for n in networks if str(n.id) == form.network.data), None)
        if (form.network.data or not form.allow_none) and network is None:
            form.show_errors({"network": [_("Choose one of your network nodes.")]})
        elif not form.create_anyway.data and (
            similar := duplicates.find_similar_organizations(form.data_for_service())
        ):
            form.create_anyway.data = "1"
        else:
            saved, page = save_form(
                form, lambda data, _version: organizations.create_organization(actor(), data, network)
            )
            if saved:
                flash(_("%(name)s was added.", name=saved.name), "success")
                return redirect(url_for("organizations.detail", slug=saved.slug))
    return render_template("organizations/edit.html", form=form, org=None, similar=similar), form_status(form)


@bp.route("/organizations/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    """Coordinators and admins edit the whole profile; the organisation's members propose a
    change of its core profile, which waits for a coordinator."""
    org = profiles.find_organization(slug)
    if permissions.can(current_user, "organization.update", org):
        form_class = forms.OrganizationForm
        save = lambda data, version: organizations.update_organization(actor(), org, data, version)  # noqa: E731
        done = _("The profile was saved.")
    else:
        permissions.require(current_user, "organization.propose_change", org)
        form_class = forms.ProfileChangeForm
        save = lambda data, version: organizations.propose_profile_change(actor(), org, data, version)  # noqa: E731
        done = _("Your change was sent to the coordinators for approval.")
    form = form_class(data=forms.organization_form_data(org))
    if form.is_submitted():
        saved, page = save_form(
            form, save, record=org, cancel_url=url_for("organizations.detail", slug=org.slug),
            fresh=lambda: form_class(formdata=None, data=forms.organization_form_data(org)),
        )  # fmt: skip
        if page:
            return page
        if saved:
            flash(done, "success")
            if isinstance(saved, ChangeRequest):
                return redirect(url_for("organizations.changes", slug=org.slug))
            return redirect(url_for("organizations.detail", slug=org.slug))
    return render_template("organizations/edit.html", form=form, org=org), form_status(form)


@bp.post("/organizations/<slug>/archive")
@login_required
def archive(slug: str):
    org = profiles.find_organization(slug)
    archiving.archive(actor(), org, request.form.get("version") or None)
    flash(_("%(name)s was archived. It can be restored.", name=org.name), "success")
    return redirect(url_for("organizations.detail", slug=org.slug))


@bp.post("/organizations/<slug>/restore")
@login_required
def restore(slug: str):
    org = profiles.find_organization(slug)
    archiving.restore(actor(), org, request.form.get("version") or None)
    flash(_("%(name)s was restored.", name=org.name), "success")
    return redirect(url_for("organizations.detail", slug=org.slug))


@bp.get("/organizations/<slug>/history")
@login_required
def history_page(slug: str):
    org = profiles.find_organization(slug)
    events = history.organization_history(actor(), org)
    return render_template("organizations/history.html", org=org, **history.history_context(events))


@bp.get("/organizations/<slug>/records")
@login_required
def edit_records(slug: str):
    """Memberships, people (archived ones too) and partnerships, with their edit buttons."""
    org = profiles.find_organization(slug)
    records = organizations.organization_records(actor(), org)
    return render_template(
        "organizations/edit_records.html", org=org, people=records.people, memberships=records.memberships,
        partnerships=records.partnerships, can_add_membership=bool(nodes.nodes_to_join(actor(), org)),
    )  # fmt: skip


# Moderated profile changes


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
def change_queue():
    permissions.require(current_user, "change_request.queue")
    status = request.args.get("status", "pending")
    if status not in ("pending", "approved", "rejected", "withdrawn"):
        status = "pending"
    requests = organizations.pending_change_requests(actor(), status=status)
    return render_template("organizations/changes_queue.html", requests=requests, status=status,
                           field_labels=history.FIELD_LABELS)  # fmt: skip


@bp.route("/changes/<int:id>", methods=["GET", "POST"])
@login_required
def review_change(id: int):
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
                overwrite=form.overwrite.data == "1", link=url_for("organizations.changes", slug=org.slug),
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
            return redirect(url_for("organizations.change_queue"))
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
def withdraw_change(id: int):
    change_request = organizations.find_change_request(actor(), id)
    organizations.withdraw_change_request(actor(), change_request)
    flash(_("Your change request was withdrawn."), "success")
    return redirect(url_for("organizations.changes", slug=change_request.organization.slug))


# Memberships


@bp.route("/organizations/<slug>/memberships/new", methods=["GET", "POST"])
@login_required
def new_membership(slug: str):
    org = profiles.find_organization(slug)
    networks = nodes.nodes_to_join(actor(), org)
    if not networks:
        raise PermissionDenied(_("You manage no network node this organisation could join."))
    form = forms.NewMembershipForm(networks, data={"status": "active"})
    if form.is_submitted():
        network = next((n for n in networks if str(n.id) == form.network.data), None)
        if network is None:
            form.show_errors({"network": [_("Choose one of your network nodes.")]})
        else:
            saved, _page = save_form(form, lambda data, _v: organizations.add_membership(actor(), org, network, data))
            if saved:
                flash(_("The membership was added."), "success")
                return redirect(url_for("organizations.edit_records", slug=org.slug))
    return render_template("organizations/membership_form.html", form=form, org=org, membership=None), form_status(form)


@bp.route("/memberships/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit_membership(id: int):
    membership = organizations.find_membership(id)
    org = membership.organization
    permissions.require(current_user, "membership.manage", membership)
    form = forms.MembershipForm(data=forms.membership_form_data(membership))
    if form.is_submitted():
        saved, page = save_form(
            form, lambda data, version: organizations.update_membership(actor(), membership, data, version),
            record=membership, cancel_url=url_for("organizations.edit_records", slug=org.slug),
            fresh=lambda: forms.MembershipForm(formdata=None, data=forms.membership_form_data(membership)),
        )  # fmt: skip
        if page:
            return page
        if saved:
            flash(_("The membership was saved."), "success")
            return redirect(url_for("organizations.edit_records", slug=org.slug))
    return render_template("organizations/membership_form.html", form=form, org=org, membership=membership), (
        form_status(form)
    )


@bp.post("/memberships/<int:id>/end")
@login_required
def end_membership(id: int):
    membership = organizations.find_membership(id)
    organizations.end_membership(actor(), membership, request.form.get("version"))
    flash(_("The membership was ended."), "success")
    return redirect(url_for("organizations.edit_records", slug=membership.organization.slug))


# People


@bp.route("/organizations/<slug>/people/new", methods=["GET", "POST"])
@login_required
def new_person(slug: str):
    org = profiles.find_organization(slug)
    permissions.require(current_user, "person.manage", org)
    form = forms.PersonForm()
    if form.is_submitted():
        saved, _page = save_form(form, lambda data, _v: organizations.create_person(actor(), org, data))
        if saved:
            flash(_("%(name)s was added.", name=saved.name), "success")
            return redirect(url_for("organizations.edit_records", slug=org.slug))
    return render_template("organizations/person_form.html", form=form, org=org, person=None), form_status(form)


@bp.route("/people/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit_person(id: int):
    person = organizations.find_person(actor(), id)
    org = person.organization
    permissions.require(current_user, "person.manage", org)
    form = forms.PersonForm(data=forms.person_form_data(person))
    if form.is_submitted():
        saved, page = save_form(
            form, lambda data, version: organizations.update_person(actor(), person, data, version),
            record=person, cancel_url=url_for("organizations.edit_records", slug=org.slug),
            fresh=lambda: forms.PersonForm(formdata=None, data=forms.person_form_data(person)),
        )  # fmt: skip
        if page:
            return page
        if saved:
            flash(_("%(name)s was saved.", name=saved.name), "success")
            return redirect(url_for("organizations.edit_records", slug=org.slug))
    return render_template("organizations/person_form.html", form=form, org=org, person=person), form_status(form)


@bp.post("/people/<int:id>/archive")
@login_required
def archive_person(id: int):
    person = organizations.find_person(actor(), id)
    archiving.archive(actor(), person, request.form.get("version") or None)
    flash(_("%(name)s was archived. It can be restored.", name=person.name), "success")
    return redirect(url_for("organizations.edit_records", slug=person.organization.slug))


@bp.post("/people/<int:id>/restore")
@login_required
def restore_person(id: int):
    person = organizations.find_person(actor(), id)
    archiving.restore(actor(), person, request.form.get("version") or None)
    flash(_("%(name)s was restored.", name=person.name), "success")
    return redirect(url_for("organizations.edit_records", slug=person.organization.slug))


# Partnerships


def own_side(partnership: Partnership) -> Organization:
    """The side of the partnership the user speaks for or manages (pages return there)."""
    sides = (partnership.org_a, partnership.org_b)
    return next((o for o in sides if permissions.can(current_user, "organization.view_private", o)), sides[0])


@bp.route("/organizations/<slug>/partnerships/new", methods=["GET", "POST"])
@login_required
def new_partnership(slug: str):
    org = profiles.find_organization(slug)
    permissions.require(current_user, "partnership.manage", org)
    form = forms.NewPartnershipForm(data={"status": "active"})
    if form.is_submitted():
        saved, _page = save_form(form, lambda data, _v: partnerships.create_partnership(actor(), org, data))
        if saved:
            flash(_("The partnership with %(name)s was added.", name=saved.org_b.name), "success")
            return redirect(url_for("organizations.detail", slug=org.slug) + "#partnerships")
    return render_template(
        "organizations/partnership_form.html",
        form=form,
        org=org,
        partnership=None,
        choices=organizations.organization_choices(exclude=org),
    ), form_status(form)


@bp.route("/partnerships/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit_partnership(id: int):
    partnership = partnerships.find_partnership(id)
    permissions.require(current_user, "partnership.update", partnership)
    org = own_side(partnership)
    form = forms.PartnershipForm(data=forms.partnership_form_data(partnership))
    if form.is_submitted():
        saved, page = save_form(
            form, lambda data, version: partnerships.update_partnership(actor(), partnership, data, version),
            record=partnership, cancel_url=url_for("organizations.detail", slug=org.slug),
            fresh=lambda: forms.PartnershipForm(formdata=None, data=forms.partnership_form_data(partnership)),
        )  # fmt: skip
        if page:
            return page
        if saved:
            flash(_("The partnership was saved."), "success")
            return redirect(url_for("organizations.detail", slug=org.slug) + "#partnerships")
    return render_template("organizations/partnership_form.html", form=form, org=org, partnership=partnership), (
        form_status(form)
    )


@bp.post("/partnerships/<int:id>/archive")
@login_required
def archive_partnership(id: int):
    partnership = partnerships.find_partnership(id)
    archiving.archive(actor(), partnership, request.form.get("version") or None)
    flash(_("The partnership was archived. It can be restored."), "success")
    return redirect(url_for("organizations.edit_records", slug=own_side(partnership).slug))


@bp.post("/partnerships/<int:id>/restore")
@login_required
def restore_partnership(id: int):
    partnership = partnerships.find_partnership(id)
    archiving.restore(actor(), partnership, request.form.get("version") or None)
    flash(_("The partnership was restored."), "success")
    return redirect(url_for("organizations.edit_records", slug=own_side(partnership).slug))


@bp.get("/partnerships/<int:id>/history")
@login_required
def partnership_history(id: int):
    partnership = partnerships.find_partnership(id)
    events = history.partnership_history(actor(), partnership)
    return render_template("organizations/history_partnership.html", partnership=partnership,
                           **history.history_context(events))  # fmt: skip
