"""Joint initiatives that coordinators assemble from organisations and firms."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.models.base import Archivable, Base, Timestamped, UTCDateTime, Versioned, one_of, utcnow
from network.models.geography import Region, Theme
from network.models.network import Network
from network.models.organization import Organization
from network.models.project import Project

INITIATIVE_STATUSES = ("proposed", "active", "closed")
PARTICIPANT_ROLES = ("lead", "partner", "funder", "technical", "observer")
INVITATION_STATUSES = ("invited", "accepted", "declined", "left", "removed")
ACTIVITY_KINDS = ("note", "meeting", "call", "decision")
# A project a member links is "proposed" until a coordinator of the initiative confirms it.
PROJECT_LINK_STATUSES = ("proposed", "confirmed")

initiative_themes = Table(
    "initiative_themes",
    Base.metadata,
    Column("initiative_id", ForeignKey("initiatives.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id"), primary_key=True, index=True),
)

# Countries or whole regions of the M49 tree.
initiative_regions = Table(
    "initiative_regions",
    Base.metadata,
    Column("initiative_id", ForeignKey("initiatives.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id"), primary_key=True, index=True),
)


class Initiative(Versioned, Timestamped, Archivable, Base):
    __tablename__ = "initiatives"
    __table_args__ = (
        one_of("status", INITIATIVE_STATUSES),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint("target_tco2e IS NULL OR target_tco2e >= 0", name="target_tco2e_not_negative"),
        CheckConstraint("target_people IS NULL OR target_people >= 0", name="target_people_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    title_local: Mapped[str | None] = mapped_column(String(300))
    goal: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="proposed", index=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    target_tco2e: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    target_people: Mapped[int | None] = mapped_column(Integer)
    # The node whose coordinators convened it.
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    network: Mapped[Network | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=initiative_themes, order_by=Theme.position)
    regions: Mapped[list[Region]] = relationship(secondary=initiative_regions, order_by=Region.name)
    targets: Mapped[list["InitiativeTarget"]] = relationship(
        back_populates="initiative", cascade="all, delete-orphan", order_by="InitiativeTarget.id"
    )
    participants: Mapped[list["Participant"]] = relationship(back_populates="initiative", order_by="Participant.id")
    project_links: Mapped[list["InitiativeProject"]] = relationship(back_populates="initiative")


class InitiativeTarget(Base):
    """A custom numeric target with a unit (trucks retrofitted, hectares restored, …)."""

    __tablename__ = "initiative_targets"
    __table_args__ = (CheckConstraint("value >= 0", name="value_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    value: Mapped[Decimal] = mapped_column(Numeric(16, 3))
    achieved: Mapped[Decimal | None] = mapped_column(Numeric(16, 3))

    initiative: Mapped[Initiative] = relationship(back_populates="targets")


class Participant(Versioned, Timestamped, Base):
    """An organisation's place in an initiative; adding one invites it."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("initiative_id", "organization_id"),
        one_of("role", PARTICIPANT_ROLES),
        one_of("invitation_status", INVITATION_STATUSES),
        CheckConstraint("share IS NULL OR (share >= 0 AND share <= 100)", name="share_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="partner")
    invitation_status: Mapped[str] = mapped_column(String(10), default="invited", index=True)
    # Credited share of the initiative's outcomes in percent; None means the default split.
    share: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # An organisation without user accounts: a coordinator records its answer, and how it was given.
    answer_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answer_how: Mapped[str | None] = mapped_column(String(300))

    initiative: Mapped[Initiative] = relationship(back_populates="participants")
    answer_recorded_by: Mapped["User | None"] = relationship(foreign_keys=[answer_recorded_by_id])  # noqa: F821
    organization: Mapped[Organization] = relationship()


class InitiativeProject(Base):
    """A participant's project linked to an initiative; its outcomes count towards it."""

    __tablename__ = "initiative_projects"
    __table_args__ = (UniqueConstraint("initiative_id", "project_id"), one_of("status", PROJECT_LINK_STATUSES))

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="confirmed", server_default="confirmed")
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_confirmed(self) -> bool:
        return self.status == "confirmed"

    initiative: Mapped[Initiative] = relationship(back_populates="project_links")
    project: Mapped[Project] = relationship()


class Activity(Timestamped, Archivable, Base):
    """A note, meeting, call or decision recorded against an initiative or an organisation."""

    __tablename__ = "activities"
    __table_args__ = (
        one_of("kind", ACTIVITY_KINDS),
        CheckConstraint("initiative_id IS NOT NULL OR organization_id IS NOT NULL", name="has_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="note")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiatives.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    # A note the system wrote (e.g. a mailing sent): {"message": ..., values} to show it in the reader's
    # language (services/activities.subject_of); subject holds it in the site's default language.
    params: Mapped[dict | None] = mapped_column(JSON)
