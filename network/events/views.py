"""Event pages: the calendar, an event with its hosts, agenda and registration, the organisers'
list (printable), the check-in page for a phone, exports, invitations and iCalendar files.

Views stay thin: parse the form, call one service, flash and redirect (or render).
"""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from network import permissions
from network.editing import actor, create_view, edit_view, flash_errors
from network.events.forms import (
    AgendaItemForm,
    ConfirmForm,
    EventForm,
    HostForm,
    ImportForm,
    InviteForm,
    NoteForm,
    RegisterForm,
    RegisterPersonForm,
    SpeakerForm,
    event_form_data,
)  # fmt: skip
from network.extensions import db
from network.models import Network, Organization, Person
from network.services import ValidationError, archiving, history, tags
from network.services import events as service
from network.services.cleaning import find_organization
from network.services.events import invitations, labels

bp = Blueprint("events", __name__)


@bp.app_context_processor
def event_words():
    return {"event_labels": labels, "event_time": event_time}


@bp.app_template_global()
def events_of_organization(org):
    """For an organisation's page (templates/events/_organization.html)."""
    return service.events_of_organization(org)


def event_time(moment, zone_name: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment in the event's zone, as the page shows it beside the reader's own (static/js/events.js)."""
    return service.local(moment, zone_name).strftime(fmt) if moment is not None else ""


def _back(event, anchor: str = ""):
    return redirect(url_for("events.detail", slug=event.slug) + anchor)


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _run(event, action, message: str, anchor: str = ""):
    """Run a service ``action``; flash its message or its errors; back to the event page."""
    try:
        action()
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(message, "success")
    return _back(event, anchor)


# ------------------------------------------------------------------------------------------ pages


@bp.get("/events")
def index():
    params = service.parse_params(request.args)
    result = service.search_events(current_user, params)
    template = "events/_results.html" if request.headers.get("HX-Request") else "events/index.html"
    return render_template(template, result=result, params=params)


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def create():
    permissions.require(current_user, "event.create", None)
    return create_view(
        EventForm(networks=service.networks_to_convene(current_user)),
        lambda data: service.create_event(actor(), data),
        message=_("Event created. Now add its co-hosts and agenda."),
        next_url=lambda saved: url_for("events.detail", slug=saved.slug),
        render=lambda form: render_template("events/form.html", form=form, event=None),
    )  # fmt: skip


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    event = service.find_event(slug)
    permissions.require(current_user, "event.update", event)
    return edit_view(
        event, EventForm, event_form_data,
        lambda data, version: service.update_event(actor(), event, data, version),
        cancel_url=url_for("events.detail", slug=event.slug), message=_("Event saved."),
        render=lambda form: render_template("events/form.html", form=form, event=event),
    )  # fmt: skip


@bp.get("/events/<slug>")
def detail(slug: str):
    event = service.find_event(slug)
    permissions.require(current_user, "event.view", event)
    organiser = permissions.can(current_user, "event.view_registrations", event)
    own = service.own_registration(current_user, event)
    return render_template(
        "events/detail.html",
        event=event,
        own=own,
        position=service.waitlist_position(own) if own is not None else None,
        counts=service.counts(event),
        organiser=organiser,
        manage=permissions.can(current_user, "event.update", event),
        can_agenda=permissions.can(current_user, "event.edit_agenda", event),
        can_register=permissions.can(current_user, "event.register", event),
        can_register_others=permissions.can(current_user, "event.register_others", event),
        can_invite=permissions.can(current_user, "event.invite", event),
        can_note=permissions.can(current_user, "event.record_note", event),
        notes=service.notes_of(current_user, event),
        invited=invitations.invitations_of(current_user, event),
        host_form=HostForm(),
        agenda_form=AgendaItemForm(),
        speaker_form=SpeakerForm(people=service.people_choices(event)),
        register_form=RegisterForm(),
        person_form=RegisterPersonForm(prefix="person"),
        import_form=ImportForm(),
        invite_form=InviteForm(tags=tags.visible_tags(current_user))
        if permissions.can(current_user, "event.invite", event)
        else None,
        note_form=NoteForm(),
        confirm_form=ConfirmForm(),
        offset=service.utc_offset(event.starts_at, event.timezone),
    )


@bp.post("/events/<slug>/archive")
@login_required
def archive(slug: str):
    event = service.find_event(slug)
    _confirmed()
    return _run(event, lambda: archiving.archive(actor(), event, request.form.get("version") or None),
                _("Event archived."))  # fmt: skip


@bp.post("/events/<slug>/restore")
@login_required
def restore(slug: str):
    event = service.find_event(slug)
    _confirmed()
    return _run(event, lambda: archiving.restore(actor(), event, request.form.get("version") or None),
                _("Event restored."))  # fmt: skip


# ----------------------------------------------------------------------------------- hosts, agenda


@bp.post("/events/<slug>/hosts")
@login_required
def add_host(slug: str):
    event = service.find_event(slug)
    permissions.require(current_user, "event.update", event)
    form = HostForm()
    if not form.validate_on_submit():
        abort(400)
    text = (form.organization.data or "").strip()[:300]
    org = find_organization(text) or db.session.scalar(select(Organization).where(Organization.name == text))
    if org is None:
        flash(_("No such organisation."), "error")
        return _back(event, "#hosts")
    return _run(event, lambda: service.add_host(actor(), event, org, form.role.data),
                _("%(org)s added.", org=org.name), "#hosts")  # fmt: skip


@bp.post("/events/<slug>/hosts/<int:host_id>/remove")
@login_required
def remove_host(slug: str, host_id: int):
    event = service.find_event(slug)
    _confirmed()
    return _run(event, lambda: service.remove_host(actor(), event, host_id), _("Removed."), "#hosts")


@bp.post("/events/<slug>/agenda")
@login_required
def add_agenda_item(slug: str):
    event = service.find_event(slug)
    permissions.require(current_user, "event.edit_agenda", event)
    form = AgendaItemForm()
    if not form.validate_on_submit():
        abort(400)
    data = {k: form[k].data for k in ("title", "starts_at", "ends_at", "description")}
    return _run(event, lambda: service.add_agenda_item(actor(), event, data), _("Agenda item added."), "#agenda")


@bp.post("/events/<slug>/agenda/<int:item_id>/remove")
@login_required
def remove_agenda_item(slug: str, item_id: int):
    event = service.find_event(slug)
    item = service.find_agenda_item(event, item_id)
    _confirmed()
    return _run(event, lambda: service.remove_agenda_item(actor(), event, item), _("Removed."), "#agenda")


@bp.post("/events/<slug>/agenda/<int:item_id>/speakers")
@login_required
def add_speaker(slug: str, item_id: int):
    event = service.find_event(slug)
    item = service.find_agenda_item(event, item_id)
    permissions.require(current_user, "event.edit_agenda", event)
    form = SpeakerForm(people=service.people_choices(event))
    if not form.validate_on_submit():
        abort(400)
    data = {"person": form.person.data, "name": form.name.data, "organization_name": form.organization_name.data}
    return _run(event, lambda: service.add_speaker(actor(), event, item, data), _("Speaker added."), "#agenda")


@bp.post("/events/<slug>/agenda/<int:item_id>/speakers/<int:speaker_id>/link")
@login_required
def link_speaker(slug: str, item_id: int, speaker_id: int):
    """A speaker entered by name, now linked to the person in the directory."""
    event = service.find_event(slug)
    item = service.find_agenda_item(event, item_id)
    permissions.require(current_user, "event.edit_agenda", event)
    speaker = next((s for s in item.speakers if s.id == speaker_id), None)
    text = request.form.get("person", "")
    person = db.session.get(Person, int(text)) if text.isdigit() and len(text) < 10 else None
    if speaker is None or person is None:
        flash(_("Choose a person of the directory."), "error")
        return _back(event, "#agenda")
    return _run(event, lambda: service.link_speaker(actor(), event, speaker, person),
                _("%(name)s is linked to the directory.", name=person.name), "#agenda")  # fmt: skip


@bp.post("/events/<slug>/agenda/<int:item_id>/speakers/<int:speaker_id>/remove")
@login_required
def remove_speaker(slug: str, item_id: int, speaker_id: int):
    event = service.find_event(slug)
    item = service.find_agenda_item(event, item_id)
    _confirmed()
    return _run(event, lambda: service.remove_speaker(actor(), event, item, speaker_id), _("Removed."), "#agenda")


# ---------------------------------------------------------------------------------- registrations


@bp.post("/events/<slug>/register")
@login_required
def register(slug: str):
    event = service.find_event(slug)
    permissions.require(current_user, "event.register", event)
    form = RegisterForm()
    if not form.validate_on_submit():
        abort(400)

    def run():
        registration = service.register(actor(), event, {"dietary": form.dietary.data,
                                                         "accessibility": form.accessibility.data})  # fmt: skip
        if registration.status == "waitlisted":
            flash(_("The event is full: you are on the waitlist and will be told when a seat is free."), "info")
        else:
            flash(_("You are registered."), "success")

    try:
        run()
    except ValidationError as error:
        flash_errors(error)
    return _back(event, "#registration")


@bp.post("/events/<slug>/registrations")
@login_required
def register_person(slug: str):
    event = service.find_event(slug)
    permissions.require(current_user, "event.register_others", event)
    form = RegisterPersonForm(prefix="person")
    if not form.validate_on_submit():
        abort(400)
    data = {k: form[k].data for k in ("name", "email", "organization_name", "dietary", "accessibility")}
    return _run(event, lambda: service.register_person(actor(), event, data),
                _("%(name)s is registered (or on the waitlist if the event is full).", name=data["name"] or data["email"]),
                "#registration")  # fmt: skip


@bp.post("/events/<slug>/registrations/<int:registration_id>/cancel")
@login_required
def cancel(slug: str, registration_id: int):
    event = service.find_event(slug)
    registration = service.find_registration(event, registration_id)
    _confirmed()
    target = request.form.get("next")
    try:
        service.cancel(actor(), registration)
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("The registration is cancelled."), "info")
    if target in ("registrations", "check_in"):
        return redirect(url_for(f"events.{target}", slug=event.slug))
    return _back(event, "#registration")


@bp.post("/events/<slug>/registrations/<int:registration_id>/attend")
@login_required
def attend(slug: str, registration_id: int):
    event = service.find_event(slug)
    registration = service.find_registration(event, registration_id)
    _confirmed()
    attended = request.form.get("attended", "1") == "1"
    try:
        service.mark_attended(actor(), registration, attended)
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("%(name)s is checked in.", name=registration.name) if attended
              else _("%(name)s is no longer checked in.", name=registration.name), "success")  # fmt: skip
    q = request.form.get("q", "")[:100]
    return redirect(url_for("events.check_in", slug=event.slug, q=q or None) + f"#registration-{registration.id}")


@bp.get("/events/<slug>/registrations")
@login_required
def registrations(slug: str):
    """The organisers' list, printable (a sign-in sheet for the door)."""
    event = service.find_event(slug)
    rows = service.registrations_of(current_user, event)
    return render_template("events/registrations.html", event=event, rows=rows, counts=service.counts(event),
                           confirm_form=ConfirmForm())  # fmt: skip


@bp.get("/events/<slug>/history")
@login_required
def history_page(slug: str):
    event = service.find_event(slug)
    page = service.event_history(actor(), event, before=request.args.get("before"))
    return render_template("events/history.html", event=event, **history.history_context(page))


@bp.get("/events/<slug>/check-in")
@login_required
def check_in(slug: str):
    """Checking people in at the door, from a phone: find a name, tap Check in."""
    event = service.find_event(slug)
    permissions.require(current_user, "event.check_in", event)
    q = request.args.get("q", "").strip()[:100]
    rows = service.registrations_of(current_user, event, statuses=("registered",))
    if q:
        words = q.lower().split()
        rows = [r for r in rows if all(w in f"{r.name} {r.email} {r.affiliation or ''}".lower() for w in words)]
    return render_template("events/check_in.html", event=event, rows=rows, q=q, counts=service.counts(event),
                           confirm_form=ConfirmForm())  # fmt: skip


@bp.get("/events/<slug>/participants.<any(csv, xlsx):fmt>")
@login_required
def participants_export(slug: str, fmt: str):
    event = service.find_event(slug)
    rows = service.participant_rows(current_user, event)
    name = f"{event.slug}-participants.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "xlsx":
        return Response(service.rows_as_xlsx(rows), headers=headers,
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    return Response(service.rows_as_csv(rows), mimetype="text/csv", headers=headers)


@bp.post("/events/<slug>/registrations/import")
@login_required
def import_registrations(slug: str):
    event = service.find_event(slug)
    permissions.require(current_user, "event.register_others", event)
    form = ImportForm()
    if not form.validate_on_submit() or not form.file.data:
        flash(_("Choose a CSV file."), "error")
        return _back(event, "#registration")
    try:
        outcome = service.import_registrations(actor(), event, form.file.data.read(2_000_001)[:2_000_000])
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("%(added)d registered, %(already)d already were.", added=outcome["added"], already=outcome["already"]),
              "success")  # fmt: skip
        for message in outcome["errors"][:20]:
            flash(message, "error")
    return _back(event, "#registration")


# ---------------------------------------------------------------------------- invitations by mail


def invitation_link(event, token) -> str:
    if token is None:
        return url_for("events.detail", slug=event.slug, _external=True)
    return url_for("events.join", slug=event.slug, token=token, _external=True)


@bp.post("/events/<slug>/invite")
@login_required
def invite(slug: str):
    """Invite the people of the organisations named (one per line): a mail each, in their language."""
    event = service.find_event(slug)
    permissions.require(current_user, "event.invite", event)
    form = InviteForm(tags=tags.visible_tags(current_user))
    if not form.validate_on_submit():
        abort(400)
    names = [line.strip()[:300] for line in (form.organizations.data or "").splitlines() if line.strip()][:200]
    orgs, unknown = [], []
    for name in names:
        org = find_organization(name) or db.session.scalar(select(Organization).where(Organization.name == name))
        (orgs.append(org) if org is not None else unknown.append(name))
    for name in unknown:
        flash(_("No such organisation: %(name)s", name=name), "error")
    tag_id = form.tag.data or ""
    if tag_id.isdigit() and len(tag_id) < 11:  # 'invite these organisations' people': a tag's organisations
        orgs += invitations.organizations_tagged(tags.get_tag(actor(), int(tag_id)))
    people = invitations.people_of(orgs)
    return _invite(event, people)


def _invite(event, people):
    """Invite these people to the event, say how many were sent, and go back to its invitations."""
    try:
        outcome = invitations.invite_people(actor(), event, people, invitation_link)
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("%(sent)d invitations sent (%(skipped)d people were already invited or have no email).",
                sent=outcome["sent"], skipped=outcome["skipped"]), "success")  # fmt: skip
    return _back(event, "#invitations")


