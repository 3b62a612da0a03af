"""Projects, the organisations taking part in them, and their outcome reports.

A project belongs to its lead organisation: its members and the coordinators managing it edit
the project and its outcome reports directly (no moderation).
"""

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Select, select

from network import permissions
from network.errors import NotFound
from network.extensions import db
from network.models import Organization, OutcomeReport, Project, ProjectParticipant
from network.models.project import OUTCOME_BASES, PROJECT_ROLES, PROJECT_STATUSES
from network.services import operation
from network.services.cleaning import Cleaner, find_organization, plain_value, regions_by_code, themes_by_slug
from network.services.organizations import check_version, is_blank
from network.services.profiles import MAX_ID

PROJECT_FIELDS = (
    "title", "title_local", "summary", "status", "start_date", "end_date", "budget", "currency",
    "countries", "themes", "participants",
)  # fmt: skip
OUTCOME_FIELDS = ("period_start", "period_end", "tco2e_reduced", "basis", "method", "people_reached", "note")


def validate_project(data: dict, *, existing: Project | None = None) -> dict:
    """Clean and check project values; ``participants`` is a list of {"organization", "role"}
    (organisation as Organization, id or slug), kept as [(Organization, role), …]."""
    c = Cleaner({k: v for k, v in data.items() if k in PROJECT_FIELDS}, partial=existing is not None)
    for key in sorted(set(data) - set(PROJECT_FIELDS)):
        c.error(key, _("Unknown field."))
    c.text("title", max_length=300, required=True)
    c.text("title_local", max_length=300)
    c.text("summary", max_length=20_000, multiline=True)
    if existing is None and is_blank(data.get("status")):
        c.cleaned["status"] = "active"
    else:
        c.choice("status", PROJECT_STATUSES, required=True)
    c.date("start_date")
    c.date("end_date")
    c.dates_in_order("start_date", "end_date", existing)
    c.decimal("budget", digits=16, places=2)
    c.currency("currency")
    budget = c.cleaned.get("budget", getattr(existing, "budget", None))
    currency = c.cleaned.get("currency", getattr(existing, "currency", None))
    if budget is not None and currency is None and "currency" not in c.errors and "budget" not in c.errors:
        c.error("currency", _("Give the currency of the budget."))
    c.countries("countries")
    c.themes("themes")
    participants(c)
    return c.done()


def participants(c: Cleaner) -> None:
    if not c.wanted("participants"):
        return
    rows = c.raw("participants") or []
    if not isinstance(rows, list | tuple):
        c.error("participants", _("Must be a list of organisations with their roles."))
        return
    cleaned, seen = [], set()
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            c.error("participants", _("Row %(n)d: must name an organisation and a role.", n=n))
            continue
        if is_blank(row.get("organization")):
            continue  # an empty row of the form
        org = find_organization(row.get("organization"))
        role = row.get("role") or "partner"
        if org is None:
            c.error("participants", _("Row %(n)d: no such organisation.", n=n))
        elif role not in PROJECT_ROLES:
            c.error("participants", _("Row %(n)d: not a valid role: %(role)s.", n=n, role=role))
        elif org.id in seen:
            c.error("participants", _("Row %(n)d: %(name)s is listed twice.", n=n, name=org.name))
        else:
            seen.add(org.id)
            cleaned.append((org, role))
    c.cleaned["participants"] = cleaned


def project_values(project: Project, fields=PROJECT_FIELDS) -> dict:
    values = {}
    for key in fields:
        if key == "participants":
            values[key] = sorted(f"{p.organization.slug}:{p.role}" for p in project.participants)
        else:
            values[key] = plain_value(getattr(project, key))
    return values


def plain_submitted(cleaned: dict) -> dict:
    return {
        key: sorted(f"{org.slug}:{role}" for org, role in value) if key == "participants" else plain_value(value)
        for key, value in cleaned.items()
    }


def assign_project(project: Project, cleaned: dict) -> None:
    # No flush half-way (the look-ups below would autoflush): one UPDATE, one version, one audit row.
    with db.session.no_autoflush:
        _assign_project(project, cleaned)


