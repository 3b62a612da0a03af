"""The start page a signed-in user lands on, and the count of what waits for them in the top bar.

A member sees its organisation (with the useful profile fields still empty), its projects whose
outcome report for this year is missing, the initiative invitations it has not answered and its
change requests. A coordinator sees each queue of its nodes (a count and the oldest items) and the
latest changes there; an admin the same over every node. Who sees what comes from
network.permissions (``network_scope``, ``organizations_in_scope``), as in the queues' own pages.

Every read is bounded: counts stop at COUNT_LIMIT, lists at a few rows, the latest changes read
the audit log backwards from now and stop, so neither the page's statements nor the rows they
read grow with the data or the audit log. The duplicate count alone needs the whole scope: the
page loads that card afterwards, and its figures are kept (``duplicate_queue``).
"""

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace

from flask import has_request_context, request
from sqlalchemy import Select, and_, exists, func, literal, or_, select
from sqlalchemy.orm import selectinload

from network import permissions
from network.extensions import db
from network.models import (
    AuditEvent,
    ChangeRequest,
    ImportJob,
    Initiative,
    Membership,
    Network,
    NotDuplicate,
    Organization,
    OutcomeReport,
    Participant,
    Project,
    utcnow,
)  # fmt: skip
from network.services import outcomes, overview
from network.services.duplicates import review as duplicates
from network.services.search import index as search_index

# Counts shown as "100+" past this: counting further would read rows no one looks at.
COUNT_LIMIT = 100
# The oldest items of each queue listed on the start page.
SHOWN = 5
# Memberships ending within, or lapsed during, this many days.
MEMBERSHIP_DAYS = 60
# Change requests decided this recently stay on the member's start page.
DECIDED_DAYS = 30
# The latest changes are read from this far back at most (the scan stops there).
CHANGES_DAYS = 90
# Profile fields worth filling in, in the order the start page names them.
USEFUL_FIELDS = ("description", "website", "email", "phone", "hq_country", "countries", "themes", "founded")
IMPORTS_OPEN = ("uploaded", "previewed", "running")
# The nodes an admin's start page links to (each to its editing settings).
NODES_SHOWN = 50


@dataclass
class Queue:
    """A queue's count (up to COUNT_LIMIT + 1) and its oldest few items."""

    count: int
    items: list = field(default_factory=list)

    @property
    def more(self) -> bool:
        return self.count > COUNT_LIMIT


@dataclass
class MemberStart:
    organization: Organization
    missing: list[str]  # useful profile fields still empty
    reports_due: Queue  # projects active this year without an outcome report for it
    reports_returned: Queue  # outcome reports a verifier sent back
    reports_to_verify: Queue  # reports it may verify (a technical partner in an initiative)
    invitations: Queue  # initiatives the organisation is invited to and has not answered
    change_requests: list[ChangeRequest]  # pending, or decided in the last DECIDED_DAYS


@dataclass
class CoordinatorStart:
    everywhere: bool  # an admin: every node's queues
    nodes: list[Network]  # the nodes managed (an admin: the first NODES_SHOWN), for their settings
    change_requests: Queue
    reports_submitted: Queue  # outcome reports awaiting its verification (outcomes.to_verify_query)
    invitations: Queue
    memberships_ending: Queue
    memberships_lapsed: Queue
    imports: Queue
    changes: list = field(default_factory=list)  # overview.Change, newest first


def today() -> date:
    return utcnow().date()


def year_bounds(day: date) -> tuple[date, date]:
    return date(day.year, 1, 1), date(day.year, 12, 31)


def bounded_count(query: Select) -> Select:
    """SELECT count(*) of ``query``'s first COUNT_LIMIT + 1 rows (a scalar subquery)."""
    limited = query.with_only_columns(literal(1), maintain_column_froms=True).limit(COUNT_LIMIT + 1).subquery()
    return select(func.count()).select_from(limited).scalar_subquery()


def queue(query: Select, order_by, *, options=()) -> Queue:
    count = db.session.scalar(select(bounded_count(query)))
    items = list(db.session.scalars(query.order_by(*order_by).limit(SHOWN).options(*options))) if count else []
    return Queue(count, items)


# ---------------------------------------------------------------------------------------------
# The member's start page


