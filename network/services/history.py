"""Reading the audit trail: History tabs of records and the admin-wide log.

The rows themselves are written by the session hook in network.services.audit. Here they are
selected (a record with the records that belong to it) and made readable: ids in the diffs
become names, resolved with one query per kind of reference, never one per row.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from babel import Locale
from babel.lists import format_list
from flask_babel import format_date, format_datetime, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, and_, column, literal, literal_column, or_, select, true, union_all, values
from sqlalchemy.orm import aliased, selectinload

from network import labels, paging, permissions
from network.activity.forms import ACTIVITY_KIND_LABELS
from network.extensions import db
from network.models import (
    AuditEvent,
    ChangeRequest,
    Initiative,
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
    Theme,
    User,
)  # fmt: skip
from network.services.events.labels import EVENT_CHOICES, EVENT_FIELD_LABELS

ENTITY_LABELS = {
    "organizations": _l("Organisation"),
    "memberships": _l("Membership"),
    "people": _l("Person"),
    "organization_identifiers": _l("Identifier"),
    "change_requests": _l("Change request"),
    "projects": _l("Project"),
    "project_participants": _l("Project participant"),
    "outcome_evidence": _l("Evidence file"),
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
    "events": _l("Event"),
    "event_hosts": _l("Event host"),
    "agenda_items": _l("Agenda item"),
    "registrations": _l("Registration"),
    "event_notes": _l("Event note"),
    "mailings": _l("Mailing"),
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
    "send": _l("sent"),  # a mailing (network.services.mailings)
}
FIELD_LABELS = {
    "name": _l("Name"), "name_local": _l("Local name"), "acronym": _l("Acronym"), "kind": _l("Kind"),
    "hq_country_id": _l("HQ country"), "hq_country": _l("HQ country"), "website": _l("Website"),
    "email": _l("Email"), "phone": _l("Phone"), "description": _l("Description"), "founded": _l("Founded"),
    "countries": _l("Countries"), "themes": _l("Themes"), "archived_at": _l("Archived"), "slug": _l("Address"),
    "tags": _l("Tags"),  # recorded by network.services.tags as tag names
    "title": _l("Title"), "title_local": _l("Local title"), "summary": _l("Summary"), "status": _l("Status"),
    "start_date": _l("Start"), "end_date": _l("End"), "budget": _l("Budget"), "currency": _l("Currency"),
    "period_start": _l("Period start"), "period_end": _l("Period end"), "tco2e_reduced": _l("tCO2e reduced"),
    "basis": _l("Basis"), "method": _l("Method"), "people_reached": _l("People reached"), "note": _l("Note"),
    "role": _l("Role"), "joined_on": _l("Joined"), "left_on": _l("Left"), "consent_to_list": _l("Listed"),
    "mail_consent": _l("Agreed to network mail"), "language": _l("Language"),
    "unsubscribed_at": _l("Unsubscribed"), "bounced_at": _l("Mail bounced"), "recipients": _l("Recipients"),
    "organizations": _l("Organisations"),
    "organization_id": _l("Organisation"), "org_a_id": _l("Organisation"), "org_b_id": _l("Partner"),
    "lead_organization_id": _l("Lead organisation"), "network_id": _l("Network node"),
    "project_id": _l("Project"), "merged_into_id": _l("Merged into"), "comment": _l("Comment"),
    "proposed_by_id": _l("Proposed by"), "base_version": _l("Version proposed against"), "reviewed_by_id": _l("Reviewed by"), "changes": _l("Changes"),
    "reviewed_at": _l("Reviewed on"), "subject": _l("Subject"), "body": _l("Text"), "occurred_at": _l("Date"),
    "author_id": _l("Author"), "initiative_id": _l("Initiative"), "filename": _l("File"), "total_rows": _l("Rows"),
    "processed_rows": _l("Rows processed"), "counts": _l("Counts"), "finished_at": _l("Finished"), "user_id": _l("User"),
    "regions": _l("Regions"), "goal": _l("Goal"), "target_tco2e": _l("Target tCO2e"), "target_people": _l("Target people"),
    "created_by_id": _l("Created by"), "linked_at": _l("Linked on"), "linked_by_id": _l("Linked by"), "label": _l("Label"),
    "unit": _l("Unit"), "value": _l("Value"), "achieved": _l("Achieved"), "parent_id": _l("Parent node"),
    "region_id": _l("Region"), "invitation_status": _l("Invitation"), "share": _l("Share (%)"),
    "invited_at": _l("Invited on"), "responded_at": _l("Answered on"), "invited_by_id": _l("Invited by"),
    "networks": _l("Network nodes"), "active": _l("Active account"), "locale": _l("Language"), "scheme": _l("Scheme"),
    "review_status": _l("Verification"), "submitted_at": _l("Submitted on"), "submitted_by_id": _l("Submitted by"),
    "review_comment": _l("Verifier's comment"), "answer_recorded_by_id": _l("Answer recorded by"),
    "answer_how": _l("How it was agreed"), "confirmed_by_id": _l("Confirmed by"), "confirmed_at": _l("Confirmed on"),
    "content_type": _l("Type"), "size": _l("Size"), "uploaded_at": _l("Uploaded on"), "uploaded_by_id": _l("Uploaded by"),
    "report_id": _l("Outcome report"),
}  # fmt: skip
# Not shown in a diff: internal (a node's path) or shown as a sentence instead (an import's details).
HIDDEN_FIELDS = {"path", "details", "processed_rows", "id", "stored_name"}
CHANGE_REQUEST_STATUS_LABELS = {
    "pending": _l("Pending"), "approved": _l("Approved"), "rejected": _l("Rejected"), "withdrawn": _l("Withdrawn"),
}  # fmt: skip
IMPORT_STATUS_LABELS = {
    "uploaded": _l("Uploaded"), "previewed": _l("Previewed"), "running": _l("Running"), "committed": _l("Committed"),
    "failed": _l("Failed"), "undone": _l("Undone"),
}  # fmt: skip
# Coded values by (table, field): shown by their label.
CHOICES = {
    ("organizations", "kind"): labels.ORGANIZATION_KIND_LABELS, ("memberships", "status"): labels.MEMBERSHIP_STATUS_LABELS,
    ("users", "role"): labels.ROLE_LABELS, ("projects", "status"): labels.PROJECT_STATUS_LABELS,
    ("initiatives", "status"): labels.INITIATIVE_STATUS_LABELS, ("participants", "role"): labels.PARTICIPANT_ROLE_LABELS,
    ("participants", "invitation_status"): labels.INVITATION_STATUS_LABELS,
    ("partnerships", "kind"): labels.PARTNERSHIP_KIND_LABELS, ("partnerships", "status"): labels.PARTNERSHIP_STATUS_LABELS,
    ("project_participants", "role"): labels.PROJECT_ROLE_LABELS, ("outcome_reports", "basis"): labels.OUTCOME_BASIS_LABELS,
    ("change_requests", "status"): CHANGE_REQUEST_STATUS_LABELS, ("import_jobs", "status"): IMPORT_STATUS_LABELS,
    ("activities", "kind"): ACTIVITY_KIND_LABELS, ("outcome_reports", "review_status"): labels.OUTCOME_REVIEW_LABELS,
    ("project_participants", "status"): labels.CLAIM_STATUS_LABELS, ("initiative_projects", "status"): labels.CLAIM_STATUS_LABELS,
}  # fmt: skip
CHOICES.update(EVENT_CHOICES)  # events (#17): their labels live with them
FIELD_LABELS.update(EVENT_FIELD_LABELS)
DATE_FIELDS = {"start_date", "end_date", "period_start", "period_end", "joined_on", "left_on"}
# Diff fields holding ids (or codes, slugs, lists of them), and what they point at (shown by name).
REFERENCES = {
    "hq_country_id": (Region, Region.id), "hq_country": (Region, Region.code), "countries": (Region, Region.code),
    "regions": (Region, Region.code), "region_id": (Region, Region.id), "themes": (Theme, Theme.slug),
    "organization_id": (Organization, Organization.id), "org_a_id": (Organization, Organization.id),
    "org_b_id": (Organization, Organization.id), "lead_organization_id": (Organization, Organization.id),
    "merged_into_id": (Organization, Organization.id), "network_id": (Network, Network.id),
    "networks": (Network, Network.slug), "parent_id": (Network, Network.id), "project_id": (Project, Project.id),
    "initiative_id": (Initiative, Initiative.id), "proposed_by_id": (User, User.id), "reviewed_by_id": (User, User.id),
    "author_id": (User, User.id), "user_id": (User, User.id), "created_by_id": (User, User.id),
    "linked_by_id": (User, User.id), "invited_by_id": (User, User.id), "submitted_by_id": (User, User.id),
    "answer_recorded_by_id": (User, User.id), "confirmed_by_id": (User, User.id), "uploaded_by_id": (User, User.id),
}  # fmt: skip
# The columns that name a record (localized_name picks the reader's language among them).
NAME_COLUMNS = {
    Region: (Region.name, Region.name_zh), Theme: (Theme.name, Theme.name_zh),
    Network: (Network.name, Network.name_local), Organization: (Organization.name, Organization.name_local),
    Project: (Project.title.label("name"),), Initiative: (Initiative.title.label("name"),), User: (User.name,),
}  # fmt: skip


# Selecting ----------------------------------------------------------------------------------


def events_for(*targets: tuple[str, object], before: str | None = None) -> paging.Page:
    """A page of the events of several (entity_type, id-or-select-of-ids) targets, newest first
    from the cursor ``before``, actors loaded; one row past the page tells there is more.

    The ids of the records that belong to the target are read first (one statement for all of
    them). Then, on PostgreSQL, each record's newest events come from its own range of
    ix_audit_events_entity (type, id, at, id), read in order from the cursor and stopped after a
    page (a LATERAL subquery per record), and the page is the newest of those: nothing else of
    the trail is read, and no record gives more than a page. (Left to choose, PostgreSQL walks the
    whole trail backwards in time when it guesses a record's events are recent: for a record whose
    events are all old that walk is the whole log.) SQLite, without LATERAL, reads the records'
    events by (type, id) in the same index and sorts them; it never walks the trail."""
    wanted: dict[str, list[int]] = {}
    selects = []
    for entity_type, ids in targets:
        if isinstance(ids, int):
            wanted.setdefault(entity_type, []).append(ids)
        else:
            selects.append(select(literal(entity_type, String).label("type"), ids.subquery().c[0].label("id")))
    if selects:
        for entity_type, id_ in db.session.execute(union_all(*selects)):
            wanted.setdefault(entity_type, []).append(id_)
    if not wanted:
        return paging.Page(items=[], older=None, first=paging.decode(before) is None)
    if db.session.get_bind().dialect.name == "postgresql":
        records = values(column("type", String), column("id", Integer), name="records").data(
            [(t, i) for t, ids in wanted.items() for i in ids]
        )
        recent = select(AuditEvent).where(
            AuditEvent.entity_type == records.c.type, AuditEvent.entity_id == records.c.id
        )
        recent = paging.keyset(recent, AuditEvent.at, AuditEvent.id, before).lateral("recent")
        event = aliased(AuditEvent, recent)
        query = select(event).select_from(records).join(recent, true())
        query = query.order_by(event.at.desc(), event.id.desc()).limit(paging.PER_PAGE + 1)
        query = query.options(selectinload(event.actor))
    else:
        conditions = [and_(AuditEvent.entity_type == t, AuditEvent.entity_id.in_(ids)) for t, ids in wanted.items()]
        query = paging.keyset(select(AuditEvent).where(or_(*conditions)), AuditEvent.at, AuditEvent.id, before)
        query = query.options(selectinload(AuditEvent.actor))
    return paging.page(list(db.session.scalars(query)), lambda e: e.at, before)


def organization_history(actor, org: Organization, before: str | None = None) -> paging.Page:
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
        before=before,
    )  # fmt: skip


def project_history(actor, project: Project, before: str | None = None) -> paging.Page:
    permissions.require(actor, "history.view", project.lead_organization)
    return events_for(
        ("projects", project.id),
        ("outcome_reports", select(OutcomeReport.id).where(OutcomeReport.project_id == project.id)),
        ("project_participants", select(ProjectParticipant.id).where(ProjectParticipant.project_id == project.id)),
        before=before,
    )


def partnership_history(actor, partnership: Partnership, before: str | None = None) -> paging.Page:
    permissions.require(actor, "partnership.view_history", partnership)
    return events_for(("partnerships", partnership.id), before=before)


def last_change(entity_type: str, entity_id: int) -> AuditEvent | None:
    """Who saved a record last, and when (shown on the conflict page)."""
    query = select(AuditEvent).where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
    return db.session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1)).first()


@dataclass
class AuditFilter:
    actor_id: int | None = None
    entity_type: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    action: str | None = None
    extra: dict = field(default_factory=dict)

    def args(self) -> dict:
        """The filter as query-string arguments (for the paging links)."""
        values = {"actor": self.actor_id, "entity": self.entity_type, "action": self.action,
                  "since": self.since.isoformat() if self.since else None,
                  "until": self.until.isoformat() if self.until else None}  # fmt: skip
        return {k: v for k, v in values.items() if v}


def audit_log(actor, filters: AuditFilter, before: str | None = None, per_page: int = paging.PER_PAGE) -> paging.Page:
    """The whole audit trail, newest first from the cursor ``before``, filtered.

    Each filter has an index ending in (at, id) (actor, kind of record, kind of change; dates use
    the (at, id) one), so a page reads one of them in order and stops, however long the trail. It
    shows no total: counting would read every matching row."""
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
    query = paging.keyset(query, AuditEvent.at, AuditEvent.id, before, per_page)
    return paging.page(list(db.session.scalars(query)), lambda e: e.at, before, per_page)


def audit_actors(actor) -> list[User]:
    """Users who appear in the audit trail (for the filter's choices).

    The actor index is walked from one actor to the next (a loose index scan: one step into it per
    actor), so the trail is never read. With EXISTS per user, PostgreSQL sometimes chose to read the
    whole trail for a hash join when it held a few thousand rows."""
    permissions.require(actor, "audit.view_all")
    # LIMIT 1 as a literal: with a parameter, PostgreSQL's generic plan would guess the limit.
    after = select(AuditEvent.actor_id).order_by(AuditEvent.actor_id).limit(literal_column("1"))
    actors = select(after.where(AuditEvent.actor_id.is_not(None)).scalar_subquery().label("id"))
    actors = actors.cte("actors", recursive=True)
    actors = actors.union_all(
        select(after.where(AuditEvent.actor_id > actors.c.id).scalar_subquery()).where(actors.c.id.is_not(None))
    )
    return list(db.session.scalars(select(User).where(User.id.in_(select(actors.c.id))).order_by(User.name)))


# Making readable ----------------------------------------------------------------------------


@dataclass
class Line:
    """One row of an event's diff: the field's label and both values as the reader reads them
    (None: empty; a list of Lines: the fields of a proposed change)."""

    label: str
    before: object
    after: object


@dataclass
class Entry:
    event: AuditEvent
    lines: list[Line]
    summary: list[str]  # sentences shown instead of a diff (an import)


def names_for(events) -> dict[tuple[type, object], str]:
    """Names, in the reader's language, for what the events' diffs refer to: {(model, id or code): name};
    one query per kind of record, never one per row."""
    wanted: dict[tuple[type, object], set] = {}

    def collect(key, values):
        target = REFERENCES.get(key)
        if target is None:
            return
        for value in values:
            items = value if isinstance(value, list) else [value]
            wanted.setdefault(target, set()).update(v for v in items if isinstance(v, int | str) and v != "")

    for event in events:
        for key, pair in (event.changes or {}).items():
            if not isinstance(pair, list):
                continue
            collect(key, pair)
            if key == "changes":  # a change request's proposed fields
                for value in pair:
                    for inner_key, inner in (value or {}).items() if isinstance(value, dict) else ():
                        collect(inner_key, inner if isinstance(inner, list) else [])
    locale = get_locale()
    names: dict[tuple[type, object], str] = {}
    for (model, key_column), keys in wanted.items():
        keys = {v for v in keys if isinstance(v, int) == (key_column.key == "id")}
        if not keys:
            continue
        query = select(key_column.label("key"), *NAME_COLUMNS[model]).where(key_column.in_(keys))
        for row in db.session.execute(query):
            names[(model, row.key)] = labels.localized_name(row, locale)
    return names


def readable(entity_type: str, key: str, value, names: dict) -> object:
    """A diff value as the reader reads it: names for ids and codes, labels for coded values,
    dates in the reader's language; None for an empty value."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    target = REFERENCES.get(key)
    if target is not None:
        model = target[0]
        items = value if isinstance(value, list) else [value]
        shown = [names.get((model, v), str(v)) for v in items]
        return format_list(shown, locale=str(get_locale())) if isinstance(value, list) else shown[0]
    choices = CHOICES.get((entity_type, key))
    if choices is not None and isinstance(value, str):
        return labels.label(choices, value)
    if key == "locale" and isinstance(value, str):
        try:
            return Locale.parse(value).get_display_name(str(get_locale())) or value
        except (ValueError, LookupError):
            return value
    if isinstance(value, str) and (key.endswith("_at") or key in DATE_FIELDS):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if key in DATE_FIELDS and len(value) == 10:
            return format_date(moment.date(), "medium")
        return format_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC), "medium")
    if isinstance(value, list):
        return format_list([str(v) for v in value], locale=str(get_locale()))
    if isinstance(value, dict):
        return ", ".join(f"{FIELD_LABELS.get(k, k)}: {v}" for k, v in value.items())
    text = str(value)
    return text if len(text) <= 300 else text[:299] + "…"


