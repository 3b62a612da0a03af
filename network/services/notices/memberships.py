"""Memberships about to end: their node's coordinators are told once, some days before (a daily job)."""

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from network import database, permissions
from network.extensions import db
from network.models import Membership, MembershipEndingNotice, User, utcnow
from network.services.notifications import notify


def coordinators_of(membership: Membership) -> list[User]:
    """The active coordinators of the membership's node (or a node above it)."""
    return list(db.session.scalars(
        select(User).where(permissions.coordinating(membership.network), User.active.is_(True)).order_by(User.id)
    ))  # fmt: skip


def announce_endings(today: date | None = None) -> int:
    """Tell the coordinators of each membership ending within MEMBERSHIP_ENDING_NOTICE_DAYS that was
    not announced yet (for that end date: a membership extended, then ending again, is told again).
    A record per announcement, written with the notices, keeps a second run from repeating it.
    Commits; returns how many memberships were announced."""
    today = today or utcnow().date()
    days = current_app.config.get("MEMBERSHIP_ENDING_NOTICE_DAYS", 30)
    announced = MembershipEndingNotice
    ending = list(db.session.scalars(
        select(Membership)
        .outerjoin(announced, and_(announced.membership_id == Membership.id, announced.left_on == Membership.left_on))
        .where(Membership.status != "lapsed", Membership.left_on >= today,
               Membership.left_on <= today + timedelta(days=days), announced.membership_id.is_(None))
        .order_by(Membership.left_on, Membership.id)
    ))  # fmt: skip
    count = 0
    for membership in ending:
        try:
            with db.session.begin_nested():  # a run beside this one announced it first: skip it
                db.session.add(MembershipEndingNotice(membership_id=membership.id, left_on=membership.left_on))
                db.session.flush()
                params = {"org": membership.organization.name, "node": membership.network.name,
                          "date": membership.left_on.isoformat()}  # fmt: skip
                notify(coordinators_of(membership), "membership_ending", params,
                       f"/organizations/{membership.organization.slug}")  # fmt: skip
        except IntegrityError:
            continue
        count += 1
    db.session.commit()
    return count


def endings_job() -> int:
    """The periodic job (daily, beside the digest; see tasks.init_app)."""
    with database.writing():  # SQLite: take the write lock when each transaction begins
        return announce_endings()