def reports_due_query(organization_id: int, day: date) -> Select:
    """The organisation's projects active this year without an outcome report covering any of it."""
    first, last = year_bounds(day)
    report_this_year = exists().where(
        OutcomeReport.project_id == Project.id,
        OutcomeReport.archived_at.is_(None),
        OutcomeReport.period_start <= last,
        OutcomeReport.period_end >= first,
    )
    return select(Project).where(
        Project.lead_organization_id == organization_id,
        Project.archived_at.is_(None),
        Project.status.in_(("active", "completed")),
        or_(Project.start_date.is_(None), Project.start_date <= last),
        or_(Project.end_date.is_(None), Project.end_date >= first),
        ~report_this_year,
    )


def reports_query(status: str, lead_in) -> Select:
    """Live outcome reports in ``status`` of live projects whose lead organisation is ``lead_in``
    (an id, a subquery of ids, or None for all)."""
    query = (
        select(OutcomeReport)
        .join(Project, Project.id == OutcomeReport.project_id)
        .where(
            OutcomeReport.review_status == status,
            OutcomeReport.archived_at.is_(None),
            Project.archived_at.is_(None),
        )
    )
    if isinstance(lead_in, int):
        return query.where(Project.lead_organization_id == lead_in)
    return query.where(_in_scope(Project.lead_organization_id, lead_in))


def invitations_query(organization_id: int) -> Select:
    return (
        select(Participant)
        .join(Initiative, Initiative.id == Participant.initiative_id)
        .where(
            Participant.organization_id == organization_id,
            Participant.invitation_status == "invited",
            Initiative.archived_at.is_(None),
        )
    )


def reports_to_verify(actor) -> Queue:
    """The oldest reports awaiting the user's verification (the rule's own query) and their count."""
    return queue(
        outcomes.to_verify_query(actor), (outcomes.queued_at(), OutcomeReport.id),
        options=(selectinload(OutcomeReport.project).selectinload(Project.lead_organization),),
    )  # fmt: skip


def missing_fields(org: Organization) -> list[str]:
    """The useful profile fields the organisation has left empty."""
    return [name for name in USEFUL_FIELDS if getattr(org, name) in (None, "", [])]


def member_start(actor) -> MemberStart | None:
    org = actor.organization
    if org is None or not permissions.speaks_for(actor, org):
        return None
    org = db.session.scalars(
        select(Organization)
        .where(Organization.id == org.id)
        .options(selectinload(Organization.countries), selectinload(Organization.themes))
    ).one()
    decided_since = utcnow() - timedelta(days=DECIDED_DAYS)
    requests = db.session.scalars(
        select(ChangeRequest)
        .where(
            ChangeRequest.organization_id == org.id,
            or_(ChangeRequest.status == "pending", ChangeRequest.reviewed_at >= decided_since),
        )
        .order_by(ChangeRequest.created_at.desc(), ChangeRequest.id.desc())
        .limit(SHOWN)
        .options(selectinload(ChangeRequest.reviewed_by))
    )
    return MemberStart(
        organization=org,
        missing=missing_fields(org),
        reports_due=queue(reports_due_query(org.id, today()), (Project.end_date, Project.id)),
        reports_returned=queue(
            reports_query("returned", org.id),
            (OutcomeReport.reviewed_at, OutcomeReport.id),
            options=(selectinload(OutcomeReport.project),),
        ),  # fmt: skip
        reports_to_verify=reports_to_verify(actor),
        invitations=queue(
            invitations_query(org.id),
            (Participant.invited_at, Participant.id),
            options=(selectinload(Participant.initiative),),
        ),  # fmt: skip
        change_requests=list(requests),
    )


# ---------------------------------------------------------------------------------------------
# The coordinator's (and admin's) start page


def _in_scope(column, in_scope: Select | None):
    return column.in_(in_scope) if in_scope is not None else literal(True)


def change_requests_query(in_scope) -> Select:
    return select(ChangeRequest).where(
        ChangeRequest.status == "pending", _in_scope(ChangeRequest.organization_id, in_scope)
    )