def invite_page(ids):
    """From the directory's bulk action: choose an event to invite the selected organisations' people to."""
    choices = invitations.events_to_invite_to(current_user)
    if not choices:
        permissions.require(current_user, "event.create", None)  # a 403 with the usual message
        flash(_("There is no event to come you may invite people to: create one first."), "info")
        return redirect(url_for("events.create"))
    people = invitations.people_of(invitations.organizations_numbered([int(i) for i in ids]))
    return render_template("events/invite.html", events=choices, ids=ids, people=len(people))


@bp.post("/events/invite-selected")
@login_required
def invite_selected():
    """The bulk action's second step: invite the people of the selected organisations to the chosen event."""
    _confirmed()
    event = service.find_event(request.form.get("event", ""))
    permissions.require(current_user, "event.invite", event)
    ids = [int(i) for i in request.form.getlist("id") if i.isdigit() and len(i) < 10]
    people = invitations.people_of(invitations.organizations_numbered(ids))
    return _invite(event, people)


@bp.route("/events/<slug>/join/<token>", methods=["GET", "POST"])
def join(slug: str, token: str):
    """The signed link of an invitation: register without an account."""
    event = service.find_event(slug)
    permissions.require(current_user, "event.view", event)
    try:
        invitation = invitations.read_invitation(event, token)
    except ValidationError as error:
        return render_template("events/join.html", event=event, error=" ".join(error.errors[""]), form=None), 400
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            registration = invitations.register_invited(event, token, {"dietary": form.dietary.data,
                                                                        "accessibility": form.accessibility.data})  # fmt: skip
        except ValidationError as error:
            flash_errors(error)
        else:
            return render_template("events/join.html", event=event, invitation=invitation, registration=registration,
                                   form=None, error=None)  # fmt: skip
    return render_template("events/join.html", event=event, invitation=invitation, form=form, error=None)


