"""Organisations, their memberships of network nodes, their people and moderated profile changes.

Every write is an ``@operation`` that checks permission first. Updates take the version the
caller read (``expected_version``) and raise Conflict when the record changed since, so no one
silently overwrites someone else's save.
"""

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from network import permissions
from network.errors import Conflict, NotFound, ValidationError
from network.extensions import db
from network.models import (
    ChangeRequest,
    Membership,
    Network,
    Organization,
    OrganizationIdentifier,
    Partnership,
    Person,
    User,
    utcnow,
)  # fmt: skip
from network.models.organization import MEMBERSHIP_STATUSES, ORGANIZATION_KINDS
from network.services import lookups, operation, profiles
from network.services.cleaning import (
    IDENTIFIER,
    Cleaner,
    as_list,
    plain_value,
    regions_by_code,
    themes_by_slug,
)  # fmt: skip
from network.services.lookups import MAX_ID
from network.slugs import unique_slug

CORE_PROFILE_FIELDS = ("name", "name_local", "acronym", "kind", "hq_country", "website", "email")
PROFILE_FIELDS = CORE_PROFILE_FIELDS + ("phone", "description", "founded", "countries", "themes", "identifiers")
# What a member may change about its own organisation: proposed through a change request, or saved
# at once where its nodes allow it (``direct_edit_fields``). Founding year and identifiers stay
# with the coordinators.
MEMBER_PROFILE_FIELDS = CORE_PROFILE_FIELDS + ("phone", "description", "countries", "themes")
# The fields a node may let members edit directly; the name, kind and country (who it is) are
# always reviewed.
DIRECT_EDIT_CHOICES = ("description", "themes", "countries", "phone", "email", "website")
# Lists: a change request holds the whole list before and after, and approving applies what was
# added and removed to the list as it is then (an edit made meanwhile is kept).
COLLECTION_FIELDS = ("countries", "themes")
PERSON_FIELDS = ("name", "email", "phone", "title", "consent_to_list", "mail_consent", "language")
MEMBERSHIP_FIELDS = ("status", "joined_on", "left_on")


def today() -> date:
    return utcnow().date()


# Validation ----------------------------------------------------------------------------------


def validate_organization(data: dict, *, existing: Organization | None = None) -> dict:
    """Clean and check submitted profile values; raises ValidationError with a message per field.

    Returns only the fields submitted (all of them when creating), as plain values: country
    codes, theme slugs, identifier strings. ``existing`` makes it a partial update.
    """
    unknown = set(data) - set(PROFILE_FIELDS)
    c = Cleaner({k: v for k, v in data.items() if k in PROFILE_FIELDS}, partial=existing is not None)
    for key in sorted(unknown):
        c.error(key, _("Unknown field."))
    c.text("name", max_length=300, required=True)
    c.text("name_local", max_length=300)
    c.text("acronym", max_length=40)
    if existing is None and is_blank(data.get("kind")):
        c.cleaned["kind"] = "ngo"
    else:
        c.choice("kind", ORGANIZATION_KINDS, required=True)
    c.country("hq_country")
    c.url("website")
    c.email("email")
    c.phone("phone")
    c.text("description", max_length=20_000, multiline=True)
    c.integer("founded", minimum=1000, maximum=today().year)
    c.countries("countries")
    c.themes("themes")
    identifiers(c, existing)
    return c.done()


def identifiers(c: Cleaner, existing: Organization | None) -> None:
    """org-id.guide identifiers: "GB-CHC-1000003"; each belongs to one organisation only."""
    if not c.wanted("identifiers"):
        return
    values = sorted({v.upper() if isinstance(v, str) else str(v) for v in as_list(c.raw("identifiers"))})
    bad = [v for v in values if not IDENTIFIER.match(v)]
    if bad:
        c.error("identifiers", _("Not valid identifiers (like GB-CHC-1000003): %(values)s.", values=", ".join(bad)))
        return
    taken = db.session.scalars(
        select(OrganizationIdentifier).where(OrganizationIdentifier.value.in_(values))
    ).all()  # fmt: skip
    clashes = [i.value for i in taken if existing is None or i.organization_id != existing.id]
    if clashes:
        c.error("identifiers", _("Already used by another organisation: %(values)s.", values=", ".join(clashes)))
        return
    c.cleaned["identifiers"] = values


