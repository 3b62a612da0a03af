"""The CRM side: notes, meetings, calls and decisions on an initiative or an organisation."""

from datetime import UTC, date, datetime, time

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from network import permissions
from network.extensions import db
from network.models import Activity, Initiative, Organization, User, utcnow
from network.models.initiative import ACTIVITY_KINDS
from network.services import NotFound, ValidationError, operation


def _subject_filter(subject: Initiative | Organization):
    if isinstance(subject, Initiative):
        return Activity.initiative_id == subject.id
    return Activity.organization_id == subject.id


def activities_for(actor, subject: Initiative | Organization, limit: int = 200) -> list[Activity]:
    """The subject's activities, newest first, with their authors (an empty list without rights)."""
    if not permissions.can(actor, "activity.view", subject):
        return []
    return list(
        db.session.scalars(
            select(Activity)
            .where(_subject_filter(subject), Activity.archived_at.is_(None))
            .order_by(Activity.occurred_at.desc(), Activity.id.desc())
            .limit(limit)
        )
    )


def mailing_note(subject: str, num: int) -> str:
    """A mailing's note on each organisation it went to, in the current language."""
    text = ngettext("Mailing: %(subject)s, sent to %(num)d person", "Mailing: %(subject)s, sent to %(num)d people",
                    num, subject=subject)  # fmt: skip
    return text[:300]


# Notes the system writes (Activity.params {"message": key, values}), written when they are read.
SYSTEM_NOTES = {"mailing_sent": lambda p: mailing_note(str(p.get("subject", "")), int(p.get("num", 0)))}


def subject_of(activity: Activity) -> str:
    """What the activity was about, in the reader's language for the notes the system writes."""
    note = SYSTEM_NOTES.get((activity.params or {}).get("message"))
    return note(activity.params) if note is not None else activity.subject


def authors(activities: list[Activity]) -> dict[int, User]:
    ids = {a.author_id for a in activities if a.author_id}
    if not ids:
        return {}
    return {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_(ids)).options(selectinload(User.organization)))
    }


@operation
def record_activity(actor, subject: Initiative | Organization, values: dict) -> Activity:
    permissions.require(actor, "activity.record", subject)
    errors: dict[str, list[str]] = {}
    kind = values.get("kind") or "note"
    if kind not in ACTIVITY_KINDS:
        errors["kind"] = [_("Choose note, meeting, call or decision.")]
    title = (values.get("subject") or "").strip()
    if not title:
        errors["subject"] = [_("Say what it was about.")]
    elif len(title) > 300:
        errors["subject"] = [_("At most 300 characters.")]
    occurred = values.get("occurred_on")
    if occurred in (None, ""):
        occurred_at = utcnow()
    else:
        try:
            day = occurred if isinstance(occurred, date) else date.fromisoformat(str(occurred))
            occurred_at = datetime.combine(day, time(12), tzinfo=UTC)
        except ValueError:
            errors["occurred_on"] = [_("Enter a date as YYYY-MM-DD.")]
    if errors:
        raise ValidationError(errors)
    activity = Activity(kind=kind, subject=title, body=(values.get("body") or "").strip() or None,
                        occurred_at=occurred_at, author_id=getattr(actor, "id", None))  # fmt: skip
    if isinstance(subject, Initiative):
        activity.initiative_id = subject.id
    else:
        activity.organization_id = subject.id
    db.session.add(activity)
    return activity


@operation
def archive_activity(actor, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.archived_at is not None:
        raise NotFound(_("No such activity."))
    subject = (db.session.get(Initiative, activity.initiative_id) if activity.initiative_id
               else db.session.get(Organization, activity.organization_id))  # fmt: skip
    permissions.require(actor, "activity.record", subject)
    activity.archived_at = utcnow()
    return activity