def unanswered_query(actor, in_scope) -> Select:
    """Invitations not answered yet, of organisations in the actor's nodes or to initiatives they convene."""
    convened = select(Initiative.id).join(Network, Network.id == Initiative.network_id)
    convened = convened.where(permissions.in_network_scope(actor, Network.path))
    return (
        select(Participant)
        .join(Initiative, Initiative.id == Participant.initiative_id)
        .where(
            Participant.invitation_status == "invited",
            Initiative.archived_at.is_(None),
            or_(_in_scope(Participant.organization_id, in_scope), Participant.initiative_id.in_(convened)),
        )
    )


def memberships_query(actor, *, ending: bool, day: date) -> Select:
    """Memberships of the actor's nodes ending in the next MEMBERSHIP_DAYS, or lapsed in the last."""
    span = timedelta(days=MEMBERSHIP_DAYS)
    when = (
        and_(Membership.status != "lapsed", Membership.left_on >= day, Membership.left_on <= day + span)
        if ending
        else and_(Membership.status == "lapsed", Membership.left_on >= day - span, Membership.left_on <= day)
    )
    return (
        select(Membership)
        .join(Network, Network.id == Membership.network_id)
        .where(when, permissions.in_network_scope(actor, Network.path))
    )


def imports_query(actor) -> Select:
    """Imports not finished: the actor's own (admins: everyone's)."""
    query = select(ImportJob).where(ImportJob.status.in_(IMPORTS_OPEN))
    if not permissions.can(actor, "import.view_all"):
        query = query.where(ImportJob.user_id == actor.id)
    return query


def latest_changes(actor, in_scope, limit: int = 10) -> list:
    """The newest changes to the organisations of the actor's nodes and to those nodes' memberships
    (admins: the newest public changes anywhere), read backwards from now for CHANGES_DAYS at most."""
    if in_scope is None:
        return overview.recent_changes(limit=limit)
    memberships = select(Membership.id).join(Network, Network.id == Membership.network_id)
    memberships = memberships.where(permissions.in_network_scope(actor, Network.path))
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.at >= utcnow() - timedelta(days=CHANGES_DAYS),
                or_(
                    and_(AuditEvent.entity_type == "organizations", AuditEvent.entity_id.in_(in_scope)),
                    and_(AuditEvent.entity_type == "memberships", AuditEvent.entity_id.in_(memberships)),
                ),
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
            .options(selectinload(AuditEvent.actor))
        )
    )
    ids: dict[str, set[int]] = {}
    for event in events:
        ids.setdefault(event.entity_type, set()).add(event.entity_id)
    subjects = {kind: overview.SUBJECT_LOADERS[kind](found) for kind, found in ids.items()}
    return [
        overview.Change(event, subjects[event.entity_type].get(event.entity_id), sorted((event.changes or {}).keys()))
        for event in events
    ]


# {(database, scope): (generation, pairs marked distinct, time, count, first pairs, seconds taken)}.
# The duplicates queue reads every organisation in scope (3-4 s for 20,000 at a load of 7 on two
# cores), so the start page loads its card afterwards (/start/duplicates) and its figures are kept:
# exact while no organisation changes (the search generation) and no pair is marked distinct; after
# a change, worked out again at once when that is cheap (under DUPLICATES_SLOW seconds), else kept
# for DUPLICATES_MAX_AGE seconds more at most.
_duplicates_cache: dict[tuple, tuple] = {}
_CACHED_SCOPES = 64
DUPLICATES_MAX_AGE = 600
DUPLICATES_SLOW = 0.5


def duplicate_queue(actor) -> Queue:
    """The likely duplicate pairs in the actor's nodes: how many (up to COUNT_LIMIT + 1), the best few."""
    permissions.require(actor, "duplicates.review")
    conn = db.session.connection()
    scope = permissions.network_scope(actor)
    key = (conn.engine.url.render_as_string(hide_password=True), None if scope is None else tuple(sorted(scope)))
    generation = search_index.read_generation(conn)
    distinct = db.session.scalar(select(func.count()).select_from(NotDuplicate))
    now = time.monotonic()
    known = _duplicates_cache.get(key)
    stale = known is not None and known[0] != generation
    if (
        known is None
        or known[1] != distinct
        or (stale and (known[5] < DUPLICATES_SLOW or now - known[2] > DUPLICATES_MAX_AGE))
    ):
        pairs, _seconds = duplicates.duplicate_pairs(actor, limit=COUNT_LIMIT + 1)
        if len(_duplicates_cache) >= _CACHED_SCOPES:
            _duplicates_cache.clear()
        shown = [(p.first.id, p.second.id) for p in pairs[:SHOWN]]
        known = _duplicates_cache[key] = (generation, distinct, now, len(pairs), shown, time.monotonic() - now)
    count, shown = known[3], known[4]
    ids = {i for pair in shown for i in pair}
    names = dict(db.session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids))).all())
    return Queue(count, [(names.get(a, f"#{a}"), names.get(b, f"#{b}")) for a, b in shown])


