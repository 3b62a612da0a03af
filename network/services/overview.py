"""Read-only summaries for the home page, the member map and the network tree."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import Select, select, text
from sqlalchemy.orm import aliased, selectinload

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
from network.models.audit import PUBLIC_CHANGE
from network.services.search import facets, record_index


def listed_organizations(*where) -> Select:
    """Organisations the public directory shows: neither archived nor merged away."""
    return select(Organization).where(Organization.archived_at.is_(None), Organization.merged_into_id.is_(None), *where)


def counts() -> dict[str, int]:
    """The home page's figures, exact: read from the in-memory indexes the directory's facets use.

    Each worker keeps those indexes in step with the database through the search generations (one
    small query each per request), so no count here scans a table per request; the figures are
    worked out once per generation and kept beside it."""
    conn = db.session.connection()
    figures = _organization_figures(conn)
    return {
        "organizations": figures.organizations,
        "companies": figures.companies,
        "countries": figures.countries,
        "projects": record_index.current_index(conn, "project").size,
        "initiatives": record_index.current_index(conn, "initiative").size,
    }


@dataclass
class OrganizationFigures:
    generation: int
    organizations: int  # listed (neither archived nor merged away), companies apart
    companies: int
    countries: int  # headquarters countries of listed organisations, companies included
    per_country: dict[str, dict]  # organizations_per_country()


# Per database URL: the figures of the facet index generation they were worked out from.
_figures: dict[str, OrganizationFigures] = {}


def _organization_figures(conn) -> OrganizationFigures:
    index = facets.current_index(conn)
    key = conn.engine.url.render_as_string(hide_password=True)
    known = _figures.get(key)
    if known is not None and known.generation == index.generation:
        return known
    live = index.live
    companies = int(np.count_nonzero(live & (index.kind == facets.KIND_CODE["company"])))
    hq = index.country_sets["hq"].count(facets.pack(live), index.region_width)
    # Region names and codes change through writes that replace the generation too.
    rows = conn.execute(
        select(Region.id, Region.code, Region.m49, Region.name, Region.name_zh).where(Region.level == "country")
    )
    found = sorted(((int(hq[r.id]), r) for r in rows if r.id < hq.size and hq[r.id]), key=lambda p: (-p[0], p[1].name))
    figures = OrganizationFigures(
        generation=index.generation,
        organizations=int(np.count_nonzero(live)) - companies,
        companies=companies,
        countries=int(np.count_nonzero(hq)),
        per_country={
            r.m49: {"code": r.code, "name": r.name, "name_zh": r.name_zh, "count": n} for n, r in found if r.m49
        },
    )
    _figures[key] = figures
    return figures


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


# Named once: fresh aliases on every call would make SQLAlchemy compile the statement anew each time.
_org_a, _org_b = aliased(Organization, name="org_a"), aliased(Organization, name="org_b")


def _partnerships(ids) -> dict[int, Subject]:
    org_a, org_b = _org_a, _org_b
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


def _public_changes_hint() -> str:
    return " INDEXED BY ix_audit_events_public" if db.session.get_bind().dialect.name == "sqlite" else ""


def recent_change_ids(limit: int = 10) -> tuple[int, ...]:
    """The ids of the changes recent_changes(limit) shows, read from its index alone: they stand for
    the whole list (a change to any record it names is a newer public change)."""
    statement = (
        f"SELECT id FROM audit_events{_public_changes_hint()} WHERE {PUBLIC_CHANGE} ORDER BY id DESC LIMIT :limit"  # noqa: S608  (constants)
    )
    return tuple(db.session.scalars(text(statement), {"limit": limit}))


def recent_changes(limit: int = 10) -> list[Change]:
    """The newest changes to public records, newest first, read from ix_audit_events_public.

    That partial index holds the ids of public changes only, so the query reads it backwards and
    stops after `limit` rows, however long the audit log and however many private changes are in it.
    Its condition is repeated word for word (a planner uses a partial index only for a query whose
    WHERE implies the index's), and SQLite is told to use it: with no statistics it would rather
    fetch every public change through ix_audit_events_entity and sort them."""
    hint = _public_changes_hint()
    columns = ", ".join(c.name for c in AuditEvent.__table__.columns)
    statement = (
        text(
            f"SELECT {columns} FROM audit_events{hint} WHERE {PUBLIC_CHANGE} ORDER BY id DESC LIMIT :limit"  # noqa: S608  (constants)
        )
        .bindparams(limit=limit)
        .columns(*AuditEvent.__table__.columns)
    )  # typed as the model's (dates, JSON)
    events = list(
        db.session.scalars(select(AuditEvent).from_statement(statement).options(selectinload(AuditEvent.actor)))
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
    """{M49 code: {"code": ISO alpha-2, "name", "name_zh", "count"}} for countries with organisations,
    most organisations first (from the in-memory facet index: see counts).

    Keyed by M49 because the bundled world shapes (world-atlas) use ISO numeric ids.
    """
    return dict(_organization_figures(db.session.connection()).per_country)


# ---------------------------------------------------------------------------------------------
# The network node tree.


@dataclass
class NetworkNode:
    network: Network
    total_members: int = 0
    children: list["NetworkNode"] = field(default_factory=list)


def network_tree() -> list[NetworkNode]:
    """Every node with its distinct active member organisations, counting the nodes below it.

    Three queries: the search generation, the nodes, their regions. The totals (an organisation in
    two nodes of a subtree counts once) are worked out once per generation of the facet index,
    which every membership, organisation and node write replaces: see _member_totals.
    """
    networks = list(
        db.session.scalars(
            select(Network)
            .where(Network.archived_at.is_(None))
            .order_by(Network.path)
            .options(selectinload(Network.region))
        )
    )
    totals = _member_totals(db.session.connection())
    nodes = {n.id: NetworkNode(n, totals.get(n.id, 0)) for n in networks}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.network.parent_id)
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda child: child.network.name.lower())
    return roots


def tree_generation() -> int:
    """The state network_tree() shows: the facet index's generation, which every node, membership and
    organisation write replaces (the node page keeps its rendered tree under it)."""
    return facets.current_index(db.session.connection()).generation


# Per database URL: (search generation, {node id: distinct active listed members in its subtree}).
_member_totals_cache: dict[str, tuple[int, dict[int, int]]] = {}


def _member_totals(conn) -> dict[int, int]:
    """Per node: the directory's own count for that node with active members, i.e. what
    /organizations?network=<node>&status=active lists (listed organisations with a membership in the
    node or a node below it, and an active membership), read from the facet index the directory
    uses, so the two numbers cannot differ. Worked out once per generation of that index."""
    index = facets.current_index(conn)
    key = conn.engine.url.render_as_string(hide_password=True)
    known = _member_totals_cache.get(key)
    if known is not None and known[0] == index.generation:
        return known[1]
    active = index.live & index.status_sets.mask_for([facets.STATUS_CODE["active"]])
    counts = index.network_sets.count(facets.pack(active), index.network_width)
    totals = {node_id: int(counts[node_id]) for node_id in index.networks if node_id < counts.size}
    _member_totals_cache[key] = (index.generation, totals)
    return totals
