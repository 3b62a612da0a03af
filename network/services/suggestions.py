"""Partner suggestions: organisations not yet in an initiative, ranked, each with its reasons.

Score = 3 per matching theme + 2 per country of operation inside the initiative's countries and
regions + 4 per partnership with a participant + 2 per event linked to the initiative that it hosted
or attended. The ranking is one aggregate query; reasons
are worked out for the shown suggestions only.
"""

from dataclasses import dataclass, field

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.orm import selectinload

from network.extensions import db
from network.labels import PARTNERSHIP_KIND_LABELS, join_names, label, localized_name
from network.models import Event, EventHost, Initiative, Organization, Partnership, Region, Registration
from network.models.event import event_initiatives
from network.models.organization import organization_countries, organization_themes

THEME_WEIGHT, COUNTRY_WEIGHT, PARTNERSHIP_WEIGHT, EVENT_WEIGHT = 3, 2, 4, 2


@dataclass
class Suggestion:
    organization: Organization
    score: int
    reasons: list[str] = field(default_factory=list)


def suggest_partners(initiative: Initiative, limit: int = 10) -> list[Suggestion]:
    theme_ids = [t.id for t in initiative.themes]
    region_paths = [r.path for r in initiative.regions]
    # Every organisation with a row in the initiative (even one that declined) is left out.
    in_it = {p.organization_id for p in initiative.participants}
    partners_in = {p.organization_id for p in initiative.participants if p.invitation_status in ("invited", "accepted")}

    parts = []
    if theme_ids:
        parts.append(
            select(organization_themes.c.organization_id.label("org_id"), literal(THEME_WEIGHT).label("w"))
            .where(organization_themes.c.theme_id.in_(theme_ids))
        )  # fmt: skip
    if region_paths:
        # The countries inside the initiative's regions first (a small table), then an indexed IN.
        country_ids = list(db.session.scalars(
            select(Region.id).where(Region.level == "country", or_(*[Region.path.startswith(p) for p in region_paths]))
        ))  # fmt: skip
        parts.append(
            select(organization_countries.c.organization_id.label("org_id"), literal(COUNTRY_WEIGHT).label("w"))
            .where(organization_countries.c.region_id.in_(country_ids))
        )  # fmt: skip
    if partners_in:
        live = (Partnership.archived_at.is_(None), Partnership.status != "ended")
        parts.append(select(Partnership.org_b_id.label("org_id"), literal(PARTNERSHIP_WEIGHT).label("w"))
                     .where(Partnership.org_a_id.in_(partners_in), *live))  # fmt: skip
        parts.append(select(Partnership.org_a_id.label("org_id"), literal(PARTNERSHIP_WEIGHT).label("w"))
                     .where(Partnership.org_b_id.in_(partners_in), *live))  # fmt: skip
    linked_events = (
        select(event_initiatives.c.event_id)
        .join(Event, Event.id == event_initiatives.c.event_id)
        .where(event_initiatives.c.initiative_id == initiative.id, Event.archived_at.is_(None))
    )
    parts.append(select(EventHost.organization_id.label("org_id"), literal(EVENT_WEIGHT).label("w"))
                 .where(EventHost.event_id.in_(linked_events)))  # fmt: skip
    parts.append(select(Registration.organization_id.label("org_id"), literal(EVENT_WEIGHT).label("w"))
                 .where(Registration.event_id.in_(linked_events), Registration.attended_at.is_not(None))
                 .distinct())  # fmt: skip
    scores = union_all(*parts).subquery()
    # Add up per organisation first, then join the (fewer) totals to the organisations.
    totals = select(scores.c.org_id, func.sum(scores.c.w).label("score")).group_by(scores.c.org_id).subquery()
    stmt = (
        select(Organization.id, totals.c.score)
        .join(totals, totals.c.org_id == Organization.id)
        .where(Organization.archived_at.is_(None), Organization.merged_into_id.is_(None))
        .order_by(totals.c.score.desc(), Organization.name, Organization.id)
        .limit(limit)
    )
    if in_it:
        stmt = stmt.where(Organization.id.not_in(in_it))
    ranked = db.session.execute(stmt).all()
    if not ranked:
        return []
    ids = [org_id for org_id, _score in ranked]
    orgs = {
        o.id: o
        for o in db.session.scalars(
            select(Organization).where(Organization.id.in_(ids))
            .options(selectinload(Organization.themes), selectinload(Organization.countries))
        )
    }  # fmt: skip
    partnerships = _partnerships_with(ids, partners_in)
    took_part = _events_with(ids, linked_events)
    locale = get_locale()  # reasons name themes, countries and partners in the reader's language
    participant_names = {p.organization_id: localized_name(p.organization, locale) for p in initiative.participants}
    wanted_themes = set(theme_ids)
    suggestions = []
    for org_id, score in ranked:
        org = orgs[org_id]
        reasons = []
        themes = [localized_name(t, locale) for t in org.themes if t.id in wanted_themes]
        if themes:
            reasons.append(_("Works on %(themes)s", themes=join_names(themes)))
        countries = [
            localized_name(c, locale) for c in org.countries if any(c.path.startswith(p) for p in region_paths)
        ]
        if countries:
            reasons.append(_("Operates in %(countries)s", countries=join_names(countries)))
        for p in partnerships.get(org_id, []):
            other = p.org_b_id if p.org_a_id == org_id else p.org_a_id
            reasons.append(_("%(kind)s partner of %(name)s", kind=label(PARTNERSHIP_KIND_LABELS, p.kind),
                             name=participant_names.get(other, "?")))  # fmt: skip
        for event in took_part.get(org_id, []):
            reasons.append(_("Took part in “%(event)s”", event=localized_name(event, locale)))
        suggestions.append(Suggestion(org, int(score), reasons))
    return suggestions


def _partnerships_with(org_ids: list[int], participant_ids: set[int]) -> dict[int, list[Partnership]]:
    if not participant_ids:
        return {}
    rows = db.session.scalars(
        select(Partnership)
        .where(Partnership.archived_at.is_(None), Partnership.status != "ended")
        .where(or_(Partnership.org_a_id.in_(org_ids) & Partnership.org_b_id.in_(participant_ids),
                   Partnership.org_b_id.in_(org_ids) & Partnership.org_a_id.in_(participant_ids)))
        .order_by(Partnership.id)
    )  # fmt: skip
    found: dict[int, list[Partnership]] = {}
    for p in rows:
        key = p.org_a_id if p.org_a_id in org_ids else p.org_b_id
        found.setdefault(key, []).append(p)
    return found


def _events_with(org_ids: list[int], linked_events) -> dict[int, list[Event]]:
    """The linked events each suggested organisation hosted or attended (for its reasons)."""
    hosted = select(EventHost.organization_id, EventHost.event_id).where(
        EventHost.organization_id.in_(org_ids), EventHost.event_id.in_(linked_events)
    )
    attended = select(Registration.organization_id, Registration.event_id).where(
        Registration.organization_id.in_(org_ids),
        Registration.event_id.in_(linked_events),
        Registration.attended_at.is_not(None),
    )
    pairs = set(db.session.execute(hosted.union(attended)).tuples())
    if not pairs:
        return {}
    events = {e.id: e for e in db.session.scalars(select(Event).where(Event.id.in_({e for _o, e in pairs})))}
    found: dict[int, list[Event]] = {}
    for org_id, event_id in sorted(pairs):
        found.setdefault(org_id, []).append(events[event_id])
    return found
