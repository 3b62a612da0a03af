"""Marshmallow schemas: what the API returns (``…Schema``) and accepts (``…Input``).

Inputs check only the shape of a request (types, known fields); every rule about values (lengths,
known countries and themes, dates in order, permissions) lives in the services, which the web
forms call too. References are by code or slug, as the services take them: countries by ISO
alpha-2 code, themes by slug, organisations by id or slug.
"""

from marshmallow import Schema, ValidationError, fields, post_dump, pre_load, validate

from network import labels, numbers, permissions
from network.api.conventions import LinksSchema, actor
from network.models.initiative import PARTICIPANT_ROLES
from network.models.organization import MEMBERSHIP_STATUSES


def nul_paths(value, path: str = "") -> list[str]:
    """Where a JSON value holds text with NUL characters (which PostgreSQL cannot store)."""
    if isinstance(value, str):
        return [path.lstrip(".")] if "\x00" in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nul_paths(v, f"{path}.{k}") + nul_paths(k, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nul_paths(v, f"{path}.{i}")]
    return []


class StrictSchema(Schema):
    """Request bodies: unknown fields are an error (422, marshmallow's default), as is NUL text."""

    @pre_load
    def refuse_nul_characters(self, data, **kwargs):
        bad = nul_paths(data)
        if bad:
            raise ValidationError({path: ["Text must not contain NUL characters."] for path in bad})
        return data


MAX_ID = 2**31 - 1
MAX_INT = 2**31 - 1  # the database's integer columns are 32-bit


def Id(**kwargs) -> fields.Integer:
    """A record id in a request body: a positive 32-bit integer."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class WholeNumber(fields.Integer):
    """A JSON integer, or text read as the forms and the importer read it ("1,200" is 1200)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str):
            try:
                value = numbers.parse_count(value)
            except numbers.NumberError as error:
                raise ValidationError(error.message) from None
        return super()._deserialize(value, attr, data, **kwargs)


class DecimalNumber(fields.Decimal):
    """A JSON number, or a string: the API's own form ("1250.50", as it writes decimals) as
    written, other text as the forms read it ("1,5" is 1.5; "1,200" is ambiguous and refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str):
            try:
                value = numbers.parse_decimal(value, canonical=True)
            except numbers.NumberError as error:
                raise ValidationError(error.message) from None
        return super()._deserialize(value, attr, data, **kwargs)


class Choice(fields.String):
    """A coded choice (kind, status, role, basis, country, theme): its code, or its English or
    Chinese label or name in any case, whatever the reader's language; the code is what the service
    gets and what responses hold. Text naming no choice goes on as it is, for the service to refuse
    with its own message."""

    def __init__(self, vocabulary: str, **kwargs):
        self.vocabulary = vocabulary
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return labels.parse_choice(self.vocabulary, text) or text


def Count(**kwargs) -> fields.Integer:
    """A count stored in a 32-bit integer column."""
    return WholeNumber(strict=True, validate=validate.Range(min=0, max=MAX_INT),
                       metadata={"type": ["integer", "string"]}, **kwargs)  # fmt: skip


def DecimalInput(**kwargs) -> fields.Decimal:
    """A decimal in a request body (see DecimalNumber)."""
    return DecimalNumber(metadata={"type": ["string", "number"]}, **kwargs)


def Money(**kwargs) -> fields.Decimal:
    """Decimals travel as strings ("1250.50"), so no precision is lost in JSON."""
    return fields.Decimal(as_string=True, metadata={"type": "string", "format": "decimal"}, **kwargs)


def page_of(item_schema, name: str, **extra_fields):
    """A page envelope schema: items, total, page, per_page, links (self/next/prev)."""
    attrs = {
        "items": fields.List(fields.Nested(item_schema)),
        "total": fields.Integer(),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
        "links": fields.Nested(LinksSchema),
        **extra_fields,
    }
    return Schema.from_dict(attrs, name=name)


class ProblemFieldSchema(Schema):
    field = fields.String()
    pointer = fields.String(metadata={"description": "JSON pointer into the body, or empty"})
    location = fields.String(metadata={"description": "body, query, header or path"})
    detail = fields.String()


class ProblemSchema(Schema):
    """RFC 9457 problem details, with one entry per invalid field in ``errors``."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(fields.Nested(ProblemFieldSchema))
    current_version = fields.Integer(allow_none=True)


