from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from network.admin.forms import AuditFilterForm
from network.auth.forms import ChangeRoleForm, InviteUserForm, show_errors
from network.auth.views import invitation_link
from network.errors import PermissionDenied, ValidationError
from network.labels import ROLE_LABELS, label
from network.services import accounts, history

bp = Blueprint("admin", __name__)


# ---------------------------------------------------------------- users (accounts feature)


# Least privilege first: a form left as it is grants the least (never Administrator by default).
LEAST_FIRST = ("viewer", "member", "coordinator", "admin")


def offer_scope_choices(form) -> None:
    """Fill role and node choices with what the current user may grant, the least privilege first
    (and chosen when nothing is)."""
    roles = sorted(accounts.grantable_roles(current_user), key=LEAST_FIRST.index)
    form.role.choices = [SelectChoice(r, label(ROLE_LABELS, r)) for r in roles]
    if not form.role.data and roles:
        form.role.data = roles[0]
    nodes = accounts.grantable_networks(current_user)
    form.networks.choices = [SelectChoice(n.id, ("— " * n.depth) + n.name) for n in nodes]


@bp.get("/admin/users")
@login_required
def users():
    return render_template("auth/users.html", users=accounts.list_users(current_user))


@bp.route("/admin/users/invite", methods=["GET", "POST"])
@login_required
def invite_user():
    if not accounts.grantable_roles(current_user):
        raise PermissionDenied(_("You cannot invite users."))
    form = InviteUserForm()
    offer_scope_choices(form)
    if form.validate_on_submit():
        try:
            user = accounts.invite_user(
                current_user,
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                organization=form.organization.organization,
                networks=accounts.find_networks(form.networks.data),
                link_to=invitation_link,
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            flash(_("%(email)s is invited: the invitation link is on its way.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/invite_user.html", form=form), status


@bp.route("/admin/users/<int:user_id>/role", methods=["GET", "POST"])
@login_required
def change_role(user_id: int):
    user = accounts.user_to_manage(current_user, user_id)
    form = ChangeRoleForm(
        role=user.role,
        organization=user.organization_id,
        networks=[n.id for n in user.networks],
    )
    offer_scope_choices(form)
    if form.validate_on_submit():
        try:
            accounts.change_role(
                current_user,
                user,
                role=form.role.data,
                organization=form.organization.organization,
                networks=accounts.find_networks(form.networks.data),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            flash(_("The role of %(name)s is changed.", name=user.name), "success")
            return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/change_role.html", form=form, user=user), status


@bp.post("/admin/users/<int:user_id>/deactivate")
@login_required
def deactivate_user(user_id: int):
    user = accounts.deactivate_user(current_user, accounts.get_user(user_id))
    flash(_("%(name)s is deactivated and logged out everywhere.", name=user.name), "success")
    return redirect(url_for("admin.users"))


@bp.post("/admin/users/<int:user_id>/reactivate")
@login_required
def reactivate_user(user_id: int):
    user = accounts.reactivate_user(current_user, accounts.get_user(user_id))
    flash(_("%(name)s can log in again.", name=user.name), "success")
    return redirect(url_for("admin.users"))


@bp.post("/admin/users/<int:user_id>/resend")
@login_required
def resend_invitation(user_id: int):
    user = accounts.get_user(user_id)
    accounts.resend_invitation(current_user, user, link_to=invitation_link)
    flash(_("A new invitation link is on its way to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.users"))


# ---------------------------------------------------------------- audit log (editing feature)


@bp.get("/admin/audit")
@login_required
def audit():
    """Every change anyone made, newest first, filtered by who, what kind of record and when."""
    form = AuditFilterForm(request.args, actors=history.audit_actors(current_user))
    if request.args:
        form.validate()
    clean = lambda f: f.data if f.data and not f.errors else None  # noqa: E731
    actor_id = clean(form.actor)
    filters = history.AuditFilter(
        actor_id=int(actor_id) if actor_id else None,
        entity_type=clean(form.entity),
        action=clean(form.action),
        since=clean(form.since),
        until=clean(form.until),
    )
    page = history.audit_log(current_user, filters, before=request.args.get("before"))
    return render_template("admin/audit.html", form=form, **history.history_context(page))
