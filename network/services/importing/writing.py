"""Writing checked rows, and undoing an import. New organisations go in with bulk INSERTs (the ORM
unit of work is far too slow for 200,000 rows), and so do updates of plain columns (description,
website, kind…: executemany UPDATEs checking the version); their audit rows are written in bulk
here, in the hook's shape, because the audit session hook only sees ORM flushes. Other updates
(name, countries, themes, identifiers, memberships) go through the ORM so the hook audits them as
usual."""

from __future__ import annotations

from collections import Counter

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import selectinload

from network import permissions
from network.bulk import bulk_insert, insert_returning_ids
from network.errors import Conflict, PermissionDenied, ValidationError
from network.extensions import db
from network.models import (
    AuditEvent,
    ImportJob,
    Membership,
    Organization,
    OrganizationIdentifier,
    Region,
    Theme,
    utcnow,
)
from network.models.organization import organization_countries, organization_themes
from network.services import operation
from network.services.importing.matching import (
    Existing,
    ImportResult,
    current_values,
    membership_writes,
    value_cache,
)
from network.services.importing.rows import CleanRow
from network.services.organizations import assign_profile

# What a bulk UPDATE may change: columns only the record's own search document and facets hold (a
# new name or acronym also changes partners' and projects' documents; countries, themes,
# identifiers and memberships are rows of their own): the rest goes through the ORM.
PLAIN_UPDATES = {"name_local", "kind", "website", "email", "phone", "description", "founded"}


