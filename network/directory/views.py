"""The directory of organisations at /organizations (the search issue replaces the simple list)."""

from flask import Blueprint

bp = Blueprint("directory", __name__)


@bp.get("/organizations")
def index():
    return "directory"
