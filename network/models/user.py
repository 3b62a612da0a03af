"""Logins, their scope, API tokens, in-app notices and saved searches."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, Column, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.models.base import Base, Timestamped, UTCDateTime, Versioned, one_of, utcnow
from network.models.network import Network
from network.models.organization import Organization

ROLES = ("admin", "coordinator", "member", "viewer")
TOKEN_SCOPES = ("read", "read-write")

# The network nodes a coordinator manages (and everything below them).
user_networks = Table(
    "user_networks",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("network_id", ForeignKey("networks.id"), primary_key=True, index=True),
)


class User(UserMixin, Versioned, Timestamped, Base):
    __tablename__ = "users"
    __table_args__ = (
        one_of("role", ROLES),
        CheckConstraint("role <> 'member' OR organization_id IS NOT NULL", name="member_has_organization"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12), default="viewer")
    # The organisation a member speaks for.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Changing it logs out every session (password change, deactivation).
    session_token: Mapped[str | None] = mapped_column(String(64))

    organization: Mapped[Organization | None] = relationship()
    networks: Mapped[list[Network]] = relationship(secondary=user_networks, order_by=Network.path)

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token or ''}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(Timestamped, Base):
    """A personal API token; only its hash is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (one_of("scope", TOKEN_SCOPES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    scope: Mapped[str] = mapped_column(String(12), default="read")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Notification(Base):
    """A notice: its kind and parameters, put into words in the reader's language when shown
    (NOTICES in network.services.notifications). Notices from before kinds existed keep their English message."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The notices page reads a user's newest first from a cursor; the badge counts the unread ones.
        Index("ix_notifications_user_id", "user_id", "created_at", "id"),
        Index("ix_notifications_unread", "user_id", "id", sqlite_where=text("read_at IS NULL"),
              postgresql_where=text("read_at IS NULL")),
        # send-digests reads only the notices waiting for a digest.
        Index("ix_notifications_digest", "user_id", "id", sqlite_where=text("digest = 'pending'"),
              postgresql_where=text("digest = 'pending'")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str | None] = mapped_column(String(40))
    params: Mapped[dict | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(String(500))
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "pending" while it waits for its user's daily digest, "sent" once a digest carried it.
    digest: Mapped[str | None] = mapped_column(String(8))


class SavedSearch(Timestamped, Base):
    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # The directory's query string, e.g. "q=solar&region=142&theme=energy-transition".
    query: Mapped[str] = mapped_column(Text)
    # Random token for the shareable link.
    share_token: Mapped[str] = mapped_column(String(32), unique=True)


class UsedToken(Base):
    """Single-use links (invitations, password resets) record their nonce here once used."""

    __tablename__ = "used_tokens"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
