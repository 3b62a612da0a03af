"""Logging in and out, invitations, password resets and the own account page."""

import hashlib
from urllib.parse import urlsplit

import flask_babel
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user, user_loaded_from_cookie
from flask_wtf.csrf import CSRFError

from network.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    show_errors,
)
from network.errors import ValidationError
from network.extensions import db, limiter, login_manager
from network.models import User
from network.services import accounts

bp = Blueprint("auth", __name__)


@bp.record_once
def configure_login(state) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page says why on its own
    # A session cookie replayed from another address or browser is dropped.
    login_manager.session_protection = "strong"
    login_manager._session_identifier_generator = client_identifier


def client_identifier() -> str:
    """Flask-Login's client fingerprint (address and browser), but with the address werkzeug gives
    (the trusted proxies' X-Forwarded-For when PROXY_HOPS is set), not one a client claims in its
    own X-Forwarded-For header. Without such a header it is the same value as Flask-Login's."""
    address, agent = request.remote_addr, request.headers.get("User-Agent")
    address_bytes = address.encode() if address is not None else None
    agent_bytes = agent.encode() if agent is not None else None
    return hashlib.sha512(f"{address_bytes}|{agent_bytes}".encode()).hexdigest()


def client_binding() -> str:
    """This client's fingerprint, as "strong" session protection computes it (address, browser)."""
    return client_identifier()[:32]


def bind_to_client(user: User) -> None:
    """Tie the logged-in id, and so the remember cookie Flask-Login signs from it, to this client:
    the cookie replayed from another browser or address loads no one."""
    session["_user_id"] = f"{user.get_id()}:{client_binding()}"


@login_manager.user_loader
def load_user(user_id: str):
    ident, token, bound_to = (user_id.split(":") + ["", ""])[:3]
    if bound_to:
        if bound_to != client_binding():
            return None
    elif "_id" not in session:  # an unbound id is trusted only in a session Flask-Login has bound
        return None
    return accounts.session_user(int(ident), token) if ident.isdigit() else None


@user_loaded_from_cookie.connect
def bind_session_from_cookie(app, user) -> None:
    # The session the cookie started belongs to this client, so "strong" protection keeps it.
    session["_id"] = client_identifier()


@bp.before_app_request
def load_user_afresh() -> None:
    # Flask-Login caches the user (and Flask-Babel the locale) in g, which lives as long as the app
    # context: tests keep one app context across requests, so one client's would answer for the next.
    g.pop("_login_user", None)
    flask_babel.refresh()


@bp.app_context_processor
def user_menu_context() -> dict:
    # Lets the user menu link to pages other features add (e.g. admin.audit) only once they exist.
    return {"has_endpoint": lambda endpoint: endpoint in current_app.view_functions}


@bp.app_errorhandler(CSRFError)
def csrf_failed(error: CSRFError):
    db.session.rollback()
    message = _(
        "The form could not be accepted because its security token was missing or wrong (%(reason)s). "
        "Go back, reload the page and send it again.",
        reason=error.description,
    )
    return render_template("error.html", code=400, title=_("Form expired or forged"), message=message), 400


def safe_next(target: str | None) -> str | None:
    """A local path to go to after logging in; anything that could leave the site is refused."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(c) < 32 or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def login_account_key() -> str:
    """Failed logins per account, whatever address they come from (password spraying over many
    addresses); hashed so the limiter's storage holds no email addresses."""
    email = (request.form.get("email") or "").strip().lower()
    return "login-account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    login_limit,
    methods=["POST"],
    error_message=lambda: _("Too many login attempts from your address. Wait a minute and try again."),
)
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    key_func=login_account_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code != 302,  # only failed attempts count
    error_message=lambda: _("Too many failed logins for this account. Wait a while and try again."),
)
def login():
    target = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.home"))
    form = LoginForm(next=target or "")
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(_("Wrong email or password, or the account is not active."))
        else:
            accounts.record_login(user)
            login_user(user, remember=form.remember.data)
            bind_to_client(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(form.next.data) or url_for("main.home"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        user, _nonce = accounts.read_token("invitation", token, current_app.config["INVITATION_MAX_AGE"])
        if user.password_hash:
            raise accounts.TokenError(_("This invitation has already been accepted. Log in, or reset your password."))
    except accounts.TokenError as error:
        return render_template("auth/link_invalid.html", message=error.message), 400
    form = AcceptInvitationForm(name=user.name)
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(token, password=form.password.data, name=form.name.data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            logout_user()
            login_user(user)
            accounts.record_login(user)
            flash(_("Welcome, %(name)s: your password is set.", name=user.name), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/accept_invitation.html", form=form, invited=user)


def invitation_link(token: str) -> str:
    """Where an invitation mail leads: the page that sets the new user's password."""
    return url_for("auth.accept_invitation", token=token, _external=True)


def reset_link(token: str) -> str:
    return url_for("auth.reset_password", token=token, _external=True)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, link_to=reset_link)
        flash(_("If an active account has this address, a message with a reset link is on its way."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user, _nonce = accounts.read_token("reset", token, current_app.config["RESET_MAX_AGE"])
    except accounts.TokenError as error:
        return render_template("auth/link_invalid.html", message=error.message), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, password=form.password.data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            logout_user()
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, user=user)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    profile_form = ProfileForm(obj=current_user, prefix="profile")
    password_form = ChangePasswordForm(prefix="password")
    if "profile-name" in request.form and profile_form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user, current_user, name=profile_form.name.data, locale=profile_form.locale.data
            )
        except ValidationError as error:
            show_errors(profile_form, error)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("auth.account"))
    elif "password-current_password" in request.form and password_form.validate_on_submit():
        try:
            accounts.change_password(
                current_user,
                current_user,
                current_password=password_form.current_password.data,
                new_password=password_form.new_password.data,
            )
        except ValidationError as error:
            show_errors(password_form, error)
        else:
            # The token rotated, which ends every session; this one logs in again at once.
            login_user(current_user._get_current_object())
            flash(_("Your password is changed; your other sessions are logged out."), "success")
            return redirect(url_for("auth.account"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/account.html", profile_form=profile_form, password_form=password_form), status
