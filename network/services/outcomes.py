"""Roll-ups: the outcome reports of linked projects add up to an initiative's progress.

Arithmetic is Decimal throughout and rounded only for display. Estimated and verified figures
are never added into one number without saying so; a report is verified only once a verifier
outside its organisation said so (services.projects.verify_outcome). A project counts for an
initiative while the organisation leading it is an accepted participant and its link is confirmed
by a coordinator; network-wide, each project counts once however
many initiatives it is linked to.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import get_locale
from sqlalchemy import Select, case, distinct, func, literal, select, tuple_
from sqlalchemy.orm import selectinload

from network import labels, paging, permissions
from network.extensions import db
from network.models import Initiative, InitiativeProject, OutcomeReport, Participant, Project
from network.services.initiatives import effective_shares

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass
class Figures:
    """tCO2e reduced and people reached, estimated and verified kept apart."""

    tco2e_estimated: Decimal = ZERO
    tco2e_verified: Decimal = ZERO
    people_estimated: Decimal = ZERO
    people_verified: Decimal = ZERO

    def add(self, report: OutcomeReport, fraction: Decimal = Decimal(1)) -> None:
        tco2e = (report.tco2e_reduced or ZERO) * fraction
        people = Decimal(report.people_reached or 0) * fraction
        if report.basis == "verified":
            self.tco2e_verified += tco2e
            self.people_verified += people
        else:
            self.tco2e_estimated += tco2e
            self.people_estimated += people

    def scaled(self, fraction: Decimal) -> "Figures":
        return Figures(self.tco2e_estimated * fraction, self.tco2e_verified * fraction,
                       self.people_estimated * fraction, self.people_verified * fraction)  # fmt: skip

    @property
    def tco2e_total(self) -> Decimal:
        return self.tco2e_estimated + self.tco2e_verified

    @property
    def people_total(self) -> Decimal:
        return self.people_estimated + self.people_verified


def percent(part: Decimal, whole: Decimal | int | None) -> Decimal | None:
    if not whole:
        return None
    return part * HUNDRED / Decimal(whole)


@dataclass
class ProjectLine:
    project: Project
    figures: Figures
    counted: bool  # False once the leading organisation left or was removed, or while proposed
    link: InitiativeProject | None = None

    @property
    def proposed(self) -> bool:
        """Linked by a member and not yet confirmed by a coordinator: it does not count yet."""
        return self.link is not None and not self.link.is_confirmed


@dataclass
class Credit:
    participant: Participant
    share: Decimal
    figures: Figures


@dataclass
class RollUp:
    total: Figures = field(default_factory=Figures)
    by_period: dict[str, Figures] = field(default_factory=dict)
    by_country: dict[str, Figures] = field(default_factory=dict)
    by_theme: dict[str, Figures] = field(default_factory=dict)
    projects: list[ProjectLine] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)
    target_tco2e: Decimal | None = None
    target_people: int | None = None

    @property
    def tco2e_verified_percent(self) -> Decimal | None:
        return percent(self.total.tco2e_verified, self.target_tco2e)

    @property
    def tco2e_total_percent(self) -> Decimal | None:
        return percent(self.total.tco2e_total, self.target_tco2e)

    @property
    def people_verified_percent(self) -> Decimal | None:
        return percent(self.total.people_verified, self.target_people)

    @property
    def people_total_percent(self) -> Decimal | None:
        return percent(self.total.people_total, self.target_people)


def period_of(report: OutcomeReport) -> str:
    """Reports are grouped by the calendar year their period ends in."""
    return str(report.period_end.year)


def roll_up(initiative: Initiative, links: list[InitiativeProject] | None = None, unspecified: str = "—") -> RollUp:
    """The initiative's progress, by period, country and theme, and each participant's credit.

    A project in several countries (or themes) is divided equally among them, so the breakdowns
    add up to the total. ``links`` are the initiative's project links already loaded with their
    projects' lead organisations, countries, themes and reports (``find_initiative(slug,
    outcomes=True)``); without them they are read here.
    """
    accepted = {p.organization_id for p in initiative.participants if p.invitation_status == "accepted"}
    if links is None:
        links = db.session.scalars(
            select(InitiativeProject)
            .where(InitiativeProject.initiative_id == initiative.id)
            .options(
                selectinload(InitiativeProject.project).options(
                    selectinload(Project.lead_organization),
                    selectinload(Project.countries),
                    selectinload(Project.themes),
                    selectinload(Project.outcome_reports),
                )
            )
        )
    links = sorted(links, key=lambda link: link.id)
    result = RollUp(target_tco2e=initiative.target_tco2e, target_people=initiative.target_people)
    by_period: dict[str, Figures] = defaultdict(Figures)
    by_country: dict[str, Figures] = defaultdict(Figures)
    by_theme: dict[str, Figures] = defaultdict(Figures)
    locale = get_locale()  # country and theme names in the reader's language
    for link in links:
        project = link.project
        counted = project.lead_organization_id in accepted and not project.is_archived and link.is_confirmed
        figures = Figures()
        countries = [labels.localized_name(c, locale) for c in project.countries] or [unspecified]
        themes = [labels.localized_name(t, locale) for t in project.themes] or [unspecified]
        for report in project.outcome_reports:
            if report.is_archived:
                continue
            figures.add(report)
            if not counted:
                continue
            result.total.add(report)
            by_period[period_of(report)].add(report)
            for name in countries:
                by_country[name].add(report, Decimal(1) / len(countries))
            for name in themes:
                by_theme[name].add(report, Decimal(1) / len(themes))
        result.projects.append(ProjectLine(project, figures, counted, link))
    result.by_period = dict(sorted(by_period.items()))
    result.by_country = dict(sorted(by_country.items(), key=lambda kv: -kv[1].tco2e_total))
    result.by_theme = dict(sorted(by_theme.items(), key=lambda kv: -kv[1].tco2e_total))
    shares = effective_shares(initiative)
    result.credits = [
        Credit(p, shares[p.id], result.total.scaled(shares[p.id] / HUNDRED))
        for p in initiative.participants if p.id in shares
    ]  # fmt: skip
    return result


def progress_series(rollup: RollUp) -> dict:
    """The progress chart's data: tCO2e per period and cumulatively, against the target."""
    labels = list(rollup.by_period)
    estimated, verified, cumulative = [], [], []
    running = ZERO
    for figures in rollup.by_period.values():
        estimated.append(float(round(figures.tco2e_estimated, 3)))
        verified.append(float(round(figures.tco2e_verified, 3)))
        running += figures.tco2e_total
        cumulative.append(float(round(running, 3)))
    return {
        "labels": labels,
        "estimated": estimated,
        "verified": verified,
        "cumulative": cumulative,
        "target": float(rollup.target_tco2e) if rollup.target_tco2e is not None else None,
    }


