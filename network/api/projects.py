"""Projects, their outcome reports, and partnerships between organisations."""

from flask import request

from network.api import schemas
from network.api.conventions import LINK_HEADER, PageArgs, actor, make_blueprint, paged_query, search_page
from network.api.resources import CollectionResource, RecordResource
from network.models import Organization
from network.services import archiving, lookups, search
from network.services import partnerships as partnership_service
from network.services import projects as service

bp = make_blueprint("api_projects", "Projects, outcome reports and partnerships")


# Projects --------------------------------------------------------------------------------------


class ProjectDetail(RecordResource, blueprint=bp, rule="/projects/<int:project_id>", schema=schemas.ProjectSchema,
                    input=schemas.ProjectInput):  # fmt: skip
    def read(self, project_id):
        """A project"""
        return service.visible_project(actor(), project_id)

    def update(self, project, data, version):
        """Change some fields; If-Match required"""
        service.update_project(actor(), project, data, version)

    def archive(self, project, version):
        """Archive a project; If-Match required"""
        archiving.archive(actor(), project, version)


class Projects(CollectionResource, blueprint=bp, rule="/projects", schema=schemas.ProjectSchema,
               input=schemas.ProjectCreateInput, detail=ProjectDetail):  # fmt: skip
    @bp.arguments(schemas.ProjectListArgs, location="query")
    @bp.response(200, schemas.ProjectPageSchema, headers=LINK_HEADER)
    def get(self, args):
        """Search projects (not archived): words, status, theme, region, country, lead organisation"""
        return search_page(search.search_projects(actor(), search.parse_record_params(request.args)))

    def create(self, data):
        """Create a project led by an organisation you speak for or manage"""
        org = lookups.named_in_field(Organization, data.pop("organization"), "organization")
        return service.create_project(actor(), org, data)


# Outcome reports -------------------------------------------------------------------------------


class OutcomeDetail(RecordResource, blueprint=bp, rule="/outcomes/<int:outcome_id>", schema=schemas.OutcomeSchema,
                    input=schemas.OutcomeInput):  # fmt: skip
    def read(self, outcome_id):
        """An outcome report"""
        return service.visible_outcome(actor(), outcome_id)

    def update(self, report, data, version):
        """Correct an outcome report; If-Match required"""
        service.update_outcome(actor(), report, data, version)

    def archive(self, report, version):
        """Archive an outcome report; If-Match required"""
        archiving.archive(actor(), report, version)


class ProjectOutcomes(CollectionResource, blueprint=bp, rule="/projects/<int:project_id>/outcomes",
                      schema=schemas.OutcomeSchema, input=schemas.OutcomeInput, detail=OutcomeDetail):  # fmt: skip
    @bp.arguments(PageArgs, location="query")
    @bp.response(200, schemas.OutcomePageSchema, headers=LINK_HEADER)
    def get(self, args, project_id):
        """A project's outcome reports (not archived), oldest period first"""
        return paged_query(service.published_outcomes(actor(), service.find_project(project_id)), args)

    def create(self, data, project_id):
        """Report what a project achieved in a period"""
        return service.create_outcome(actor(), service.visible_project(actor(), project_id), data)


# Partnerships ----------------------------------------------------------------------------------


class PartnershipDetail(RecordResource, blueprint=bp, rule="/partnerships/<int:partnership_id>",
                        schema=schemas.PartnershipSchema, input=schemas.PartnershipInput):  # fmt: skip
    def read(self, partnership_id):
        """A partnership"""
        return partnership_service.visible_partnership(actor(), partnership_id)

    def update(self, partnership, data, version):
        """Change a partnership; If-Match required"""
        partnership_service.update_partnership(actor(), partnership, data, version)

    def archive(self, partnership, version):
        """Archive a partnership; If-Match required"""
        archiving.archive(actor(), partnership, version)


class Partnerships(CollectionResource, blueprint=bp, rule="/partnerships", schema=schemas.PartnershipSchema,
                   input=schemas.PartnershipCreateInput, detail=PartnershipDetail):  # fmt: skip
    @bp.arguments(schemas.PartnershipListArgs, location="query")
    @bp.response(200, schemas.PartnershipPageSchema, headers=LINK_HEADER)
    def get(self, args):
        """Partnerships (not archived), optionally of one organisation (either side)"""
        return paged_query(partnership_service.live_partnerships(actor(), args.get("organization")), args)

    def create(self, data):
        """Record a partnership of an organisation you speak for or manage with another one"""
        org = lookups.named_in_field(Organization, data.pop("organization"), "organization")
        return partnership_service.create_partnership(actor(), org, data)
