"""Projects of organisations, the organisations taking part, and their outcome reports."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
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
from network.models.organization import Organization

PROJECT_STATUSES = ("planned", "active", "completed", "cancelled")
PROJECT_ROLES = ("lead", "partner", "funder", "implementer", "technical")
OUTCOME_BASES = ("estimated", "verified")
# Where an outcome report stands with its verifier: only "verified" makes its basis verified.
OUTCOME_REVIEW_STATUSES = ("draft", "submitted", "verified", "returned")
# A firm or NGO named on someone else's project: "proposed" until it (or a coordinator) confirms.
PROJECT_PARTICIPANT_STATUSES = ("proposed", "confirmed")
PARTNERSHIP_KINDS = ("funding", "technical", "implementation", "in_kind", "advocacy")
PARTNERSHIP_STATUSES = ("proposed", "active", "ended")

project_countries = Table(
    "project_countries",
    Base.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id"), primary_key=True, index=True),
)

project_themes = Table(
    "project_themes",
    Base.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id"), primary_key=True, index=True),
)


class Project(Versioned, Timestamped, Archivable, Base):
    __tablename__ = "projects"
    __table_args__ = (
        one_of("status", PROJECT_STATUSES),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget_not_negative"),
        CheckConstraint("budget IS NULL OR currency IS NOT NULL", name="budget_has_currency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    title_local: Mapped[str | None] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    budget: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str | None] = mapped_column(String(3))

    lead_organization: Mapped[Organization] = relationship()
    countries: Mapped[list[Region]] = relationship(secondary=project_countries, order_by=Region.name)
    themes: Mapped[list[Theme]] = relationship(secondary=project_themes, order_by=Theme.position)
    participants: Mapped[list["ProjectParticipant"]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )
    outcome_reports: Mapped[list["OutcomeReport"]] = relationship(
        back_populates="project", order_by="OutcomeReport.period_start"
    )


class ProjectParticipant(Base):
    __tablename__ = "project_participants"
    __table_args__ = (
        UniqueConstraint("project_id", "organization_id"),
        one_of("role", PROJECT_ROLES),
        one_of("status", PROJECT_PARTICIPANT_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[str] = mapped_column(String(12), default="partner")
    status: Mapped[str] = mapped_column(String(10), default="confirmed", server_default="confirmed")
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_confirmed(self) -> bool:
        return self.status == "confirmed"

    project: Mapped[Project] = relationship(back_populates="participants")
    organization: Mapped[Organization] = relationship()


class OutcomeReport(Versioned, Timestamped, Archivable, Base):
    __tablename__ = "outcome_reports"
    __table_args__ = (
        one_of("basis", OUTCOME_BASES),
        one_of("review_status", OUTCOME_REVIEW_STATUSES),
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("tco2e_reduced IS NULL OR tco2e_reduced >= 0", name="tco2e_not_negative"),
        CheckConstraint("people_reached IS NULL OR people_reached >= 0", name="people_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    tco2e_reduced: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    basis: Mapped[str] = mapped_column(String(10), default="estimated")
    method: Mapped[str | None] = mapped_column(String(300))
    people_reached: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    review_status: Mapped[str] = mapped_column(String(10), default="draft", server_default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who verified it or sent it back, when, and what they said.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="outcome_reports")
    reviewed_by: Mapped["User | None"] = relationship(foreign_keys=[reviewed_by_id])  # noqa: F821
    evidence: Mapped[list["OutcomeEvidence"]] = relationship(
        back_populates="report", order_by="OutcomeEvidence.id", cascade="all, delete-orphan"
    )


class OutcomeEvidence(Base):
    """A file backing an outcome report (a meter reading, an invoice, a certificate). The bytes are
    kept on disk under a random name (EVIDENCE_DIR); only this row knows the name it was uploaded as."""

    __tablename__ = "outcome_evidence"
    __table_args__ = (CheckConstraint("size >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("outcome_reports.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    report: Mapped[OutcomeReport] = relationship(back_populates="evidence")


class Partnership(Versioned, Timestamped, Archivable, Base):
    """A standing relation between two organisations, typically an NGO and a firm."""

    __tablename__ = "partnerships"
    __table_args__ = (
        one_of("kind", PARTNERSHIP_KINDS),
        one_of("status", PARTNERSHIP_STATUSES),
        CheckConstraint("org_a_id <> org_b_id", name="two_organizations"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="end_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_a_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    org_b_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(10), default="active")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)

    org_a: Mapped[Organization] = relationship(foreign_keys=[org_a_id])
    org_b: Mapped[Organization] = relationship(foreign_keys=[org_b_id])

    def other(self, organization: Organization) -> Organization:
        return self.org_b if organization.id == self.org_a_id else self.org_a
