"""Initiatives as records: find them, create and edit them, archive them (network.services.archiving),
link their participants' projects.

Every write is an @operation that checks permission first; participants live in
network.services.initiatives.participation, the graphs in .graph, the roll-up of outcomes in
network.services.outcomes and partner suggestions in network.services.suggestions.
"""

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, inspect, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from network import numbers, permissions
from network.extensions import db
from network.models import (
    Initiative,
    InitiativeProject,
    InitiativeTarget,
    Network,
    Organization,
    OutcomeReport,
    Participant,
    Project,
    Region,
    Theme,
    utcnow,
)
from network.models.initiative import INITIATIVE_STATUSES, initiative_regions, initiative_themes
from network.models.project import project_countries, project_themes
from network.services import NotFound, ValidationError, lookups, networks, operation
from network.services.cleaning import Cleaner, as_list, plain_value, regions_by_code, themes_by_slug
from network.services.initiatives.participation import convening_coordinators
from network.services.notifications import notify
from network.services.organizations import check_version, is_blank
from network.slugs import unique_slug

MAX_INT = 2_147_483_647  # ids and counts are 32-bit columns


# ---------------------------------------------------------------------------------------- reading


# The initiative page's reads: flat statements built once, each filling one collection. Nested
# selectinload chains cost more in SQLAlchemy's cache keys and loader paths than the queries they
# ran (8.7 ms for an initiative with six participants and one project).
_INITIATIVE = select(Initiative).where(Initiative.slug == bindparam("slug")).options(joinedload(Initiative.network))
_PARTICIPANTS = (
    select(Participant)
    .where(Participant.initiative_id == bindparam("id"))
    .options(joinedload(Participant.organization), joinedload(Participant.answer_recorded_by))
    .order_by(Participant.id)
)
_TARGETS = (
    select(InitiativeTarget).where(InitiativeTarget.initiative_id == bindparam("id")).order_by(InitiativeTarget.id)
)
_THEMES = (
    select(Theme)
    .join(initiative_themes, initiative_themes.c.theme_id == Theme.id)
    .where(initiative_themes.c.initiative_id == bindparam("id"))
    .order_by(Theme.position)
)
_REGIONS = (
    select(Region)
    .join(initiative_regions, initiative_regions.c.region_id == Region.id)
    .where(initiative_regions.c.initiative_id == bindparam("id"))
    .order_by(Region.name)
)
_LINKS = (
    select(InitiativeProject)
    .where(InitiativeProject.initiative_id == bindparam("id"))
    .options(joinedload(InitiativeProject.project).joinedload(Project.lead_organization))
)
_PROJECT_COUNTRIES = (
    select(project_countries.c.project_id, Region)
    .join(Region, Region.id == project_countries.c.region_id)
    .where(project_countries.c.project_id.in_(bindparam("ids", expanding=True)))
    .order_by(Region.name)
)
_PROJECT_THEMES = (
    select(project_themes.c.project_id, Theme)
    .join(Theme, Theme.id == project_themes.c.theme_id)
    .where(project_themes.c.project_id.in_(bindparam("ids", expanding=True)))
    .order_by(Theme.position)
)
_PROJECT_REPORTS = (
    select(OutcomeReport)
    .where(OutcomeReport.project_id.in_(bindparam("ids", expanding=True)))
    .order_by(OutcomeReport.period_start)
)


def _fill(obj, name: str, values) -> None:
    """Set a collection as loaded, unless the session holds it already (it may have changes)."""
    if name in inspect(obj).unloaded:
        set_committed_value(obj, name, list(values))


def _grouped(rows, ids) -> dict[int, list]:
    found = {i: [] for i in ids}
    for owner, value in rows:
        found[owner].append(value)
    return found


