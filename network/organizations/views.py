"""Organisation pages. Read routes first; edit routes follow below them.

The records around an organisation have features of their own: network.moderation (proposed
profile changes), network.memberships, network.people and network.partnerships.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import permissions
from network.editing import actor, edit_view, form_status, save_form
from network.organizations import forms
from network.services import archiving, duplicates, history, organizations, profiles, tags
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
        org_tags=tags.tags_by_organization(current_user, [org.id]).get(org.id, []),  # none, unread, for visitors
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
    """Coordinators and admins edit the whole profile; the organisation's members edit the fields
    their nodes allow and propose the rest, which waits for a coordinator."""
    org = profiles.find_organization(slug)
    direct = frozenset()
    if permissions.can(current_user, "organization.update", org):
        form_class, save = forms.OrganizationForm, organizations.update_organization
    else:
        permissions.require(current_user, "organization.propose_change", org)
        form_class, save = forms.ProfileChangeForm, organizations.edit_own_profile
        direct = organizations.direct_edit_fields(org)

    def message(saved) -> str:
        if not isinstance(saved, organizations.ProfileEdit) or not saved.change_request:
            return _("The profile was saved.")
        if saved.applied:
            return _("Some changes were saved; the others were sent to the coordinators for approval.")
        return _("Your change was sent to the coordinators for approval.")

    def next_url(saved) -> str:
        if isinstance(saved, organizations.ProfileEdit) and saved.change_request:
            return url_for("moderation.changes", slug=org.slug)
        return url_for("organizations.detail", slug=org.slug)

    return edit_view(
        org, form_class, forms.organization_form_data, lambda data, version: save(actor(), org, data, version),
        cancel_url=url_for("organizations.detail", slug=org.slug), message=message, next_url=next_url,
        render=lambda form: render_template("organizations/edit.html", form=form, org=org, direct_fields=direct),
    )  # fmt: skip


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
    page = history.organization_history(actor(), org, before=request.args.get("before"))
    return render_template("organizations/history.html", org=org, **history.history_context(page))


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
