"""Who may do what: the one place for every rule.

``can(user, action, obj)`` answers; ``require(user, action, obj)`` raises PermissionDenied.
Services call ``require`` first; templates call ``can`` only to hide buttons. Queries that list
what a user may act in ask ``network_scope`` (or its SQL forms ``in_network_scope`` and
``organizations_in_scope``). Nothing else compares a user's role; this module imports nothing
from the services.

Roles:
- admin: everything, but the actions in ``OWNER_ONLY``: those are a user's own business (revoking
  their API token, deleting their saved search), and their rule alone decides, for admins too.
- coordinator: the network nodes in ``user.networks`` and every node below them; manages the
  organisations holding a membership there, approves their profile changes, creates
  initiatives; reads everything else.
- member: speaks for ``user.organization``; edits its projects, outcome reports and people;
  proposes changes to its profile; answers its initiative invitations.
- viewer: reads and searches what is not private, exports.
Anonymous visitors read the public directory when PUBLIC_DIRECTORY is on.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true

from network.errors import PermissionDenied
from network.extensions import db
from network.models import (
    Event,
    Initiative,
    InitiativeProject,
    Membership,
    Network,
    Organization,
    OutcomeReport,
    Participant,
    Project,
    User,
)  # fmt: skip
from network.models.user import user_networks


def role_of(user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user.role


def managed_network_paths(user) -> list[str]:
    """Path prefixes of the nodes a coordinator manages (each covers the nodes below it)."""
    return [n.path for n in user.networks] if role_of(user) == "coordinator" else []


def network_scope(user) -> list[str] | None:
    """The nodes this user may act in, as path prefixes (each covers the nodes below it): None for
    every node (admins), an empty list for none (members, viewers, visitors)."""
    return None if role_of(user) == "admin" else managed_network_paths(user)


def in_network_scope(user, path_column) -> ColumnElement[bool]:
    """SQL condition: the node whose ``Network.path`` is ``path_column`` lies in the user's scope."""
    scope = network_scope(user)
    if scope is None:
        return true()
    return or_(*[path_column.startswith(p) for p in scope]) if scope else false()


def organizations_in_scope(user) -> Select | None:
    """Ids of the organisations holding a membership in the user's nodes (a subquery); None for all
    of them (admins). These are the organisations ``manages_organization`` answers yes for."""
    if network_scope(user) is None:
        return None
    return (
        select(Membership.organization_id)
        .join(Network, Network.id == Membership.network_id)
        .where(in_network_scope(user, Network.path))
    )


def manages_network(user, network: Network) -> bool:
    return any(network.path.startswith(p) for p in managed_network_paths(user))


def _remembered(question: str, user, subject_id, answer: Callable[[], bool]) -> bool:
    """The answer to a question a page asks many times (about each lead participant, each row),
    worked out once per GET request. Only for reading requests: a write may change the answer
    between two checks of the same request."""
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return answer()
    known = request.environ.setdefault("network.permission_answers", {})  # this request's (g may outlive it)
    key = (question, getattr(user, "id", None), subject_id)
    if key not in known:
        known[key] = answer()
    return known[key]


def manages_organization(user, organization: Organization) -> bool:
    """Admins, and coordinators of a node where the organisation holds a membership."""
    if role_of(user) == "admin":
        return True
    # Visitors, viewers and members answered before any statement is built (a page asks ~8 times).
    if not managed_network_paths(user) or organization.id is None:
        return False

    def answer() -> bool:
        in_scope = organizations_in_scope(user)
        return db.session.scalar(select(exists(in_scope.where(Membership.organization_id == organization.id))))

    return _remembered("manages_organization", user, organization.id, answer)


def speaks_for(user, organization: Organization | None) -> bool:
    return (
        organization is not None
        and role_of(user) == "member"
        and user.organization_id is not None
        and user.organization_id == organization.id
    )


def has_rights_over(user, organization: Organization) -> bool:
    """Rights to see private details (contacts, unlisted people, activity)."""
    return manages_organization(user, organization) or speaks_for(user, organization)