def find_initiative(slug: str, *, outcomes: bool = False) -> Initiative:
    """The initiative with its participants (and their organisations), targets, themes, regions and
    linked projects (with their lead organisations) loaded in a fixed number of statements.

    ``outcomes`` also loads each linked project's countries, themes and outcome reports, for
    ``outcomes.roll_up(initiative, initiative.project_links)``: pages that show the progress read
    the links once instead of again in the roll-up.
    """
    initiative = db.session.scalar(_INITIATIVE, {"slug": slug})
    if initiative is None:
        raise NotFound(_("No initiative %(slug)s.", slug=slug))
    this = {"id": initiative.id}
    _fill(initiative, "participants", db.session.scalars(_PARTICIPANTS, this))
    _fill(initiative, "targets", db.session.scalars(_TARGETS, this))
    _fill(initiative, "themes", db.session.scalars(_THEMES, this))
    _fill(initiative, "regions", db.session.scalars(_REGIONS, this))
    _fill(initiative, "project_links", db.session.scalars(_LINKS, this).unique())
    if outcomes:
        projects = {link.project.id: link.project for link in initiative.project_links}
        ids = {"ids": list(projects)}
        if projects:
            countries = _grouped(db.session.execute(_PROJECT_COUNTRIES, ids), projects)
            themes = _grouped(db.session.execute(_PROJECT_THEMES, ids), projects)
            reports = _grouped(((r.project_id, r) for r in db.session.scalars(_PROJECT_REPORTS, ids)), projects)
            for project_id, project in projects.items():
                _fill(project, "countries", countries[project_id])
                _fill(project, "themes", themes[project_id])
                _fill(project, "outcome_reports", reports[project_id])
    return initiative


def visible_initiative(actor, ref: str) -> Initiative:
    """The initiative with this id or slug, for those who may see it (NotFound first)."""
    initiative = lookups.by_ref(Initiative, ref)
    if initiative is None:
        raise NotFound(_("No such initiative."))
    permissions.require(actor, "initiative.view", initiative)
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


def linkable_projects(actor, initiative: Initiative) -> list[Project]:
    """Projects the actor may link: of accepted participants, not archived, not linked yet.

    Managers link any accepted participant's projects, members only their own organisation's:
    for everyone else (most readers) no statement is sent. Lead organisations are the participants'
    organisations, already loaded with the initiative (not read again).
    """
    accepted = [p.organization for p in initiative.participants if p.invitation_status == "accepted"]
    if not permissions.can(actor, "initiative.manage_participants", initiative):
        accepted = [org for org in accepted if permissions.speaks_for(actor, org)]
    if not accepted:
        return []
    linked = {link.project_id for link in initiative.project_links}
    projects = db.session.scalars(
        select(Project)
        .where(Project.lead_organization_id.in_([org.id for org in accepted]), Project.archived_at.is_(None))
        .order_by(Project.title)
    )
    return [
        p for p in projects
        if p.id not in linked and permissions.can(actor, "initiative.link_project", (initiative, p))
    ]  # fmt: skip


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


def networks_to_convene(actor) -> list[Network]:
    """The nodes the actor may convene an initiative in (the create form's choices)."""
    if not permissions.can(actor, "initiative.create", None):
        return []
    nodes = select(Network).where(Network.archived_at.is_(None), permissions.in_network_scope(actor, Network.path))
    return list(db.session.scalars(nodes.order_by(Network.path)))


@operation
def create_initiative(actor, data: dict) -> Initiative:
    """A new initiative convened by ``data["network"]`` (a node id; a coordinator's own by default)."""
    network = networks.convening_node(actor, data.get("network"))
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
    # A member's link is a claim: its outcomes count once a coordinator of the initiative confirms it.
    if permissions.can(actor, "initiative.confirm_link", link):
        link.status, link.confirmed_by_id, link.confirmed_at = "confirmed", getattr(actor, "id", None), utcnow()
    else:
        link.status = "proposed"
        notify(convening_coordinators(initiative), "project_link_proposed",
               {"project": project.title, "title": initiative.title}, f"/initiatives/{initiative.slug}#projects")  # fmt: skip
    return link


@operation
def confirm_project_link(actor, initiative: Initiative, project: Project) -> InitiativeProject:
    link = next((k for k in initiative.project_links if k.project_id == project.id), None)
    if link is None:
        raise NotFound(_("This project is not linked to the initiative."))
    permissions.require(actor, "initiative.confirm_link", link)
    if link.status != "confirmed":
        link.status, link.confirmed_by_id, link.confirmed_at = "confirmed", actor.id, utcnow()
    return link


@operation
def unlink_project(actor, initiative: Initiative, project: Project) -> None:
    permissions.require(actor, "initiative.link_project", (initiative, project))
    link = next((k for k in initiative.project_links if k.project_id == project.id), None)
    if link is None:
        raise NotFound(_("This project is not linked to the initiative."))
    initiative.project_links.remove(link)
    db.session.delete(link)
