"""A user's notices (invitations, answers, reviews): the page, marking them read, the indicator."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from network.services import notifications
from network.services.notices import preferences

bp = Blueprint("notifications", __name__)


class ConfirmForm(FlaskForm):
    """Empty form: carries the CSRF token of the "mark read" buttons."""


@bp.app_context_processor
def inject_unread_notices():
    # A callable, so pages that never show the indicator run no query.
    return {
        "unread_notices": lambda: notifications.unread_count(current_user),
        "unread_label": notifications.unread_label,
    }


@bp.get("/notifications")
@login_required
def index():
    page = notifications.notices_for(current_user, before=request.args.get("before"))
    return render_template("notifications/index.html", page=page, notices=page.items, text_of=notifications.text_of)


@bp.post("/notifications/read")
@login_required
def mark_read():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    raw = request.form.get("id", "")
    notifications.mark_read(current_user, int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None)
    return redirect(url_for("notifications.index"))


@bp.route(notifications.PREFERENCES_PATH, methods=["GET", "POST"])
@login_required
def preferences_page():
    """Per kind of notice: by mail at once, in the daily digest, or in the app only. Every notice
    mail links here (a visitor logs in first and lands here)."""
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        chosen = {kind: request.form[kind] for kind in preferences.KINDS if kind in request.form}
        preferences.set_choices(current_user, chosen)
        flash(_("Your choices are saved."), "success")
        return redirect(url_for("notifications.preferences_page"))
    return render_template("notifications/preferences.html", choices=preferences.choices_of(current_user),
                           kinds=preferences.KINDS, deliveries=preferences.DELIVERY_LABELS)  # fmt: skip