def manages_initiative(user, initiative: Initiative) -> bool:
    """Admins; coordinators of the convening node or of a node a lead participant belongs to."""
    role = role_of(user)
    if role == "admin":
        return True
    if role != "coordinator":
        return False
    if initiative.network is not None and manages_network(user, initiative.network):
        return True
    return any(
        p.role == "lead"
        and p.invitation_status in ("invited", "accepted")
        and manages_organization(user, p.organization)
        for p in initiative.participants
    )


def participates_in(user, initiative: Initiative) -> bool:
    if role_of(user) != "member" or initiative.id is None:
        return False
    return _remembered("participates_in", user, initiative.id, lambda: db.session.scalar(
        select(exists().where(
            Participant.initiative_id == initiative.id,
            Participant.organization_id == user.organization_id,
            Participant.invitation_status.in_(("invited", "accepted")),
        ))
    ))  # fmt: skip


def manages_event(user, event: Event) -> bool:
    """Admins, and coordinators of the convening node (or a node above it)."""
    role = role_of(user)
    if role == "admin":
        return True
    return role == "coordinator" and event.network is not None and manages_network(user, event.network)


def hosts_event(user, event: Event) -> bool:
    """Members of an organisation that hosts, co-hosts, sponsors or partners the event."""
    return (
        role_of(user) == "member"
        and user.organization_id is not None
        and any(h.organization_id == user.organization_id for h in event.hosts)
    )


def organises_event(user, event: Event) -> bool:
    return manages_event(user, event) or hosts_event(user, event)


def public_directory() -> bool:
    return has_app_context() and current_app.config.get("PUBLIC_DIRECTORY", True)


@dataclass
class Grant:
    """A role and scope someone proposes to give a user (an invitation, or a change of role)."""

    role: str
    organization: Organization | None = None
    networks: list[Network] = field(default_factory=list)


def may_grant(user, grant: Grant) -> bool:
    """Coordinators grant only what they hold: coordinators of their own nodes (or below) and
    members of organisations they manage; never admin or viewer, never an empty scope."""
    if role_of(user) != "coordinator":
        return False
    if grant.role == "coordinator":
        return bool(grant.networks) and all(manages_network(user, n) for n in grant.networks)
    if grant.role == "member":
        return grant.organization is not None and manages_organization(user, grant.organization)
    return False


def speaking_for(organization: Organization) -> ColumnElement[bool]:
    """SQL condition on User: the users who speak for the organisation (``speaks_for`` answers yes;
    whether they are active is the caller's question)."""
    return speaking_for_any([organization.id])


def speaking_for_any(organization_ids) -> ColumnElement[bool]:
    """SQL condition on User: the users who speak for any of these organisations."""
    return and_(User.organization_id.in_(organization_ids), User.role == "member")


def coordinating(network: Network) -> ColumnElement[bool]:
    """SQL condition on User: the coordinators who manage the node (theirs, or a node above it)."""
    ancestors = _path_prefixes(network.path)
    return and_(
        User.role == "coordinator",
        User.id.in_(
            select(user_networks.c.user_id)
            .join(Network, Network.id == user_networks.c.network_id)
            .where(Network.path.in_(ancestors))
        ),
    )


