"""Mailings (#16): drafts written to the people of selected organisations, who they would reach,
sending, and the report. Coordinators of the mailing's node (and nodes above) and admins; every
rule is the services' (network/services/mailings), as on the pages.

A mailing has no version column: a draft's change is not checked with If-Match (the pages do not
check one either); once sent it is read-only, and changing or sending it again answers 409.
"""

from contextlib import contextmanager

from flask import request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from network.api.conventions import WRITE, PageArgs, actor, make_blueprint, paged
from network.api.schemas import Id, StrictSchema, page_of
from network.errors import Conflict, NotFound, ValidationError
from network.models import Network
from network.models.mailing import AUDIENCE_PEOPLE, AUDIENCE_SOURCES, DELIVERY_STATUSES, MAILING_STATUSES
from network.services import lookups
from network.services import mailings as service

bp = make_blueprint("api_mailings", "Mailings to the people of selected organisations (coordinators)")

EXCLUDED_SHOWN = 500  # the excluded listed by /audience (all of them are counted)


# ---------------------------------------------------------------------------------------- schemas


class AudienceSchema(Schema):
    source = fields.String(metadata={"description": ", ".join(AUDIENCE_SOURCES)})
    ref = fields.String(allow_none=True, metadata={
        "description": "node, tag or saved search id, initiative or event slug (not for a selection)"})  # fmt: skip
    ids = fields.List(fields.Integer(), metadata={"description": "a selection's organisation ids"})
    people = fields.String(metadata={"description": ", ".join(AUDIENCE_PEOPLE)})
    role = fields.String(allow_none=True, metadata={"description": "words of the people's job title (people=role)"})


class VersionSchema(Schema):
    subject = fields.String()
    body = fields.String()


class SummarySchema(Schema):
    organizations = fields.Integer()
    recipients = fields.Integer()
    excluded = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "by reason"})
    outside_node = fields.Integer(metadata={"description": "organisations of the source outside the node"})
    without_people = fields.Integer(metadata={"description": "organisations none of whose people was chosen"})


class MailingSchema(Schema):
    id = fields.Integer()
    network_id = fields.Integer(
        allow_none=True, metadata={"description": "the node it is sent from; null: network-wide"}
    )
    status = fields.String(metadata={"description": ", ".join(MAILING_STATUSES)})
    language = fields.String(metadata={"description": "the default version's language"})
    subject = fields.String()
    body = fields.String(metadata={"description": "Markdown with {{ name }}, {{ organisation }}, {{ node }}"})
    versions = fields.Dict(keys=fields.String(), values=fields.Nested(VersionSchema),
                           metadata={"description": "other languages: {code: {subject, body}}"})  # fmt: skip
    audience = fields.Nested(AudienceSchema)
    summary = fields.Nested(SummarySchema, allow_none=True, metadata={"description": "the audience as sent"})
    created_by_id = fields.Integer(allow_none=True)
    sent_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


MailingPageSchema = page_of(MailingSchema, "MailingPage")


class Ref(fields.String):
    """A node, tag or saved search id (a number or text) or a slug: text, as the service takes it."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)


class AudienceInput(StrictSchema):
    source = fields.String(metadata={"description": ", ".join(AUDIENCE_SOURCES) + "; default node"})
    ref = Ref(allow_none=True, metadata={"type": ["string", "integer", "null"], "description":
              "node, tag or saved search id, initiative or event slug"})  # fmt: skip
    ids = fields.List(Id(), validate=validate.Length(max=20000), metadata={"description": "source=selection"})
    people = fields.String(metadata={"description": ", ".join(AUDIENCE_PEOPLE) + "; default primary"})
    role = fields.String(allow_none=True)


class VersionInput(StrictSchema):
    subject = fields.String(load_default="")
    body = fields.String(load_default="")


class MailingChangeInput(StrictSchema):
    network = Id(metadata={"description": "the node it is sent from (id)"})
    subject = fields.String()
    body = fields.String()
    language = fields.String(metadata={"description": "the default version's language; default the site's"})
    audience = fields.Nested(AudienceInput, metadata={"description": "the fields given replace the draft's"})
    versions = fields.Dict(keys=fields.String(validate=validate.Length(max=8)), values=fields.Nested(VersionInput),
                           metadata={"description": "other languages (replace the draft's)"})  # fmt: skip


class MailingInput(MailingChangeInput):
    network = Id(required=True, allow_none=True, metadata={"description": "node id; null: network-wide (admins)"})


class ExcludedSchema(Schema):
    person_id = fields.Integer()
    organization_id = fields.Integer()
    organization = fields.String()
    name = fields.String()
    reason = fields.String(metadata={"description": "no_email, no_consent, unsubscribed, bounced or duplicate"})


class AudiencePreviewSchema(SummarySchema):
    excluded_people = fields.List(fields.Nested(ExcludedSchema),
                                  metadata={"description": f"the first {EXCLUDED_SHOWN} excluded, with why"})  # fmt: skip


class ReportSchema(Schema):
    status = fields.String(metadata={"description": "the mailing's"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "deliveries by status: " + ", ".join(DELIVERY_STATUSES)})  # fmt: skip
    reasons = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "the excluded by reason"}
    )


# ---------------------------------------------------------------------------------------- helpers


def _values(data: dict, mailing=None) -> dict:
    """The service's values from a request body; a change keeps what the body does not name."""
    values = service.values_of(mailing) if mailing is not None else {}
    values.update({k: data[k] for k in ("subject", "body", "language") if k in data})
    values.update(data.get("audience") or {})
    if "versions" in data:
        values = {k: v for k, v in values.items() if not k.startswith(("subject_", "body_"))}
        for code, version in data["versions"].items():
            values[f"subject_{code}"], values[f"body_{code}"] = version["subject"], version["body"]
    return values


