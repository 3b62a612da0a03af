"""Who takes part in an initiative: invitations and their answers, leaving and removal, the credited
shares of outcomes, and who may see which participant."""

from datetime import UTC, datetime, time
from decimal import Decimal

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from network import paging, permissions
from network.extensions import db
from network.labels import INVITATION_STATUS_LABELS, label
from network.models import Initiative, Organization, Participant, User, utcnow
from network.models.initiative import PARTICIPANT_ROLES
from network.services import NotFound, PermissionDenied, ValidationError, operation
from network.services.cleaning import Cleaner
from network.services.notifications import absolute_url, notify, organization_users

# Statuses of a participant that is "in" the initiative (counted, cannot be invited again).
ACTIVE_STATUSES = ("invited", "accepted")
# Roles that share the credit for outcomes when the coordinator has set no shares.
CREDITED_ROLES = ("lead", "partner")
HUNDRED = Decimal(100)


# ---------------------------------------------------------------------------------------- reading


def visible_participants(actor, initiative: Initiative) -> list[Participant]:
    """Everyone for its coordinators and participants; only those who accepted for other readers
    (the rule is permissions' participant.view, asked once for the whole initiative here)."""
    if permissions.can(actor, "initiative.view_private", initiative):
        return list(initiative.participants)
    return [p for p in initiative.participants if permissions.can(actor, "participant.view", p)]


def visible_participant(actor, participant_id: int) -> Participant:
    """A participant, for those who may see it: an invitation that was not accepted is not found by
    others, as if it did not exist."""
    participant = db.session.get(Participant, participant_id) if 0 < participant_id <= 2**31 - 1 else None
    if participant is None or not permissions.can(actor, "participant.view", participant):
        permissions.require(actor, "directory.view")
        raise NotFound(_("No such participant."))
    return participant


def participant_history(initiative: Initiative, before: str | None = None) -> paging.Page:
    """A page of the changes to this initiative's participants, newest first from the cursor
    ``before`` (network.paging): who invited, accepted, left… with their actors. The participants'
    ids come from the initiative already loaded (no statement to read them)."""
    from network.services.history import events_for  # late: history imports the activity blueprint, which imports us

    targets = [(Participant.__tablename__, p.id) for p in initiative.participants]
    if not targets:
        return paging.Page(items=[], older=None, first=paging.decode(before) is None)
    return events_for(*targets, before=before)


def answered_for(actor, initiative: Initiative, participants: list[Participant]) -> set[int]:
    """The invitations among ``participants`` the actor answers for (permissions'
    participant.answer_for: they manage the initiative and the organisation has no active member
    user to answer): whether the organisations have users is one statement for all of them, where
    asking the rule for each invitation sent one statement per invited organisation."""
    invited = [p for p in participants if p.invitation_status == "invited"]
    if not invited or not permissions.can(actor, "initiative.manage_participants", initiative):
        return set()
    ids = {p.organization_id for p in invited}
    # the users who speak for them (permissions.speaking_for_any), for all of them at once
    answering = set(
        db.session.scalars(
            select(User.organization_id).where(permissions.speaking_for_any(ids), User.active.is_(True)).distinct()
        )
    )
    return {p.id for p in invited if p.organization_id not in answering}


def own_participation(actor, initiative: Initiative) -> Participant | None:
    """The participant row of the organisation the actor speaks for, if any."""
    return next((p for p in initiative.participants if permissions.speaks_for(actor, p.organization)), None)


def initiatives_of_organization(organization: Organization) -> list[Participant]:
    return list(
        db.session.scalars(
            select(Participant)
            .join(Initiative)
            .where(Participant.organization_id == organization.id, Initiative.archived_at.is_(None))
            .options(selectinload(Participant.initiative))
            .order_by(Initiative.title)
        )
    )


