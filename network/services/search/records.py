"""Searching projects and initiatives: text, theme, country, status (small tables: plain SQL
filters around the same full-text index)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import selectinload

from network import permissions
from network.extensions import db
from network.models import Initiative, Project, Region, Theme
from network.models.initiative import INITIATIVE_STATUSES, initiative_regions, initiative_themes
from network.models.project import PROJECT_STATUSES, project_countries, project_themes
from network.services.search.index import backend_for
from network.services.search.params import _int, _values
from network.services.search.text import query_tokens


@dataclass
class RecordSearchParams:
    q: str = ""
    theme: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    page: int = 1
    per_page: int = 25


@dataclass
class RecordSearchResult:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def parse_record_params(args: Mapping) -> RecordSearchParams:
    return RecordSearchParams(
        q=str(args.get("q") or "")[:10_000].strip(),
        theme=_values(args, "theme"),
        country=[c.upper() for c in _values(args, "country")],
        status=_values(args, "status"),
        page=min(max(1, _int(args.get("page"), 1)), 1_000_000),
        per_page=min(max(1, _int(args.get("per_page"), 25)), 100),
    )


def _search(model, entity: str, themes_table, regions_table, statuses, params, order, options):
    query = select(model).where(model.archived_at.is_(None))
    tokens = query_tokens(params.q)
    if tokens:
        sql, bind = backend_for(db.session.connection()).match_sql(entity, tokens)
        query = query.where(model.id.in_(text(sql).bindparams(**bind)))
    fk = f"{entity}_id"
    if params.theme:
        query = query.where(
            model.id.in_(
                select(themes_table.c[fk])
                .join(Theme, Theme.id == themes_table.c.theme_id)
                .where(Theme.slug.in_(params.theme))
            )
        )
    if params.country:
        # A country, or a region containing it, named on the record.
        query = query.where(
            model.id.in_(
                select(regions_table.c[fk])
                .join(Region, Region.id == regions_table.c.region_id)
                .where(or_(Region.code.in_(params.country)))
            )
        )
    status = [s for s in params.status if s in statuses]
    if status:
        query = query.where(model.status.in_(status))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-total // params.per_page))
    page = min(params.page, pages)
    items = db.session.scalars(
        query.options(*options).order_by(*order).limit(params.per_page).offset((page - 1) * params.per_page)
    ).all()
    return RecordSearchResult(items=list(items), total=total, page=page, per_page=params.per_page)


def search_projects(actor, params: RecordSearchParams) -> RecordSearchResult:
    permissions.require(actor, "project.view")
    return _search(
        Project, "project", project_themes, project_countries, PROJECT_STATUSES, params,
        order=(Project.title, Project.id),
        options=(selectinload(Project.lead_organization), selectinload(Project.themes), selectinload(Project.countries)),
    )  # fmt: skip


def search_initiatives(actor, params: RecordSearchParams) -> RecordSearchResult:
    permissions.require(actor, "initiative.view")
    return _search(
        Initiative, "initiative", initiative_themes, initiative_regions, INITIATIVE_STATUSES, params,
        order=(Initiative.title, Initiative.id),
        options=(selectinload(Initiative.themes), selectinload(Initiative.regions)),
    )  # fmt: skip
