"""Organisations (NGOs and companies alike), their memberships of network nodes, and people."""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.models.base import Archivable, Base, Timestamped, UTCDateTime, Versioned, one_of, utcnow
from network.models.geography import Region, Theme
from network.models.network import Network

ORGANIZATION_KINDS = (
    "ngo", "cbo", "think_tank", "network", "academic", "foundation", "faith", "youth", "women",
    "indigenous", "trade_union", "cooperative", "company", "government", "other",
)  # fmt: skip
MEMBERSHIP_STATUSES = ("applicant", "active", "suspended", "lapsed")

organization_countries = Table(
    "organization_countries",
    Base.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id"), primary_key=True, index=True),
)

organization_themes = Table(
    "organization_themes",
    Base.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id"), primary_key=True, index=True),
)


class Organization(Versioned, Timestamped, Archivable, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        one_of("kind", ORGANIZATION_KINDS),
        CheckConstraint("founded IS NULL OR (founded >= 1000 AND founded <= 2100)", name="founded_range"),
        Index("ix_organizations_kind_name", "kind", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    name_local: Mapped[str | None] = mapped_column(String(300))
    acronym: Mapped[str | None] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="ngo")
    hq_country_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    website: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    founded: Mapped[int | None] = mapped_column(Integer, index=True)
    # Set when a duplicate was merged into another record; its page redirects there.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)

    hq_country: Mapped[Region | None] = relationship(foreign_keys=[hq_country_id])
    countries: Mapped[list[Region]] = relationship(secondary=organization_countries, order_by=Region.name)
    themes: Mapped[list[Theme]] = relationship(secondary=organization_themes, order_by=Theme.position)
    identifiers: Mapped[list["OrganizationIdentifier"]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )
    memberships: Mapped[list["Membership"]] = relationship(back_populates="organization")
    people: Mapped[list["Person"]] = relationship(back_populates="organization", order_by="Person.name")

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"


def identifier_scheme(value: str) -> str:
    """The org-id.guide list of an identifier: "GB-CHC-123456" -> "GB-CHC"."""
    return "-".join(value.split("-")[:2])


class OrganizationIdentifier(Base):
    """An org-id.guide style identifier such as GB-CHC-1000003 or CN-USCC-91110000…"""

    __tablename__ = "organization_identifiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(120), unique=True)

    organization: Mapped[Organization] = relationship(back_populates="identifiers")

    @property
    def scheme(self) -> str:
        return identifier_scheme(self.value)


class NotDuplicate(Base):
    """Two organisations a coordinator looked at and found distinct: the duplicates queue skips
    the pair (kept as lower id, higher id, so a pair has one row)."""

    __tablename__ = "not_duplicates"
    __table_args__ = (CheckConstraint("first_id < second_id", name="ordered"),)

    first_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    second_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)  # fmt: skip
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Membership(Versioned, Timestamped, Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organization_id", "network_id"),
        one_of("status", MEMBERSHIP_STATUSES),
        CheckConstraint("left_on IS NULL OR joined_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    joined_on: Mapped[date | None] = mapped_column(Date)
    # Indexed: the start page and the top bar count memberships ending soon on every page.
    left_on: Mapped[date | None] = mapped_column(Date, index=True)

    organization: Mapped[Organization] = relationship(back_populates="memberships")
    network: Mapped[Network] = relationship()


class Person(Versioned, Timestamped, Archivable, Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(200))
    consent_to_list: Mapped[bool] = mapped_column(Boolean, default=False)
    # Mailings (network/services/mailings): only people who agreed get network mail, in their
    # language (a code of LANGUAGES; none: the mailing's default); an unsubscribe or a bounce stops it.
    mail_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    language: Mapped[str | None] = mapped_column(String(8))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship(back_populates="people")
