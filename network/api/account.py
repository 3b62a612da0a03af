"""Personal API tokens on the account pages: create (shown once) and revoke.

These are ordinary cookie-session pages, so unlike the token-authenticated API they keep CSRF.
"""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network.api.forms import ApiTokenForm
from network.errors import ValidationError
from network.services import tokens

bp = Blueprint("api_tokens", __name__)


@bp.get("/account/tokens")
@login_required
def index():
    return render_template("account/tokens.html", token_form=ApiTokenForm())


@bp.post("/account/tokens")
@login_required
def create():
    form = ApiTokenForm()
    if form.validate_on_submit():
        try:
            created = tokens.create_token(current_user, form.name.data, form.scope.data, form.expiry_days())
        except ValidationError as error:
            for field, messages in error.errors.items():
                getattr(form, field, form.name).errors = list(messages)
        else:
            response = render_template("account/token_created.html", created=created)
            # The secret is on this page only: never cached, never shown again.
            return response, 201, {"Cache-Control": "no-store"}
    return render_template("account/tokens.html", token_form=form), 422


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token = tokens.revoke_token(current_user, token_id)
    flash(_("The token “%(name)s” is revoked; requests using it now fail.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
