"""The directory of organisations at /organizations: search, facets, export, saved searches."""

import csv
import io
import itertools

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network.directory.forms import SaveSearchForm
from network.errors import ValidationError
from network.services import search

bp = Blueprint("directory", __name__)

# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@bp.get("/organizations")
def index():
    params = search.parse_search_params(request.args)
    result = search.search_organizations(current_user, params)
    save_form = SaveSearchForm(query=params.query_string()) if current_user.is_authenticated else None
    template = "directory/_results.html" if request.headers.get("HX-Request") else "directory/index.html"
    return render_template(template, result=result, params=params, save_form=save_form)


def safe_cell(value) -> str:
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


@bp.get("/organizations/export.csv")
@login_required
def export_csv():
    params = search.parse_search_params(request.args)
    rows = search.export_organization_rows(current_user, params)
    first = next(rows, None)  # runs the permission check before the response starts

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(search.EXPORT_COLUMNS)
        for row in itertools.chain([first] if first is not None else [], rows):
            writer.writerow([safe_cell(row[c]) for c in search.EXPORT_COLUMNS])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="organisations.csv"'},
    )


@bp.get("/organizations/saved")
@login_required
def saved():
    return render_template("directory/saved.html", searches=search.saved_searches(current_user))


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
