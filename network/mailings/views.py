"""Mailings (#16): write a draft to an audience, preview it, test it, send it, follow its report;
the unsubscribe link of every mail (no login). Views stay thin: the rules are in the services."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from network import permissions
from network.editing import flash_errors, posted_node
from network.extensions import csrf, db
from network.services import ValidationError
from network.services import mailings as service
from network.services.mailings import sending

bp = Blueprint("mailings", __name__)

# Languages by their own names (as the account page offers them).
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
STATUS_LABELS = {"draft": _l("Draft"), "sending": _l("Sending"), "sent": _l("Sent")}
DELIVERY_LABELS = {"queued": _l("Queued"), "sending": _l("Sending"), "sent": _l("Sent"), "failed": _l("Failed"),
                   "unsubscribed": _l("Unsubscribed"), "excluded": _l("Excluded")}  # fmt: skip
REASON_LABELS = {"no_email": _l("No email address"), "no_consent": _l("Has not agreed to network mail"),
                 "unsubscribed": _l("Unsubscribed"), "bounced": _l("Mail to them bounced"),
                 "duplicate": _l("Same address as another recipient"), "refused": _l("Refused by the mail server"),
                 "interrupted": _l("Interrupted while sending")}  # fmt: skip


@bp.app_context_processor
def mailing_words():
    return {
        "mailing_status": lambda code: str(STATUS_LABELS.get(code, code)),
        "delivery_status": lambda code: str(DELIVERY_LABELS.get(code, code)),
        "exclusion_reason": lambda code: str(REASON_LABELS.get(code, code or "")),
        "language_name": lambda code: LANGUAGE_NAMES.get(code, code),
    }


def _values() -> dict:
    values = request.form.to_dict()
    source, _sep, ref = (request.form.get("audience") or "").partition(":")
    values.update(source=source, ref=ref, ids=request.form.getlist("ids"))
    return values


@bp.get("/mailings")
@login_required
def index():
    return render_template("mailings/index.html", mailings=service.visible_mailings(current_user))


@bp.route("/mailings/new", methods=["GET", "POST"])
@login_required
def new():
    permissions.require(current_user, "mailing.list")
    nodes = service.mailing_nodes(current_user)
    if not nodes and not permissions.can(current_user, "mailing.create", None):
        abort(403)
    if request.method == "POST":
        try:
            mailing = service.save_mailing(current_user, _values(), posted_node())
        except ValidationError as error:
            db.session.rollback()
            flash_errors(error)
        else:
            flash(_("Draft saved. Check who it goes to and preview it before sending."), "success")
            return redirect(url_for("mailings.detail", mailing_id=mailing.id))
    # From a link: ?source=tag&ref=3, or ?id=1&id=2 (a selection of organisations)
    ids = [i for i in request.values.getlist("ids") or request.args.getlist("id") if i.isdigit()]
    chosen = request.values.get("audience") or (
        f"{request.args.get('source')}:{request.args.get('ref', '')}" if request.args.get("source") else ""
    )
    return new_page(ids, chosen, values=request.form)


def new_page(ids, chosen: str = "", values=None):
    """The new-mailing form; ids: the organisations selected in the directory (its bulk action)."""
    permissions.require(current_user, "mailing.list")
    ids = [str(i) for i in ids][:20000]
    if ids and not chosen:
        chosen = "selection:"
    return render_template("mailings/form.html", mailing=None, nodes=service.mailing_nodes(current_user),
                           choices=service.audience_choices(current_user), ids=ids, chosen=chosen, values=values)  # fmt: skip


@bp.get("/mailings/<int:mailing_id>")
@login_required
def detail(mailing_id: int):
    mailing = service.get_mailing(current_user, mailing_id)
    if not mailing.is_draft:
        status = request.args.get("status") or None
        return render_template("mailings/report.html", mailing=mailing, counts=service.report(current_user, mailing),
                               deliveries=service.deliveries(current_user, mailing, status), status=status)  # fmt: skip
    audience = service.audience_of(current_user, mailing)
    person = request.args.get("person", type=int)
    preview, recipient = service.preview(current_user, mailing, audience, person)
    source = (mailing.audience or {}).get("source", "")
    chosen = f"{source}:{(mailing.audience or {}).get('ref', '')}"
    return render_template(
        "mailings/form.html", mailing=mailing, nodes=service.mailing_nodes(current_user), choices=service.audience_choices(current_user),
        ids=(mailing.audience or {}).get("ids") or [], chosen=chosen, values=None, audience=audience,
        preview=preview, recipient=recipient,
    )  # fmt: skip


@bp.post("/mailings/<int:mailing_id>")
@login_required
def update(mailing_id: int):
    mailing = service.get_mailing(current_user, mailing_id, "mailing.update")
    try:
        service.save_mailing(current_user, _values(), posted_node(), mailing)
    except ValidationError as error:
        db.session.rollback()
        flash_errors(error)
    else:
        flash(_("Draft saved."), "success")
    return redirect(url_for("mailings.detail", mailing_id=mailing_id))


@bp.post("/mailings/<int:mailing_id>/test")
@login_required
def test(mailing_id: int):
    mailing = service.get_mailing(current_user, mailing_id, "mailing.update")
    try:
        service.send_test(current_user, mailing, request.form.get("language") or None)
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("A test was sent to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("mailings.detail", mailing_id=mailing_id))


@bp.post("/mailings/<int:mailing_id>/send")
@login_required
def send(mailing_id: int):
    mailing = service.get_mailing(current_user, mailing_id, "mailing.send")
    try:
        counts = service.send_mailing(current_user, mailing, request.url_root)
    except ValidationError as error:
        db.session.rollback()
        flash_errors(error)
    else:
        flash(ngettext("Sending to %(num)d person.", "Sending to %(num)d people.", counts["recipients"]), "success")
    return redirect(url_for("mailings.detail", mailing_id=mailing_id))


@bp.post("/mailings/<int:mailing_id>/resume")
@login_required
def resume(mailing_id: int):
    mailing = service.get_mailing(current_user, mailing_id, "mailing.send")
    try:
        service.resume(current_user, mailing)
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("Sending resumed: only those not sent yet get it."), "success")
    return redirect(url_for("mailings.detail", mailing_id=mailing_id))


@bp.get("/mailings/<int:mailing_id>/report.csv")
@login_required
def report_csv(mailing_id: int):
    mailing = service.get_mailing(current_user, mailing_id)
    return Response(service.report_csv(current_user, mailing), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=mailing-{mailing.id}.csv"})  # fmt: skip


@bp.post("/mailings/<int:mailing_id>/bounces")
@login_required
def bounces(mailing_id: int):
    mailing = service.get_mailing(current_user, mailing_id, "mailing.send")
    upload = request.files.get("file")
    text = upload.read(2_000_000).decode("utf-8", "replace") if upload else request.form.get("emails") or ""
    try:
        number = service.record_bounces(current_user, mailing, text)
    except ValidationError as error:
        db.session.rollback()
        flash_errors(error)
    else:
        flash(ngettext("%(num)d bounce recorded.", "%(num)d bounces recorded.", number), "success")
    return redirect(url_for("mailings.detail", mailing_id=mailing_id))


# ---------------------------------------------------------------------- unsubscribe (no login)


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str):
    delivery = sending.read_unsubscribe_token(token)
    if delivery is None:
        abort(400)
    return render_template("mailings/unsubscribe.html", token=token, done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # mail programs POST here with "List-Unsubscribe=One-Click" (RFC 8058); the signed token is the proof
def unsubscribe(token: str):
    delivery = sending.read_unsubscribe_token(token)
    if delivery is None:
        abort(400)
    sending.unsubscribe(delivery)
    return render_template("mailings/unsubscribe.html", token=token, done=True)


@bp.cli.command("bounce")
def bounce_command() -> None:
    """Record a returned mail read from stdin (the mail server pipes what comes back to
    MAILING_BOUNCE_ADDRESS here): its delivery fails and the person gets no later mailing."""
    import sys

    import click

    delivery = service.record_bounce_message(sys.stdin.buffer.read(5_000_000))
    if delivery is None:
        click.echo("No delivery of a mailing found in this message.")
        return
    db.session.commit()
    click.echo(f"Delivery {delivery.id} of mailing {delivery.mailing_id} recorded as bounced.")
