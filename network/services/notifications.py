"""In-app notices (the "notices" page) and the mail that goes with them.

A notice stores its kind and parameters, never sentences: it is put into words (NOTICES) in the
language of whoever reads it, when the page is shown or the mail is written. Parameters hold names
and codes (a role is "partner", shown by its label); notices from before kinds existed keep
their stored English message and show it as it is.
"""

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from network import labels, paging, permissions
from network.extensions import db
from network.models import Notification, Organization, User, utcnow
from network.services import operation
from network.services.mail import in_language_of

# kind: (notice, mail subject or None, a last line of the mail or None); %(name)s from the parameters.
NOTICES = {
    "invitation": (
        _l("%(org)s is invited to join the initiative “%(title)s” as %(role)s."),
        _l("Invitation: %(title)s"),
        _l("Accept or decline on the initiative's page: %(url)s"),
    ),
    # An organisation without users: its convening coordinators are told to record its answer.
    "invitation_no_users": (
        _l(
            "%(org)s is invited to “%(title)s” as %(role)s but has no users who can answer: record its answer on the initiative's page when it gives one."
        ),
        None,
        None,
    ),
    "invitation_accepted": (_l("%(org)s accepted the invitation to “%(title)s”."), None, None),
    "invitation_declined": (_l("%(org)s declined the invitation to “%(title)s”."), None, None),
    "participant_left": (_l("%(org)s left “%(title)s”."), None, None),
    "participant_removed": (_l("%(org)s was removed from “%(title)s”."), None, None),
    # (partners) roles, project links and participants, verification
    "participant_role_changed": (_l("%(org)s now takes part in “%(title)s” as %(role)s."), None, None),
    "project_link_proposed": (
        _l("“%(project)s” was linked to “%(title)s”: confirm the link so its outcomes count."),
        None,
        None,
    ),
    "project_participant_proposed": (
        _l("%(org)s is named on the project “%(project)s” as %(project_role)s: confirm it if that is right."),
        None,
        None,
    ),
    "outcome_submitted": (_l("An outcome report of “%(project)s” (%(period)s) awaits your verification."), None, None),
    "outcome_verified": (_l("The outcome report of “%(project)s” (%(period)s) was verified."), None, None),
    "outcome_returned": (
        _l("The outcome report of “%(project)s” (%(period)s) was returned: see the verifier's comment."),
        None,
        None,
    ),
    # (events) a seat came free for someone on the waitlist; the reminder the day before
    "event_seat": (
        _l("A seat became free at “%(title)s”: you are now registered."),
        _l("A seat for you: %(title)s"),
        None,
    ),
    "event_reminder": (_l("“%(title)s” starts on %(when)s."), _l("Reminder: %(title)s"), None),
    "change_approved": (_l("Your proposed change to %(name)s was approved."), None, None),
    "change_rejected": (_l("Your proposed change to %(name)s was rejected."), None, None),
}
# Parameters that are codes, shown by their label in the reader's language.
CODED_PARAMS = {"role": labels.PARTICIPANT_ROLE_LABELS, "project_role": labels.PROJECT_ROLE_LABELS}
UNREAD_SHOWN = 99  # the badge counts to 99 and then says "99+": it never counts more than 100 rows


def organization_users(organization: Organization) -> list[User]:
    """The active member users who speak for an organisation: they receive its invitations."""
    return list(
        db.session.scalars(
            select(User).where(permissions.speaking_for(organization), User.active.is_(True)).order_by(User.id)
        )
    )


class _Params(dict):
    def __missing__(self, key):  # a parameter an older notice lacks: a dash, not "%(name)s"
        return "—"


def _words(template, params: dict) -> str:
    values = _Params({k: labels.label(CODED_PARAMS[k], v) if k in CODED_PARAMS else v for k, v in params.items()})
    try:
        return str(template) % values
    except (TypeError, ValueError):
        return str(template)


def text_of(notice: Notification) -> str:
    """The notice in the current language (the reader's, on a page)."""
    texts = NOTICES.get(notice.kind or "")
    if texts is None:
        return notice.message or ""
    return _words(texts[0], notice.params or {})


def notify(users: list[User], kind: str, params: dict, link: str | None = None, *, mail: bool = False) -> list[Notification]:  # fmt: skip
    """Add a notice of a kind (see NOTICES) for each user and, with mail, mail them too, each in
    their own language (their locale, else the site's).

    Called from inside the operations that cause the notice, so it is saved (or rolled back) with them.
    """
    if kind not in NOTICES:
        raise ValueError(f"unknown notice kind {kind!r}")
    notices = [Notification(user_id=u.id, kind=kind, params=params, link=link) for u in users]
    db.session.add_all(notices)
    text, subject, last_line = NOTICES[kind]
    if mail and subject is not None:
        for user in users:
            with in_language_of(user):
                body = _words(text, params)
                if last_line is not None:
                    body += "\n\n" + _words(last_line, params)
                deliver_mail(user.email, _words(subject, params), body)
    return notices


def deliver_mail(to: str, subject: str, body: str) -> None:
    """Send through the accounts feature's mailer; a failing mail never undoes the notice."""
    try:
        from network.services.mail import send_mail
    except ImportError:  # the mailer is not installed in this build: the in-app notice still stands
        current_app.logger.info("Mail to %s not sent (no mailer): %s", to, subject)
        return
    try:
        send_mail(to, subject, body)
    except Exception:  # mail is best effort; the in-app notice is the record
        current_app.logger.exception("Could not send mail to %s: %s", to, subject)


def unread_count(user) -> int:
    """How many notices the user has not read, up to UNREAD_SHOWN + 1 (read from the partial
    index of unread notices, and never more than that many of its rows)."""
    if not permissions.can(user, "notification.view"):
        return 0
    # In id order, as the index of unread notices holds them: PostgreSQL then reads it and stops
    # instead of scanning the table for a user with many notices.
    unread = (
        select(Notification.id)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .order_by(Notification.id.desc())
        .limit(UNREAD_SHOWN + 1)
        .subquery()
    )
    return db.session.scalar(select(func.count()).select_from(unread))


def unread_label(count: int) -> str:
    return gettext("%(num)d+", num=UNREAD_SHOWN) if count > UNREAD_SHOWN else str(count)


def notices_for(actor, before: str | None = None) -> paging.Page:
    """A page of the actor's notices, newest first from the cursor ``before``."""
    permissions.require(actor, "notification.view", None)
    query = select(Notification).where(Notification.user_id == actor.id)
    query = paging.keyset(query, Notification.created_at, Notification.id, before)
    return paging.page(list(db.session.scalars(query)), lambda n: n.created_at, before)


@operation
def mark_read(actor, notification_id: int | None = None) -> int:
    """Mark one notice (or, with no id, all of them) read; returns how many changed."""
    permissions.require(actor, "notification.view", None)
    stmt = update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt.values(read_at=utcnow())).rowcount
