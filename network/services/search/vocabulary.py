"""Place and theme names in search words, in English or Chinese: 肯尼亚 finds what Kenya finds.

A query's words are read against a vocabulary of country, region and theme names (network/data:
countries.csv, regions.csv, themes.csv, the CLDR short names that Babel ships, and the curated
vocabulary_synonyms.csv). Latin-script names match whole words (the longest name first: "South
Africa" before "Africa"); Chinese names match anywhere in a run of Chinese, which has no spaces.

A recognised term is an OR: a record matches it when it has that facet value (country: HQ or
operations; region: any country in it; theme) or when its text contains the term as typed or one
of its translations (肯尼亚 also matches the text "Kenya"). The other words match as text, as
before. Quoted words ("Kenya") and the text_only parameter turn the reading off.

The searches (organizations.py, records.py) supply two callbacks: the ids whose text matches some
tokens, and the mask of one facet value; a new kind of record (events) needs only those two.
"""

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
from babel import Locale
from flask_babel import lazy_gettext as _l

from network.services.search.text import _CJK_RUN, _TOKEN, _folded_with_owners, fold, query_tokens

FACET_LABELS = {"country": _l("country"), "region": _l("region"), "theme": _l("theme")}
MAX_TERM_WORDS = 6  # the longest Latin name in words ("Saint Vincent and the Grenadines")
MAX_CJK_LENGTH = 12
MAX_TERMS = 6  # each term costs a text query per translation; further names stay plain words
CLDR_LOCALES = ("en", "zh", "zh_Hant")  # country short names people type: 美国, 英國, South Korea
_QUOTED = re.compile(r'("[^"]*"?)')


@dataclass(frozen=True)
class Reading:
    facet: str  # "country", "region" or "theme"
    code: str  # ISO alpha-2, M49 code or theme slug


@dataclass
class Entry:
    """What one vocabulary key stands for."""

    readings: set[Reading] = field(default_factory=set)
    equivalents: set[str] = field(default_factory=set)  # names to match as text too (translations)


@dataclass
class Term:
    """A recognised term of one query."""

    word: str  # as typed
    readings: list[Reading]  # none for a translation only (太阳能: solar)
    alternatives: list[list[str]]  # token lists, any of which matching as text matches the term
    words: list[str]  # the names matched as text besides the word as typed (Kenya for 肯尼亚)
    labels: list[str] = field(default_factory=list)  # "country: Kenya", filled by describe()


@dataclass
class Interpretation:
    terms: list[Term]
    rest: list[str]  # tokens of the other words, matched as text
    highlight: list[str]  # every token worth marking in the results

    def describe(self, names: dict[Reading, tuple[str, str | None]], zh: bool) -> None:
        for term in self.terms:
            term.labels = []
            for r in term.readings:
                name, name_zh = names.get(r, (r.code, None))
                term.labels.append(f"{FACET_LABELS[r.facet]}: {(zh and name_zh) or name}")
            if not term.readings:
                term.labels = [f"“{word}”" for word in term.words]


def _key(name: str) -> str:
    """The folded words of a name, space-joined: the form queries are looked up in."""
    return " ".join(_TOKEN.findall(fold(name)))


def _read(name: str) -> list[dict]:
    with resources.files("network.data").joinpath(name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip()]