class BatchWriter:
    """Writes batches of classified rows in the current transaction, recording what it did for undo."""

    def __init__(self, actor, existing: Existing, result: ImportResult):
        self.actor_id = getattr(actor, "id", None)
        self.existing = existing
        self.result = result
        self.wrote = False
        self.plain_updated: list[int] = []  # updated by bulk UPDATEs: their documents are rewritten at the end

    def write(self, batch: list[tuple[str, CleanRow, int | None]]) -> None:
        new = [row for outcome, row, _t in batch if outcome == "new"]
        updates = [(row, target) for outcome, row, target in batch if outcome in ("updated", "update-duplicate")]
        if new:
            self.insert(new)
        if updates:
            self.update(updates)
        self.wrote = self.wrote or bool(new or updates)

    def insert(self, rows: list[CleanRow]) -> None:
        now = utcnow()
        records = []
        for row in rows:
            v = row.values
            records.append({
                "slug": self.existing.new_slug(v["name"]), "name": v["name"], "name_local": v.get("name_local"),
                "acronym": v.get("acronym"), "kind": v.get("kind") or "ngo",
                "hq_country_id": self.existing_region(v["hq_country"]), "website": v.get("website"),
                "email": v.get("email"), "phone": v.get("phone"), "description": v.get("description"),
                "founded": v.get("founded"), "version": 1, "created_at": now, "updated_at": now,
            })  # fmt: skip
        ids = insert_returning_ids(Organization.__table__, records, ("slug",))
        conn = db.session.connection()
        countries, themes, identifiers, memberships, audit = [], [], [], [], []
        refs_region = self.existing_region
        for org_id, row, record in zip(ids, rows, records, strict=True):
            v = row.values
            for code in v.get("countries") or ():
                countries.append({"organization_id": org_id, "region_id": refs_region(code)})
            for slug in v.get("themes") or ():
                themes.append({"organization_id": org_id, "theme_id": self.theme_id(slug)})
            for value in v.get("identifiers") or ():
                identifiers.append({"organization_id": org_id, "value": value})
            for network_id, status, joined_on in row.nodes:
                status = status or "active"
                memberships.append({"organization_id": org_id, "network_id": network_id, "status": status,
                                    "joined_on": joined_on or (now.date() if status == "active" else None),
                                    "version": 1, "created_at": now, "updated_at": now})  # fmt: skip
            changes = {k: [None, val] for k, val in record.items()
                       if val is not None and k not in ("version", "created_at", "updated_at")}  # fmt: skip
            for key in ("countries", "themes", "identifiers"):
                if v.get(key):
                    changes[key] = [None, v[key]]
            audit.append(self.event("create", "organizations", org_id, changes, now))
            self.result.created.append([org_id, 1])
        if countries:
            bulk_insert(conn, organization_countries, countries)
        if themes:
            bulk_insert(conn, organization_themes, themes)
        if identifiers:
            bulk_insert(conn, OrganizationIdentifier.__table__, identifiers)
        if memberships:
            member_ids = insert_returning_ids(Membership.__table__, memberships, ("organization_id", "network_id"))
            for membership_id, m in zip(member_ids, memberships, strict=True):
                self.result.memberships.append(membership_id)
                audit.append(self.event("create", "memberships", membership_id, {
                    "organization_id": [None, m["organization_id"]], "network_id": [None, m["network_id"]],
                    "status": [None, m["status"]], "joined_on": [None, m["joined_on"] and m["joined_on"].isoformat()],
                }, now))  # fmt: skip
        bulk_insert(conn, AuditEvent.__table__, audit)
        for org_id, row in zip(ids, rows, strict=True):
            for value in row.values.get("identifiers") or ():
                self.existing.by_identifier[value] = org_id

    def event(self, action: str, entity_type: str, entity_id: int, changes: dict, now) -> dict:
        return {"at": now, "actor_id": self.actor_id, "action": action, "entity_type": entity_type,
                "entity_id": entity_id, "changes": changes}  # fmt: skip

    def existing_region(self, code: str | None) -> int | None:
        if code is None:
            return None
        if not hasattr(self, "_regions"):
            self._regions = dict(db.session.execute(select(Region.code, Region.id)).all())
        return self._regions[code]

    def theme_id(self, slug: str) -> int:
        if not hasattr(self, "_themes"):
            self._themes = dict(db.session.execute(select(Theme.slug, Theme.id)).all())
        return self._themes[slug]

    def update(self, updates: list[tuple[CleanRow, int]]) -> None:
        """Records whose changes are plain columns only, in bulk UPDATEs; the others through the ORM."""
        before_all = current_values([target for _row, target in updates])
        repeated = Counter(target for _row, target in updates)
        plain, other = [], []
        for row, target in updates:
            before = before_all[target]
            changes = {k: v for k, v in row.values.items() if before.get(k) != v}
            if set(changes) <= PLAIN_UPDATES and repeated[target] == 1 and not membership_writes(row, target):
                plain.append((target, changes, before))
            else:
                other.append((row, target))
        if plain:
            self.update_plain(plain)
        if other:
            self.update_orm(other)

    def update_plain(self, plain: list[tuple[int, dict, dict]]) -> None:
        """executemany UPDATEs, one per set of changed columns, each checking the version read (as
        the ORM does); the audit rows written here, in the shape the session hook writes."""
        table = Organization.__table__
        ids = [target for target, _c, _b in plain]
        versions = dict(db.session.execute(select(table.c.id, table.c.version).where(table.c.id.in_(ids))).all())
        now = utcnow()
        groups: dict[tuple[str, ...], list[dict]] = {}
        audit = []
        for target, changes, before in plain:
            version = versions[target]
            values = {f"new_{k}": v for k, v in changes.items()}
            groups.setdefault(tuple(sorted(changes)), []).append(
                {"b_id": target, "b_version": version, "new_version": version + 1, **values}
            )
            audit.append(self.event("update", "organizations", target,
                                    {k: [before.get(k), v] for k, v in changes.items()}, now))  # fmt: skip
            self.result.updated.append({"id": target, "version": version + 1,
                                        "before": {k: before.get(k) for k in changes}})  # fmt: skip
            value_cache().pop(target, None)
        for columns, rows in groups.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
                .values(version=bindparam("new_version"), updated_at=now, **{c: bindparam(f"new_{c}") for c in columns})
            )  # fmt: skip
            if db.session.execute(statement, rows).rowcount != len(rows):
                raise Conflict()  # someone saved one of them meanwhile: nothing of the import is kept
        bulk_insert(db.session.connection(), AuditEvent.__table__, audit)
        for obj in list(db.session.identity_map.values()):  # loaded copies would show the old values
            if isinstance(obj, Organization) and obj.id in versions:
                db.session.expire(obj)
        self.plain_updated.extend(ids)

    def update_orm(self, updates: list[tuple[CleanRow, int]]) -> None:
        """Changed records through the ORM, so versions bump and the audit hook records the diffs."""
        ids = [target for _row, target in updates]
        orgs = {
            o.id: o
            for o in db.session.scalars(
                select(Organization).where(Organization.id.in_(ids)).options(
                    selectinload(Organization.countries), selectinload(Organization.themes),
                    selectinload(Organization.identifiers), selectinload(Organization.hq_country),
                    selectinload(Organization.memberships),
                )
            )
        }  # fmt: skip
        before_all = current_values(ids)
        done = []
        for row, target in updates:
            org = orgs[target]
            before = before_all[target]
            changes = {k: v for k, v in row.values.items() if before.get(k) != v}
            if "identifiers" in changes:  # add the file's identifiers; never drop stored ones
                changes["identifiers"] = sorted(set(before.get("identifiers") or []) | set(changes["identifiers"]))
            assign_profile(org, changes)
            added = []
            for network_id, status, joined_on in row.nodes:
                membership = next((m for m in org.memberships if m.network_id == network_id), None)
                if membership is None:
                    membership = Membership(organization=org, network_id=network_id, status=status or "active",
                                            joined_on=joined_on or utcnow().date())  # fmt: skip
                    db.session.add(membership)
                    added.append(membership)
                else:
                    if status and membership.status != status:
                        membership.status = status
                    if joined_on and membership.joined_on != joined_on:
                        membership.joined_on = joined_on
            done.append((org, added, {k: before.get(k) for k in changes}))
        db.session.flush()  # one flush for the batch: the audit hook records each record's diff
        for org, added, before in done:
            self.result.memberships.extend(m.id for m in added)
            self.result.updated.append({"id": org.id, "version": org.version, "before": before})
            value_cache().pop(org.id, None)

    def finish(self) -> None:
        value_cache().clear()
        if self.wrote:
            sync_search_index([org_id for org_id, _version in self.result.created] + self.plain_updated)