# -------------------------------------------------------------------------------- after the event


@bp.post("/events/<slug>/notes")
@login_required
def record_note(slug: str):
    event = service.find_event(slug)
    permissions.require(current_user, "event.record_note", event)
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    data = {"kind": form.kind.data, "subject": form.subject.data, "body": form.body.data}
    return _run(event, lambda: service.record_note(actor(), event, data), _("Recorded."), "#notes")


# -------------------------------------------------------------------------------------- calendars


def ics_response(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


@bp.get("/events/<slug>/calendar.ics")
def event_ics(slug: str):
    event = service.find_event(slug)
    permissions.require(current_user, "event.view", event)
    return ics_response(service.ics([event], request.host_url), f"{event.slug}.ics")


@bp.get("/events/node/<node>.ics")
def node_ics(node: str):
    """The feed of a network node's events (and its sub-nodes'), to subscribe to in a calendar app."""
    permissions.require(current_user, "directory.view", None)
    network = db.session.scalar(select(Network).where(Network.slug == node[:200], Network.archived_at.is_(None)))
    if network is None:
        abort(404)
    events = service.node_events(network)
    return ics_response(service.ics(events, request.host_url, network.name), f"{network.slug}-events.ics")


@bp.cli.command("send-reminders")
def send_reminders_command() -> None:
    """Mail the reminders for events starting in the next 24 hours (the worker does it every 15 minutes)."""
    import click

    from network.database import writing

    with writing():
        sent = invitations.reminders_job()
    click.echo(f"{sent} reminders sent.")
