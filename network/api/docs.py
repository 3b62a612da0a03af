"""The browsable API documentation page: Swagger UI from static/vendor, reading /api/v1/openapi.json."""

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)


@bp.get("/api/v1/docs")
def index():
    return render_template("api/docs.html")