def sync_search_index(org_ids: list[int] | None = None) -> None:
    """Bulk inserts bypass the search engine's session hook: index the organisations written (new
    ones have no partners or projects whose documents would change), or rebuild everything."""
    try:
        from network.services.search import index
    except ImportError:
        return
    conn = db.session.connection()
    if org_ids is None:
        index.rebuild_index(conn)
        return
    index.reindex(conn, "organization", org_ids)
    # The ids, so each worker's facet index patches these records in (a large import, over
    # index.MAX_LOGGED, still makes them rebuild) instead of rebuilding for a 20-row import.
    index.bump_generation(conn, org_ids)


@operation
def undo_import(actor, job: ImportJob) -> ImportJob:
    """Archive what an import created and put back what it changed, if none of it changed since."""
    if not permissions.can(actor, "import.undo", job):
        raise PermissionDenied(_("Only the coordinator who imported (or an admin) can undo an import."))
    if job.status != "committed":
        raise ValidationError({"": [_("Only a committed import can be undone.")]})
    created = dict(job.details.get("created", []))
    updated = {entry["id"]: entry for entry in job.details.get("updated", [])}
    changed = []
    ids = list(created) + list(updated)
    versions: dict[int, tuple[int, object]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        query = select(Organization.id, Organization.version, Organization.archived_at).where(
            Organization.id.in_(chunk)
        )
        versions.update({i: (v, a) for i, v, a in db.session.execute(query)})
    for org_id, version in created.items():
        if org_id not in versions or versions[org_id] != (version, None):
            changed.append(org_id)
    for org_id, entry in updated.items():
        if org_id not in versions or versions[org_id][0] != entry["version"]:
            changed.append(org_id)
    if changed:
        names = db.session.scalars(select(Organization.name).where(Organization.id.in_(changed[:5]))).all()
        raise ValidationError({"": [_("%(n)d records were changed since the import (%(names)s…); it can no longer "
                                      "be undone as a whole.", n=len(changed), names=", ".join(names))]})  # fmt: skip
    now = utcnow()
    created_ids = list(created)
    membership_ids = job.details.get("memberships", [])
    audit = []
    for start in range(0, len(membership_ids), 1000):
        chunk = membership_ids[start : start + 1000]
        db.session.execute(Membership.__table__.delete().where(Membership.__table__.c.id.in_(chunk)))
        audit += [{"at": now, "actor_id": actor.id, "action": "delete", "entity_type": "memberships",
                   "entity_id": m, "changes": {}} for m in chunk]  # fmt: skip
    table = Organization.__table__
    for start in range(0, len(created_ids), 1000):
        chunk = created_ids[start : start + 1000]
        db.session.execute(
            OrganizationIdentifier.__table__.delete().where(
                OrganizationIdentifier.__table__.c.organization_id.in_(chunk)
            )
        )
        db.session.execute(
            update(table)
            .where(table.c.id.in_(chunk))
            .values(archived_at=now, version=table.c.version + 1, updated_at=now)  # fmt: skip
        )
        audit += [{"at": now, "actor_id": actor.id, "action": "archive", "entity_type": "organizations",
                   "entity_id": i, "changes": {"archived_at": [None, now.isoformat()]}} for i in chunk]  # fmt: skip
    if audit:
        db.session.execute(insert(AuditEvent.__table__), audit)
    if updated:
        orgs = db.session.scalars(
            select(Organization).where(Organization.id.in_(list(updated))).options(
                selectinload(Organization.countries), selectinload(Organization.themes),
                selectinload(Organization.identifiers),
            )
        )  # fmt: skip
        for org in orgs:
            assign_profile(org, updated[org.id]["before"])
        db.session.flush()  # before expire_all, which would drop these changes unsaved
    db.session.expire_all()
    job = db.session.get(ImportJob, job.id)
    job.status = "undone"
    job.details = {**job.details, "undone_at": now.isoformat(), "undone_by": actor.id}
    db.session.flush()
    if created_ids or updated:
        sync_search_index(created_ids)
    return job
