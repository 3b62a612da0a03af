"""Duplicate organisations: name normalisation, pair scoring, candidate finding and merge.

Scoring looks at the normalised name (case, accents, punctuation, legal suffixes, transliteration
of Chinese and Cyrillic), acronym, website and e-mail domain, identifiers and country. Candidate
finding blocks records on rare name tokens, domains, identifiers and acronyms, then scores only
the pairs inside a block with rapidfuzz, so 20,000 records take seconds, not hours.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

from flask_babel import gettext as _
from rapidfuzz import fuzz
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from network import permissions
from network.errors import Conflict, NotFound, ValidationError
from network.extensions import db
from network.models import (
    Activity,
    Membership,
    Network,
    NotDuplicate,
    Organization,
    OrganizationIdentifier,
    Participant,
    Partnership,
    Person,
    Project,
    ProjectParticipant,
    Region,
    User,
    utcnow,
)
from network.services import operation
from network.services.profiles import MAX_ID

LIKELY = 0.75  # pairs scoring at least this are shown as likely duplicates

# Legal-form words dropped from the end of a name (after punctuation is removed: "e.V." -> "ev").
LEGAL_SUFFIXES = {
    "inc", "incorporated", "ltd", "limited", "llc", "llp", "plc", "co", "corp", "corporation", "gmbh",
    "ggmbh", "ev", "eg", "ag", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab", "asa", "kg",
    "ug", "pty", "pvt", "cic", "cio", "ngo", "registered", "reg", "rv", "ry", "ong", "asbl", "vzw", "ltda",
}  # fmt: skip
CHINESE_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司", "协会", "促进会")
STOPWORDS = {"the", "of", "and", "for", "in", "de", "la", "le", "des", "du", "a", "an", "on", "to", "und", "et", "y"}
FREE_MAIL = {
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "aol.com", "icloud.com",
    "protonmail.com", "proton.me", "qq.com", "163.com", "126.com", "sina.com", "gmx.de", "web.de", "mail.ru",
    "yandex.ru", "yahoo.co.uk", "btinternet.com",
}  # fmt: skip
# Pages on these hosts belong to many organisations: sharing one says nothing.
SHARED_HOSTS = {
    "facebook.com", "m.facebook.com", "twitter.com", "x.com", "instagram.com", "linkedin.com", "wordpress.com",
    "blogspot.com", "wixsite.com", "google.com", "sites.google.com", "youtube.com", "weebly.com", "github.io",
    "weibo.com", "mp.weixin.qq.com",
}  # fmt: skip
CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяієїґў",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "h", "ts", "ch", "sh", "sht", "a", "y", "", "e", "yu", "ya", "i", "e", "yi", "g", "u"],
    strict=True,
))  # fmt: skip
FOLD_EXTRA = {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ł": "l", "þ": "th", "&": " and "}
CJK = re.compile(r"[\u3400-\u9fff]")
NOT_WORD = re.compile(r"[^\w]+")
DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=4096)
def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(text))


def fold(text: str) -> str:
    """Lower-case ASCII-ish text: accents removed, Chinese as pinyin, Cyrillic transliterated."""
    text = text.casefold()
    if CJK.search(text):
        for suffix in CHINESE_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix) + 1:
                text = text[: -len(suffix)]
                break
        text = CJK.sub(lambda m: " " + _pinyin(m.group()) + " ", text)
    text = "".join(FOLD_EXTRA.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "".join(CYRILLIC.get(ch, ch) for ch in text)


@lru_cache(maxsize=65536)
def normalise_name(name: str) -> str:
    """ "The Green-Earth Foundation e.V." -> "green earth foundation"; equal keys mean the same name."""
    text = fold(name or "").replace(".", "").replace("'", "").replace("’", "")
    tokens = [t for t in NOT_WORD.sub(" ", text).replace("_", " ").split() if t]
    while tokens and tokens[0] == "the":
        tokens.pop(0)
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
    return " ".join(tokens)


def domain_of(url_or_email: str | None) -> str | None:
    if not url_or_email:
        return None
    text = url_or_email.strip().lower()
    text = text.rsplit("@", 1)[-1] if "@" in text and "://" not in text else text
    text = re.sub(r"^[a-z]+://", "", text).split("/")[0].split("?")[0].split(":")[0]
    text = text.removeprefix("www.")
    return text if "." in text else None


@dataclass
class OrgFeatures:
    """What the scorer compares, for a saved organisation (id set) or a row being imported."""

    id: int | None
    name: str
    key: str
    country: str | None = None
    acronym: str | None = None
    website: str | None = None
    email_domain: str | None = None
    identifiers: frozenset[str] = field(default_factory=frozenset)
    local_key: str | None = None
    digits: frozenset[str] = field(default_factory=frozenset)
    initials: str = ""

    @classmethod
    def build(cls, *, id=None, name="", country=None, acronym=None, website=None, email=None,
              identifiers=(), name_local=None) -> OrgFeatures:  # fmt: skip
        email_domain = domain_of(email)
        key = normalise_name(name)
        return cls(
            id=id,
            name=name,
            key=key,
            country=(country or None),
            acronym=(acronym or "").strip().upper().replace(".", "") or None,
            website=None if domain_of(website) in SHARED_HOSTS else domain_of(website),
            email_domain=None if email_domain in FREE_MAIL else email_domain,
            identifiers=frozenset(i.strip().upper() for i in identifiers if i and i.strip()),
            local_key=normalise_name(name_local) if name_local else None,
            digits=frozenset(DIGITS.findall(key)),
            initials=initials(key),
        )


def initials(key: str) -> str:
    return "".join(t[0] for t in key.split() if t not in STOPWORDS).upper()


def score_pair(a: OrgFeatures, b: OrgFeatures) -> tuple[float, list[str]]:
    """A likelihood in 0..1 that a and b are the same organisation, and the reasons for it."""
    score, reasons = raw_score(a, b)
    return score, [explain(code, value) for code, value in reasons]


def raw_score(a: OrgFeatures, b: OrgFeatures) -> tuple[float, list[tuple[str, object]]]:
    """The score and untranslated reason codes (translating is slow, so only hits are explained)."""
    shared = a.identifiers & b.identifiers
    if shared:
        return 1.0, [("identifier", sorted(shared)[0])]
    reasons: list[tuple[str, object]] = []
    similarity = fuzz.token_sort_ratio(a.key, b.key) / 100 if a.key and b.key else 0.0
    for x, y in ((a.local_key, b.key), (a.key, b.local_key), (a.local_key, b.local_key)):
        if x and y:
            similarity = max(similarity, fuzz.token_sort_ratio(x, y) / 100)
    if similarity >= 0.999:
        score = 0.8
        reasons.append(("same_name", None))
    elif similarity >= 0.9:
        score = similarity * 0.75
        reasons.append(("alike", round(similarity * 100)))
    elif similarity >= 0.8:  # one distinctive word apart ("Venice/Providence Community Housing")
        score = similarity * 0.6
        reasons.append(("alike", round(similarity * 100)))
    else:
        score = similarity * 0.5
    if similarity < 0.999 and a.digits != b.digits:
        score -= 0.3  # "School No. 5" and "School No. 6" are different organisations
        reasons.append(("numbers", None))
    if a.website and a.website == b.website:
        score += 0.45
        reasons.append(("website", a.website))
    if a.email_domain and a.email_domain == b.email_domain:
        score += 0.2
        reasons.append(("email", a.email_domain))
    if a.acronym and b.acronym and a.acronym == b.acronym:
        score += 0.1
        reasons.append(("acronym", a.acronym))
    elif (a.acronym and len(a.acronym) > 2 and a.acronym == b.initials) or (
        b.acronym and len(b.acronym) > 2 and b.acronym == a.initials
    ):
        score += 0.1
        reasons.append(("initials", None))
    if a.country and b.country:
        if a.country == b.country:
            score += 0.1
            reasons.append(("country", a.country))
        else:
            score -= 0.25
            reasons.append(("countries", (a.country, b.country)))
    return max(0.0, min(1.0, round(score, 3))), reasons


def explain(code: str, value) -> str:
    if code == "identifier":
        return _("same identifier %(value)s", value=value)
    if code == "same_name":
        return _("same name once case, accents, punctuation and legal form are ignored")
    if code == "alike":
        return _("names %(percent)s%% alike", percent=value)
    if code == "numbers":
        return _("different numbers in the names")
    if code == "website":
        return _("same website %(domain)s", domain=value)
    if code == "email":
        return _("same e-mail domain %(domain)s", domain=value)
    if code == "acronym":
        return _("same acronym %(acronym)s", acronym=value)
    if code == "initials":
        return _("acronym matches the other name's initials")
    if code == "country":
        return _("same country %(code)s", code=value)
    return _("different countries (%(a)s, %(b)s)", a=value[0], b=value[1])


def blocking_keys(f: OrgFeatures, frequency: Counter | None = None) -> set[str]:
    """Keys that any likely duplicate of f shares with it: rare name tokens, domains, ids, acronym."""
    keys = {"i:" + i for i in f.identifiers}
    if f.website:
        keys.add("w:" + f.website)
    if f.email_domain:
        keys.add("e:" + f.email_domain)
    if f.acronym and len(f.acronym) >= 3:
        keys.add("a:" + f.acronym)
    for key in (f.key, f.local_key):
        if not key:
            continue
        keys.add("k:" + key)
        tokens = [t for t in set(key.split()) if t not in STOPWORDS and len(t) > 1]
        tokens.sort(key=lambda t: ((frequency or {}).get(t, 0), -len(t), t))
        keys.update("t:" + t for t in tokens[:2])
    return keys


class DuplicateIndex:
    """Blocking index over many records: pairs within it, or the best matches for a new record."""

    MAX_BLOCK = 40  # larger blocks are compared only with their neighbours in name order
    WINDOW = 6

    def __init__(self, records: list[OrgFeatures]):
        self.records = {r.id: r for r in records}
        self.frequency = Counter(t for r in records for t in set(r.key.split()))
        self.blocks: dict[str, list[int]] = defaultdict(list)
        for r in records:
            for key in blocking_keys(r, self.frequency):
                self.blocks[key].append(r.id)

    def pairs(self, threshold: float = LIKELY) -> list[tuple[float, int, int, list[str]]]:
        """Every likely duplicate pair, best first: (score, id_a, id_b, reasons)."""
        seen: set[tuple[int, int]] = set()
        found = []
        for ids in self.blocks.values():
            if len(ids) < 2:
                continue
            if len(ids) <= self.MAX_BLOCK:
                candidates = combinations(ids, 2)
            else:
                ordered = sorted(ids, key=lambda i: self.records[i].key)
                candidates = (
                    (ordered[i], ordered[j])
                    for i in range(len(ordered))
                    for j in range(i + 1, min(i + 1 + self.WINDOW, len(ordered)))
                )
            for x, y in candidates:
                pair = (x, y) if x < y else (y, x)
                if pair in seen:
                    continue
                seen.add(pair)
                score, codes = raw_score(self.records[pair[0]], self.records[pair[1]])
                if score >= threshold:
                    found.append((score, pair[0], pair[1], codes))
        found.sort(key=lambda p: (-p[0], p[1], p[2]))
        return [(score, a, b, [explain(c, v) for c, v in codes]) for score, a, b, codes in found]

    def add(self, record: OrgFeatures) -> None:
        self.records[record.id] = record
        for key in blocking_keys(record, self.frequency):
            self.blocks[key].append(record.id)

    def matches(self, f: OrgFeatures, threshold: float = LIKELY, limit: int = 5):
        """The saved records most like f: [(score, id, reasons)], best first."""
        candidates: set[int] = set()
        for key in blocking_keys(f, self.frequency):
            candidates.update(self.blocks.get(key, ())[:200])
        scored = []
        for cid in candidates:
            if cid == f.id:
                continue
            score, codes = raw_score(f, self.records[cid])
            if score >= threshold:
                scored.append((score, cid, codes))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [(score, cid, [explain(c, v) for c, v in codes]) for score, cid, codes in scored[:limit]]


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


# --- Merge -------------------------------------------------------------------------------------

MERGE_FIELDS = ("name", "name_local", "acronym", "kind", "hq_country", "website", "email", "phone",
                "description", "founded")  # fmt: skip
MEMBERSHIP_RANK = {"active": 3, "applicant": 2, "suspended": 1, "lapsed": 0}
INVITATION_RANK = {"accepted": 4, "invited": 3, "declined": 2, "left": 1, "removed": 0}


@operation
def merge_organizations(actor, survivor: Organization, duplicate: Organization, *, choices: dict[str, str],
                        survivor_version: int, duplicate_version: int) -> Organization:  # fmt: skip
    """Merge duplicate into survivor: chosen field values, then everything that points at it.

    choices maps a field of MERGE_FIELDS to "survivor" or "duplicate" (missing: survivor's value,
    or the duplicate's when the survivor has none). Themes, countries and identifiers are united.
    """
    permissions.require(actor, "organization.merge", survivor)
    permissions.require(actor, "organization.merge", duplicate)
    if survivor.id == duplicate.id:
        raise ValidationError({"": [_("An organisation cannot be merged into itself.")]})
    for org, version in ((survivor, survivor_version), (duplicate, duplicate_version)):
        if org.version != version:
            raise Conflict(current_version=org.version)
        if org.merged_into_id or org.archived_at:
            raise ValidationError({"": [_("%(name)s is archived or already merged.", name=org.name)]})
    unknown = set(choices) - set(MERGE_FIELDS)
    if unknown or set(choices.values()) - {"survivor", "duplicate"}:
        raise ValidationError({"": [_("Unknown merge choice.")]})

    for name in MERGE_FIELDS:
        ours, theirs = getattr(survivor, name), getattr(duplicate, name)
        choice = choices.get(name) or ("duplicate" if ours in (None, "") and theirs not in (None, "") else "survivor")
        if choice == "duplicate" and ours != theirs:
            setattr(survivor, name, theirs)
    survivor.themes = survivor.themes + [t for t in duplicate.themes if t not in survivor.themes]
    survivor.countries = survivor.countries + [c for c in duplicate.countries if c not in survivor.countries]
    for identifier in list(duplicate.identifiers):
        identifier.organization = survivor

    _move_memberships(survivor, duplicate)
    for person in db.session.scalars(select(Person).where(Person.organization_id == duplicate.id)):
        person.organization_id = survivor.id
    for project in db.session.scalars(select(Project).where(Project.lead_organization_id == duplicate.id)):
        project.lead_organization_id = survivor.id
    _move_unique(ProjectParticipant, "project_id", survivor, duplicate, rank=None)
    _move_unique(Participant, "initiative_id", survivor, duplicate, rank=INVITATION_RANK)
    for partnership in db.session.scalars(
        select(Partnership).where(or_(Partnership.org_a_id == duplicate.id, Partnership.org_b_id == duplicate.id))
    ):
        a = survivor.id if partnership.org_a_id == duplicate.id else partnership.org_a_id
        b = survivor.id if partnership.org_b_id == duplicate.id else partnership.org_b_id
        if a == b:  # the two were partners of each other: nothing left to relate
            partnership.archived_at = partnership.archived_at or utcnow()
        else:
            partnership.org_a_id, partnership.org_b_id = a, b
    for activity in db.session.scalars(select(Activity).where(Activity.organization_id == duplicate.id)):
        activity.organization_id = survivor.id
    for user in db.session.scalars(select(User).where(User.organization_id == duplicate.id)):
        user.organization_id = survivor.id

    duplicate.merged_into_id = survivor.id
    duplicate.archived_at = utcnow()
    db.session.flush()
    _reindex([survivor.id, duplicate.id])
    return survivor


def _move_memberships(survivor: Organization, duplicate: Organization) -> None:
    """Memberships move; where both belong to the same node the survivor's one keeps the best of both."""
    ours = {
        m.network_id: m for m in db.session.scalars(select(Membership).where(Membership.organization_id == survivor.id))
    }
    for m in list(db.session.scalars(select(Membership).where(Membership.organization_id == duplicate.id))):
        kept = ours.get(m.network_id)
        if kept is None:
            m.organization_id = survivor.id
            continue
        if MEMBERSHIP_RANK.get(m.status, 0) > MEMBERSHIP_RANK.get(kept.status, 0):
            kept.status = m.status
        if m.joined_on and (kept.joined_on is None or m.joined_on < kept.joined_on):
            kept.joined_on = m.joined_on
        db.session.delete(m)


def _move_unique(model, parent: str, survivor: Organization, duplicate: Organization, rank: dict | None) -> None:
    """Rows unique on (parent, organisation): move them, or fold them into the survivor's own row."""
    ours = {
        getattr(r, parent): r for r in db.session.scalars(select(model).where(model.organization_id == survivor.id))
    }
    for row in list(db.session.scalars(select(model).where(model.organization_id == duplicate.id))):
        kept = ours.get(getattr(row, parent))
        if kept is None:
            row.organization_id = survivor.id
            continue
        if rank and rank.get(row.invitation_status, 0) > rank.get(kept.invitation_status, 0):
            kept.invitation_status, kept.role = row.invitation_status, row.role
        db.session.delete(row)
    db.session.flush()


def _reindex(ids: list[int]) -> None:
    try:
        from network.services import search
    except ImportError:  # search not installed yet
        return
    for name in ("index_organizations", "reindex_organizations"):
        if hasattr(search, name):
            getattr(search, name)(ids)
            return
