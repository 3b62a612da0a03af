"""Mailings: a message written to the people of selected organisations, in their language, and one
delivery row per recipient (queued, sent, failed, unsubscribed or excluded with its reason)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.models.base import Base, Timestamped, UTCDateTime, one_of
from network.models.network import Network

MAILING_STATUSES = ("draft", "sending", "sent")
# Where the organisations come from; "selection" is a list of ids (the directory's ticked rows).
AUDIENCE_SOURCES = ("node", "tag", "saved_search", "initiative", "event", "selection")
# Which of their people: the primary contact, everyone listed, or people whose title names a role.
AUDIENCE_PEOPLE = ("primary", "all", "role")
DELIVERY_STATUSES = ("queued", "sending", "sent", "failed", "unsubscribed", "excluded")
# Why someone of the audience gets no mail: they are listed with the reason, never dropped.
EXCLUSION_REASONS = ("no_email", "no_consent", "unsubscribed", "bounced", "duplicate")


class Mailing(Timestamped, Base):
    __tablename__ = "mailings"
    __table_args__ = (one_of("status", MAILING_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The node it is sent from: its coordinators (and admins) write, send and read it; None: admins.
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    # {"source": one of AUDIENCE_SOURCES, "ref": id or slug, "ids": [...], "people": ..., "role": ...}
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    language: Mapped[str] = mapped_column(String(8), default="en")  # the default version's
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown with {{ fields }}
    # Other languages: {"zh": {"subject": ..., "body": ...}}
    versions: Mapped[dict] = mapped_column(JSON, default=dict)
    # Filled when it is sent: counts of the audience as sent, the site's address for the links.
    summary: Mapped[dict | None] = mapped_column(JSON)
    base_url: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    network: Mapped[Network | None] = relationship()

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    def __repr__(self) -> str:
        return f"<Mailing {self.id} {self.status}>"


class MailingDelivery(Base):
    """One recipient of a sent mailing: written in bulk when it is sent (not through the audit hook;
    the send itself is one audit event), and sent at most once (its status moves queued → sending →
    sent under a condition on the status, so two workers never both take it)."""

    __tablename__ = "mailing_deliveries"
    __table_args__ = (
        UniqueConstraint("mailing_id", "person_id"),
        one_of("status", DELIVERY_STATUSES),
        Index("ix_mailing_deliveries_mailing_id_status", "mailing_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailings.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"),
                                                        index=True)  # fmt: skip
    # As they were when it was sent: the audience as sent stays readable if people change.
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="queued")
    reason: Mapped[str | None] = mapped_column(String(20))  # EXCLUSION_REASONS, or why it failed
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    mailing: Mapped[Mailing] = relationship()
