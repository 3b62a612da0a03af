"""Inviting people to an event by mail, each in their own language, with a signed link that registers
them without an account; and the reminders sent the day before (a periodic job, see tasks.py)."""

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from network import permissions
from network.extensions import db
from network.models import Event, EventInvitation, Organization, Person, Registration, User, utcnow
from network.services import ValidationError, operation
from network.services.events.records import local, utc_offset
from network.services.notifications import deliver_mail

CHINESE_COUNTRIES = {"CN", "TW", "HK", "MO"}
LINK_DAYS = 120  # an invitation link is good for this long (events are planned months ahead)
REMIND_BEFORE = timedelta(hours=24)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="event-invitation")


def signed_invitation(invitation: EventInvitation) -> str:
    return _serializer().dumps({"e": invitation.event_id, "i": invitation.id})


def read_invitation(event: Event, token: str) -> EventInvitation:
    """The invitation a link carries (for this event), or ValidationError."""
    try:
        data = _serializer().loads(str(token)[:500], max_age=LINK_DAYS * 86400)
    except SignatureExpired:
        raise ValidationError({"": [_("This link has expired. Ask the organisers for a new one.")]}) from None
    except BadSignature:
        raise ValidationError({"": [_("This link is not valid.")]}) from None
    invitation = db.session.get(EventInvitation, data.get("i")) if isinstance(data, dict) else None
    if invitation is None or invitation.event_id != event.id or data.get("e") != event.id:
        raise ValidationError({"": [_("This link is not valid.")]})
    return invitation


def language_of(person: Person) -> str:
    """A person's language: their user account's, else Chinese for organisations based in China."""
    languages = current_app.config["LANGUAGES"]
    user = db.session.scalar(select(User).where(func.lower(User.email) == (person.email or "").lower()))
    if user is not None and user.locale in languages:
        return user.locale
    country = person.organization.hq_country.code if person.organization and person.organization.hq_country else ""
    if country in CHINESE_COUNTRIES and "zh" in languages:
        return "zh"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def when_text(event: Event) -> str:
    start = local(event.starts_at, event.timezone)
    return f"{start:%Y-%m-%d %H:%M} {event.timezone} ({utc_offset(event.starts_at, event.timezone)})"


