"""Organisations (the directory, with its search), their memberships of nodes, and their people."""

from flask import request
from flask.views import MethodView

from network.api import schemas
from network.api.conventions import LINK_HEADER, VERSIONED_WRITE, actor, make_blueprint, paged, search_page
from network.api.lookups import if_match_version
from network.api.resources import CollectionResource, RecordAction, RecordResource
from network.models import Network, Organization
from network.services import archiving, lookups, search
from network.services import organizations as service

bp = make_blueprint("api_organizations", "Organisations, their memberships of network nodes, and their people")


# Organisations ---------------------------------------------------------------------------------


class OrganizationDetail(RecordResource, blueprint=bp, rule="/organizations/<string:ref>",
                         schema=schemas.OrganizationSchema, input=schemas.OrganizationInput):  # fmt: skip
    def read(self, ref):
        """An organisation by id or slug (ETag: its version)"""
        return service.visible_organization(actor(), ref)

    def update(self, org, data, version):
        """Change some fields (coordinators of its node, admins); If-Match required"""
        service.update_organization(actor(), org, data, version)

    def archive(self, org, version):
        """Archive (nothing is deleted; POST …/restore brings it back); If-Match required"""
        archiving.archive(actor(), org, version)


class Organizations(CollectionResource, blueprint=bp, rule="/organizations", schema=schemas.OrganizationSchema,
                    input=schemas.OrganizationCreateInput, detail=OrganizationDetail):  # fmt: skip
    @bp.arguments(schemas.OrganizationListArgs, location="query")
    @bp.response(200, schemas.OrganizationPageSchema, headers=LINK_HEADER)
    def get(self, args):
        """Search the directory: the same query parameters, filters and facets as /organizations"""
        result = search.search_organizations(actor(), search.parse_search_params(request.args), highlights=False)
        return search_page(result, suggestions=[str(s) for s in result.suggestions])

    def create(self, data):
        """Create an organisation (coordinators, into a node they coordinate)"""
        network = lookups.named_in_field(Network, data.pop("network", None), "network")
        status = data.pop("membership_status", "active")
        return service.create_organization(actor(), data, network, status)


class OrganizationRestore(RecordAction, blueprint=bp, rule="/organizations/<string:ref>/restore",
                          schema=schemas.OrganizationSchema):  # fmt: skip
    read = OrganizationDetail.read

    def act(self, org, version):
        """Restore an archived organisation; If-Match required"""
        archiving.restore(actor(), org, version)


@bp.route("/organizations/<string:ref>/change-requests")
class OrganizationChangeRequests(MethodView):
    @bp.arguments(schemas.ChangeRequestInput)
    @bp.response(201, schemas.ChangeRequestSchema)
    @bp.doc(**VERSIONED_WRITE)
    def post(self, data, ref):
        """Propose a change of your organisation's profile (members); a coordinator reviews it"""
        org = service.visible_organization(actor(), ref)
        change_request = service.propose_profile_change(actor(), org, data, if_match_version(org))
        return change_request


# Memberships -----------------------------------------------------------------------------------


@bp.route("/organizations/<string:ref>/memberships")
class OrganizationMemberships(MethodView):
    @bp.response(200, schemas.MembershipPageSchema, headers=LINK_HEADER)
    def get(self, ref):
        """The nodes an organisation belongs to"""
        items = service.memberships_of(actor(), service.visible_organization(actor(), ref))
        body, headers = paged(items, len(items), {"page": 1, "per_page": max(1, len(items))})
        return body, 200, headers


class MembershipDetail(RecordResource, blueprint=bp, rule="/memberships/<int:membership_id>",
                       schema=schemas.MembershipSchema, input=schemas.MembershipInput):  # fmt: skip
    def read(self, membership_id):
        """A membership"""
        return service.visible_membership(actor(), membership_id)

    def update(self, membership, data, version):
        """Change status or dates; If-Match required"""
        service.update_membership(actor(), membership, data, version)

    def archive(self, membership, version):
        """End a membership (it lapses today; nothing is deleted); If-Match required"""
        service.end_membership(actor(), membership, version)


class Memberships(CollectionResource, blueprint=bp, rule="/memberships", schema=schemas.MembershipSchema,
                  input=schemas.MembershipCreateInput, detail=MembershipDetail):  # fmt: skip
    def create(self, data):
        """Make an organisation a member of a node (coordinators of that node)"""
        org = lookups.named_in_field(Organization, data.pop("organization"), "organization")
        network = lookups.named_in_field(Network, data.pop("network"), "network")
        return service.add_membership(actor(), org, network, data)


# People ----------------------------------------------------------------------------------------


@bp.route("/organizations/<string:ref>/people")
class OrganizationPeople(MethodView):
    @bp.response(200, schemas.PersonPageSchema, headers=LINK_HEADER)
    def get(self, ref):
        """An organisation's contacts: those who agreed to be listed, or all for those with rights"""
        items = service.people_of(actor(), service.visible_organization(actor(), ref))
        body, headers = paged(items, len(items), {"page": 1, "per_page": max(1, len(items))})
        return body, 200, headers


class PersonDetail(RecordResource, blueprint=bp, rule="/people/<int:person_id>", schema=schemas.PersonSchema,
                   input=schemas.PersonInput):  # fmt: skip
    def read(self, person_id):
        """A contact"""
        return service.find_person(actor(), person_id)

    def update(self, person, data, version):
        """Change a contact; If-Match required"""
        service.update_person(actor(), person, data, version)

    def archive(self, person, version):
        """Archive a contact; If-Match required"""
        archiving.archive(actor(), person, version)


class People(CollectionResource, blueprint=bp, rule="/people", schema=schemas.PersonSchema,
             input=schemas.PersonCreateInput, detail=PersonDetail):  # fmt: skip
    def create(self, data):
        """Add a contact to an organisation (its members and coordinators)"""
        org = lookups.named_in_field(Organization, data.pop("organization"), "organization")
        return service.create_person(actor(), org, data)
