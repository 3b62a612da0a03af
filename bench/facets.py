"""The first search after one write: facet index patched vs rebuilt in full.

    .venv/bin/python bench/facets.py --size 20000 --databases sqlite postgresql

Uses bench/search.py's datasets (built there on first use; the search_changes table is added when
an older dataset lacks it). Each round makes one write, commits and times the next search:
  edit     one organisation's founding year
  archive  one organisation archived
  restore  it restored (its slot in the index is still there)
  merge    one organisation marked merged into another, which takes its themes (what the index
           sees of a merge; memberships are left where they are)
  restore of an older archive  archived before the index was built (no slot: it gets a new one)
Every write is undone at the end. "rebuild" forces a full rebuild (MAX_PATCHED = -1). Copy this
file into a checkout of an older commit to measure that commit's patching.
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import search as bench_search  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from network.extensions import db  # noqa: E402
from network.models import Organization  # noqa: E402
from network.services import search  # noqa: E402
from network.services.search import facets  # noqa: E402

CHANGES_TABLE = [
    "CREATE TABLE IF NOT EXISTS search_changes (generation BIGINT NOT NULL, organization_id INTEGER)",
    "CREATE INDEX IF NOT EXISTS search_changes_generation ON search_changes (generation)",
]
PARAMS = search.parse_search_params(MultiDict({}))


def first_searches(rounds: int, max_patched: int, write) -> list[float]:
    """Seconds taken by the first search after each of `rounds` writes (write(n) makes the nth)."""
    search.search_organizations(None, PARAMS)  # a warm index
    facets.MAX_PATCHED = max_patched
    times = []
    try:
        for n in range(rounds):
            write(n)
            db.session.commit()
            started = time.perf_counter()
            result = search.search_organizations(None, PARAMS)
            times.append(time.perf_counter() - started)
            assert result.total > 0
    finally:
        facets.MAX_PATCHED = 2_000
    return times


def measure(rounds: int, max_patched: int, orgs: list[Organization]) -> dict[str, list[float]]:
    """Times per kind of write, on organisations from the middle of the id range (so that an index
    laying out positions by id would shift half of them)."""
    edited, archived, survivors, duplicates, older = (orgs[i * rounds : (i + 1) * rounds] for i in range(5))
    founded = edited[0].founded
    themes = [list(o.themes) for o in survivors]
    found = {}

    def edit(n):
        edited[0].founded = 1900 + n

    def archive(n):
        archived[n].archived_at = datetime.now(UTC)

    def restore(n):
        archived[n].archived_at = None

    def merge(n):
        duplicates[n].merged_into_id = survivors[n].id
        survivors[n].themes = list({*survivors[n].themes, *duplicates[n].themes})

    def restore_older(n):
        older[n].archived_at = None

    try:
        found["edit"] = first_searches(rounds, max_patched, edit)
        found["archive"] = first_searches(rounds, max_patched, archive)
        found["restore"] = first_searches(rounds, max_patched, restore)
        found["merge"] = first_searches(rounds, max_patched, merge)
        for org in older:
            org.archived_at = datetime.now(UTC)
        db.session.commit()
        facets._cache.clear()  # the next index is built with these already archived
        found["restore of an older archive"] = first_searches(rounds, max_patched, restore_older)
    finally:
        db.session.rollback()
        edited[0].founded = founded
        for org in archived + older:
            org.archived_at = None
        for org, original in zip(survivors, themes, strict=True):
            org.themes = original
        for org in duplicates:
            org.merged_into_id = None
        db.session.commit()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for kind in args.databases:
        app, url = bench_search.prepare(kind, args.size, fresh=False)
        with app.app_context():
            for statement in CHANGES_TABLE:
                db.session.execute(text(statement))
            db.session.commit()
            search.search_organizations(None, PARAMS)
            warm = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                search.search_organizations(None, PARAMS)
                warm.append(time.perf_counter() - started)
            print(f"{kind} {args.size:,}: the same search, no write: median {statistics.median(warm) * 1000:.0f} ms")
            live = Organization.archived_at.is_(None) & Organization.merged_into_id.is_(None)
            orgs = db.session.scalars(
                select(Organization).where(live).order_by(Organization.id).offset(args.size // 2).limit(5 * args.rounds)
            ).all()
            for label, limit in (("rebuild", -1), ("patch", 2_000)):
                for write, times in measure(args.rounds, limit, orgs).items():
                    print(
                        f"{kind} {args.size:,}: first search after {write}, {label}: "
                        f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms",
                        flush=True,
                    )
            db.session.remove()


if __name__ == "__main__":
    main()
