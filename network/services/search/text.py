"""Text normalisation shared by indexing and querying, so both backends see the same tokens.

Python, not the database, decides what a token is: text is case-folded and accent-folded, Chinese
runs become overlapping two-character words plus their pinyin, and everything else is split on
non-word characters. SQLite FTS5 and PostgreSQL tsvector then only store and match these tokens.
"""

import re
import unicodedata
from functools import lru_cache

from markupsafe import Markup, escape
from pypinyin import Style, lazy_pinyin

MAX_QUERY_TOKENS = 12
MAX_TOKEN_LENGTH = 64

# Letters that Unicode decomposition leaves alone but people type without the mark.
_EXTRA_FOLDS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ł": "l", "ð": "d", "þ": "th", "ı": "i"})
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_TOKEN = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+")


@lru_cache(maxsize=4096)
@lru_cache(maxsize=16384)  # the characters texts use; folding one through unicodedata costs ~1 µs
def fold_char(char: str) -> str:
    """One character case- and accent-folded (may become zero or several characters)."""
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_EXTRA_FOLDS)


def fold(text: str) -> str:
    """São Paulo -> sao paulo; full-width forms and ligatures become plain letters."""
    if text.isascii():
        return text.lower()
    return "".join(fold_char(c) for c in text)


def words_of_folded(folded: str) -> list[str]:
    """The word tokens of already folded text (Chinese runs kept whole)."""
    return _TOKEN.findall(folded)


def cjk_words(run: str) -> list[str]:
    """Overlapping two-character words of a Chinese run, and its last character alone, so a one-
    character query (a prefix of the bigrams) finds every position."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def pinyin_words(run: str) -> list[str]:
    """满帮集团 -> man, bang, ji, tuan, manbang, bangji, jituan, manbangjituan: as people type it."""
    syllables = [s for s in lazy_pinyin(run, style=Style.NORMAL, errors="ignore", v_to_u=False) if s.isascii()]
    if not syllables:
        return []
    if len(syllables) == 1:
        return syllables
    pairs = [a + b for a, b in zip(syllables, syllables[1:], strict=False)]
    return [*syllables, *pairs, "".join(syllables)]


def index_tokens(*texts: str | None) -> list[str]:
    """Every token under which a document is found (order kept, duplicates removed)."""
    tokens: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        for match in _TOKEN.finditer(fold(text)):
            word = match.group()
            if _CJK_RUN.fullmatch(word):
                for token in cjk_words(word) + pinyin_words(word):
                    tokens[token] = None
            else:
                tokens[word[:MAX_TOKEN_LENGTH]] = None
    return list(tokens)


def query_tokens(q: str) -> list[str]:
    """The words of a query, each matched as a prefix; FTS syntax characters are just separators."""
    tokens: dict[str, None] = {}
    for match in _TOKEN.finditer(fold(q[:2000])):
        word = match.group()
        if _CJK_RUN.fullmatch(word):
            for token in cjk_words(word)[:-1] if len(word) > 1 else [word]:
                tokens[token] = None
        else:
            tokens[word[:MAX_TOKEN_LENGTH]] = None
        if len(tokens) >= MAX_QUERY_TOKENS:
            break
    return list(tokens)[:MAX_QUERY_TOKENS]


def is_cjk(token: str) -> bool:
    return bool(_CJK_RUN.fullmatch(token))


def highlight_pattern(tokens: list[str]) -> re.Pattern | None:
    """One regular expression for all query tokens (longest first), compiled once per search."""
    words = sorted({t for t in tokens if t}, key=len, reverse=True)
    return re.compile("|".join(re.escape(t) for t in words)) if words else None


def _folded_with_owners(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, unless it is plain ASCII (same length), each folded char's source index."""
    if text.isascii():
        return text.lower(), None
    parts, owners = [], []
    for i, char in enumerate(text):
        f = fold_char(char)
        parts.append(f)
        owners.extend([i] * len(f))
    return "".join(parts), owners


def highlight(text: str | None, tokens: list[str] | re.Pattern | None, limit: int | None = None) -> Markup:
    """The text HTML-escaped, with every place a query token matches (accent-insensitively) marked.

    With ``limit``, a snippet of about that many characters around the first match.
    """
    if not text:
        return Markup("")
    pattern = tokens if isinstance(tokens, re.Pattern) or tokens is None else highlight_pattern(tokens)
    if limit:
        text = text[:4000]
    spans: list[tuple[int, int]] = []
    if pattern is not None:
        folded, owners = _folded_with_owners(text)
        for m in pattern.finditer(folded):
            # Latin tokens match at the start of a word only (prefix search); Chinese anywhere.
            if m.start() > 0 and folded[m.start() - 1].isalnum() and not is_cjk(m.group()[0]):
                continue
            start, end = (m.start(), m.end()) if owners is None else (owners[m.start()], owners[m.end() - 1] + 1)
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((start, end))
    begin, finish = 0, len(text)
    if limit and len(text) > limit:
        first = spans[0][0] if spans else 0
        begin = max(0, first - limit // 3)
        finish = min(len(text), begin + limit)
    out, position = [], begin
    for start, end in spans:
        if end <= begin or start >= finish:
            continue
        start, end = max(start, begin), min(end, finish)
        out.append(escape(text[position:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        position = end
    out.append(escape(text[position:finish]))
    result = Markup("").join(out)
    if begin > 0:
        result = Markup("… ") + result
    if finish < len(text):
        result = result + Markup(" …")
    return result
