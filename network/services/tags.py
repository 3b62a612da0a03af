"""Tags: named lists of organisations. Creating and deleting them, and adding organisations to a tag
or taking them out, many at once.

Adding 20,000 organisations must not load 20,000 ORM objects: the link rows are read and written in
SQL, in batches; the audit rows (what the session hook writes for a change of themes) are written
here for the same reason, one per organisation whose tags changed, as {"tags": [before, after]}.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import selectinload

from network import permissions
from network.extensions import db
from network.models import AuditEvent, Network, Organization, SavedSearch, utcnow
from network.models.tag import Tag, organization_tags
from network.services import NotFound, ValidationError, operation
from network.services.audit import current_actor_id
from network.services.profiles import MAX_ID
from network.services.search.index import bump_generation

BATCH = 1_000  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
MAX_NAME = 80


@dataclass
class Summary:
    changed: int  # organisations added to (or taken out of) the tag
    unchanged: int  # already there (or not there)


def _batches(ids: Iterable[int]):
    ids = sorted(set(ids))
    for i in range(0, len(ids), BATCH):
        yield ids[i : i + BATCH]


# ------------------------------------------------------------------------------------------ reading


def visible_tags(actor) -> list[Tag]:
    """Every tag, for those who may see tags (signed-in users), by name."""
    if not permissions.can(actor, "tag.view"):
        return []
    return list(db.session.scalars(select(Tag).options(selectinload(Tag.network)).order_by(Tag.name, Tag.id)))


def manageable_tags(actor) -> list[Tag]:
    """The tags this user may apply, rename and delete."""
    return [t for t in visible_tags(actor) if permissions.can(actor, "tag.manage", t)]


def get_tag(actor, tag_id: int) -> Tag:
    permissions.require(actor, "tag.view")
    tag = db.session.get(Tag, tag_id) if 0 < tag_id <= MAX_ID else None
    if tag is None:
        raise NotFound(_("No such tag."))
    return tag


def tags_by_organization(actor, organization_ids: list[int]) -> dict[int, list[Tag]]:
    """The tags of a page of organisations, in one statement (none for those who may not see tags)."""
    if not organization_ids or not permissions.can(actor, "tag.view"):
        return {}
    found: dict[int, list[Tag]] = defaultdict(list)
    rows = db.session.execute(
        select(organization_tags.c.organization_id, Tag)
        .join(Tag, Tag.id == organization_tags.c.tag_id)
        .where(organization_tags.c.organization_id.in_(organization_ids))
        .order_by(Tag.name, Tag.id)
    )
    for org_id, tag in rows:
        found[org_id].append(tag)
    return found


def count_of(tag: Tag) -> int:
    return db.session.scalar(select(func.count()).where(organization_tags.c.tag_id == tag.id)) or 0


# ------------------------------------------------------------------------------------------ writing


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": [_("Give the tag a name.")]})
    if len(name) > MAX_NAME:
        raise ValidationError({"name": [_("At most %(n)d characters.", n=MAX_NAME)]})
    return name


@operation
def create_tag(actor, name: str, network: Network | None = None) -> Tag:
    permissions.require(actor, "tag.create", network)
    name = _clean_name(name)
    network_id = network.id if network is not None else None
    same = select(Tag.id).where(func.lower(Tag.name) == name.lower())
    same = same.where(Tag.network_id == network_id) if network_id else same.where(Tag.network_id.is_(None))
    if db.session.scalar(same) is not None:
        raise ValidationError({"name": [_("There is already a tag of this name here.")]})
    tag = Tag(name=name, network_id=network_id, created_by_id=getattr(actor, "id", None))
    db.session.add(tag)
    db.session.flush()
    bump_generation(db.session.connection())  # the facet index lists tags: a new value
    return tag


@operation
def delete_tag(actor, tag: Tag) -> None:
    permissions.require(actor, "tag.manage", tag)
    ids = list(
        db.session.scalars(select(organization_tags.c.organization_id).where(organization_tags.c.tag_id == tag.id))
    )
    _write_audit(ids, _names_of(ids), removed={tag.name})
    db.session.execute(delete(organization_tags).where(organization_tags.c.tag_id == tag.id))
    db.session.delete(tag)
    db.session.flush()
    bump_generation(db.session.connection())


@operation
def rename_tag(actor, tag: Tag, name: str) -> Tag:
    """A new name for the tag (its node's coordinators; network-wide: admins). One audit row for the
    tag itself; the organisations' rows keep the name they were written with."""
    permissions.require(actor, "tag.manage", tag)
    name = _clean_name(name)
    if name == tag.name:
        return tag
    same = select(Tag.id).where(func.lower(Tag.name) == name.lower(), Tag.id != tag.id)
    same = same.where(Tag.network_id == tag.network_id) if tag.network_id else same.where(Tag.network_id.is_(None))
    if db.session.scalar(same) is not None:
        raise ValidationError({"name": [_("There is already a tag of this name here.")]})
    old, tag.name = tag.name, name
    db.session.flush()
    db.session.add(AuditEvent(at=utcnow(), actor_id=current_actor_id(), action="update", entity_type="tags",
                              entity_id=tag.id, changes={"name": [old, name]}))  # fmt: skip
    bump_generation(db.session.connection())  # the facet index shows tag names: rebuilt
    return tag


def _live_ids(ids: Iterable[int]) -> list[int]:
    """The given ids that are organisations in the directory (not archived or merged)."""
    found = []
    for batch in _batches(i for i in ids if 0 < i <= MAX_ID):
        found += db.session.scalars(
            select(Organization.id).where(
                Organization.id.in_(batch), Organization.archived_at.is_(None), Organization.merged_into_id.is_(None)
            )
        )
    return sorted(found)


def _tagged(tag: Tag, ids: list[int]) -> set[int]:
    found: set[int] = set()
    for batch in _batches(ids):
        found.update(
            db.session.scalars(
                select(organization_tags.c.organization_id).where(
                    organization_tags.c.tag_id == tag.id, organization_tags.c.organization_id.in_(batch)
                )
            )
        )
    return found


def _names_of(ids: list[int]) -> dict[int, set[str]]:
    names: dict[int, set[str]] = defaultdict(set)
    for batch in _batches(ids):
        for org_id, name in db.session.execute(
            select(organization_tags.c.organization_id, Tag.name)
            .join(Tag, Tag.id == organization_tags.c.tag_id)
            .where(organization_tags.c.organization_id.in_(batch))
        ):
            names[org_id].add(name)
    return names


def _write_audit(ids: list[int], before: dict[int, set[str]], added=frozenset(), removed=frozenset()) -> None:
    """One audit row per organisation, as the session hook writes for a change of its themes."""
    if not ids:
        return
    actor, now = current_actor_id(), utcnow()
    rows = []
    for org_id in ids:
        old = before.get(org_id, set())
        new = (old | set(added)) - set(removed)
        rows.append({"at": now, "actor_id": actor, "action": "update", "entity_type": "organizations",
                     "entity_id": org_id, "changes": {"tags": [sorted(old), sorted(new)]}})  # fmt: skip
    for i in range(0, len(rows), BATCH):
        db.session.execute(insert(AuditEvent), rows[i : i + BATCH])


@operation
def add_to_tag(actor, tag: Tag, organization_ids: Iterable[int]) -> Summary:
    """Tag the organisations (those already tagged are counted, not touched)."""
    permissions.require(actor, "tag.manage", tag)
    ids = _live_ids(organization_ids)
    already = _tagged(tag, ids)
    new = [i for i in ids if i not in already]
    _write_audit(new, _names_of(new), added={tag.name})
    for batch in _batches(new):
        db.session.execute(insert(organization_tags), [{"organization_id": i, "tag_id": tag.id} for i in batch])
    if new:
        bump_generation(db.session.connection(), new)  # workers patch their facet index for these
    return Summary(len(new), len(already))


@operation
def remove_from_tag(actor, tag: Tag, organization_ids: Iterable[int]) -> Summary:
    permissions.require(actor, "tag.manage", tag)
    ids = _live_ids(organization_ids)
    tagged = sorted(_tagged(tag, ids))
    _write_audit(tagged, _names_of(tagged), removed={tag.name})
    for batch in _batches(tagged):
        db.session.execute(
            delete(organization_tags).where(
                organization_tags.c.tag_id == tag.id, organization_tags.c.organization_id.in_(batch)
            )
        )
    if tagged:
        bump_generation(db.session.connection(), tagged)
    return Summary(len(tagged), len(ids) - len(tagged))


@operation
def tag_from_saved_search(actor, saved_id: int, name: str, network: Network | None = None) -> tuple[Tag, Summary]:
    """A new tag holding the current results of one of the user's saved searches (a list to keep)."""
    from urllib.parse import parse_qsl

    from werkzeug.datastructures import MultiDict

    from network.services.search import organization_id_set, parse_search_params

    saved = db.session.get(SavedSearch, saved_id) if 0 < saved_id <= MAX_ID else None
    if saved is None or saved.user_id != getattr(actor, "id", None):
        raise NotFound(_("No such saved search."))
    tag = create_tag(actor, name or saved.name, network)
    params = parse_search_params(MultiDict(parse_qsl(saved.query)))
    return tag, add_to_tag(actor, tag, organization_id_set(actor, params))


def counts(actor) -> dict[int, int]:
    """How many organisations each tag holds (one grouped statement)."""
    if not permissions.can(actor, "tag.view"):
        return {}
    rows = db.session.execute(select(organization_tags.c.tag_id, func.count()).group_by(organization_tags.c.tag_id))
    return dict(rows.all())
