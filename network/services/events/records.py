"""Events as records: find them, create and edit them (archived through network.services.archiving),
their co-hosts, agenda items and speakers, and the notes taken after them."""

import functools
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import selectinload

from network import permissions
from network.extensions import db
from network.models import (
    Activity,
    AgendaItem,
    Event,
    EventHost,
    EventNote,
    Initiative,
    Network,
    Organization,
    Person,
    Registration,
    Speaker,
)
from network.models.event import EVENT_KINDS, EVENT_STATUSES, HOST_ROLES, NOTE_KINDS
from network.services import NotFound, ValidationError, lookups, networks, operation
from network.services.cleaning import Cleaner, is_empty, plain_value, regions_by_code, themes_by_slug
from network.services.organizations import check_version
from network.slugs import unique_slug

MAX_INT = 2_147_483_647


# ------------------------------------------------------------------------------------------ times


@functools.cache
def time_zones() -> tuple[str, ...]:
    """The IANA zone names a form offers (the system's tz database, or the tzdata package)."""
    return tuple(sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))) + (
        "UTC",
    )


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def valid_zone(name) -> bool:
    if not isinstance(name, str) or not name or len(name) > 64 or not re.fullmatch(r"[A-Za-z0-9_+\-/]+", name):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_time(value, zone_name: str) -> datetime | None:
    """A moment from a datetime or an ISO text ("2026-11-12T13:15", with or without an offset); a
    time without an offset is read in ``zone_name``. None when it is not a time."""
    if isinstance(value, datetime):
        moment = value
        if not 1900 <= moment.year <= 2200:
            return None
    elif isinstance(value, str):
        text = value.strip().replace(" ", "T", 1)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if not 1900 <= moment.year <= 2200:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(zone_name))
    return moment.astimezone(UTC).replace(microsecond=0)


def local(moment: datetime | None, zone_name: str) -> datetime | None:
    return moment.astimezone(zone(zone_name)) if moment is not None else None


def local_input(moment: datetime | None, zone_name: str) -> str:
    """The moment as a form's datetime-local value in the event's zone."""
    return local(moment, zone_name).strftime("%Y-%m-%dT%H:%M") if moment is not None else ""


def utc_offset(moment: datetime, zone_name: str) -> str:
    """ "UTC+04:00" of the zone at that moment."""
    offset = local(moment, zone_name).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# ---------------------------------------------------------------------------------------- reading


def find_event(slug: str) -> Event:
    """The event with its hosts, agenda, speakers, themes and initiatives loaded."""
    event = db.session.scalar(
        select(Event)
        .where(Event.slug == str(slug)[:200])
        .options(
            selectinload(Event.hosts).selectinload(EventHost.organization),
            selectinload(Event.agenda).selectinload(AgendaItem.speakers).selectinload(Speaker.organization),
            selectinload(Event.themes),
            selectinload(Event.initiatives),
            selectinload(Event.network),
            selectinload(Event.country),
        )
    )
    if event is None:
        raise NotFound(_("No such event."))
    return event


def visible_event(actor, ref: str) -> Event:
    """The event with this id or slug, for those who may see it (NotFound first)."""
    event = lookups.by_ref(Event, str(ref))
    if event is None:
        raise NotFound(_("No such event."))
    permissions.require(actor, "event.view", event)
    return event


def networks_to_convene(actor) -> list[Network]:
    if not permissions.can(actor, "event.create", None):
        return []
    nodes = select(Network).where(Network.archived_at.is_(None), permissions.in_network_scope(actor, Network.path))
    return list(db.session.scalars(nodes.order_by(Network.path)))


def initiative_choices() -> list[Initiative]:
    return list(
        db.session.scalars(select(Initiative).where(Initiative.archived_at.is_(None)).order_by(Initiative.title))
    )


def seats_taken(event: Event) -> int:
    return db.session.scalar(
        select(func.count()).where(Registration.event_id == event.id, Registration.status == "registered")
    )


def waitlist_length(event: Event) -> int:
    return db.session.scalar(
        select(func.count()).where(Registration.event_id == event.id, Registration.status == "waitlisted")
    )


# Events an organisation hosted or attended (attendance marked): rows of what its page lists (slug,
# titles, start, zone), not Event objects; built once (building it cost more than running it).
_ORGANIZATION_EVENTS = (
    select(Event.slug, Event.title, Event.title_local, Event.starts_at, Event.timezone)
    .where(
        Event.archived_at.is_(None),
        Event.status != "cancelled",
        Event.id.in_(
            select(Registration.event_id)
            .where(Registration.organization_id == bindparam("org"), Registration.attended_at.is_not(None))
            .union(select(EventHost.event_id).where(EventHost.organization_id == bindparam("org")))
        ),
    )
    .order_by(Event.starts_at.desc())
)


