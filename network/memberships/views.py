"""An organisation's memberships of network nodes: adding, editing and ending them (coordinators)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import permissions
from network.editing import actor, create_view, edit_view
from network.errors import PermissionDenied, ValidationError
from network.organizations import forms
from network.services import networks as nodes
from network.services import organizations, profiles

bp = Blueprint("memberships", __name__)


@bp.route("/organizations/<slug>/memberships/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    org = profiles.find_organization(slug)
    networks = nodes.nodes_to_join(actor(), org)
    if not networks:
        raise PermissionDenied(_("You manage no network node this organisation could join."))
    form = forms.NewMembershipForm(networks, data={"status": "active"})

    def add(data):
        network = next((n for n in networks if str(n.id) == form.network.data), None)
        if network is None:
            raise ValidationError({"network": [_("Choose one of your network nodes.")]})
        return organizations.add_membership(actor(), org, network, data)

    return create_view(
        form, add, message=_("The membership was added."),
        next_url=url_for("organizations.edit_records", slug=org.slug),
        render=lambda form: render_template("organizations/membership_form.html", form=form, org=org, membership=None),
    )  # fmt: skip


@bp.route("/memberships/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit(id: int):
    membership = organizations.find_membership(id)
    org = membership.organization
    permissions.require(current_user, "membership.manage", membership)
    return edit_view(
        membership, forms.MembershipForm, forms.membership_form_data,
        lambda data, version: organizations.update_membership(actor(), membership, data, version),
        cancel_url=url_for("organizations.edit_records", slug=org.slug), message=_("The membership was saved."),
        render=lambda form: render_template(
            "organizations/membership_form.html", form=form, org=org, membership=membership
        ),
    )  # fmt: skip


@bp.post("/memberships/<int:id>/end")
@login_required
def end(id: int):
    membership = organizations.find_membership(id)
    organizations.end_membership(actor(), membership, request.form.get("version"))
    flash(_("The membership was ended."), "success")
    return redirect(url_for("organizations.edit_records", slug=membership.organization.slug))
