"""Errors as RFC 9457 ``application/problem+json``.

Every API error has ``type``, ``title``, ``status`` and usually ``detail``; invalid input adds
``errors``: one entry per problem, each with the ``field``, a JSON ``pointer`` into the request
body (or the query parameter's name), where it was (``body``, ``query``, ``header``) and ``detail``.
"""

import json
import re

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import Forbidden, HTTPException, Unauthorized

from network.errors import Conflict, PermissionDenied, ServiceError, ValidationError
from network.extensions import db
from network.web import DATABASE_RETRY_AFTER, database_unavailable, render_database_error

PROBLEM_JSON = "application/problem+json"
# webargs locations -> the names problem details use
LOCATIONS = {"json": "body", "query": "query", "querystring": "query", "headers": "header", "view_args": "path"}


class AuthenticationRequired(Unauthorized):
    """401 with the RFC 6750 ``WWW-Authenticate: Bearer`` challenge."""

    def __init__(self, description: str, error: str | None = None):
        super().__init__(description)
        self.bearer_error = error


class InsufficientScope(Forbidden):
    """403 for a valid token whose scope does not allow the request (RFC 6750, section 3.1)."""

    bearer_error = "insufficient_scope"


# Titles in the client's language (Accept-Language, or the token owner's choice); clients should
# act on `status` and `type`, which never change with the language.
TITLES = {
    "Bad request": _l("Bad request"), "Bad Request": _l("Bad request"), "Invalid input": _l("Invalid input"),
    "Unprocessable Entity": _l("Invalid input"), "Forbidden": _l("Forbidden"), "Not found": _l("Not found"),
    "Not Found": _l("Not found"), "Edit conflict": _l("Edit conflict"), "Conflict": _l("Edit conflict"),
    "Precondition failed": _l("Precondition failed"), "Precondition Required": _l("Precondition required"),
    "Unauthorized": _l("Unauthorized"), "Service unavailable": _l("Service unavailable"),
    "Server error": _l("Server error"), "Method Not Allowed": _l("Method not allowed"),
    "Too Many Requests": _l("Too many requests"), "Request Entity Too Large": _l("Request too large"),
    "Unsupported Media Type": _l("Unsupported media type"),
}  # fmt: skip


def problem(status: int, title: str, detail: str | None = None, *, errors=None, headers=None, **extra):
    body: dict = {"type": "about:blank", "title": str(TITLES.get(title, title)), "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = current_app.response_class(json.dumps(body, default=str), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# marshmallow's own messages (type checks before our services see a value), in the client's language.
FIELD_MESSAGES = {
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Invalid value.": _l("Invalid value."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Not a valid number.": _l("Not a valid number."),
    "Number too large.": _l("Number too large."),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid datetime.": _l("Not a valid date and time."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid email address.": _l("Not a valid email address."),
    "Not a valid URL.": _l("Not a valid URL."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid mapping type.": _l("Not a valid object."),
    "Invalid type.": _l("Invalid type."),
    "Invalid input type.": _l("Invalid input type."),
    "Unknown field.": _l("Unknown field."),
}
ONE_OF = re.compile(r"^Must be one of: (.*)\.$")
LENGTH = re.compile(r"^Length must be between (\d+) and (\d+)\.$")
RANGE = re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$")


def translated(message: str) -> str:
    if message in FIELD_MESSAGES:
        return str(FIELD_MESSAGES[message])
    if found := ONE_OF.match(message):
        return _("Must be one of: %(choices)s.", choices=found.group(1))
    if found := LENGTH.match(message):
        return _("Length must be between %(min)s and %(max)s.", min=found.group(1), max=found.group(2))
    if found := RANGE.match(message):
        return _("Must be between %(min)s and %(max)s.", min=found.group(1), max=found.group(2))
    return message


def field_errors(messages, location: str = "body", pointer: str = "") -> list[dict]:
    """Flatten marshmallow/webargs/service messages ({"a": {"0": ["…"]}}) into problem entries."""
    if isinstance(messages, dict):
        entries = []
        for key, value in messages.items():
            if key in LOCATIONS and not pointer:  # webargs nests by location first
                entries += field_errors(value, LOCATIONS[key], "")
            else:
                entries += field_errors(value, location, f"{pointer}/{key}" if key != "" else pointer)
        return entries
    if isinstance(messages, list | tuple) and messages and all(isinstance(m, str) for m in messages):
        field = pointer.lstrip("/").replace("/", ".")
        return [{"field": field, "pointer": pointer, "location": location, "detail": translated(m)} for m in messages]
    if isinstance(messages, list | tuple):
        return [e for i, m in enumerate(messages) for e in field_errors(m, location, f"{pointer}/{i}")]
    return [{"field": pointer.lstrip("/"), "pointer": pointer, "location": location, "detail": str(messages)}]


def render_http_error(error: HTTPException):
    db.session.rollback()
    status = error.code or 500
    headers = {}
    data = getattr(error, "data", None) or {}  # webargs' abort() puts its messages here
    errors = field_errors(data["messages"]) if "messages" in data else None
    detail = error.description
    if status == 400 and errors:
        detail, errors = _("The request body is not valid JSON."), None
    elif status == 422 and errors:
        detail = _("Some values are invalid; see errors.")
    if isinstance(error, AuthenticationRequired | InsufficientScope):
        challenge = 'Bearer realm="api"'
        if error.bearer_error:
            challenge += f', error="{error.bearer_error}"'
        headers["WWW-Authenticate"] = challenge
    if getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem(status, error.name, detail, errors=errors, headers=headers)


def render_service_error(error: ServiceError):
    db.session.rollback()
    if isinstance(error, ValidationError):
        return problem(422, error.title, error.message, errors=field_errors(error.errors))
    if isinstance(error, PermissionDenied) and isinstance(g.get("api_actor"), AnonymousUserMixin):
        return problem(
            401, "Unauthorized", _("Send a valid API token."), headers={"WWW-Authenticate": 'Bearer realm="api"'}
        )
    if isinstance(error, Conflict):
        # A stale version the client sent in If-Match is a failed precondition; anything else a conflict.
        status = 412 if request.headers.get("If-Match") and error.current_version is not None else 409
        title = "Precondition failed" if status == 412 else error.title
        return problem(status, title, error.message, current_version=error.current_version)
    return problem(error.status, error.title, error.message)


def render_database_unavailable(error: Exception):
    """503 with Retry-After: the database did not answer (network.web.render_database_error)."""
    return problem(
        503,
        "Service unavailable",
        _("The database is not answering at the moment; try again later."),
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def render_unexpected_error(error: Exception):
    if database_unavailable(error):  # the API blueprints' catch-all comes before the app's handler
        return render_database_error(error)
    db.session.rollback()
    current_app.logger.exception("Unhandled API error on %s %s", request.method, request.path)
    if current_app.testing and current_app.config.get("PROPAGATE_UNEXPECTED_ERRORS", True):
        raise error
    return problem(500, "Server error", _("Something went wrong on our side. It has been logged."))
