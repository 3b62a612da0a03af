"""Who changed what, moderated profile changes and import jobs."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.models.base import Base, Timestamped, UTCDateTime, Versioned, one_of, utcnow
from network.models.organization import Organization
from network.models.user import User

CHANGE_REQUEST_STATUSES = ("pending", "approved", "rejected", "withdrawn")
IMPORT_STATUSES = ("uploaded", "previewed", "running", "committed", "failed", "undone")


# Changes to these tables may appear on the public home page; contacts, users, tokens and the
# moderation queue never do.
PUBLIC_ENTITY_TYPES = (
    "organizations", "organization_identifiers", "memberships", "projects", "project_participants",
    "outcome_reports", "partnerships", "initiatives", "participants", "initiative_projects",
)  # fmt: skip
# The condition, as literal SQL: a partial index serves a query whose WHERE repeats it word for
# word (SQLite cannot prove that bound parameters imply it).
PUBLIC_CHANGE = "entity_type IN (" + ", ".join(f"'{t}'" for t in PUBLIC_ENTITY_TYPES) + ")"


class AuditEvent(Base):
    """Written by the session hook in network.services.audit for every change."""

    __tablename__ = "audit_events"
    # Every page of the trail reads one of these in (at, id) order from its cursor and stops
    # (network.paging): a record's History the entity one, the audit log's filters the others.
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id", "at", "id"),
        Index("ix_audit_events_at", "at", "id"),
        Index("ix_audit_events_actor_id", "actor_id", "at", "id"),
        Index("ix_audit_events_type_at", "entity_type", "at", "id"),
        Index("ix_audit_events_action_at", "action", "at", "id"),
        # The newest public changes (the home page) read this backwards and stop after the limit,
        # however long the audit log and however many private changes it holds.
        Index(
            "ix_audit_events_public",
            "id",
            sqlite_where=text(PUBLIC_CHANGE),
            postgresql_where=text(PUBLIC_CHANGE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    # {"field": [old, new], …}
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


class ChangeRequest(Versioned, Timestamped, Base):
    """A member's proposed change to its organisation's core profile, awaiting a coordinator."""

    __tablename__ = "change_requests"
    __table_args__ = (one_of("status", CHANGE_REQUEST_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # {"field": [value when proposed, proposed value], …}
    changes: Mapped[dict] = mapped_column(JSON)
    base_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship()
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])


class ImportJob(Timestamped, Base):
    """One import of a spreadsheet: its progress, counts, errors, and what it created."""

    __tablename__ = "import_jobs"
    # The import log pages a user's jobs newest first from a cursor (their user_id, id); the count
    # of unfinished imports (a badge on every page) reads only those, whatever the log's length.
    __table_args__ = (
        one_of("status", IMPORT_STATUSES),
        Index("ix_import_jobs_user_id", "user_id", "id"),
        Index("ix_import_jobs_status", "status", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default="uploaded")
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    # {"new": n, "updated": n, "duplicate": n, "invalid": n, "skipped": n}
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    # Preview details, decisions and what was written (ids and versions, for undo).
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
