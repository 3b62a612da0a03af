"""The directory of organisations at /organizations: search, facets, export, saved searches."""

from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network import fragments
from network.directory.forms import SaveSearchForm
from network.errors import ValidationError
from network.services import search

bp = Blueprint("directory", __name__)


@bp.get("/organizations")
def index():
    params = search.parse_search_params(request.args)
    result = search.search_organizations(current_user, params)
    save_form = SaveSearchForm(query=params.query_string()) if current_user.is_authenticated else None
    key = (result.generation, params.query_string(page=1), params.show_tags)
    filters = fragments.rendered("directory/_filters.html", key, lambda: {"result": result, "params": params})
    template = "directory/_results.html" if request.headers.get("HX-Request") else "directory/index.html"
    return render_template(template, result=result, params=params, save_form=save_form, filters=filters)


@bp.get("/organizations/export.csv")
@login_required
def export_csv():
    """The old address of a second CSV with other columns: now the directory's one export, as CSV."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "format"]
    return redirect(url_for("imports.export") + "?" + urlencode([("format", "csv"), *args]), code=301)


@bp.get("/organizations/saved")
@login_required
def saved():
    from network.directory.bulk import tag_from_search_form

    return render_template(
        "directory/saved.html", searches=search.saved_searches(current_user), tag_form=tag_from_search_form()
    )


@bp.post("/organizations/saved")
@login_required
def save():
    form = SaveSearchForm()
    if not form.validate_on_submit():
        flash(_("Give the search a name."), "error")
        return redirect(url_for("directory.index") + "?" + (form.query.data or ""))
    try:
        saved = search.save_search(current_user, form.name.data, form.query.data or "")
    except ValidationError as error:
        flash("; ".join(m for msgs in error.errors.values() for m in msgs), "error")
        return redirect(url_for("directory.index") + "?" + (form.query.data or ""))
    flash(
        _(
            "Search saved. Share it with this link: %(url)s",
            url=url_for("directory.shared", token=saved.share_token, _external=True),
        )
    )
    return redirect(url_for("directory.index") + "?" + saved.query)


@bp.post("/organizations/saved/<int:saved_id>/delete")
@login_required
def delete_saved(saved_id: int):
    search.delete_saved_search(current_user, saved_id)
    flash(_("Saved search deleted."))
    return redirect(url_for("directory.saved"))


@bp.get("/organizations/shared/<token>")
def shared(token: str):
    saved = search.shared_search(token)
    if saved is None:
        abort(404)
    return redirect(url_for("directory.index") + ("?" + saved.query if saved.query else ""))
