"""Joint initiatives: create and edit them, invite organisations, answer invitations, link projects.

Every write is an @operation that checks permission first; the roll-up of outcomes lives in
network.services.outcomes and partner suggestions in network.services.suggestions.
"""

from decimal import Decimal

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from network import numbers, permissions
from network.extensions import db
from network.labels import INVITATION_STATUS_LABELS, PARTICIPANT_ROLE_LABELS, label
from network.models import (
    AuditEvent,
    Initiative,
    InitiativeProject,
    InitiativeTarget,
    Network,
    Organization,
    Participant,
    Partnership,
    Project,
    Region,
    utcnow,
)  # fmt: skip
from network.models.initiative import INITIATIVE_STATUSES, PARTICIPANT_ROLES
from network.services import NotFound, PermissionDenied, ValidationError, operation
from network.services.cleaning import Cleaner, as_list, plain_value, regions_by_code, themes_by_slug
from network.services.notifications import notify, organization_users
from network.services.organizations import check_version, is_blank
from network.slugs import unique_slug

# Statuses of a participant that is "in" the initiative (counted, cannot be invited again).
ACTIVE_STATUSES = ("invited", "accepted")
# Roles that share the credit for outcomes when the coordinator has set no shares.
CREDITED_ROLES = ("lead", "partner")
HUNDRED = Decimal(100)
MAX_INT = 2_147_483_647  # ids and counts are 32-bit columns


# ---------------------------------------------------------------------------------------- reading


def find_initiative(slug: str) -> Initiative:
    """The initiative with its participants, targets, themes and regions loaded (no N+1)."""
    initiative = db.session.scalar(
        select(Initiative)
        .where(Initiative.slug == slug)
        .options(
            selectinload(Initiative.participants).selectinload(Participant.organization),
            selectinload(Initiative.targets),
            selectinload(Initiative.themes),
            selectinload(Initiative.regions),
            selectinload(Initiative.network),
            selectinload(Initiative.project_links)
            .selectinload(InitiativeProject.project)
            .selectinload(Project.lead_organization),
        )
    )
    if initiative is None:
        raise NotFound(_("No initiative %(slug)s.", slug=slug))
    return initiative


def organization_named(slug: str | None) -> Organization:
    """The organisation a form or URL names by slug (to invite, or to add to an initiative)."""
    org = db.session.scalar(select(Organization).where(Organization.slug == (slug or "")[:200]))
    if org is None:
        raise NotFound(_("No such organisation."))
    return org


def project_numbered(project_id) -> Project:
    """The project a form or URL names by id."""
    text = str(project_id or "")
    project = db.session.get(Project, int(text)) if text.isascii() and text.isdigit() and int(text) <= MAX_INT else None
    if project is None:
        raise NotFound(_("No such project."))
    return project


def participant_counts(initiative_ids: list[int]) -> dict[int, dict[str, int]]:
    """{initiative id: {status: count}} in one query, for list pages."""
    counts: dict[int, dict[str, int]] = {i: {} for i in initiative_ids}
    if initiative_ids:
        rows = db.session.execute(
            select(Participant.initiative_id, Participant.invitation_status, func.count())
            .where(Participant.initiative_id.in_(initiative_ids))
            .group_by(Participant.initiative_id, Participant.invitation_status)
        )
        for initiative_id, status, n in rows:
            counts[initiative_id][status] = n
    return counts


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


def manageable_initiatives(actor) -> list[Initiative]:
    """Open initiatives the actor may invite organisations to (for "add to initiative")."""
    candidates = db.session.scalars(
        select(Initiative)
        .where(Initiative.archived_at.is_(None), Initiative.status != "closed")
        .options(selectinload(Initiative.participants).selectinload(Participant.organization),
                 selectinload(Initiative.network))
        .order_by(Initiative.title)
    )  # fmt: skip
    return [i for i in candidates if permissions.can(actor, "initiative.manage_participants", i)]


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


def participant_history(initiative: Initiative) -> list[AuditEvent]:
    """Every change to this initiative's participants, newest first: who invited, accepted, left…"""
    ids = [p.id for p in initiative.participants]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == Participant.__tablename__, AuditEvent.entity_id.in_(ids))
            .options(selectinload(AuditEvent.actor))
            .order_by(AuditEvent.id.desc())
        )
    )


def own_participation(actor, initiative: Initiative) -> Participant | None:
    """The participant row of the organisation the actor speaks for, if any."""
    return next((p for p in initiative.participants if permissions.speaks_for(actor, p.organization)), None)


