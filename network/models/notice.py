"""How each user wants each kind of notice delivered, and which ending memberships were announced."""

from datetime import date

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from network.models.base import Base, one_of

NOTICE_DELIVERIES = ("immediately", "digest", "app")


class NoticePreference(Base):
    """A user's choice for one kind of notice; a kind without a row takes its default
    (network.services.notices_preferences.DEFAULTS)."""

    __tablename__ = "notice_preferences"
    __table_args__ = (one_of("delivery", NOTICE_DELIVERIES),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(12))


class MembershipEndingNotice(Base):
    """A membership whose end (on left_on) the coordinators were told of: told once per end date."""

    __tablename__ = "membership_ending_notices"

    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    left_on: Mapped[date] = mapped_column(Date, primary_key=True)
