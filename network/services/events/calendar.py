"""iCalendar (RFC 5545) files: one per event, and a feed per network node. Written by hand: a
VCALENDAR of VEVENTs with times in UTC, text escaped and lines folded at 75 octets."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from network.extensions import db
from network.models import Event, Network, utcnow

PRODID = "-//network//events//EN"


def escape(text: str | None) -> str:
    text = (text or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (never inside a UTF-8 character)."""
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > (75 if not parts else 74):
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def stamp(moment) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def location_of(event: Event) -> str:
    place = ", ".join(p for p in (event.venue, event.city, event.country.name if event.country else None) if p)
    return place or (event.online_url or "")


def vevent(event: Event, base_url: str) -> list[str]:
    url = f"{base_url.rstrip('/')}/events/{event.slug}"
    status = {"cancelled": "CANCELLED", "planned": "TENTATIVE"}.get(event.status, "CONFIRMED")
    description = "\n\n".join(p for p in (event.title_local, event.description, url) if p)
    lines = [
        "BEGIN:VEVENT",
        f"UID:event-{event.id}@{base_url.split('://')[-1].split('/')[0] or 'network'}",
        f"DTSTAMP:{stamp(event.updated_at or utcnow())}",
        f"DTSTART:{stamp(event.starts_at)}",
        f"DTEND:{stamp(event.ends_at)}",
        f"SUMMARY:{escape(event.title)}",
        f"DESCRIPTION:{escape(description)}",
        f"URL:{url}",
        f"STATUS:{status}",
        f"SEQUENCE:{max(0, (event.version or 1) - 1)}",
    ]
    location = location_of(event)
    if location:
        lines.append(f"LOCATION:{escape(location)}")
    lines.append("END:VEVENT")
    return lines


def ics(events: list[Event], base_url: str, name: str | None = None) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    if name:
        lines.append(f"X-WR-CALNAME:{escape(name)}")
    for event in events:
        lines.extend(vevent(event, base_url))
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"


def node_events(network: Network) -> list[Event]:
    """The events convened by the node and the nodes below it (not archived), for its feed."""
    return list(db.session.scalars(
        select(Event).join(Network, Network.id == Event.network_id)
        .where(Network.path.startswith(network.path), Event.archived_at.is_(None))
        .options(selectinload(Event.country)).order_by(Event.starts_at).limit(2000)
    ))  # fmt: skip
