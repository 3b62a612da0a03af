"""Project and initiative search benchmark: search_projects() / search_initiatives() with their
facet counts, server side, on generated data (not a timed test).

    .venv/bin/python bench/records.py                         # 20k and 100k projects, both databases
    .venv/bin/python bench/records.py --sizes 20000 --databases sqlite --rounds 5

Each dataset has size/4 lead organisations, `size` projects (1–3 themes, 1–3 countries, a status,
English, accented or Chinese titles and a summary) and size/100 initiatives (themes, regions). It is
bulk-inserted (Core), indexed with the search index's own writer, and kept in /tmp/network-bench
between runs (--fresh rebuilds it). Prints p50/p95 per query class in milliseconds, and the first
search after an edit (which rebuilds the in-memory index).
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import search as bench_search  # noqa: E402
from sqlalchemy import create_engine, insert, make_url, select, text  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from network import create_app  # noqa: E402
from network.extensions import db  # noqa: E402
from network.models import Initiative, Organization, Project, Region, Theme  # noqa: E402
from network.models.initiative import initiative_regions, initiative_themes  # noqa: E402
from network.models.project import project_countries, project_themes  # noqa: E402
from network.services.search import parse_record_params, search_initiatives, search_projects  # noqa: E402
from network.services.search.index import bump_generation, reindex  # noqa: E402

WORK = bench_search.WORK
STATUSES = ["active"] * 5 + ["planned", "completed", "completed", "cancelled"]
WORDS = ["solar", "freight", "trucks", "cookstoves", "mangrove", "buses", "schools", "clinics", "wind", "biogas",
         "cycling", "rice", "wetlands", "forests", "heat", "floods", "batteries", "tariffs", "jobs", "women"]  # fmt: skip
PLACES = ["Nairobi", "Dhaka", "São Paulo", "Bogotá", "Lagos", "Jakarta", "Kathmandu", "Yaoundé", "Lima", "Hanoi"]
CHINESE = ["绿色货运", "低碳交通", "气候适应", "清洁能源", "海洋保护", "生态农业", "城市绿化", "节能建筑"]


def database_url(kind: str, size: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{WORK / f'records-{size}.sqlite3'}"
    return (
        make_url(bench_search.PG_SERVER)
        .set(database=f"network_bench_records_{size}")
        .render_as_string(hide_password=False)
    )


def fresh_database(kind: str, size: int) -> str:
    url = database_url(kind, size)
    if kind == "sqlite":
        WORK.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(WORK / f"records-{size}.sqlite3") + suffix).unlink(missing_ok=True)
        return url
    admin = create_engine(make_url(bench_search.PG_SERVER), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = make_url(url).database
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


def make_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(WORK / "instance"),
                       "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})  # fmt: skip


def build(kind: str, size: int) -> None:
    from flask_migrate import upgrade

    from network.services.reference import load_reference_data

    started = time.perf_counter()
    app = make_app(fresh_database(kind, size))
    rng = random.Random(7)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        upgrade()
        load_reference_data()
        session = db.session
        countries = list(session.execute(select(Region.id).where(Region.level == "country")).scalars())
        regions = list(session.execute(select(Region.id).where(Region.level != "country")).scalars())
        themes = list(session.execute(select(Theme.id)).scalars())
        orgs = [{"id": i, "slug": f"org-{i}", "name": f"Lead {i}", "kind": "ngo", "version": 1, "created_at": now,
                 "updated_at": now} for i in range(1, size // 4 + 2)]  # fmt: skip
        session.execute(insert(Organization.__table__), orgs)
        projects, p_themes, p_countries = [], [], []
        for i in range(1, size + 1):
            title = " ".join(rng.sample(WORDS, 2)).capitalize() + " " + rng.choice(PLACES)
            if rng.random() < 0.15:
                title = rng.choice(CHINESE) + " " + title
            projects.append({
                "id": i, "lead_organization_id": rng.randint(1, size // 4 + 1), "title": title,
                "summary": " ".join(rng.choices(WORDS, k=12)), "status": rng.choice(STATUSES), "version": 1,
                "created_at": now, "updated_at": datetime(2025, rng.randint(1, 12), rng.randint(1, 28), tzinfo=UTC),
                "start_date": date(rng.randint(2015, 2026), 1, 1),
            })  # fmt: skip
            p_themes += [{"project_id": i, "theme_id": t} for t in rng.sample(themes, rng.randint(1, 3))]
            p_countries += [{"project_id": i, "region_id": c} for c in rng.sample(countries[:60], rng.randint(1, 3))]
        initiatives, i_themes, i_regions = [], [], []
        for i in range(1, size // 100 + 1):
            initiatives.append({"id": i, "slug": f"initiative-{i}", "title": f"{rng.choice(WORDS).capitalize()} "
                                f"coalition {i}", "goal": " ".join(rng.choices(WORDS, k=8)),
                                "status": rng.choice(["proposed", "active", "active", "closed"]), "version": 1,
                                "created_at": now, "updated_at": now})  # fmt: skip
            i_themes += [{"initiative_id": i, "theme_id": t} for t in rng.sample(themes, 2)]
            i_regions += [{"initiative_id": i, "region_id": r} for r in rng.sample(countries[:60] + regions, 2)]
        for table, rows in ((Project.__table__, projects), (project_themes, p_themes),
                            (project_countries, p_countries), (Initiative.__table__, initiatives),
                            (initiative_themes, i_themes), (initiative_regions, i_regions)):  # fmt: skip
            for start in range(0, len(rows), 10_000):
                session.execute(insert(table), rows[start : start + 10_000])
        conn = session.connection()
        reindex(conn, "project", [p["id"] for p in projects])
        reindex(conn, "initiative", [i["id"] for i in initiatives])
        bump_generation(conn)
        if kind == "postgresql":
            for table in ("organizations", "projects", "initiatives"):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
                )
            conn.execute(text("ANALYZE"))
        session.commit()
    print(f"  built {kind} with {size:,} projects in {time.perf_counter() - started:.0f} s", flush=True)


def built(kind: str, size: int) -> bool:
    try:
        engine = create_engine(database_url(kind, size))
        with engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM projects")).scalar() == size
    except Exception:
        return False


PROJECT_MIX = (
    [("common word", {"q": w}) for w in ["solar", "freight", "schools", "wind", "jobs", "heat"]]
    + [("chinese word", {"q": w}) for w in ["绿色", "交通", "气候", "能源"]]
    + [("filters only", a) for a in [{"theme": "transport"}, {"region": "142"}, {"country": "KE"},
                                     {"status": "completed"}, {"theme": "water", "region": "002"},
                                     {"status": "active", "theme": "energy-transition", "country": "IN"}]]
    + [("filters with words", a) for a in [{"q": "solar", "region": "142"}, {"q": "buses", "theme": "transport"},
                                           {"q": "rice", "status": "completed", "country": "BD"}]]
    + [("no match", {"q": w}) for w in ["xqzvwk", "qqqqqqq", "pfffrzt"]]
    + [("broadest", a) for a in [{}, {"sort": "updated"}, {"sort": "title", "page": "40"}, {"q": "a"}]]
)  # fmt: skip
INITIATIVE_MIX = [("initiatives", a) for a in [{}, {"q": "solar"}, {"status": "active"}, {"region": "142"},
                                               {"theme": "transport", "q": "coalition"}]]  # fmt: skip


def time_mix(app, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    with app.test_request_context("/projects"):
        for _ in range(rounds):
            for search, mix in ((search_projects, PROJECT_MIX), (search_initiatives, INITIATIVE_MIX)):
                for cls, args in mix:
                    started = time.perf_counter()
                    result = search(None, parse_record_params(MultiDict(args)))
                    assert result.total >= 0
                    times.setdefault(cls, []).append((time.perf_counter() - started) * 1000)
                    db.session.rollback()
        db.session.remove()
    return times


def first_search_after_edit(app, rounds: int = 3) -> list[float]:
    """An edit replaces the records' generation: the next search rebuilds the index."""
    times = []
    with app.test_request_context("/projects"):
        params = parse_record_params(MultiDict({"theme": "transport"}))
        search_projects(None, params)
        project = db.session.scalars(select(Project).where(Project.archived_at.is_(None)).limit(1)).one()
        original = project.title
        for n in range(rounds):
            project.title = f"{original} ({n})"
            db.session.commit()
            started = time.perf_counter()
            search_projects(None, params)
            times.append((time.perf_counter() - started) * 1000)
        project.title = original
        db.session.commit()
        db.session.remove()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    for kind in args.databases:
        for size in args.sizes:
            if args.fresh or not built(kind, size):
                build(kind, size)
            app = make_app(database_url(kind, size))
            time_mix(app, 1)  # warm caches
            times = time_mix(app, args.rounds)
            every = [t for values in times.values() for t in values]
            print(f"\n{kind}, {size:,} projects ({args.rounds} rounds), ms")
            print(f"  {'class':<20} {'p50':>8} {'p95':>8}")
            for cls, values in [*times.items(), ("all", every)]:
                p95 = bench_search.percentile(values, 95)
                print(f"  {cls:<20} {statistics.median(values):8.1f} {p95:8.1f}")
            print(
                f"  first search after an edit (index rebuilt): {statistics.median(first_search_after_edit(app)):.0f} ms"
            )


if __name__ == "__main__":
    main()
