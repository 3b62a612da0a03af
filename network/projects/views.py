"""Project pages. Read routes first; edit routes follow below them."""

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from network.services import profiles

bp = Blueprint("projects", __name__)


@bp.get("/projects/<int:id>")
def detail(id: int):
    page = profiles.project_page(current_user, id)
    return render_template(
        "projects/detail.html",
        page=page,
        project=page.project,
        initiative_pages="initiatives.detail" in current_app.view_functions,
    )
