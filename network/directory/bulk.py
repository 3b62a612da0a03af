"""Acting on many directory results at once (add to an initiative, tag, untag, export), tags, and
the organisation picker's list of matches. Routes of the directory blueprint."""

from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from network import labels, permissions
from network.directory.forms import BulkForm, MergePickForm, TagForm, TagFromSearchForm
from network.directory.views import bp
from network.editing import flash_errors, posted_node
from network.errors import ValidationError
from network.extensions import db
from network.org_picker import organization_by_id, picker_matches
from network.services import bulk, profiles, tags
from network.services.initiatives import find_initiative, manageable_initiatives
from network.services.networks import nodes_for


@bp.post("/organizations/bulk")
@login_required
def bulk_action():
    """Step one (from the results: the ticked rows or "all N matching", and an action) shows what
    the action needs (initiative and role, or tag) with the count; step two (confirm) does it."""
    permissions.require(current_user, "directory.bulk")
    selection = bulk.read_selection(request.form)
    query = request.form.get("query") or ""
    back = url_for("directory.index") + ("?" + query if query else "")
    action = request.form.get("action") or ""
    if action not in ("initiative", "tag", "untag", "export", "mailing", "event"):
        flash(_("Choose what to do with the selected organisations."), "error")
        return redirect(back)
    target = _target(action) if request.form.get("confirm") else None  # asks the action's own rule first
    ids = bulk.selected_ids(current_user, selection)
    if not ids:
        flash(_("Tick at least one organisation, or choose all the results."), "error")
        return redirect(back)
    if action == "mailing":  # a new mailing to them (#16): the mailing form, with these organisations
        from network.mailings.views import new_page

        return new_page(ids)
    if action == "event":  # invite their people to an event (#17): the event chooser, with these organisations
        from network.events.views import invite_page

        return invite_page(ids)
    if action == "export":
        # The directory's one export: the ticked ids, or the search itself.
        args = [("format", request.form.get("format") or "csv")]
        args += [("id", i) for i in ids] if not selection.everything else list(_query_pairs(query))
        return redirect(url_for("imports.export") + "?" + urlencode(args))
    initiatives = manageable_initiatives(current_user) if action == "initiative" else []
    tag_choices = tags.manageable_tags(current_user) if action in ("tag", "untag") else []
    form = BulkForm(request.form, initiatives=initiatives, tags=tag_choices, action=action)
    if request.form.get("confirm"):
        try:
            _apply(action, form, target, ids)
        except ValidationError as error:
            db.session.rollback()
            flash_errors(error)
        else:
            return redirect(back)
    return render_template(
        "directory/bulk.html", form=form, action=action, count=len(ids), selection=selection, query=query,
        ids=[] if selection.everything else ids, initiatives=initiatives, tags=tag_choices, back=back,
    )  # fmt: skip


def _query_pairs(query: str):
    from urllib.parse import parse_qsl

    return [(k, v) for k, v in parse_qsl(query) if k not in ("page", "format")]


def _target(action: str):
    """The initiative or tag a confirmed action names, looked up as posted (not among the choices
    offered) and refused (403) when it is not the user's, before any organisation is read."""
    if action == "initiative":
        initiative = find_initiative(request.form.get("initiative") or "")
        permissions.require(current_user, "initiative.manage_participants", initiative)
        return initiative
    if action in ("tag", "untag"):
        raw = request.form.get("tag") or ""
        tag = tags.get_tag(current_user, int(raw) if raw.isdigit() and len(raw) < 10 else 0)
        permissions.require(current_user, "tag.manage", tag)
        return tag
    return None


def _apply(action, form, target, ids) -> None:
    if action == "initiative":
        initiative = target
        done = bulk.invite_many(current_user, initiative, ids, form.role.data)
        role = labels.label(labels.PARTICIPANT_ROLE_LABELS, form.role.data).lower()
        if done.added:
            flash(ngettext("%(num)d organisation invited to %(title)s as %(role)s.",
                           "%(num)d organisations invited to %(title)s as %(role)s.",
                           len(done.added), title=initiative.title, role=role), "success")  # fmt: skip
        if done.already:
            flash(ngettext("%(num)d was already invited or taking part: %(names)s.",
                           "%(num)d were already invited or taking part: %(names)s.",
                           len(done.already), names=", ".join(done.already[:10])), "info")  # fmt: skip
        return
    tag = target
    if action == "tag":
        done = tags.add_to_tag(current_user, tag, ids)
        flash(ngettext("%(num)d organisation added to the tag %(tag)s.",
                       "%(num)d organisations added to the tag %(tag)s.", done.changed, tag=tag.name), "success")  # fmt: skip
        if done.unchanged:
            flash(ngettext("%(num)d already had it.", "%(num)d already had it.", done.unchanged), "info")
    else:
        done = tags.remove_from_tag(current_user, tag, ids)
        flash(ngettext("%(num)d organisation taken out of the tag %(tag)s.",
                       "%(num)d organisations taken out of the tag %(tag)s.", done.changed, tag=tag.name), "success")  # fmt: skip
        if done.unchanged:
            flash(ngettext("%(num)d did not have it.", "%(num)d did not have it.", done.unchanged), "info")


