"""Events: the calendar, each event with its co-hosts and agenda, and registrations."""

from flask import request
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from network.api.conventions import ETAG_HEADER, LINK_HEADER, WRITE, actor, created, etag, make_blueprint, paged
from network.api.resources import CollectionResource, RecordAction, RecordResource
from network.api.schemas import TEXT_ONLY, Count, Id, PrivateFieldsSchema, StrictSchema, page_of
from network.models import Organization
from network.models.event import EVENT_KINDS, EVENT_STATUSES, HOST_ROLES
from network.services import archiving, lookups
from network.services import events as service

bp = make_blueprint("api_events", "Events: side events, meetings, workshops, webinars and their registrations")


# ---------------------------------------------------------------------------------------- schemas


class EventHostSchema(Schema):
    id = fields.Integer()
    organization_id = fields.Integer()
    organization = fields.Function(lambda h: h.organization.name, metadata={"type": "string"})
    role = fields.String(metadata={"description": "host, co_host, sponsor or partner"})


class SpeakerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    person_id = fields.Integer(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    organization = fields.Function(lambda s: s.affiliation, metadata={"type": ["string", "null"]})


class AgendaItemSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime(allow_none=True)
    description = fields.String(allow_none=True)
    speakers = fields.List(fields.Nested(SpeakerSchema))


class EventSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    title = fields.String()
    title_local = fields.String(allow_none=True)
    kind = fields.String(metadata={"description": ", ".join(EVENT_KINDS)})
    status = fields.String(metadata={"description": ", ".join(EVENT_STATUSES)})
    starts_at = fields.DateTime(metadata={"description": "UTC"})
    ends_at = fields.DateTime(metadata={"description": "UTC"})
    timezone = fields.String(metadata={"description": "the event's IANA time zone, e.g. Asia/Baku"})
    venue = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.Function(lambda e: e.country.code if e.country else None, metadata={"type": ["string", "null"]})
    online_url = fields.String(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    description = fields.String(allow_none=True)
    network_id = fields.Integer(allow_none=True)
    themes = fields.Function(lambda e: [t.slug for t in e.themes],
                             metadata={"type": "array", "items": {"type": "string"}})  # fmt: skip
    initiatives = fields.Function(lambda e: [i.slug for i in e.initiatives],
                                  metadata={"type": "array", "items": {"type": "string"}})  # fmt: skip
    hosts = fields.List(fields.Nested(EventHostSchema))
    version = fields.Integer()
    archived_at = fields.DateTime(allow_none=True)


class EventInput(StrictSchema):
    title = fields.String(required=True)
    title_local = fields.String(allow_none=True)
    kind = fields.String(allow_none=True, validate=validate.OneOf(EVENT_KINDS))
    status = fields.String(allow_none=True, validate=validate.OneOf(EVENT_STATUSES))
    starts_at = fields.String(required=True, metadata={
        "description": "ISO 8601 date and time; without an offset it is read in the event's time zone"})  # fmt: skip
    ends_at = fields.String(required=True)
    timezone = fields.String(allow_none=True, metadata={"description": "IANA name; UTC when not given"})
    venue = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.String(allow_none=True, metadata={"description": "ISO 3166 alpha-2 code"})
    online_url = fields.String(allow_none=True)
    capacity = Count(allow_none=True)
    description = fields.String(allow_none=True)
    network = Id(allow_none=True, metadata={"description": "convening node id"})
    themes = fields.List(fields.String())
    initiatives = fields.List(fields.String(), metadata={"description": "initiative slugs or ids"})


class EventListArgs(Schema):
    q = fields.String(
        metadata={
            "description": "words in the title, description, place or hosts' names; country, "
            "region and theme names also match by facet"
        }
    )
    text_only = TEXT_ONLY
    when = fields.String(validate=validate.OneOf(("upcoming", "past", "all")), metadata={"description": "upcoming (default), past or all"})  # fmt: skip
    kind = fields.String()
    theme = fields.String()
    region = fields.String(metadata={"description": "M49 region code"})
    country = fields.String()
    network = fields.String(metadata={"description": "node slug"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))

    from_ = fields.String(data_key="from", metadata={"description": "events ending on or after this day (YYYY-MM-DD)"})
    to = fields.String(metadata={"description": "events starting on or before this day (YYYY-MM-DD)"})


class HostInput(StrictSchema):
    organization = fields.String(required=True, metadata={"description": "organisation id or slug"})
    role = fields.String(load_default="co_host", validate=validate.OneOf(HOST_ROLES))


class SpeakerInput(StrictSchema):
    person = Id(allow_none=True, metadata={"description": "a person of the directory"})
    name = fields.String(allow_none=True, metadata={"description": "someone outside the directory"})
    organization = fields.String(allow_none=True, metadata={"description": "organisation id or slug"})
    organization_name = fields.String(allow_none=True, metadata={"description": "an organisation outside it"})


class AgendaItemInput(StrictSchema):
    title = fields.String(required=True)
    starts_at = fields.String(required=True, metadata={"description": "without an offset: the event's zone"})
    ends_at = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    speakers = fields.List(fields.Nested(SpeakerInput))


class RegistrationSchema(PrivateFieldsSchema):
    record_kind = "registration"

    id = fields.Integer()
    event_id = fields.Integer()
    user_id = fields.Integer(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    name = fields.String()
    email = fields.String(metadata={"description": "only for the organisers and the registrant"})
    organization_id = fields.Integer(allow_none=True)
    organization = fields.Function(lambda r: r.affiliation, metadata={"type": ["string", "null"]})
    status = fields.String(metadata={"description": "registered, waitlisted or cancelled"})
    queued_at = fields.DateTime()
    attended_at = fields.DateTime(allow_none=True)
    dietary = fields.String(allow_none=True, metadata={"description": "only for the organisers and the registrant"})
    accessibility = fields.String(allow_none=True,
                                  metadata={"description": "only for the organisers and the registrant"})  # fmt: skip
    version = fields.Integer()


class RegistrationInput(StrictSchema):
    """Without name and email: the caller registers themselves. With them: an organiser registers
    someone (people of the directory are matched by email)."""

    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    organization = fields.String(allow_none=True, metadata={"description": "organisation id or slug"})
    organization_name = fields.String(allow_none=True)
    dietary = fields.String(allow_none=True)
    accessibility = fields.String(allow_none=True)


class RegistrationImportInput(Schema):
    # Not required by the schema: the permission is asked first, then a missing file is a 422.
    file = Upload(metadata={"description": "CSV: name, email, organization, dietary, accessibility"})


class ImportOutcomeSchema(Schema):
    added = fields.Integer()
    already = fields.Integer(metadata={"description": "already registered (left alone)"})
    errors = fields.List(fields.String(), metadata={"description": "rows not imported, by line"})


class AttendanceInput(StrictSchema):
    attended = fields.Boolean(load_default=True)


EventPageSchema = page_of(
    EventSchema,
    "EventPage",
    facets=fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Dict()),
        metadata={"description": "value, label and count per facet"},
    ),
)
AgendaPageSchema = page_of(AgendaItemSchema, "AgendaPage")
HostPageSchema = page_of(EventHostSchema, "EventHostPage")
RegistrationPageSchema = page_of(RegistrationSchema, "RegistrationPage")


def _all(items):
    body, headers = paged(items, len(items), {"page": 1, "per_page": max(1, len(items))})
    return body, 200, headers


# -------------------------------------------------------------------------------------- resources


class EventDetail(RecordResource, blueprint=bp, rule="/events/<string:ref>", schema=EventSchema, input=EventInput):
    def read(self, ref):
        """An event by id or slug"""
        return service.visible_event(actor(), ref)

    def update(self, event, data, version):
        """Change some fields (its coordinators); If-Match required"""
        service.update_event(actor(), event, data, version)

    def archive(self, event, version):
        """Archive an event (its coordinators); If-Match required"""
        archiving.archive(actor(), event, version)


class EventRestore(RecordAction, blueprint=bp, rule="/events/<string:ref>/restore", schema=EventSchema):
    def read(self, ref):
        return service.visible_event(actor(), ref)

    def act(self, event, version):
        """Restore an archived event (its coordinators); If-Match required"""
        archiving.restore(actor(), event, version)


class Events(CollectionResource, blueprint=bp, rule="/events", schema=EventSchema, input=EventInput,
             detail=EventDetail):  # fmt: skip
    @bp.arguments(EventListArgs, location="query")
    @bp.response(200, EventPageSchema, headers=LINK_HEADER)
    def get(self, args):
        """Search events (not archived): words, upcoming or past, from/to dates (YYYY-MM-DD), facets"""
        per_page = args["per_page"]
        result = service.search_events(actor(), service.parse_params(request.args), per_page=per_page)
        facets = {name: [{"value": v.value, "label": str(v.label), "count": v.count} for v in values]
                  for name, values in result.facets.items()}  # fmt: skip
        body, headers = paged(result.items, result.total, {"page": result.page, "per_page": per_page}, facets=facets)
        return body, 200, headers

    def create(self, data):
        """Convene an event (coordinators; in their node unless another is given)"""
        return service.create_event(actor(), data)


@bp.route("/events/<string:ref>/hosts")
class EventHosts(MethodView):
    @bp.response(200, HostPageSchema, headers=LINK_HEADER)
    def get(self, ref):
        """The event's hosts, co-hosts, sponsors and partners"""
        return _all(list(service.visible_event(actor(), ref).hosts))

    @bp.arguments(HostInput)
    @bp.response(201, EventHostSchema)
    @bp.doc(**WRITE)
    def post(self, data, ref):
        """Add a host (its coordinators)"""
        event = service.visible_event(actor(), ref)
        org = lookups.named_in_field(Organization, data["organization"], "organization")
        return service.add_host(actor(), event, org, data["role"]), 201


@bp.route("/events/<string:ref>/agenda")
class EventAgenda(MethodView):
    @bp.response(200, AgendaPageSchema, headers=LINK_HEADER)
    def get(self, ref):
        """The agenda with its speakers"""
        return _all(list(service.visible_event(actor(), ref).agenda))

    @bp.arguments(AgendaItemInput)
    @bp.response(201, AgendaItemSchema)
    @bp.doc(**WRITE)
    def post(self, data, ref):
        """Add an agenda item with its speakers (coordinators and co-host members)"""
        event = service.visible_event(actor(), ref)
        return service.add_agenda_item(actor(), event, data), 201


@bp.route("/events/<string:ref>/registrations")
class EventRegistrations(MethodView):
    @bp.response(200, RegistrationPageSchema, headers=LINK_HEADER)
    def get(self, ref):
        """Registrations, seats first then the waitlist (organisers)"""
        event = service.visible_event(actor(), ref)
        return _all(service.registrations_of(actor(), event))

    @bp.arguments(RegistrationInput)
    @bp.response(201, RegistrationSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def post(self, data, ref):
        """Register yourself (empty body or only answers) or, as an organiser, someone else"""
        event = service.visible_event(actor(), ref)
        if data.get("email") or data.get("name"):
            registration = service.register_person(actor(), event, data)
        else:
            registration = service.register(actor(), event, data)
        return created(registration, "api_events.RegistrationDetail", registration_id=registration.id)


@bp.route("/events/<string:ref>/registrations/import")
class EventRegistrationImport(MethodView):
    @bp.arguments(RegistrationImportInput, location="files")
    @bp.response(200, ImportOutcomeSchema)
    @bp.doc(**WRITE)
    def post(self, data, ref):
        """Register the people of a CSV (coordinators); people of the directory are matched by email"""
        event = service.visible_event(actor(), ref)
        upload = data.get("file")
        content = upload.read(2_000_001)[:2_000_000] if upload is not None else b""
        return service.import_registrations(actor(), event, content)


@bp.route("/registrations/<int:registration_id>")
class RegistrationDetail(MethodView):
    @bp.response(200, RegistrationSchema, headers=ETAG_HEADER)
    def get(self, registration_id):
        """A registration (the registrant and the organisers)"""
        registration = service.visible_registration(actor(), registration_id)
        return registration, 200, etag(registration)


@bp.route("/registrations/<int:registration_id>/cancel")
class RegistrationCancel(MethodView):
    @bp.response(200, RegistrationSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def post(self, registration_id):
        """Cancel a registration (the registrant or the coordinators); the waitlist moves up"""
        registration = service.visible_registration(actor(), registration_id)
        service.cancel(actor(), registration)
        return registration, 200, etag(registration)


@bp.route("/registrations/<int:registration_id>/attendance")
class RegistrationAttendance(MethodView):
    @bp.arguments(AttendanceInput)
    @bp.response(200, RegistrationSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def post(self, data, registration_id):
        """Check someone in, or undo it (organisers)"""
        registration = service.visible_registration(actor(), registration_id)
        service.mark_attended(actor(), registration, data["attended"])
        return registration, 200, etag(registration)
