"""Read services for the organisation page and the project page.

Each page is loaded in a fixed number of queries, however many memberships, people, projects,
partnerships or initiatives the record has (tests/test_query_counts.py holds us to it).
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, or_, select, text
from sqlalchemy.orm import joinedload, selectinload

from network import permissions
from network.errors import NotFound
from network.extensions import db
from network.models import (
    Membership,
    Organization,
    OutcomeReport,
    Partnership,
    Person,
    Project,
    ProjectParticipant,
)  # fmt: skip
from network.models.organization import identifier_scheme
from network.services.lookups import MAX_ID
from network.services.reference import Place, places

# Longest chain of merges we follow (A merged into B, later B into C, …) before giving up.
MAX_MERGE_HOPS = 10
MAX_SLUG_LENGTH = 120
# Invitation states shown to everyone; the others only to people with rights over the record.
PUBLIC_INVITATION_STATUSES = ("accepted",)
PRIVATE_INVITATION_STATUSES = ("accepted", "invited")


@dataclass
class ProjectRole:
    project: Project
    role: str  # "lead" or the participant role


@dataclass
class PartnershipView:
    partnership: Partnership
    partner: Organization


@dataclass(frozen=True, slots=True)
class IdentifierView:
    value: str

    @property
    def scheme(self) -> str:
        return identifier_scheme(self.value)


class InitiativeLink(NamedTuple):
    """An initiative as a project's page lists it."""

    id: int
    slug: str
    title: str
    title_local: str | None
    status: str


class InitiativeRole(NamedTuple):
    """An initiative an organisation takes part in, as its page lists it."""

    initiative: InitiativeLink
    role: str
    invitation_status: str


@dataclass
class OrganizationPage:
    organization: Organization
    show_private: bool
    countries: list[Place]
    themes: list[Place]
    identifiers: list[IdentifierView]
    memberships: list[Membership]
    people: list[Person]
    projects: list[ProjectRole]
    partnerships: list[PartnershipView]
    initiatives: list[InitiativeRole]


@dataclass
class OutcomeTotals:
    """Estimated and verified figures are kept apart: they are never added together."""

    estimated_tco2e: Decimal = Decimal(0)
    verified_tco2e: Decimal = Decimal(0)
    people_reached: int = 0
    reports: int = 0


@dataclass
class ProjectPage:
    project: Project
    participants: list[ProjectParticipant]
    outcomes: list[OutcomeReport]
    totals: OutcomeTotals
    initiatives: list[InitiativeLink] = field(default_factory=list)
    countries: list[Place] = field(default_factory=list)
    themes: list[Place] = field(default_factory=list)


def find_organization(slug: str) -> Organization:
    """The organisation with this slug, archived or merged ones included; NotFound otherwise."""
    if not slug or len(slug) > MAX_SLUG_LENGTH or any(ord(c) < 32 for c in slug):
        raise NotFound(_("No organisation has this address."))  # PostgreSQL refuses NUL in a query
    # Its memberships (a few; permission checks and its page read them) come joined; its other
    # collections load when asked for, and its page reads them in one statement (organization_page).
    org = db.session.execute(ORGANIZATION_BY_SLUG, {"slug": slug}).unique().scalar_one_or_none()
    if org is None:
        raise NotFound(_("No organisation has this address."))
    return org


def merge_survivor(org: Organization) -> Organization:
    """The record a merged organisation now lives on (following chains of merges)."""
    seen = {org.id}
    for _hop in range(MAX_MERGE_HOPS):
        if org.merged_into_id is None:
            return org
        org = db.session.get(Organization, org.merged_into_id)
        if org is None or org.id in seen:
            break
        seen.add(org.id)
    raise NotFound(_("This organisation was merged into a record that no longer exists."))


def require_visible(user, org: Organization) -> None:
    """organization.view, except that an archived record is not found (not refused) by those who
    may not see it: a 403 would tell a stranger it exists."""
    if not permissions.can(user, "organization.view", org):
        if org.is_archived:
            raise NotFound(_("No organisation has this address."))
        permissions.require(user, "organization.view", org)  # raises PermissionDenied


