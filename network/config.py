"""Configuration defaults.

Order of precedence (last wins): these defaults, instance/config.py, NETWORK_* environment
variables, then the mapping a test passes to create_app().
"""

import json
import os
import secrets
from pathlib import Path


class DefaultConfig:
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled in from the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SECRET_KEY: str | None = None
    REDIS_URL: str | None = None
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host (nginx: 1). With 0
    # those headers are ignored, since any client could send them.
    PROXY_HOPS = 0
    PER_PAGE = 25
    # Anonymous visitors may read the directory (organisations, projects, initiatives, nodes).
    PUBLIC_DIRECTORY = True
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # uploads (imports) and API bodies
    API_MAX_BODY = 1024 * 1024
    IMPORT_TIMEOUT = 6 * 3600  # seconds: an import not finished this long after it was queued failed
    IMPORT_HEARTBEAT_TIMEOUT = 60  # seconds without a heartbeat: the job's consumer died
    IMPORT_MAX_ROWS = 50_000  # rows an uploaded file may have (the CLI has no limit)
    EXPORT_INLINE_ROWS = 2000  # larger exports are prepared on the job queue, then downloaded
    # Evidence files of outcome reports: kept here (default: instance/evidence), served only as downloads
    EVIDENCE_DIR: str | None = None
    EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
    EXPORT_KEEP_HOURS = 24  # a prepared export's file is deleted this long after it was written
    JOBS_QUEUE = "network"  # the queue's name (several deployments may share one Redis)
    JOBS_IMMEDIATE = False  # tests: a job runs at once, in process, when queued
    JOBS_SQLITE_PATH: str | None = None  # the queue without Redis (default: instance/jobs.sqlite3)
    JOBS_WORKERS = 2  # jobs one consumer runs at once
    JOBS_RETRY_DELAY = 60  # seconds before a failed job is tried again
    LOGIN_RATE_LIMIT = "10 per minute"  # per address
    LOGIN_ACCOUNT_RATE_LIMIT = "20 per hour"  # failed logins per account, from any address
    API_RATE_LIMIT = "600 per minute"
    TOKEN_LAST_USED_INTERVAL = 300  # seconds: an API token's last use is written at most this often
    CORS_ORIGINS: list[str] = []
    MAIL_BACKEND = "outbox"  # "outbox" writes to instance/outbox and the log; "smtp" sends
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_SENDER = "network@localhost"
    INVITATION_MAX_AGE = 7 * 24 * 3600
    DIGEST_HOUR = 7  # the daily digest of notices is mailed at this hour (the job consumer's clock)
    MEMBERSHIP_ENDING_NOTICE_DAYS = 30  # coordinators are told of a membership ending this many days ahead
    RESET_MAX_AGE = 2 * 3600
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ["en", "zh"]
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SECURE_COOKIES = False  # production: set NETWORK_SECURE_COOKIES=true behind HTTPS
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session


# Environment variables that override settings: NETWORK_<NAME> -> <NAME>.
# Values are parsed as JSON when they parse (true, 20, ["a"]), otherwise taken as strings.
ENV_ALIASES = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}


def environment_overrides(environ=os.environ) -> dict:
    overrides = {}
    for key, raw in environ.items():
        if not key.startswith("NETWORK_") or key.startswith("NETWORK_TEST_"):
            continue
        name = key.removeprefix("NETWORK_")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        overrides[ENV_ALIASES.get(name, name)] = value
    return overrides


def instance_secret_key(instance_path: str) -> str:
    """A key generated once into the instance folder, so no key is ever written in code."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "network.sqlite3")
