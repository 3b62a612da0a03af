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
def fold_char(char: str) -> str:
    """One character case- and accent-folded (may become zero or several characters)."""
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_EXTRA_FOLDS)


def fold(text: str) -> str:
    """São Paulo -> sao paulo; full-width forms and ligatures become plain letters."""
    return "".join(fold_char(c) for c in text)


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


def highlight(text: str | None, tokens: list[str], limit: int | None = None) -> Markup:
    """The text HTML-escaped, with every place a query token matches (accent-insensitively) marked.

    With ``limit``, a snippet of about that many characters around the first match.
    """
    if not text:
        return Markup("")
    folded_parts, owners = [], []
    for i, char in enumerate(text):
        f = fold_char(char)
        folded_parts.append(f)
        owners.extend([i] * len(f))
    folded = "".join(folded_parts)
    marked = [False] * len(text)
    words = [t for t in tokens if t]
    if words:
        pattern = re.compile("|".join(re.escape(t) for t in sorted(words, key=len, reverse=True)))
        for m in pattern.finditer(folded):
            # Latin tokens match at the start of a word only (prefix search); Chinese anywhere.
            if m.start() > 0 and not is_cjk(m.group()) and folded[m.start() - 1].isalnum():
                continue
            for j in range(m.start(), m.end()):
                marked[owners[j]] = True
    start, end = 0, len(text)
    if limit and len(text) > limit:
        first = marked.index(True) if True in marked else 0
        start = max(0, first - limit // 3)
        end = min(len(text), start + limit)
    out, run_marked, run = [], None, []

    def flush():
        if run:
            chunk = escape("".join(run))
            out.append(Markup("<mark>") + chunk + Markup("</mark>") if run_marked else chunk)

    for i in range(start, end):
        if marked[i] != run_marked:
            flush()
            run, run_marked = [], marked[i]
        run.append(text[i])
    flush()
    result = Markup("").join(out)
    if start > 0:
        result = Markup("… ") + result
    if end < len(text):
        result = result + Markup(" …")
    return result