def events_of_organization(organization: Organization) -> dict:
    """{"count": events it hosted or attended (not archived, not cancelled), "events": the latest ten},
    in one query (an organisation takes part in tens of events, not thousands)."""
    events = db.session.execute(_ORGANIZATION_EVENTS, {"org": organization.id}).all()
    return {"count": len(events), "events": events[:10]}


def event_counts(organization_ids: list[int]) -> dict[int, int]:
    """{organisation id: events it took part in (hosted, or attended by its people)} in two queries."""
    if not organization_ids:
        return {}
    live = select(Event.id).where(Event.archived_at.is_(None), Event.status != "cancelled")
    pairs: set[tuple[int, int]] = set()
    pairs.update(db.session.execute(
        select(EventHost.organization_id, EventHost.event_id)
        .where(EventHost.organization_id.in_(organization_ids), EventHost.event_id.in_(live))
    ).tuples())  # fmt: skip
    pairs.update(db.session.execute(
        select(Registration.organization_id, Registration.event_id)
        .where(Registration.organization_id.in_(organization_ids), Registration.attended_at.is_not(None),
               Registration.event_id.in_(live))
    ).tuples())  # fmt: skip
    counts: dict[int, int] = {}
    for org_id, _event_id in pairs:
        counts[org_id] = counts.get(org_id, 0) + 1
    return counts


# ------------------------------------------------------------------------------ creating, editing

EVENT_FIELDS = ("title", "title_local", "kind", "status", "starts_at", "ends_at", "timezone", "venue", "city",
                "country", "online_url", "capacity", "description", "themes", "initiatives")  # fmt: skip


def validate_event(data: dict, *, existing: Event | None = None) -> dict:
    """Clean and check event values: all fields when creating, those given when updating. Times
    without an offset are read in the event's time zone."""
    c = Cleaner({k: v for k, v in data.items() if k in EVENT_FIELDS}, partial=existing is not None)
    for key in sorted(set(data) - set(EVENT_FIELDS)):
        c.error(key, _("Unknown field."))
    c.text("title", max_length=300, required=True)
    c.text("title_local", max_length=300)
    if existing is None and is_empty(data.get("kind")):
        c.cleaned["kind"] = "side_event"
    else:
        c.choice("kind", EVENT_KINDS, required=True)
    if existing is None and is_empty(data.get("status")):
        c.cleaned["status"] = "planned"
    else:
        c.choice("status", EVENT_STATUSES, required=True)
    if c.wanted("timezone"):
        name = c.raw("timezone")
        if is_empty(name):
            c.cleaned["timezone"] = "UTC"
        elif not valid_zone(name):
            c.error("timezone", _("Not a known time zone (such as Europe/Berlin or Asia/Shanghai)."))
        else:
            c.cleaned["timezone"] = name
    zone_name = c.cleaned.get("timezone") or (existing.timezone if existing is not None else "UTC")
    for key in ("starts_at", "ends_at"):
        if not c.wanted(key) or c.missing(key, True):
            continue
        moment = parse_time(c.raw(key), zone_name)
        if moment is None:
            c.error(key, _("Not a valid date and time (such as 2026-11-12 13:15)."))
        else:
            c.cleaned[key] = moment
    start = c.cleaned.get("starts_at", existing.starts_at if existing is not None else None)
    end = c.cleaned.get("ends_at", existing.ends_at if existing is not None else None)
    if start and end and end < start and "ends_at" not in c.errors:
        c.error("ends_at", _("The end must not be before the start."))
    c.text("venue", max_length=300)
    c.text("city", max_length=120)
    c.country("country")
    c.url("online_url")
    c.integer("capacity", minimum=0, maximum=100_000)
    c.text("description", max_length=20_000, multiline=True)
    c.themes("themes")
    if c.wanted("initiatives"):
        refs = [str(r) for r in (c.raw("initiatives") or []) if not is_empty(r)]
        if isinstance(c.raw("initiatives"), str):
            refs = [r.strip() for r in c.raw("initiatives").split(",") if r.strip()]
        found = [lookups.by_ref(Initiative, r) for r in refs]
        if any(i is None for i in found):
            c.error("initiatives", _("No such initiative."))
        else:
            c.cleaned["initiatives"] = sorted({i.slug for i in found})
    return c.done()


def event_values(event: Event, fields=EVENT_FIELDS) -> dict:
    values = {}
    for key in fields:
        if key == "initiatives":
            values[key] = sorted(i.slug for i in event.initiatives)
        elif key in ("starts_at", "ends_at"):
            moment = getattr(event, key)
            values[key] = moment.isoformat() if moment else None
        else:
            values[key] = plain_value(getattr(event, key))
    return values