def linkable_projects(actor, initiative: Initiative) -> list[Project]:
    """Projects the actor may link: of accepted participants, not archived, not linked yet."""
    accepted = [p.organization_id for p in initiative.participants if p.invitation_status == "accepted"]
    if not accepted:
        return []
    linked = {link.project_id for link in initiative.project_links}
    projects = db.session.scalars(
        select(Project)
        .where(Project.lead_organization_id.in_(accepted), Project.archived_at.is_(None))
        .options(selectinload(Project.lead_organization))
        .order_by(Project.title)
    )
    return [
        p for p in projects
        if p.id not in linked and permissions.can(actor, "initiative.link_project", (initiative, p))
    ]  # fmt: skip


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


# ------------------------------------------------------------------------------ creating, editing

INITIATIVE_FIELDS = ("title", "title_local", "goal", "description", "status", "start_date", "end_date",
                     "target_tco2e", "target_people", "themes", "regions", "targets")  # fmt: skip


def validate_initiative(data: dict, *, existing: Initiative | None = None) -> dict:
    """Clean and check initiative values as every record does (network.services.cleaning): all
    fields when creating, only those given when updating (``existing``). ``targets`` is a list of
    {"label", "unit", "value", "achieved"} that replaces the custom targets as a whole."""
    c = Cleaner({k: v for k, v in data.items() if k in INITIATIVE_FIELDS}, partial=existing is not None)
    for key in sorted(set(data) - set(INITIATIVE_FIELDS)):
        c.error(key, _("Unknown field."))
    c.text("title", max_length=300, required=True)
    c.text("title_local", max_length=300)
    c.text("goal", max_length=2000, multiline=True)
    c.text("description", max_length=20_000, multiline=True)
    if existing is None and is_blank(data.get("status")):
        c.cleaned["status"] = "proposed"
    else:
        c.choice("status", INITIATIVE_STATUSES, required=True)
    c.date("start_date")
    c.date("end_date")
    c.dates_in_order("start_date", "end_date", existing)
    c.decimal("target_tco2e", digits=14, places=3)
    c.integer("target_people", minimum=0, maximum=MAX_INT)
    c.themes("themes")
    regions(c)
    targets(c)
    return c.done()


def regions(c: Cleaner) -> None:
    """Countries or whole regions of the M49 tree, by code ("KE", "142")."""
    if not c.wanted("regions"):
        return
    codes = sorted({str(v).upper() for v in as_list(c.raw("regions"))})
    known = set(db.session.scalars(select(Region.code).where(Region.code.in_(codes)))) if codes else set()
    if set(codes) - known:
        c.error("regions", _("Unknown country or region."))
    else:
        c.cleaned["regions"] = codes


def targets(c: Cleaner) -> None:
    if not c.wanted("targets"):
        return
    rows = c.raw("targets") or []
    if not isinstance(rows, list | tuple):
        rows = [rows]
    cleaned = []
    for n, row in enumerate(rows, start=1):
        row = row if isinstance(row, dict) else {}
        r = Cleaner({k: row.get(k) for k in ("label", "unit", "value", "achieved")})
        if any(is_blank(row.get(k)) for k in ("label", "unit", "value")):
            r.error("", _("Each target needs a label, a unit and a value."))
        else:
            r.text("label", max_length=200)
            r.text("unit", max_length=40)
            r.decimal("value", digits=16, places=3)
        r.decimal("achieved", digits=16, places=3)
        for messages in r.errors.values():
            for message in messages:
                c.error("targets", _("Line %(n)d: %(m)s", n=n, m=message))
        cleaned.append(r.cleaned)
    c.cleaned["targets"] = cleaned


def initiative_values(initiative: Initiative, fields=INITIATIVE_FIELDS) -> dict:
    """The initiative's current values of ``fields``, plain, as ``plain_submitted`` gives the new ones."""
    values = {}
    for key in fields:
        if key == "targets":
            values[key] = target_lines(
                [
                    {"label": t.label, "unit": t.unit, "value": t.value, "achieved": t.achieved}
                    for t in initiative.targets
                ]
            )
        else:
            values[key] = plain_value(getattr(initiative, key))
    return values


def target_lines(rows: list[dict]) -> list[str]:
    def text(v):
        return "" if v is None else numbers.input_text(v)

    return [f"{r['label']}; {r['unit']}; {text(r['value'])}; {text(r.get('achieved'))}".rstrip("; ") for r in rows]


def plain_submitted(cleaned: dict) -> dict:
    return {k: target_lines(v) if k == "targets" else plain_value(v) for k, v in cleaned.items()}