# The page's statements, built once: building a statement and its cache key anew for each request
# cost more than running it (0.42 against 0.18 ms for the memberships).
ORGANIZATION_BY_SLUG = (
    select(Organization)
    .where(Organization.slug == bindparam("slug"))
    .options(joinedload(Organization.hq_country), joinedload(Organization.memberships).joinedload(Membership.network))
)
PAGE_PEOPLE = (
    select(Person).where(Person.organization_id == bindparam("org"), Person.archived_at.is_(None)).order_by(Person.name)
)
PAGE_LISTED_PEOPLE = PAGE_PEOPLE.where(Person.consent_to_list.is_(True))
# Projects it leads or takes part in, each with its role in one statement: the organisation's
# participant row (at most one per project) joined in, not read by a statement of its own.
PAGE_PROJECTS = (
    select(Project, ProjectParticipant.role)
    .outerjoin(
        ProjectParticipant,
        and_(ProjectParticipant.project_id == Project.id, ProjectParticipant.organization_id == bindparam("org")),
    )
    .where(Project.archived_at.is_(None))
    # One set of ids, each half read through its index: with "lead = :org OR id IN (…)" PostgreSQL
    # guessed hundreds of projects and joined the leads through a scan of every organisation (5 ms).
    .where(
        Project.id.in_(
            select(Project.id)
            .where(Project.lead_organization_id == bindparam("org"))
            .union(select(ProjectParticipant.project_id).where(ProjectParticipant.organization_id == bindparam("org")))
        )
    )
    .options(joinedload(Project.lead_organization))
    .order_by(Project.start_date.desc().nulls_last(), Project.title)
)
PAGE_PARTNERSHIPS = (
    select(Partnership)
    .where(
        or_(Partnership.org_a_id == bindparam("org"), Partnership.org_b_id == bindparam("org")),
        Partnership.archived_at.is_(None),
    )
    .options(joinedload(Partnership.org_a), joinedload(Partnership.org_b))
    .order_by(Partnership.start_date.desc().nulls_last(), Partnership.id)
)
# Countries, themes, identifiers and initiatives (with its role) of one organisation in one
# statement (names of places from reference.places).
PROFILE_LISTS = text(
    "SELECT 'region', region_id, NULL, NULL, NULL, NULL, NULL, NULL FROM organization_countries"
    " WHERE organization_id = :id"
    " UNION ALL SELECT 'theme', theme_id, NULL, NULL, NULL, NULL, NULL, NULL FROM organization_themes"
    " WHERE organization_id = :id"
    " UNION ALL SELECT 'identifier', id, value, NULL, NULL, NULL, NULL, NULL FROM organization_identifiers"
    " WHERE organization_id = :id"
    " UNION ALL SELECT 'initiative', i.id, i.slug, i.title, i.title_local, i.status, p.role, p.invitation_status"
    " FROM participants p JOIN initiatives i ON i.id = p.initiative_id"
    " WHERE p.organization_id = :id AND p.invitation_status IN :statuses AND i.archived_at IS NULL"
).bindparams(bindparam("statuses", expanding=True))


def _lists(statement, params: dict) -> tuple[list[Place], list[Place], list[tuple]]:
    """A record's countries (by name) and themes (in order), named through reference.places, and the
    other rows of its lists statement (`kind, id, …`): one statement for what its page lists."""
    known = places()
    countries, themes, rows = [], [], []
    for row in db.session.execute(statement, params):
        if row[0] in ("region", "theme"):
            if (row[0], row[1]) in known:
                (countries if row[0] == "region" else themes).append(known[row[0], row[1]])
        else:
            rows.append(tuple(row))
    return sorted(countries, key=lambda c: c.name), sorted(themes, key=lambda t: t.position), rows