# Tags --------------------------------------------------------------------------------------------


@bp.get("/tags")
@login_required
def tag_list():
    permissions.require(current_user, "tag.view")
    nodes = nodes_for(current_user, "tag.create")
    form = TagForm(nodes=nodes, admin=permissions.can(current_user, "tag.create", None))
    return render_template("directory/tags.html", tags=tags.visible_tags(current_user), form=form,
                           counts=tags.counts(current_user))  # fmt: skip


@bp.post("/tags")
@login_required
def tag_create():
    network = posted_node()
    try:
        tag = tags.create_tag(current_user, request.form.get("name") or "", network)
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("Tag %(name)s created. Tick organisations in the directory to add them to it.", name=tag.name))
    return redirect(url_for("directory.tag_list"))


@bp.post("/tags/<int:tag_id>/delete")
@login_required
def tag_delete(tag_id: int):
    tag = tags.get_tag(current_user, tag_id)
    name = tag.name
    tags.delete_tag(current_user, tag)
    flash(_("Tag %(name)s deleted.", name=name))
    return redirect(url_for("directory.tag_list"))


@bp.post("/tags/<int:tag_id>/rename")
@login_required
def tag_rename(tag_id: int):
    tag = tags.get_tag(current_user, tag_id)
    old = tag.name
    try:
        tags.rename_tag(current_user, tag, request.form.get("name") or "")
    except ValidationError as error:
        flash_errors(error)
    else:
        flash(_("Tag %(old)s renamed %(name)s.", old=old, name=tag.name), "success")
    return redirect(url_for("directory.tag_list"))


def tag_from_search_form() -> TagFromSearchForm | None:
    """The "Make a tag from this search" form of the saved searches page, for those who may make tags."""
    nodes = nodes_for(current_user, "tag.create")
    admin = permissions.can(current_user, "tag.create", None)
    return TagFromSearchForm(nodes=nodes, admin=admin) if nodes or admin else None


@bp.post("/organizations/saved/<int:saved_id>/tag")
@login_required
def tag_from_search(saved_id: int):
    """ "Make a tag from this search": a new tag holding the saved search's current results."""
    try:
        tag, done = tags.tag_from_saved_search(current_user, saved_id, request.form.get("name") or "",
                                               posted_node())  # fmt: skip
    except ValidationError as error:
        flash_errors(error)
        return redirect(url_for("directory.saved"))
    flash(ngettext("Tag %(tag)s made with %(num)d organisation.", "Tag %(tag)s made with %(num)d organisations.",
                   done.changed, tag=tag.name), "success")  # fmt: skip
    return redirect(url_for("directory.index", tag=tag.id))


@bp.get("/organizations/<slug>/merge")
@login_required
def merge_pick(slug: str):
    """ "Merge a duplicate into this record": pick the duplicate by name, then the merge page."""
    survivor = profiles.find_organization(slug)
    permissions.require(current_user, "organization.merge", survivor)
    form = MergePickForm(request.args)
    if ("duplicate" in request.args or "duplicate_q" in request.args) and form.validate():
        duplicate = form.duplicate.organization
        if duplicate.id != survivor.id:
            return redirect(url_for("imports.merge", survivor=survivor.id, duplicate=duplicate.id))
        form.duplicate.errors = [_("Pick another organisation than this one.")]
    return render_template("directory/merge_pick.html", form=form, survivor=survivor)


# The organisation picker -------------------------------------------------------------------------


@bp.get("/organizations/pick")
def pick():
    """A short list of organisations matching q (any script), as buttons for the picker (htmx)."""
    permissions.require(current_user, "directory.view")
    field = (request.args.get("field") or "organization")[:40]
    query = request.args.get(f"{field}_q") or request.args.get("q") or ""
    return render_template("_org_picker_matches.html", field=field, matches=picker_matches(current_user, query),
                           chosen=organization_by_id(request.args.get(field)), query=query.strip())  # fmt: skip