def assign_initiative(initiative: Initiative, cleaned: dict) -> None:
    # No flush half-way (the look-ups below would autoflush): one UPDATE, one version, one audit row.
    with db.session.no_autoflush:
        for key, value in cleaned.items():
            if key == "themes":
                initiative.themes = themes_by_slug(value)
            elif key == "regions":
                initiative.regions = regions_by_code(value)
            elif key == "targets":
                # Replaced as a whole, matched by label so unchanged ones keep their ids.
                existing = {t.label: t for t in initiative.targets}
                kept = []
                for row in value:
                    target = existing.pop(row["label"], None) or InitiativeTarget(label=row["label"])
                    target.unit, target.value, target.achieved = row["unit"], row["value"], row.get("achieved")
                    kept.append(target)
                initiative.targets = kept
            else:
                setattr(initiative, key, value)


def _network(actor, network_id) -> Network | None:
    if is_blank(network_id):
        # A coordinator convenes in their own node, so they keep managing it.
        networks = getattr(actor, "networks", None) or []
        return networks[0] if permissions.network_scope(actor) and networks else None
    network = (
        db.session.get(Network, int(network_id)) if str(network_id).isdigit() and int(network_id) <= MAX_INT else None
    )
    if network is None:
        raise ValidationError({"network": [_("Unknown network node.")]})
    return network


def networks_to_convene(actor) -> list[Network]:
    """The nodes the actor may convene an initiative in (the create form's choices)."""
    if not permissions.can(actor, "initiative.create", None):
        return []
    nodes = select(Network).where(Network.archived_at.is_(None), permissions.in_network_scope(actor, Network.path))
    return list(db.session.scalars(nodes.order_by(Network.path)))


@operation
def create_initiative(actor, data: dict) -> Initiative:
    """A new initiative convened by ``data["network"]`` (a node id; a coordinator's own by default)."""
    network = _network(actor, data.get("network"))
    permissions.require(actor, "initiative.create", network)
    cleaned = validate_initiative({k: v for k, v in data.items() if k != "network"})
    initiative = Initiative(slug=unique_slug(Initiative.slug, cleaned["title"], fallback="initiative"),
                            network=network, created_by_id=getattr(actor, "id", None))  # fmt: skip
    assign_initiative(initiative, cleaned)
    db.session.add(initiative)
    return initiative


@operation
def update_initiative(actor, initiative: Initiative, data: dict, expected_version) -> Initiative:
    """Change the fields given in ``data``; ``expected_version`` is the version the caller read."""
    permissions.require(actor, "initiative.update", initiative)
    if "network" in data:
        raise ValidationError({"network": [_("The convening node cannot be changed.")]})
    cleaned = validate_initiative(data, existing=initiative)
    check_version(initiative, expected_version, initiative_values(initiative, cleaned), plain_submitted(cleaned))
    assign_initiative(initiative, cleaned)
    return initiative


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
    message = _("%(org)s is invited to join the initiative “%(title)s” as %(role)s.", org=organization.name,
                title=initiative.title, role=label(PARTICIPANT_ROLE_LABELS, role))  # fmt: skip
    notify(organization_users(organization), message, _link(initiative),
           mail_subject=_("Invitation: %(title)s", title=initiative.title),
           mail_body=message + "\n\n" + _("Accept or decline on the initiative's page: %(link)s",
                                           link=_link(initiative, external=True)))  # fmt: skip
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
    _tell_managers(participant, _("%(org)s %(answer)s the invitation to “%(title)s”.", org=participant.organization.name,
                                  answer=_("accepted") if accept else _("declined"),
                                  title=participant.initiative.title))  # fmt: skip
    return participant


@operation
def leave_initiative(actor, participant: Participant) -> Participant:
    permissions.require(actor, "participation.respond", participant)
    if participant.invitation_status != "accepted":
        raise ValidationError({"": [_("Only an organisation taking part can leave.")]})
    _end_participation(participant, "left")
    _tell_managers(participant, _("%(org)s left “%(title)s”.", org=participant.organization.name,
                                  title=participant.initiative.title))  # fmt: skip
    return participant


@operation
def remove_participant(actor, participant: Participant) -> Participant:
    permissions.require(actor, "initiative.manage_participants", participant.initiative)
    if participant.invitation_status not in ACTIVE_STATUSES:
        raise ValidationError({"": [_("%(org)s is not taking part.", org=participant.organization.name)]})
    _end_participation(participant, "removed")
    notify(organization_users(participant.organization),
           _("%(org)s was removed from “%(title)s”.", org=participant.organization.name,
             title=participant.initiative.title), _link(participant.initiative))  # fmt: skip
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


def _tell_managers(participant: Participant, message: str) -> None:
    """Notice to whoever sent the invitation."""
    if participant.invited_by_id:
        from network.models import User

        inviter = db.session.get(User, participant.invited_by_id)
        if inviter is not None and inviter.active:
            notify([inviter], message, _link(participant.initiative))


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


