"""Projects, the organisations taking part in them, and their outcome reports.

A project belongs to its lead organisation: its members and the coordinators managing it edit
the project and its outcome reports directly (no moderation). What it says about others needs
their word: an organisation it names as taking part is "proposed" until that organisation or a
coordinator confirms it, and an outcome is verified only by a verifier outside the organisation,
after the organisation submits it with evidence files.
"""

import secrets
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from network import permissions
from network.errors import NotFound, ValidationError
from network.extensions import db
from network.labels import OUTCOME_REVIEW_LABELS, label
from network.models import (
    InitiativeProject,
    Organization,
    OutcomeEvidence,
    OutcomeReport,
    Project,
    ProjectParticipant,
    User,
    utcnow,
)  # fmt: skip
from network.models.project import OUTCOME_BASES, PROJECT_ROLES, PROJECT_STATUSES
from network.services import operation
from network.services.cleaning import Cleaner, find_organization, plain_value, regions_by_code, themes_by_slug
from network.services.notifications import notify, organization_users
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


def assign_project(actor, project: Project, cleaned: dict) -> list[ProjectParticipant]:
    """Set the cleaned values; returns the participants that became "proposed"."""
    # No flush half-way (the look-ups below would autoflush): one UPDATE, one version, one audit row.
    with db.session.no_autoflush:
        return _assign_project(actor, project, cleaned)


def _assign_project(actor, project: Project, cleaned: dict) -> list[ProjectParticipant]:
    claimed = []
    for key, value in cleaned.items():
        if key == "countries":
            project.countries = regions_by_code(value)
        elif key == "themes":
            project.themes = themes_by_slug(value)
        elif key == "participants":
            kept = {p.organization_id: p for p in project.participants}
            rows = []
            for org, role in value:
                row = kept.get(org.id)
                if row is None or row.role != role:
                    row = row or ProjectParticipant(organization=org, organization_id=org.id, project_id=project.id)
                    row.role = role
                    claimed.append(row)
                rows.append(row)
            project.participants = rows
        else:
            setattr(project, key, value)
    # Naming a firm or NGO (or changing its role) is a claim about it: it stands once the
    # organisation or a coordinator confirms it, at once when the actor is one of those.
    proposed = []
    for row in claimed:
        if permissions.can(actor, "project_participant.confirm", row):
            row.status, row.confirmed_by_id, row.confirmed_at = "confirmed", getattr(actor, "id", None), utcnow()
        else:
            row.status, row.confirmed_by_id, row.confirmed_at = "proposed", None, None
            proposed.append(row)
    return proposed


def _tell_proposed(project: Project, rows: list[ProjectParticipant]) -> None:
    for row in rows:
        notify(organization_users(row.organization), "project_participant_proposed",
               {"org": row.organization.name, "project": project.title, "project_role": row.role},
               f"/projects/{project.id}#participants")  # fmt: skip


@operation
def create_project(actor, org: Organization, data: dict) -> Project:
    permissions.require(actor, "project.create", org)
    cleaned = validate_project(data)
    project = Project(lead_organization=org, lead_organization_id=org.id)
    proposed = assign_project(actor, project, cleaned)
    db.session.add(project)
    db.session.flush()  # the notices link to the project's page
    _tell_proposed(project, proposed)
    return project


@operation
def update_project(actor, project: Project, data: dict, expected_version) -> Project:
    permissions.require(actor, "project.update", project)
    cleaned = validate_project(data, existing=project)
    check_version(project, expected_version, project_values(project, cleaned), plain_submitted(cleaned))
    _tell_proposed(project, assign_project(actor, project, cleaned))
    return project


@operation
def confirm_project_participant(actor, participant: ProjectParticipant) -> ProjectParticipant:
    """The organisation named on a project (or a coordinator) confirms it takes part in that role."""
    permissions.require(actor, "project_participant.confirm", participant)
    if participant.status != "confirmed":
        participant.status, participant.confirmed_by_id, participant.confirmed_at = "confirmed", actor.id, utcnow()
    return participant


def find_project_participant(project: Project, participant_id: int) -> ProjectParticipant:
    participant = next((p for p in project.participants if p.id == participant_id), None)
    if participant is None:
        raise NotFound(_("No such participant in this project."))
    return participant


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


def claim_on(project: Project):
    """What the outcome rules are asked about for a report not made yet: its project is all they read."""
    return SimpleNamespace(project=project)


def _may_verify(actor, project: Project, report: OutcomeReport | None = None) -> bool:
    return permissions.can(actor, "outcome.verify", report or claim_on(project))


def _check_basis(actor, project: Project, report: OutcomeReport | None, cleaned: dict) -> None:
    claimed = cleaned.get("basis") == "verified" and (report is None or report.basis != "verified")
    if claimed and not _may_verify(actor, project, report):
        raise ValidationError({"basis": [_("Only a verifier outside the organisation can mark an outcome "
                                                "verified: report it as estimated and submit it for verification.")]})  # fmt: skip


