"""Keyset pagination: a page of rows newest first, and a cursor naming where the next (older) page starts.

A page reads its index in order from the cursor and stops after one row more than it shows (to
know whether there is an older page), so the 1,000th page costs what the first does, however long
the table. The cursor is the last row's (time, id); "?before=<microseconds since 1970>.<id>".
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import tuple_

PER_PAGE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ID = 2**63 - 1


@dataclass
class Page:
    items: list
    older: str | None  # the cursor of the next, older page; None on the last page
    first: bool  # this is the newest page (no cursor was given)


def encode(at: datetime, id_: int) -> str:
    return f"{(at - EPOCH) // timedelta(microseconds=1)}.{id_}"


def decode(cursor: str | None) -> tuple[datetime, int] | None:
    """The (time, id) of a cursor; None (the first page) for a missing or malformed one."""
    if not cursor or len(cursor) > 40:
        return None
    micros, _, id_ = cursor.partition(".")
    if not (micros.isascii() and micros.isdigit() and id_.isascii() and id_.isdigit()):
        return None
    try:
        at = EPOCH + timedelta(microseconds=int(micros))
    except OverflowError:
        return None
    if at.year > 9000 or int(id_) > MAX_ID:
        return None
    return at, int(id_)


def older_than(query, at_column, id_column, cursor: str | None):
    """The query's rows before the cursor (all of them without one)."""
    after = decode(cursor)
    if after is None:
        return query
    # A row value: an index on (…, at, id) seeks straight to it (both SQLite and PostgreSQL).
    return query.where(tuple_(at_column, id_column) < tuple_(*after))


def keyset(query, at_column, id_column, cursor: str | None, per_page: int = PER_PAGE):
    """The query ordered newest first from the cursor, one row more than a page (see page())."""
    query = older_than(query, at_column, id_column, cursor)
    return query.order_by(at_column.desc(), id_column.desc()).limit(per_page + 1)


def page(rows: list, at_of, cursor: str | None, per_page: int = PER_PAGE) -> Page:
    """The page of rows fetched by keyset(): the extra row only tells there is an older page."""
    items = rows[:per_page]
    older = encode(at_of(items[-1]), items[-1].id) if len(rows) > per_page else None
    return Page(items=items, older=older, first=decode(cursor) is None)
