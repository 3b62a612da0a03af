"""Address names (slugs) of every record type that has one: organisations, initiatives.

One rule everywhere: ASCII, lower case, words joined by hyphens; Chinese characters become pinyin
("绿色货运联盟" -> "lu-se-huo-yun-lian-meng"), accents fold ("São Paulo" -> "sao-paulo").
"""

import re
import unicodedata

from pypinyin import lazy_pinyin
from sqlalchemy import or_, select

from network.extensions import db

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def slugify(text: str, *, fallback: str, max_length: int = 100) -> str:
    """The slug of ``text``; ``fallback`` when nothing of it is left (only punctuation, say)."""
    text = text or ""
    if HAN.search(text):
        text = " ".join(lazy_pinyin(text, errors="default", v_to_u=True))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or fallback


def unique_slug(column, text: str, *, fallback: str, max_length: int = 100) -> str:
    """A slug for ``text`` not yet taken in ``column`` (such as ``Organization.slug``): the plain
    one, else the first free "-2", "-3", …"""
    base = slugify(text, fallback=fallback, max_length=max_length)
    taken = set(db.session.scalars(select(column).where(or_(column == base, column.like(base + "-%")))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