@operation
def create_outcome(actor, project: Project, data: dict) -> OutcomeReport:
    permissions.require(actor, "outcome.manage", project)
    cleaned = validate_outcome(data)
    _check_basis(actor, project, None, cleaned)
    report = OutcomeReport(project=project, project_id=project.id, **cleaned)
    if report.basis == "verified":  # entered by a verifier (a coordinator in scope): they vouch for it
        report.review_status, report.reviewed_by_id, report.reviewed_at = (
            "verified",
            getattr(actor, "id", None),
            utcnow(),
        )
    db.session.add(report)
    return report


@operation
def update_outcome(actor, report: OutcomeReport, data: dict, expected_version) -> OutcomeReport:
    permissions.require(actor, "outcome.manage", report.project)
    cleaned = validate_outcome(data, existing=report)
    _check_basis(actor, report.project, report, cleaned)
    current = {k: plain_value(getattr(report, k)) for k in cleaned}
    check_version(report, expected_version, current, {k: plain_value(v) for k, v in cleaned.items()})
    changed = {k for k, v in cleaned.items() if plain_value(v) != current[k]}
    for key, value in cleaned.items():
        setattr(report, key, value)
    if report.review_status == "verified" and changed and not _may_verify(actor, report.project, report):
        # What was verified is no longer what the report says: estimated again, to be submitted again.
        report.basis, report.review_status = "estimated", "draft"
    elif report.basis == "verified" and report.review_status != "verified":
        report.review_status, report.reviewed_by_id, report.reviewed_at = (
            "verified",
            getattr(actor, "id", None),
            utcnow(),
        )
    elif report.basis == "estimated" and report.review_status == "verified":
        report.review_status = "draft"
    return report


# Verification --------------------------------------------------------------------------------


def verifiers_of(report: OutcomeReport) -> list[User]:
    """The active users, admins aside, who may verify the report (they are told when it is submitted)."""
    links = list(db.session.scalars(select(InitiativeProject).where(
        InitiativeProject.project_id == report.project_id, InitiativeProject.status == "confirmed")))  # fmt: skip
    technical = {p.organization_id for k in links for p in k.initiative.participants
                 if p.role == "technical" and p.invitation_status == "accepted"}  # fmt: skip
    candidates = db.session.scalars(
        select(User).where(User.active.is_(True), ~permissions.administrators(),
                           or_(User.organization_id.in_(technical), permissions.any_coordinator()))
        .order_by(User.id)
    )  # fmt: skip
    return [u for u in candidates if permissions.can(u, "outcome.verify", report)]


@operation
def submit_outcome(actor, report: OutcomeReport) -> OutcomeReport:
    """The organisation asks for its estimated report to be verified, with its evidence attached."""
    permissions.require(actor, "outcome.manage", report.project)
    if report.is_archived:
        raise ValidationError({"": [_("This outcome report is archived.")]})
    if report.review_status not in ("draft", "returned"):
        raise ValidationError({"": [_("This outcome report is already %(status)s.",
                                      status=label(OUTCOME_REVIEW_LABELS, report.review_status).lower())]})  # fmt: skip
    if not report.evidence:
        raise ValidationError({"evidence": [_("Attach at least one evidence file before submitting.")]})
    report.review_status, report.submitted_at, report.submitted_by_id = (
        "submitted",
        utcnow(),
        getattr(actor, "id", None),
    )
    notify(verifiers_of(report), "outcome_submitted", _outcome_params(report), f"/outcomes/{report.id}")
    return report


def _review_check(actor, report: OutcomeReport) -> None:
    permissions.require(actor, "outcome.verify", report)
    if report.review_status != "submitted" or report.is_archived:
        raise ValidationError(
            {"": [_("Only an outcome report submitted for verification can be verified or returned.")]}
        )


@operation
def verify_outcome(actor, report: OutcomeReport, comment: str | None = None) -> OutcomeReport:
    """A verifier outside the organisation vouches for the report: from now on it counts as verified."""
    _review_check(actor, report)
    c = Cleaner({"comment": comment})
    c.text("comment", max_length=5000, multiline=True)
    comment = c.done().get("comment")
    report.basis, report.review_status = "verified", "verified"
    report.reviewed_by_id, report.reviewed_at, report.review_comment = actor.id, utcnow(), comment
    notify(organization_users(report.project.lead_organization), "outcome_verified", _outcome_params(report),
           f"/outcomes/{report.id}")  # fmt: skip
    return report


@operation
def return_outcome(actor, report: OutcomeReport, comment: str | None) -> OutcomeReport:
    """A verifier sends the report back with what is missing or wrong; it stays estimated."""
    _review_check(actor, report)
    c = Cleaner({"comment": comment})
    c.text("comment", max_length=5000, multiline=True, required=True)
    comment = c.done()["comment"]
    report.basis, report.review_status = "estimated", "returned"
    report.reviewed_by_id, report.reviewed_at, report.review_comment = actor.id, utcnow(), comment
    notify(organization_users(report.project.lead_organization), "outcome_returned", _outcome_params(report),
           f"/outcomes/{report.id}")  # fmt: skip
    return report


