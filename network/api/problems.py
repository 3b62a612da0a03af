"""Errors as RFC 9457 ``application/problem+json``.

Every API error has ``type``, ``title``, ``status`` and usually ``detail``; invalid input adds
``errors``: one entry per problem, each with the ``field``, a JSON ``pointer`` into the request
body (or the query parameter's name), where it was (``body``, ``query``, ``header``) and ``detail``.
"""

import json

from flask import current_app, g, request
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


def problem(status: int, title: str, detail: str | None = None, *, errors=None, headers=None, **extra):
    body: dict = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = current_app.response_class(json.dumps(body, default=str), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


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
        return [{"field": field, "pointer": pointer, "location": location, "detail": m} for m in messages]
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
        detail, errors = "The request body is not valid JSON.", None
    elif status == 422 and errors:
        detail = "Some values are invalid; see errors."
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
            401, "Unauthorized", "Send a valid API token.", headers={"WWW-Authenticate": 'Bearer realm="api"'}
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
        "The database is not answering at the moment; try again later.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def render_unexpected_error(error: Exception):
    if database_unavailable(error):  # the API blueprints' catch-all comes before the app's handler
        return render_database_error(error)
    db.session.rollback()
    current_app.logger.exception("Unhandled API error on %s %s", request.method, request.path)
    if current_app.testing and current_app.config.get("PROPAGATE_UNEXPECTED_ERRORS", True):
        raise error
    return problem(500, "Server error", "Something went wrong on our side. It has been logged.")