def find_organizations_to_invite(initiative: Initiative, query: str, limit: int = 20) -> list[Organization]:
    """Organisations (firms included) whose name, local name or acronym contains the query."""
    query = (query or "").strip()
    if not query:
        return []
    taken = [p.organization_id for p in initiative.participants if p.invitation_status in ACTIVE_STATUSES]
    pattern = f"%{query.lower()}%"
    stmt = (
        select(Organization)
        .where(Organization.archived_at.is_(None), Organization.merged_into_id.is_(None))
        .where(or_(func.lower(Organization.name).like(pattern), func.lower(Organization.name_local).like(pattern),
                   func.lower(Organization.acronym).like(pattern)))
        .options(selectinload(Organization.hq_country))
        .order_by(Organization.name)
        .limit(limit)
    )  # fmt: skip
    if taken:
        stmt = stmt.where(Organization.id.not_in(taken))
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------------------------- participants


def _link(initiative: Initiative, external: bool = False) -> str:
    """The initiative's address: a path for in-app notices, a full URL for mail when known."""
    if not has_request_context():
        return f"/initiatives/{initiative.slug}"
    return url_for("initiatives.detail", slug=initiative.slug, _external=external)


def _participant(initiative: Initiative, organization: Organization) -> Participant | None:
    return db.session.scalar(
        select(Participant).where(Participant.initiative_id == initiative.id,
                                  Participant.organization_id == organization.id)
    )  # fmt: skip


@operation
def invite_participant(actor, initiative: Initiative, organization: Organization, role: str = "partner") -> Participant:
    """Add an organisation with a role; its member users get an in-app notice and a mail."""
    permissions.require(actor, "initiative.manage_participants", initiative)
    if role not in PARTICIPANT_ROLES:
        raise ValidationError({"role": [_("Choose lead, partner, funder, technical or observer.")]})
    if organization.is_archived or organization.merged_into_id is not None:
        raise ValidationError(
            {"organization": [_("%(name)s is archived and cannot be invited.", name=organization.name)]}
        )
    if initiative.is_archived or initiative.status == "closed":
        raise ValidationError({"": [_("This initiative is closed; nobody can be invited to it.")]})
    participant = _participant(initiative, organization)
    if participant is not None and participant.invitation_status in ACTIVE_STATUSES:
        state = _("has already accepted") if participant.invitation_status == "accepted" else _("is already invited")
        raise ValidationError({"organization": [_("%(name)s %(state)s.", name=organization.name, state=state)]})
    if participant is None:
        participant = Participant(initiative=initiative, organization=organization)
        db.session.add(participant)
    # A declined, departed or removed organisation may be invited again: the same row, a new round.
    participant.role = role
    participant.invitation_status = "invited"
    participant.share = None
    participant.invited_at = utcnow()
    participant.responded_at = None
    participant.invited_by_id = getattr(actor, "id", None)
    params = {
        "org": organization.name,
        "title": initiative.title,
        "role": role,
        "url": _link(initiative, external=True),
    }
    users = organization_users(organization)
    if users:
        notify(users, "invitation", params, _link(initiative), mail=True)
    else:
        # Nobody can answer for it in the app: the convening coordinators record its answer once it
        # is given (record_answer), so they are the ones reminded.
        notify(convening_coordinators(initiative, actor), "invitation_no_users", params, _link(initiative))
    return participant


def convening_coordinators(initiative: Initiative, actor=None) -> list:
    """The active coordinators of the convening node (or a node above it); the actor alone when
    the initiative has no convening node."""
    if initiative.network is None:
        return [actor] if isinstance(actor, User) and actor.active else []
    return list(
        db.session.scalars(
            select(User).where(permissions.coordinating(initiative.network), User.active.is_(True)).order_by(User.id)
        )
    )


def answers_itself(organization: Organization) -> bool:
    """Whether the organisation has users who answer its invitations themselves."""
    return permissions.has_users(organization)