def _outcome_params(report: OutcomeReport) -> dict:
    return {"project": report.project.title, "period": f"{report.period_start} – {report.period_end}"}


# Evidence files ------------------------------------------------------------------------------

# Extension → (the type it is served as, a check of its first bytes). The type is ours, never the
# uploader's; a file whose bytes do not match its extension is refused.
EVIDENCE_TYPES = {
    "pdf": ("application/pdf", lambda head: head.startswith(b"%PDF-")),
    "png": ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    "webp": ("image/webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             lambda head: head.startswith(b"PK\x03\x04")),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", lambda head: head.startswith(b"PK\x03\x04")),
    "xls": ("application/vnd.ms-excel", lambda head: head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")),
    "csv": ("text/csv", lambda head: b"\x00" not in head),
}  # fmt: skip
MAX_EVIDENCE_FILES = 20


def evidence_dir() -> Path:
    """EVIDENCE_DIR, or instance/evidence: never under static/, so files are only served by a view."""
    configured = current_app.config.get("EVIDENCE_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "evidence"
    path.mkdir(parents=True, exist_ok=True)
    return path


def evidence_path(evidence: OutcomeEvidence) -> Path:
    return evidence_dir() / evidence.stored_name


def _clean_filename(name: str) -> str:
    """The uploaded name as shown and offered on download: no folders, no control characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    return name[-200:] or "evidence"


@operation
def add_evidence(actor, report: OutcomeReport, filename: str, stream: IO[bytes] | None) -> OutcomeEvidence:
    """Attach a file (PDF, image or spreadsheet) to an outcome report that is not verified yet."""
    permissions.require(actor, "outcome.manage", report.project)
    if stream is None or not filename:
        raise ValidationError({"file": [_("Choose a file to attach.")]})
    if report.review_status == "verified":
        raise ValidationError({"file": [_("This outcome report is verified; its evidence can no longer change.")]})
    if len(report.evidence) >= MAX_EVIDENCE_FILES:
        raise ValidationError({"file": [_("At most %(n)d files per outcome report.", n=MAX_EVIDENCE_FILES)]})
    name = _clean_filename(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EVIDENCE_TYPES:
        raise ValidationError(
            {"file": [_("Attach a PDF, an image (PNG, JPEG, WebP) or a spreadsheet (XLSX, XLS, ODS, CSV).")]}
        )
    limit = int(current_app.config.get("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))
    data = stream.read(limit + 1)
    if not data:
        raise ValidationError({"file": [_("The file is empty.")]})
    if len(data) > limit:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB.", mb=format(limit / 1_048_576, "g"))]})
    content_type, looks_right = EVIDENCE_TYPES[extension]
    if not looks_right(data[:16]):
        raise ValidationError({"file": [_("The file's contents do not match its type (.%(ext)s).", ext=extension)]})
    stored = f"{secrets.token_hex(16)}.{extension}"
    (evidence_dir() / stored).write_bytes(data)
    evidence = OutcomeEvidence(report=report, filename=name, stored_name=stored, content_type=content_type,
                               size=len(data), uploaded_by_id=getattr(actor, "id", None))  # fmt: skip
    db.session.add(evidence)
    return evidence


@operation
def remove_evidence(actor, evidence: OutcomeEvidence) -> None:
    report = evidence.report
    permissions.require(actor, "outcome.manage", report.project)
    if report.review_status in ("submitted", "verified"):
        raise ValidationError({"file": [_("Evidence of a report under verification or verified cannot be removed.")]})
    path = evidence_path(evidence)
    report.evidence.remove(evidence)
    db.session.delete(evidence)
    db.session.flush()
    path.unlink(missing_ok=True)


def visible_evidence(actor, evidence_id: int) -> OutcomeEvidence:
    """An evidence file, for the organisation and its verifiers only (NotFound first)."""
    evidence = db.session.get(OutcomeEvidence, evidence_id) if 0 < evidence_id <= MAX_ID else None
    if evidence is None:
        raise NotFound(_("No such file."))
    permissions.require(actor, "outcome.view_evidence", evidence.report)
    return evidence


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
        # the API shows each report's verifier and evidence count: read with the page, not per report
        .options(selectinload(OutcomeReport.reviewed_by), selectinload(OutcomeReport.evidence))
    )


def outcomes_to_manage(actor, project: Project) -> list[OutcomeReport]:
    """Every outcome report of the project, archived ones too, by period, for those who keep them."""
    permissions.require(actor, "outcome.manage", project)
    query = (
        select(OutcomeReport)
        .where(OutcomeReport.project_id == project.id)
        .options(selectinload(OutcomeReport.evidence))
        .order_by(OutcomeReport.period_start)
    )
    return list(db.session.scalars(query))
