"""Saved searches: a user's named directory queries, each shareable by a link with a token."""

import secrets
from urllib.parse import parse_qsl, urlencode

from flask_babel import gettext as _
from sqlalchemy import select

from network import permissions
from network.extensions import db
from network.models import SavedSearch
from network.services import NotFound, PermissionDenied, ValidationError, operation
from network.services.lookups import MAX_ID
from network.services.search.params import parse_search_params


def normalised_query(query_string: str) -> str:
    """The query string as the directory would write it (unknown and default values dropped)."""
    from werkzeug.datastructures import MultiDict

    params = parse_search_params(MultiDict(parse_qsl(query_string, keep_blank_values=False)))
    return urlencode(params.args(page=1), doseq=True)


@operation
def save_search(actor, name: str, query_string: str) -> SavedSearch:
    permissions.require(actor, "search.save")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the search a name.")]})
    if len(name) > 120:
        raise ValidationError({"name": [_("At most 120 characters.")]})
    saved = SavedSearch(
        user_id=actor.id, name=name, query=normalised_query(query_string), share_token=secrets.token_hex(16)
    )
    db.session.add(saved)
    return saved


@operation
def delete_saved_search(actor, saved_id: int) -> None:
    saved = db.session.get(SavedSearch, saved_id) if 0 < saved_id <= MAX_ID else None
    if saved is None:
        raise NotFound(_("No such saved search."))
    if not permissions.can(actor, "saved_search.delete", saved):
        raise PermissionDenied(_("Only its owner may delete a saved search."))
    db.session.delete(saved)


def saved_searches(actor) -> list[SavedSearch]:
    permissions.require(actor, "search.save")
    return list(
        db.session.scalars(select(SavedSearch).where(SavedSearch.user_id == actor.id).order_by(SavedSearch.name))
    )


def shared_search(token: str) -> SavedSearch:
    """A saved search by its share token (anyone with the link may open the search)."""
    saved = db.session.scalar(select(SavedSearch).where(SavedSearch.share_token == (token or "")[:64]))
    if saved is None:
        raise NotFound(_("This shared search link is not valid."))
    return saved
