"""Automatic audit trail: a session hook writes an AuditEvent for every change.

Services never write audit rows themselves, so none can forget to. A bulk path that is not a
user's change (seed-demo) may switch it off with ``session.info["audit"] = False``.
"""

from datetime import date, datetime
from decimal import Decimal

from flask import g, has_app_context, has_request_context
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Mapper, Session

from network.models import (
    Activity,
    AgendaItem,
    AuditEvent,
    ChangeRequest,
    Event,
    EventHost,
    EventNote,
    ImportJob,
    Initiative,
    InitiativeProject,
    InitiativeTarget,
    Membership,
    Network,
    Organization,
    OrganizationIdentifier,
    OutcomeEvidence,
    OutcomeReport,
    Participant,
    Partnership,
    Person,
    Project,
    ProjectParticipant,
    Registration,
    User,
    utcnow,
)  # fmt: skip

AUDITED = (
    Activity, ChangeRequest, ImportJob, Initiative, InitiativeProject, InitiativeTarget, Membership,
    Network, Organization, OrganizationIdentifier, OutcomeEvidence, OutcomeReport, Participant, Partnership, Person,
    Project, ProjectParticipant, User,
    Event, EventHost, AgendaItem, Registration, EventNote,  # events (#17)
)  # fmt: skip
NOT_RECORDED = {"version", "created_at", "updated_at", "password_hash", "session_token", "last_login_at"}
PENDING = "audit_pending"


def entity_type(obj) -> str:
    return type(obj).__tablename__


def plain(value):
    """A JSON-safe form of a column value."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):  # collections: record what they point at
        return sorted(getattr(v, "code", None) or getattr(v, "slug", None) or v.id for v in value)
    return value


def current_actor_id() -> int | None:
    if not has_app_context():
        return None
    if "actor_id" in g:
        return g.actor_id
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.id
    return None


def field_changes(obj, *, new: bool) -> dict:
    changes = {}
    state = inspect(obj)
    for attr in state.mapper.attrs:
        key = attr.key
        if key in NOT_RECORDED or not hasattr(attr, "columns") and not _is_collection(attr):
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        if _is_collection(attr):
            before = list(history.unchanged) + list(history.deleted)
            after = list(history.unchanged) + list(history.added)
            changes[key] = [None if new else plain(before), plain(after)]
        else:
            old = history.deleted[0] if history.deleted else None
            value = history.added[0] if history.added else None
            if new and value is None:
                continue
            changes[key] = [None if new else plain(old), plain(value)]
    return changes


def _is_collection(attr) -> bool:
    return getattr(attr, "uselist", False) and getattr(attr, "secondary", None) is not None


def action_for(obj, changes: dict) -> str:
    if "archived_at" in changes:
        return "archive" if changes["archived_at"][1] else "restore"
    if "merged_into_id" in changes and changes["merged_into_id"][1]:
        return "merge"
    if isinstance(obj, ChangeRequest) and "status" in changes:
        return changes["status"][1]  # approved / rejected / withdrawn
    return "update"


@event.listens_for(Mapper, "after_configured", once=True)
def load_old_values_on_change() -> None:
    """Load a column's old value before it is overwritten, so diffs have both sides even when the
    record was expired by an earlier commit."""
    for cls in AUDITED:
        for attr in inspect(cls).column_attrs:
            getattr(cls, attr.key).impl.active_history = True


if inspect(AUDITED[0]).configured:  # configured before this module was imported: the event has passed
    load_old_values_on_change()


@event.listens_for(Session, "before_flush")
def collect_changes(session: Session, flush_context, instances) -> None:
    if session.info.get("audit") is False:
        return
    pending = session.info.setdefault(PENDING, [])
    for obj in session.dirty:
        if isinstance(obj, AUDITED) and session.is_modified(obj):
            changes = field_changes(obj, new=False)
            if changes:
                pending.append((obj, action_for(obj, changes), changes))
    for obj in session.deleted:
        if isinstance(obj, AUDITED):
            pending.append((obj, "delete", {}))
    for obj in session.new:
        if isinstance(obj, AUDITED):
            pending.append((obj, "create", field_changes(obj, new=True)))


@event.listens_for(Session, "after_flush")
def write_events(session: Session, flush_context) -> None:
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    actor, now = current_actor_id(), utcnow()
    rows = [
        {"at": now, "actor_id": actor, "action": action, "entity_type": entity_type(obj),
         "entity_id": obj.id, "changes": changes}
        for obj, action, changes in pending
    ]  # fmt: skip
    session.connection().execute(insert(AuditEvent), rows)