def plain_submitted(cleaned: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else plain_value(v) for k, v in cleaned.items()}


def assign_event(event: Event, cleaned: dict) -> None:
    with db.session.no_autoflush:
        for key, value in cleaned.items():
            if key == "themes":
                event.themes = themes_by_slug(value)
            elif key == "country":
                event.country = regions_by_code([value])[0] if value else None
            elif key == "initiatives":
                event.initiatives = list(
                    db.session.scalars(select(Initiative).where(Initiative.slug.in_(value)))
                ) if value else []  # fmt: skip
            else:
                setattr(event, key, value)


@operation
def create_event(actor, data: dict) -> Event:
    """A new event convened by ``data["network"]`` (a node id; a coordinator's own by default)."""
    network = networks.convening_node(actor, data.get("network"))
    permissions.require(actor, "event.create", network)
    cleaned = validate_event({k: v for k, v in data.items() if k != "network"})
    event = Event(slug=unique_slug(Event.slug, cleaned["title"], fallback="event"), network=network,
                  created_by_id=getattr(actor, "id", None))  # fmt: skip
    assign_event(event, cleaned)
    db.session.add(event)
    return event


@operation
def update_event(actor, event: Event, data: dict, expected_version) -> Event:
    """Change the fields given; a larger capacity lets the waitlist move up."""
    permissions.require(actor, "event.update", event)
    if "network" in data:
        raise ValidationError({"network": [_("The convening node cannot be changed.")]})
    cleaned = validate_event(data, existing=event)
    check_version(event, expected_version, event_values(event, cleaned), plain_submitted(cleaned))
    assign_event(event, cleaned)
    if "capacity" in cleaned:
        from network.services.events.registrations import move_up

        db.session.flush()
        move_up(event)
    return event


# ----------------------------------------------------------------------------------------- hosts


@operation
def add_host(actor, event: Event, organization: Organization, role: str) -> EventHost:
    permissions.require(actor, "event.update", event)
    if role not in HOST_ROLES:
        raise ValidationError({"role": [_("Choose a role.")]})
    if any(h.organization_id == organization.id for h in event.hosts):
        raise ValidationError({"organization": [_("%(org)s already hosts this event.", org=organization.name)]})
    host = EventHost(event=event, organization=organization, role=role)
    db.session.add(host)
    return host


@operation
def remove_host(actor, event: Event, host_id: int) -> None:
    permissions.require(actor, "event.update", event)
    host = next((h for h in event.hosts if h.id == host_id), None)
    if host is None:
        raise NotFound(_("No such host."))
    event.hosts.remove(host)
    db.session.delete(host)


# ---------------------------------------------------------------------------------------- agenda


def validate_agenda_item(event: Event, data: dict) -> dict:
    c = Cleaner({k: data.get(k) for k in ("title", "starts_at", "ends_at", "description")})
    c.text("title", max_length=300, required=True)
    c.text("description", max_length=5000, multiline=True)
    for key, required in (("starts_at", True), ("ends_at", False)):
        if c.missing(key, required):
            continue
        moment = parse_time(c.raw(key), event.timezone)
        if moment is None:
            c.error(key, _("Not a valid date and time (such as 2026-11-12 13:15)."))
        else:
            c.cleaned[key] = moment
    if c.cleaned.get("ends_at") and c.cleaned.get("starts_at") and c.cleaned["ends_at"] < c.cleaned["starts_at"]:
        c.error("ends_at", _("The end must not be before the start."))
    return c.done()


@operation
def add_agenda_item(actor, event: Event, data: dict) -> AgendaItem:
    """An agenda item; ``data["speakers"]`` may list speakers to add with it (see add_speaker)."""
    permissions.require(actor, "event.edit_agenda", event)
    item = AgendaItem(event=event, **validate_agenda_item(event, data))
    db.session.add(item)
    for speaker in data.get("speakers") or []:
        item.speakers.append(_speaker(speaker if isinstance(speaker, dict) else {}))
    return item


def find_agenda_item(event: Event, item_id) -> AgendaItem:
    item = next((i for i in event.agenda if i.id == item_id), None)
    if item is None:
        raise NotFound(_("No such agenda item."))
    return item


@operation
def remove_agenda_item(actor, event: Event, item: AgendaItem) -> None:
    permissions.require(actor, "event.edit_agenda", event)
    event.agenda.remove(item)
    db.session.delete(item)


