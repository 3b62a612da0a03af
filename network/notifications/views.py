"""A user's notices (invitations, answers, reviews): the page, marking them read, the indicator."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from network.services import notifications

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
