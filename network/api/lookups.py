"""Finding the record a URL or a body names: 404 (or a field error) instead of a database error."""

from flask import request
from sqlalchemy import select
from werkzeug.exceptions import PreconditionRequired

from network.errors import NotFound, ValidationError
from network.extensions import db

# Ids are 32-bit integers on PostgreSQL; larger numbers name nothing (and must not reach the database).
MAX_ID = 2**31 - 1


def find(model, ident: int | None, what: str = "record"):
    obj = db.session.get(model, ident) if ident is not None and 0 < ident <= MAX_ID else None
    if obj is None:
        raise NotFound(f"No such {what}.")
    return obj


def find_by_ref(model, ref: str, what: str = "record"):
    """By stable integer id, or by slug."""
    if ref.isascii() and ref.isdigit():
        return find(model, int(ref), what)
    obj = db.session.scalar(select(model).where(model.slug == ref)) if len(ref) <= 200 else None
    if obj is None:
        raise NotFound(f"No such {what}.")
    return obj


def find_for_field(model, ident: int | None, field: str, what: str):
    """A record named in the request body: a missing one is invalid input on that field (422)."""
    if ident is None:
        return None
    try:
        return find(model, ident, what)
    except NotFound:
        raise ValidationError({field: [f"No such {what}."]}) from None


def if_match_version(obj) -> int:
    """The version the client says it read (If-Match: "<version>"); the service compares it.

    Missing: 428. "*" matches whatever is stored. Anything unreadable can never match, so the
    service answers with a conflict (412).
    """
    if not request.headers.get("If-Match"):
        raise PreconditionRequired("Send If-Match with the ETag you read, so no one's change is overwritten.")
    if request.if_match.star_tag:
        return obj.version
    for tag in request.if_match.as_set(include_weak=False):
        if tag and tag.isascii() and tag.isdigit() and len(tag) < 10:
            return int(tag)
    return -1