class Vocabulary:
    def __init__(self):
        self.entries: dict[str, Entry] = {}
        self.names: dict[Reading, tuple[str, str | None]] = {}  # display names of each reading
        self.longest_cjk = 2
        self.own_names: dict[Reading, list[str]] = {}  # a place's names, matched as text with its synonyms

    def add(
        self, reading: Reading | None, recognised: Iterable[str], equivalents: Iterable[str], short: bool = False
    ) -> None:
        """Names that read as this facet value. Latin names under four letters only when `short`
        (curated: UK, USA): codes such as AND or CAN are ordinary words too. With no reading, the
        names are translations of each other only (太阳能, solar): matched as text, no facet."""
        equivalents = [e for e in equivalents if e]
        for name in recognised:
            key = _key(name)
            if len(key) < 2 or (key.isascii() and len(key) < 4 and not short):
                continue
            entry = self.entries.setdefault(key, Entry())
            if reading is not None:
                entry.readings.add(reading)
            entry.equivalents.update(equivalents)
            if _CJK_RUN.fullmatch(key):
                self.longest_cjk = max(self.longest_cjk, min(len(key), MAX_CJK_LENGTH))

    def themes(self, rows: Iterable[tuple[str, str, str | None]]) -> None:
        for slug, name, name_zh in rows:
            reading = Reading("theme", slug)
            self.names[reading] = (name, name_zh)
            self.add(reading, [name, name_zh or ""], [name, name_zh or ""])

    def interpret(self, q: str) -> Interpretation | None:
        """The recognised terms of a query and its other words, or None when nothing is recognised."""
        terms: list[Term] = []
        rest: list[str] = []
        for i, segment in enumerate(_QUOTED.split(q[:2000])):
            if i % 2:  # a quoted part: words only
                rest.append(segment)
            else:
                self._scan(segment, terms, rest)
        if not terms:
            return None
        rest_tokens = query_tokens(" ".join(rest))
        highlight = list(rest_tokens)
        for term in terms:
            highlight += [t for tokens in term.alternatives for t in tokens]
        return Interpretation(terms, rest_tokens, highlight)

    def _scan(self, segment: str, terms: list[Term], rest: list[str]) -> None:
        folded, owners = _folded_with_owners(segment)
        words = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded)]
        i = 0
        while i < len(words):
            for n in range(min(MAX_TERM_WORDS, len(words) - i), 0, -1):
                key = " ".join(w for w, _start, _end in words[i : i + n])
                if key in self.entries and len(terms) < MAX_TERMS:
                    start, end = words[i][1], words[i + n - 1][2]
                    if owners is not None:  # back to the characters as typed
                        start, end = owners[start], owners[end - 1] + 1
                    terms.append(self._term(segment[start:end], key))
                    i += n
                    break
            else:
                word = words[i][0]
                if _CJK_RUN.fullmatch(word):
                    self._scan_cjk(word, terms, rest)
                else:
                    rest.append(word)
                i += 1

    def _scan_cjk(self, run: str, terms: list[Term], rest: list[str]) -> None:
        """Longest names first, left to right; one character left between names (的, 和) is dropped."""
        found, leftover, i = False, [], 0
        while i < len(run):
            for n in range(min(self.longest_cjk, len(run) - i), 1, -1):
                if run[i : i + n] in self.entries and len(terms) < MAX_TERMS:
                    found = True
                    terms.append(self._term(run[i : i + n], run[i : i + n]))
                    rest.append("".join(leftover))
                    leftover, i = [], i + n
                    break
            else:
                leftover.append(run[i])
                i += 1
        rest.append("".join(leftover))
        if found:
            rest[:] = [w for w in rest if not (_CJK_RUN.fullmatch(w) and len(w) < 2)]

    def _term(self, word: str, key: str) -> Term:
        entry = self.entries[key]
        alternatives: list[list[str]] = []
        for name in [key, *sorted(entry.equivalents)]:
            tokens = query_tokens(name)
            if tokens and tokens not in alternatives:
                alternatives.append(tokens)
        # "solar power" finds nothing that "solar" does not: one query fewer.
        alternatives = [a for a in alternatives if not any(b != a and set(b) <= set(a) for b in alternatives)]
        words = sorted(e for e in entry.equivalents if _key(e) != key and query_tokens(e) in alternatives)
        return Term(word, sorted(entry.readings, key=lambda r: (r.facet, r.code)), alternatives, words)


