"""Read-only summaries for the home page, the member map and the network tree."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased, joinedload

from network.extensions import db
from network.models import (
    AuditEvent,
    Initiative,
    InitiativeProject,
    Membership,
    Network,
    Organization,
    OrganizationIdentifier,
    OutcomeReport,
    Participant,
    Partnership,
    Project,
    ProjectParticipant,
    Region,
)  # fmt: skip


def listed_organizations(*where) -> Select:
    """Organisations the public directory shows: neither archived nor merged away."""
    return select(Organization).where(Organization.archived_at.is_(None), Organization.merged_into_id.is_(None), *where)


def counts() -> dict[str, int]:
    def count(query: Select) -> int:
        return db.session.scalar(select(func.count()).select_from(query.subquery()))

    return {
        "organizations": count(listed_organizations(Organization.kind != "company")),
        "companies": count(listed_organizations(Organization.kind == "company")),
        "countries": count(
            listed_organizations(Organization.hq_country_id.is_not(None))
            .with_only_columns(Organization.hq_country_id)
            .distinct()
        ),
        "projects": count(select(Project).where(Project.archived_at.is_(None))),
        "initiatives": count(select(Initiative).where(Initiative.archived_at.is_(None))),
    }


# ---------------------------------------------------------------------------------------------
# Recent changes, told readably: who did what to which record, with a link to its page.


@dataclass
class Subject:
    """The record an audit event is about, as a reader would name it and where its page is."""

    kind: str  # "organization", "project" or "initiative": the page the link goes to
    label: str
    key: str | int  # slug or id for that page
    context: str | None = None  # e.g. "membership of CAN South Asia"


@dataclass
class Change:
    event: AuditEvent
    subject: Subject | None
    fields: list[str]

    @property
    def at(self) -> datetime:
        return self.event.at


# Changes to these tables appear on the public home page; contacts, users, tokens and the
# moderation queue never do.
PUBLIC_ENTITY_TYPES = (
    "organizations", "organization_identifiers", "memberships", "projects", "project_participants",
    "outcome_reports", "partnerships", "initiatives", "participants", "initiative_projects",
)  # fmt: skip


def _organizations(ids) -> dict[int, Subject]:
    rows = db.session.execute(
        select(Organization.id, Organization.name, Organization.slug).where(Organization.id.in_(ids))
    )
    return {r.id: Subject("organization", r.name, r.slug) for r in rows}


def _projects(ids) -> dict[int, Subject]:
    rows = db.session.execute(select(Project.id, Project.title).where(Project.id.in_(ids)))
    return {r.id: Subject("project", r.title, r.id) for r in rows}


def _initiatives(ids) -> dict[int, Subject]:
    rows = db.session.execute(select(Initiative.id, Initiative.title, Initiative.slug).where(Initiative.id.in_(ids)))
    return {r.id: Subject("initiative", r.title, r.slug) for r in rows}


def _memberships(ids) -> dict[int, Subject]:
    rows = db.session.execute(
        select(Membership.id, Organization.name, Organization.slug, Network.name.label("node"))
        .join(Organization, Organization.id == Membership.organization_id)
        .join(Network, Network.id == Membership.network_id)
        .where(Membership.id.in_(ids))
    )
    return {r.id: Subject("organization", r.name, r.slug, r.node) for r in rows}


def _identifiers(ids) -> dict[int, Subject]:
    rows = db.session.execute(
        select(OrganizationIdentifier.id, OrganizationIdentifier.value, Organization.name, Organization.slug)
        .join(Organization, Organization.id == OrganizationIdentifier.organization_id)
        .where(OrganizationIdentifier.id.in_(ids))
    )
    return {r.id: Subject("organization", r.name, r.slug, r.value) for r in rows}


def _project_children(model) -> callable:
    def load(ids) -> dict[int, Subject]:
        rows = db.session.execute(
            select(model.id, Project.id.label("project_id"), Project.title)
            .join(Project, Project.id == model.project_id)
            .where(model.id.in_(ids))
        )
        return {r.id: Subject("project", r.title, r.project_id) for r in rows}

    return load


def _initiative_children(model) -> callable:
    def load(ids) -> dict[int, Subject]:
        rows = db.session.execute(
            select(model.id, Initiative.slug, Initiative.title)
            .join(Initiative, Initiative.id == model.initiative_id)
            .where(model.id.in_(ids))
        )
        return {r.id: Subject("initiative", r.title, r.slug) for r in rows}

    return load


def _partnerships(ids) -> dict[int, Subject]:
    org_a, org_b = aliased(Organization), aliased(Organization)
    rows = db.session.execute(
        select(Partnership.id, org_a.name, org_a.slug, org_b.name.label("partner"))
        .join(org_a, org_a.id == Partnership.org_a_id)
        .join(org_b, org_b.id == Partnership.org_b_id)
        .where(Partnership.id.in_(ids))
    )
    return {r.id: Subject("organization", r.name, r.slug, r.partner) for r in rows}


# One query per kind of record among the events shown, never one per event.
SUBJECT_LOADERS = {
    "organizations": _organizations,
    "organization_identifiers": _identifiers,
    "memberships": _memberships,
    "projects": _projects,
    "project_participants": _project_children(ProjectParticipant),
    "outcome_reports": _project_children(OutcomeReport),
    "partnerships": _partnerships,
    "initiatives": _initiatives,
    "participants": _initiative_children(Participant),
    "initiative_projects": _initiative_children(InitiativeProject),
}


def recent_changes(limit: int = 10) -> list[Change]:
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type.in_(PUBLIC_ENTITY_TYPES))
            .options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
    ids_by_type: dict[str, set[int]] = defaultdict(set)
    for event in events:
        ids_by_type[event.entity_type].add(event.entity_id)
    subjects = {kind: SUBJECT_LOADERS[kind](ids) for kind, ids in ids_by_type.items()}
    return [
        Change(event, subjects[event.entity_type].get(event.entity_id), sorted((event.changes or {}).keys()))
        for event in events
    ]


# ---------------------------------------------------------------------------------------------
# The member map: organisations per headquarters country.


def organizations_per_country() -> dict[str, dict]:
    """{M49 code: {"code": ISO alpha-2, "name", "name_zh", "count"}} for countries with organisations.

    Keyed by M49 because the bundled world shapes (world-atlas) use ISO numeric ids.
    """
    listed = listed_organizations().subquery()
    rows = db.session.execute(
        select(Region.code, Region.m49, Region.name, Region.name_zh, func.count(listed.c.id))
        .join(listed, listed.c.hq_country_id == Region.id)
        .where(Region.level == "country")
        .group_by(Region.id, Region.code, Region.m49, Region.name, Region.name_zh)
        .order_by(func.count(listed.c.id).desc(), Region.name)
    )
    return {
        m49: {"code": code, "name": name, "name_zh": name_zh, "count": count}
        for code, m49, name, name_zh, count in rows
        if m49
    }


# ---------------------------------------------------------------------------------------------
# The network node tree.


@dataclass
class NetworkNode:
    network: Network
    total_members: int = 0
    children: list["NetworkNode"] = field(default_factory=list)


def network_tree() -> list[NetworkNode]:
    """Every node with its distinct active member organisations, counting the nodes below it.

    Two queries: the nodes, then one count per node over its subtree (an organisation in two
    nodes of the subtree counts once), joined on the materialised path prefix.
    """
    networks = list(db.session.scalars(select(Network).where(Network.archived_at.is_(None)).order_by(Network.path)))
    ancestor, below = aliased(Network), aliased(Network)
    totals = dict(
        db.session.execute(
            select(ancestor.id, func.count(func.distinct(Membership.organization_id)))
            .join(below, below.path.startswith(ancestor.path))
            .join(Membership, Membership.network_id == below.id)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(
                Membership.status == "active",
                Organization.archived_at.is_(None),
                Organization.merged_into_id.is_(None),
            )
            .group_by(ancestor.id)
        ).all()
    )
    nodes = {n.id: NetworkNode(n, totals.get(n.id, 0)) for n in networks}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.network.parent_id)
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda child: child.network.name.lower())
    return roots
