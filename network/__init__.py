"""network: a directory and collaboration CRM for civil-society networks."""

import logging
import os

from flask import Flask
from flask.logging import default_handler
from werkzeug.middleware.proxy_fix import ProxyFix

from network.config import DefaultConfig, environment_overrides, instance_secret_key, sqlite_url


def create_app(test_config: dict | None = None) -> Flask:
    # Tests and deployments may keep the instance folder (config, SQLite file, outbox) elsewhere.
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("NETWORK_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(environment_overrides())
    if test_config:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = sqlite_url(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)

    if app.config["PROXY_HOPS"]:
        # Trust this many proxies' X-Forwarded-* headers, so remote_addr (rate limits, session
        # binding), the scheme and the host are the client's, not the proxy's.
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    register_extensions(app)
    register_blueprints(app)

    from network import cli, tasks, web

    web.init_app(app)
    cli.init_app(app)
    tasks.init_app(app)
    return app


def register_extensions(app: Flask) -> None:
    from network import database
    from network.extensions import babel, csrf, db, limiter, login_manager, migrate
    from network.services import audit  # noqa: F401  (registers the session hooks)

    database.configure(app)
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(__file__), "..", "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        # A Redis that stops answering must not hold requests: fail fast, fall back to memory.
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    if not logging.getLogger().handlers and default_handler not in limiter.logger.handlers:
        # Flask-Limiter logs to its own logger, which has only a NullHandler: with no root handler
        # (gunicorn sets none) "storage unreachable, falling back to memory" would be lost.
        limiter.logger.addHandler(default_handler)
        limiter.logger.setLevel(logging.INFO)  # "Rate limit storage recovered" too
    from network.web import select_locale

    babel.init_app(app, locale_selector=select_locale)


def register_blueprints(app: Flask) -> None:
    from network import (
        activity,
        admin,
        api,
        auth,
        directory,
        events,
        exports,
        graph,
        health,
        imports,
        initiatives,
        mailings,
        main,
        memberships,
        moderation,
        notifications,
        organizations,
        partnerships,
        people,
        projects,
    )  # fmt: skip

    for feature in (main, auth, directory, organizations, moderation, memberships, people, partnerships, projects,
                    initiatives, events, mailings, activity, graph, notifications, imports, exports, admin,
                    health):  # fmt: skip
        app.register_blueprint(feature.bp)
    api.init_app(app)
