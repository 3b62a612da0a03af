"""Request handling shared by every page: one commit per request, headers, errors, locale."""

import contextlib

from flask import Flask, current_app, g, has_request_context, render_template, request, session
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from network import facet_links, labels, permissions
from network.errors import Conflict, ServiceError, ValidationError
from network.extensions import db, login_manager
from network.request_input import Request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])  # fmt: skip

# Error pages in the reader's language: werkzeug's names and descriptions, and ServiceError titles, are English.
ERROR_TITLES = {
    400: _l("Bad request"), 403: _l("Forbidden"), 404: _l("Not found"), 405: _l("Method not allowed"),
    409: _l("Edit conflict"), 413: _l("Too large"), 422: _l("Invalid input"), 429: _l("Too many requests"),
    500: _l("Server error"), 503: _l("Service unavailable"),
}  # fmt: skip
# Seconds a client is asked to wait when the database does not answer (Retry-After).
DATABASE_RETRY_AFTER = 30
# ServiceError titles are English class attributes; a subclass's own title (e.g. "Invalid link") stays specific.
SERVICE_ERROR_TITLES = {
    "Bad request": _l("Bad request"), "Invalid input": _l("Invalid input"), "Forbidden": _l("Forbidden"),
    "Not found": _l("Not found"), "Edit conflict": _l("Edit conflict"), "Invalid link": _l("Invalid link"),
}  # fmt: skip
ERROR_DESCRIPTIONS = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to see this page."),
    404: _l("There is no page at this address."),
    405: _l("This address does not accept this kind of request."),
    413: _l("What was sent is larger than the limit."),
    429: _l("Too many requests in a short time. Wait a minute and try again."),
}


def init_app(app: Flask) -> None:
    app.request_class = Request  # a raw non-UTF-8 byte in the query string is no 500
    app.after_request(commit_or_roll_back)
    app.after_request(set_security_headers)
    app.register_error_handler(HTTPException, render_http_error)
    app.register_error_handler(ServiceError, render_service_error)
    app.register_error_handler(Exception, render_unexpected_error)
    app.register_error_handler(DBAPIError, render_database_error)
    app.jinja_env.globals.update(
        can=lambda action, obj=None: permissions.can(current_user, action, obj),
        may_see=lambda kind, field, obj: permissions.may_see(current_user, kind, field, obj),
        kind_label=lambda kind: labels.label(labels.ORGANIZATION_KIND_LABELS, kind),
        labels=labels,
        facet_section=facet_links.facet_section,
        get_locale=get_locale,
        localized=lambda obj: labels.localized_name(obj, get_locale()),
    )
    app.context_processor(bound_for_render)
    if app.config.get("SECURE_COOKIES"):
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)


def bound_for_render() -> dict:
    """The templates' _(), ngettext, localized, can and may_see bound to this render's catalogue,
    locale and user.

    flask-babel's own look the locale and the catalogue up again for every string (a tenth of a
    page's time), and each permission question resolved current_user's proxy several times. Bound
    per render, they follow force_locale (mails in the recipient's language); macros imported
    without context keep the global, slower, equally correct ones."""
    catalogue, code = get_translations(), str(get_locale())

    @pass_context
    def gettext(context, string, /, **variables):
        text = catalogue.ugettext(string)
        # As Jinja's newstyle gettext: the catalogue's text is trusted, the variables are escaped by %.
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables  # noqa: S704

    @pass_context
    def ngettext(context, singular, plural, num, /, **variables):
        variables.setdefault("num", num)
        text = catalogue.ungettext(singular, plural, num)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables  # noqa: S704

    user = current_user._get_current_object()  # the object behind the proxy, resolved once
    return {
        "gettext": gettext,
        "ngettext": ngettext,
        "localized": lambda obj: labels.localized_name(obj, code),
        "can": lambda action, obj=None: permissions.can(user, action, obj),
        "may_see": lambda kind, field, obj: permissions.may_see(user, kind, field, obj),
    }


def commit_or_roll_back(response):
    """The one commit point of a request: after the view succeeded, never after an error."""
    if response.status_code >= 400:
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except DBAPIError as error:  # an error raised here would skip the error handlers: a bare 500
        if not database_unavailable(error):
            raise
        # Nothing was saved: say so with the 503 a failure earlier in the request gets.
        return set_security_headers(current_app.make_response(render_database_error(error)))
    return response


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config.get("SECURE_COOKIES"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def render_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if request.path.startswith("/api/"):  # no API route matched (404, 405): still problem+json
        from network.api.problems import render_http_error as render_api_error

        return render_api_error(error)
    db.session.rollback()
    title = ERROR_TITLES.get(error.code, error.name)
    message = error.description
    if message == type(error).description:  # werkzeug's default text, not one the view gave
        message = ERROR_DESCRIPTIONS.get(error.code, message)
    return render_template("error.html", code=error.code, title=title, message=message), error.code


def render_service_error(error: ServiceError):
    db.session.rollback()
    if isinstance(error, Conflict):
        return render_template("conflict.html", error=error), 409
    message = error.message
    if isinstance(error, ValidationError):
        message = "; ".join(f"{field + ': ' if field else ''}{m}" for field, msgs in error.errors.items() for m in msgs)
    title = SERVICE_ERROR_TITLES.get(error.title, error.title)
    return render_template("error.html", code=error.status, title=title, message=message), error.status


def render_unexpected_error(error: Exception):
    db.session.rollback()
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    if current_app.testing and current_app.config.get("PROPAGATE_UNEXPECTED_ERRORS", True):
        raise error
    return render_template(
        "error.html",
        code=500,
        title=_("Server error"),
        message=_("Something went wrong on our side. It has been logged."),
    ), 500


def database_unavailable(error: Exception) -> bool:
    """The database could not be reached or the connection broke (server down, restarted, file
    unreadable, lock held too long): the request may succeed if sent again, unlike a bug."""
    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)


def render_database_error(error: DBAPIError):
    if not database_unavailable(error):
        return render_unexpected_error(error)
    with contextlib.suppress(DBAPIError):  # the connection is gone; the pool replaces it
        db.session.rollback()
    current_app.logger.error("Database unavailable on %s %s: %s", request.method, request.path, error.orig)
    if request.path.startswith("/api/"):
        from network.api.problems import render_database_unavailable

        return render_database_unavailable(error)
    # The page is shown as to a visitor: loading the user would ask the database again.
    g._login_user = login_manager.anonymous_user()
    page = render_template(
        "error.html",
        code=503,
        title=_("Service unavailable"),
        message=_("The database is not answering at the moment. Please try again in a minute."),
    )
    return page, 503, {"Retry-After": str(DATABASE_RETRY_AFTER)}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # services called from the CLI or tests: messages in the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
