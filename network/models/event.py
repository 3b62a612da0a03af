"""Events: side events at the COPs, network meetings, workshops and webinars, with their co-hosts,
agenda, speakers, registrations, invitations and follow-up notes.

Times are stored in UTC (``UTCDateTime``) beside the event's IANA time zone name, so an event is
shown in its own zone and in the reader's.
"""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.models.base import Archivable, Base, Timestamped, UTCDateTime, Versioned, one_of, utcnow
from network.models.geography import Region, Theme
from network.models.initiative import Initiative
from network.models.network import Network
from network.models.organization import Organization, Person

EVENT_KINDS = ("side_event", "conference_session", "network_meeting", "workshop", "webinar")
EVENT_STATUSES = ("planned", "open", "full", "held", "cancelled")
HOST_ROLES = ("host", "co_host", "sponsor", "partner")
# registered: has a seat; waitlisted: waits for one (in the order they came); cancelled: gave it up.
REGISTRATION_STATUSES = ("registered", "waitlisted", "cancelled")
NOTE_KINDS = ("note", "decision", "action")

event_themes = Table(
    "event_themes",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id"), primary_key=True, index=True),
)

event_initiatives = Table(
    "event_initiatives",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("initiative_id", ForeignKey("initiatives.id"), primary_key=True, index=True),
)


class Event(Versioned, Timestamped, Archivable, Base):
    __tablename__ = "events"
    __table_args__ = (
        one_of("kind", EVENT_KINDS),
        one_of("status", EVENT_STATUSES),
        CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    title_local: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="side_event")
    status: Mapped[str] = mapped_column(String(10), default="planned", index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")  # IANA name, e.g. "Asia/Baku"
    venue: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(120))
    country_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    online_url: Mapped[str | None] = mapped_column(String(300))
    capacity: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    # The node whose coordinators convene and manage it.
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    network: Mapped[Network | None] = relationship()
    country: Mapped[Region | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=event_themes, order_by=Theme.position)
    initiatives: Mapped[list[Initiative]] = relationship(secondary=event_initiatives, order_by=Initiative.title)
    hosts: Mapped[list["EventHost"]] = relationship(back_populates="event", order_by="EventHost.id")
    agenda: Mapped[list["AgendaItem"]] = relationship(
        back_populates="event", order_by=lambda: (AgendaItem.starts_at, AgendaItem.id)
    )
    registrations: Mapped[list["Registration"]] = relationship(
        back_populates="event", order_by="Registration.id", viewonly=True
    )


class EventHost(Timestamped, Base):
    """An organisation of any kind (NGO, firm, UN body) hosting, co-hosting, sponsoring or partnering."""

    __tablename__ = "event_hosts"
    __table_args__ = (UniqueConstraint("event_id", "organization_id"), one_of("role", HOST_ROLES))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="co_host")

    event: Mapped[Event] = relationship(back_populates="hosts")
    organization: Mapped[Organization] = relationship()


class AgendaItem(Timestamped, Base):
    __tablename__ = "agenda_items"
    __table_args__ = (CheckConstraint("ends_at IS NULL OR ends_at >= starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)

    event: Mapped[Event] = relationship(back_populates="agenda")
    speakers: Mapped[list["Speaker"]] = relationship(
        back_populates="agenda_item", order_by="Speaker.id", cascade="all, delete-orphan"
    )


class Speaker(Base):
    """A person of any organisation; one from outside the directory is entered by name and
    organisation and may be linked to a Person (and an Organisation) later."""

    __tablename__ = "speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    organization_name: Mapped[str | None] = mapped_column(String(300))

    agenda_item: Mapped[AgendaItem] = relationship(back_populates="speakers")
    person: Mapped[Person | None] = relationship()
    organization: Mapped[Organization | None] = relationship()

    @property
    def affiliation(self) -> str | None:
        return self.organization.name if self.organization is not None else self.organization_name


class Registration(Versioned, Timestamped, Base):
    """Someone's place at an event: a user who registered, or a person registered by an organiser
    (by hand, an import or a signed invitation link). Dietary and accessibility answers are private
    to the organisers (permissions.PRIVATE_FIELDS)."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("event_id", "email"), one_of("status", REGISTRATION_STATUSES))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    organization_name: Mapped[str | None] = mapped_column(String(300))
    locale: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="registered", index=True)
    # The waitlist's order: when the place was asked for (a re-registration queues again).
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dietary: Mapped[str | None] = mapped_column(String(500))
    accessibility: Mapped[str | None] = mapped_column(String(500))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    event: Mapped[Event] = relationship()
    organization: Mapped[Organization | None] = relationship()
    user: Mapped["User | None"] = relationship(foreign_keys=[user_id])  # noqa: F821

    @property
    def affiliation(self) -> str | None:
        return self.organization.name if self.organization is not None else self.organization_name

    @property
    def attended(self) -> bool:
        return self.attended_at is not None


class EventInvitation(Timestamped, Base):
    """A person invited by mail (one per person and event); the reminder goes out once."""

    __tablename__ = "event_invitations"
    __table_args__ = (UniqueConstraint("event_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(10))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    person: Mapped[Person | None] = relationship()


class EventNote(Timestamped, Archivable, Base):
    """After the event: a note, a decision or a follow-up action (copied to the linked initiatives'
    activity logs when it is recorded)."""

    __tablename__ = "event_notes"
    __table_args__ = (one_of("kind", NOTE_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="note")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    event: Mapped[Event] = relationship()