# Reference data --------------------------------------------------------------------------------


class RegionSchema(Schema):
    id = fields.Integer()
    code = fields.String(metadata={"description": "ISO 3166 alpha-2 for countries, M49 code otherwise"})
    m49 = fields.String(allow_none=True)
    name = fields.String()
    name_zh = fields.String(allow_none=True)
    level = fields.String()
    parent_code = fields.Function(lambda r: r.parent.code if r.parent else None, metadata={"type": ["string", "null"]})
    path = fields.String()
    ldc = fields.Boolean()
    lldc = fields.Boolean()
    sids = fields.Boolean()


class ThemeSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    name_zh = fields.String(allow_none=True)


class NetworkSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    name_local = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    region = fields.Function(lambda n: n.region.code if n.region else None, metadata={"type": ["string", "null"]})
    path = fields.String()
    version = fields.Integer()
    archived_at = fields.DateTime(allow_none=True)


# Organisations, memberships, people ------------------------------------------------------------


class MembershipSchema(Schema):
    id = fields.Integer()
    organization_id = fields.Integer()
    network_id = fields.Integer()
    network = fields.Function(lambda m: m.network.slug, metadata={"type": "string"})
    status = fields.String()
    joined_on = fields.Date(allow_none=True)
    left_on = fields.Date(allow_none=True)
    version = fields.Integer()


class OrganizationSummarySchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    name_local = fields.String(allow_none=True)
    acronym = fields.String(allow_none=True)
    kind = fields.String()
    hq_country = fields.Function(
        lambda o: o.hq_country.code if o.hq_country else None, metadata={"type": ["string", "null"]}
    )
    themes = fields.Function(
        lambda o: [t.slug for t in o.themes], metadata={"type": "array", "items": {"type": "string"}}
    )
    website = fields.String(allow_none=True)
    version = fields.Integer()
    archived_at = fields.DateTime(allow_none=True)


class TagSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class OrganizationSchema(OrganizationSummarySchema):
    countries = fields.Function(
        lambda o: [c.code for c in o.countries], metadata={"type": "array", "items": {"type": "string"}}
    )
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    founded = fields.Integer(allow_none=True)
    identifiers = fields.Function(
        lambda o: sorted(i.value for i in o.identifiers), metadata={"type": "array", "items": {"type": "string"}}
    )
    memberships = fields.List(fields.Nested(MembershipSchema))
    merged_into_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    tags = fields.List(fields.Nested(TagSchema), metadata={
        "description": "the tags (named lists) it is on; only for token holders who may see tags"})  # fmt: skip

    @post_dump(pass_original=True)
    def leave_out_private_fields(self, data, record, **kwargs):
        return permissions.visible(actor(), "organization", record, data)


class FacetValueSchema(Schema):
    value = fields.String()
    label = fields.String()
    count = fields.Integer()
    selected = fields.Boolean()
    depth = fields.Integer(metadata={"description": "indentation in tree facets (region, network)"})


