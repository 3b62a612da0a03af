"""What a search asks for, parsed from request.args or API query parameters.

Bad values never raise: unknown words are dropped with a notice the page shows, so a shared link
with a stale code still works.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from urllib.parse import urlencode

from flask_babel import gettext as _

from network import labels
from network.models.organization import MEMBERSHIP_STATUSES, ORGANIZATION_KINDS
from network.services.search.facets import MATCH_MODES

MAX_QUERY_LENGTH = 10_000
MAX_PER_PAGE = 100
SORTS = ("relevance", "name", "updated")
LIST_FIELDS = ("region", "country", "theme", "kind", "network", "status", "tag")
FIELD_ORDER = ("q", "text_only", *LIST_FIELDS, "founded_from", "founded_to", "match", "sort", "page", "per_page")
TRUE = ("1", "true", "on", "yes")


class Paged:
    """Page arithmetic of a search result (total, page and per_page are the result's fields)."""

    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass
class SearchParams:
    q: str = ""
    text_only: bool = False  # words only: place and theme names are not read as facets (vocabulary.py)
    region: list[str] = field(default_factory=list)  # M49 codes of world regions and sub-regions
    country: list[str] = field(default_factory=list)  # ISO alpha-2
    theme: list[str] = field(default_factory=list)  # theme slugs
    kind: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)  # node slugs (each with the nodes below)
    status: list[str] = field(default_factory=list)  # membership status
    tag: list[str] = field(default_factory=list)  # tag ids (signed-in readers only)
    founded_from: int | None = None
    founded_to: int | None = None
    match: str = "any"  # places match the HQ, the countries of operation, either, or the member nodes' regions
    sort: str = "relevance"
    page: int = 1
    per_page: int = 25
    notices: list[str] = field(default_factory=list, compare=False)
    show_tags: bool = field(default=False, compare=False)  # the reader may see tags (set by the search)

    def args(self, **changes) -> dict:
        """Query-string arguments of this search (defaults left out), with changes applied."""
        params = replace(self, **changes)
        out: dict = {}
        for f in fields(self):
            value = getattr(params, f.name)
            if f.name in ("notices", "show_tags") or value in (None, "", []) or value == f.default:
                continue
            out[f.name] = 1 if value is True else value
        return out

    def toggled(self, name: str, value: str) -> dict:
        """Arguments with one facet value switched on or off (and back to page 1)."""
        values = list(getattr(self, name))
        values = [v for v in values if v != value] if value in values else [*values, value]
        return self.args(**{name: values, "page": 1})

    def facet_query(self, name: str, value: str) -> str:
        """Query string with one facet value switched on or off, page 1 (fast: the facet panel
        renders a few hundred of these per page)."""
        base = self.__dict__.get("_facet_base")
        if base is None:
            base = self.__dict__["_facet_base"] = self.args(page=1)
        args = dict(base)
        if name == "founded":
            decade = int(value)
            if self.founded_from == decade and self.founded_to == decade + 9:
                args.pop("founded_from", None)
                args.pop("founded_to", None)
            else:
                args["founded_from"], args["founded_to"] = decade, decade + 9
        else:
            values = list(args.get(name, []))
            args[name] = [v for v in values if v != value] if value in values else [*values, value]
        return urlencode([(k, args[k]) for k in FIELD_ORDER if args.get(k) not in (None, [])], doseq=True)

    def query_string(self, **changes) -> str:
        return urlencode(self.args(**changes), doseq=True)

    @property
    def filters_active(self) -> bool:
        return bool(
            any(getattr(self, name) for name in LIST_FIELDS)
            or self.founded_from is not None
            or self.founded_to is not None
        )


def _values(args: Mapping, name: str) -> list[str]:
    if hasattr(args, "getlist"):
        raw = args.getlist(name)
    else:
        raw = args.get(name) or []
        raw = [raw] if isinstance(raw, str) else list(raw)
    values: list[str] = []
    for item in raw:
        for part in str(item).replace("\x00", "").split(","):  # PostgreSQL cannot compare NUL
            part = part.strip()[:80]
            if part and part not in values:
                values.append(part)
    return values[:50]


def _year(args: Mapping, name: str, notices: list[str]) -> int | None:
    raw = (args.get(name) or "").strip() if isinstance(args.get(name), str | None) else str(args.get(name))
    if not raw:
        return None
    try:
        year = int(raw)
    except ValueError:
        notices.append(_("The year %(value)s is not a number and was ignored.", value=raw[:20]))
        return None
    if not 1000 <= year <= 2100:
        notices.append(_("The year %(value)s is out of range and was ignored.", value=year))
        return None
    return year


def _int(raw, default: int) -> int:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return default


def text_only(args: Mapping) -> bool:
    """Whether the words are to be matched as text only (text_only=1, or true from the API)."""
    return str(args.get("text_only") or "").strip().lower() in TRUE


def _choices(args: Mapping, name: str, vocabulary: str) -> list[str]:
    """A list parameter's values as codes: a label in English or Chinese names its code whatever the
    page's language (kind=智库, country=肯尼亚, theme=Transport); anything else is kept as sent,
    for the search to ignore with a notice."""
    return [labels.parse_choice(vocabulary, value) or value for value in _values(args, name)]


def parse_search_params(args: Mapping) -> SearchParams:
    """Parse a directory search. Never raises: bad values are dropped and noted in .notices."""
    notices: list[str] = []
    q = str(args.get("q") or "")
    if len(q) > MAX_QUERY_LENGTH:
        notices.append(_("The search text was cut to %(n)d characters.", n=MAX_QUERY_LENGTH))
        q = q[:MAX_QUERY_LENGTH]
    kinds = _choices(args, "kind", "organization_kind")
    statuses = _choices(args, "status", "membership_status")
    for value in [k for k in kinds if k not in ORGANIZATION_KINDS] + [
        s for s in statuses if s not in MEMBERSHIP_STATUSES
    ]:
        notices.append(_("Unknown value %(value)s was ignored.", value=value))
    founded_from, founded_to = _year(args, "founded_from", notices), _year(args, "founded_to", notices)
    if founded_from and founded_to and founded_from > founded_to:
        founded_from, founded_to = founded_to, founded_from
    sort = str(args.get("sort") or "relevance")
    match = str(args.get("match") or "any")
    return SearchParams(
        q=q.strip(),
        text_only=text_only(args),
        region=_values(args, "region"),
        country=[c.upper() for c in _choices(args, "country", "country")],
        theme=_choices(args, "theme", "theme"),
        kind=[k for k in kinds if k in ORGANIZATION_KINDS],
        network=_values(args, "network"),
        status=[s for s in statuses if s in MEMBERSHIP_STATUSES],
        tag=_values(args, "tag"),
        founded_from=founded_from,
        founded_to=founded_to,
        match=match if match in MATCH_MODES else "any",
        sort=sort if sort in SORTS else "relevance",
        page=min(max(1, _int(args.get("page"), 1)), 1_000_000),
        per_page=min(max(1, _int(args.get("per_page"), 25)), MAX_PER_PAGE),
        notices=notices,
    )
