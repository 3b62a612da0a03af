"""Joint initiatives and the organisations taking part in them."""

from flask import request
from flask.views import MethodView

from network.api import schemas
from network.api.conventions import (
    ETAG_HEADER,
    LINK_HEADER,
    WRITE,
    actor,
    created,
    etag,
    make_blueprint,
    paged,
    search_page,
)
from network.api.resources import CollectionResource, RecordResource
from network.models import Organization, Participant
from network.services import archiving, lookups, search
from network.services import initiatives as service

bp = make_blueprint("api_initiatives", "Joint initiatives and their participants")


class InitiativeDetail(RecordResource, blueprint=bp, rule="/initiatives/<string:ref>", schema=schemas.InitiativeDetailSchema,
                       input=schemas.InitiativeInput):  # fmt: skip
    def read(self, ref):
        """An initiative by id or slug"""
        return service.visible_initiative(actor(), ref)

    def update(self, initiative, data, version):
        """Change some fields (its coordinators); If-Match required"""
        service.update_initiative(actor(), initiative, data, version)

    def archive(self, initiative, version):
        """Archive an initiative (its coordinators); If-Match required"""
        archiving.archive(actor(), initiative, version)


class Initiatives(CollectionResource, blueprint=bp, rule="/initiatives", schema=schemas.InitiativeSchema,
                  input=schemas.InitiativeInput, detail=InitiativeDetail):  # fmt: skip
    @bp.arguments(schemas.RecordSearchArgs, location="query")
    @bp.response(200, schemas.InitiativePageSchema, headers=LINK_HEADER)
    def get(self, args):
        """Search initiatives (not archived): words, status, theme, region, country; newest first"""
        return search_page(search.search_initiatives(actor(), search.parse_record_params(request.args)))

    def create(self, data):
        """Convene an initiative (coordinators; in their node unless another is given)"""
        return service.create_initiative(actor(), data)


@bp.route("/initiatives/<string:ref>/participants")
class InitiativeParticipants(MethodView):
    @bp.response(200, schemas.ParticipantPageSchema, headers=LINK_HEADER)
    def get(self, ref):
        """The organisations taking part; invitations too for its coordinators and participants"""
        initiative = service.visible_initiative(actor(), ref)
        items = sorted(service.visible_participants(actor(), initiative), key=lambda p: p.id)
        body, headers = paged(items, len(items), {"page": 1, "per_page": max(1, len(items))})
        return body, 200, headers

    @bp.arguments(schemas.ParticipantInput)
    @bp.response(201, schemas.ParticipantSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def post(self, data, ref):
        """Invite an organisation (its coordinators); its members are notified"""
        initiative = service.visible_initiative(actor(), ref)
        org = lookups.named_in_field(Organization, data["organization"], "organization")
        participant = service.invite_participant(actor(), initiative, org, data["role"])
        return created(participant, "api_initiatives.ParticipantDetail", participant_id=participant.id)


def participant_for(participant_id: int) -> Participant:
    return service.visible_participant(actor(), participant_id)


@bp.route("/participants/<int:participant_id>")
class ParticipantDetail(MethodView):
    @bp.response(200, schemas.ParticipantSchema, headers=ETAG_HEADER)
    def get(self, participant_id):
        """A participant"""
        participant = participant_for(participant_id)
        return participant, 200, etag(participant)

    @bp.response(200, schemas.ParticipantSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def delete(self, participant_id):
        """Remove an organisation from the initiative (its coordinators)"""
        participant = participant_for(participant_id)
        service.remove_participant(actor(), participant)
        return participant, 200, etag(participant)


@bp.route("/participants/<int:participant_id>/response")
class ParticipantResponse(MethodView):
    @bp.arguments(schemas.ParticipantResponseInput)
    @bp.response(200, schemas.ParticipantSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def post(self, data, participant_id):
        """Accept or decline an invitation (members of the invited organisation)"""
        participant = participant_for(participant_id)
        service.respond_to_invitation(actor(), participant, data["accept"])
        return participant, 200, etag(participant)


@bp.route("/participants/<int:participant_id>/leave")
class ParticipantLeave(MethodView):
    @bp.response(200, schemas.ParticipantSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def post(self, participant_id):
        """Leave an initiative (members of the participating organisation)"""
        participant = participant_for(participant_id)
        service.leave_initiative(actor(), participant)
        return participant, 200, etag(participant)
