"""Matching a checked row with what is stored: repeats within the file, exact matches (identifier, or
name and country) and possible duplicates (the duplicate finder's features); what the run found."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from network import permissions
from network.extensions import db
from network.models import Organization, OrganizationIdentifier, Region
from network.services.duplicates import LIKELY, DuplicateIndex, OrgFeatures, load_features
from network.services.importing.rows import CleanRow, Issue, exact_key
from network.services.spreadsheet import plain_records
from network.slugs import slugify

MAX_REPORTED = 2000  # errors and duplicates kept in the job for the preview page
ROW_OUTCOMES = ("new", "updated", "unchanged", "duplicate", "invalid")


@dataclass
class ImportResult:
    counts: dict = field(default_factory=lambda: dict.fromkeys(ROW_OUTCOMES + ("skipped",), 0))
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    warnings: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    rejected: list[tuple[int, list[str], list[Issue]]] = field(default_factory=list)
    created: list[list[int]] = field(default_factory=list)  # [org id, version]
    updated: list[dict] = field(default_factory=list)  # {"id", "version", "before"}
    memberships: list[int] = field(default_factory=list)
    total: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None

    @property
    def clean(self) -> bool:
        return self.counts["invalid"] == 0

    def summary(self) -> dict:
        return dict(self.counts)

    def reject(self, number: int, record: list[str], issues: list[Issue], keep: bool) -> None:
        """Count an invalid row and report its issues (up to MAX_REPORTED); keep: for the rejected-rows file."""
        self.counts["invalid"] += 1
        self.error_count += len(issues)
        for issue in issues:
            if len(self.errors) < MAX_REPORTED:
                self.errors.append(issue.as_dict())
        if keep:
            self.rejected.append((number, list(record), issues))


class Existing:
    """What is already stored, for matching rows: identifiers, exact names per country, and features."""

    def __init__(self, scope_orgs: set[int] | None):
        self.by_identifier = dict(
            db.session.execute(select(OrganizationIdentifier.value, OrganizationIdentifier.organization_id)).all()
        )
        self.by_key: dict[tuple[str, str | None], list[int]] = {}
        query = (
            select(Organization.id, Organization.name, Region.code, Organization.slug)
            .outerjoin(Region, Region.id == Organization.hq_country_id)
            .where(Organization.archived_at.is_(None), Organization.merged_into_id.is_(None))
        )
        self.count = 0
        for org_id, name, code, _slug in db.session.execute(query):
            self.by_key.setdefault((exact_key(name), code), []).append(org_id)
            self.count += 1
        self.slugs = set(db.session.scalars(select(Organization.slug)))
        self.slug_next: dict[str, int] = {}
        self.manageable = scope_orgs
        self._index: DuplicateIndex | None = None

    @property
    def index(self) -> DuplicateIndex:
        if self._index is None:
            self._index = DuplicateIndex(load_features() if self.count else [])
        return self._index

    def exact_targets(self, row: CleanRow) -> list[int]:
        """The stored records the row matches exactly: by identifier, else by name and country."""
        for value in row.values.get("identifiers") or ():
            if value in self.by_identifier:
                return [self.by_identifier[value]]
        return self.by_key.get(row.key) or []

    def prefetch(self, rows: list[CleanRow]) -> None:
        """Read the stored values of every record these rows match exactly, in one batch."""
        ids = list(dict.fromkeys(i for row in rows for i in self.exact_targets(row)))
        value_cache().clear()  # the cache holds one chunk's records: memory stays bounded
        if ids:
            current_values(ids)

    def new_slug(self, name: str) -> str:
        base = slugify(name, fallback="organisation")
        if base not in self.slugs:
            self.slugs.add(base)
            return base
        n = self.slug_next.get(base, 2)
        while f"{base}-{n}" in self.slugs:
            n += 1
        self.slug_next[base] = n + 1
        slug = f"{base}-{n}"
        self.slugs.add(slug)
        return slug


def membership_writes(row: CleanRow, target: int | None) -> list[int]:
    """The nodes whose membership this row would create or change."""
    if target is None:
        return [n for n, _s, _j in row.nodes]
    memberships = current_values([target])[target].get("memberships", {})
    return [
        n for n, status, joined_on in row.nodes
        if n not in memberships or (status and memberships[n][0] != status)
        or (joined_on and memberships[n][1] != joined_on.isoformat())
    ]  # fmt: skip


def manageable_organizations(actor) -> set[int] | None:
    """Ids of the organisations the actor may update (None: all, for admins)."""
    in_scope = permissions.organizations_in_scope(actor)
    return None if in_scope is None else set(db.session.scalars(in_scope))


def check_in_file(row: CleanRow, seen_keys: dict, seen_identifiers: dict, result: ImportResult) -> list[Issue]:
    """A row repeating an earlier one is an error; the same name with other details is a warning."""
    issues = []
    for value in row.values.get("identifiers") or ():
        if value in seen_identifiers:
            issues.append(Issue(row.number, "identifier", _("Identifier %(value)s is also on row %(row)d.",
                                                            value=value, row=seen_identifiers[value])))  # fmt: skip
        else:
            seen_identifiers[value] = row.number
    signature = (tuple(sorted((k, str(v)) for k, v in row.values.items())), tuple(row.nodes))
    earlier = seen_keys.get(row.key)
    if earlier is None:
        seen_keys[row.key] = (row.number, hash(signature))
    elif earlier[1] == hash(signature):
        issues.append(Issue(row.number, "name", _("This row repeats row %(row)d.", row=earlier[0])))
    elif len(result.warnings) < MAX_REPORTED:
        result.warnings.append({"row": row.number, "column": "name", "message": _(
            "Same name and country as row %(row)d, with other details; both will be imported.", row=earlier[0])})  # fmt: skip
    return issues


def classify(row: CleanRow, existing: Existing, result: ImportResult) -> tuple[str, int | None]:
    """new / updated / unchanged (exact match: identifier, or name and country) / duplicate (fuzzy)."""
    target = None
    matches = existing.exact_targets(row)
    if matches:
        target = matches[0] if len(matches) == 1 else _best_exact(row, matches)
    if target is not None:
        return ("unchanged" if not _differences(row, target) else "updated"), target
    if existing.count:
        features = OrgFeatures.build(
            name=row.values["name"], name_local=row.values.get("name_local"), acronym=row.values.get("acronym"),
            website=row.values.get("website"), email=row.values.get("email"), country=row.values["hq_country"],
            identifiers=row.values.get("identifiers") or (),
        )  # fmt: skip
        found = existing.index.matches(features, LIKELY, limit=1)
        if found:
            score, candidate, reasons = found[0]
            if len(result.duplicates) < MAX_REPORTED:
                result.duplicates.append({"row": row.number, "name": row.values["name"], "candidate_id": candidate,
                                          "candidate_name": existing.index.records[candidate].name,
                                          "score": score, "reasons": reasons})  # fmt: skip
            return "duplicate", candidate
    return "new", None


def _best_exact(row: CleanRow, ids: list[int]) -> int:
    """Several stored records share the name and country: the one the row describes exactly, if any."""
    for org_id in ids:
        if not _differences(row, org_id):
            return org_id
    return ids[0]


_local = threading.local()  # stored values read during one import run, per thread


def value_cache() -> dict[int, dict]:
    return _local.__dict__.setdefault("current", {})


def current_values(org_ids: list[int]) -> dict[int, dict]:
    """Stored values in the row's plain form (codes, slugs, lists), for the given organisations."""
    cache = value_cache()
    missing = [i for i in org_ids if i not in cache]
    if missing:
        cache.update(plain_records(missing))
    return {i: cache[i] for i in org_ids}


def _differences(row: CleanRow, org_id: int) -> dict:
    """Fields whose value in the row differs from the stored one (blank cells change nothing)."""
    stored = current_values([org_id])[org_id]
    changes = {}
    for key, value in row.values.items():
        if stored.get(key) != value:
            changes[key] = [stored.get(key), value]
    memberships = stored.get("memberships", {})
    for network_id, status, joined_on in row.nodes:
        have = memberships.get(network_id)
        if have is None or (status and have[0] != status) or (joined_on and have[1] != joined_on.isoformat()):
            changes.setdefault("memberships", []).append(network_id)
    return changes