AUDIENCE_FIELDS = ("source", "ref", "ids", "people", "role")  # the service's names for what audience holds


@contextmanager
def _judged():
    """No longer a draft: 409. The service's messages about the audience point into ``audience``; a
    source naming nothing (or nothing the caller may use) is invalid input, not a missing mailing."""
    try:
        yield
    except service.AlreadySent as error:
        raise Conflict(error.message) from None
    except ValidationError as error:
        if not set(error.errors) & set(AUDIENCE_FIELDS):
            raise
        # "audience/ref": the problem's pointer /audience/ref, its field audience.ref
        raise ValidationError({f"audience/{k}" if k in AUDIENCE_FIELDS else k: v
                               for k, v in error.errors.items()}) from None  # fmt: skip
    except NotFound:
        raise ValidationError({"audience/ref": [_("The audience names no node, tag, saved search, initiative or "
                                                  "event you may write to.")]}) from None  # fmt: skip


def _mailing(mailing_id: int, action: str = "mailing.view"):
    if not 0 < mailing_id < 2**31:
        raise NotFound(_("No such mailing."))
    return service.get_mailing(actor(), mailing_id, action)


def _location(mailing) -> dict:
    return {"Location": url_for("api_mailings.MailingDetail", mailing_id=mailing.id)}


# ------------------------------------------------------------------------------------------ routes


@bp.route("/mailings")
class Mailings(MethodView):
    @bp.arguments(PageArgs, location="query")
    @bp.response(200, MailingPageSchema)
    def get(self, args):
        """The mailings of the caller's nodes (admins: all), newest first (the latest 200)"""
        items = service.visible_mailings(actor())
        start = (args["page"] - 1) * args["per_page"]
        body, headers = paged(items[start : start + args["per_page"]], len(items), args)
        return body, 200, headers

    @bp.arguments(MailingInput)
    @bp.response(201, MailingSchema)
    @bp.doc(**WRITE)
    def post(self, data):
        """Write a draft (coordinators of the node; network-wide: admins)"""
        network = lookups.named_in_field(Network, data["network"], "network")
        with _judged():
            mailing = service.save_mailing(actor(), _values(data), network)
        return mailing, 201, _location(mailing)


@bp.route("/mailings/<int:mailing_id>")
class MailingDetail(MethodView):
    @bp.response(200, MailingSchema)
    def get(self, mailing_id):
        """A mailing"""
        return _mailing(mailing_id)

    @bp.arguments(MailingChangeInput)
    @bp.response(200, MailingSchema)
    @bp.doc(**WRITE)
    def patch(self, data, mailing_id):
        """Change a draft (409 once it is sent); the fields given replace the draft's"""
        mailing = _mailing(mailing_id, "mailing.update")
        network = lookups.named_in_field(Network, data.get("network"), "network")
        with _judged():
            service.save_mailing(actor(), _values(data, mailing), network, mailing)
        return mailing


@bp.route("/mailings/<int:mailing_id>/audience")
class MailingAudience(MethodView):
    @bp.response(200, AudiencePreviewSchema)
    def get(self, mailing_id):
        """Who it would reach now: the counts, and the people excluded with why (before sending)"""
        mailing = _mailing(mailing_id)
        with _judged():
            audience = service.audience_of(actor(), mailing)
        excluded = [{"person_id": p.person_id, "organization_id": p.organization_id, "name": p.name,
                     "organization": audience.names.get(p.organization_id, ""), "reason": p.reason}
                    for p in audience.excluded[:EXCLUDED_SHOWN]]  # fmt: skip
        return {**audience.counts(), "excluded_people": excluded}


@bp.route("/mailings/<int:mailing_id>/send")
class MailingSend(MethodView):
    @bp.response(202, MailingSchema)
    @bp.doc(**WRITE)
    def post(self, mailing_id):
        """Send it: the audience is frozen and the sending queued (409 if it is not a draft)"""
        mailing = _mailing(mailing_id, "mailing.send")
        with _judged():
            service.send_mailing(actor(), mailing, request.url_root)
        return mailing, 202, {"Location": url_for("api_mailings.MailingReport", mailing_id=mailing.id)}


@bp.route("/mailings/<int:mailing_id>/report")
class MailingReport(MethodView):
    @bp.response(200, ReportSchema)
    def get(self, mailing_id):
        """Deliveries by status (queued, sending, sent, failed, unsubscribed, excluded) and the excluded by reason"""
        mailing = _mailing(mailing_id)
        counts = service.report(actor(), mailing)
        reasons = counts.pop("reasons")
        return {"status": mailing.status, "counts": counts, "reasons": reasons}