def coordinator_start(actor) -> CoordinatorStart:
    in_scope = permissions.organizations_in_scope(actor)
    day = today()
    return CoordinatorStart(
        everywhere=in_scope is None,
        nodes=list(actor.networks) if in_scope is not None else list(db.session.scalars(
            select(Network).where(Network.archived_at.is_(None)).order_by(Network.path).limit(NODES_SHOWN)
        )),
        change_requests=queue(
            change_requests_query(in_scope), (ChangeRequest.created_at, ChangeRequest.id),
            options=(selectinload(ChangeRequest.organization),),
        ),
        reports_submitted=reports_to_verify(actor),
        invitations=queue(
            unanswered_query(actor, in_scope), (Participant.invited_at, Participant.id),
            options=(selectinload(Participant.organization), selectinload(Participant.initiative)),
        ),
        memberships_ending=queue(
            memberships_query(actor, ending=True, day=day), (Membership.left_on, Membership.id),
            options=(selectinload(Membership.organization), selectinload(Membership.network)),
        ),
        memberships_lapsed=queue(
            memberships_query(actor, ending=False, day=day), (Membership.left_on, Membership.id),
            options=(selectinload(Membership.organization), selectinload(Membership.network)),
        ),
        imports=queue(imports_query(actor), (ImportJob.created_at, ImportJob.id)),
        changes=latest_changes(actor, in_scope),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The top bar's count of what waits for the user


@dataclass
class Waiting:
    total: int = 0
    change_requests: int = 0  # for the "Changes to review" link

    @property
    def more(self) -> bool:
        return self.total > COUNT_LIMIT


def waiting(actor) -> Waiting:
    """What waits for the user, in one statement of bounded counts, once a request: for a member its
    unanswered invitations, missing outcome reports, reports sent back and reports to verify (a
    technical partner's); for a coordinator or
    admin the change requests to review, memberships ending soon, its unfinished imports and the
    outcome reports awaiting verification. (Possible duplicates
    are left out: counting them reads the whole directory.)"""
    # Kept in the request's environ, not g: g outlives the request where an app context is pushed.
    cached = request.environ.get("network.waiting") if has_request_context() else None
    if cached is not None and cached[0] == getattr(actor, "id", None):
        return cached[1]
    result = Waiting()
    if permissions.can(actor, "change_request.queue"):
        in_scope = permissions.organizations_in_scope(actor)
        day = today()
        counts = db.session.execute(
            select(
                bounded_count(change_requests_query(in_scope)),
                bounded_count(memberships_query(actor, ending=True, day=day)),
                bounded_count(imports_query(actor)),
                bounded_count(outcomes.to_verify_query(actor)),
            )
        ).one()
        result = Waiting(total=sum(counts), change_requests=counts[0])
    elif own_organization_id(actor) is not None:
        counts = db.session.execute(
            select(
                bounded_count(invitations_query(actor.organization_id)),
                bounded_count(reports_due_query(actor.organization_id, today())),
                bounded_count(reports_query("returned", actor.organization_id)),
                bounded_count(outcomes.to_verify_query(actor)),
            )
        ).one()
        result = Waiting(total=sum(counts))
    if has_request_context():
        request.environ["network.waiting"] = (getattr(actor, "id", None), result)
    return result


def own_organization_id(actor) -> int | None:
    """The id of the organisation the user speaks for (a member), without loading it: speaks_for
    reads only its id, and the top bar asks on every page."""
    org_id = getattr(actor, "organization_id", None)
    return org_id if org_id is not None and permissions.speaks_for(actor, SimpleNamespace(id=org_id)) else None


def organization_slug(organization_id: int) -> str:
    return db.session.scalar(select(Organization.slug).where(Organization.id == organization_id))
