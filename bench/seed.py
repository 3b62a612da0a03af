"""seed-demo benchmark: seconds to build the demo network, on SQLite and PostgreSQL.

    .venv/bin/python bench/seed.py                          # 2,000, 19,000 and 200,000 organisations
    .venv/bin/python bench/seed.py --sizes 2000 19000       # some sizes
    .venv/bin/python bench/seed.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/seed.py --no-postgres

Each run gets a fresh database, migrated like production with the reference data loaded (not timed),
then runs `flask seed-demo --orgs N` through the CLI. "total" is the whole command (generation, bulk
inserts, search index rebuild, the one commit, the logins file); "index" is the search index rebuild
inside it; "cpu" is this process's CPU time (the database server's not counted), which does not
grow when other jobs share the machine. PostgreSQL runs when a server answers (a database is
created for each run and dropped).
"""

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from network import create_app
from network.demo import commands as demo
from network.extensions import db

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def run(url: str, orgs: int, instance: Path) -> tuple[float, float, float]:
    from flask_migrate import upgrade

    from network.services.reference import load_reference_data

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"})
    timings = {"index": 0.0}
    rebuild = demo.rebuild_search_index

    def timed_rebuild() -> None:
        start = time.perf_counter()
        rebuild()
        timings["index"] = time.perf_counter() - start

    demo.rebuild_search_index = timed_rebuild
    try:
        with app.app_context():
            upgrade()
            load_reference_data()
            db.session.commit()
            start, cpu = time.perf_counter(), time.process_time()
            result = app.test_cli_runner().invoke(args=["seed-demo", "--orgs", str(orgs), "--seed", "1"])
            total, cpu = time.perf_counter() - start, time.process_time() - cpu
            if result.exit_code != 0:
                raise SystemExit(result.output + repr(result.exception))
            db.session.remove()
            db.engine.dispose()
    finally:
        demo.rebuild_search_index = rebuild
    return total, timings["index"], cpu


def postgres_server(url: str):
    try:
        engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
        with engine.connect():
            return engine
    except Exception:  # no server: PostgreSQL runs are skipped
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 19000, 200000])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="a server URL whose user may create databases")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    server = None if args.no_postgres else postgres_server(args.postgres)
    print(f"{'database':<10} {'orgs':>8} {'total s':>9} {'index s':>9} {'cpu s':>7} {'orgs/s':>8}")
    for orgs in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            total, index, cpu = run(f"sqlite:///{folder}/bench.sqlite3", orgs, Path(folder))
            print(
                f"{'sqlite':<10} {orgs:>8,} {total:>9.1f} {index:>9.1f} {cpu:>7.1f} {orgs / total:>8,.0f}", flush=True
            )
        if server is None:
            continue
        name = f"bench_seed_{uuid.uuid4().hex[:8]}"
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = server.url.set(database=name).render_as_string(hide_password=False)
            with tempfile.TemporaryDirectory() as folder:
                total, index, cpu = run(url, orgs, Path(folder))
            print(
                f"{'postgresql':<10} {orgs:>8,} {total:>9.1f} {index:>9.1f} {cpu:>7.1f} {orgs / total:>8,.0f}",
                flush=True,
            )
        finally:
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if server is None and not args.no_postgres:
        print(f"(no PostgreSQL server answered at {args.postgres}: PostgreSQL runs skipped)")


if __name__ == "__main__":
    main()
