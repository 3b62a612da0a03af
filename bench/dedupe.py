"""Duplicate candidate finding over 20,000 organisations (target: at most 10 s on this machine).

    .venv/bin/python bench/dedupe.py

The real list (19,883 organisations) plus 117 planted duplicates (perturbed copies of real names:
case, accents, legal suffixes, punctuation) makes 20,000 records. Reports the time to block and
score, the pairs found, and how many planted duplicates were found (recall).
"""

import csv
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "data" / "orgs-civil-society-commonweave" / "civil_society_orgs.csv"
SCHEMES = {"IRS_EIN": "US-EIN", "charity_commission_ew": "GB-CHC", "BG_NPO_REGISTER": "BG-NPO"}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from network import create_app
    from network.services.duplicates import DuplicateIndex, OrgFeatures
    from tests.test_duplicates import perturb

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench"})
    with REAL.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rng = random.Random(20_000)
    planted = []
    for i, row in enumerate(rng.sample(rows, 20_000 - len(rows))):
        planted.append((row, {**row, "name": perturb(row["name"], rng), "id": f"planted-{i}",
                              "registration_id": ""}))  # fmt: skip
    with app.test_request_context():
        started = time.perf_counter()
        records = []
        for n, row in enumerate(rows + [copy for _orig, copy in planted]):
            scheme = SCHEMES.get(row["registration_type"])
            identifier = f"{scheme}-{row['registration_id']}" if scheme and row["registration_id"] else None
            records.append(OrgFeatures.build(id=n, name=row["name"], country=row["country_code"] or None,
                                             website=row["website"] or None, identifiers=[identifier] if identifier else []))  # fmt: skip
        built = time.perf_counter()
        index = DuplicateIndex(records)
        pairs = index.pairs()
        done = time.perf_counter()
    id_of = {row["id"]: n for n, row in enumerate(rows + [copy for _orig, copy in planted])}
    found = {(a, b) for _s, a, b, _r in pairs}
    hits = sum(1 for orig, copy in planted if tuple(sorted((id_of[orig["id"]], id_of[copy["id"]]))) in found)
    print(f"{len(records):,} organisations: features {built - started:.2f} s, blocking + scoring "
          f"{done - built:.2f} s (total {done - started:.2f} s); {len(pairs):,} likely pairs; "
          f"planted duplicates found {hits}/{len(planted)}")  # fmt: skip
    print("top pairs:")
    for score, a, b, reasons in pairs[:5]:
        print(f"  {score:.2f} {records[a].name} | {records[b].name} ({'; '.join(reasons)})")


if __name__ == "__main__":
    main()
