"""The directory of organisations at /organizations: search, facets, export, saved searches."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from network.services import search

bp = Blueprint("directory", __name__)


@bp.get("/organizations")
def index():
    params = search.parse_search_params(request.args)
    result = search.search_organizations(current_user, params)
    return render_template("directory/index.html", result=result, params=params)
