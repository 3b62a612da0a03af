"""The CRM activity log of an organisation: recorded from its page, shown on it.

(An initiative's log is recorded from the initiative's page, in network.initiatives.)
"""

from types import SimpleNamespace

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import permissions
from network.activity.forms import ACTIVITY_KIND_LABELS, ActivityForm
from network.editing import actor
from network.services import ValidationError, activities
from network.services.initiatives import organization_named

bp = Blueprint("activity", __name__)


def record(subject, target: str):
    """Record an activity on ``subject`` from the submitted ActivityForm, then go to ``target``."""
    permissions.require(current_user, "activity.record", subject)  # before judging the form
    form = ActivityForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(target)
    try:
        activities.record_activity(actor(), subject, form.values())
    except ValidationError as error:
        for messages in error.errors.values():
            for message in messages:
                flash(message, "error")
    else:
        flash(_("Recorded."), "success")
    return redirect(target)


@bp.post("/organizations/<slug>/activities")
@login_required
def record_organization_activity(slug: str):
    organization = organization_named(slug)
    return record(organization, url_for("organizations.detail", slug=organization.slug) + "#activity")


@bp.app_template_global()
def activity_log_for(subject):
    """For an organisation's page: its activity log, or None without the rights to see it."""
    if not permissions.can(current_user, "activity.view", subject):
        return None
    found = activities.activities_for(current_user, subject)
    return SimpleNamespace(
        activities=found,
        authors=activities.authors(found),
        labels=ACTIVITY_KIND_LABELS,
        subject=activities.subject_of,  # the notes the system writes, in the reader's language
        form=ActivityForm() if permissions.can(current_user, "activity.record", subject) else None,
    )
