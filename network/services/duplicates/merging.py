"""Merging a duplicate organisation into the one that survives: chosen field values, then every
record that points at the duplicate."""

from flask_babel import gettext as _
from sqlalchemy import or_, select

from network import permissions
from network.errors import Conflict, ValidationError
from network.extensions import db
from network.models import (
    Activity,
    Membership,
    Organization,
    Participant,
    Partnership,
    Person,
    Project,
    ProjectParticipant,
    User,
    utcnow,
)
from network.services import operation

MERGE_FIELDS = ("name", "name_local", "acronym", "kind", "hq_country", "website", "email", "phone",
                "description", "founded")  # fmt: skip
MEMBERSHIP_RANK = {"active": 3, "applicant": 2, "suspended": 1, "lapsed": 0}
INVITATION_RANK = {"accepted": 4, "invited": 3, "declined": 2, "left": 1, "removed": 0}


@operation
def merge_organizations(actor, survivor: Organization, duplicate: Organization, *, choices: dict[str, str],
                        survivor_version: int, duplicate_version: int) -> Organization:  # fmt: skip
    """Merge duplicate into survivor: chosen field values, then everything that points at it.

    choices maps a field of MERGE_FIELDS to "survivor" or "duplicate" (missing: survivor's value,
    or the duplicate's when the survivor has none). Themes, countries and identifiers are united.
    """
    permissions.require(actor, "organization.merge", survivor)
    permissions.require(actor, "organization.merge", duplicate)
    if survivor.id == duplicate.id:
        raise ValidationError({"": [_("An organisation cannot be merged into itself.")]})
    for org, version in ((survivor, survivor_version), (duplicate, duplicate_version)):
        if org.version != version:
            raise Conflict(current_version=org.version)
        if org.merged_into_id or org.archived_at:
            raise ValidationError({"": [_("%(name)s is archived or already merged.", name=org.name)]})
    unknown = set(choices) - set(MERGE_FIELDS)
    if unknown or set(choices.values()) - {"survivor", "duplicate"}:
        raise ValidationError({"": [_("Unknown merge choice.")]})

    for name in MERGE_FIELDS:
        ours, theirs = getattr(survivor, name), getattr(duplicate, name)
        choice = choices.get(name) or ("duplicate" if ours in (None, "") and theirs not in (None, "") else "survivor")
        if choice == "duplicate" and ours != theirs:
            setattr(survivor, name, theirs)
    survivor.themes = survivor.themes + [t for t in duplicate.themes if t not in survivor.themes]
    survivor.countries = survivor.countries + [c for c in duplicate.countries if c not in survivor.countries]
    survivor.tags = survivor.tags + [t for t in duplicate.tags if t not in survivor.tags]  # its lists too
    for identifier in list(duplicate.identifiers):
        identifier.organization = survivor

    _move_memberships(survivor, duplicate)
    for person in db.session.scalars(select(Person).where(Person.organization_id == duplicate.id)):
        person.organization_id = survivor.id
    for project in db.session.scalars(select(Project).where(Project.lead_organization_id == duplicate.id)):
        project.lead_organization_id = survivor.id
    _move_unique(ProjectParticipant, "project_id", survivor, duplicate, rank=None)
    _move_unique(Participant, "initiative_id", survivor, duplicate, rank=INVITATION_RANK)
    for partnership in db.session.scalars(
        select(Partnership).where(or_(Partnership.org_a_id == duplicate.id, Partnership.org_b_id == duplicate.id))
    ):
        a = survivor.id if partnership.org_a_id == duplicate.id else partnership.org_a_id
        b = survivor.id if partnership.org_b_id == duplicate.id else partnership.org_b_id
        if a == b:  # the two were partners of each other: nothing left to relate
            partnership.archived_at = partnership.archived_at or utcnow()
        else:
            partnership.org_a_id, partnership.org_b_id = a, b
    for activity in db.session.scalars(select(Activity).where(Activity.organization_id == duplicate.id)):
        activity.organization_id = survivor.id
    for user in db.session.scalars(select(User).where(User.organization_id == duplicate.id)):
        user.organization_id = survivor.id

    duplicate.merged_into_id = survivor.id
    duplicate.archived_at = utcnow()
    return survivor


def _move_memberships(survivor: Organization, duplicate: Organization) -> None:
    """Memberships move; where both belong to the same node the survivor's one keeps the best of both."""
    ours = {
        m.network_id: m for m in db.session.scalars(select(Membership).where(Membership.organization_id == survivor.id))
    }
    for m in list(db.session.scalars(select(Membership).where(Membership.organization_id == duplicate.id))):
        kept = ours.get(m.network_id)
        if kept is None:
            m.organization_id = survivor.id
            continue
        if MEMBERSHIP_RANK.get(m.status, 0) > MEMBERSHIP_RANK.get(kept.status, 0):
            kept.status = m.status
        if m.joined_on and (kept.joined_on is None or m.joined_on < kept.joined_on):
            kept.joined_on = m.joined_on
        db.session.delete(m)


def _move_unique(model, parent: str, survivor: Organization, duplicate: Organization, rank: dict | None) -> None:
    """Rows unique on (parent, organisation): move them, or fold them into the survivor's own row."""
    ours = {
        getattr(r, parent): r for r in db.session.scalars(select(model).where(model.organization_id == survivor.id))
    }
    for row in list(db.session.scalars(select(model).where(model.organization_id == duplicate.id))):
        kept = ours.get(getattr(row, parent))
        if kept is None:
            row.organization_id = survivor.id
            continue
        if rank and rank.get(row.invitation_status, 0) > rank.get(kept.invitation_status, 0):
            kept.invitation_status, kept.role = row.invitation_status, row.role
        db.session.delete(row)
    db.session.flush()
