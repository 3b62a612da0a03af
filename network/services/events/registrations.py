"""Registrations: people register themselves (or are registered by the organisers, imported from a
CSV, or come through a signed invitation link); past the capacity they wait in line, and the line
moves up when someone cancels or the capacity grows. Attendance is marked on the day."""

import csv
import io

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from network import permissions
from network.extensions import db
from network.models import Event, Organization, Person, Registration, User, utcnow
from network.services import NotFound, ValidationError, lookups, operation
from network.services.cleaning import Cleaner, find_organization, is_empty
from network.services.spreadsheet import escape_formula

ANSWERS = ("dietary", "accessibility")


# ---------------------------------------------------------------------------------------- reading


def registrations_of(actor, event: Event, statuses=("registered", "waitlisted", "cancelled")) -> list[Registration]:
    """The event's registrations (organisers only): seats first, then the waitlist in its order."""
    permissions.require(actor, "event.view_registrations", event)
    rows = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status.in_(statuses))
        .options(selectinload(Registration.organization))
        .order_by(Registration.status != "registered", Registration.status != "waitlisted", Registration.queued_at,
                  Registration.id)
    )  # fmt: skip
    return list(rows)


def own_registration(actor, event: Event) -> Registration | None:
    if permissions.role_of(actor) is None:
        return None
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            (Registration.user_id == actor.id) | (func.lower(Registration.email) == actor.email.lower()),
        )
    )


def waitlist_position(registration: Registration) -> int | None:
    if registration.status != "waitlisted":
        return None
    ahead = db.session.scalar(
        select(func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == "waitlisted",
            (Registration.queued_at < registration.queued_at)
            | ((Registration.queued_at == registration.queued_at) & (Registration.id < registration.id)),
        )
    )
    return ahead + 1


def visible_registration(actor, registration_id: int) -> Registration:
    registration = lookups.by_id(Registration, registration_id)
    if registration is None or not permissions.can(actor, "registration.view", registration):
        raise NotFound(_("No such registration."))
    return registration