def profile_values(org: Organization, fields=PROFILE_FIELDS) -> dict:
    """The organisation's current values of ``fields`` in the plain form ``validate_organization`` returns."""
    values = {}
    for key in fields:
        if key == "identifiers":
            values[key] = sorted(i.value for i in org.identifiers)
        else:
            values[key] = plain_value(getattr(org, key))
    return values


def assign_profile(org: Organization, cleaned: dict) -> None:
    # No flush half-way (the look-ups below would autoflush): one UPDATE, one version, one audit row.
    with db.session.no_autoflush:
        _assign_profile(org, cleaned)


def _assign_profile(org: Organization, cleaned: dict) -> None:
    for key, value in cleaned.items():
        if key == "hq_country":
            # The column itself, so the audit hook sees the change before the flush.
            org.hq_country = regions_by_code([value])[0] if value else None
            org.hq_country_id = org.hq_country.id if org.hq_country else None
        elif key == "countries":
            org.countries = regions_by_code(value)
        elif key == "themes":
            org.themes = themes_by_slug(value)
        elif key == "identifiers":
            kept = {i.value: i for i in org.identifiers}
            org.identifiers = [kept.get(v) or OrganizationIdentifier(value=v) for v in value]
        else:
            setattr(org, key, value)


def check_version(record, expected_version, current: dict, submitted: dict) -> None:
    """Raise Conflict when the caller read an older version than the one stored."""
    if expected_version is None:
        raise ValidationError({"version": [_("The version you read is required, to protect others' edits.")]})
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"version": [_("Must be a whole number.")]}) from None
    if expected != record.version:
        raise Conflict(current=current, submitted=submitted, current_version=record.version)


# Organisations -------------------------------------------------------------------------------


@operation
def create_organization(
    actor, data: dict, network: Network | None = None, membership_status: str = "active"
) -> Organization:
    """A new organisation, made a member of ``network`` (a node the actor coordinates) if given."""
    permissions.require(actor, "organization.create", network)
    cleaned = validate_organization(data)
    if membership_status not in MEMBERSHIP_STATUSES:
        raise ValidationError({"membership_status": [_("Not a valid choice.")]})
    org = Organization(slug=unique_slug(Organization.slug, cleaned["name"], fallback="organisation"))
    assign_profile(org, cleaned)
    db.session.add(org)
    db.session.flush()
    if network is not None:
        db.session.add(
            Membership(organization=org, organization_id=org.id, network=network, network_id=network.id,
                       status=membership_status, joined_on=today())
        )  # fmt: skip
    return org


@operation
def update_organization(actor, org: Organization, data: dict, expected_version) -> Organization:
    """Change profile fields (only those in ``data``) as a coordinator or admin."""
    permissions.require(actor, "organization.update", org)
    cleaned = validate_organization(data, existing=org)
    check_version(org, expected_version, profile_values(org, cleaned), cleaned)
    assign_profile(org, cleaned)
    return org


# Moderated profile changes -------------------------------------------------------------------


@operation
def propose_profile_change(actor, org: Organization, data: dict, expected_version) -> ChangeRequest:
    """A member's edit of its organisation's profile, all of it waiting for a coordinator."""
    permissions.require(actor, "organization.propose_change", org)
    changes = _member_changes(org, data, expected_version)
    if not changes:
        raise ValidationError(_("Nothing was changed."))
    return _change_request(actor, org, changes)


@dataclass
class ProfileEdit:
    """What a member's edit did: fields saved at once, and the change request holding the rest."""

    organization: Organization
    applied: list[str]
    change_request: ChangeRequest | None