@operation
def record_answer(actor, participant: Participant, accept: bool, answered_on, how: str) -> Participant:
    """A coordinator records the answer of an organisation without user accounts: accepted or
    declined, the day it was given and how (a mail from its director, a meeting): kept on the
    participant and in its audit trail."""
    if permissions.can(actor, "initiative.manage_participants", participant.initiative) and not permissions.can(
        actor, "participant.answer_for", participant
    ):
        raise ValidationError({"": [_("%(org)s has users of its own: they answer the invitation themselves.",
                                      org=participant.organization.name)]})  # fmt: skip
    permissions.require(actor, "participant.answer_for", participant)
    if participant.invitation_status != "invited":
        status = label(INVITATION_STATUS_LABELS, participant.invitation_status).lower()
        raise ValidationError({"": [_("This invitation was already answered (%(status)s).", status=status)]})
    c = Cleaner({"answered_on": answered_on, "how": how})
    c.date("answered_on", required=True)
    c.text("how", max_length=300, required=True)
    day = c.cleaned.get("answered_on")
    if day is not None and day > utcnow().date():
        c.error("answered_on", _("Must not be in the future."))
    elif day is not None and day < participant.invited_at.date():
        c.error("answered_on", _("Must not be before the invitation (%(date)s).",
                                 date=participant.invited_at.date().isoformat()))  # fmt: skip
    cleaned = c.done()
    participant.invitation_status = "accepted" if accept else "declined"
    participant.responded_at = datetime.combine(cleaned["answered_on"], time(12), tzinfo=UTC)
    participant.answer_recorded_by_id = actor.id
    participant.answer_how = cleaned["how"]
    _tell_managers(participant, "invitation_accepted" if accept else "invitation_declined", actor)
    return participant


@operation
def change_participant_role(actor, participant: Participant, role: str) -> Participant:
    """A coordinator changes the role an organisation has in the initiative (its share stays)."""
    permissions.require(actor, "participant.change_role", participant)
    if role not in PARTICIPANT_ROLES:
        raise ValidationError({"role": [_("Choose lead, partner, funder, technical or observer.")]})
    if participant.invitation_status not in ACTIVE_STATUSES:
        raise ValidationError({"": [_("%(org)s is not taking part.", org=participant.organization.name)]})
    if participant.role != role:
        participant.role = role
        notify(organization_users(participant.organization), "participant_role_changed",
               dict(_names(participant), role=role), _link(participant.initiative))  # fmt: skip
    return participant


def _respond_check(actor, participant: Participant, organization: Organization | None) -> None:
    if not permissions.can(actor, "participation.respond", participant):
        raise PermissionDenied(_("This invitation is for %(name)s; only its members can answer it.",
                                 name=participant.organization.name))  # fmt: skip
    # The organisation the form says it answers for must be the invited one (no answering for others).
    if organization is not None and organization.id != participant.organization_id:
        raise ValidationError({"": [_("This invitation is for %(name)s, not for %(other)s.",
                                      name=participant.organization.name, other=organization.name)]})  # fmt: skip


@operation
def respond_to_invitation(actor, participant: Participant, accept: bool,
                          organization: Organization | None = None) -> Participant:  # fmt: skip
    _respond_check(actor, participant, organization)
    if participant.invitation_status != "invited":
        status = label(INVITATION_STATUS_LABELS, participant.invitation_status).lower()
        raise ValidationError({"": [_("This invitation was already answered (%(status)s).", status=status)]})
    participant.invitation_status = "accepted" if accept else "declined"
    participant.responded_at = utcnow()
    _tell_managers(participant, "invitation_accepted" if accept else "invitation_declined")
    return participant


@operation
def leave_initiative(actor, participant: Participant) -> Participant:
    permissions.require(actor, "participation.respond", participant)
    if participant.invitation_status != "accepted":
        raise ValidationError({"": [_("Only an organisation taking part can leave.")]})
    _end_participation(participant, "left")
    _tell_managers(participant, "participant_left")
    return participant


@operation
def remove_participant(actor, participant: Participant) -> Participant:
    permissions.require(actor, "initiative.manage_participants", participant.initiative)
    if participant.invitation_status not in ACTIVE_STATUSES:
        raise ValidationError({"": [_("%(org)s is not taking part.", org=participant.organization.name)]})
    _end_participation(participant, "removed")
    notify(organization_users(participant.organization), "participant_removed", _names(participant),
           _link(participant.initiative))  # fmt: skip
    _tell_managers(participant, "participant_removed", actor)
    return participant


def _end_participation(participant: Participant, status: str) -> None:
    initiative = participant.initiative
    had_share = participant.share is not None
    participant.invitation_status = status
    participant.responded_at = utcnow()
    participant.share = None
    if had_share:
        # The remaining custom shares no longer add up to 100: back to the default split.
        for other in initiative.participants:
            other.share = None
    # Its linked projects stay linked but stop counting (the roll-up counts accepted participants only).