def find_registration(event: Event, registration_id) -> Registration:
    registration = lookups.by_id(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise NotFound(_("No such registration."))
    return registration


def counts(event: Event) -> dict[str, int]:
    rows = db.session.execute(
        select(Registration.status, func.count()).where(Registration.event_id == event.id).group_by(Registration.status)
    )
    found = dict(rows.all())  # a list of (status, count) rows
    attended = db.session.scalar(
        select(func.count()).where(Registration.event_id == event.id, Registration.attended_at.is_not(None))
    )
    return {"registered": found.get("registered", 0), "waitlisted": found.get("waitlisted", 0),
            "cancelled": found.get("cancelled", 0), "attended": attended}  # fmt: skip


# ---------------------------------------------------------------------------------------- writing


def _lock(event: Event) -> None:
    """Serialise seat-taking on an event (PostgreSQL row lock; SQLite writes one at a time anyway)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())


def _free_seats(event: Event) -> int | None:
    if event.capacity is None:
        return None
    taken = db.session.scalar(
        select(func.count()).where(Registration.event_id == event.id, Registration.status == "registered")
    )
    return max(0, event.capacity - taken)


def _answers(data: dict) -> dict:
    c = Cleaner({k: data.get(k) for k in ANSWERS})
    for key in ANSWERS:
        c.text(key, max_length=500)
    return c.done()


def _place(event: Event, registration: Registration) -> Registration:
    _lock(event)
    free = _free_seats(event)
    registration.status = "registered" if free is None or free > 0 else "waitlisted"
    registration.queued_at, registration.cancelled_at = utcnow(), None
    db.session.add(registration)
    return registration


def _existing(event: Event, email: str) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(Registration.event_id == event.id, func.lower(Registration.email) == email.lower())
    )


def _open(event: Event) -> None:
    if event.is_archived or event.status in ("held", "cancelled") or event.ends_at < utcnow():
        raise ValidationError({"": [_("Registration for this event is closed.")]})


@operation
def register(actor, event: Event, data: dict | None = None) -> Registration:
    """The signed-in user registers (a seat, or a place on the waitlist), with optional answers."""
    permissions.require(actor, "event.register", event)
    _open(event)
    answers = _answers(data or {})
    registration = _existing(event, actor.email)
    if registration is not None and registration.status != "cancelled":
        raise ValidationError({"": [_("You are already registered for this event.")]})
    if registration is None:
        registration = Registration(event=event, email=actor.email)
    org = getattr(actor, "organization", None)
    registration.user_id, registration.name, registration.locale = actor.id, actor.name, actor.locale
    if org is not None:  # a member speaks for their organisation
        registration.organization = org
    registration.registered_by_id = actor.id
    for key, value in answers.items():
        setattr(registration, key, value)
    return _place(event, registration)


def _person_values(data: dict) -> dict:
    c = Cleaner({k: data.get(k) for k in ("name", "email", "organization", "organization_name", "locale")})
    c.email("email", required=True)
    person = None
    if c.cleaned.get("email"):
        person = db.session.scalar(
            select(Person).where(func.lower(Person.email) == c.cleaned["email"].lower(), Person.archived_at.is_(None))
            .order_by(Person.id).limit(1)
        )  # fmt: skip
    if person is None or not is_empty(data.get("name")):
        c.text("name", max_length=200, required=person is None)
    c.organization("organization")
    c.text("organization_name", max_length=300)
    c.choice("locale", tuple(current_app.config["LANGUAGES"]))
    cleaned = c.done()
    cleaned["person"] = person
    if person is not None:
        cleaned["name"] = cleaned.get("name") or person.name
        cleaned["organization"] = cleaned.get("organization") or person.organization
    return cleaned


@operation
def register_person(actor, event: Event, data: dict, *, invited: bool = False) -> Registration:
    """An organiser registers someone (by name and email; a person of the directory with that email
    is linked). ``invited``: through a signed invitation link (the link was the permission)."""
    if not invited:
        permissions.require(actor, "event.register_others", event)
    _open(event)
    values = _person_values(data)
    answers = _answers(data)
    registration = _existing(event, values["email"])
    if registration is not None and registration.status != "cancelled":
        raise ValidationError({"email": [_("%(email)s is already registered.", email=values["email"])]})
    if registration is None:
        registration = Registration(event=event, email=values["email"])
    user = db.session.scalar(select(User).where(func.lower(User.email) == values["email"].lower()))
    registration.user_id = user.id if user is not None else None
    registration.name = values["name"]
    registration.person_id = values["person"].id if values["person"] is not None else None
    registration.organization = values.get("organization")
    registration.organization_name = None if registration.organization else values.get("organization_name")
    registration.locale = values.get("locale") or (user.locale if user is not None else None)
    registration.registered_by_id = getattr(actor, "id", None)
    for key, value in answers.items():
        setattr(registration, key, value)
    return _place(event, registration)


def move_up(event: Event) -> list[Registration]:
    """Give free seats to the waitlist in its order; each promoted person is told."""
    free = _free_seats(event)
    if free is not None and free <= 0:
        return []
    waiting = select(Registration).where(Registration.event_id == event.id, Registration.status == "waitlisted")
    waiting = waiting.order_by(Registration.queued_at, Registration.id)
    promoted = list(db.session.scalars(waiting.limit(free) if free is not None else waiting))
    for registration in promoted:
        registration.status = "registered"
        _tell_promoted(event, registration)
    return promoted


def _tell_promoted(event: Event, registration: Registration) -> None:
    from network.services import notifications

    if registration.user is not None and registration.user.active:
        notifications.notify([registration.user], "event_seat", {"title": event.title}, f"/events/{event.slug}",
                             mail=True)  # fmt: skip
        return
    known = registration.locale in current_app.config["LANGUAGES"]
    with force_locale(registration.locale if known else current_app.config["BABEL_DEFAULT_LOCALE"]):
        notifications.deliver_mail(
            registration.email,
            _("A seat for you: %(title)s", title=event.title),
            _("A seat became free at “%(title)s” and it is now yours. If you cannot come, please tell the organisers.",
              title=event.title),
        )  # fmt: skip


@operation
def cancel(actor, registration: Registration) -> Registration:
    """Give up a seat (or a place on the waitlist); the first on the waitlist moves up."""
    permissions.require(actor, "registration.cancel", registration)
    if registration.status == "cancelled":
        raise ValidationError({"": [_("This registration is already cancelled.")]})
    event = registration.event
    _lock(event)
    had_seat = registration.status == "registered"
    registration.status, registration.cancelled_at = "cancelled", utcnow()
    db.session.flush()
    if had_seat:
        move_up(event)
    return registration


@operation
def mark_attended(actor, registration: Registration, attended: bool = True) -> Registration:
    """Check someone in on the day (or undo it)."""
    permissions.require(actor, "event.check_in", registration.event)
    if registration.status != "registered" and attended:
        raise ValidationError({"": [_("Only people with a seat can be checked in.")]})
    registration.attended_at = utcnow() if attended else None
    return registration


# ------------------------------------------------------------------------------- export and import

EXPORT_COLUMNS = ("name", "email", "organization", "status", "registered_at", "attended", "dietary", "accessibility")


def participant_rows(actor, event: Event) -> list[list]:
    """The export's rows (header first); answers only for those who may see them."""
    rows: list[list] = [list(EXPORT_COLUMNS)]
    for r in registrations_of(actor, event):
        rows.append([
            r.name, r.email if permissions.may_see(actor, "registration", "email", r) else "", r.affiliation or "",
            r.status, r.queued_at.isoformat(timespec="seconds"), "yes" if r.attended else "no",
            *[(getattr(r, k) or "") if permissions.may_see(actor, "registration", k, r) else "" for k in ANSWERS],
        ])  # fmt: skip
    return rows


def rows_as_csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([escape_formula(v) for v in row])
    return "\ufeff" + buffer.getvalue()


HEADER_NAMES = {
    "name": "name", "姓名": "name", "名字": "name",
    "email": "email", "e-mail": "email", "邮箱": "email", "电子邮件": "email",
    "organization": "organization", "organisation": "organization", "机构": "organization", "组织": "organization",
    "dietary": "dietary", "dietary needs": "dietary", "饮食": "dietary", "饮食需求": "dietary",
    "accessibility": "accessibility", "accessibility needs": "accessibility", "无障碍需求": "accessibility",
    "language": "locale", "locale": "locale", "语言": "locale",
}  # fmt: skip
MAX_IMPORT_ROWS = 5000


@operation
def import_registrations(actor, event: Event, data: bytes) -> dict:
    """Register the people of a CSV (name, email, organisation, dietary, accessibility); people of the
    directory are matched by email. Rows with errors are skipped and reported by line."""
    permissions.require(actor, "event.register_others", event)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": [_("The file is not UTF-8 text.")]}) from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ValidationError({"file": [_("The file is empty.")]})
    columns = [HEADER_NAMES.get(h.strip().lower()) for h in header]
    if "email" not in columns:
        raise ValidationError({"file": [_("The file needs an email column.")]})
    added, already, errors = 0, 0, []
    for line, row in enumerate(reader, start=2):
        if line > MAX_IMPORT_ROWS + 1:
            errors.append(_("Only the first %(n)d rows were read.", n=MAX_IMPORT_ROWS))
            break
        values = {key: value.strip() for key, value in zip(columns, row, strict=False) if key}
        if not any(values.values()):
            continue
        org = values.pop("organization", "")
        if org:
            found = find_organization(org) or db.session.scalar(select(Organization).where(Organization.name == org))
            values["organization" if found else "organization_name"] = found.id if found else org
        existing = _existing(event, values.get("email") or "")
        if existing is not None and existing.status != "cancelled":
            already += 1
            continue
        try:
            register_person(actor, event, values)
        except ValidationError as error:
            messages = "; ".join(m for ms in error.errors.values() for m in ms)
            errors.append(_("Line %(n)d: %(m)s", n=line, m=messages))
        else:
            added += 1
    return {"added": added, "already": already, "errors": errors}


def rows_as_xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("participants")
    for row in rows:
        sheet.append([escape_formula(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
