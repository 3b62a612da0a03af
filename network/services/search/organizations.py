"""Searching the directory of organisations: full text from the database's index, filters, facet
counts, order and pages from the in-memory facet index, then one page of plain rows."""

import bisect
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from rapidfuzz import fuzz, process
from sqlalchemy import bindparam, select, text

from network import labels, permissions
from network.extensions import db
from network.kept import Kept
from network.models import Organization
from network.models.organization import MEMBERSHIP_STATUSES, ORGANIZATION_KINDS
from network.services.reference import Place
from network.services.search.facets import FacetIndex, Node, code_mask, current_index, in_order, pack
from network.services.search.index import backend_for, read_documents_generation
from network.services.search.params import Paged, SearchParams
from network.services.search.text import highlight, highlight_pattern, is_cjk, query_tokens
from network.services.search.vocabulary import Interpretation, Reading, Term, interpret, match_terms

FACETS = ("region", "country", "theme", "kind", "network", "status", "founded", "tag")
FUZZY_LIMIT = 50
_kept_facets = Kept(256)


class FacetValue(NamedTuple):
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResult(Paged):
    params: SearchParams
    items: list["ResultRow"]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    # Indentation of tree facets (region, network): value -> depth.
    facet_depth: dict[str, dict[str, int]] = field(default_factory=dict)
    # organisation id -> {"name": Markup, "snippet": Markup}
    highlights: dict[int, dict[str, Markup]] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)  # corrected queries ("did you mean")
    # (what to drop, how many results there would be, query-string args without it)
    relax: list[tuple[str, int, dict]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    similar_names: bool = False  # no word matched; these are names that look like the query
    interpreted: list[Term] = field(default_factory=list)  # words read as a country, region or theme
    # organisation id -> its tags (facet index nodes: .code is the id, .name the tag's name), for
    # readers who may see tags; read from the facet index, so no statement per page
    tags: dict[int, list[Node]] = field(default_factory=dict)
    generation: int = 0  # of the facet index the counts were read from (network/fragments.py keys on it)


@dataclass
class _Matched:
    """The outcome of the filters on the facet index."""

    index: FacetIndex
    masks: dict[str, np.ndarray]
    mask: np.ndarray
    score: np.ndarray | None
    tokens: list[str]
    similar: bool
    notices: list[str]
    interpreted: list[Term] = field(default_factory=list)
    _packed: dict = field(default_factory=dict)

    def packed_without(self, facet: str) -> np.ndarray:
        """without(facet), packed for Bitsets.count; facets with no filter share the total mask."""
        key = facet if facet in self.masks else None
        if key not in self._packed:
            self._packed[key] = pack(self.without(facet))
        return self._packed[key]

    def without(self, facet: str) -> np.ndarray:
        if facet not in self.masks:
            return self.mask
        mask = self.index.live.copy()
        for name, m in self.masks.items():
            if name != facet:
                mask &= m
        return mask

    def ordered_positions(self, sort: str, limit: int | None = None) -> np.ndarray:
        positions = np.flatnonzero(self.mask)
        index = self.index
        if sort == "updated":
            key = index.updated_rank[positions].astype(np.int64)
        elif sort == "relevance" and self.score is not None:
            key = (3 - self.score[positions]).astype(np.int64) * max(index.size, 1) + index.name_rank[positions]
        else:
            key = index.name_rank[positions].astype(np.int64)
        return in_order(positions, key, limit)


def _locale() -> str:
    return str(get_locale()) if has_request_context() else "en"


def _node_label(node: Node, zh: bool) -> str:
    return (node.name_zh or node.name) if zh else node.name


def _codes(index: FacetIndex, facet: str, values: list[str], notices: list[str], level=None) -> list[int]:
    known = index.by_code[facet]
    ids = []
    for value in values:
        node_id = known.get(value)
        node = index.regions.get(node_id) if facet == "region" and node_id else None
        if node_id is None or (level and node and not level(node.level)):
            notices.append(_("Unknown value %(value)s was ignored.", value=value))
        else:
            ids.append(node_id)
    return ids


# What words match is kept per documents' generation (replaced by every document written), so
# paging, sorting and each facet click of one search read the database's text index once. Answers
# up to 1 MB (262,144 ids, or 131,072 pairs of id and "in names"), the last 32 searches: at most 32 MB
# a worker.
_kept_matches = Kept(32)
KEEP_MATCHES_BYTES = 1 << 20


def _ids(conn, sql: str, bind: dict, columns: int = 1) -> np.ndarray:
    """The ids a full-text query (`SELECT id[, in_names] …`) matches, as rows of `columns` ids;
    read-only, as they may be kept."""
    key = (
        conn.engine.url.render_as_string(hide_password=True),
        read_documents_generation(conn),
        sql,
        tuple(sorted(bind.items())),
        columns,
    )
    return _kept_matches.get(
        key, lambda: _fetch_ids(conn, sql, bind, columns), keep=lambda ids: ids.nbytes <= KEEP_MATCHES_BYTES
    )


def _fetch_ids(conn, sql: str, bind: dict, columns: int) -> np.ndarray:
    """Each column as one comma-separated string, parsed by numpy: a row per match made 72,000
    matches cost 27 ms in the driver, against 9 ms (SQLite, 200,000 organisations)."""
    backend = backend_for(conn)
    aggregates = ", ".join(backend.joined(name) for name in ("id", "in_names")[:columns])
    statement = text(f"SELECT {aggregates} FROM ({sql}) AS matched").bindparams(**bind).compile(conn)  # noqa: S608
    cursor = conn.connection.driver_connection.cursor()  # the driver's own: no SQLAlchemy result for one row
    try:
        if conn.dialect.name == "sqlite":
            cursor.execute(str(statement), [statement.params[k] for k in statement.positiontup])
        else:
            cursor.execute(str(statement), statement.params)
        values = cursor.fetchone()
    finally:
        cursor.close()
    # int32: the ids' column type; half the memory of what is kept
    parsed = [np.fromstring(v, dtype=np.int32, sep=",") if v else np.zeros(0, dtype=np.int32) for v in values]
    ids = parsed[0] if columns == 1 else np.column_stack(parsed)
    ids.flags.writeable = False
    return ids


def _text_match(conn, index: FacetIndex, tokens: list[str], q: str, rank: bool) -> tuple[np.ndarray, np.ndarray, bool]:
    """(mask of documents matching every token, relevance score, matched by similar name only)."""
    backend = backend_for(conn)
    in_names = None
    if rank and hasattr(backend, "match_ranked_sql"):
        rows = _ids(conn, *backend.match_ranked_sql("organization", tokens), columns=2)
        mask, in_names = index.mask_of(rows[:, 0]), index.mask_of(rows[rows[:, 1] == 1, 0])
    else:
        mask = index.mask_of(_ids(conn, *backend.match_sql("organization", tokens)))
    score = mask.astype(np.int8)
    similar = False
    if not mask.any() and not all(is_cjk(t) for t in tokens):
        similar_ids = similar_name_ids(conn, index, q)
        if similar_ids.size:
            mask = index.mask_of(similar_ids)
            score = mask.astype(np.int8)
            similar = True
    elif mask.any() and rank:
        if in_names is None:
            in_names = index.mask_of(_ids(conn, *backend.match_sql("organization", tokens, names_only=True)))
        score += (in_names & mask).astype(np.int8)
        exact = index.exact.get(" ".join(tokens))
        if exact:
            score[np.array(exact)] += mask[np.array(exact)].astype(np.int8)
    return mask, score, similar


def similar_name_ids(conn, index: FacetIndex, q: str) -> np.ndarray:
    """Organisations whose name looks like the (misspelt) query: pg_trgm on PostgreSQL; on SQLite,
    each word corrected to the closest word of any name (rapidfuzz), then names matched with those."""
    folded = " ".join(t for t in query_tokens(q) if not is_cjk(t))
    if len(folded) < 3:
        return np.zeros(0, dtype=np.int64)
    backend = backend_for(conn)
    ids = backend.similar_names(conn, folded, FUZZY_LIMIT)
    if ids is not None:
        return np.array(ids, dtype=np.int64)
    corrected = suggest(index, query_tokens(folded))
    if not corrected:
        return np.zeros(0, dtype=np.int64)
    return _ids(conn, *backend.match_sql("organization", query_tokens(corrected), names_only=True))[:FUZZY_LIMIT]


def suggest(index: FacetIndex, tokens: list[str]) -> str | None:
    """The query with each word no name starts with replaced by the closest word of a name."""
    vocabulary = index.vocabulary
    changed, words = False, []
    for token in tokens:
        i = bisect.bisect_left(vocabulary, token)
        if is_cjk(token) or len(token) < 3 or (i < len(vocabulary) and vocabulary[i].startswith(token)):
            words.append(token)
            continue
        best = process.extractOne(token, vocabulary, scorer=fuzz.ratio, score_cutoff=70)
        if best:
            words.append(best[0])
            changed = True
        else:
            words.append(token)
    return " ".join(words) if changed else None


def _vocabulary_match(conn, index: FacetIndex, reading: Interpretation, params: SearchParams):
    """(mask, score) of words read as places and themes: each term matches by text or by facet."""
    backend, rank = backend_for(conn), params.sort == "relevance"

    def text_match(tokens: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        if rank and hasattr(backend, "match_ranked_sql"):
            rows = _ids(conn, *backend.match_ranked_sql("organization", tokens), columns=2)
            return index.mask_of(rows[:, 0]), index.mask_of(rows[rows[:, 1] == 1, 0])
        mask = index.mask_of(_ids(conn, *backend.match_sql("organization", tokens)))
        if not rank or not mask.any():
            return mask, (mask if rank else None)
        return mask, index.mask_of(_ids(conn, *backend.match_sql("organization", tokens, names_only=True)))

    def facet_mask(value: Reading) -> np.ndarray | None:
        node_id = index.by_code["theme" if value.facet == "theme" else "region"].get(value.code)
        if node_id is None:
            return None
        if value.facet == "theme":
            return index.theme_sets.mask_for([node_id])
        return (index.country_sets if value.facet == "country" else index.region_sets)[params.match].mask_for([node_id])

    mask, score = match_terms(reading, text_match, facet_mask, index.size)
    exact = index.exact.get(" ".join(query_tokens(params.q)))
    if exact and rank:
        score[np.array(exact)] += mask[np.array(exact)].astype(np.int8)
    return mask, score


def _match(params: SearchParams, index: FacetIndex, conn) -> _Matched:
    notices: list[str] = []
    masks: dict[str, np.ndarray] = {}
    tokens = query_tokens(params.q)
    score, similar = None, False
    themes = [(n.code, n.name, n.name_zh) for n in index.theme_order]
    reading = interpret(params.q, themes, _locale() == "zh") if tokens and not params.text_only else None
    if reading:
        masks["q"], score = _vocabulary_match(conn, index, reading, params)
        if masks["q"].any():
            tokens = reading.highlight
        else:  # nothing by text or facet: the plain search, with its similar names
            reading = None
    if tokens and not reading:
        masks["q"], score, similar = _text_match(conn, index, tokens, params.q, rank=params.sort == "relevance")
    # Unknown codes are dropped (with a notice); a facet with no known value does not filter.
    for facet, values, facet_pairs, level in (
        ("region", params.region, index.region_sets[params.match], lambda level: level != "country"),
        ("country", params.country, index.country_sets[params.match], lambda level: level == "country"),
        ("theme", params.theme, index.theme_sets, None),
        ("network", params.network, index.network_sets, None),
        ("tag", params.tag, index.tag_sets, None),
    ):
        ids = _codes(index, facet if facet in ("theme", "network", "tag") else "region",
                     values, notices, level=level) if values else []  # fmt: skip
        if ids:
            masks[facet] = facet_pairs.mask_for(ids)
    # Regions and countries are one "where" facet: any place picked matches (South Asia or Kenya).
    places = [masks.pop(facet) for facet in ("region", "country") if facet in masks]
    if places:
        masks["where"] = np.logical_or.reduce(places)
    if params.kind:
        masks["kind"] = code_mask(
            index.kind, [ORGANIZATION_KINDS.index(k) for k in params.kind], len(ORGANIZATION_KINDS)
        )
    if params.status:
        masks["status"] = index.status_sets.mask_for([MEMBERSHIP_STATUSES.index(s) for s in params.status])
    if params.founded_from is not None or params.founded_to is not None:
        low, high = params.founded_from or 1000, params.founded_to or 2100
        masks["founded"] = (index.founded >= low) & (index.founded <= high)
    mask = index.live.copy()  # dead slots (archived, merged) are in no result, count or facet
    for m in masks.values():
        mask &= m
    return _Matched(index, masks, mask, score, tokens, similar, notices, reading.terms if reading else [])


def _facets(params: SearchParams, m: _Matched) -> tuple[dict[str, list[FacetValue]], dict[str, dict[str, int]]]:
    index = m.index
    zh = _locale() == "zh"
    facets: dict[str, list[FacetValue]] = {}
    region_counts = index.region_sets[params.match].count(m.packed_without("where"), index.region_width)
    facets["region"] = [
        FacetValue(n.code, _node_label(n, zh), int(region_counts[n.id]), n.code in params.region)
        for n in index.region_tree
        if region_counts[n.id] or n.code in params.region
    ]

    country_counts = index.country_sets[params.match].count(m.packed_without("where"), index.region_width)
    facets["country"] = sorted(
        (
            FacetValue(n.code, _node_label(n, zh), int(country_counts[n.id]), n.code in params.country)
            for n in index.countries
            if country_counts[n.id] or n.code in params.country
        ),
        key=lambda v: (-v.count, v.label),
    )

    theme_counts = index.theme_sets.count(m.packed_without("theme"), index.theme_width)
    facets["theme"] = [
        FacetValue(n.code, _node_label(n, zh), int(theme_counts[n.id]), n.code in params.theme)
        for n in index.theme_order
        if theme_counts[n.id] or n.code in params.theme
    ]

    kind_counts = np.bincount(index.kind[m.without("kind")], minlength=len(ORGANIZATION_KINDS))
    facets["kind"] = sorted(
        (
            FacetValue(k, labels.label(labels.ORGANIZATION_KIND_LABELS, k), int(kind_counts[i]), k in params.kind)
            for i, k in enumerate(ORGANIZATION_KINDS)
            if kind_counts[i] or k in params.kind
        ),
        key=lambda v: -v.count,
    )

    network_counts = index.network_sets.count(m.packed_without("network"), index.network_width)
    facets["network"] = [
        FacetValue(n.code, n.name, int(network_counts[n.id]), n.code in params.network)
        for n in index.network_tree
        if network_counts[n.id] or n.code in params.network
    ]

    status_counts = index.status_sets.count(m.packed_without("status"), len(MEMBERSHIP_STATUSES))
    facets["status"] = [
        FacetValue(s, labels.label(labels.MEMBERSHIP_STATUS_LABELS, s), int(status_counts[i]), s in params.status)
        for i, s in enumerate(MEMBERSHIP_STATUSES)
        if status_counts[i] or s in params.status
    ]

    if params.show_tags:
        tag_counts = index.tag_sets.count(m.packed_without("tag"), index.tag_width)
        facets["tag"] = sorted(
            (
                FacetValue(n.code, _tag_label(n), int(tag_counts[n.id]), n.code in params.tag)
                for n in index.tags.values()
                if tag_counts[n.id] or n.code in params.tag
            ),
            key=lambda v: (-v.count, v.label.lower()),
        )

    founded = index.founded[m.without("founded")]
    decades = np.bincount(founded[founded > 0] // 10, minlength=211)
    facets["founded"] = [
        FacetValue(
            str(d * 10),
            labels.decade_label(d * 10),
            int(decades[d]),
            params.founded_from == d * 10 and params.founded_to == d * 10 + 9,
        )
        for d in np.flatnonzero(decades).tolist()  # plain ints: a numpy bool does not serialise to JSON
    ]
    return facets, index.facet_depth


FILTER_LABELS = {
    "q": "search words",
    "where": "place",  # the region and country filters together
    "theme": "theme",
    "kind": "kind",
    "network": "network node",
    "status": "membership status",
    "founded": "founding year",
    "tag": "tag",
}


def _tag_label(node: Node) -> str:
    """A tag's name, with its node's when it belongs to one (two nodes may both have "Press")."""
    return f"{node.name} · {node.level}" if node.level else node.name


def tags_of(index: FacetIndex, org_ids: list[int]) -> dict[int, list[Node]]:
    """Each organisation's tags, read from the tag bit sets (a few tags × one page of slots)."""
    found = _members(index, index.tag_sets, index.tags, org_ids)
    return {org_id: sorted(nodes, key=lambda n: n.name.lower()) for org_id, nodes in found.items()}


def _members(index: FacetIndex, sets, nodes: dict[int, Node], org_ids: list[int]) -> dict[int, list[Node]]:
    """{organisation id: the nodes (tags, themes) whose bit set holds it}, in the sets' value order."""
    if sets is None or not sets.values.size or not org_ids:
        return {}
    ids = np.array(org_ids, dtype=np.int64)
    hit, slots = index.found(ids)
    words = sets.bits[:, slots >> 6]  # (values, page)
    present = (words >> (slots & 63).astype(np.uint64)) & np.uint64(1)
    found: dict[int, list[Node]] = {}
    for row, column in zip(*np.nonzero(present), strict=True):
        node = nodes.get(int(sets.values[row]))
        if node is not None:
            found.setdefault(int(ids[hit][column]), []).append(node)
    return found


def _relax(params: SearchParams, m: _Matched) -> list[tuple[str, int, dict]]:
    """For an empty result: how many there would be without each filter."""
    hints = []
    for name in m.masks:
        count = int(m.without(name).sum())
        if count:
            if name == "founded":
                args = params.args(founded_from=None, founded_to=None, page=1)
            elif name == "where":
                args = params.args(region=[], country=[], page=1)
            else:
                args = params.args(**{name: "" if name == "q" else [], "page": 1})
            hints.append((_(FILTER_LABELS[name]), count, args))
    return sorted(hints, key=lambda h: -h[1])


@dataclass(slots=True)
class ResultRow:
    """One result as a result row, the API's summary and the picker show it: plain values from one
    statement and the facet index (ORM objects with their theme collections cost more than the search)."""

    id: int
    slug: str
    name: str
    name_local: str | None
    acronym: str | None
    kind: str
    description: str | None
    website: str | None
    version: int
    archived_at: object
    hq_country: Place | None = None
    themes: list[Place] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


_ROW_COLUMNS = [
    Organization.__table__.c[name] for name in ResultRow.__dataclass_fields__ if name not in ("hq_country", "themes")
]
_ROWS = select(*_ROW_COLUMNS, Organization.__table__.c.hq_country_id).where(
    Organization.__table__.c.id.in_(bindparam("ids", expanding=True))
)


def _place(node: Node | None) -> Place | None:
    return Place(node.code, node.name, node.name_zh) if node else None


def _load(index: FacetIndex, ids: list[int]) -> list[ResultRow]:
    """One page of results in one statement, in the order of `ids`; countries and themes from the index."""
    if not ids:
        return []
    by_id = {}
    for *values, hq_country_id in db.session.execute(_ROWS, {"ids": ids}):
        by_id[values[0]] = ResultRow(*values, hq_country=_place(index.regions.get(hq_country_id)))
    themes = _members(index, index.theme_sets, index.themes, ids)
    for org_id, nodes in themes.items():
        if org_id in by_id:
            by_id[org_id].themes = [_place(n) for n in sorted(nodes, key=lambda n: n.depth)]  # depth: position
    return [by_id[i] for i in ids if i in by_id]


def search_organizations(actor, params: SearchParams, *, highlights: bool = True) -> SearchResult:
    """One page of the directory with total, facet counts (drill-down), highlights and hints.
    highlights=False: none marked (the API, which returns no highlights: ~0.4 ms a page of 25)."""
    permissions.require(actor, "directory.view")
    params = _tags_for(actor, params)
    conn = db.session.connection()
    index = current_index(conn)
    m = _match(params, index, conn)
    total = int(m.mask.sum())
    pages = max(1, -(-total // params.per_page))
    page = min(params.page, pages)
    sort = params.sort if (params.sort != "relevance" or m.tokens) else "name"
    positions = m.ordered_positions(sort, limit=page * params.per_page)[(page - 1) * params.per_page :]
    items = _load(index, [int(i) for i in index.ids[positions]])
    # Counts depend on the filters and words, not on the page or order: kept per index state and language.
    facets, depth = _kept_facets.get(
        (
            id(index),
            index.generation,
            _locale(),
            params.query_string(page=1, sort=None, per_page=None),
            params.show_tags,
        ),
        lambda: _facets(params, m),
    )
    result = SearchResult(
        params=params,
        items=items,
        total=total,
        page=page,
        per_page=params.per_page,
        facets=facets,
        facet_depth=depth,
        notices=params.notices + m.notices,
        similar_names=m.similar,
        interpreted=m.interpreted,
        generation=index.generation,
    )
    if params.show_tags:
        result.tags = tags_of(index, [o.id for o in items])
    if m.tokens and highlights:
        marks = highlight_pattern(m.tokens)
        for org in items:
            result.highlights[org.id] = {
                "name": highlight(org.name, marks),
                "name_local": highlight(org.name_local, marks),
                "acronym": highlight(org.acronym, marks),
                "snippet": highlight(org.description, marks, limit=220),
            }
    if m.tokens and (total == 0 or m.similar) and not m.interpreted:  # not "did you mean" a translation
        suggestion = suggest(index, m.tokens)
        if suggestion:
            result.suggestions.append(suggestion)
    if total == 0:
        result.relax = _relax(params, m)
    return result


def organization_id_set(actor, params: SearchParams) -> set[int]:
    """The ids a search matches (for tests and for callers that only need membership)."""
    permissions.require(actor, "directory.view")
    params = _tags_for(actor, params)
    conn = db.session.connection()
    index = current_index(conn)
    return {int(i) for i in index.ids[_match(params, index, conn).mask]}


def _tags_for(actor, params: SearchParams) -> SearchParams:
    """Tags are for signed-in readers: for others a tag filter is dropped, and no tag is shown."""
    if permissions.can(actor, "tag.view"):
        params.show_tags = True
    elif params.tag:
        params.notices.append(_("Sign in to filter by tag."))
        params.tag = []
    return params
