"""``/healthz`` for load balancers: 200 when the database and Redis answer and the schema is current.

Unauthenticated, so it names only the checks that failed: no versions, hosts or error texts.
"""

import functools

import redis
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from network.extensions import db, limiter

bp = Blueprint("health", __name__)


@functools.cache
def migration_heads(directory: str) -> frozenset[str]:
    """The revisions the code expects (read once: the scripts change only with a new release)."""
    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_failures() -> list[str]:
    try:
        connection = db.session.connection()
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        current_app.logger.warning("Health check: the database does not answer: %s", getattr(error, "orig", error))
        return ["database"]
    if current != migration_heads(current_app.extensions["migrate"].directory):
        current_app.logger.warning("Health check: the database is not at the migrations' head (run flask db upgrade)")
        return ["migrations"]
    return []


def redis_failures() -> list[str]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return []
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as client:
            client.ping()
    except redis.RedisError as error:
        current_app.logger.warning("Health check: Redis does not answer: %s", error)
        return ["redis"]
    return []


@bp.get("/healthz")
@limiter.exempt
def healthz():
    failed = database_failures() + redis_failures()
    if failed:
        return jsonify(status="unavailable", failed=failed), 503
    return jsonify(status="ok")
