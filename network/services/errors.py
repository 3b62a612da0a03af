"""Kept so that older imports work: the error types live in ``network.errors``."""

from network.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationError

__all__ = ["Conflict", "NotFound", "PermissionDenied", "ServiceError", "ValidationError"]
