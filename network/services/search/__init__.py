"""Directory search (first cut: country and kind filters with pagination; full text follows)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from network import permissions
from network.extensions import db
from network.models import Organization, Region
from network.models.organization import ORGANIZATION_KINDS


@dataclass
class SearchParams:
    q: str = ""
    country: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    page: int = 1
    per_page: int = 25


@dataclass
class SearchResult:
    params: SearchParams
    items: list
    total: int
    page: int
    per_page: int
    facets: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _list(args: Mapping, name: str) -> list[str]:
    values = args.getlist(name) if hasattr(args, "getlist") else args.get(name) or []
    if isinstance(values, str):
        values = [values]
    return [v.strip() for v in values if v and v.strip()]


def parse_search_params(args: Mapping) -> SearchParams:
    return SearchParams(
        q=(args.get("q") or "")[:10000],
        country=[c.upper() for c in _list(args, "country")],
        kind=[k for k in _list(args, "kind") if k in ORGANIZATION_KINDS],
        page=max(1, _int(args.get("page"), 1)),
        per_page=min(100, max(1, _int(args.get("per_page"), 25))),
    )


def search_organizations(actor, params: SearchParams) -> SearchResult:
    permissions.require(actor, "directory.view")
    query = select(Organization).where(Organization.archived_at.is_(None), Organization.merged_into_id.is_(None))
    if params.country:
        query = query.join(Region, Region.id == Organization.hq_country_id).where(Region.code.in_(params.country))
    if params.kind:
        query = query.where(Organization.kind.in_(params.kind))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(
        query.options(selectinload(Organization.hq_country), selectinload(Organization.themes))
        .order_by(Organization.name)
        .limit(params.per_page)
        .offset((params.page - 1) * params.per_page)
    ).all()
    return SearchResult(params=params, items=list(items), total=total, page=params.page, per_page=params.per_page)
