"""Finding the record a URL or a request body names, by id or by slug: a malformed or out-of-range
reference names nothing and never reaches the database (ids are 32-bit columns; PostgreSQL refuses
NUL in a query). These answer None; the services' reads (``visible_project``…) raise their own
NotFound and ask permissions.py."""

from flask_babel import gettext as _
from sqlalchemy import select

from network.errors import ValidationError
from network.extensions import db
from network.models import Network, Organization

# The largest id an INTEGER column holds: a larger one finds nothing (PostgreSQL would refuse it).
MAX_ID = 2**31 - 1

MAX_SLUG = 200


def by_id(model, ident: int | None):
    return db.session.get(model, ident) if isinstance(ident, int) and 0 < ident <= MAX_ID else None


def by_ref(model, ref: str):
    """By stable integer id, or by slug."""
    if ref.isascii() and ref.isdigit():
        return by_id(model, int(ref)) if len(ref) < 12 else None
    if len(ref) > MAX_SLUG or any(ord(c) < 32 for c in ref):
        return None
    return db.session.scalar(select(model).where(model.slug == ref))


def _no_such(model) -> str:
    return {Organization: _("No such organisation."), Network: _("No such network node.")}[model]


def named_in_field(model, ident: int | str | None, field: str):
    """A record a request body names by id (or by id or slug, given a string; None when it names
    none): one that does not exist is invalid input on that field (422), not a missing page."""
    if ident is None:
        return None
    record = by_ref(model, ident) if isinstance(ident, str) else by_id(model, ident)
    if record is None:
        raise ValidationError({field: [_no_such(model)]})
    return record
