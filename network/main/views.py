"""Home page, the member map's data and the network node tree."""

from flask import Blueprint, current_app, jsonify, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user

from network import permissions
from network.services import overview
from network.services.history import FIELD_LABELS

bp = Blueprint("main", __name__)

# How many countries the home page lists beside the map (the map itself shows all).
TOP_COUNTRIES = 8


@bp.get("/")
def home():
    permissions.require(current_user, "directory.view")
    per_country = overview.organizations_per_country()
    return render_template(
        "main/home.html",
        counts=overview.counts(),
        recent=overview.recent_changes(limit=10),
        top_countries=list(per_country.values())[:TOP_COUNTRIES],
        show_actors=permissions.can(current_user, "audit.view_actors"),
        initiative_pages="initiatives.detail" in current_app.view_functions,
        field_labels=FIELD_LABELS,
    )


@bp.get("/map.json")
def member_map():
    """Organisations per headquarters country, keyed by M49 code (the world shapes' ids)."""
    permissions.require(current_user, "directory.view")
    chinese = str(get_locale()) == "zh"
    countries = {
        m49: {
            "code": row["code"],
            "name": (row["name_zh"] or row["name"]) if chinese else row["name"],
            "count": row["count"],
            "url": url_for("directory.index", country=row["code"], match="hq"),  # the same count
        }
        for m49, row in overview.organizations_per_country().items()
    }
    response = jsonify(countries=countries, max=max((c["count"] for c in countries.values()), default=0))
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/networks")
def networks():
    permissions.require(current_user, "network.view")
    return render_template("main/networks.html", tree=overview.network_tree())