def _speaker(data: dict) -> Speaker:
    """A speaker: a person of the directory (``person``: an id), or a name with an organisation
    of the directory (``organization``: id or slug) or only its name (``organization_name``)."""
    person = None
    if not is_empty(data.get("person")):
        person = lookups.by_id(Person, int(data["person"])) if str(data["person"]).isdigit() and len(
            str(data["person"])) < 11 else None  # fmt: skip
        if person is None:
            raise ValidationError({"person": [_("No such person.")]})
    c = Cleaner({k: data.get(k) for k in ("name", "organization", "organization_name")})
    if person is None:
        c.text("name", max_length=200, required=True)
    c.organization("organization")
    c.text("organization_name", max_length=300)
    cleaned = c.done()
    org = cleaned.get("organization") or (person.organization if person is not None else None)
    return Speaker(person=person, name=person.name if person is not None else cleaned["name"], organization=org,
                   organization_name=None if org is not None else cleaned.get("organization_name"))  # fmt: skip


@operation
def add_speaker(actor, event: Event, item: AgendaItem, data: dict) -> Speaker:
    permissions.require(actor, "event.edit_agenda", event)
    speaker = _speaker(data)
    item.speakers.append(speaker)
    return speaker


@operation
def link_speaker(actor, event: Event, speaker: Speaker, person: Person) -> Speaker:
    """A speaker entered by name, now linked to the person in the directory."""
    permissions.require(actor, "event.edit_agenda", event)
    speaker.person, speaker.name = person, person.name
    speaker.organization, speaker.organization_name = person.organization, None
    return speaker


@operation
def remove_speaker(actor, event: Event, item: AgendaItem, speaker_id: int) -> None:
    permissions.require(actor, "event.edit_agenda", event)
    speaker = next((s for s in item.speakers if s.id == speaker_id), None)
    if speaker is None:
        raise NotFound(_("No such speaker."))
    item.speakers.remove(speaker)


def people_choices(event: Event) -> list[Person]:
    """People of the hosts (the speakers one usually picks), listed first in the speaker form."""
    ids = [h.organization_id for h in event.hosts]
    if not ids:
        return []
    return list(db.session.scalars(
        select(Person).where(Person.organization_id.in_(ids), Person.archived_at.is_(None))
        .options(selectinload(Person.organization)).order_by(Person.name).limit(300)
    ))  # fmt: skip


# --------------------------------------------------------------------------- after the event: notes

NOTE_ACTIVITY_KIND = {"note": "note", "decision": "decision", "action": "note"}


def notes_of(actor, event: Event) -> list[EventNote]:
    if not permissions.can(actor, "event.view_registrations", event):
        return []
    return list(db.session.scalars(
        select(EventNote).where(EventNote.event_id == event.id, EventNote.archived_at.is_(None))
        .order_by(EventNote.created_at.desc(), EventNote.id.desc())
    ))  # fmt: skip


@operation
def record_note(actor, event: Event, data: dict) -> EventNote:
    """A note, decision or follow-up action of the event, also written to the activity log of each
    initiative the event is linked to."""
    permissions.require(actor, "event.record_note", event)
    c = Cleaner({k: data.get(k) for k in ("kind", "subject", "body")})
    c.choice("kind", NOTE_KINDS, required=True)
    c.text("subject", max_length=250, required=True)
    c.text("body", max_length=20_000, multiline=True)
    cleaned = c.done()
    note = EventNote(event=event, author_id=getattr(actor, "id", None), **cleaned)
    db.session.add(note)
    prefix = {"note": _("Event note"), "decision": _("Event decision"), "action": _("Follow-up action")}[
        cleaned["kind"]
    ]
    for initiative in event.initiatives:
        db.session.add(Activity(
            kind=NOTE_ACTIVITY_KIND[cleaned["kind"]], subject=f"{prefix} – {event.title}: {cleaned['subject']}"[:300],
            body=cleaned.get("body"), occurred_at=min(event.ends_at, datetime.now(UTC)),
            author_id=getattr(actor, "id", None), initiative_id=initiative.id,
        ))  # fmt: skip
    return note


def event_history(actor, event: Event, before: str | None = None):
    """A page of the changes to the event, its hosts, agenda, registrations and notes, newest first
    (organisers only: registrations hold private answers)."""
    from network.services import history

    permissions.require(actor, "event.view_registrations", event)
    return history.events_for(
        ("events", event.id),
        ("event_hosts", select(EventHost.id).where(EventHost.event_id == event.id)),
        ("agenda_items", select(AgendaItem.id).where(AgendaItem.event_id == event.id)),
        ("registrations", select(Registration.id).where(Registration.event_id == event.id)),
        ("event_notes", select(EventNote.id).where(EventNote.event_id == event.id)),
        before=before,
    )
