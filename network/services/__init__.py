"""Business logic shared by the web pages, the JSON API and the CLI.

Every write is an ``@operation``: it checks permission first, validates, changes models and
flushes. It never commits; the request (or CLI command) commits once. If it raises, everything
it changed is rolled back to the savepoint it started from, so nothing is half-saved.
"""

import functools

from flask import g
from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from network.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationError
from network.extensions import db
from network.models.base import Versioned

_UNSET = object()
__all__ = ["Conflict", "NotFound", "PermissionDenied", "ServiceError", "ValidationError", "operation"]


VERSIONS_READ = "versions_read"


@event.listens_for(Session, "before_flush")
def remember_versions_read(session: Session, flush_context, instances) -> None:
    """The versions the records being saved were read at: a failed flush expires them."""
    session.info[VERSIONS_READ] = [
        (type(obj), inspect(obj).identity, inspect(obj).dict.get("version"))
        for obj in session.dirty
        if isinstance(obj, Versioned)
    ]


@event.listens_for(Session, "after_flush_postexec")
def forget_versions_read(session: Session, flush_context) -> None:
    session.info.pop(VERSIONS_READ, None)


def _stored_version(model, identity) -> int | None:
    return db.session.scalar(select(model.version).where(model.id == identity[0]))


def operation(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        # The actor (first argument) is who the audit rows name, even outside a request (CLI, tests).
        actor = args[0] if args else kwargs.get("actor")
        previous_actor = g.get("actor_id", _UNSET)
        if getattr(actor, "is_authenticated", False) and getattr(actor, "id", None) is not None:
            g.actor_id = actor.id
        savepoint = db.session.begin_nested()
        try:
            result = func(*args, **kwargs)
            db.session.flush()
        except StaleDataError as exc:
            savepoint.rollback()
            raise Conflict() from exc
        except IntegrityError as exc:
            savepoint.rollback()
            # A race past the service's own checks (two imports creating the same slug, …).
            raise Conflict(_("The change clashes with data saved at the same time; please try again.")) from exc
        except OperationalError as exc:
            # SQLite "database is locked": another connection wrote since this transaction read (any
            # record), or held the lock past the busy timeout. A Conflict only if a record being
            # saved was itself edited since; otherwise the error stands (the request says "try again").
            if "locked" not in str(exc.orig).lower():
                if savepoint.is_active:
                    savepoint.rollback()
                raise
            read = db.session.info.pop(VERSIONS_READ, [])
            db.session.rollback()  # the transaction's snapshot is stale: only a new one can write
            if any(_stored_version(model, key) != version for model, key, version in read if version is not None):
                raise Conflict() from exc
            raise
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
        finally:
            if previous_actor is _UNSET:
                g.pop("actor_id", None)
            else:
                g.actor_id = previous_actor
        savepoint.commit()
        return result

    return wrapper
