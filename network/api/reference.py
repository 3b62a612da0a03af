"""Regions (UN M49 tree and countries), themes and network nodes: read-only."""

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from network.api import schemas
from network.api.conventions import (
    ETAG_HEADER,
    LINK_HEADER,
    actor,
    etag,
    make_blueprint,
    paged,
    paged_query,
)
from network.models.geography import REGION_LEVELS
from network.services import reference

bp = make_blueprint("api_reference", "Reference data: regions, countries, themes and network nodes")


class RegionListArgs(Schema):
    level = fields.String(validate=validate.OneOf(REGION_LEVELS))
    parent = fields.String(metadata={"description": "code of the parent region"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=100))


class NetworkListArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=100))


@bp.route("/regions")
class Regions(MethodView):
    @bp.arguments(RegionListArgs, location="query")
    @bp.response(200, schemas.RegionPageSchema, headers=LINK_HEADER)
    def get(self, args):
        """The M49 tree: world, regions, sub-regions and countries"""
        return paged_query(reference.regions(actor(), level=args.get("level"), parent_code=args.get("parent")), args)


@bp.route("/regions/<string:code>")
class RegionDetail(MethodView):
    @bp.response(200, schemas.RegionSchema, headers=ETAG_HEADER)
    def get(self, code):
        """A region or country by M49 code or ISO alpha-2 code"""
        return reference.find_region(actor(), code)


@bp.route("/themes")
class Themes(MethodView):
    @bp.response(200, schemas.page_of(schemas.ThemeSchema, "ThemePage"), headers=LINK_HEADER)
    def get(self):
        """Every theme (there are few)"""
        items = reference.themes(actor())
        body, headers = paged(items, len(items), {"page": 1, "per_page": max(1, len(items))})
        return body, 200, headers


@bp.route("/networks")
class Networks(MethodView):
    @bp.arguments(NetworkListArgs, location="query")
    @bp.response(200, schemas.NetworkPageSchema, headers=LINK_HEADER)
    def get(self, args):
        """The network and its nodes, in tree order"""
        return paged_query(reference.live_networks(actor()), args)


@bp.route("/networks/<string:ref>")
class NetworkDetail(MethodView):
    @bp.response(200, schemas.NetworkSchema, headers=ETAG_HEADER)
    def get(self, ref):
        """A network node by id or slug"""
        node = reference.visible_network(actor(), ref)
        return node, 200, etag(node)
