"""The demo's events: a COP side event co-hosted by the road-freight story's organisations (the Chinese
NGO association, the freight platform, the certifier, the bank and the tyre maker), with speakers,
registrations and a waitlist; a past workshop with attendance and follow-up; a few network meetings."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from network.extensions import db
from network.models import (
    AgendaItem,
    Event,
    EventHost,
    EventNote,
    Initiative,
    Network,
    Person,
    Region,
    Registration,
    Speaker,
    Theme,
    User,
)


def _at(day, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(zone))


def build_events(builder) -> int:
    """Add the demo's events; returns how many."""
    s = builder.story_ids
    if len(s) < 6:
        return 0
    today, now = builder.today, builder.now
    themes = {t.slug: t for t in db.session.scalars(select(Theme))}
    countries = {r.code: r for r in db.session.scalars(select(Region).where(Region.code.in_(("ET", "CN", "BD", "TR"))))}
    nodes = {n.slug: n for n in db.session.scalars(select(Network))}
    freight = db.session.scalar(select(Initiative).where(Initiative.title == "Green Freight China"))
    people = {}
    for person in db.session.scalars(select(Person).where(Person.organization_id.in_(list(s.values())))
                                     .order_by(Person.id)):  # fmt: skip
        people.setdefault(person.organization_id, []).append(person)
    made = []

    # The COP side event, a month ahead, full with a waitlist.
    zone = "Africa/Addis_Ababa"
    day = today + timedelta(days=30)
    cop = Event(
        slug="cop-side-event-cutting-truck-emissions", title="Cutting truck emissions: a joint programme for road freight",
        title_local="减少卡车排放：道路货运联合行动", kind="side_event", status="full", timezone=zone,
        starts_at=_at(day, 13, 15, zone), ends_at=_at(day, 14, 45, zone), venue="Blue Zone, side event room 3",
        city="Addis Ababa", country=countries.get("ET"), network=nodes.get("ccan"),
        description="An NGO association, a road-freight platform, a certification body, a bank and a tyre maker present "
                    "how eco-driving, low-rolling-resistance tyres, retrofit loans and verified savings cut the fuel use "
                    "of China's trucks, and how the programme can be taken to other countries.",
        themes=[t for k in ("transport", "climate-finance") if (t := themes.get(k))],
        initiatives=[freight] if freight else [],
    )  # fmt: skip
    db.session.add(cop)
    for key, role in (("gtpa", "host"), ("freight", "co_host"), ("certifier", "co_host"), ("bank", "sponsor"),
                      ("tyres", "sponsor"), ("zero", "partner")):  # fmt: skip
        db.session.add(EventHost(event=cop, organization_id=s[key], role=role))
    agenda = [
        (0, 10, "Welcome and the road-freight story", ["gtpa"]),
        (10, 35, "Panel: eco-driving, tyres and retrofit loans at scale", ["freight", "tyres", "bank"]),
        (35, 60, "Verifying the savings: method and results", ["certifier", "zero"]),
        (60, 90, "Taking the programme to other countries: open discussion", []),
    ]
    start = cop.starts_at
    for begin, end, title, speakers in agenda:
        item = AgendaItem(event=cop, title=title, starts_at=start + timedelta(minutes=begin),
                          ends_at=start + timedelta(minutes=end))  # fmt: skip
        for key in speakers:
            person = (people.get(s[key]) or [None])[0]
            if person is not None:
                item.speakers.append(Speaker(person=person, name=person.name, organization_id=s[key]))
        if not speakers:
            item.speakers.append(Speaker(name="Amara Tesfaye", organization_name="UN Economic Commission for Africa"))
        db.session.add(item)
    made.append(cop)

    # Registrations: the story organisations' people and the demo users, past the capacity.
    everyone = [p for key in ("gtpa", "freight", "certifier", "bank", "tyres", "zero") for p in people.get(s[key], [])]
    users = list(db.session.scalars(select(User).order_by(User.id)))
    seats = 0
    queued = now - timedelta(days=20)
    entries = [(p.name, p.email, p.organization_id, p.id, None) for p in everyone if p.email]
    entries += [(u.name, u.email, u.organization_id, None, u.id) for u in users]
    extra = [("Hannah Becker", "hannah.becker@example.org", "Klima-Allianz"),
             ("Rahul Mehta", "rahul.mehta@example.org", "Clean Freight India"),
             ("Sofia Alvarez", "sofia.alvarez@example.org", "Red de Transporte Limpio")]  # fmt: skip
    entries += [(name, email, None, None, None, org) for name, email, org in extra]
    seen: set[str] = set()
    entries = [e for e in entries if e[1].lower() not in seen and not seen.add(e[1].lower())]  # one per email
    cop.capacity = max(3, len(entries) - 3)  # full, with the last three on the waitlist
    for n, entry in enumerate(entries):
        name, email, org_id, person_id, user_id = entry[:5]
        status = "registered" if seats < cop.capacity else "waitlisted"
        seats += status == "registered"
        db.session.add(Registration(
            event=cop, name=name, email=email, organization_id=org_id, person_id=person_id, user_id=user_id,
            organization_name=entry[5] if len(entry) > 5 else None, status=status,
            queued_at=queued + timedelta(hours=n * 5), dietary="vegetarian" if n % 4 == 0 else None,
            accessibility="step-free access" if n == 3 else None,
        ))  # fmt: skip

    # A past workshop in Beijing, held, with attendance and follow-up.
    zone = "Asia/Shanghai"
    day = today - timedelta(days=75)
    workshop = Event(
        slug="green-freight-workshop-beijing", title="Green Freight China: partners' workshop",
        title_local="中国绿色货运：伙伴研讨会", kind="workshop", status="held", timezone=zone,
        starts_at=_at(day, 9, 30, zone), ends_at=_at(day, 16, 0, zone), venue="GTPA office", city="Beijing",
        country=countries.get("CN"), capacity=30, network=nodes.get("ccan"),
        themes=[t for k in ("transport",) if (t := themes.get(k))], initiatives=[freight] if freight else [],
    )  # fmt: skip
    db.session.add(workshop)
    for key, role in (("gtpa", "host"), ("zero", "co_host"), ("certifier", "partner")):
        db.session.add(EventHost(event=workshop, organization_id=s[key], role=role))
    seen = set()
    for n, person in enumerate(everyone):
        if person.email and person.email.lower() not in seen:
            seen.add(person.email.lower())
            db.session.add(Registration(
                event=workshop, name=person.name, email=person.email, organization_id=person.organization_id,
                person_id=person.id, status="registered", queued_at=workshop.starts_at - timedelta(days=14 - n % 5),
                attended_at=workshop.starts_at + timedelta(minutes=n) if n % 5 else None,
            ))  # fmt: skip
    db.session.add(EventNote(event=workshop, kind="decision", subject="Extend the tyre pilot to 2,000 more trucks",
                             body="Agreed by GTPA, FreightLink and Longroad Tyres."))  # fmt: skip
    db.session.add(EventNote(event=workshop, kind="action", subject="Certifier to publish the verification method"))
    made.append(workshop)

    # Network meetings: a webinar ahead, a session at COP31 behind, one cancelled.
    zone = "Asia/Dhaka"
    day = today + timedelta(days=12)
    webinar = Event(
        slug="can-south-asia-members-webinar", title="CAN South Asia members' call: preparing for COP32",
        kind="webinar", status="open", timezone=zone, starts_at=_at(day, 15, 0, zone), ends_at=_at(day, 16, 30, zone),
        online_url="https://meet.example.org/cansa-members", network=nodes.get("can-south-asia"),
        themes=[t for k in ("climate-finance",) if (t := themes.get(k))],
    )  # fmt: skip
    zone = "Europe/Istanbul"
    day = today - timedelta(days=25)
    session = Event(
        slug="cop31-session-freight-finance", title="Financing cleaner freight (COP31 session)", kind="conference_session",
        status="held", timezone=zone, starts_at=_at(day, 11, 0, zone), ends_at=_at(day, 12, 0, zone), city="Antalya",
        country=countries.get("TR"), network=nodes.get("ccan"),
        themes=[t for k in ("transport", "climate-finance") if (t := themes.get(k))],
    )  # fmt: skip
    db.session.add_all([webinar, session])
    for key, role in (("bank", "host"), ("gtpa", "co_host")):
        db.session.add(EventHost(event=session, organization_id=s[key], role=role))
    made += [webinar, session]
    db.session.flush()
    builder.counts["events"] += len(made)
    return len(made)
