"""The start page (signed in) or the overview (visitors), the member map's data and the network node tree."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from network import fragments, permissions
from network.editing import actor
from network.errors import NotFound
from network.services import overview, start
from network.services.history import FIELD_LABELS, IMPORT_STATUS_LABELS

bp = Blueprint("main", __name__)

# How many countries the home page lists beside the map (the map itself shows all).
TOP_COUNTRIES = 8


@bp.get("/")
def home():
    """Signed-in users start on their own page (what waits for them); visitors see the overview."""
    if current_user.is_authenticated:
        return start_page()
    return overview_page()


@bp.get("/overview")
def overview_page():
    """The public front page: figures, the member map and the latest public changes."""
    permissions.require(current_user, "directory.view")
    per_country = overview.organizations_per_country()
    show_actors = permissions.can(current_user, "audit.view_actors")
    changes = {"show_actors": show_actors, "field_labels": FIELD_LABELS,
               "initiative_pages": "initiatives.detail" in current_app.view_functions}  # fmt: skip
    if show_actors:  # people's names are not in the key: rendered each time for those who see them
        recent = render_template("main/_recent.html", recent=overview.recent_changes(limit=10), **changes)
    else:
        recent = fragments.rendered("main/_recent.html", overview.recent_change_ids(limit=10),
                                    lambda: {"recent": overview.recent_changes(limit=10), **changes})  # fmt: skip
    return render_template(
        "main/home.html",
        counts=overview.counts(),
        recent=Markup(recent),  # noqa: S704  (a rendered template)
        top_countries=list(per_country.values())[:TOP_COUNTRIES],
    )


def start_page():
    user = actor()
    reviews = permissions.can(user, "change_request.queue")
    return render_template(
        "main/start.html",
        member=None if reviews else start.member_start(user),
        coordinator=start.coordinator_start(user) if reviews else None,
        today=start.today(),
        import_labels=IMPORT_STATUS_LABELS,
        show_actors=permissions.can(user, "audit.view_actors"),
        initiative_pages="initiatives.detail" in current_app.view_functions,
        field_labels=FIELD_LABELS,
    )


@bp.get("/start/duplicates")
@login_required
def start_duplicates():
    """The start page's card of possible duplicates, loaded after the page (it reads the whole scope)."""
    return render_template("main/_duplicates_card.html", queue=start.duplicate_queue(actor()),
                           count_limit=start.COUNT_LIMIT)  # fmt: skip


@bp.get("/my-organization")
@login_required
def my_organization():
    """The user menu's "My organisation": a redirect, so pages need not load it to link there."""
    org_id = start.own_organization_id(actor())
    if org_id is None:
        raise NotFound(_("You do not speak for an organisation."))
    return redirect(url_for("organizations.detail", slug=start.organization_slug(org_id)))


@bp.app_context_processor
def inject_waiting() -> dict:
    """The top bar's count of what waits for the user (read once a request, when shown)."""
    return {
        "waiting": lambda: start.waiting(actor()),
        "count_limit": start.COUNT_LIMIT,
        "own_organization_id": lambda: start.own_organization_id(actor()),
    }


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
    tree = fragments.rendered("main/_network_tree.html", (overview.tree_generation(),),
                              lambda: {"tree": overview.network_tree()})  # fmt: skip
    return render_template("main/networks.html", tree=tree)
