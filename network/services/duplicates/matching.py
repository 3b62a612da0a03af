"""Telling whether two organisations are the same: name normalisation, pair scoring and blocking.

Scoring looks at the normalised name (case, accents, punctuation, legal suffixes, transliteration
of Chinese and Cyrillic), acronym, website and e-mail domain, identifiers and country. Candidate
finding blocks records on rare name tokens, domains, identifiers and acronyms, then scores only
the pairs inside a block with rapidfuzz, so 20,000 records take seconds, not hours. Nothing here
reads the database: network.services.duplicates.review loads the features it compares.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

from flask_babel import gettext as _
from rapidfuzz import fuzz

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
ROMANISE_EXTRA = {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ł": "l", "þ": "th", "&": " and "}
CJK = re.compile(r"[\u3400-\u9fff]")
NOT_WORD = re.compile(r"[^\w]+")
DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=4096)
def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(text))


def romanise(text: str) -> str:
    """Lower-case ASCII-ish text: accents removed, Chinese as pinyin, Cyrillic transliterated."""
    text = text.casefold()
    if text.isascii():  # most names: nothing to strip or transliterate (the same result, 5x faster)
        return text.replace("&", " and ")
    if CJK.search(text):
        for suffix in CHINESE_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix) + 1:
                text = text[: -len(suffix)]
                break
        text = CJK.sub(lambda m: " " + _pinyin(m.group()) + " ", text)
    text = "".join(ROMANISE_EXTRA.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "".join(CYRILLIC.get(ch, ch) for ch in text)


@lru_cache(maxsize=65536)
def normalise_name(name: str) -> str:
    """ "The Green-Earth Foundation e.V." -> "green earth foundation"; equal keys mean the same name."""
    text = romanise(name or "").replace(".", "").replace("'", "").replace("’", "")
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
