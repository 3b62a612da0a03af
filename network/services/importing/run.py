"""The import run: one pass that streams the file in batches, checks each row, matches it with what
is stored and, when asked, writes it. Everything happens in the caller's transaction: a failure
anywhere leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from network import permissions
from network.errors import PermissionDenied, ValidationError
from network.models import Network
from network.services import operation
from network.services.importing.matching import (
    Existing,
    ImportResult,
    check_in_file,
    classify,
    manageable_organizations,
    membership_writes,
    value_cache,
)
from network.services.importing.reading import open_table, too_many_rows
from network.services.importing.rows import CleanRow, Issue, References, clean_row
from network.services.importing.writing import BatchWriter

BATCH_SIZE = 2000


@dataclass
class ImportOptions:
    node: Network | None = None
    write: bool = False
    skip_invalid: bool = False
    decisions: dict[str, str] = field(default_factory=dict)  # row number (str) -> create / update / skip
    default_decision: str = "create"  # for possible duplicates without a decision
    progress: Callable[[int, int], None] | None = None
    max_rows: int | None = None  # more rows than this: the file is refused (uploads; the CLI has no limit)


def run_import(actor, path: Path, filename: str, options: ImportOptions) -> ImportResult:
    """Read, check and (when options.write) save; the caller commits or rolls back."""
    if not permissions.can(actor, "organization.import", options.node):
        raise PermissionDenied(_("You do not have permission to import into this node."))
    table = open_table(path, filename)
    value_cache().clear()  # never compare with values read before this run
    refs = References(actor, options.node)
    existing = Existing(manageable_organizations(actor))
    result = ImportResult(total=table.count, ignored_columns=table.ignored, encoding=table.encoding)
    writer = BatchWriter(actor, existing, result) if options.write else None
    seen_keys: dict[tuple, tuple[int, tuple]] = {}
    seen_identifiers: dict[str, int] = {}
    batch: list[tuple[str, CleanRow, int | None]] = []
    chunk: list[tuple[int, list[str], CleanRow | None, list[Issue]]] = []
    processed = 0

    def decide(number: int, record: list[str], row: CleanRow | None, issues: list[Issue]) -> None:
        if issues:
            result.reject(number, record, issues, options.skip_invalid)
            return
        outcome, target = classify(row, existing, result)
        counted = outcome
        if outcome == "duplicate":
            decision = options.decisions.get(str(number), options.default_decision)
            if decision == "skip":
                result.counts["duplicate"] += 1
                result.counts["skipped"] += 1
                return
            if decision == "update":
                outcome = "update-duplicate"
            else:
                outcome, target = "new", None
        if (
            outcome in ("updated", "update-duplicate")
            and existing.manageable is not None
            and (target not in existing.manageable)
        ):
            issue = Issue(number, "name", _("This matches %(name)s, which you may not update (it is not in your "
                                            "nodes).", name=row.values["name"]))  # fmt: skip
            result.reject(number, record, [issue], options.skip_invalid)
            return
        refused = [n for n in membership_writes(row, target) if n not in refs.allowed_nodes]
        if refused:
            issue = Issue(number, "network", _("You cannot import into %(node)s.",
                                               node=", ".join(refs.node_names[n] for n in refused)))  # fmt: skip
            result.reject(number, record, [issue], options.skip_invalid)
            return
        result.counts[counted] += 1
        if outcome != "unchanged":
            batch.append((outcome, row, target))

    def flush_chunk():
        # The stored values of every record the chunk's rows match exactly, in a few queries for the
        # whole chunk (not five per row); then each row in file order, and the chunk's writes.
        existing.prefetch([row for _n, _r, row, issues in chunk if not issues])
        for entry in chunk:
            decide(*entry)
        chunk.clear()
        if writer and batch:
            writer.write(batch)
        batch.clear()

    for number, record in table.rows():
        processed += 1
        if options.max_rows is not None and processed > options.max_rows:
            raise too_many_rows(options.max_rows)
        row, issues = clean_row(number, record, table.columns, refs)
        if row is not None:
            issues = check_in_file(row, seen_keys, seen_identifiers, result)
        chunk.append((number, record, row, issues))
        if len(chunk) >= BATCH_SIZE:
            flush_chunk()
        if options.progress and processed % 500 == 0:
            options.progress(processed, table.count)
    flush_chunk()
    if options.progress:
        options.progress(processed, table.count)
    result.total = processed
    if writer:
        if result.counts["invalid"] and not options.skip_invalid:
            raise ValidationError({"file": [_("The file has %(n)d invalid rows; nothing was imported.",
                                              n=result.counts["invalid"])]})  # fmt: skip
        writer.finish()
    return result


@operation
def write_import(actor, path: Path, filename: str, options: ImportOptions) -> ImportResult:
    """Import in one savepoint (everything or nothing); the caller commits."""
    return run_import(actor, path, filename, options)
