"""Organisations (the directory, with its search), their memberships of nodes, and their people."""

from flask import request
from flask.views import MethodView

from network import permissions
from network.api import schemas
from network.api.conventions import (
    ETAG_HEADER,
    LINK_HEADER,
    VERSIONED_WRITE,
    WRITE,
    actor,
    created,
    etag,
    make_blueprint,
    paged,
    search_page,
)
from network.api.lookups import find, find_by_ref, find_for_field, if_match_version
from network.models import Membership, Network, Organization, Person
from network.services import organizations as service
from network.services import archiving, profiles, search

bp = make_blueprint("api_organizations", "Organisations, their memberships of network nodes, and their people")


def organization_for(ref: str) -> Organization:
    org = find_by_ref(Organization, ref, "organisation")
    profiles.require_visible(actor(), org)
    return org


# Organisations ---------------------------------------------------------------------------------


@bp.route("/organizations")
class Organizations(MethodView):
    @bp.arguments(schemas.OrganizationListArgs, location="query")
    @bp.response(200, schemas.OrganizationPageSchema, headers=LINK_HEADER)
    def get(self, args):
        """Search the directory: the same query parameters, filters and facets as /organizations"""
        result = search.search_organizations(actor(), search.parse_search_params(request.args))
        return search_page(result, suggestions=[str(s) for s in result.suggestions])

    @bp.arguments(schemas.OrganizationCreateInput)
    @bp.response(201, schemas.OrganizationSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def post(self, data):
        """Create an organisation (coordinators, into a node they coordinate)"""
        network = find_for_field(Network, data.pop("network", None), "network", "network node")
        status = data.pop("membership_status", "active")
        org = service.create_organization(actor(), data, network, status)
        return created(org, "api_organizations.OrganizationDetail", ref=org.id)


@bp.route("/organizations/<string:ref>")
class OrganizationDetail(MethodView):
    @bp.response(200, schemas.OrganizationSchema, headers=ETAG_HEADER)
    def get(self, ref):
        """An organisation by id or slug (ETag: its version)"""
        org = organization_for(ref)
        return org, 200, etag(org)

    @bp.arguments(schemas.OrganizationInput(partial=True))
    @bp.response(200, schemas.OrganizationSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def patch(self, data, ref):
        """Change some fields (coordinators of its node, admins); If-Match required"""
        org = organization_for(ref)
        service.update_organization(actor(), org, data, if_match_version(org))
        return org, 200, etag(org)

    @bp.response(200, schemas.OrganizationSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def delete(self, ref):
        """Archive (nothing is deleted; POST …/restore brings it back); If-Match required"""
        org = organization_for(ref)
        archiving.archive(actor(), org, if_match_version(org))
        return org, 200, etag(org)


@bp.route("/organizations/<string:ref>/restore")
class OrganizationRestore(MethodView):
    @bp.response(200, schemas.OrganizationSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def post(self, ref):
        """Restore an archived organisation; If-Match required"""
        org = organization_for(ref)
        archiving.restore(actor(), org, if_match_version(org))
        return org, 200, etag(org)


@bp.route("/organizations/<string:ref>/change-requests")
class OrganizationChangeRequests(MethodView):
    @bp.arguments(schemas.ChangeRequestInput)
    @bp.response(201, schemas.ChangeRequestSchema)
    @bp.doc(**VERSIONED_WRITE)
    def post(self, data, ref):
        """Propose a change of your organisation's core profile (members); a coordinator reviews it"""
        org = organization_for(ref)
        change_request = service.propose_profile_change(actor(), org, data, if_match_version(org))
        return change_request


# Memberships -----------------------------------------------------------------------------------


@bp.route("/organizations/<string:ref>/memberships")
class OrganizationMemberships(MethodView):
    @bp.response(200, schemas.MembershipPageSchema, headers=LINK_HEADER)
    def get(self, ref):
        """The nodes an organisation belongs to"""
        items = service.memberships_of(actor(), find_by_ref(Organization, ref, "organisation"))
        body, headers = paged(items, len(items), {"page": 1, "per_page": max(1, len(items))})
        return body, 200, headers


@bp.route("/memberships")
class Memberships(MethodView):
    @bp.arguments(schemas.MembershipCreateInput)
    @bp.response(201, schemas.MembershipSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def post(self, data):
        """Make an organisation a member of a node (coordinators of that node)"""
        org = find_for_field(Organization, data.pop("organization"), "organization", "organisation")
        network = find_for_field(Network, data.pop("network"), "network", "network node")
        membership = service.add_membership(actor(), org, network, data)
        return created(membership, "api_organizations.MembershipDetail", membership_id=membership.id)


def membership_for(membership_id: int) -> Membership:
    membership = find(Membership, membership_id, "membership")
    permissions.require(actor(), "organization.view", membership.organization)
    return membership


@bp.route("/memberships/<int:membership_id>")
class MembershipDetail(MethodView):
    @bp.response(200, schemas.MembershipSchema, headers=ETAG_HEADER)
    def get(self, membership_id):
        """A membership"""
        membership = membership_for(membership_id)
        return membership, 200, etag(membership)

    @bp.arguments(schemas.MembershipInput(partial=True))
    @bp.response(200, schemas.MembershipSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def patch(self, data, membership_id):
        """Change status or dates; If-Match required"""
        membership = membership_for(membership_id)
        service.update_membership(actor(), membership, data, if_match_version(membership))
        return membership, 200, etag(membership)

    @bp.response(200, schemas.MembershipSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def delete(self, membership_id):
        """End a membership (it lapses today; nothing is deleted); If-Match required"""
        membership = membership_for(membership_id)
        service.end_membership(actor(), membership, if_match_version(membership))
        return membership, 200, etag(membership)


# People ----------------------------------------------------------------------------------------


@bp.route("/organizations/<string:ref>/people")
class OrganizationPeople(MethodView):
    @bp.response(200, schemas.PersonPageSchema, headers=LINK_HEADER)
    def get(self, ref):
        """An organisation's contacts: those who agreed to be listed, or all for those with rights"""
        items = service.people_of(actor(), organization_for(ref))
        body, headers = paged(items, len(items), {"page": 1, "per_page": max(1, len(items))})
        return body, 200, headers


@bp.route("/people")
class People(MethodView):
    @bp.arguments(schemas.PersonCreateInput)
    @bp.response(201, schemas.PersonSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def post(self, data):
        """Add a contact to an organisation (its members and coordinators)"""
        org = find_for_field(Organization, data.pop("organization"), "organization", "organisation")
        person = service.create_person(actor(), org, data)
        return created(person, "api_organizations.PersonDetail", person_id=person.id)


def person_for(person_id: int) -> Person:
    return service.find_person(actor(), person_id)


@bp.route("/people/<int:person_id>")
class PersonDetail(MethodView):
    @bp.response(200, schemas.PersonSchema, headers=ETAG_HEADER)
    def get(self, person_id):
        """A contact"""
        person = person_for(person_id)
        return person, 200, etag(person)

    @bp.arguments(schemas.PersonInput(partial=True))
    @bp.response(200, schemas.PersonSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def patch(self, data, person_id):
        """Change a contact; If-Match required"""
        person = person_for(person_id)
        service.update_person(actor(), person, data, if_match_version(person))
        return person, 200, etag(person)

    @bp.response(200, schemas.PersonSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def delete(self, person_id):
        """Archive a contact; If-Match required"""
        person = person_for(person_id)
        archiving.archive(actor(), person, if_match_version(person))
        return person, 200, etag(person)
