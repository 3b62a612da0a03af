"""Errors that services raise; views map them to pages and the API to problem+json.

They sit below both the services and `network/permissions.py`, which raises PermissionDenied.
A default message is translated when the error is made (in the request's language; outside a
request, as in a CLI command, in the default one).
"""

from flask_babel import gettext as _


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, message: str | None = None):
        super().__init__(message or self.title)
        self.message = message or self.title


class ValidationError(ServiceError):
    """Per-field messages: {"name": ["Required."], …}; "" holds messages about the whole record."""

    status = 422
    title = "Invalid input"

    def __init__(self, errors: dict[str, list[str]] | str, message: str | None = None):
        if isinstance(errors, str):
            errors = {"": [errors]}
        self.errors = errors
        first = next((msgs[0] for msgs in errors.values() if msgs), None)
        super().__init__(message or first or self.title)


class PermissionDenied(ServiceError):
    status = 403
    title = "Forbidden"


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Conflict(ServiceError):
    """Someone else saved the record since it was read.

    ``current`` holds the record's values now, ``submitted`` what the caller tried to save.
    """

    status = 409
    title = "Edit conflict"

    def __init__(
        self,
        message: str | None = None,
        *,
        current: dict | None = None,
        submitted: dict | None = None,
        current_version: int | None = None,
    ):
        super().__init__(message or _("This record was changed by someone else after you opened it."))
        self.current = current or {}
        self.submitted = submitted or {}
        self.current_version = current_version