def _mail(invitation: EventInvitation, event: Event, link: str, *, reminder: bool) -> None:
    with force_locale(invitation.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        title = event.title_local if invitation.locale == "zh" and event.title_local else event.title
        if reminder:
            subject = _("Reminder: %(title)s", title=title)
            body = _("“%(title)s” starts on %(when)s.", title=title, when=when_text(event))
        else:
            subject = _("Invitation: %(title)s", title=title)
            body = _("Dear %(name)s,\n\nyou are invited to “%(title)s” on %(when)s.", name=invitation.name,
                     title=title, when=when_text(event))  # fmt: skip
        place = ", ".join(p for p in (event.venue, event.city) if p) or event.online_url or ""
        if place:
            body += "\n" + _("Where: %(place)s", place=place)
        body += "\n\n" + _("Register here (no account needed): %(url)s", url=link)
        deliver_mail(invitation.email, subject, body)


@operation
def invite_people(actor, event: Event, people: list[Person], link_to) -> dict:
    """Invite these people (each with an email, once per event) by a mail in their language with a
    signed registration link; ``link_to(token)`` makes the link's URL."""
    permissions.require(actor, "event.invite", event)
    if event.is_archived or event.status in ("held", "cancelled"):
        raise ValidationError({"": [_("Invitations can only be sent for events still to come.")]})
    done = {e.lower() for e in db.session.scalars(select(EventInvitation.email).where(
        EventInvitation.event_id == event.id))}  # fmt: skip
    sent, skipped = 0, 0
    for person in people:
        email = (person.email or "").strip()
        if not email or person.is_archived or email.lower() in done:
            skipped += 1
            continue
        done.add(email.lower())
        invitation = EventInvitation(event=event, person=person, email=email, name=person.name,
                                     locale=language_of(person), invited_by_id=getattr(actor, "id", None))  # fmt: skip
        db.session.add(invitation)
        db.session.flush()
        _mail(invitation, event, link_to(event, signed_invitation(invitation)), reminder=False)
        sent += 1
    return {"sent": sent, "skipped": skipped}


def people_of(organizations: list[Organization]) -> list[Person]:
    """The people (not archived, with an email) of these organisations: whom 'invite these
    organisations' people' reaches."""
    ids = [o.id for o in organizations]
    if not ids:
        return []
    return list(db.session.scalars(
        select(Person).where(Person.organization_id.in_(ids), Person.archived_at.is_(None), Person.email.is_not(None))
        .options(selectinload(Person.organization)).order_by(Person.organization_id, Person.id)
    ))  # fmt: skip


def organizations_tagged(tag) -> list[Organization]:
    """The organisations (not archived) holding a tag of the directory."""
    from network.models.tag import organization_tags

    return list(db.session.scalars(
        select(Organization).join(organization_tags, organization_tags.c.organization_id == Organization.id)
        .where(organization_tags.c.tag_id == tag.id, Organization.archived_at.is_(None)).order_by(Organization.id)
    ))  # fmt: skip


def events_to_invite_to(actor) -> list[Event]:
    """The events still to come the actor may invite people to (the directory's bulk action)."""
    candidates = db.session.scalars(
        select(Event).where(Event.archived_at.is_(None), Event.ends_at >= utcnow(),
                            Event.status.in_(("planned", "open", "full")))
        .options(selectinload(Event.network)).order_by(Event.starts_at)
    )  # fmt: skip
    return [e for e in candidates if permissions.can(actor, "event.invite", e)]


def organizations_numbered(ids: list[int]) -> list[Organization]:
    ids = [i for i in ids if 0 < i < 2**31][:20000]
    return list(db.session.scalars(select(Organization).where(Organization.id.in_(ids)))) if ids else []


def invitations_of(actor, event: Event) -> list[EventInvitation]:
    if not permissions.can(actor, "event.invite", event):
        return []
    return list(db.session.scalars(select(EventInvitation).where(EventInvitation.event_id == event.id)
                                   .order_by(EventInvitation.id)))  # fmt: skip


@operation
def register_invited(event: Event, token: str, answers: dict) -> Registration:
    """Someone without an account registers through the signed link of their invitation."""
    from network.services.events.registrations import register_person

    invitation = read_invitation(event, token)
    data = {"name": invitation.name, "email": invitation.email, "locale": invitation.locale, **answers}
    if invitation.person is not None:
        data["organization"] = invitation.person.organization_id
    return register_person(None, event, data, invited=True)


def send_reminders(link_to, now=None) -> int:
    """Mail everyone registered (and everyone invited who has not registered) for an event starting in
    the next 24 hours, once. Returns how many mails went out; the caller commits."""
    from network.services import notifications

    now = now or utcnow()
    soon = list(db.session.scalars(select(Event).where(
        Event.archived_at.is_(None), Event.status.in_(("planned", "open", "full")),
        Event.starts_at > now, Event.starts_at <= now + REMIND_BEFORE)))  # fmt: skip
    sent = 0
    for event in soon:
        registered = list(db.session.scalars(select(Registration).where(
            Registration.event_id == event.id, Registration.status == "registered",
            Registration.reminded_at.is_(None))))  # fmt: skip
        emails = {r.email.lower() for r in db.session.scalars(select(Registration).where(
            Registration.event_id == event.id))}  # fmt: skip
        for registration in registered:
            if registration.user is not None and registration.user.active:
                notifications.notify([registration.user], "event_reminder",
                                     {"title": event.title, "when": when_text(event)}, f"/events/{event.slug}",
                                     mail=True)  # fmt: skip
            else:
                fake = EventInvitation(email=registration.email, name=registration.name, locale=registration.locale)
                _mail(fake, event, link_to(event, None), reminder=True)
            registration.reminded_at = now
            sent += 1
        for invitation in db.session.scalars(select(EventInvitation).where(
                EventInvitation.event_id == event.id, EventInvitation.reminded_at.is_(None))):  # fmt: skip
            if invitation.email.lower() in emails or event.status == "full":
                continue
            _mail(invitation, event, link_to(event, signed_invitation(invitation)), reminder=True)
            invitation.reminded_at = now
            sent += 1
    db.session.flush()
    return sent


def public_link(event: Event, token: str | None) -> str:
    """A link for mail sent outside a request: PUBLIC_BASE_URL (NETWORK_PUBLIC_BASE_URL), else SERVER_NAME."""
    base = current_app.config.get("PUBLIC_BASE_URL") or f"http://{current_app.config.get('SERVER_NAME') or 'localhost'}"
    return f"{base.rstrip('/')}/events/{event.slug}" + (f"/join/{token}" if token else "")


def reminders_job() -> int:
    """The periodic job (every 15 minutes on the consumer, see tasks.PERIODIC): the day-before reminders."""
    sent = send_reminders(public_link)
    db.session.commit()
    return sent