def _assign_project(project: Project, cleaned: dict) -> None:
    for key, value in cleaned.items():
        if key == "countries":
            project.countries = regions_by_code(value)
        elif key == "themes":
            project.themes = themes_by_slug(value)
        elif key == "participants":
            kept = {p.organization_id: p for p in project.participants}
            rows = []
            for org, role in value:
                row = kept.get(org.id) or ProjectParticipant(
                    organization=org, organization_id=org.id, project_id=project.id
                )
                row.role = role
                rows.append(row)
            project.participants = rows
        else:
            setattr(project, key, value)


@operation
def create_project(actor, org: Organization, data: dict) -> Project:
    permissions.require(actor, "project.create", org)
    cleaned = validate_project(data)
    project = Project(lead_organization=org, lead_organization_id=org.id)
    assign_project(project, cleaned)
    db.session.add(project)
    return project


@operation
def update_project(actor, project: Project, data: dict, expected_version) -> Project:
    permissions.require(actor, "project.update", project)
    cleaned = validate_project(data, existing=project)
    check_version(project, expected_version, project_values(project, cleaned), plain_submitted(cleaned))
    assign_project(project, cleaned)
    return project


# Outcome reports -----------------------------------------------------------------------------


def validate_outcome(data: dict, *, existing: OutcomeReport | None = None) -> dict:
    c = Cleaner({k: v for k, v in data.items() if k in OUTCOME_FIELDS}, partial=existing is not None)
    for key in sorted(set(data) - set(OUTCOME_FIELDS)):
        c.error(key, _("Unknown field."))
    c.date("period_start", required=True)
    c.date("period_end", required=True)
    c.dates_in_order("period_start", "period_end", existing, _("Must not be before the start of the period."))
    c.decimal("tco2e_reduced", minimum=Decimal(0), digits=14, places=3)
    if existing is None and is_blank(data.get("basis")):
        c.cleaned["basis"] = "estimated"
    else:
        c.choice("basis", OUTCOME_BASES, required=True)
    c.text("method", max_length=300)
    c.integer("people_reached", minimum=0, maximum=2_147_483_647)  # a 32-bit column
    c.text("note", max_length=20_000, multiline=True)
    return c.done()


@operation
def create_outcome(actor, project: Project, data: dict) -> OutcomeReport:
    permissions.require(actor, "outcome.manage", project)
    cleaned = validate_outcome(data)
    report = OutcomeReport(project=project, project_id=project.id, **cleaned)
    db.session.add(report)
    return report


@operation
def update_outcome(actor, report: OutcomeReport, data: dict, expected_version) -> OutcomeReport:
    permissions.require(actor, "outcome.manage", report.project)
    cleaned = validate_outcome(data, existing=report)
    current = {k: plain_value(getattr(report, k)) for k in cleaned}
    check_version(report, expected_version, current, {k: plain_value(v) for k, v in cleaned.items()})
    for key, value in cleaned.items():
        setattr(report, key, value)
    return report


# Reading -------------------------------------------------------------------------------------


def find_project(project_id: int) -> Project:
    project = db.session.get(Project, project_id) if 0 < project_id <= MAX_ID else None
    if project is None:
        raise NotFound(_("No such project."))
    return project


def find_outcome(report_id: int) -> OutcomeReport:
    report = db.session.get(OutcomeReport, report_id) if 0 < report_id <= MAX_ID else None
    if report is None:
        raise NotFound(_("No such outcome report."))
    return report


def visible_project(actor, project_id: int) -> Project:
    """A project, for those who may see it (NotFound first: a missing id is 404 for everyone)."""
    project = find_project(project_id)
    permissions.require(actor, "project.view", project)
    return project


def visible_outcome(actor, report_id: int) -> OutcomeReport:
    """An outcome report, for those who may see its project."""
    report = find_outcome(report_id)
    permissions.require(actor, "project.view", report.project)
    return report


def published_outcomes(actor, project: Project) -> Select:
    """The project's outcome reports that are not archived, oldest period first (a query to page)."""
    permissions.require(actor, "project.view", project)
    return (
        select(OutcomeReport)
        .where(OutcomeReport.project_id == project.id, OutcomeReport.archived_at.is_(None))
        .order_by(OutcomeReport.period_start, OutcomeReport.id)
    )


def outcomes_to_manage(actor, project: Project) -> list[OutcomeReport]:
    """Every outcome report of the project, archived ones too, by period, for those who keep them."""
    permissions.require(actor, "outcome.manage", project)
    query = select(OutcomeReport).where(OutcomeReport.project_id == project.id).order_by(OutcomeReport.period_start)
    return list(db.session.scalars(query))
