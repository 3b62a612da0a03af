"""The calendar's search: words, upcoming or past, a date range, and facets (kind, theme, region and
country, node). Events are few (hundreds, not the directory's tens of thousands): the dates are one
SQL query; the words and the facets are worked out over its rows, each facet counted with the other
facets applied, so every count says what a click would give. Place and theme names in the words
are read as facets as in the other searches (vocabulary.py: 肯尼亚 finds the events in Kenya)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from network import labels, permissions
from network.extensions import db
from network.models import Event, EventHost, Region, Theme, utcnow
from network.models.event import EVENT_KINDS
from network.services.events.labels import EVENT_KIND_LABELS
from network.services.search.text import fold, query_tokens
from network.services.search.vocabulary import interpret, match_terms

PER_PAGE = 25
FACETS = ("kind", "theme", "region", "country", "network")
WHEN = ("upcoming", "past", "all")


@dataclass
class EventParams:
    q: str = ""
    when: str = "upcoming"
    start: date | None = None
    end: date | None = None
    filters: dict[str, str] = field(default_factory=dict)
    page: int = 1
    text_only: bool = False  # place and theme names in q matched as words only

    def args(self, **changes) -> dict:
        """The query string of these parameters with ``changes`` (None drops one)."""
        values = {"q": self.q or None, "when": self.when if self.when != "upcoming" else None,
                  "from": self.start.isoformat() if self.start else None,
                  "to": self.end.isoformat() if self.end else None, "text_only": 1 if self.text_only else None,
                  **self.filters}  # fmt: skip
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def _date(text) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def parse_params(args) -> EventParams:
    page = str(args.get("page", "1"))
    return EventParams(
        q=str(args.get("q", "")).strip()[:200],
        when=args.get("when") if args.get("when") in WHEN else "upcoming",
        start=_date(args.get("from")),
        end=_date(args.get("to")),
        filters={k: str(args[k])[:120] for k in FACETS if args.get(k)},
        page=int(page) if page.isdigit() and len(page) < 6 and int(page) > 0 else 1,
        text_only=str(args.get("text_only", "")).lower() in ("1", "true", "yes", "on"),
    )


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class EventResult:
    items: list[Event]
    total: int
    page: int
    pages: int
    facets: dict[str, list[FacetValue]]
    params: EventParams
    interpreted: list = field(default_factory=list)  # vocabulary Terms: words read as places or themes
    notices: list[str] = field(default_factory=list)


def _keys(event: Event) -> dict[str, set[str]]:
    path = event.country.path if event.country is not None else ""
    return {
        "kind": {event.kind},
        "theme": {t.slug for t in event.themes},
        "country": {event.country.code} if event.country is not None else set(),
        "region": set(path.strip("/").split("/")[1:-1]),  # the M49 regions above the country
        "network": {event.network.slug} if event.network is not None else set(),
    }


def search_events(actor, params: EventParams, per_page: int = PER_PAGE) -> EventResult:
    permissions.require(actor, "directory.view", None)
    now = utcnow()
    query = select(Event).where(Event.archived_at.is_(None))
    if params.when == "upcoming":
        query = query.where(Event.ends_at >= now)
    elif params.when == "past":
        query = query.where(Event.ends_at < now)
    if params.start:
        query = query.where(Event.ends_at >= datetime.combine(params.start, time.min, UTC))
    if params.end:
        query = query.where(Event.starts_at < datetime.combine(params.end + timedelta(days=1), time.min, UTC))
    query = query.options(selectinload(Event.themes), selectinload(Event.country), selectinload(Event.network),
                          selectinload(Event.hosts).selectinload(EventHost.organization))  # fmt: skip
    order = Event.starts_at.desc() if params.when == "past" else Event.starts_at
    rows = list(db.session.scalars(query.order_by(order, Event.id).limit(5000)))
    keys = {e.id: _keys(e) for e in rows}
    rows, interpreted = _matching_words(rows, keys, params)

    def passes(event: Event, skip: str | None = None) -> bool:
        return all(value in keys[event.id][name] for name, value in params.filters.items() if name != skip)

    facets = {name: _facet(name, [e for e in rows if passes(e, name)], keys, params) for name in FACETS}
    matching = [e for e in rows if passes(e)]
    pages = max(1, -(-len(matching) // per_page))
    page = min(params.page, pages)
    items = matching[(page - 1) * per_page : page * per_page]
    return EventResult(items, len(matching), page, pages, facets, params, interpreted)


def _matching_words(rows: list[Event], keys: dict, params: EventParams) -> tuple[list[Event], list]:
    """The events matching q: each word (a prefix, folded: case, accents, width) in the title, local
    title, description, venue, city or a host's name; a place or theme name also by facet, and those
    matching by text and facet first."""
    tokens = query_tokens(params.q)
    if not tokens or not rows:
        return rows, []
    texts, names = [], []
    for e in rows:
        hosts = " ".join(f"{h.organization.name} {h.organization.name_local or ''} {h.organization.acronym or ''}"
                         for h in e.hosts)  # fmt: skip
        names.append(fold(f"{e.title} {e.title_local or ''} {hosts}"))
        texts.append(fold(f"{e.description or ''} {e.venue or ''} {e.city or ''}"))

    def text_match(words: list[str]):
        found = np.array([all(w in n or w in t for w in words) for n, t in zip(names, texts, strict=True)])
        in_names = np.array([all(w in n for w in words) for n in names])
        return found, in_names

    def facet_mask(reading):
        if reading.facet not in ("country", "region", "theme"):
            return None
        return np.array([reading.code in keys[e.id][reading.facet] for e in rows])

    reading = None
    if not params.text_only:
        themes = [(t.slug, t.name, t.name_zh) for t in db.session.scalars(select(Theme).order_by(Theme.position))]
        reading = interpret(params.q, themes, str(get_locale()) == "zh")
    if reading is None:
        mask, _in_names = text_match(tokens)
        return [e for e, hit in zip(rows, mask, strict=True) if hit], []
    mask, score = match_terms(reading, text_match, facet_mask, len(rows))
    ranked = sorted((i for i in range(len(rows)) if mask[i]), key=lambda i: (-int(score[i]), i))
    return [rows[i] for i in ranked], reading.terms


def _facet(name: str, events: list[Event], keys: dict, params: EventParams) -> list[FacetValue]:
    counts: dict[str, int] = {}
    for event in events:
        for value in keys[event.id][name]:
            counts[value] = counts.get(value, 0) + 1
    chosen = params.filters.get(name)
    if chosen and chosen not in counts:
        counts[chosen] = 0
    names = _labels(name, set(counts), events)
    values = [FacetValue(v, names.get(v, v), n, v == chosen) for v, n in counts.items()]
    return sorted(values, key=lambda f: (not f.selected, -f.count, f.label))


def _labels(name: str, values: set[str], events: list[Event]) -> dict[str, str]:
    locale = get_locale()
    if name == "kind":
        return {k: labels.label(EVENT_KIND_LABELS, k) for k in values if k in EVENT_KINDS}
    if name == "theme":
        return {t.slug: labels.localized_name(t, locale) for e in events for t in e.themes}
    if name == "network":
        return {e.network.slug: labels.localized_name(e.network, locale) for e in events if e.network}
    if not values:
        return {}
    regions = db.session.scalars(select(Region).where(Region.code.in_(values)))
    return {r.code: labels.localized_name(r, locale) for r in regions}
