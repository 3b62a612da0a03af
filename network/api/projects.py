"""Projects, their outcome reports, and partnerships between organisations."""

from flask import request
from flask.views import MethodView

from network import permissions
from network.api import schemas
from network.api.conventions import (
    ETAG_HEADER,
    LINK_HEADER,
    VERSIONED_WRITE,
    WRITE,
    PageArgs,
    actor,
    created,
    etag,
    make_blueprint,
    paged_query,
    search_page,
)
from network.api.lookups import find, find_for_field, if_match_version
from network.models import Organization, OutcomeReport, Partnership, Project
from network.services import archiving
from network.services import partnerships as partnership_service
from network.services import projects as service
from network.services import search

bp = make_blueprint("api_projects", "Projects, outcome reports and partnerships")


# Projects --------------------------------------------------------------------------------------


def project_for(project_id: int) -> Project:
    project = find(Project, project_id, "project")
    permissions.require(actor(), "project.view", project)
    return project


@bp.route("/projects")
class Projects(MethodView):
    @bp.arguments(schemas.ProjectListArgs, location="query")
    @bp.response(200, schemas.ProjectPageSchema, headers=LINK_HEADER)
    def get(self, args):
        """Search projects (not archived): words, status, theme, region, country, lead organisation"""
        return search_page(search.search_projects(actor(), search.parse_record_params(request.args)))

    @bp.arguments(schemas.ProjectCreateInput)
    @bp.response(201, schemas.ProjectSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def post(self, data):
        """Create a project led by an organisation you speak for or manage"""
        org = find_for_field(Organization, data.pop("organization"), "organization", "organisation")
        project = service.create_project(actor(), org, data)
        return created(project, "api_projects.ProjectDetail", project_id=project.id)


@bp.route("/projects/<int:project_id>")
class ProjectDetail(MethodView):
    @bp.response(200, schemas.ProjectSchema, headers=ETAG_HEADER)
    def get(self, project_id):
        """A project"""
        project = project_for(project_id)
        return project, 200, etag(project)

    @bp.arguments(schemas.ProjectInput(partial=True))
    @bp.response(200, schemas.ProjectSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def patch(self, data, project_id):
        """Change some fields; If-Match required"""
        project = project_for(project_id)
        service.update_project(actor(), project, data, if_match_version(project))
        return project, 200, etag(project)

    @bp.response(200, schemas.ProjectSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def delete(self, project_id):
        """Archive a project; If-Match required"""
        project = project_for(project_id)
        archiving.archive(actor(), project, if_match_version(project))
        return project, 200, etag(project)


# Outcome reports -------------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/outcomes")
class ProjectOutcomes(MethodView):
    @bp.arguments(PageArgs, location="query")
    @bp.response(200, schemas.OutcomePageSchema, headers=LINK_HEADER)
    def get(self, args, project_id):
        """A project's outcome reports (not archived), oldest period first"""
        return paged_query(service.published_outcomes(actor(), find(Project, project_id, "project")), args)

    @bp.arguments(schemas.OutcomeInput)
    @bp.response(201, schemas.OutcomeSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def post(self, data, project_id):
        """Report what a project achieved in a period"""
        project = project_for(project_id)
        report = service.create_outcome(actor(), project, data)
        return created(report, "api_projects.OutcomeDetail", outcome_id=report.id)


def outcome_for(outcome_id: int) -> OutcomeReport:
    report = find(OutcomeReport, outcome_id, "outcome report")
    permissions.require(actor(), "project.view", report.project)
    return report


@bp.route("/outcomes/<int:outcome_id>")
class OutcomeDetail(MethodView):
    @bp.response(200, schemas.OutcomeSchema, headers=ETAG_HEADER)
    def get(self, outcome_id):
        """An outcome report"""
        report = outcome_for(outcome_id)
        return report, 200, etag(report)

    @bp.arguments(schemas.OutcomeInput(partial=True))
    @bp.response(200, schemas.OutcomeSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def patch(self, data, outcome_id):
        """Correct an outcome report; If-Match required"""
        report = outcome_for(outcome_id)
        service.update_outcome(actor(), report, data, if_match_version(report))
        return report, 200, etag(report)

    @bp.response(200, schemas.OutcomeSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def delete(self, outcome_id):
        """Archive an outcome report; If-Match required"""
        report = outcome_for(outcome_id)
        archiving.archive(actor(), report, if_match_version(report))
        return report, 200, etag(report)


# Partnerships ----------------------------------------------------------------------------------


def partnership_for(partnership_id: int) -> Partnership:
    partnership = find(Partnership, partnership_id, "partnership")
    permissions.require(actor(), "directory.view")
    return partnership


@bp.route("/partnerships")
class Partnerships(MethodView):
    @bp.arguments(schemas.PartnershipListArgs, location="query")
    @bp.response(200, schemas.PartnershipPageSchema, headers=LINK_HEADER)
    def get(self, args):
        """Partnerships (not archived), optionally of one organisation (either side)"""
        return paged_query(partnership_service.live_partnerships(actor(), args.get("organization")), args)

    @bp.arguments(schemas.PartnershipCreateInput)
    @bp.response(201, schemas.PartnershipSchema, headers=ETAG_HEADER)
    @bp.doc(**WRITE)
    def post(self, data):
        """Record a partnership of an organisation you speak for or manage with another one"""
        org = find_for_field(Organization, data.pop("organization"), "organization", "organisation")
        partnership = partnership_service.create_partnership(actor(), org, data)
        return created(partnership, "api_projects.PartnershipDetail", partnership_id=partnership.id)


@bp.route("/partnerships/<int:partnership_id>")
class PartnershipDetail(MethodView):
    @bp.response(200, schemas.PartnershipSchema, headers=ETAG_HEADER)
    def get(self, partnership_id):
        """A partnership"""
        partnership = partnership_for(partnership_id)
        return partnership, 200, etag(partnership)

    @bp.arguments(schemas.PartnershipInput(partial=True))
    @bp.response(200, schemas.PartnershipSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def patch(self, data, partnership_id):
        """Change a partnership; If-Match required"""
        partnership = partnership_for(partnership_id)
        partnership_service.update_partnership(actor(), partnership, data, if_match_version(partnership))
        return partnership, 200, etag(partnership)

    @bp.response(200, schemas.PartnershipSchema, headers=ETAG_HEADER)
    @bp.doc(**VERSIONED_WRITE)
    def delete(self, partnership_id):
        """Archive a partnership; If-Match required"""
        partnership = partnership_for(partnership_id)
        archiving.archive(actor(), partnership, if_match_version(partnership))
        return partnership, 200, etag(partnership)
