"""The duplicates review queue: likely pairs in the reviewer's scope, pairs marked distinct, and the
organisations like one being entered or imported."""

import re
import time
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from network import permissions
from network.errors import NotFound, ValidationError
from network.extensions import db
from network.models import Membership, Network, NotDuplicate, Organization, OrganizationIdentifier, Region
from network.services import operation
from network.services.duplicates.matching import LIKELY, DuplicateIndex, OrgFeatures, score_pair
from network.services.profiles import MAX_ID


def load_features(scope_paths: list[str] | None = None) -> list[OrgFeatures]:
    """Features of every live organisation (optionally only those with a membership in the scope)."""
    query = (
        select(
            Organization.id, Organization.name, Organization.name_local, Organization.acronym,
            Organization.website, Organization.email, Region.code,
        )
        .outerjoin(Region, Region.id == Organization.hq_country_id)
        .where(Organization.archived_at.is_(None), Organization.merged_into_id.is_(None))
    )  # fmt: skip
    if scope_paths is not None:
        in_scope = (
            select(Membership.organization_id)
            .join(Network, Network.id == Membership.network_id)
            .where(or_(*[Network.path.startswith(p) for p in scope_paths]) if scope_paths else False)
        )
        query = query.where(Organization.id.in_(in_scope))
    identifiers: dict[int, list[str]] = defaultdict(list)
    for org_id, value in db.session.execute(
        select(OrganizationIdentifier.organization_id, OrganizationIdentifier.value)
    ):
        identifiers[org_id].append(value)
    return [
        OrgFeatures.build(
            id=i,
            name=name,
            name_local=local,
            acronym=acr,
            website=web,
            email=mail,
            country=code,
            identifiers=identifiers.get(i, ()),
        )  # fmt: skip
        for i, name, local, acr, web, mail, code in db.session.execute(query)
    ]


@dataclass
class DuplicatePair:
    score: float
    first: Organization
    second: Organization
    reasons: list[str]


def duplicate_pairs(actor, *, limit: int = 500) -> tuple[list[DuplicatePair], float]:
    """The review queue: likely duplicate pairs the actor may merge, best first, and seconds taken."""
    permissions.require(actor, "duplicates.review")
    started = time.perf_counter()
    index = DuplicateIndex(load_features(permissions.network_scope(actor)))
    distinct = set(db.session.execute(select(NotDuplicate.first_id, NotDuplicate.second_id)).tuples())
    found = [p for p in index.pairs() if (min(p[1], p[2]), max(p[1], p[2])) not in distinct][:limit]
    ids = {i for _s, a, b, _r in found for i in (a, b)}
    orgs = {
        o.id: o
        for o in db.session.scalars(
            select(Organization).where(Organization.id.in_(ids)).options(selectinload(Organization.hq_country))
        )
    }
    pairs = [DuplicatePair(score, orgs[a], orgs[b], reasons) for score, a, b, reasons in found]
    return pairs, time.perf_counter() - started


@operation
def mark_not_duplicate(actor, first: Organization, second: Organization) -> None:
    """Record that two organisations are distinct: the queue stops proposing the pair. Allowed to
    whoever could merge them (both in the actor's scope)."""
    permissions.require(actor, "duplicates.review")
    permissions.require(actor, "organization.merge", first)
    permissions.require(actor, "organization.merge", second)
    if first.id == second.id:
        raise ValidationError({"duplicate": [_("Choose two different organisations.")]})
    low, high = sorted((first.id, second.id))
    if db.session.get(NotDuplicate, (low, high)) is None:
        db.session.add(NotDuplicate(first_id=low, second_id=high, decided_by_id=getattr(actor, "id", None)))


def find_similar_organizations(data: dict, limit: int = 5, exclude_id: int | None = None):
    """Live organisations that look like the one described by data (form or import row).

    Returns [(organization, score, reasons)], best first. data keys: name, name_local, acronym,
    website, email, country (ISO code or Region), identifiers (list) or identifier (str).
    """
    country = data.get("country") or data.get("hq_country")
    country = getattr(country, "code", country)
    identifiers = data.get("identifiers") or [i for i in str(data.get("identifier") or "").split(";") if i.strip()]
    wanted = OrgFeatures.build(
        name=data.get("name") or "", name_local=data.get("name_local"), acronym=data.get("acronym"),
        website=data.get("website"), email=data.get("email"), country=country, identifiers=identifiers,
    )  # fmt: skip
    if not wanted.key and not wanted.identifiers:
        return []
    # Prefilter in SQL: anything sharing a long name word, the domain, an identifier or the acronym.
    words = sorted({w for w in re.split(r"\W+", (data.get("name") or "").lower()) if len(w) >= 4}, key=len)[-3:]
    conditions = [func.lower(Organization.name).contains(w, autoescape=True) for w in words]
    if data.get("name_local"):
        conditions.append(Organization.name_local == data["name_local"])
    if wanted.website:
        conditions.append(func.lower(Organization.website).contains(wanted.website, autoescape=True))
    if wanted.email_domain:
        conditions.append(func.lower(Organization.email).endswith("@" + wanted.email_domain, autoescape=True))
    if wanted.acronym:
        conditions.append(func.upper(Organization.acronym) == wanted.acronym)
    if wanted.identifiers:
        conditions.append(
            Organization.id.in_(
                select(OrganizationIdentifier.organization_id).where(
                    func.upper(OrganizationIdentifier.value).in_(wanted.identifiers)
                )
            )
        )
    if not conditions:
        return []
    query = (
        select(Organization)
        .where(or_(*conditions), Organization.archived_at.is_(None), Organization.merged_into_id.is_(None))
        .options(selectinload(Organization.hq_country), selectinload(Organization.identifiers))
        .limit(500)
    )
    if exclude_id:
        query = query.where(Organization.id != exclude_id)
    results = []
    for org in db.session.scalars(query):
        score, reasons = score_pair(wanted, features_of(org))
        if score >= LIKELY:
            results.append((org, score, reasons))
    results.sort(key=lambda r: (-r[1], r[0].id))
    return results[:limit]


def find_organization(org_id) -> Organization:
    """The organisation a review form names by id (NotFound if there is none)."""
    org = db.session.get(Organization, int(org_id)) if str(org_id).isdigit() and 0 < int(org_id) <= MAX_ID else None
    if org is None:
        raise NotFound(_("No such organisation."))
    return org


def merge_preview(actor, survivor: Organization, duplicate: Organization) -> tuple[float, list[str]]:
    """How alike the two organisations are (score and reasons), for whoever may merge them."""
    permissions.require(actor, "organization.merge", survivor)
    permissions.require(actor, "organization.merge", duplicate)
    return score_pair(features_of(survivor), features_of(duplicate))


def features_of(org: Organization) -> OrgFeatures:
    return OrgFeatures.build(
        id=org.id, name=org.name, name_local=org.name_local, acronym=org.acronym, website=org.website,
        email=org.email, country=org.hq_country.code if org.hq_country else None,
        identifiers=[i.value for i in org.identifiers],
    )  # fmt: skip
