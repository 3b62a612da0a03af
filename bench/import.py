"""Import benchmark: rows per second and peak memory, against a bare sqlite3 executemany.

    .venv/bin/python bench/import.py                 # the real list and 200,000 generated rows
    .venv/bin/python bench/import.py --only real     # just the real list (19,883 rows)
    .venv/bin/python bench/import.py --generated 50000
    .venv/bin/python bench/import.py --only again    # the real list into a directory that holds it
    .venv/bin/python bench/import.py --only over     # the real list into 20,000 generated organisations
    .venv/bin/python bench/import.py --only changed  # the real list, every description changed: updates
    .venv/bin/python bench/import.py --only real --profile   # and where the time goes (cProfile)

Each import runs in its own process on a fresh SQLite database (migrated like production), so
the peak RSS reported is that import's own. The real list is mapped to the import columns first
(name, country_code -> country, description, website, framework_area -> themes where one maps,
model_type -> kind, registration id -> identifier); the mapping is not timed.

"again", "over" and "changed" first import a file untimed into the same database (the real list
itself: every row then matches a stored record exactly and is compared with it, and with
"changed" each row's description differs, so every record is updated; or 20,000 generated rows:
every row then goes through duplicate detection against them), then time the real list.
"""

import argparse
import cProfile
import csv
import json
import os
import pstats
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "data" / "orgs-civil-society-commonweave" / "civil_society_orgs.csv"
COLUMNS = ("name", "kind", "country", "themes", "website", "description", "identifier", "network")
THEMES = {"healthcare": "health", "food": "agriculture-food", "education": "education-communication",
          "ecology": "forests-land-use", "energy_digital": "energy-transition", "housing_land": "cities"}  # fmt: skip
KINDS = {"nonprofit": "ngo", "foundation": "foundation", "cooperative": "cooperative", "mutual_aid": "cbo",
         "federation": "network", "labor_union": "trade_union", "research": "think_tank",
         "sweat_equity_program": "other", "education_inst": "academic", "government": "government",
         "collective": "cbo"}  # fmt: skip
SCHEMES = {"IRS_EIN": "US-EIN", "charity_commission_ew": "GB-CHC", "BG_NPO_REGISTER": "BG-NPO"}


def real_rows() -> list[dict]:
    rows = []
    with REAL.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            scheme = SCHEMES.get(r["registration_type"])
            rows.append({
                "name": r["name"].strip(), "kind": KINDS.get(r["model_type"], "other"),
                "country": r["country_code"] or "", "themes": THEMES.get(r["framework_area"], ""),
                "website": r["website"], "description": r["description"],
                "identifier": f"{scheme}-{r['registration_id']}" if scheme and r["registration_id"] else "",
                "network": "bench-node",
            })  # fmt: skip
    return rows


def generated_rows(n: int) -> list[dict]:
    rng = random.Random(6)
    words = ["Green", "Climate", "Earth", "Solar", "River", "Forest", "Ocean", "Youth", "Women", "Action", "Justice",
             "Future", "Energy", "Water", "Urban", "Rural", "Alliance", "Network", "Institute", "Foundation"]  # fmt: skip
    countries = ["KE", "CN", "IN", "BR", "DE", "US", "GB", "ZA", "BD", "FR", "NG", "ID", "MX", "PH", "EG"]
    themes = list(THEMES.values())
    return [
        {"name": f"{rng.choice(words)} {rng.choice(words)} {rng.choice(words)} {i}", "kind": "ngo",
         "country": rng.choice(countries), "themes": ";".join(rng.sample(themes, 2)),
         "website": f"https://org{i}.example.org", "description": "A generated organisation " * 3,
         "identifier": f"XX-GEN-{i}", "network": "bench-node"}
        for i in range(n)
    ]  # fmt: skip


