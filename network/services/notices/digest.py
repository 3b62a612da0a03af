"""The daily digest: one mail per user with the notices they chose to get that way.

A notice waiting for a digest is marked "pending" when it is made (notify); sending a user's digest
marks their notices "sent" in one conditional UPDATE and queues the mail in the same transaction, so
a digest is never sent twice: a second run (or one running beside it) finds nothing pending, and a
run that stops midway leaves the users it had not reached pending for the next one.
"""

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select, update

from network import database
from network.extensions import db
from network.models import Notification, User, utcnow
from network.services import notifications
from network.services.mail import in_language_of, send_mail


def pending_users() -> list[int]:
    query = select(Notification.user_id).where(Notification.digest == "pending").distinct()
    return list(db.session.scalars(query.order_by(Notification.user_id)))


def send_digests() -> int:
    """Send every user's digest of pending notices; returns how many mails were queued. Commits once
    per user (the mail goes when that commit is done, see tasks.enqueue)."""
    mailed = 0
    user_ids = pending_users()
    db.session.commit()
    for user_id in user_ids:
        notices = list(db.session.scalars(
            select(Notification).where(Notification.user_id == user_id, Notification.digest == "pending")
            .order_by(Notification.id)
        ))  # fmt: skip
        ids = [n.id for n in notices]
        taken = db.session.execute(
            update(Notification).where(Notification.id.in_(ids), Notification.digest == "pending")
            .values(digest="sent").execution_options(synchronize_session=False)
        ).rowcount if ids else 0  # fmt: skip
        if not ids or taken != len(ids):  # another run took some of them meanwhile: it sends them
            db.session.rollback()
            continue
        user = db.session.get(User, user_id)
        if user is not None and user.active:
            send_mail(user.email, *digest_mail(user, notices))
            mailed += 1
        db.session.commit()
    return mailed


def digest_mail(user: User, notices: list[Notification]) -> tuple[str, str]:
    """(subject, body) of a user's digest, in their language."""
    with in_language_of(user):
        subject = _("Your notices: %(count)d new", count=len(notices))
        lines = [_("Hello %(name)s, these notices came since your last digest:", name=user.name), ""]
        for notice in notices:
            lines.append(f"- {format_date(notice.created_at, 'short')}: {notifications.text_of(notice)}")
            if notice.link:
                lines.append(f"  {notifications.absolute_url(notice.link)}")
        lines += ["", notifications.preferences_line()]
        return subject, "\n".join(lines)


def digest_job() -> int:
    """The periodic job (daily at DIGEST_HOUR on the consumer, see tasks.init_app)."""
    with database.writing():  # SQLite: take the write lock when each transaction begins
        sent = send_digests()
    current_app.logger.info("Digests: %d sent at %s", sent, utcnow().isoformat())
    return sent
