"""The first search after a single organisation edit: facet index patched vs rebuilt in full.

    .venv/bin/python bench/facets.py --size 20000 --databases sqlite postgresql

Uses bench/search.py's datasets (built there on first use; the search_changes table is added when
an older dataset lacks it). The edit sets one organisation's founding year, restored at the end. "rebuild" forces the old behaviour (MAX_PATCHED = -1).
"""

import argparse
import statistics
import sys
import time
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


def first_search_after_edit(rounds: int, max_patched: int) -> list[float]:
    params = search.parse_search_params(MultiDict({}))
    search.search_organizations(None, params)  # a warm index
    org = db.session.scalars(select(Organization).where(Organization.archived_at.is_(None)).limit(1)).one()
    original = org.founded
    facets.MAX_PATCHED = max_patched
    times = []
    try:
        for n in range(rounds):
            org.founded = 1900 + n
            db.session.commit()
            started = time.perf_counter()
            result = search.search_organizations(None, params)
            times.append(time.perf_counter() - started)
            assert result.total > 0
    finally:
        facets.MAX_PATCHED = 2_000
        org.founded = original
        db.session.commit()
    return times


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
            params = search.parse_search_params(MultiDict({}))
            search.search_organizations(None, params)
            warm = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                search.search_organizations(None, params)
                warm.append(time.perf_counter() - started)
            print(f"{kind} {args.size:,}: the same search, no edit: median {statistics.median(warm) * 1000:.0f} ms")
            for label, limit in (("rebuild", -1), ("patch", 2_000)):
                times = first_search_after_edit(args.rounds, limit)
                print(
                    f"{kind} {args.size:,}: first search after one edit, {label}: "
                    f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms",
                    flush=True,
                )
            db.session.remove()


if __name__ == "__main__":
    main()
