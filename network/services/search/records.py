"""Searching projects and initiatives: text, status, theme, region and country, with facet counts.

These tables are a small fraction of the directory, so filters and drill-down counts are plain SQL
around the same full-text index (no in-memory facet index). Each facet counts with every other
filter applied; values within one facet are alternatives, facets combine with AND.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from urllib.parse import urlencode

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Table, case, func, select, text
from sqlalchemy.orm import aliased, selectinload

from network import labels, permissions
from network.extensions import db
from network.models import Initiative, Organization, Project, ProjectParticipant, Region, Theme
from network.models.initiative import INITIATIVE_STATUSES, initiative_regions, initiative_themes
from network.models.project import PROJECT_STATUSES, project_countries, project_themes
from network.services.search.index import backend_for
from network.services.search.organizations import FacetValue
from network.services.search.params import MAX_PER_PAGE, MAX_QUERY_LENGTH, _int, _values
from network.services.search.text import highlight, highlight_pattern, query_tokens

FACETS = ("status", "theme", "region", "country")
SORTS = ("relevance", "title", "updated")
REGION_LEVELS = ("region", "subregion", "intermediate")  # the region facet's tree (countries have their own)


@dataclass
class RecordSearchParams:
    q: str = ""
    status: list[str] = field(default_factory=list)
    theme: list[str] = field(default_factory=list)  # theme slugs
    region: list[str] = field(default_factory=list)  # M49 codes: a record naming anything inside matches
    country: list[str] = field(default_factory=list)  # ISO alpha-2
    organization: str = ""  # projects: the lead organisation's slug or id
    sort: str = "relevance"
    page: int = 1
    per_page: int = 25
    notices: list[str] = field(default_factory=list, compare=False)

    def args(self, **changes) -> dict:
        """Query-string arguments of this search (defaults left out), with changes applied."""
        params = replace(self, **changes)
        return {
            f.name: getattr(params, f.name)
            for f in fields(self)
            if f.name != "notices" and getattr(params, f.name) not in ("", [], f.default)
        }

    def facet_query(self, name: str, value: str) -> str:
        """Query string with one facet value switched on or off, back on page 1."""
        values = getattr(self, name)
        values = [v for v in values if v != value] if value in values else [*values, value]
        return urlencode(self.args(**{name: values, "page": 1}), doseq=True)

    @property
    def filters_active(self) -> bool:
        return any(getattr(self, name) for name in FACETS) or bool(self.organization)


@dataclass
class RecordSearchResult:
    params: RecordSearchParams
    items: list
    total: int
    page: int
    per_page: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    facet_depth: dict[str, dict[str, int]] = field(default_factory=dict)  # region value -> depth
    highlights: dict[int, dict[str, Markup]] = field(default_factory=dict)  # id -> {"title", "snippet"}
    relax: list[tuple[str, int, dict]] = field(default_factory=list)  # (what to drop, count, args)
    notices: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def parse_record_params(args: Mapping) -> RecordSearchParams:
    """Parse a project or initiative search. Never raises: bad values are dropped (the service
    notes unknown codes, which it can only tell from the database)."""
    notices: list[str] = []
    q = str(args.get("q") or "")
    if len(q) > MAX_QUERY_LENGTH:
        notices.append(_("The search text was cut to %(n)d characters.", n=MAX_QUERY_LENGTH))
        q = q[:MAX_QUERY_LENGTH]
    sort = str(args.get("sort") or "relevance")
    return RecordSearchParams(
        q=q.strip(),
        status=_values(args, "status"),
        theme=_values(args, "theme"),
        region=_values(args, "region"),
        country=[c.upper() for c in _values(args, "country")],
        organization=str(args.get("organization") or "").replace("\x00", "").strip()[:120],
        sort=sort if sort in SORTS else "relevance",
        page=min(max(1, _int(args.get("page"), 1)), 1_000_000),
        per_page=min(max(1, _int(args.get("per_page"), 25)), MAX_PER_PAGE),
        notices=notices,
    )


@dataclass(frozen=True)
class _Kind:
    """What differs between searching projects and initiatives."""

    model: type
    entity: str  # the full-text index's entity name, and the link tables' "<entity>_id" column
    themes: Table
    regions: Table
    statuses: dict  # value -> label
    natural_order: tuple  # without words, "relevance" means this
    options: tuple
    summary: str  # the text a snippet is cut from


PROJECTS = _Kind(
    Project, "project", project_themes, project_countries, labels.PROJECT_STATUS_LABELS,
    natural_order=(Project.title, Project.id),
    options=(selectinload(Project.lead_organization), selectinload(Project.themes), selectinload(Project.countries),
             selectinload(Project.participants).selectinload(ProjectParticipant.organization)),
    summary="summary",
)  # fmt: skip
INITIATIVES = _Kind(
    Initiative, "initiative", initiative_themes, initiative_regions, labels.INITIATIVE_STATUS_LABELS,
    natural_order=(Initiative.created_at.desc(), Initiative.id.desc()),
    options=(selectinload(Initiative.themes), selectinload(Initiative.regions), selectinload(Initiative.network),
             selectinload(Initiative.targets)),
    summary="goal",
)  # fmt: skip
assert set(PROJECTS.statuses) == set(PROJECT_STATUSES) and set(INITIATIVES.statuses) == set(INITIATIVE_STATUSES)

FACET_TITLES = {"status": _l("status"), "theme": _l("theme"), "region": _l("region"), "country": _l("country"),
                "organization": _l("organisation"), "q": _l("search words")}  # fmt: skip


def _zh() -> bool:
    return has_request_context() and str(get_locale()) == "zh"


class _Filters:
    """The SQL conditions of one search, by what they filter on ("q", "organization" or a facet)."""

    def __init__(self, kind: _Kind, params: RecordSearchParams, notices: list[str]):
        model = kind.model
        self.kind = kind
        self.conditions: dict[str, object] = {}
        self.names_match = None
        tokens = query_tokens(params.q)
        self.pattern = highlight_pattern(tokens)
        if tokens:
            backend = backend_for(db.session.connection())
            sql, bind = backend.match_sql(kind.entity, tokens)
            self.conditions["q"] = model.id.in_(text(sql).bindparams(**bind))
            # The same statement also asks whether the title matched: its parameters need other names.
            sql, bind = backend.match_sql(kind.entity, tokens, names_only=True)
            for key in bind:
                sql = sql.replace(f":{key}", f":names_{key}")
            self.names_match = model.id.in_(text(sql).bindparams(**{f"names_{k}": v for k, v in bind.items()}))
        if params.organization and kind is PROJECTS:
            ref = params.organization
            by_id = Organization.id == int(ref) if ref.isdigit() and int(ref) < 2**31 else None
            lead = db.session.scalar(select(Organization.id).where(db.or_(Organization.slug == ref, by_id)))
            self._unknown(notices, [] if lead else [params.organization])
            if lead:
                self.conditions["organization"] = Project.lead_organization_id == lead
        self._unknown(notices, [s for s in params.status if s not in kind.statuses])
        statuses = [s for s in params.status if s in kind.statuses]
        if statuses:
            self.conditions["status"] = model.status.in_(statuses)
        if params.theme:
            known = db.session.execute(select(Theme.id, Theme.slug).where(Theme.slug.in_(params.theme))).all()
            self._unknown(notices, sorted(set(params.theme) - {slug for _id, slug in known}))
            if known:
                self.conditions["theme"] = self._linked(kind.themes, kind.themes.c.theme_id.in_([i for i, _s in known]))
        for name, levels in (("region", ("world", *REGION_LEVELS)), ("country", ("country",))):
            codes = getattr(params, name)
            if not codes:
                continue
            known = db.session.execute(
                select(Region.path, Region.code).where(Region.code.in_(codes), Region.level.in_(levels))
            ).all()
            self._unknown(notices, sorted(set(codes) - {code for _p, code in known}))
            if known:
                inside = select(Region.id).where(db.or_(*[Region.path.startswith(path) for path, _c in known]))
                self.conditions[name] = self._linked(kind.regions, kind.regions.c.region_id.in_(inside))

    @staticmethod
    def _unknown(notices: list[str], values: list[str]) -> None:
        notices.extend(_("Unknown value %(value)s was ignored.", value=v) for v in values)

    def link_id(self, table: Table):
        return table.c[f"{self.kind.entity}_id"]

    def _linked(self, table: Table, condition):
        return self.kind.model.id.in_(select(self.link_id(table)).where(condition))

    def where(self, without: str | None = None) -> list:
        return [self.kind.model.archived_at.is_(None)] + [c for k, c in self.conditions.items() if k != without]

    def ids(self, without: str | None = None):
        return select(self.kind.model.id).where(*self.where(without))

    def count(self, without: str | None = None) -> int:
        return db.session.scalar(select(func.count()).select_from(self.kind.model).where(*self.where(without)))


def _facets(filters: _Filters, params: RecordSearchParams):
    kind, zh = filters.kind, _zh()
    facets: dict[str, list[FacetValue]] = {}
    depth: dict[str, int] = {}

    statuses = dict(db.session.execute(
        select(kind.model.status, func.count()).where(*filters.where("status")).group_by(kind.model.status)
    ).all())  # fmt: skip
    facets["status"] = [
        FacetValue(value, str(label), statuses[value], value in params.status)
        for value, label in kind.statuses.items() if value in statuses
    ]  # fmt: skip

    link = filters.link_id(kind.themes)
    rows = db.session.execute(
        select(Theme.slug, Theme.name, Theme.name_zh, func.count(link.distinct()))
        .join(kind.themes, kind.themes.c.theme_id == Theme.id)
        .where(link.in_(filters.ids("theme")))
        .group_by(Theme.id, Theme.slug, Theme.name, Theme.name_zh, Theme.position)
        .order_by(Theme.position)
    ).all()
    facets["theme"] = [FacetValue(slug, (zh and name_zh) or name, n, slug in params.theme)
                       for slug, name, name_zh, n in rows]  # fmt: skip

    # A record counts once under every region that contains a place it names (or the region itself).
    link = filters.link_id(kind.regions)
    named, node = aliased(Region), aliased(Region)
    rows = db.session.execute(
        select(node.code, node.name, node.name_zh, node.level, func.count(link.distinct()))
        .select_from(kind.regions)
        .join(named, named.id == kind.regions.c.region_id)
        .join(node, named.path.startswith(node.path))
        .where(node.level.in_(REGION_LEVELS), link.in_(filters.ids("region")))
        .group_by(node.code, node.name, node.name_zh, node.level, node.path)
        .order_by(node.path)
    ).all()
    facets["region"] = [FacetValue(code, (zh and name_zh) or name, n, code in params.region)
                        for code, name, name_zh, _level, n in rows]  # fmt: skip
    depth = {code: REGION_LEVELS.index(level) for code, _n, _z, level, _c in rows}

    rows = db.session.execute(
        select(named.code, named.name, named.name_zh, func.count(link.distinct()))
        .select_from(kind.regions)
        .join(named, named.id == kind.regions.c.region_id)
        .where(named.level == "country", link.in_(filters.ids("country")))
        .group_by(named.code, named.name, named.name_zh)
        .order_by(func.count(link.distinct()).desc(), named.name)
    ).all()
    facets["country"] = [FacetValue(code, (zh and name_zh) or name, n, code in params.country)
                         for code, name, name_zh, n in rows]  # fmt: skip
    return facets, {"region": depth}


def _order(filters: _Filters, params: RecordSearchParams) -> tuple:
    model = filters.kind.model
    if params.sort == "title":
        return (model.title, model.id)
    if params.sort == "updated":
        return (model.updated_at.desc(), model.id.desc())
    if filters.names_match is not None:  # relevance: matches in the title first
        return (case((filters.names_match, 0), else_=1), *filters.kind.natural_order)
    return filters.kind.natural_order


def _relax(filters: _Filters, params: RecordSearchParams) -> list[tuple[str, int, dict]]:
    """For an empty result: what dropping each filter (or the words) would give."""
    out = []
    for name in filters.conditions:
        n = filters.count(without=name)
        if n:
            cleared = "" if name in ("q", "organization") else []
            out.append((str(FACET_TITLES[name]), n, params.args(**{name: cleared, "page": 1})))
    return out


def _search(kind: _Kind, params: RecordSearchParams) -> RecordSearchResult:
    notices = list(params.notices)
    filters = _Filters(kind, params, notices)
    total = filters.count()
    pages = max(1, -(-total // params.per_page))
    page = min(params.page, pages)
    items = list(db.session.scalars(
        select(kind.model).where(*filters.where()).options(*kind.options)
        .order_by(*_order(filters, params)).limit(params.per_page).offset((page - 1) * params.per_page)
    ))  # fmt: skip
    facets, facet_depth = _facets(filters, params)
    result = RecordSearchResult(params=params, items=items, total=total, page=page, per_page=params.per_page,
                                facets=facets, facet_depth=facet_depth, notices=notices)  # fmt: skip
    if filters.pattern is not None:
        for item in items:
            result.highlights[item.id] = {
                "title": highlight(item.title, filters.pattern),
                "snippet": highlight(getattr(item, kind.summary), filters.pattern, limit=240),
            }
    if not total:
        result.relax = _relax(filters, params)
    return result


def search_projects(actor, params: RecordSearchParams) -> RecordSearchResult:
    permissions.require(actor, "project.view")
    return _search(PROJECTS, params)


def search_initiatives(actor, params: RecordSearchParams) -> RecordSearchResult:
    permissions.require(actor, "initiative.view")
    return _search(INITIATIVES, params)