def organization_page(user, org: Organization) -> OrganizationPage:
    """Everything the organisation page shows, in a fixed number of queries."""
    require_visible(user, org)
    show_private = permissions.can(user, "organization.view_private", org)
    this = {"org": org.id}

    statuses = PRIVATE_INVITATION_STATUSES if show_private else PUBLIC_INVITATION_STATUSES
    countries, themes, rows = _lists(PROFILE_LISTS, {"id": org.id, "statuses": list(statuses)})
    identifiers = [IdentifierView(value) for kind, _id, value, *_ in rows if kind == "identifier"]
    initiatives = [
        InitiativeRole(InitiativeLink(id_, slug, *more[:3]), *more[3:])
        for kind, id_, slug, *more in rows
        if kind == "initiative"
    ]
    memberships = sorted(org.memberships, key=lambda m: m.network.path)
    people = list(db.session.scalars(PAGE_PEOPLE if show_private else PAGE_LISTED_PEOPLE, this))
    project_roles = [
        ProjectRole(p, "lead" if p.lead_organization_id == org.id else (role or "partner"))
        for p, role in db.session.execute(PAGE_PROJECTS, this)
    ]
    partnership_views = [PartnershipView(p, p.other(org)) for p in db.session.scalars(PAGE_PARTNERSHIPS, this)]
    return OrganizationPage(
        organization=org,
        show_private=show_private,
        countries=countries,
        themes=themes,
        identifiers=sorted(identifiers, key=lambda i: i.value),
        memberships=memberships,
        people=people,
        projects=project_roles,
        partnerships=partnership_views,
        initiatives=sorted(initiatives, key=lambda i: i.initiative.title),
    )


# Countries and themes of a page of projects in one statement.
PROJECT_PLACES = text(
    "SELECT project_id, 'region', region_id FROM project_countries WHERE project_id IN :ids"
    " UNION ALL SELECT project_id, 'theme', theme_id FROM project_themes WHERE project_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def project_places(ids: list[int]) -> dict[int, tuple[list[Place], list[Place]]]:
    """{project id: (its countries by name, its themes in order)} (reference.places for the names)."""
    known, found = places(), {i: ([], []) for i in ids}
    if ids:
        for project_id, kind, ref in db.session.execute(PROJECT_PLACES, {"ids": ids}):
            if (kind, ref) in known:
                found[project_id][kind == "theme"].append(known[kind, ref])
    for countries, themes in found.values():
        countries.sort(key=lambda c: c.name)
        themes.sort(key=lambda t: t.position)
    return found


# The project with its lead and its outcome reports (a few a year) joined; its participants by a
# second statement (joined too, they would multiply the reports' rows).
PROJECT_PAGE = (
    select(Project)
    .where(Project.id == bindparam("id"))
    .options(
        joinedload(Project.lead_organization),
        joinedload(Project.outcome_reports),
        selectinload(Project.participants).joinedload(ProjectParticipant.organization),
    )
)
# Its countries, themes and initiatives in one statement (names of places from reference.places).
PROJECT_LISTS = text(
    "SELECT 'region', region_id, NULL, NULL, NULL, NULL FROM project_countries WHERE project_id = :id"
    " UNION ALL SELECT 'theme', theme_id, NULL, NULL, NULL, NULL FROM project_themes WHERE project_id = :id"
    " UNION ALL SELECT 'initiative', i.id, i.slug, i.title, i.title_local, i.status FROM initiatives i"
    " JOIN initiative_projects l ON l.initiative_id = i.id WHERE l.project_id = :id AND i.archived_at IS NULL"
)


def project_page(user, project_id: int) -> ProjectPage:
    """Everything the project page shows, in a fixed number of queries."""
    if not 0 < project_id <= MAX_ID:
        raise NotFound(_("No project has this number."))  # beyond the integer column: no such row
    project = db.session.execute(PROJECT_PAGE, {"id": project_id}).unique().scalar_one_or_none()
    if project is None:
        raise NotFound(_("No project has this number."))
    permissions.require(user, "project.view", project)

    outcomes = [r for r in project.outcome_reports if r.archived_at is None]
    totals = OutcomeTotals(reports=len(outcomes))
    for report in outcomes:
        if report.tco2e_reduced is not None:
            if report.basis == "verified":
                totals.verified_tco2e += report.tco2e_reduced
            else:
                totals.estimated_tco2e += report.tco2e_reduced
        totals.people_reached += report.people_reached or 0

    participants = sorted(
        (p for p in project.participants if p.organization_id != project.lead_organization_id),
        key=lambda p: (p.role != "lead", p.organization.name.lower()),
    )
    countries, themes, rows = _lists(PROJECT_LISTS, {"id": project.id})
    initiatives = [InitiativeLink(*values) for _kind, *values in rows]
    return ProjectPage(
        project=project,
        participants=participants,
        outcomes=outcomes,
        totals=totals,
        initiatives=sorted(initiatives, key=lambda i: i.title),
        countries=countries,
        themes=themes,
    )