@lru_cache(maxsize=1)
def _places() -> Vocabulary:
    """Countries and regions (built once per process; they change only with the reference files)."""
    vocabulary = Vocabulary()
    cldr = [Locale.parse(name).territories for name in CLDR_LOCALES]
    for row in _read("countries.csv"):
        reading = Reading("country", row["code"])
        vocabulary.names[reading] = (row["name"], row["name_zh"])
        short = [names.get(row["code"], "") for names in cldr]
        vocabulary.own_names[reading] = [row["name"], row["name_zh"], short[1]]
        vocabulary.add(reading, [row["name"], row["name_zh"], *short, *_split(row["aliases"])],
                       vocabulary.own_names[reading])  # fmt: skip
    for row in _read("regions.csv"):
        if row["level"] == "world":
            continue
        reading = Reading("region", row["code"])
        vocabulary.names[reading] = (row["name"], row["name_zh"])
        vocabulary.own_names[reading] = [row["name"], row["name_zh"]]
        vocabulary.add(reading, [row["name"], row["name_zh"]], vocabulary.own_names[reading])
    return vocabulary


@lru_cache(maxsize=8)
def vocabulary(themes: tuple[tuple[str, str, str | None], ...]) -> Vocabulary:
    """Places, the database's themes (slug, name, Chinese name) and the curated synonyms. Cached
    per theme list, so a renamed theme is read by its new name."""
    places = _places()
    combined = Vocabulary()
    combined.entries = {key: Entry(set(e.readings), set(e.equivalents)) for key, e in places.entries.items()}
    combined.names = dict(places.names)
    combined.longest_cjk = places.longest_cjk
    combined.own_names = places.own_names
    combined.themes(themes)
    slugs = {slug for slug, _name, _zh in themes}
    for row in _read("vocabulary_synonyms.csv"):
        if row["facet"] == "theme" and row["code"] not in slugs:
            continue
        reading = Reading(row["facet"], row["code"]) if row["facet"] != "text" else None
        names = _split(row["en"]) + _split(row["zh"])
        combined.add(reading, names, names + combined.own_names.get(reading, []), short=True)
    return combined


def interpret(q: str, themes: Iterable[tuple[str, str, str | None]], zh: bool = False) -> Interpretation | None:
    """The places and themes a query names (None if none), each labelled ("country: Kenya")."""
    words = vocabulary(tuple(themes))
    reading = words.interpret(q)
    if reading:
        reading.describe(words.names, zh)
    return reading


TextMatch = Callable[[list[str]], tuple[np.ndarray, np.ndarray | None]]  # tokens -> (mask, in names)
FacetMask = Callable[[Reading], np.ndarray | None]  # None: the value is not in this database


def match_terms(interpretation: Interpretation, text_match: TextMatch, facet_mask: FacetMask, size: int):
    """(mask, score) of an interpreted query. A record matches the other words as text and each
    term by text or facet. Score: 1 for matching everything as text, 1 more when in the names or
    title, and 1 per term whose facet it has: text and facet together come first."""
    mask = np.ones(size, dtype=bool)
    in_text = np.ones(size, dtype=bool)
    in_names = np.ones(size, dtype=bool)
    names_known = True
    if interpretation.rest:
        mask, names = text_match(interpretation.rest)
        in_text = mask.copy()
        names_known = names is not None
        in_names = names if names is not None else in_names
    facet_hits = np.zeros(size, dtype=np.int8)
    for term in interpretation.terms:
        term_text = np.zeros(size, dtype=bool)
        term_names = np.zeros(size, dtype=bool)
        for tokens in term.alternatives:
            found, names = text_match(tokens)
            term_text |= found
            if names is not None:
                term_names |= names
            else:
                names_known = False
        term_facet = np.zeros(size, dtype=bool)
        for reading in term.readings:
            found = facet_mask(reading)
            if found is not None:
                term_facet |= found
        mask &= term_text | term_facet
        in_text &= term_text
        in_names &= term_names
        facet_hits += term_facet
    score = (in_text & mask).astype(np.int8) + facet_hits * mask
    if names_known:
        score += (in_names & mask).astype(np.int8)
    return mask, score.astype(np.int8)
