"""Who a mailing goes to: the organisations of its source (re-read when it is sent), kept to the
mailing's node, then the people of those organisations it names, each either a recipient or
excluded with a reason (no email, no consent, unsubscribed, bounced, the same address twice)."""

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from network import permissions
from network.errors import NotFound, PermissionDenied
from network.extensions import db
from network.models import Event, Initiative, Membership, Network, Organization, Participant, Person, SavedSearch
from network.models.event import EventHost, Registration
from network.models.tag import Tag, organization_tags

BATCH = 500  # ids per IN (...): SQLite's limit on parameters is far above, PostgreSQL plans stay small


@dataclass
class Recipient:
    person_id: int
    organization_id: int
    name: str
    email: str | None
    language: str | None
    status: str = "queued"  # or "excluded"
    reason: str | None = None


@dataclass
class Audience:
    organization_ids: list[int] = field(default_factory=list)
    outside_node: int = 0  # organisations of the source that are not members of the mailing's node
    without_people: list[int] = field(default_factory=list)  # organisations nobody of whom was chosen
    people: list[Recipient] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # organisation id → name

    @property
    def recipients(self) -> list[Recipient]:
        return [p for p in self.people if p.status == "queued"]

    @property
    def excluded(self) -> list[Recipient]:
        return [p for p in self.people if p.status == "excluded"]

    def counts(self) -> dict:
        reasons: dict[str, int] = {}
        for person in self.excluded:
            reasons[person.reason] = reasons.get(person.reason, 0) + 1
        return {"organizations": len(self.organization_ids), "recipients": len(self.recipients),
                "excluded": reasons, "outside_node": self.outside_node,
                "without_people": len(self.without_people)}  # fmt: skip


def _batches(ids: list[int]):
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _int(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < number < 2**31:  # ids are 32-bit: PostgreSQL refuses a larger one in a query
        raise NotFound()
    return number


def source_ids(actor, audience: dict) -> list[int]:
    """The organisations the source names now, as the actor may see it (a saved search is run again)."""
    source, ref = audience.get("source"), audience.get("ref")
    if source == "node":
        node = db.session.get(Network, _int(ref))
        if node is None:
            raise NotFound()
        query = (select(Membership.organization_id).join(Network, Network.id == Membership.network_id)
                 .where(Network.path.startswith(node.path), Membership.status == "active"))  # fmt: skip
    elif source == "tag":
        tag = db.session.get(Tag, _int(ref))
        if tag is None or not permissions.can(actor, "tag.view", tag):
            raise NotFound()
        query = select(organization_tags.c.organization_id).where(organization_tags.c.tag_id == tag.id)
    elif source == "saved_search":
        saved = db.session.get(SavedSearch, _int(ref))
        if saved is None or saved.user_id != getattr(actor, "id", None):  # one's own saved searches only
            raise NotFound()
        from network.services.search import organization_id_set, parse_search_params

        return sorted(organization_id_set(actor, parse_search_params(MultiDict(parse_qsl(saved.query)))))
    elif source == "initiative":
        initiative = db.session.scalar(select(Initiative).where(Initiative.slug == str(ref)))
        if initiative is None or not permissions.can(actor, "initiative.view", initiative):
            raise NotFound()
        query = select(Participant.organization_id).where(Participant.initiative_id == initiative.id,
                                                          Participant.invitation_status == "accepted")  # fmt: skip
    elif source == "event":
        event = db.session.scalar(select(Event).where(Event.slug == str(ref)))
        if event is None or not permissions.can(actor, "event.view", event):
            raise NotFound()
        registered = select(Registration.organization_id).where(
            Registration.event_id == event.id, Registration.status == "registered",
            Registration.organization_id.is_not(None))  # fmt: skip
        hosts = select(EventHost.organization_id).where(EventHost.event_id == event.id)
        query = registered.union(hosts)
    elif source == "selection":
        return sorted({_int(i) for i in audience.get("ids") or []})
    else:
        raise NotFound()
    return sorted(set(db.session.scalars(query)))


def in_node(mailing, ids: list[int]) -> list[int]:
    """The live organisations among ids, members of the mailing's node (or a node below it)."""
    kept: list[int] = []
    for chunk in _batches(ids):
        query = select(Organization.id).where(Organization.id.in_(chunk), Organization.archived_at.is_(None),
                                              Organization.merged_into_id.is_(None))  # fmt: skip
        if mailing.network_id is not None:
            node = mailing.network
            query = query.where(Organization.id.in_(
                select(Membership.organization_id).join(Network, Network.id == Membership.network_id)
                .where(Network.path.startswith(node.path))))  # fmt: skip
        kept.extend(db.session.scalars(query))
    return sorted(kept)


def resolve(actor, mailing) -> Audience:
    audience = mailing.audience or {}
    try:
        ids = source_ids(actor, audience)
    except PermissionDenied:
        raise NotFound() from None
    kept = in_node(mailing, ids)
    result = Audience(organization_ids=kept, outside_node=len(ids) - len(kept))
    which, role = audience.get("people") or "primary", (audience.get("role") or "").strip().lower()
    seen: set[str] = set()
    for chunk in _batches(kept):
        orgs = {row.id: row for row in db.session.execute(
            select(Organization.id, Organization.name, Organization.email).where(Organization.id.in_(chunk)))}  # fmt: skip
        result.names.update({i: row.name for i, row in orgs.items()})
        people = db.session.execute(
            select(Person.id, Person.organization_id, Person.name, Person.email, Person.title, Person.language,
                   Person.mail_consent, Person.unsubscribed_at, Person.bounced_at)
            .where(Person.organization_id.in_(chunk), Person.archived_at.is_(None))
            .order_by(Person.organization_id, Person.id)
        ).all()  # fmt: skip
        by_org: dict[int, list] = {}
        for person in people:
            by_org.setdefault(person.organization_id, []).append(person)
        for org_id in chunk:
            chosen = _choose(by_org.get(org_id, []), orgs[org_id].email, which, role)
            if not chosen:
                result.without_people.append(org_id)
            for person in chosen:
                result.people.append(_classify(person, seen))
    return result


def _choose(people: list, org_email: str | None, which: str, role: str) -> list:
    if which == "all":
        return people
    if which == "role":
        return [p for p in people if role and role in (p.title or "").lower()]
    # The primary contact: whoever has the organisation's own address, else the first person added.
    for person in people:
        if person.email and org_email and person.email.strip().lower() == org_email.strip().lower():
            return [person]
    return people[:1]


def _classify(person, seen: set[str]) -> Recipient:
    email = (person.email or "").strip()
    recipient = Recipient(person.id, person.organization_id, person.name, email or None, person.language)
    reason = None
    if not email:
        reason = "no_email"
    elif person.unsubscribed_at is not None:
        reason = "unsubscribed"
    elif person.bounced_at is not None:
        reason = "bounced"
    elif not person.mail_consent:
        reason = "no_consent"
    elif email.lower() in seen:
        reason = "duplicate"
    if reason:
        recipient.status, recipient.reason = "excluded", reason
    else:
        seen.add(email.lower())
    return recipient


def count_people(organization_ids: list[int]) -> int:
    return sum(db.session.scalar(select(func.count()).select_from(Person).where(Person.organization_id.in_(c)))
               for c in _batches(organization_ids))  # fmt: skip