class FacetsField(fields.Dict):
    """Facet counts as search_page() builds them, plain dicts of FacetValueSchema's fields, passed
    through rather than dumped again value by value (some 300 nested dumps were a fifth of an API
    search's time); documented as the Dict of lists of FacetValueSchema it is."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def facets_field(description: str) -> fields.Dict:
    return FacetsField(keys=fields.String(), values=fields.List(fields.Nested(FacetValueSchema)),
                       metadata={"description": description})  # fmt: skip


NOTICES = fields.List(fields.String(), metadata={"description": "parameters that were ignored, and why"})


class ReadingSchema(Schema):
    facet = fields.String(metadata={"description": "country, region or theme"})
    code = fields.String(metadata={"description": "ISO alpha-2, M49 code or theme slug"})
    label = fields.String(metadata={"description": 'e.g. "country: Kenya"'})


class InterpretedSchema(Schema):
    word = fields.String(metadata={"description": "the words as typed"})
    readings = fields.List(fields.Nested(ReadingSchema), metadata={"description": "empty for a translation only"})
    words = fields.List(fields.String(), metadata={"description": "names also matched as text (Kenya for 肯尼亚)"})


INTERPRETED = fields.List(fields.Nested(InterpretedSchema), metadata={
    "description": "words of q read as a country, region or theme (each matches by facet or text); text_only=true turns this off"})  # fmt: skip
TEXT_ONLY = fields.Boolean(
    metadata={"description": "match q as text only: do not read place and theme names as facets"}
)
OrganizationPageSchema = page_of(
    OrganizationSummarySchema,
    "OrganizationPage",
    facets=facets_field("Counts by region, country, theme, kind, network node and membership status"),
    suggestions=fields.List(fields.String(), metadata={"description": "did you mean"}),
    notices=NOTICES,
    interpreted=INTERPRETED,
)
# Project and initiative searches: counts by status, theme, region and country, each with the others applied.
SEARCH_EXTRAS = {
    "facets": facets_field("Counts by status, theme, region and country"),
    "notices": NOTICES,
    "interpreted": INTERPRETED,
}


class OrganizationInput(StrictSchema):
    name = fields.String(required=True)
    name_local = fields.String(allow_none=True)
    acronym = fields.String(allow_none=True)
    kind = Choice(
        "organization_kind",
        allow_none=True,
        metadata={"description": "ngo, company, think_tank, … (or its English or Chinese label)"},
    )
    hq_country = Choice(
        "country", allow_none=True, metadata={"description": "ISO 3166 alpha-2 code (or the English or Chinese name)"}
    )
    website = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    founded = Count(allow_none=True)
    countries = fields.List(Choice("country"), metadata={"description": "ISO 3166 alpha-2 codes (or names)"})
    themes = fields.List(Choice("theme"), metadata={"description": "theme slugs (or English or Chinese names)"})
    identifiers = fields.List(fields.String(), metadata={"description": "org-id.guide identifiers"})


class OrganizationCreateInput(OrganizationInput):
    network = Id(allow_none=True, metadata={"description": "id of the node it joins (one you coordinate)"})
    membership_status = Choice(
        "membership_status", load_default="active", validate=validate.OneOf(MEMBERSHIP_STATUSES),
        metadata={"description": "of that node"},
    )  # fmt: skip


class OrganizationListArgs(Schema):
    """The directory's own query parameters; the search service interprets them."""

    q = fields.String(
        metadata={
            "description": "words, prefixes, Chinese or pinyin; country, region and theme names "
            "(English or Chinese) also match by facet"
        }
    )
    text_only = TEXT_ONLY
    region = fields.List(fields.String(), metadata={"description": "M49 region code (includes the countries in it)"})
    country = fields.List(fields.String(), metadata={"description": "ISO 3166 alpha-2 code"})
    theme = fields.List(fields.String(), metadata={"description": "theme slug"})
    kind = fields.List(fields.String(), metadata={"description": "organisation kind"})
    network = fields.List(fields.String(), metadata={"description": "network node id or slug"})
    status = fields.List(fields.String(), metadata={"description": "membership status"})
    tag = fields.List(fields.String(), metadata={"description": "tag id (a named list of organisations; signed-in "
                                                 "readers only, ignored with a notice otherwise)"})  # fmt: skip
    founded_from = fields.Integer(metadata={"description": "founded in or after this year"})
    founded_to = fields.Integer(metadata={"description": "founded in or before this year"})
    match = fields.String(
        metadata={
            "description": "region/country match the HQ (hq), the countries of operation (operation), "
            "either (any, the default), or the regions of the nodes it is a member of (membership)"
        }
    )
    sort = fields.String(metadata={"description": "relevance, name, updated"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class ChangeRequestSchema(Schema):
    id = fields.Integer()
    organization_id = fields.Integer()
    status = fields.String(metadata={"description": "pending, approved, rejected or withdrawn"})
    changes = fields.Dict(metadata={"description": '{"field": [value when proposed, proposed value]}'})
    base_version = fields.Integer()
    comment = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ChangeRequestInput(StrictSchema):
    """A member's proposed change of its organisation's profile (all of it waits for a coordinator)."""

    name = fields.String()
    name_local = fields.String(allow_none=True)
    acronym = fields.String(allow_none=True)
    kind = Choice("organization_kind", allow_none=True)
    hq_country = Choice("country", allow_none=True)
    website = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    countries = fields.List(Choice("country"), metadata={"description": "ISO 3166 alpha-2 codes (or names)"})
    themes = fields.List(Choice("theme"), metadata={"description": "theme slugs (or English or Chinese names)"})


class MembershipInput(StrictSchema):
    status = Choice("membership_status", allow_none=True, validate=validate.OneOf(MEMBERSHIP_STATUSES))
    joined_on = fields.Date(allow_none=True)
    left_on = fields.Date(allow_none=True)


class MembershipCreateInput(MembershipInput):
    organization = Id(required=True)
    network = Id(required=True)


class PrivateFieldsSchema(Schema):
    """Leaves out the fields of ``record_kind`` that permissions.PRIVATE_FIELDS keeps from this caller."""

    record_kind: str

    @post_dump(pass_original=True)
    def leave_out_private_fields(self, data, record, **kwargs):
        return permissions.visible(actor(), self.record_kind, record, data)


class PersonSchema(PrivateFieldsSchema):
    record_kind = "person"

    id = fields.Integer()
    organization_id = fields.Integer()
    name = fields.String()
    email = fields.String(allow_none=True, metadata={"description": "only for the organisation and its coordinators"})
    phone = fields.String(allow_none=True, metadata={"description": "only for the organisation and its coordinators"})
    title = fields.String(allow_none=True)
    consent_to_list = fields.Boolean()
    mail_consent = fields.Boolean(metadata={"description": "agreed to receive network mail (mailings); only for "
                                                           "the organisation and its coordinators"})  # fmt: skip
    language = fields.String(allow_none=True, metadata={"description": "language for network mail (a site "
                                                                       "language code); null: the mailing's default"})  # fmt: skip
    version = fields.Integer()
    archived_at = fields.DateTime(allow_none=True)


class PersonInput(StrictSchema):
    name = fields.String(required=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    consent_to_list = fields.Boolean()
    mail_consent = fields.Boolean(metadata={"description": "agreed to receive network mail (mailings)"})
    language = fields.String(allow_none=True, metadata={"description": "en or zh; null: the mailing's default"})


class PersonCreateInput(PersonInput):
    organization = Id(required=True)


# Projects, outcome reports, partnerships -------------------------------------------------------


class ProjectParticipantSchema(Schema):
    organization_id = fields.Integer()
    organization = fields.Function(lambda p: p.organization.slug, metadata={"type": "string"})
    role = fields.String()
    status = fields.String(metadata={"description": "proposed (named by the lead, not yet confirmed by the "
                                                   "organisation or a coordinator) or confirmed"})  # fmt: skip
    confirmed_at = fields.DateTime(allow_none=True)


class ProjectSchema(Schema):
    id = fields.Integer()
    lead_organization_id = fields.Integer()
    title = fields.String()
    title_local = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    status = fields.String()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    budget = Money(allow_none=True)
    currency = fields.String(allow_none=True)
    countries = fields.Function(
        lambda p: [c.code for c in p.countries], metadata={"type": "array", "items": {"type": "string"}}
    )
    themes = fields.Function(
        lambda p: [t.slug for t in p.themes], metadata={"type": "array", "items": {"type": "string"}}
    )
    participants = fields.List(fields.Nested(ProjectParticipantSchema))
    version = fields.Integer()
    archived_at = fields.DateTime(allow_none=True)


class ProjectParticipantInput(StrictSchema):
    organization = fields.String(required=True, metadata={"description": "organisation id or slug"})
    role = Choice("project_role", load_default="partner")


class ProjectInput(StrictSchema):
    title = fields.String(required=True)
    title_local = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    status = Choice("project_status", allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    budget = DecimalInput(allow_none=True)
    currency = fields.String(allow_none=True)
    countries = fields.List(Choice("country"))
    themes = fields.List(Choice("theme"))
    participants = fields.List(fields.Nested(ProjectParticipantInput))


class ProjectCreateInput(ProjectInput):
    organization = Id(required=True, metadata={"description": "the lead organisation"})


class RecordSearchArgs(Schema):
    """The project and initiative searches' query parameters; the search service interprets them."""

    q = fields.String(
        metadata={
            "description": "words, prefixes, Chinese or pinyin (title, summary or goal); country, "
            "region and theme names also match by facet"
        }
    )
    text_only = TEXT_ONLY
    status = fields.List(fields.String(), metadata={"description": "status (several: any of them)"})
    theme = fields.List(fields.String(), metadata={"description": "theme slug"})
    region = fields.List(fields.String(), metadata={"description": "M49 region code (includes the countries in it)"})
    country = fields.List(fields.String(), metadata={"description": "ISO 3166 alpha-2 code"})
    sort = fields.String(metadata={"description": "relevance, title, updated"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class ProjectListArgs(RecordSearchArgs):
    organization = fields.String(metadata={"description": "slug or id of the organisation leading the projects"})


class OutcomeSchema(Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    tco2e_reduced = Money(allow_none=True)
    basis = fields.String()
    method = fields.String(allow_none=True)
    people_reached = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    review_status = fields.String(metadata={
        "description": "draft (an estimate, not submitted), submitted (awaiting a verifier), returned (sent back "
                       "with a comment) or verified; only verified reports count as verified"})  # fmt: skip
    submitted_at = fields.DateTime(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True, metadata={"description": "when it was last verified or returned"})
    review_comment = fields.String(allow_none=True)
    verified_at = fields.Function(lambda r: r.reviewed_at.isoformat() if _verified(r) and r.reviewed_at else None,
                                  metadata={"type": ["string", "null"], "format": "date-time"})  # fmt: skip
    verifier = fields.Function(lambda r: r.reviewed_by.name if _verified(r) and r.reviewed_by else None,
                               metadata={"type": ["string", "null"], "description": "name of who verified it"})  # fmt: skip
    evidence_count = fields.Function(lambda r: len(r.evidence), metadata={
        "type": "integer", "description": "evidence files attached (the files are for the organisation and its verifiers)"})  # fmt: skip
    version = fields.Integer()
    archived_at = fields.DateTime(allow_none=True)


def _verified(report) -> bool:
    return report.review_status == "verified"


class OutcomeInput(StrictSchema):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    tco2e_reduced = DecimalInput(allow_none=True)
    basis = Choice("outcome_basis", allow_none=True)
    method = fields.String(allow_none=True)
    people_reached = Count(allow_none=True)
    note = fields.String(allow_none=True)


class PartnershipSchema(Schema):
    id = fields.Integer()
    org_a_id = fields.Integer()
    org_b_id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    description = fields.String(allow_none=True)
    version = fields.Integer()
    archived_at = fields.DateTime(allow_none=True)


class PartnershipInput(StrictSchema):
    kind = Choice("partnership_kind", required=True)
    status = Choice("partnership_status", allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    description = fields.String(allow_none=True)


class PartnershipCreateInput(PartnershipInput):
    organization = Id(required=True, metadata={"description": "your side"})
    partner = fields.String(required=True, metadata={"description": "the other side: id or slug"})


class PartnershipListArgs(Schema):
    organization = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "partnerships of this organisation"}
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


# Initiatives -----------------------------------------------------------------------------------


class ParticipantSchema(Schema):
    id = fields.Integer()
    initiative_id = fields.Integer()
    organization_id = fields.Integer()
    organization = fields.Function(lambda p: p.organization.slug, metadata={"type": "string"})
    role = fields.String()
    invitation_status = fields.String()
    share = Money(allow_none=True)
    invited_at = fields.DateTime()
    responded_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class TargetSchema(Schema):
    label = fields.String()
    unit = fields.String()
    value = Money()
    achieved = Money(allow_none=True)


class TargetInput(StrictSchema):
    label = fields.String(required=True)
    unit = fields.String(required=True)
    value = DecimalInput(required=True)
    achieved = DecimalInput(allow_none=True)


class InitiativeSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    title = fields.String()
    title_local = fields.String(allow_none=True)
    goal = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    status = fields.String()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    target_tco2e = Money(allow_none=True)
    target_people = fields.Integer(allow_none=True)
    network_id = fields.Integer(allow_none=True)
    themes = fields.Function(
        lambda i: [t.slug for t in i.themes], metadata={"type": "array", "items": {"type": "string"}}
    )
    regions = fields.Function(
        lambda i: [r.code for r in i.regions], metadata={"type": "array", "items": {"type": "string"}}
    )
    targets = fields.List(fields.Nested(TargetSchema))
    version = fields.Integer()
    archived_at = fields.DateTime(allow_none=True)


class ProjectLinkSchema(Schema):
    project_id = fields.Integer()
    status = fields.String(metadata={"description": "proposed (by a member; counts nowhere yet) or confirmed"})
    linked_at = fields.DateTime()
    confirmed_at = fields.DateTime(allow_none=True)


class InitiativeDetailSchema(InitiativeSchema):
    """One initiative: with its linked projects (the search's pages leave them out)."""

    project_links = fields.List(fields.Nested(ProjectLinkSchema))


class InitiativeInput(StrictSchema):
    title = fields.String(required=True)
    title_local = fields.String(allow_none=True)
    goal = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    status = Choice("initiative_status", allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    target_tco2e = DecimalInput(allow_none=True)
    target_people = Count(allow_none=True)
    network = Id(allow_none=True, metadata={"description": "convening node id"})
    themes = fields.List(Choice("theme"))
    regions = fields.List(Choice("country"), metadata={"description": "country (code or name) or region codes"})
    targets = fields.List(fields.Nested(TargetInput), metadata={"description": "custom targets (replace all)"})


class ParticipantInput(StrictSchema):
    organization = fields.String(required=True, metadata={"description": "organisation id or slug"})
    role = Choice("participant_role", load_default="partner", validate=validate.OneOf(PARTICIPANT_ROLES))


class ParticipantResponseInput(StrictSchema):
    accept = fields.Boolean(required=True)


RegionPageSchema = page_of(RegionSchema, "RegionPage")
NetworkPageSchema = page_of(NetworkSchema, "NetworkPage")
PersonPageSchema = page_of(PersonSchema, "PersonPage")
MembershipPageSchema = page_of(MembershipSchema, "MembershipPage")
ProjectPageSchema = page_of(ProjectSchema, "ProjectPage", **SEARCH_EXTRAS)
OutcomePageSchema = page_of(OutcomeSchema, "OutcomePage")
PartnershipPageSchema = page_of(PartnershipSchema, "PartnershipPage")
InitiativePageSchema = page_of(InitiativeSchema, "InitiativePage", **SEARCH_EXTRAS)
ParticipantPageSchema = page_of(ParticipantSchema, "ParticipantPage")
