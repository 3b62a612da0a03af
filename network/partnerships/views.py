"""Partnerships between organisations: recording, editing, archiving and restoring them, and their
history (those who speak for or manage either side)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import permissions
from network.editing import actor, create_view, edit_view
from network.models import Organization, Partnership
from network.organizations import forms
from network.services import archiving, history, partnerships, profiles

bp = Blueprint("partnerships", __name__)


def own_side(partnership: Partnership) -> Organization:
    """The side of the partnership the user speaks for or manages (pages return there)."""
    sides = (partnership.org_a, partnership.org_b)
    return next((o for o in sides if permissions.can(current_user, "organization.view_private", o)), sides[0])


@bp.route("/organizations/<slug>/partnerships/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    org = profiles.find_organization(slug)
    permissions.require(current_user, "partnership.manage", org)
    return create_view(
        forms.NewPartnershipForm(data={"status": "active"}),
        lambda data: partnerships.create_partnership(actor(), org, data),
        message=lambda saved: _("The partnership with %(name)s was added.", name=saved.org_b.name),
        next_url=url_for("organizations.detail", slug=org.slug) + "#partnerships",
        render=lambda form: render_template(
            "organizations/partnership_form.html", form=form, org=org, partnership=None,
        ),
    )  # fmt: skip


@bp.route("/partnerships/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit(id: int):
    partnership = partnerships.find_partnership(id)
    permissions.require(current_user, "partnership.update", partnership)
    org = own_side(partnership)
    return edit_view(
        partnership, forms.PartnershipForm, forms.partnership_form_data,
        lambda data, version: partnerships.update_partnership(actor(), partnership, data, version),
        cancel_url=url_for("organizations.detail", slug=org.slug), message=_("The partnership was saved."),
        next_url=url_for("organizations.detail", slug=org.slug) + "#partnerships",
        render=lambda form: render_template(
            "organizations/partnership_form.html", form=form, org=org, partnership=partnership
        ),
    )  # fmt: skip


@bp.post("/partnerships/<int:id>/archive")
@login_required
def archive(id: int):
    partnership = partnerships.find_partnership(id)
    archiving.archive(actor(), partnership, request.form.get("version") or None)
    flash(_("The partnership was archived. It can be restored."), "success")
    return redirect(url_for("organizations.edit_records", slug=own_side(partnership).slug))


@bp.post("/partnerships/<int:id>/restore")
@login_required
def restore(id: int):
    partnership = partnerships.find_partnership(id)
    archiving.restore(actor(), partnership, request.form.get("version") or None)
    flash(_("The partnership was restored."), "success")
    return redirect(url_for("organizations.edit_records", slug=own_side(partnership).slug))


@bp.get("/partnerships/<int:id>/history")
@login_required
def history_page(id: int):
    partnership = partnerships.find_partnership(id)
    page = history.partnership_history(actor(), partnership, before=request.args.get("before"))
    return render_template("organizations/history_partnership.html", partnership=partnership,
                           **history.history_context(page))  # fmt: skip