@dataclass
class NetworkTotals:
    projects: int
    tco2e_estimated: Decimal
    tco2e_verified: Decimal
    people_reached: int
    # What adding up each initiative's total would give: larger when a project is in two initiatives.
    tco2e_summed_per_initiative: Decimal
    projects_in_several: int

    @property
    def tco2e_total(self) -> Decimal:
        return self.tco2e_estimated + self.tco2e_verified


def _counted_links():
    """Links that count: confirmed, live initiative, live project led by an accepted participant."""
    return (
        select(InitiativeProject.initiative_id, InitiativeProject.project_id)
        .join(Initiative, Initiative.id == InitiativeProject.initiative_id)
        .join(Project, Project.id == InitiativeProject.project_id)
        .join(Participant, (Participant.initiative_id == InitiativeProject.initiative_id)
              & (Participant.organization_id == Project.lead_organization_id))
        .where(Initiative.archived_at.is_(None), Project.archived_at.is_(None),
               Participant.invitation_status == "accepted", InitiativeProject.status == "confirmed")
    )  # fmt: skip


def network_totals() -> NetworkTotals:
    """Outcomes of all projects linked to initiatives, each project counted once (three queries)."""
    links = _counted_links().subquery()
    live = (OutcomeReport.archived_at.is_(None),)
    once = db.session.execute(
        select(OutcomeReport.basis, func.coalesce(func.sum(OutcomeReport.tco2e_reduced), 0),
               func.coalesce(func.sum(OutcomeReport.people_reached), 0))
        .where(OutcomeReport.project_id.in_(select(links.c.project_id)), *live)
        .group_by(OutcomeReport.basis)
    ).all()  # fmt: skip
    by_basis = {basis: (Decimal(t), int(p)) for basis, t, p in once}
    summed = db.session.scalar(
        select(func.coalesce(func.sum(OutcomeReport.tco2e_reduced), 0))
        .join(links, links.c.project_id == OutcomeReport.project_id)
        .where(*live)
    )
    per_project = (
        select(links.c.project_id, func.count(distinct(links.c.initiative_id)).label("n"))
        .group_by(links.c.project_id)
        .subquery()
    )
    counts = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((per_project.c.n > 1, 1), else_=0)), 0)).select_from(
            per_project
        )
    ).one()
    return NetworkTotals(
        projects=int(counts[0]),
        tco2e_estimated=by_basis.get("estimated", (ZERO, 0))[0],
        tco2e_verified=by_basis.get("verified", (ZERO, 0))[0],
        people_reached=sum(p for _, p in by_basis.values()),
        tco2e_summed_per_initiative=Decimal(summed),
        projects_in_several=int(counts[1]),
    )


