"""Accounts: passwords, logins, invitations, password resets, profiles, deactivation.

Invitations create the User at once (with no password) so its role and scope are stored and the
users page lists it as invited; the emailed link lets the person set a password. Invitation and
reset links are signed (itsdangerous), expire (INVITATION_MAX_AGE, RESET_MAX_AGE) and work once
(their nonce goes into UsedToken). A reset link also dies when the password changes, because it
carries the user's session token, which every password change rotates.
"""

import functools
import re
import secrets
from collections.abc import Callable, Iterable

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from network import permissions
from network.errors import NotFound, PermissionDenied, ServiceError, ValidationError
from network.extensions import db
from network.models import ApiToken, Network, Organization, UsedToken, User, utcnow
from network.models.user import ROLES
from network.permissions import Grant
from network.services import operation
from network.services.mail import in_language_of, send_mail

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
LOCALES = ("en", "zh")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class TokenError(ServiceError):
    """An invitation or reset link that is forged, expired, already used or no longer valid."""

    status = 400
    title = "Invalid link"


# ---------------------------------------------------------------- passwords


def password_problems(password: str, *, email: str | None = None, name: str | None = None) -> list[str]:
    """Why a new password is too weak (empty list: it is fine)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(_("Use at most %(n)d characters.", n=MAX_PASSWORD_LENGTH))
    lowered = password.strip().lower()
    if email and (lowered == email.lower() or lowered == email.lower().partition("@")[0]):
        problems.append(_("Do not use your email address as your password."))
    if name and lowered == name.strip().lower():
        problems.append(_("Do not use your name as your password."))
    if password and len(set(password)) < 4:
        problems.append(_("Use more different characters."))
    elif password and _one_character_class(password):
        problems.append(_("Mix letters with digits, symbols or spaces, or use a longer passphrase."))
    return problems


def _one_character_class(password: str) -> bool:
    """All letters of one case, or all digits: short ones of these are guessed first."""
    if len(password) >= 16:  # a long passphrase of lower-case words is strong enough
        return False
    return password.isdigit() or (password.isalpha() and (password.islower() or password.isupper()))


def check_new_password(password: str, *, email: str | None, name: str | None, field: str = "password") -> None:
    problems = password_problems(password or "", email=email, name=name)
    if problems:
        raise ValidationError({field: problems})


def set_password(user: User, password: str) -> None:
    """Hash (Werkzeug's scrypt) and rotate the session token: every other session is logged out."""
    user.password_hash = generate_password_hash(password)
    rotate_session_token(user)


def rotate_session_token(user: User) -> None:
    user.session_token = secrets.token_hex(16)


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password, only for timing")


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, else None (same answer, same time)."""
    user = user_by_email(email)
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password or "")  # so an unknown email takes as long
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


@operation
def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    if not user.session_token:
        rotate_session_token(user)


# ---------------------------------------------------------------- signed single-use links


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"network.{purpose}")


def make_token(purpose: str, user: User) -> str:
    return _serializer(purpose).dumps({"u": user.id, "n": secrets.token_hex(16), "s": user.session_token or ""})


def read_token(purpose: str, token: str, max_age: int) -> tuple[User, str]:
    """The user a link is for and its nonce, or TokenError. Does not use the link up."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenError(_("This link has expired. Ask for a new one.")) from exc
    except BadSignature as exc:
        raise TokenError(_("This link is not valid.")) from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("n"), str):
        raise TokenError(_("This link is not valid."))
    if db.session.get(UsedToken, data["n"]) is not None:
        raise TokenError(_("This link has already been used."))
    user = db.session.get(User, data["u"])
    if user is None or not user.active:
        raise TokenError(_("This link is no longer valid."))
    if (user.session_token or "") != data.get("s", ""):
        raise TokenError(_("This link is no longer valid: the password has changed since it was sent."))
    return user, data["n"]


# The caller says where a signed link leads: token → the absolute URL the mail carries (the web
# feature builds it with url_for; the service knows no routes and needs no request).
LinkTo = Callable[[str], str]


# ---------------------------------------------------------------- invitations and user records


def check_grant(role: str, organization: Organization | None, networks: Iterable[Network]) -> Grant:
    """A consistent role and scope: members need their organisation, coordinators their nodes."""
    networks = list(networks)
    if role not in ROLES:
        raise ValidationError({"role": [_("Choose one of the roles offered.")]})
    if role == "member" and organization is None:
        raise ValidationError({"organization": [_("A member speaks for one organisation: choose it.")]})
    if role == "coordinator" and not networks:
        raise ValidationError({"networks": [_("A coordinator manages at least one network node: choose them.")]})
    return Grant(
        role=role,
        organization=organization if role == "member" else None,
        networks=networks if role == "coordinator" else [],
    )


