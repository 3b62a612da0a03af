"""Personal API tokens: created on the profile page, shown once, stored only as a hash.

A token reads ``net_<prefix>_<secret>``. The short prefix is stored in clear so people can tell
their tokens apart; only the SHA-256 of the whole token is stored, so a database leak reveals
no usable token. SHA-256 (not a slow password hash) is right here: the secret is 256 random bits,
so there is nothing to brute-force, and every API request must check it quickly.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError

from network import database, permissions
from network.errors import NotFound, PermissionDenied, ValidationError
from network.extensions import db
from network.models import ApiToken, User, utcnow
from network.models.user import TOKEN_SCOPES
from network.services import operation
from network.services.lookups import MAX_ID

TOKEN_MARKER = "net"  # noqa: S105  (a public marker, not a secret)
# Expiry choices the profile page offers (days; None = never expires).
EXPIRY_DAYS = (30, 90, 365, None)
MAX_EXPIRY_DAYS = 366
# Seconds the last-use write waits for a lock: it is bookkeeping, not worth holding up a request.
LAST_USED_WAIT = 0.25


@dataclass
class CreatedToken:
    token: ApiToken
    secret: str  # the full token text, shown to its owner exactly once


def hash_token(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@operation
def create_token(actor: User, name: str, scope: str = "read", expires_in_days: int | None = 90) -> CreatedToken:
    if not permissions.can(actor, "account.tokens"):
        raise PermissionDenied(_("Sign in to create API tokens."))
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the token a name, e.g. the system that will use it.")]
    elif len(name) > 100:
        errors["name"] = [_("At most 100 characters.")]
    if scope not in TOKEN_SCOPES:
        errors["scope"] = [_("Choose read or read-write.")]
    if expires_in_days is not None and not (
        isinstance(expires_in_days, int) and 1 <= expires_in_days <= MAX_EXPIRY_DAYS
    ):
        errors["expires_in_days"] = [_("Between 1 and %(n)d days, or never.", n=MAX_EXPIRY_DAYS)]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_MARKER}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        user_id=actor.id,
        name=name,
        prefix=prefix,
        token_hash=hash_token(secret),
        scope=scope,
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(token)
    return CreatedToken(token, secret)


def list_tokens(actor: User) -> list[ApiToken]:
    """The actor's own tokens, newest first (revoked ones too, so the history stays visible)."""
    if not permissions.can(actor, "account.tokens"):
        return []
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == actor.id).order_by(ApiToken.id.desc())))


@operation
def revoke_token(actor: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    # Another user's token is "not found", so ids of others' tokens are not confirmed.
    if token is None or not permissions.can(actor, "token.revoke", token):
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def is_usable(token: ApiToken, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        token.revoked_at is None
        and (token.expires_at is None or token.expires_at > now)
        and token.user is not None
        and token.user.is_active
    )


def authenticate(text: str | None) -> ApiToken | None:
    """The usable token this text is, or None (unknown, malformed, revoked, expired, user inactive).

    Only reads: the caller records the use with ``record_use`` once its own transaction has ended.
    """
    if not text or len(text) > 200 or not text.startswith(TOKEN_MARKER + "_"):
        return None
    digest = hash_token(text)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup is by hash; compare again in constant time for good measure.
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if not is_usable(token):
        return None
    return token


def record_use(token_id: int, last_used_at: datetime | None, now: datetime | None = None) -> bool:
    """Write a token's last use when TOKEN_LAST_USED_INTERVAL seconds have passed since the one
    recorded (`last_used_at`, as read when it authenticated); whether it was written.

    Its own short transaction on its own connection, never the caller's: a read-only API call does
    not take SQLite's write lock for it, and a lock held elsewhere makes it give up after
    LAST_USED_WAIT seconds (logged) instead of failing or stalling the request.
    """
    now = now or utcnow()
    due = now - timedelta(seconds=current_app.config["TOKEN_LAST_USED_INTERVAL"])
    if last_used_at is not None and last_used_at > due:
        return False
    try:
        with database.side_transaction(LAST_USED_WAIT) as conn:
            # Another worker may have written it meanwhile: only a use older than the interval is replaced.
            written = conn.execute(
                update(ApiToken)
                .where(ApiToken.id == token_id, or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= due))
                .values(last_used_at=now)
            ).rowcount
    except DBAPIError as exc:
        current_app.logger.warning("Last use of API token %s not recorded: %s", token_id, exc.orig)
        return False
    return bool(written)


def allows_writes(token: ApiToken | None) -> bool:
    return token is not None and token.scope == "read-write"
