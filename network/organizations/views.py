"""Organisation pages. Read routes first; edit routes follow below them."""

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from network.services import profiles

bp = Blueprint("organizations", __name__)


@bp.get("/organizations/<slug>")
def detail(slug: str):
    org = profiles.find_organization(slug)
    if org.merged_into_id is not None:
        # A duplicate merged away: its old address keeps working, permanently moved.
        survivor = profiles.merge_survivor(org)
        return redirect(url_for("organizations.detail", slug=survivor.slug), code=301)
    page = profiles.organization_page(current_user, org)
    return render_template(
        "organizations/detail.html",
        page=page,
        org=page.organization,
        initiative_pages="initiatives.detail" in current_app.view_functions,
    )