def _path_prefixes(path: str) -> list[str]:
    """ "/1/4/9/" → ["/1/", "/1/4/", "/1/4/9/"]: the node and every node above it."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def has_users(organization: Organization) -> bool:
    """Whether anyone can answer for the organisation itself (an active member user)."""
    return organization.id is not None and db.session.scalar(
        select(exists().where(speaking_for(organization), User.active.is_(True)))
    )


def verifies(user, report: OutcomeReport) -> bool:
    """Who may verify an outcome report (or send it back): never its own organisation; coordinators
    managing the lead organisation or an initiative the project is confirmed in; members of an
    organisation taking part as "technical" (accepted) in such an initiative."""
    project = report.project
    if speaks_for(user, project.lead_organization):
        return False
    if manages_organization(user, project.lead_organization):
        return True
    if role_of(user) not in ("coordinator", "member") or project.id is None:
        return False
    return db.session.scalar(select(exists(verifiable_projects(user).where(Project.id == project.id))))


def verifiable_projects(user) -> Select | None:
    """Ids of the projects whose outcome reports the user may verify (a subquery; None for every
    project: admins). The one statement of the rule: ``verifies`` asks it about one project, the
    verification queue lists the reports of all of them."""
    role = role_of(user)
    if role == "admin":
        return None
    # Confirmed links to initiatives that are not archived.
    links = (
        select(InitiativeProject.project_id)
        .join(Initiative, Initiative.id == InitiativeProject.initiative_id)
        .where(InitiativeProject.status == "confirmed", Initiative.archived_at.is_(None))
    )
    if role == "coordinator":
        in_scope = organizations_in_scope(user)
        # manages_initiative: the convening node is theirs, or a lead participant is in their nodes.
        convened = Initiative.network_id.in_(select(Network.id).where(in_network_scope(user, Network.path)))
        lead_in_scope = exists().where(
            Participant.initiative_id == Initiative.id,
            Participant.role == "lead",
            Participant.invitation_status.in_(("invited", "accepted")),
            Participant.organization_id.in_(in_scope),
        )
        managed = links.where(or_(convened, lead_in_scope))
        return select(Project.id).where(or_(Project.lead_organization_id.in_(in_scope), Project.id.in_(managed)))
    if role == "member" and user.organization_id is not None:
        technical = links.join(Participant, Participant.initiative_id == InitiativeProject.initiative_id).where(
            Participant.organization_id == user.organization_id,
            Participant.role == "technical",
            Participant.invitation_status == "accepted",
        )
        # Never its own organisation's projects (speaks_for).
        return select(Project.id).where(Project.id.in_(technical), Project.lead_organization_id != user.organization_id)
    return select(Project.id).where(false())


def any_coordinator() -> ColumnElement[bool]:
    """SQL condition on User: coordinators of any node (narrowed by asking the rule of each)."""
    return User.role == "coordinator"


def administrators() -> ColumnElement[bool]:
    """SQL condition on User: the users every rule allows everything."""
    return User.role == "admin"


def manages_user(user, target: User) -> bool:
    """Coordinators manage the other users whose whole scope lies inside theirs."""
    if role_of(user) != "coordinator" or target.id == user.id:
        return False
    return may_grant(user, Grant(target.role, target.organization, list(target.networks)))


def can(user, action: str, obj=None) -> bool:
    role = role_of(user)
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"unknown permission action {action!r}")
    if role == "admin" and action not in OWNER_ONLY:
        return True
    return bool(rule(user, role, obj))


def require(user, action: str, obj=None) -> None:
    if not can(user, action, obj):
        raise PermissionDenied(_("You do not have permission to do this."))


def _read(user, role, obj) -> bool:
    return role is not None or public_directory()


def _has_membership(organization: Organization) -> bool:
    return organization.id is not None and db.session.scalar(
        select(exists().where(Membership.organization_id == organization.id))
    )


def _ran_import(user, role, job) -> bool:
    return role is not None and job.user_id == user.id


def _mails_from(user, role, mailing) -> bool:
    return role == "coordinator" and mailing.network is not None and manages_network(user, mailing.network)


def _own_project(user, role, project: Project) -> bool:
    org = project.lead_organization
    return manages_organization(user, org) or speaks_for(user, org)


RULES = {
    # Reading
    "directory.view": _read,
    # Archived organisations leave the public directory; people who log in still find them.
    "organization.view": lambda u, r, org: _read(u, r, org) and (not org.is_archived or r is not None),
    "organization.view_private": lambda u, r, org: has_rights_over(u, org),
    # obj is the Person: listed people are public, unlisted ones (and contact details) private
    "person.view": lambda u, r, p: (
        (p.consent_to_list and not p.is_archived and _read(u, r, p)) or has_rights_over(u, p.organization)
    ),
    # obj is the Participant: an invitation, a refusal or a departure is the organisations' business
    "participant.view": lambda u, r, p: (
        (p.invitation_status == "accepted" and _read(u, r, p))
        or has_rights_over(u, p.organization)
        or can(u, "initiative.view_private", p.initiative)
    ),
    "project.view": _read,
    "initiative.view": _read,
    "network.view": _read,
    "directory.export": lambda u, r, o: r in ("viewer", "member", "coordinator"),
    "search.save": lambda u, r, o: r is not None,
    # obj is the ExportJob: what it holds was exported for one user; only they (and admins) fetch it
    "export.view": lambda u, r, job: r is not None and job.user_id == u.id,
    # Organisations: coordinators of a node create into it (obj is the Network or None)
    "organization.create": lambda u, r, network: (
        r == "coordinator" and (network is None or manages_network(u, network))
    ),
    "organization.update": lambda u, r, org: manages_organization(u, org),
    "organization.propose_change": lambda u, r, org: speaks_for(u, org),
    "organization.archive": lambda u, r, org: manages_organization(u, org),
    "organization.merge": lambda u, r, org: manages_organization(u, org),
    "organization.import": lambda u, r, network: (
        r == "coordinator" and (network is None or manages_network(u, network))
    ),
    # Keep an organisation outside every node (create or import one with no membership, obj None):
    # coordinators manage organisations through their nodes' memberships, so admins alone
    "organization.without_node": lambda u, r, o: False,
    # The duplicate review queue (obj None): coordinators see pairs within their nodes
    "duplicates.review": lambda u, r, o: r == "coordinator",
    # Undo a whole import (obj is the ImportJob): the coordinator who ran it
    "import.undo": lambda u, r, job: r == "coordinator" and job.user_id == u.id,
    # obj is the ImportJob: its preview and progress, and committing it, are for whoever uploaded it
    "import.view": _ran_import,
    "import.commit": _ran_import,
    # The import log lists everyone's imports (obj None), not only one's own
    "import.view_all": lambda u, r, o: False,
    "change_request.review": lambda u, r, cr: manages_organization(u, cr.organization) and cr.proposed_by_id != u.id,
    # obj is the ChangeRequest: the organisation's members follow and withdraw their own requests
    "change_request.view": lambda u, r, cr: has_rights_over(u, cr.organization),
    "change_request.withdraw": lambda u, r, cr: speaks_for(u, cr.organization),
    # The queue of change requests awaiting review (obj None): filtered to the reviewer's scope
    "change_request.queue": lambda u, r, o: r == "coordinator",
    # History tabs (obj is the organisation the record belongs to): diffs hold private contacts
    "history.view": lambda u, r, org: has_rights_over(u, org),
    # obj is the Partnership: its history is either side's business
    "partnership.view_history": lambda u, r, p: any(has_rights_over(u, org) for org in (p.org_a, p.org_b)),
    # Memberships: obj is the Membership (with network and organization set)
    "membership.manage": lambda u, r, m: r == "coordinator" and manages_network(u, m.network),
    # obj has .network and .organization: a coordinator adds organisations it already manages, or
    # ones in no node at all, to its nodes; never takes over an organisation of another node that way
    "membership.add": lambda u, r, m: (
        r == "coordinator"
        and manages_network(u, m.network)
        and (manages_organization(u, m.organization) or not _has_membership(m.organization))
    ),
    # People, projects, outcome reports: obj is the organisation or project they belong to
    "person.manage": lambda u, r, org: has_rights_over(u, org),
    "project.create": lambda u, r, org: has_rights_over(u, org),
    "project.update": _own_project,
    "outcome.manage": _own_project,
    # obj is the OutcomeReport: someone outside its organisation verifies it or sends it back
    "outcome.verify": lambda u, r, report: verifies(u, report),
    # The verification queue page: those who may be verifiers (it lists what verifiable_projects allows)
    "outcome.queue": lambda u, r, o: r in ("coordinator", "member"),
    # obj is the OutcomeReport: its evidence files are for the organisation and its verifiers only
    "outcome.view_evidence": lambda u, r, report: _own_project(u, r, report.project) or verifies(u, report),
    # obj is the ProjectParticipant: the organisation named (one of its users), a coordinator
    # managing it, or one managing the project's lead organisation confirms it takes part
    "project_participant.confirm": lambda u, r, pp: (
        speaks_for(u, pp.organization)
        or manages_organization(u, pp.organization)
        or manages_organization(u, pp.project.lead_organization)
    ),
    "partnership.manage": lambda u, r, org: manages_organization(u, org) or speaks_for(u, org),
    # obj is the Partnership: either side's managers and members edit, archive and restore it
    "partnership.update": lambda u, r, p: any(
        manages_organization(u, org) or speaks_for(u, org) for org in (p.org_a, p.org_b)
    ),
    # Initiatives
    "initiative.create": lambda u, r, network: r == "coordinator" and (network is None or manages_network(u, network)),
    "initiative.update": lambda u, r, ini: manages_initiative(u, ini),
    "initiative.manage_participants": lambda u, r, ini: manages_initiative(u, ini),
    "initiative.view_private": lambda u, r, ini: manages_initiative(u, ini) or participates_in(u, ini),
    # obj is the Participant: its organisation's members answer, leave and link their projects
    "participation.respond": lambda u, r, p: speaks_for(u, p.organization),
    # obj is the (initiative, project) pair: managers link any accepted participant's project,
    # members link their own organisation's projects to initiatives it takes part in
    "initiative.link_project": lambda u, r, pair: (
        manages_initiative(u, pair[0]) or (participates_in(u, pair[0]) and _own_project(u, r, pair[1]))
    ),
    # obj is the Participant: a coordinator records the answer of an organisation nobody can answer
    # for (no active member user); organisations with users answer themselves
    "participant.answer_for": lambda u, r, p: manages_initiative(u, p.initiative) and not has_users(p.organization),
    # obj is the Participant: its role in the initiative
    "participant.change_role": lambda u, r, p: manages_initiative(u, p.initiative),
    # obj is the InitiativeProject: a project a member linked counts once a coordinator confirms it
    "initiative.confirm_link": lambda u, r, link: manages_initiative(u, link.initiative),
    "initiative.export": lambda u, r, ini: r is not None,
    "activity.view": lambda u, r, subject: (
        manages_initiative(u, subject) or participates_in(u, subject)
        if isinstance(subject, Initiative)
        else has_rights_over(u, subject)
    ),
    # obj is the Notification (or None for one's own list): only its addressee reads it
    "notification.view": lambda u, r, n: r is not None and (n is None or n.user_id == u.id),
    "activity.record": lambda u, r, subject: (
        manages_initiative(u, subject) if isinstance(subject, Initiative) else has_rights_over(u, subject)
    ),
    # Events: coordinators of the convening node manage them; co-host members edit the agenda,
    # see the registrations and check people in
    "event.view": lambda u, r, e: _read(u, r, e) and (not e.is_archived or manages_event(u, e)),
    "event.create": lambda u, r, network: r == "coordinator" and (network is None or manages_network(u, network)),
    "event.update": lambda u, r, e: manages_event(u, e),
    "event.edit_agenda": lambda u, r, e: organises_event(u, e),
    "event.view_registrations": lambda u, r, e: organises_event(u, e),
    "event.check_in": lambda u, r, e: organises_event(u, e),
    # obj is the Event: everyone signed in, while registration is open (or full: the waitlist)
    "event.register": lambda u, r, e: r is not None and not e.is_archived and e.status in ("open", "full"),
    # Registering someone else (people without accounts, an import) and inviting people by mail
    "event.register_others": lambda u, r, e: manages_event(u, e),
    "event.invite": lambda u, r, e: manages_event(u, e),
    "event.record_note": lambda u, r, e: manages_event(u, e),
    # obj is the Registration: one's own, and the organisers'
    "registration.view": lambda u, r, reg: (
        (r is not None and reg.user_id is not None and reg.user_id == u.id) or organises_event(u, reg.event)
    ),
    "registration.cancel": lambda u, r, reg: (
        (r is not None and reg.user_id is not None and reg.user_id == u.id) or manages_event(u, reg.event)
    ),
    "registration.view_answers": lambda u, r, reg: (
        (r is not None and reg.user_id is not None and reg.user_id == u.id) or organises_event(u, reg.event)
    ),
    # Users and administration
    "user.list": lambda u, r, o: r == "coordinator",
    # obj is the Grant (role + scope) offered; admins alone grant admin and viewer
    "user.invite": lambda u, r, grant: may_grant(u, grant),
    # obj is a role name: the roles a form offers to hand out (``user.invite`` decides the scope)
    "user.grant_role": lambda u, r, role: r == "coordinator" and role in ("coordinator", "member"),
    # obj is the target User: deactivate, reactivate, change role and scope
    "user.manage": lambda u, r, target: manages_user(u, target),
    # obj is the User whose profile and password change: only oneself
    "account.update": lambda u, r, target: r is not None and u.id == target.id,
    # Making and listing one's own API tokens (obj None): everyone signed in
    "account.tokens": lambda u, r, o: r is not None,
    # obj is the ApiToken: its owner alone revokes it (OWNER_ONLY); the service answers "not found"
    # to anyone else, so the ids of others' tokens are not confirmed
    "token.revoke": lambda u, r, token: r is not None and token.user_id == u.id,
    # obj is the SavedSearch: its owner alone deletes it (OWNER_ONLY)
    "saved_search.delete": lambda u, r, saved: r is not None and saved.user_id == u.id,
    "audit.view_all": lambda u, r, o: False,
    # who made a change (the home page's recent changes): signed-in users only
    "audit.view_actors": lambda u, r, o: r is not None,
    "network.manage": lambda u, r, network: r == "coordinator" and network is not None and manages_network(u, network),
    # Tags (named lists of organisations): signed-in users see them; obj of tag.create is the node
    # the tag belongs to (None: network-wide, admins alone); obj of tag.manage is the Tag
    "tag.view": lambda u, r, o: r is not None,
    "tag.create": lambda u, r, network: r == "coordinator" and network is not None and manages_network(u, network),
    "tag.manage": lambda u, r, tag: r == "coordinator" and tag.network is not None and manages_network(u, tag.network),
    # Acting on many directory results at once (obj None); each action then asks its own rule
    "directory.bulk": lambda u, r, o: r == "coordinator",
    # Mailings (#16): coordinators write to the organisations of their nodes; obj of mailing.create
    # is the node it is sent from (None: network-wide, admins alone), of the others the Mailing
    "mailing.list": lambda u, r, o: r == "coordinator",
    "mailing.create": lambda u, r, network: r == "coordinator" and network is not None and manages_network(u, network),
    "mailing.view": lambda u, r, m: _mails_from(u, r, m),
    "mailing.update": lambda u, r, m: _mails_from(u, r, m),
    "mailing.send": lambda u, r, m: _mails_from(u, r, m),
}

# Actions the admin shortcut in ``can`` does not cover: only the rule decides, for admins as for
# everyone (a user's own tokens and saved searches are no one else's to remove).
OWNER_ONLY = frozenset({"token.revoke", "saved_search.delete"})


def is_same_user(user, target: User) -> bool:
    return role_of(user) is not None and user.id == target.id


# ---------------------------------------------------------------------------------------------
# Fields that not every reader of a record may see. Seeing is a permission like changing: pages,
# API schemas, exports and search all ask ``may_see`` (or ``visible``), never decide for themselves.


@dataclass(frozen=True)
class PrivateField:
    action: str  # the rule asked…
    owner: Callable  # …of this record (obj → the record the rule is about)


_CONTACTS = PrivateField("organization.view_private", lambda person: person.organization)

# {record kind: {field: PrivateField}}. Organisations' own email and phone are their published
# contact and public; people's contact details belong to the organisation's members, its
# coordinators and admins.
PRIVATE_FIELDS: dict[str, dict[str, PrivateField]] = {
    # Whether someone agreed to network mail is as private as their address (#16).
    "person": {"email": _CONTACTS, "phone": _CONTACTS, "mail_consent": _CONTACTS},
    # An organisation's tags (named lists of organisations): for those who may see tags (signed in)
    "organization": {"tags": PrivateField("tag.view", lambda org: org)},
    # Registration questions (dietary, accessibility needs) are the organisers' and the registrant's
    "registration": {
        "dietary": PrivateField("registration.view_answers", lambda reg: reg),
        "accessibility": PrivateField("registration.view_answers", lambda reg: reg),
        "email": PrivateField("registration.view", lambda reg: reg),
    },
}


def may_see(user, kind: str, field_name: str, obj) -> bool:
    rule = PRIVATE_FIELDS.get(kind, {}).get(field_name)
    if rule is None:
        return True
    owner = rule.owner(obj)
    # A list of people asks the same question of one organisation many times: once a request.
    if not has_request_context() or getattr(owner, "id", None) is None:
        return can(user, rule.action, owner)
    answers = g.setdefault("field_visibility", {})
    key = (getattr(user, "id", None), rule.action, type(owner).__name__, owner.id)
    if key not in answers:
        answers[key] = can(user, rule.action, owner)
    return answers[key]


def visible(user, kind: str, obj, data: dict) -> dict:
    """data (a record's serialised fields) without the private fields this user may not see."""
    return {k: v for k, v in data.items() if may_see(user, kind, k, obj)}
