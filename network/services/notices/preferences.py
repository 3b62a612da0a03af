"""Each user chooses, per kind of notice, how it reaches them: at once by mail, in a daily digest,
or in the app only. A kind without a saved choice takes its default: at once for what waits on the
user (an invitation to answer, a change to review), the digest for what only informs."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from network import permissions
from network.errors import ValidationError
from network.extensions import db
from network.models import NoticePreference
from network.models.notice import NOTICE_DELIVERIES
from network.services import operation

DELIVERY_LABELS = {
    "immediately": _l("By mail at once"),
    "digest": _l("In the daily digest"),
    "app": _l("In the app only"),
}

# kind: (what the page calls it, the default delivery), in the order the page lists them.
KINDS = {
    "invitation": (_l("Your organisation is invited to an initiative"), "immediately"),
    "invitation_no_users": (_l("An organisation without users is invited: record its answer"), "immediately"),
    "invitation_accepted": (_l("An invitation was accepted"), "digest"),
    "invitation_declined": (_l("An invitation was declined"), "digest"),
    "participant_left": (_l("An organisation left an initiative"), "digest"),
    "participant_removed": (_l("An organisation was removed from an initiative"), "digest"),
    "participant_role_changed": (_l("Your organisation's role in an initiative changed"), "digest"),
    "project_link_proposed": (_l("A project was linked to an initiative: confirm it"), "immediately"),
    "project_participant_proposed": (_l("Your organisation was named on a project: confirm it"), "immediately"),
    "change_submitted": (_l("A member proposed a profile change to review"), "immediately"),
    "change_approved": (_l("Your proposed change was approved"), "digest"),
    "change_rejected": (_l("Your proposed change was rejected"), "digest"),
    "outcome_submitted": (_l("An outcome report awaits your verification"), "immediately"),
    "outcome_verified": (_l("An outcome report was verified"), "digest"),
    "outcome_returned": (_l("An outcome report was returned"), "immediately"),
    "import_previewed": (_l("Your import's preview is ready"), "immediately"),
    "import_committed": (_l("Your import finished"), "digest"),
    "import_failed": (_l("Your import failed"), "immediately"),
    "membership_ending": (_l("A membership ends soon"), "digest"),
    "event_seat": (_l("A seat came free for you at an event"), "immediately"),
    "event_reminder": (_l("An event you registered for starts tomorrow"), "immediately"),
}


def default(kind: str) -> str:
    return KINDS[kind][1] if kind in KINDS else "app"


def choices_of(user) -> dict[str, str]:
    """Every kind with the user's delivery for it (their choice, else the default)."""
    saved = dict(db.session.execute(
        select(NoticePreference.kind, NoticePreference.delivery).where(NoticePreference.user_id == user.id)
    ).all())  # fmt: skip
    return {kind: saved.get(kind, default(kind)) for kind in KINDS}


def deliveries(users, kind: str) -> dict[int, str]:
    """user id -> how a notice of ``kind`` reaches that user (one query for all of them)."""
    ids = [u.id for u in users]
    saved = dict(db.session.execute(
        select(NoticePreference.user_id, NoticePreference.delivery)
        .where(NoticePreference.kind == kind, NoticePreference.user_id.in_(ids))
    ).all()) if ids else {}  # fmt: skip
    return {i: saved.get(i, default(kind)) for i in ids}


@operation
def set_choices(actor, choices: dict[str, str]) -> dict[str, str]:
    """Save the actor's own choices (kind -> delivery; kinds not given keep theirs); a choice equal
    to the default is not stored."""
    permissions.require(actor, "notification.view", None)
    unknown = sorted(k for k, v in choices.items() if k not in KINDS or v not in NOTICE_DELIVERIES)
    if unknown:
        raise ValidationError({k: [_l("Not a valid choice.")] for k in unknown})
    db.session.execute(delete(NoticePreference).where(NoticePreference.user_id == actor.id,
                                                      NoticePreference.kind.in_(list(choices))))  # fmt: skip
    db.session.add_all(NoticePreference(user_id=actor.id, kind=k, delivery=v)
                       for k, v in choices.items() if v != default(k))  # fmt: skip
    return choices_of(actor)
