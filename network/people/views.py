"""An organisation's contacts: adding, editing, archiving and restoring them (its members and
coordinators)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import permissions
from network.editing import actor, create_view, edit_view
from network.organizations import forms
from network.services import archiving, organizations, profiles

bp = Blueprint("people", __name__)


@bp.route("/organizations/<slug>/people/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    org = profiles.find_organization(slug)
    permissions.require(current_user, "person.manage", org)
    return create_view(
        forms.PersonForm(), lambda data: organizations.create_person(actor(), org, data),
        message=lambda saved: _("%(name)s was added.", name=saved.name),
        next_url=url_for("organizations.edit_records", slug=org.slug),
        render=lambda form: render_template("organizations/person_form.html", form=form, org=org, person=None),
    )  # fmt: skip


@bp.route("/people/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit(id: int):
    person = organizations.find_person(actor(), id)
    org = person.organization
    permissions.require(current_user, "person.manage", org)
    return edit_view(
        person, forms.PersonForm, forms.person_form_data,
        lambda data, version: organizations.update_person(actor(), person, data, version),
        cancel_url=url_for("organizations.edit_records", slug=org.slug),
        message=lambda saved: _("%(name)s was saved.", name=saved.name),
        render=lambda form: render_template("organizations/person_form.html", form=form, org=org, person=person),
    )  # fmt: skip


@bp.post("/people/<int:id>/archive")
@login_required
def archive(id: int):
    person = organizations.find_person(actor(), id)
    archiving.archive(actor(), person, request.form.get("version") or None)
    flash(_("%(name)s was archived. It can be restored.", name=person.name), "success")
    return redirect(url_for("organizations.edit_records", slug=person.organization.slug))


@bp.post("/people/<int:id>/restore")
@login_required
def restore(id: int):
    person = organizations.find_person(actor(), id)
    archiving.restore(actor(), person, request.form.get("version") or None)
    flash(_("%(name)s was restored.", name=person.name), "success")
    return redirect(url_for("organizations.edit_records", slug=person.organization.slug))