def _names(participant: Participant) -> dict:
    return {"org": participant.organization.name, "title": participant.initiative.title}


def _tell_managers(participant: Participant, kind: str, actor=None) -> None:
    """Notice to the convening node's coordinators and whoever sent the invitation (not to the
    actor who did it)."""
    users = convening_coordinators(participant.initiative)
    inviter = db.session.get(User, participant.invited_by_id) if participant.invited_by_id else None
    if inviter is not None and inviter.active:
        users.append(inviter)
    users = [u for u in users if u.id != getattr(actor, "id", None)]
    if users:
        notify(users, kind, _names(participant), _link(participant.initiative))


def tell_new_user_of_invitations(user) -> list:
    """A member user just given an account (or moved to an organisation) is told of the initiative
    invitations their organisation has yet to answer, as the users it had then were."""
    if not user.active or not permissions.speaks_for(user, user.organization):
        return []
    pending = db.session.scalars(
        select(Participant).join(Initiative, Initiative.id == Participant.initiative_id)
        .where(Participant.organization_id == user.organization_id, Participant.invitation_status == "invited",
               Initiative.archived_at.is_(None))
        .order_by(Participant.id)
    )  # fmt: skip
    notices = []
    for participant in pending:
        params = dict(_names(participant), role=participant.role, url=absolute_url(_link(participant.initiative)))
        notices += notify([user], "invitation", params, _link(participant.initiative))
    return notices


def find_participant(initiative: Initiative, participant_id: int) -> Participant:
    participant = next((p for p in initiative.participants if p.id == participant_id), None)
    if participant is None:
        raise NotFound(_("No such participant in this initiative."))
    return participant


# ------------------------------------------------------------------------------------------ shares


def effective_shares(initiative: Initiative) -> dict[int, Decimal]:
    """Each accepted participant's credited share in percent (participant id → share).

    With no shares set, the lead and partners split 100 equally and other roles get none; once a
    coordinator sets shares, those are used as they are (they sum to 100).
    """
    accepted = [p for p in initiative.participants if p.invitation_status == "accepted"]
    if any(p.share is not None for p in accepted):
        return {p.id: p.share or Decimal(0) for p in accepted}
    credited = [p for p in accepted if p.role in CREDITED_ROLES]
    equal = HUNDRED / len(credited) if credited else Decimal(0)
    return {p.id: (equal if p.role in CREDITED_ROLES else Decimal(0)) for p in accepted}


@operation
def set_shares(actor, initiative: Initiative, shares: dict[int, str | Decimal | None]) -> dict[int, Decimal]:
    """Set the credited shares of accepted participants; all blank restores the default split."""
    permissions.require(actor, "initiative.manage_participants", initiative)
    accepted = {p.id: p for p in initiative.participants if p.invitation_status == "accepted"}
    unknown = set(shares) - set(accepted)
    if unknown:
        raise ValidationError({"shares": [_("Shares can only be set for participants who accepted.")]})
    c = Cleaner({f"share-{pid}": shares.get(pid) for pid in accepted})
    for pid in accepted:
        c.decimal(f"share-{pid}", digits=5, places=2)
    parsed = {pid: c.cleaned.get(f"share-{pid}") for pid in accepted}
    for pid, value in parsed.items():
        if value is not None and value > HUNDRED:
            c.error(f"share-{pid}", _("A share is at most 100."))
    c.done()
    if all(v is None for v in parsed.values()):
        for p in accepted.values():
            p.share = None
        return effective_shares(initiative)
    total = sum((v or Decimal(0)) for v in parsed.values())
    if total != HUNDRED:
        raise ValidationError({"shares": [_("Shares must add up to 100; they add up to %(total)s.",
                                            total=format(total.normalize(), "f"))]})  # fmt: skip
    for pid, p in accepted.items():
        p.share = (parsed[pid] or Decimal(0)).quantize(Decimal("0.01"))
    if sum(p.share for p in accepted.values()) != HUNDRED:
        raise ValidationError({"shares": [_("Use at most two decimals so the shares add up to exactly 100.")]})
    return effective_shares(initiative)
