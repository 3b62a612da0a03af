"""What every API resource shares: token authentication, limits, CORS, errors, pages, ETags.

Authentication: only ``Authorization: Bearer <token>``. The API ignores the session cookie, so a
page on another site cannot make a signed-in browser write through it: that is why the API
blueprints are exempt from CSRF while every cookie-authenticated form keeps its CSRF check.
"""

from flask import abort, current_app, g, request, url_for
from flask_login import AnonymousUserMixin
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from network.api import problems
from network.errors import ServiceError
from network.extensions import csrf, db, limiter
from network.request_input import BodyParser
from network.services import tokens

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_PER_PAGE = 100


def rate_limit_key() -> str:
    """Per token when one is sent (several clients behind one address), else per address."""
    header = request.headers.get("Authorization", "")
    if header:
        return "token:" + tokens.hash_token(header)[:32]
    return "ip:" + (request.remote_addr or "unknown")


def make_blueprint(name: str, description: str) -> Blueprint:
    """A resource blueprint under /api/v1 with the API's auth, limits, CORS and problem errors."""
    bp = Blueprint(name, __name__, url_prefix="/api/v1", description=description)
    bp.ARGUMENTS_PARSER = BodyParser()  # a body too deep or not valid Unicode is a 400, not a 500
    bp.before_request(authenticate_request)
    bp.after_request(add_cors_headers)
    bp.after_request(answer_conditional_reads)
    bp.teardown_request(record_token_use)
    bp.register_error_handler(HTTPException, problems.render_http_error)
    bp.register_error_handler(ServiceError, problems.render_service_error)
    bp.register_error_handler(Exception, problems.render_unexpected_error)
    csrf.exempt(bp)
    limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(bp)
    return bp


def authenticate_request() -> None:
    # A body limit for the API alone (uploads elsewhere may be larger): 413 when exceeded.
    request.max_content_length = current_app.config["API_MAX_BODY"]
    if "\x00" in request.path or any("\x00" in key + "".join(values) for key, values in request.args.lists()):
        abort(400, "NUL characters are not allowed in URLs.")  # PostgreSQL cannot compare them
    g.api_token = None
    g.api_actor = AnonymousUserMixin()
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, text = header.partition(" ")
        token = tokens.authenticate(text.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise problems.AuthenticationRequired("The API token is invalid, revoked or expired.", "invalid_token")
        g.api_token, g.api_actor = token, token.user
        g.actor_id = token.user_id  # the audit trail's actor
        g.token_use = (token.id, token.last_used_at)  # plain values: the token expires at the commit
    if request.method in WRITE_METHODS and not tokens.allows_writes(g.api_token):
        if g.api_token is None:
            raise problems.AuthenticationRequired("Writing needs a read-write API token.")
        raise problems.InsufficientScope("This token may only read; writing needs a read-write token.")


def record_token_use(exc: BaseException | None) -> None:
    """The token's last use, written once the request's own transaction has ended (see record_use)."""
    use = g.pop("token_use", None)
    if use is not None:
        tokens.record_use(*use)


def actor():
    """The token's user, or an anonymous visitor (reads of the public directory)."""
    return g.get("api_actor") or AnonymousUserMixin()


def answer_conditional_reads(response):
    """If-None-Match on a read: 304 when the client already has this version."""
    if request.method in ("GET", "HEAD") and response.status_code == 200 and "ETag" in response.headers:
        response.make_conditional(request)
    return response


def add_cors_headers(response):
    """CORS is off unless CORS_ORIGINS lists origins (or "*")."""
    allowed = current_app.config.get("CORS_ORIGINS") or []
    origin = request.headers.get("Origin")
    if origin and ("*" in allowed or origin in allowed):
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
        response.headers.add("Vary", "Origin")
        response.headers["Access-Control-Expose-Headers"] = "ETag, Link, Location, Retry-After"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, DELETE"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, If-Match"
            response.headers["Access-Control-Max-Age"] = "600"
    return response


# --- Pages -------------------------------------------------------------------------------------


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class LinksSchema(Schema):
    self = fields.String()
    next = fields.String(allow_none=True)
    prev = fields.String(allow_none=True)


def page_links(page: int, per_page: int, total: int) -> dict:
    def link(number: int) -> str:
        args = request.args.to_dict(flat=False)
        args["page"] = [str(number)]
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    last = max(1, -(-total // per_page))
    return {
        "self": link(page),
        "next": link(page + 1) if page < last else None,
        "prev": link(page - 1) if page > 1 else None,
    }


def page_envelope(items, total: int, page: int, per_page: int, **extra) -> dict:
    return {"items": items, "total": total, "page": page, "per_page": per_page,
            "links": page_links(page, per_page, total), **extra}  # fmt: skip


def link_header(links: dict) -> dict:
    parts = [f'<{url}>; rel="{rel}"' for rel, url in links.items() if url and rel in ("next", "prev")]
    return {"Link": ", ".join(parts)} if parts else {}


def paged_query(query, args: dict):
    """(body, 200, headers) for one page of a select: count, then just that page's rows."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])).all()
    body, headers = paged(list(rows), total, args)
    return body, 200, headers


def search_page(result, **extra):
    """(body, 200, headers) for a page of a search result, with its facet counts and notices."""
    facets = {}
    for name, values in result.facets.items():  # about 170 values: plain dicts, no _asdict()
        depth = result.facet_depth.get(name, {})
        facets[name] = [{"value": v.value, "label": str(v.label), "count": v.count, "selected": v.selected,
                         "depth": depth.get(v.value, 0)} for v in values]  # fmt: skip
    body, headers = paged(result.items, result.total, {"page": result.page, "per_page": result.per_page},
                          facets=facets, notices=[str(n) for n in result.notices],
                          interpreted=[interpreted(t) for t in result.interpreted], **extra)  # fmt: skip
    return body, 200, headers


def interpreted(term) -> dict:
    """A word of q read as places or themes (vocabulary.py), and the names it also matches as text."""
    readings = [{"facet": r.facet, "code": r.code, "label": label} for r, label in zip(term.readings, term.labels)]  # noqa: B905
    return {"word": term.word, "readings": readings, "words": term.words}


def paged(query_items, total: int, args: dict, **extra):
    """(body, headers) for a page: the envelope and an RFC 8288 Link header."""
    body = page_envelope(query_items, total, args["page"], args["per_page"], **extra)
    return body, link_header(body["links"])


# --- Versions: ETag on reads, If-Match on writes --------------------------------------------------


def etag(obj) -> dict:
    return {"ETag": f'"{obj.version}"'}


def created(obj, endpoint: str, **values):
    """201 with the new record, its ETag and its Location."""
    return obj, 201, {**etag(obj), "Location": url_for(endpoint, **values)}


ETAG_HEADER = {"ETag": {"description": 'The record\'s version, e.g. "3": send it back in If-Match',
                        "schema": {"type": "string"}}}  # fmt: skip
LINK_HEADER = {"Link": {"description": "RFC 8288 links to the next and previous pages", "schema": {"type": "string"}}}

IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": "The ETag from your last read of this record (optimistic locking).",
    "schema": {"type": "string"},
}
# OpenAPI notes for writes: a bearer token, and If-Match where the record is versioned.
WRITE = {"security": [{"bearerAuth": []}]}
VERSIONED_WRITE = {**WRITE, "parameters": [IF_MATCH_PARAMETER]}