@operation
def edit_own_profile(actor, org: Organization, data: dict, expected_version) -> ProfileEdit:
    """A member's edit of its organisation's profile: the fields its nodes let members edit directly
    are saved at once, the others go to a coordinator as one change request."""
    permissions.require(actor, "organization.propose_change", org)
    changes = _member_changes(org, data, expected_version)
    if not changes:
        raise ValidationError(_("Nothing was changed."))
    direct = direct_edit_fields(org)
    applied = {key: new for key, (_old, new) in changes.items() if key in direct}
    proposed = {key: pair for key, pair in changes.items() if key not in direct}
    # The request first: it records the version the member read, before the direct save bumps it.
    request = _change_request(actor, org, proposed) if proposed else None
    if applied:
        assign_profile(org, applied)
    return ProfileEdit(org, sorted(applied), request)


def _member_changes(org: Organization, data: dict, expected_version) -> dict:
    """{field: [value now, value submitted]} for the fields the member changed."""
    outside = sorted(set(data) - set(MEMBER_PROFILE_FIELDS))
    if outside:
        raise ValidationError({key: [_("Ask a coordinator to change this field.")] for key in outside})
    cleaned = validate_organization(data, existing=org)
    current = profile_values(org, cleaned)
    check_version(org, expected_version, current, cleaned)
    return {key: [current[key], value] for key, value in cleaned.items() if current[key] != value}


def _change_request(actor, org: Organization, changes: dict) -> ChangeRequest:
    request = ChangeRequest(
        organization=org,
        organization_id=org.id,
        proposed_by_id=actor.id,
        changes=changes,
        base_version=org.version,
        status="pending",
    )
    db.session.add(request)
    db.session.flush()  # its id, for the notice's link
    from network.services.notifications import notify

    notify(change_reviewers(request), "change_submitted", {"name": org.name}, f"/changes/{request.id}")
    return request


def change_reviewers(change_request: ChangeRequest) -> list[User]:
    """The active coordinators who may review the request (admins aside: they are told of nothing
    they are not in charge of); the rule change_request.review decides."""
    candidates = db.session.scalars(
        select(User).where(permissions.any_coordinator(), User.active.is_(True)).order_by(User.id)
    )
    return [u for u in candidates if permissions.can(u, "change_request.review", change_request)]


def direct_edit_fields(org: Organization) -> frozenset[str]:
    """The fields the organisation's members save without approval: those every node it belongs to
    (a membership not lapsed) allows. None for an organisation in no node: nobody set a rule."""
    if org.id is None:
        return frozenset()
    settings = db.session.scalars(
        select(Network)
        .join(Membership, Membership.network_id == Network.id)
        .where(Membership.organization_id == org.id, Membership.status != "lapsed")
    ).all()
    if not settings:
        return frozenset()
    allowed = set(DIRECT_EDIT_CHOICES)
    for node in settings:
        allowed &= set(node.direct_edit_list)
    return frozenset(allowed)


@operation
def set_direct_edit_fields(actor, network: Network, fields: list[str]) -> Network:
    """Choose which profile fields the members of the node's organisations edit without approval."""
    permissions.require(actor, "network.manage", network)
    unknown = sorted(set(fields) - set(DIRECT_EDIT_CHOICES))
    if unknown:
        raise ValidationError({"fields": [_("Not a valid choice.")]})
    network.direct_edit_fields = ",".join(f for f in DIRECT_EDIT_CHOICES if f in fields)
    return network


def collection_change(old, new) -> tuple[list[str], list[str]]:
    """(added, removed) between two lists of codes or slugs."""
    old, new = set(old or ()), set(new or ())
    return sorted(new - old), sorted(old - new)


def _approved_value(key: str, old, new, now):
    """The value approving a request gives ``key``: the proposed value, or for a list, the list as
    it is now with the request's additions and removals applied."""
    if key not in COLLECTION_FIELDS:
        return new
    added, removed = collection_change(old, new)
    return sorted((set(now or ()) - set(removed)) | set(added))