# ---------------------------------------------------------------------------------------------
# The verification queue: reports submitted for verification that the user may verify

QUEUE_PAGE = 25
QUEUE_COUNT_LIMIT = 100  # "100+" past this: counting further reads rows no one looks at


def queued_at():
    """When a report joined the queue (reports marked submitted before submitted_at existed: created)."""
    return func.coalesce(OutcomeReport.submitted_at, OutcomeReport.created_at)


def to_verify_query(actor) -> Select:
    """Live outcome reports of live projects, submitted and awaiting a verifier, that the actor may
    verify (permissions.verifiable_projects: the rule itself, as SQL)."""
    query = (
        select(OutcomeReport)
        .join(Project, Project.id == OutcomeReport.project_id)
        .where(OutcomeReport.review_status == "submitted", OutcomeReport.archived_at.is_(None),
               Project.archived_at.is_(None))
    )  # fmt: skip
    verifiable = permissions.verifiable_projects(actor)
    return query if verifiable is None else query.where(OutcomeReport.project_id.in_(verifiable))


def count_to_verify(query: Select) -> Select:
    """SELECT count(*) of the query's first QUEUE_COUNT_LIMIT + 1 rows (a scalar subquery)."""
    limited = query.with_only_columns(literal(1), maintain_column_froms=True).limit(QUEUE_COUNT_LIMIT + 1)
    return select(func.count()).select_from(limited.subquery()).scalar_subquery()


@dataclass
class VerificationQueue:
    page: paging.Page  # oldest first; page.older is the cursor of the next (newer) page
    count: int  # up to QUEUE_COUNT_LIMIT + 1

    @property
    def more(self) -> bool:
        return self.count > QUEUE_COUNT_LIMIT


def reports_to_verify(actor, after: str | None = None, per_page: int = QUEUE_PAGE) -> VerificationQueue:
    """A page of the reports awaiting the actor's verification, the longest waiting first, from the
    cursor on; two statements (the capped count, the page with projects and leads) whatever the queue."""
    permissions.require(actor, "outcome.queue")
    query = to_verify_query(actor)
    count = db.session.scalar(select(count_to_verify(query)))
    queued = queued_at()
    start = paging.decode(after)
    if start is not None:
        query = query.where(tuple_(queued, OutcomeReport.id) > tuple_(*start))
    rows = list(db.session.scalars(
        query.order_by(queued, OutcomeReport.id).limit(per_page + 1)
        .options(selectinload(OutcomeReport.project).selectinload(Project.lead_organization))
    ))  # fmt: skip
    items = rows[:per_page]
    last = items[-1] if items else None
    newer = paging.encode(last.submitted_at or last.created_at, last.id) if len(rows) > per_page else None
    return VerificationQueue(paging.Page(items=items, older=newer, first=start is None), count)