# -------------------------------------------------------------------------------- linked projects


@operation
def link_project(actor, initiative: Initiative, project: Project) -> InitiativeProject:
    permissions.require(actor, "initiative.link_project", (initiative, project))
    accepted = {p.organization_id for p in initiative.participants if p.invitation_status == "accepted"}
    if project.lead_organization_id not in accepted:
        raise ValidationError({"project": [_("Only projects led by an organisation that accepted can be linked.")]})
    if project.is_archived:
        raise ValidationError({"project": [_("This project is archived.")]})
    if any(link.project_id == project.id for link in initiative.project_links):
        raise ValidationError({"project": [_("“%(title)s” is already linked.", title=project.title)]})
    link = InitiativeProject(initiative=initiative, project=project, linked_by_id=getattr(actor, "id", None))
    db.session.add(link)
    return link


@operation
def unlink_project(actor, initiative: Initiative, project: Project) -> None:
    permissions.require(actor, "initiative.link_project", (initiative, project))
    link = next((k for k in initiative.project_links if k.project_id == project.id), None)
    if link is None:
        raise NotFound(_("This project is not linked to the initiative."))
    initiative.project_links.remove(link)
    db.session.delete(link)


# ------------------------------------------------------------------------------------------ graphs


def _org_node(org: Organization, **extra) -> dict:
    return {"id": f"o{org.id}", "label": org.acronym or org.name, "name": org.name, "kind": org.kind,
            "company": org.kind == "company", "url": f"/organizations/{org.slug}", **extra}  # fmt: skip


def _edge(p: Partnership) -> dict:
    return {"id": f"p{p.id}", "source": f"o{p.org_a_id}", "target": f"o{p.org_b_id}", "kind": p.kind,
            "status": p.status}  # fmt: skip


def _partnerships_touching(org_ids: set[int]) -> list[Partnership]:
    if not org_ids:
        return []
    return list(
        db.session.scalars(
            select(Partnership)
            .where(Partnership.archived_at.is_(None), Partnership.status != "ended")
            .where(or_(Partnership.org_a_id.in_(org_ids), Partnership.org_b_id.in_(org_ids)))
            .options(selectinload(Partnership.org_a), selectinload(Partnership.org_b))
            .order_by(Partnership.id)
        )
    )


def initiative_graph(initiative: Initiative, include_invited: bool = True) -> dict:
    """Participants (invited or in), their partnerships with each other, and with firms outside."""
    statuses = ACTIVE_STATUSES if include_invited else ("accepted",)
    members = {p.organization_id: p for p in initiative.participants if p.invitation_status in statuses}
    nodes = {
        f"o{p.organization.id}": _org_node(p.organization, role=p.role, status=p.invitation_status, participant=True)
        for p in members.values()
    }
    edges = []
    for partnership in _partnerships_touching(set(members)):
        a, b = partnership.org_a, partnership.org_b
        inside_a, inside_b = a.id in members, b.id in members
        if not (inside_a and inside_b):
            outside = b if inside_a else a
            if outside.kind != "company" or outside.is_archived:
                continue  # beyond participants, only their firms are drawn
            nodes.setdefault(f"o{outside.id}", _org_node(outside, participant=False))
        edges.append(_edge(partnership))
    return {"nodes": list(nodes.values()), "edges": edges}


def organization_graph(organization: Organization) -> dict:
    """One hop around an organisation: its partners, the partnerships among them, its initiatives."""
    around = _partnerships_touching({organization.id})
    nodes = {f"o{organization.id}": _org_node(organization, center=True)}
    for p in around:
        other = p.other(organization)
        if not other.is_archived:
            nodes.setdefault(f"o{other.id}", _org_node(other))
    ids = {int(k[1:]) for k in nodes}
    edges = [
        _edge(p) for p in _partnerships_touching(ids)
        if p.org_a_id in ids and p.org_b_id in ids
    ]  # fmt: skip
    for participant in initiatives_of_organization(organization):
        if participant.invitation_status not in ACTIVE_STATUSES:
            continue
        ini = participant.initiative
        nodes[f"i{ini.id}"] = {"id": f"i{ini.id}", "label": ini.title, "name": ini.title, "kind": "initiative",
                               "initiative": True, "url": f"/initiatives/{ini.slug}"}  # fmt: skip
        edges.append({"id": f"x{participant.id}", "source": f"o{organization.id}", "target": f"i{ini.id}",
                      "kind": "participant", "status": participant.invitation_status})  # fmt: skip
    return {"nodes": list(nodes.values()), "edges": edges}
