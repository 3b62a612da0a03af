"""The version a write names (If-Match). Records themselves are found by the services' reads
(``projects.visible_project(actor, id)``…, ids and slugs through ``services/lookups.py``), which
raise NotFound and ask permissions.py."""

from flask import request
from werkzeug.exceptions import PreconditionRequired


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
