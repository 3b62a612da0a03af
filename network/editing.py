"""What every edit page does with a submitted form: call the service, then show the outcome.

edit_view (a versioned record's edit page) and create_view (a page that adds one) are whole pages;
save_form is the step they share:

- saved: a flash and a redirect;
- invalid: the service's per-field messages go on the form, shown again with status 422;
- stale (someone saved first): the conflict page shows their values beside yours, with your form
  re-armed at the version now stored, so saving it again re-applies your values knowingly;
- a create that clashed with a write made at the same time: the filled form again, status 409,
  saying that nothing was saved.
"""

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from network.errors import Conflict, ValidationError
from network.models import Network
from network.services import history, lookups
from network.services.audit import entity_type


def actor():
    """The logged-in user as a plain object (services keep references to it)."""
    return current_user._get_current_object()


def flash_errors(error: ValidationError) -> None:
    """Each of a service's messages as an error flash (forms that go back to a page, not a form)."""
    for messages in error.errors.values():
        for message in messages:
            flash(message, "error")


def posted_node() -> Network | None:
    """The network node a form's "network" field names (empty: none, i.e. network-wide); 404 for a
    node that does not exist. Whether it may be used is the service's decision."""
    raw = (request.form.get("network") or "").strip()
    if not raw:
        return None
    node = lookups.by_id(Network, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if node is None:
        abort(404)
    return node


def save_form(
    form,
    save: Callable[[dict, object], object],
    *,
    record=None,
    cancel_url: str | None = None,
    fresh: Callable[[], object] | None = None,
):
    """Run ``save(data, version)`` for a submitted form.

    Returns ``(saved, response)``: ``saved`` is the service's result; ``response`` is set when the
    page to show is the conflict page. With neither, the form carries its messages. ``fresh``
    builds the form from the record as stored now (for the conflict page).
    """
    version = form.version.data if "version" in form._fields else None
    try:
        return save(form.data_for_service(), version), None
    except ValidationError as error:
        form.show_errors(error.errors)
        return None, None
    except Conflict as conflict:
        if record is None:  # a create: no stored record to compare with, so the form says what happened
            form.show_errors({"": [conflict.message, _("Nothing was saved. Your entries are below: send them again.")]})
            form.conflicted = True
            return None, None
        return None, conflict_page(conflict, form=form, record=record, cancel_url=cancel_url, fresh=fresh)


def edit_view(
    record,
    form_class,
    form_data: Callable[[object], dict],
    save: Callable[[dict, object], object],
    *,
    render: Callable[[object], str],
    cancel_url: str,
    message: str | Callable[[object], str],
    next_url: str | Callable[[object], str] | None = None,
    on_show: Callable[[object], None] | None = None,
):
    """The whole edit page of a versioned record: the form filled from the record; on submit,
    ``save(data, version)``; then a flash and a redirect, the conflict page, or the form again.

    ``form_data(record)`` fills the form (and, on a conflict, the form of the values now stored);
    ``render(form)`` renders the page; ``message`` and ``next_url`` (``cancel_url`` when not given)
    may be functions of what ``save`` returned. ``on_show(form)`` prepares a form shown unsubmitted.
    """
    form = form_class(data=form_data(record))
    if form.is_submitted():
        saved, page = save_form(
            form, save, record=record, cancel_url=cancel_url,
            fresh=lambda: form_class(formdata=None, data=form_data(record)),
        )  # fmt: skip
        if page:
            return page
        if saved:
            return saved_response(saved, message, cancel_url if next_url is None else next_url)
    elif on_show is not None:
        on_show(form)
    return render(form), form_status(form)


def create_view(
    form,
    create: Callable[[dict], object],
    *,
    render: Callable[[object], str],
    message: str | Callable[[object], str],
    next_url: str | Callable[[object], str],
    on_show: Callable[[object], None] | None = None,
):
    """The whole page that adds a record: on submit, ``create(data)``; then a flash and a redirect,
    or the form again with its messages (a ValidationError ``create`` raises goes on the form).
    ``message`` and ``next_url`` may be functions of the new record."""
    if form.is_submitted():
        saved, _page = save_form(form, lambda data, _version: create(data))
        if saved:
            return saved_response(saved, message, next_url)
    elif on_show is not None:
        on_show(form)
    return render(form), form_status(form)


def saved_response(saved, message, next_url):
    """Flash ``message`` and redirect to ``next_url`` (either may be a function of what was saved)."""
    flash(message(saved) if callable(message) else message, "success")
    return redirect(next_url(saved) if callable(next_url) else next_url)


def conflict_page(conflict: Conflict, *, form=None, record=None, cancel_url: str | None = None, fresh=None):
    """Their values beside yours. The form below holds the stored values with only the fields you
    changed replaced by yours, so saving it re-applies your edit without undoing theirs."""
    touched = form.touched_fields() if form is not None and hasattr(form, "touched_fields") else None
    if form is not None and fresh is not None:
        merged = fresh()
        merged.remember_original()
        merged.take_changes_from(form, form.service_fields() if touched is None else touched)
        form = merged
    if form is not None and conflict.current_version is not None:
        form.set_version(conflict.current_version)
    elif form is not None and record is not None and getattr(record, "version", None) is not None:
        form.set_version(record.version)
    changed_by = history.last_change(entity_type(record), record.id) if record is not None else None
    return render_template(
        "conflict.html",
        error=conflict,
        form=form,
        touched=touched,
        action=request.path,
        cancel_url=cancel_url,
        changed_by=changed_by,
        field_labels=history.FIELD_LABELS,
    ), 409


def form_status(form) -> int:
    """409 when a create clashed with a write made at the same time, 422 when a submitted form is
    shown again with messages."""
    if getattr(form, "conflicted", False):
        return 409
    return 422 if form.errors or getattr(form, "form_errors", None) else 200