@operation
def review_change_request(
    actor,
    change_request: ChangeRequest,
    approve: bool,
    comment: str | None = None,
    *,
    overwrite: bool = False,
    link: str | None = None,
) -> ChangeRequest:
    """Approve (apply) or reject a pending change request, with an optional comment. The member who
    proposed it gets a notice, linking to ``link`` (the request's page) when the caller gives one.

    Approving never silently overwrites an edit made since the member proposed: when a field the
    request changes no longer holds the value the member saw, it raises Conflict, unless the
    reviewer saw that and passes ``overwrite=True``.
    """
    permissions.require(actor, "change_request.review", change_request)
    if change_request.status != "pending":
        raise _already_decided(change_request)
    c = Cleaner({"comment": comment})
    c.text("comment", max_length=2000, multiline=True)
    comment = c.done()["comment"]
    org = change_request.organization
    if approve:
        now = profile_values(org, change_request.changes.keys())
        proposed = {key: _approved_value(key, old, new, now[key]) for key, (old, new) in change_request.changes.items()}
        cleaned = validate_organization(proposed, existing=org)
        current = profile_values(org, cleaned)
        # Lists merge with edits made since (see _approved_value); other fields must be as the member saw them.
        moved = {
            key for key, (old, _new) in change_request.changes.items()
            if key not in COLLECTION_FIELDS and current[key] != old
        }  # fmt: skip
        if moved and not overwrite:
            raise Conflict(
                _("The profile was changed after this request was made: %(fields)s.", fields=", ".join(sorted(moved))),
                current=current,
                submitted=cleaned,
                current_version=org.version,
            )
        assign_profile(org, cleaned)
    change_request.status = "approved" if approve else "rejected"
    change_request.reviewed_by_id = actor.id
    change_request.reviewed_at = utcnow()
    change_request.comment = comment
    from network.services.notifications import notify

    proposer = db.session.get(User, change_request.proposed_by_id)
    if proposer is not None and proposer.active:
        notify([proposer], "change_approved" if approve else "change_rejected", {"name": org.name}, link)
    return change_request


def _already_decided(change_request: ChangeRequest) -> Conflict:
    """The conflict of deciding a request twice, its status by its label ("already approved")."""
    from network.services.history import CHANGE_REQUEST_STATUS_LABELS  # late: history imports the services

    status = str(CHANGE_REQUEST_STATUS_LABELS.get(change_request.status, change_request.status)).lower()
    return Conflict(_("This change request was already %(status)s.", status=status))


@operation
def withdraw_change_request(actor, change_request: ChangeRequest) -> ChangeRequest:
    permissions.require(actor, "change_request.withdraw", change_request)
    if change_request.status != "pending":
        raise _already_decided(change_request)
    change_request.status = "withdrawn"
    return change_request


def pending_change_requests(actor, *, status: str = "pending") -> list[ChangeRequest]:
    """The change requests the actor may review (admins: all), oldest first."""
    from sqlalchemy.orm import selectinload

    query = (
        select(ChangeRequest)
        .where(ChangeRequest.status == status)
        .options(selectinload(ChangeRequest.organization), selectinload(ChangeRequest.proposed_by))
        .order_by(ChangeRequest.created_at, ChangeRequest.id)
    )
    in_scope = permissions.organizations_in_scope(actor)
    if in_scope is not None:
        query = query.where(ChangeRequest.organization_id.in_(in_scope))
    return list(db.session.scalars(query))


def pending_count(org: Organization) -> int:
    query = select(func.count(ChangeRequest.id)).where(
        ChangeRequest.organization_id == org.id, ChangeRequest.status == "pending"
    )
    return db.session.scalar(query) or 0


