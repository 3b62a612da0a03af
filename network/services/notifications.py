"""In-app notices (the "notices" page) and the mail that goes with them.

A notice stores its kind and parameters, never sentences: it is put into words (NOTICES) in the
language of whoever reads it, when the page is shown or the mail is written. Parameters hold names
and codes (a role is "partner", shown by its label); notices from before kinds existed keep
their stored English message and show it as it is.
"""

from datetime import date

from flask import current_app, has_request_context, request
from flask_babel import format_date, gettext
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
    # (notices) what waits on a coordinator or a user, and what ends
    "change_submitted": (_l("A member proposed a change to the profile of %(name)s: review it."), None, None),
    "import_previewed": (_l("The preview of your import “%(file)s” is ready: check it and commit."), None, None),
    "import_committed": (_l("Your import “%(file)s” finished."), None, None),
    "import_failed": (_l("Your import “%(file)s” failed; nothing was saved."), None, None),
    "membership_ending": (_l("The membership of %(org)s in %(node)s ends on %(date)s."), None, None),
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


def _value(key: str, value):
    if key in CODED_PARAMS:
        return labels.label(CODED_PARAMS[key], value)
    if key == "date" and isinstance(value, str):  # stored as an ISO date, shown as the reader writes dates
        try:
            return format_date(date.fromisoformat(value), "medium")
        except ValueError:
            return value
    return value


def _words(template, params: dict) -> str:
    values = _Params({k: _value(k, v) for k, v in params.items()})
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
    """Add a notice of a kind (see NOTICES) for each user; each user's choice for the kind
    (notices.preferences) then mails it at once, keeps it for their daily digest, or neither. A
    mail is in its recipient's language (their locale, else the site's) and links to the choices.
    (``mail`` is no longer read: the recipient's choice decides.)

    Called from inside the operations that cause the notice, so it is saved (or rolled back) with them;
    the mail is queued to go once that transaction commits (mail.send_mail).
    """
    from network.services.notices import preferences

    if kind not in NOTICES:
        raise ValueError(f"unknown notice kind {kind!r}")
    users = list({u.id: u for u in users}.values())  # one notice each, however the caller found them
    how = preferences.deliveries(users, kind)
    notices = [Notification(user_id=u.id, kind=kind, params=params, link=link,
                            digest="pending" if how[u.id] == "digest" else None) for u in users]  # fmt: skip
    db.session.add_all(notices)
    text, subject, last_line = NOTICES[kind]
    for user in users:
        if how[user.id] != "immediately" or not user.active:
            continue
        with in_language_of(user):
            lines = [_words(text, params)]
            if last_line is not None:
                lines.append(_words(last_line, params))
            elif link:
                lines.append(absolute_url(link))
            lines.append(preferences_line())
            title = _words(subject, params) if subject is not None else _words(text, params)
            deliver_mail(user.email, title[:200], "\n\n".join(lines))
    return notices


def absolute_url(path: str) -> str:
    """A link for a mail: in a request, on the host it came to; else PUBLIC_BASE_URL (or SERVER_NAME)."""
    if path.startswith(("http://", "https://")):
        return path
    if has_request_context():
        return request.host_url.rstrip("/") + path
    config = current_app.config
    base = config.get("PUBLIC_BASE_URL") or f"http://{config.get('SERVER_NAME') or 'localhost'}"
    return base.rstrip("/") + path


PREFERENCES_PATH = "/notifications/preferences"


def preferences_line() -> str:
    """The last line of every notice mail: where the recipient chooses what is mailed."""
    return gettext("Choose which notices you get by mail, and when: %(url)s", url=absolute_url(PREFERENCES_PATH))


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
