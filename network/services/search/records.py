"""Searching projects and initiatives: text, status, theme, region and country, with facet counts.

Words come from the same full-text index as the directory; filters, drill-down counts and order
from the in-memory index of record_index.py; then one page of ORM objects. Each facet counts with
every other filter applied; values within one facet are alternatives, facets combine with AND.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from urllib.parse import urlencode

import numpy as np
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from network import labels, permissions
from network.extensions import db
from network.kept import Kept
from network.models import Initiative, Organization, Project, ProjectParticipant
from network.services.profiles import project_places
from network.services.search.facets import code_mask, in_order
from network.services.search.index import backend_for
from network.services.search.organizations import FacetValue, _ids
from network.services.search.params import MAX_PER_PAGE, MAX_QUERY_LENGTH, Paged, _choices, _int, _values, text_only
from network.services.search.record_index import STATUSES, RecordIndex, current_index
from network.services.search.text import highlight, highlight_pattern, query_tokens
from network.services.search.vocabulary import Reading, Term, interpret, match_terms

FACETS = ("status", "theme", "region", "country")
SORTS = ("relevance", "title", "updated")
REGION_LEVELS = ("region", "subregion", "intermediate")  # the region facet's tree (countries have their own)


@dataclass
class RecordSearchParams:
    q: str = ""
    text_only: bool = False  # words only: place and theme names are not read as facets (vocabulary.py)
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
            f.name: 1 if getattr(params, f.name) is True else getattr(params, f.name)
            for f in fields(self)
            if f.name != "notices" and getattr(params, f.name) not in ("", [], f.default)
        }

    def query_string(self, **changes) -> str:
        return urlencode(self.args(**changes), doseq=True)

    def facet_query(self, name: str, value: str) -> str:
        """Query string with one facet value switched on or off, back on page 1."""
        values = getattr(self, name)
        values = [v for v in values if v != value] if value in values else [*values, value]
        return urlencode(self.args(**{name: values, "page": 1}), doseq=True)

    @property
    def filters_active(self) -> bool:
        return any(getattr(self, name) for name in FACETS) or bool(self.organization)


@dataclass
class RecordSearchResult(Paged):
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
    interpreted: list[Term] = field(default_factory=list)  # words read as a country, region or theme
    generation: int = 0  # of the record index the counts were read from (network/fragments.py keys on it)
    # project id -> (countries, themes), for the project search page's rows (search_projects)
    places: dict[int, tuple[list, list]] = field(default_factory=dict)


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
        text_only=text_only(args),
        status=[
            labels.parse_choice("project_status", v) or labels.parse_choice("initiative_status", v) or v
            for v in _values(args, "status")
        ],
        theme=_choices(args, "theme", "theme"),
        region=_values(args, "region"),
        country=[c.upper() for c in _choices(args, "country", "country")],
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
    entity: str  # the full-text and facet indexes' name for it
    status_labels: dict
    load: Select  # a page of results with what a result row shows (and the API serialises), by "ids"
    summary: str  # the text a snippet is cut from


def _by_ids(model, *options) -> Select:
    """A page of records by their ids, built once (building it for each request cost more than running it)."""
    return select(model).where(model.id.in_(bindparam("ids", expanding=True))).options(*options)


# The project search page's rows: the lead joined in; countries and themes read with
# profiles.project_places (one statement, names kept per process), not the partners.
PROJECT_ROWS = _by_ids(Project, joinedload(Project.lead_organization))
PROJECTS = _Kind(
    Project, "project", labels.PROJECT_STATUS_LABELS,
    # Many-to-one organisations joined into their rows (a LEFT JOIN on a primary key), not read by
    # two more SELECT … IN statements.
    load=_by_ids(Project, joinedload(Project.lead_organization), selectinload(Project.themes),
                 selectinload(Project.countries),
                 selectinload(Project.participants).joinedload(ProjectParticipant.organization)),
    summary="summary",
)  # fmt: skip
INITIATIVES = _Kind(
    Initiative, "initiative", labels.INITIATIVE_STATUS_LABELS,
    load=_by_ids(Initiative, selectinload(Initiative.themes), selectinload(Initiative.regions),
                 selectinload(Initiative.network), selectinload(Initiative.targets)),
    summary="goal",
)  # fmt: skip


FACET_TITLES = {"status": _l("status"), "theme": _l("theme"), "where": _l("place"),
                "organization": _l("organisation"), "q": _l("search words")}  # fmt: skip


_kept_facets = Kept(256)


def _zh() -> bool:
    return has_request_context() and str(get_locale()) == "zh"


def _unknown(notices: list[str], values) -> None:
    notices.extend(_("Unknown value %(value)s was ignored.", value=v) for v in values)


def _lead_id(ref: str) -> int | None:
    by_id = Organization.id == int(ref) if ref.isdigit() and int(ref) < 2**31 else None
    return db.session.scalar(select(Organization.id).where(db.or_(Organization.slug == ref, by_id)))


class _Matched:
    """One search over the facet index: a mask per filter ("q", "organization" or a facet)."""

    def __init__(self, kind: _Kind, index: RecordIndex, params: RecordSearchParams, notices: list[str]):
        self.index = index
        self.masks: dict[str, np.ndarray] = {}
        self.title_match: np.ndarray | None = None
        self.score: np.ndarray | None = None
        tokens = query_tokens(params.q)
        themes = [(slug, name, name_zh) for _id, slug, name, name_zh in index.theme_rows]
        self.reading = interpret(params.q, themes, _zh()) if tokens and not params.text_only else None
        if self.reading:
            self.masks["q"], self.score = match_terms(self.reading, self._text_match(kind, params),
                                                      self._facet_mask, index.size)  # fmt: skip
            tokens = self.reading.highlight
        elif tokens:
            self.masks["q"], self.title_match = self._text_match(kind, params)(tokens)
        self.pattern = highlight_pattern(tokens)
        if params.organization and kind.entity == "project":
            lead = _lead_id(params.organization)
            _unknown(notices, [] if lead else [params.organization])
            if lead:
                self.masks["organization"] = index.lead == lead
        statuses = list(STATUSES[kind.entity])
        _unknown(notices, [s for s in params.status if s not in statuses])
        if chosen := [statuses.index(s) for s in params.status if s in statuses]:
            self.masks["status"] = code_mask(index.status, chosen, len(statuses))
        if params.theme:
            slugs = {slug: theme_id for theme_id, slug, _n, _z in index.theme_rows}
            _unknown(notices, [t for t in params.theme if t not in slugs])
            if chosen := [slugs[t] for t in params.theme if t in slugs]:
                self.masks["theme"] = index.themes.mask_for(index.size, chosen)
        tree = index.tree
        for name, pairs, levels in (("region", index.regions, ("world", *REGION_LEVELS)),
                                    ("country", index.countries, ("country",))):  # fmt: skip
            codes = {code: tree.by_code.get(code) for code in getattr(params, name)}
            known = [i for i in codes.values() if i is not None and tree.level[i] in levels]
            _unknown(notices, [c for c, i in codes.items() if i is None or tree.level[i] not in levels])
            if known:
                self.masks[name] = pairs.mask_for(index.size, known)
        # Regions and countries are one "where" facet: any place picked matches.
        places = [self.masks.pop(name) for name in ("region", "country") if name in self.masks]
        if places:
            self.masks["where"] = np.logical_or.reduce(places)
        self.mask = self.without(None)

    def _text_match(self, kind: _Kind, params: RecordSearchParams):
        """tokens -> (records matching them, those matching in the title; None when not ranked)."""
        conn = db.session.connection()
        backend, index = backend_for(conn), self.index

        def text_match(tokens: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
            if hasattr(backend, "match_ranked_sql"):  # PostgreSQL: whether the title matched, in one pass
                rows = _ids(conn, *backend.match_ranked_sql(kind.entity, tokens), columns=2)
                return index.mask_of(rows[:, 0]), index.mask_of(rows[rows[:, 1] == 1, 0])
            mask = index.mask_of(_ids(conn, *backend.match_sql(kind.entity, tokens)))
            if params.sort != "relevance" or not mask.any():
                return mask, (mask if params.sort == "relevance" else None)
            return mask, index.mask_of(_ids(conn, *backend.match_sql(kind.entity, tokens, True)))

        return text_match

    def _facet_mask(self, value: Reading) -> np.ndarray | None:
        index = self.index
        if value.facet == "theme":
            theme_id = next((i for i, slug, _n, _z in index.theme_rows if slug == value.code), None)
            return None if theme_id is None else index.themes.mask_for(index.size, [theme_id])
        region_id = index.tree.by_code.get(value.code)
        if region_id is None:
            return None
        return (index.countries if value.facet == "country" else index.regions).mask_for(index.size, [region_id])

    def without(self, name: str | None) -> np.ndarray:
        mask = np.ones(self.index.size, dtype=bool)
        for key, m in self.masks.items():
            if key != name:
                mask &= m
        return mask

    def ordered_positions(self, sort: str, limit: int | None = None) -> np.ndarray:
        """Matching positions in the order asked for (ranks are unique); with `limit`, the first `limit`."""
        positions = np.flatnonzero(self.mask)
        index = self.index
        if sort == "title":
            key = index.title_rank[positions]
        elif sort == "updated":
            key = index.updated_rank[positions]
        elif self.score is not None:  # words read as places or themes: text and facet together first
            key = (16 - self.score[positions]).astype(np.int64) * max(index.size, 1) + index.natural_rank[positions]
        elif self.title_match is not None:  # relevance: matches in the title first
            key = (~self.title_match[positions]).astype(np.int64) * max(index.size, 1) + index.natural_rank[positions]
        else:
            key = index.natural_rank[positions]
        return in_order(positions, key, limit)


def _facets(m: _Matched, params: RecordSearchParams, kind: _Kind):
    index, tree, zh = m.index, m.index.tree, _zh()
    statuses = np.bincount(index.status[m.without("status")], minlength=len(STATUSES[kind.entity]))
    facets = {"status": [FacetValue(value, labels.label(kind.status_labels, value), int(statuses[i]), value in params.status)
                         for i, value in enumerate(STATUSES[kind.entity]) if statuses[i]]}  # fmt: skip
    themes = index.themes.count(m.without("theme"), max((t[0] for t in index.theme_rows), default=0) + 1)
    facets["theme"] = [
        FacetValue(slug, (zh and name_zh) or name, int(themes[theme_id]), slug in params.theme)
        for theme_id, slug, name, name_zh in index.theme_rows if themes[theme_id]
    ]  # fmt: skip

    def places(name: str, pairs, levels) -> tuple[list[int], np.ndarray]:
        counts = pairs.count(m.without("where"), max(tree.level) + 1)
        found = [int(i) for i in np.flatnonzero(counts) if tree.level.get(int(i)) in levels]
        return found, counts

    def value(region_id: int, n: int, chosen: list[str]) -> FacetValue:
        code, name, name_zh = tree.names[region_id]
        return FacetValue(code, (zh and name_zh) or name, n, code in chosen)

    found, counts = places("region", index.regions, REGION_LEVELS)
    found.sort(key=tree.path.__getitem__)
    facets["region"] = [value(i, int(counts[i]), params.region) for i in found]
    depth = {tree.names[i][0]: REGION_LEVELS.index(tree.level[i]) for i in found}
    found, counts = places("country", index.countries, ("country",))
    found.sort(key=lambda i: (-counts[i], tree.names[i][1]))
    facets["country"] = [value(i, int(counts[i]), params.country) for i in found]
    return facets, {"region": depth}


def _relax(m: _Matched, params: RecordSearchParams) -> list[tuple[str, int, dict]]:
    """For an empty result: what dropping each filter (or the words) would give."""
    out = []
    for name in m.masks:
        n = int(m.without(name).sum())
        if n:
            cleared = "" if name in ("q", "organization") else []
            changes = {"region": [], "country": []} if name == "where" else {name: cleared}
            out.append((str(FACET_TITLES[name]), n, params.args(**changes, page=1)))
    return sorted(out, key=lambda hint: -hint[1])


def _search(kind: _Kind, params: RecordSearchParams, load: Select | None = None) -> RecordSearchResult:
    notices = list(params.notices)
    m = _Matched(kind, current_index(db.session.connection(), kind.entity), params, notices)
    total = int(m.mask.sum())
    pages = max(1, -(-total // params.per_page))
    page = min(params.page, pages)
    start = (page - 1) * params.per_page
    end = start + params.per_page
    positions = m.ordered_positions(params.sort, limit=end)[start:end]
    ids = [int(i) for i in m.index.ids[positions]]
    loaded = {item.id: item for item in db.session.scalars(load if load is not None else kind.load, {"ids": ids})}
    items = [loaded[i] for i in ids if i in loaded]
    # Counts depend on the filters and words, not on the page or order: kept per index state and language.
    facets, facet_depth = _kept_facets.get(
        (id(m.index), m.index.generation, _zh(), params.query_string(page=1, sort="relevance", per_page=25)),
        lambda: _facets(m, params, kind),
    )
    result = RecordSearchResult(params=params, items=items, total=total, page=page, per_page=params.per_page,
                                facets=facets, facet_depth=facet_depth, notices=notices,
                                interpreted=m.reading.terms if m.reading else [], generation=m.index.generation)  # fmt: skip
    if m.pattern is not None:
        for item in items:
            result.highlights[item.id] = {
                "title": highlight(item.title, m.pattern),
                "snippet": highlight(getattr(item, kind.summary), m.pattern, limit=240),
            }
    if not total:
        result.relax = _relax(m, params)
    return result


def search_projects(actor, params: RecordSearchParams, *, partners: bool = True) -> RecordSearchResult:
    """partners=False: without each project's participants (the page lists leads, the API partners
    too): a statement and about a hundred loaded objects fewer per page of 25."""
    permissions.require(actor, "project.view")
    if partners:
        return _search(PROJECTS, params)
    result = _search(PROJECTS, params, PROJECT_ROWS)
    result.places = project_places([p.id for p in result.items])
    return result


def search_initiatives(actor, params: RecordSearchParams) -> RecordSearchResult:
    permissions.require(actor, "initiative.view")
    return _search(INITIATIVES, params)