def change_requests_of(actor, org: Organization) -> list[ChangeRequest]:
    """The organisation's change requests, newest first, for those who may see its private details."""
    from sqlalchemy.orm import selectinload

    permissions.require(actor, "organization.view_private", org)
    query = (
        select(ChangeRequest)
        .where(ChangeRequest.organization_id == org.id)
        .options(selectinload(ChangeRequest.proposed_by), selectinload(ChangeRequest.reviewed_by))
        .order_by(ChangeRequest.created_at.desc(), ChangeRequest.id.desc())
    )
    return list(db.session.scalars(query))


def find_change_request(actor, change_request_id: int) -> ChangeRequest:
    change_request = db.session.get(ChangeRequest, change_request_id) if 0 < change_request_id <= MAX_ID else None
    if change_request is None:
        raise NotFound(_("No such change request."))
    permissions.require(actor, "change_request.view", change_request)
    return change_request


def visible_organization(actor, ref: str) -> Organization:
    """The organisation with this id or slug (archived or merged ones included), for those who may
    see it; an archived one is not found by those who may not (``profiles.require_visible``)."""
    org = lookups.by_ref(Organization, ref)
    if org is None:
        raise NotFound(_("No such organisation."))
    profiles.require_visible(actor, org)
    return org


# Memberships ---------------------------------------------------------------------------------


def memberships_of(actor, org: Organization) -> list[Membership]:
    """The organisation's memberships of nodes (ended ones too), with their nodes, oldest first."""
    profiles.require_visible(actor, org)
    query = (
        select(Membership)
        .where(Membership.organization_id == org.id)
        .options(selectinload(Membership.network))
        .order_by(Membership.id)
    )
    return list(db.session.scalars(query))


def find_membership(membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id) if 0 < membership_id <= MAX_ID else None
    if membership is None:
        raise NotFound(_("No such membership."))
    return membership


def visible_membership(actor, membership_id: int) -> Membership:
    """A membership, for those who may see its organisation."""
    membership = find_membership(membership_id)
    permissions.require(actor, "organization.view", membership.organization)
    return membership


def validate_membership(data: dict, *, existing: Membership | None = None) -> dict:
    c = Cleaner({k: v for k, v in data.items() if k in MEMBERSHIP_FIELDS}, partial=existing is not None)
    if existing is None and is_blank(data.get("status")):
        c.cleaned["status"] = "active"
    else:
        c.choice("status", MEMBERSHIP_STATUSES, required=True)
    c.date("joined_on")
    c.date("left_on")
    c.dates_in_order("joined_on", "left_on", existing, _("Must not be before the date it joined."))
    return c.done()


def is_blank(value) -> bool:
    return value is None or isinstance(value, str) and not value.strip()


@operation
def add_membership(actor, org: Organization, network: Network, data: dict | None = None) -> Membership:
    permissions.require(actor, "membership.add", SimpleNamespace(network=network, organization=org))
    cleaned = validate_membership(data or {})
    if org.id is not None and db.session.scalar(
        select(Membership.id).where(Membership.organization_id == org.id, Membership.network_id == network.id)
    ):
        raise ValidationError({"network": [_("Already a member of this node.")]})
    cleaned.setdefault("joined_on", None)
    membership = Membership(organization=org, organization_id=org.id, network=network, network_id=network.id, **cleaned)
    if membership.joined_on is None and membership.status == "active":
        membership.joined_on = today()
    db.session.add(membership)
    return membership


@operation
def update_membership(actor, membership: Membership, data: dict, expected_version) -> Membership:
    permissions.require(actor, "membership.manage", membership)
    cleaned = validate_membership(data, existing=membership)
    current = {k: plain_value(getattr(membership, k)) for k in cleaned}
    check_version(membership, expected_version, current, {k: plain_value(v) for k, v in cleaned.items()})
    for key, value in cleaned.items():
        setattr(membership, key, value)
    return membership