def lines_for(entity_type: str, changes: dict, names: dict) -> list[Line]:
    lines = []
    for key in sorted(changes, key=lambda k: str(FIELD_LABELS.get(k, k))):
        pair = changes[key]
        if key in HIDDEN_FIELDS or not isinstance(pair, list) or len(pair) != 2:
            continue
        if entity_type == "change_requests" and key == "changes":
            # The proposed fields of the organisation, each with its own before and after.
            proposed = pair[1] if isinstance(pair[1], dict) else {}
            inner = lines_for("organizations", proposed, names)
            lines.append(Line(str(FIELD_LABELS[key]), None, inner or None))
            continue
        before, after = (readable(entity_type, key, value, names) for value in pair)
        lines.append(Line(str(FIELD_LABELS.get(key, key.replace("_", " "))), before, after))
    return lines


def import_summary(event: AuditEvent) -> list[str]:
    """An import's change as sentences: its file, status, rows and counts (its stored details are
    a large record of the preview, not for reading as a diff)."""
    after = {k: v[1] for k, v in (event.changes or {}).items() if isinstance(v, list) and len(v) == 2}
    sentences = []
    if after.get("filename"):
        sentences.append(gettext("File: %(name)s.", name=after["filename"]))
    if after.get("status"):
        sentences.append(gettext("Status: %(status)s.", status=labels.label(IMPORT_STATUS_LABELS, after["status"])))
    if after.get("total_rows"):
        rows = after["total_rows"]
        sentences.append(ngettext("%(num)d row in the file.", "%(num)d rows in the file.", rows))
    counts = after.get("counts")
    if isinstance(counts, dict) and counts:
        sentences.append(gettext(
            "%(new)d new, %(updated)d updated, %(duplicate)d possible duplicates, %(invalid)d invalid, "
            "%(skipped)d skipped.", new=counts.get("new", 0), updated=counts.get("updated", 0),
            duplicate=counts.get("duplicate", 0), invalid=counts.get("invalid", 0), skipped=counts.get("skipped", 0),
        ))  # fmt: skip
    details = after.get("details")
    if isinstance(details, dict) and isinstance(details.get("message"), str):
        sentences.append(details["message"])
    return sentences


def entries(events) -> list[Entry]:
    names = names_for(events)
    result = []
    for event in events:
        if event.entity_type == "import_jobs":
            result.append(Entry(event, [], import_summary(event)))
        else:
            result.append(Entry(event, lines_for(event.entity_type, event.changes or {}, names), []))
    return result


def history_context(page: paging.Page) -> dict:
    """What templates/_history.html needs: ``render_template(..., **history_context(page))``."""
    return {
        "page": page,
        "entries": entries(page.items),
        "entity_labels": ENTITY_LABELS,
        "action_labels": ACTION_LABELS,
    }
