"""In-app notices (the "notices" page) and the mail that goes with them."""

from flask import current_app
from sqlalchemy import func, select, update

from network import permissions
from network.extensions import db
from network.models import Notification, Organization, User, utcnow
from network.services import operation


def organization_users(organization: Organization) -> list[User]:
    """The active member users who speak for an organisation: they receive its invitations."""
    return list(
        db.session.scalars(
            select(User).where(permissions.speaking_for(organization), User.active.is_(True)).order_by(User.id)
        )
    )


def notify(users: list[User], message: str, link: str | None = None, *, mail_subject: str | None = None,
           mail_body: str | None = None) -> list[Notification]:  # fmt: skip
    """Add a notice for each user and, when a subject is given, mail them too.

    Called from inside the operations that cause the notice, so it is saved (or rolled back) with them.
    """
    notices = [Notification(user_id=u.id, message=message[:500], link=link) for u in users]
    db.session.add_all(notices)
    if mail_subject:
        for user in users:
            deliver_mail(user.email, mail_subject, mail_body or message)
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
    if not permissions.can(user, "notification.view"):
        return 0
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user.id,
                                                             Notification.read_at.is_(None))
    )  # fmt: skip


def notices_for(actor, limit: int = 100) -> list[Notification]:
    permissions.require(actor, "notification.view", None)
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == actor.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


@operation
def mark_read(actor, notification_id: int | None = None) -> int:
    """Mark one notice (or, with no id, all of them) read; returns how many changed."""
    permissions.require(actor, "notification.view", None)
    stmt = update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt.values(read_at=utcnow())).rowcount
