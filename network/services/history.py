"""Reading the audit trail: History tabs of records and the admin-wide log.

The rows themselves are written by the session hook in network.services.audit. Here they are
selected (a record with the records that belong to it) and made readable: ids in the diffs
become names, resolved with one query per kind of reference, never one per row.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import selectinload

from network import permissions
from network.extensions import db
from network.models import (
    AuditEvent,
    ChangeRequest,
    Membership,
    Network,
    Organization,
    OrganizationIdentifier,
    OutcomeReport,
    Partnership,
    Person,
    Project,
    ProjectParticipant,
    Region,
    User,
)  # fmt: skip

HISTORY_LIMIT = 300

ENTITY_LABELS = {
    "organizations": _l("Organisation"),
    "memberships": _l("Membership"),
    "people": _l("Person"),
    "organization_identifiers": _l("Identifier"),
    "change_requests": _l("Change request"),
    "projects": _l("Project"),
    "project_participants": _l("Project participant"),
    "outcome_reports": _l("Outcome report"),
    "partnerships": _l("Partnership"),
    "initiatives": _l("Initiative"),
    "initiative_targets": _l("Initiative target"),
    "initiative_projects": _l("Linked project"),
    "participants": _l("Initiative participant"),
    "activities": _l("Activity"),
    "networks": _l("Network node"),
    "users": _l("User"),
    "import_jobs": _l("Import"),
}
ACTION_LABELS = {
    "create": _l("created"),
    "update": _l("changed"),
    "archive": _l("archived"),
    "restore": _l("restored"),
    "merge": _l("merged"),
    "delete": _l("deleted"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "withdrawn": _l("withdrawn"),
}
FIELD_LABELS = {
    "name": _l("Name"), "name_local": _l("Local name"), "acronym": _l("Acronym"), "kind": _l("Kind"),
    "hq_country_id": _l("HQ country"), "hq_country": _l("HQ country"), "website": _l("Website"),
    "email": _l("Email"), "phone": _l("Phone"), "description": _l("Description"), "founded": _l("Founded"),
    "countries": _l("Countries"), "themes": _l("Themes"), "archived_at": _l("Archived"), "slug": _l("Address"),
    "title": _l("Title"), "title_local": _l("Local title"), "summary": _l("Summary"), "status": _l("Status"),
    "start_date": _l("Start"), "end_date": _l("End"), "budget": _l("Budget"), "currency": _l("Currency"),
    "period_start": _l("Period start"), "period_end": _l("Period end"), "tco2e_reduced": _l("tCO2e reduced"),
    "basis": _l("Basis"), "method": _l("Method"), "people_reached": _l("People reached"), "note": _l("Note"),
    "role": _l("Role"), "joined_on": _l("Joined"), "left_on": _l("Left"), "consent_to_list": _l("Listed"),
    "organization_id": _l("Organisation"), "org_a_id": _l("Organisation"), "org_b_id": _l("Partner"),
    "lead_organization_id": _l("Lead organisation"), "network_id": _l("Network node"),
    "project_id": _l("Project"), "merged_into_id": _l("Merged into"), "comment": _l("Comment"),
    "proposed_by_id": _l("Proposed by"), "base_version": _l("Version proposed against"), "reviewed_by_id": _l("Reviewed by"), "changes": _l("Changes"),
}  # fmt: skip
# Diff fields holding ids, and what they point at (shown by name).
REFERENCES = {
    "hq_country_id": Region, "organization_id": Organization, "org_a_id": Organization, "org_b_id": Organization,
    "lead_organization_id": Organization, "merged_into_id": Organization, "network_id": Network,
    "project_id": Project, "proposed_by_id": User, "reviewed_by_id": User,
}  # fmt: skip


# Selecting ----------------------------------------------------------------------------------


def events_for(*targets: tuple[str, object], limit: int | None = HISTORY_LIMIT) -> list[AuditEvent]:
    """Events of several (entity_type, id-or-select-of-ids) targets, newest first, actors loaded."""
    conditions = []
    for entity_type, ids in targets:
        if isinstance(ids, int):
            conditions.append(and_(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == ids))
        else:
            conditions.append(and_(AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(ids)))
    query = (
        select(AuditEvent)
        .where(or_(*conditions) if conditions else false())
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def organization_history(actor, org: Organization, limit: int | None = HISTORY_LIMIT) -> list[AuditEvent]:
    """The organisation and what belongs to it: memberships, people, identifiers, change requests,
    partnerships. (Projects have their own History tab.)"""
    permissions.require(actor, "history.view", org)
    return events_for(
        ("organizations", org.id),
        ("memberships", select(Membership.id).where(Membership.organization_id == org.id)),
        ("people", select(Person.id).where(Person.organization_id == org.id)),
        ("organization_identifiers", select(OrganizationIdentifier.id).where(OrganizationIdentifier.organization_id == org.id)),
        ("change_requests", select(ChangeRequest.id).where(ChangeRequest.organization_id == org.id)),
        ("partnerships", select(Partnership.id).where(or_(Partnership.org_a_id == org.id, Partnership.org_b_id == org.id))),
        limit=limit,
    )  # fmt: skip


def project_history(actor, project: Project, limit: int | None = HISTORY_LIMIT) -> list[AuditEvent]:
    permissions.require(actor, "history.view", project.lead_organization)
    return events_for(
        ("projects", project.id),
        ("outcome_reports", select(OutcomeReport.id).where(OutcomeReport.project_id == project.id)),
        ("project_participants", select(ProjectParticipant.id).where(ProjectParticipant.project_id == project.id)),
        limit=limit,
    )


def partnership_history(actor, partnership: Partnership, limit: int | None = HISTORY_LIMIT) -> list[AuditEvent]:
    permissions.require(actor, "partnership.view_history", partnership)
    return events_for(("partnerships", partnership.id), limit=limit)


def last_change(entity_type: str, entity_id: int) -> AuditEvent | None:
    """Who saved a record last, and when (shown on the conflict page)."""
    events = events_for((entity_type, entity_id), limit=1)
    return events[0] if events else None


@dataclass
class AuditFilter:
    actor_id: int | None = None
    entity_type: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    action: str | None = None
    extra: dict = field(default_factory=dict)

    def args(self) -> dict:
        """The filter as query-string arguments (for pagination links)."""
        values = {"actor": self.actor_id, "entity": self.entity_type, "action": self.action,
                  "since": self.since.isoformat() if self.since else None,
                  "until": self.until.isoformat() if self.until else None}  # fmt: skip
        return {k: v for k, v in values.items() if v}


def audit_log(actor, filters: AuditFilter, *, page: int = 1, per_page: int = 50):
    """The whole audit trail, newest first, filtered; a Flask-SQLAlchemy pagination."""
    permissions.require(actor, "audit.view_all")
    query = select(AuditEvent).options(selectinload(AuditEvent.actor))
    if filters.actor_id:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.entity_type:
        query = query.where(AuditEvent.entity_type == filters.entity_type)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since:
        query = query.where(AuditEvent.at >= datetime.combine(filters.since, time.min, UTC))
    if filters.until:
        query = query.where(AuditEvent.at < datetime.combine(filters.until + timedelta(days=1), time.min, UTC))
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def audit_actors(actor) -> list[User]:
    """Users who appear in the audit trail (for the filter's choices)."""
    permissions.require(actor, "audit.view_all")
    return list(db.session.scalars(select(User).where(User.id.in_(select(AuditEvent.actor_id))).order_by(User.name)))


# Making readable ----------------------------------------------------------------------------


def references(events) -> dict[tuple[str, object], str]:
    """Names for the ids in the events' diffs: {(field, id): name}, one query per model."""
    wanted: dict[type, set] = {}
    for event in events:
        for key, values in (event.changes or {}).items():
            model = REFERENCES.get(key)
            if model is None or not isinstance(values, list):
                continue
            wanted.setdefault(model, set()).update(v for v in values if isinstance(v, int))
    names: dict[tuple[type, int], str] = {}
    for model, ids in wanted.items():
        if not ids:
            continue
        label = {Region: Region.code, Project: Project.title}.get(model) or model.name
        for id_, name in db.session.execute(select(model.id, label).where(model.id.in_(ids))):
            names[(model, id_)] = name
    return {(key, id_): names[(model, id_)] for key, model in REFERENCES.items() for (m, id_) in names if m is model}


def history_context(events) -> dict:
    """What templates/_history.html needs: ``render_template(..., **history_context(events))``."""
    return {
        "events": events,
        "references": references(events),
        "field_labels": FIELD_LABELS,
        "entity_labels": ENTITY_LABELS,
        "action_labels": ACTION_LABELS,
    }
