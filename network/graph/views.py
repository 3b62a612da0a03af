"""The graph of who works with whom around an organisation (JSON for the picture on its page).

An initiative's own graph is served with the initiative, in network.initiatives.
"""

from flask import Blueprint, jsonify
from flask_login import current_user

from network import permissions
from network.services import initiatives

bp = Blueprint("graph", __name__)


@bp.get("/organizations/<slug>/graph.json")
def organization_graph(slug: str):
    organization = initiatives.organization_named(slug)
    permissions.require(current_user, "organization.view", organization)
    return jsonify(initiatives.organization_graph(organization))