@operation
def end_membership(actor, membership: Membership, expected_version, *, left_on: date | None = None,
                   status: str = "lapsed") -> Membership:  # fmt: skip
    """Memberships end (lapsed, with the date it left); they are never deleted."""
    permissions.require(actor, "membership.manage", membership)
    if status not in ("lapsed", "suspended"):
        raise ValidationError({"status": [_("Not a valid choice.")]})
    data = {"status": status, "left_on": left_on or today()}
    cleaned = validate_membership(data, existing=membership)
    check_version(membership, expected_version, {"status": membership.status}, {"status": status})
    for key, value in cleaned.items():
        setattr(membership, key, value)
    return membership


# People --------------------------------------------------------------------------------------


def validate_person(data: dict, *, existing: Person | None = None) -> dict:
    unknown = set(data) - set(PERSON_FIELDS)
    c = Cleaner({k: v for k, v in data.items() if k in PERSON_FIELDS}, partial=existing is not None)
    for key in sorted(unknown):
        c.error(key, _("Unknown field."))
    c.text("name", max_length=200, required=True)
    c.email("email")
    c.phone("phone")
    c.text("title", max_length=200)
    c.boolean("consent_to_list")
    # Mailings: whether they agreed to network mail, and the language they read it in (empty: the default)
    c.boolean("mail_consent")
    c.choice("language", tuple(current_app.config["LANGUAGES"]))
    return c.done()


def find_person(actor, person_id: int) -> Person:
    """The person with this id, for those who may see them. Someone unlisted is not found, exactly as
    if no one had that id: neither a 403 nor a different message tells a stranger they exist."""
    person = db.session.get(Person, person_id) if 0 < person_id <= MAX_ID else None
    if person is None or not permissions.can(actor, "person.view", person):
        permissions.require(actor, "directory.view")
        raise NotFound(_("No such person."))
    return person


@dataclass
class OrganizationRecords:
    """What the organisation's records page lists, with their edit buttons."""

    people: list[Person]
    memberships: list[Membership]
    partnerships: list[Partnership]


def organization_records(actor, org: Organization) -> OrganizationRecords:
    """Memberships, people (archived ones too) and partnerships, for those with rights over it."""
    permissions.require(actor, "organization.view_private", org)
    partnerships = db.session.scalars(
        select(Partnership).where(or_(Partnership.org_a_id == org.id, Partnership.org_b_id == org.id))
        .options(selectinload(Partnership.org_a), selectinload(Partnership.org_b)).order_by(Partnership.id)
    ).all()  # fmt: skip
    return OrganizationRecords(people_of(actor, org), memberships_of(actor, org), list(partnerships))


def organization_choices(exclude: Organization | None = None, limit: int = 2000) -> list[tuple[str, str]]:
    """(slug, name) of the live organisations, by name, for a form's type-ahead list (a partner, a
    project's participants): without ``exclude``, the one the form is about."""
    query = (
        select(Organization.slug, Organization.name)
        .where(Organization.archived_at.is_(None), Organization.merged_into_id.is_(None))
        .order_by(Organization.name)
        .limit(limit)
    )
    if exclude is not None:
        query = query.where(Organization.id != exclude.id)
    return [(slug, name) for slug, name in db.session.execute(query)]


def people_of(actor, org: Organization) -> list[Person]:
    """The organisation's people this actor may see: those listed, or everyone (archived too) for
    those with rights over it."""
    people = db.session.scalars(select(Person).where(Person.organization_id == org.id).order_by(Person.name, Person.id))
    return [p for p in people if permissions.can(actor, "person.view", p)]


@operation
def create_person(actor, org: Organization, data: dict) -> Person:
    permissions.require(actor, "person.manage", org)
    cleaned = validate_person(data)
    person = Person(organization=org, organization_id=org.id, **cleaned)
    db.session.add(person)
    return person


@operation
def update_person(actor, person: Person, data: dict, expected_version) -> Person:
    permissions.require(actor, "person.manage", person.organization)
    cleaned = validate_person(data, existing=person)
    check_version(person, expected_version, {k: getattr(person, k) for k in cleaned}, cleaned)
    for key, value in cleaned.items():
        setattr(person, key, value)
    return person