def _check_identity(email: str, name: str, *, exclude: User | None = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        errors["email"] = [_("Enter a valid email address.")]
    else:
        existing = user_by_email(email)
        if existing is not None and existing is not exclude:
            errors["email"] = [_("A user with this email address already exists.")]
    if not name.strip():
        errors["name"] = [_("Enter a name.")]
    elif len(name.strip()) > 200:
        errors["name"] = [_("Use at most %(n)d characters.", n=200)]
    return errors


@operation
def invite_user(
    actor,
    *,
    email: str,
    name: str,
    role: str,
    organization: Organization | None = None,
    networks: Iterable[Network] = (),
    locale: str | None = None,
    link_to: LinkTo,
) -> User:
    """Create the user with no password and mail them a link (``link_to(token)``) to set one."""
    grant = check_grant(role, organization, networks)
    permissions.require(actor, "user.invite", grant)
    email = normalise_email(email)
    errors = _check_identity(email, name)
    if errors:
        raise ValidationError(errors)
    user = User(
        email=email,
        name=name.strip(),
        role=grant.role,
        organization=grant.organization,
        active=True,
        locale=locale if locale in LOCALES else None,
    )
    user.networks = grant.networks
    rotate_session_token(user)
    db.session.add(user)
    db.session.flush()
    send_invitation(actor, user, link_to)
    _tell_of_invitations(user)
    return user


def _tell_of_invitations(user: User) -> None:
    """A new member user finds the initiative invitations its organisation has yet to answer."""
    from network.services.initiatives.participation import tell_new_user_of_invitations

    db.session.flush()
    tell_new_user_of_invitations(user)


def send_invitation(actor, user: User, link_to: LinkTo) -> str:
    """Mail the invitation link; returns the link."""
    link = link_to(make_token("invitation", user))
    days = current_app.config["INVITATION_MAX_AGE"] // 86400
    inviter = getattr(actor, "name", None) or _("An administrator")
    body = _(
        "Hello %(name)s,\n\n%(inviter)s invited you to the network directory.\n"
        "Open this link to choose your password (it works once, for %(days)d days):\n\n%(link)s\n",
        name=user.name,
        inviter=inviter,
        days=days,
        link=link,
    )
    send_mail(user.email, _("Your invitation to the network directory"), body)
    return link


@operation
def resend_invitation(actor, user: User, *, link_to: LinkTo) -> str:
    permissions.require(actor, "user.manage", user)
    if user.password_hash:
        raise ValidationError(_("This user has already accepted the invitation."))
    if not user.active:
        raise ValidationError(_("Reactivate this user first."))
    rotate_session_token(user)  # earlier links stop working
    return send_invitation(actor, user, link_to)


@operation
def accept_invitation(token: str, *, password: str, name: str | None = None) -> User:
    """Set the invited user's password from the link; the link is used up."""
    user, nonce = read_token("invitation", token, current_app.config["INVITATION_MAX_AGE"])
    if user.password_hash:
        raise TokenError(_("This invitation has already been accepted. Log in, or reset your password."))
    if name is not None and name.strip():
        user.name = name.strip()[:200]
    check_new_password(password, email=user.email, name=user.name)
    db.session.add(UsedToken(nonce=nonce))
    set_password(user, password)
    return user


@operation
def create_user(
    actor,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    organization: Organization | None = None,
    networks: Iterable[Network] = (),
) -> User:
    """Create a user with a password at once. ``actor=None`` is the command line, which is trusted
    (whoever runs it owns the server); any other actor needs the right to grant this role."""
    grant = check_grant(role, organization, networks)
    if actor is not None:
        permissions.require(actor, "user.invite", grant)
    email = normalise_email(email)
    errors = _check_identity(email, name)
    problems = password_problems(password or "", email=email, name=name)
    if problems:
        errors["password"] = problems
    if errors:
        raise ValidationError(errors)
    user = User(email=email, name=name.strip(), role=grant.role, organization=grant.organization, active=True)
    user.networks = grant.networks
    set_password(user, password)
    db.session.add(user)
    _tell_of_invitations(user)
    return user


@operation
def change_role(
    actor, user: User, *, role: str, organization: Organization | None = None, networks: Iterable[Network] = ()
) -> User:
    """Give a user another role or scope: the actor must manage the user as they are now and be
    allowed to grant what they will be. Nobody changes their own role."""
    if permissions.is_same_user(actor, user):
        raise PermissionDenied(_("You cannot change your own role."))
    permissions.require(actor, "user.manage", user)
    grant = check_grant(role, organization, networks)
    permissions.require(actor, "user.invite", grant)
    moved = (user.role, user.organization_id) != (grant.role, getattr(grant.organization, "id", None))
    user.role = grant.role
    user.organization = grant.organization
    user.networks = grant.networks
    rotate_session_token(user)  # the new rights apply from a fresh login
    if moved:
        _tell_of_invitations(user)
    return user


@operation
def deactivate_user(actor, user: User) -> User:
    """The user can no longer log in; every session of theirs ends. Nothing is deleted."""
    permissions.require(actor, "user.manage", user)
    if permissions.is_same_user(actor, user):
        raise ValidationError(_("You cannot deactivate yourself."))
    user.active = False
    rotate_session_token(user)
    return user


@operation
def reactivate_user(actor, user: User) -> User:
    """The user may log in again, but API tokens made before the deactivation stay dead: whoever
    held them then need not hold them now. The user makes new ones."""
    permissions.require(actor, "user.manage", user)
    if not user.active:
        user.active = True
        live = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        for token in db.session.scalars(live):
            token.revoked_at = utcnow()
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def session_user(user_id: int, session_token: str) -> User | None:
    """The user a login session names, while its token is the user's current one (every password
    change, role change and deactivation rotates it, which ends the session)."""
    user = db.session.get(User, user_id) if 0 < user_id <= 2**31 - 1 else None
    if user is None or (user.session_token or "") != session_token:
        return None
    return user


def user_to_manage(actor, user_id: int) -> User:
    """The user the actor opens to change (403 unless they manage them)."""
    user = get_user(user_id)
    permissions.require(actor, "user.manage", user)
    return user


def list_users(actor) -> list[User]:
    """Admins see everyone; coordinators see themselves and the users they manage."""
    if not permissions.can(actor, "user.list"):
        raise PermissionDenied(_("You do not have permission to see the users."))
    users = db.session.scalars(
        select(User).options(selectinload(User.networks), selectinload(User.organization)).order_by(User.name)
    ).all()
    return [u for u in users if u.id == actor.id or permissions.can(actor, "user.manage", u)]


# ---------------------------------------------------------------- own account


@operation
def update_profile(actor, user: User, *, name: str, locale: str | None) -> User:
    permissions.require(actor, "account.update", user)
    errors = {}
    if not (name or "").strip():
        errors["name"] = [_("Enter a name.")]
    elif len(name.strip()) > 200:
        errors["name"] = [_("Use at most %(n)d characters.", n=200)]
    if locale not in (None, "", *LOCALES):
        errors["locale"] = [_("Choose one of the languages offered.")]
    if errors:
        raise ValidationError(errors)
    user.name = name.strip()
    user.locale = locale or None
    return user


@operation
def change_password(actor, user: User, *, current_password: str, new_password: str) -> User:
    """Change one's own password; every other session of the user is logged out."""
    permissions.require(actor, "account.update", user)
    if not user.password_hash or not check_password_hash(user.password_hash, current_password or ""):
        raise ValidationError({"current_password": [_("This is not your current password.")]})
    if new_password == current_password:
        raise ValidationError({"new_password": [_("Choose a password different from the current one.")]})
    check_new_password(new_password, email=user.email, name=user.name, field="new_password")
    set_password(user, new_password)
    return user


# ---------------------------------------------------------------- password reset


def request_password_reset(email: str, *, link_to: LinkTo) -> None:
    """Mail a reset link (``link_to(token)``) if an active account has this email. Says nothing
    either way (the page answers the same), so nobody can find out who has an account."""
    user = user_by_email(email)
    if user is None or not user.active:
        return
    link = link_to(make_token("reset", user))
    minutes = current_app.config["RESET_MAX_AGE"] // 60
    with in_language_of(user, or_current=True):  # the language they chose, else the one they asked in
        body = _(
            "Hello %(name)s,\n\nSomeone asked to reset the password of your account in the network directory.\n"
            "If it was you, open this link within %(minutes)d minutes to choose a new password (it works once):\n\n"
            "%(link)s\n\nIf it was not you, ignore this message: your password stays as it is.\n",
            name=user.name,
            minutes=minutes,
            link=link,
        )
        send_mail(user.email, _("Reset your password"), body)


@operation
def reset_password(token: str, *, password: str) -> User:
    user, nonce = read_token("reset", token, current_app.config["RESET_MAX_AGE"])
    check_new_password(password, email=user.email, name=user.name)
    db.session.add(UsedToken(nonce=nonce))
    set_password(user, password)
    return user


# ---------------------------------------------------------------- what a form may offer


def grantable_roles(actor) -> list[str]:
    """The roles the actor may hand out (the service checks again on save)."""
    return [role for role in ROLES if permissions.can(actor, "user.grant_role", role)]


def grantable_networks(actor) -> list[Network]:
    """Network nodes the actor may give a coordinator: all for admins, their own subtree otherwise."""
    query = (
        select(Network)
        .where(Network.archived_at.is_(None), permissions.in_network_scope(actor, Network.path))
        .order_by(Network.path)
    )
    return list(db.session.scalars(query))


def find_organization(slug: str | None) -> Organization | None:
    """The organisation a form names by slug; ValidationError on the field if there is none."""
    slug = (slug or "").strip()
    if not slug:
        return None
    org = db.session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise ValidationError({"organization": [_("No organisation has the address name %(slug)s.", slug=slug)]})
    return org


def find_networks(ids: Iterable[int]) -> list[Network]:
    ids = list(ids or [])
    if not ids:
        return []
    found = list(db.session.scalars(select(Network).where(Network.id.in_(ids))))
    if len(found) != len(set(ids)):
        raise ValidationError({"networks": [_("Choose network nodes from the list.")]})
    return found