def write_csv(rows: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def run_one(path: Path, folder: Path, before: Path | None = None, profile: bool = False) -> dict:
    """In a child process: migrate a fresh database, import `before` (untimed) then `path`, report
    time and peak RSS; with profile, print where the time went (to stderr)."""
    from flask_migrate import upgrade

    from network import create_app
    from network.extensions import db
    from network.models import Network, User
    from network.services.importing import ImportOptions, record_job, write_import
    from network.services.reference import load_reference_data

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3", "INSTANCE_PATH": str(folder),
                      "SECRET_KEY": "bench", "MAX_CONTENT_LENGTH": 200 * 1024 * 1024})  # fmt: skip
    with app.app_context():
        upgrade()
        load_reference_data()
        admin = User(email="bench@example.org", name="Bench", role="admin")
        db.session.add_all([admin, Network(name="Bench node", slug="bench-node", path="/")])
        db.session.commit()
        node = db.session.query(Network).one()
        node.path = f"/{node.id}/"
        db.session.commit()
        if before is not None:
            write_import(admin, before, before.name, ImportOptions(write=True, skip_invalid=True))
            db.session.commit()
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu_started = time.perf_counter(), time.process_time()
        result = write_import(admin, path, path.name, ImportOptions(write=True, skip_invalid=True))
        record_job(admin, path.name, result, None, path)
        db.session.commit()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        if profiler:
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    return {"rows": result.total, "seconds": seconds, "cpu_seconds": cpu, "counts": result.counts, "rss_mb_before": rss_before,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip


def bare_sqlite(rows: list[dict], folder: Path) -> float:
    """The floor: the same rows into one plain table with executemany, no checks at all."""
    conn = sqlite3.connect(folder / "bare.sqlite3")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE orgs (id INTEGER PRIMARY KEY, name TEXT, kind TEXT, country TEXT, themes TEXT, "
                 "website TEXT, description TEXT, identifier TEXT, network TEXT)")  # fmt: skip
    started = time.perf_counter()
    with path_rows(rows) as values:
        conn.executemany("INSERT INTO orgs (name, kind, country, themes, website, description, identifier, network) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)  # fmt: skip
    conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


class path_rows:
    def __init__(self, rows):
        self.rows = rows

    def __enter__(self):
        return ([r[c] for c in COLUMNS] for r in self.rows)

    def __exit__(self, *exc):
        return False


def scenario(label: str, rows: list[dict], before: list[dict] | None = None, profile: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / f"{label}.csv"
        write_csv(rows, path)
        command = [sys.executable, __file__, "--child", str(path)]
        if before is not None:
            write_csv(before, folder / "before.csv")
            command += ["--before", str(folder / "before.csv")]
        if profile:
            command.append("--profile")
        child = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        if child.returncode != 0:
            print(child.stderr[-3000:])
            raise SystemExit(f"{label}: import failed")
        if profile:
            print(child.stderr[child.stderr.find("   Ordered by") :])
        stats = json.loads(child.stdout.strip().splitlines()[-1])
        bare = bare_sqlite(rows, folder)
    rate = stats["rows"] / stats["seconds"]
    print(f"{label}: {stats['rows']:,} rows in {stats['seconds']:.1f} s = {rate:,.0f} rows/s "
          f"(CPU {stats['cpu_seconds']:.1f} s; the machine's load average is {os.getloadavg()[0]:.1f}); "
          f"peak RSS {stats['peak_rss_mb']:.0f} MB (app ready: {stats['rss_mb_before']:.0f} MB); "
          f"bare sqlite3 executemany of the same rows {bare:.2f} s (import takes {stats['seconds'] / bare:.0f}x as long)")  # fmt: skip
    print(f"   outcome: {stats['counts']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--before")
    parser.add_argument("--only", choices=["real", "generated", "again", "over", "changed"])
    parser.add_argument("--generated", type=int, default=200_000)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    args = parser.parse_args()
    if args.child:
        path = Path(args.child)
        before = Path(args.before) if args.before else None
        print(json.dumps(run_one(path, path.parent, before, args.profile)))
        return
    if args.only in (None, "real"):
        scenario("real", real_rows(), profile=args.profile)
    if args.only in (None, "generated"):
        scenario("generated", generated_rows(args.generated), profile=args.profile)
    if args.only == "again":
        scenario("real again", real_rows(), before=real_rows(), profile=args.profile)
    if args.only == "changed":
        changed = [dict(row, description=f"{row['description']} (2026)".strip()) for row in real_rows()]
        scenario("real changed", changed, before=real_rows(), profile=args.profile)
    if args.only == "over":
        scenario("real over 20,000", real_rows(), before=generated_rows(20_000), profile=args.profile)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
