"""Directory search benchmark: our service and HTTP page against Datasette on the same data.

    .venv/bin/python bench/search.py                      # 20k and 200k, SQLite and PostgreSQL
    .venv/bin/python bench/search.py --sizes 20000 --databases sqlite --rounds 3

Datasets: the real list of 19,883 civil-society organisations (../shared/data/orgs-civil-society-
commonweave, read in place) plus generated organisations (English, Chinese with pinyin-free local
names, accented Latin names, companies), with countries of operation, themes, memberships of a
node tree and projects. They are bulk-inserted (Core) and indexed with rebuild_index(), and kept
in /tmp/network-bench between runs (--fresh rebuilds them).

A fixed mix of 60 queries in 7 classes runs through search_organizations() (server side, in
process) and through HTTP (gunicorn, the full HTML page), then the same searches and facets run
against Datasette serving the same SQLite file (a denormalised copy of the facet columns, its
full-text search pointed at our FTS5 table). Prints p50/p95 per class and our time / Datasette's.
"""

import argparse
import csv
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, make_url, text  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from bench.serving import free_port, gunicorn, stop, wait_for  # noqa: E402
from network import create_app  # noqa: E402
from network.extensions import db  # noqa: E402
from network.models import Membership, Network, Organization, Project  # noqa: E402
from network.models.organization import organization_countries, organization_themes  # noqa: E402

REAL_LIST = ROOT.parent / "shared" / "data" / "orgs-civil-society-commonweave" / "civil_society_orgs.csv"
WORK = Path(os.environ.get("BENCH_WORK", "/tmp/network-bench"))  # noqa: S108  (scratch data, rebuilt at will)
PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

THEMES = ["energy-transition", "transport", "adaptation", "climate-finance", "just-transition", "forests-land-use",
          "oceans", "cities", "agriculture-food", "gender", "youth", "education-communication",
          "technology-cooperation", "health", "water"]  # fmt: skip
AREA_THEMES = {"healthcare": "health", "food": "agriculture-food", "education": "education-communication",
               "ecology": "forests-land-use", "housing_land": "cities", "energy_digital": "energy-transition",
               "democracy": "just-transition", "cooperatives": "just-transition", "conflict": "adaptation"}  # fmt: skip
MODEL_KINDS = {"nonprofit": "ngo", "foundation": "foundation", "cooperative": "cooperative", "mutual_aid": "cbo",
               "federation": "network", "labor_union": "trade_union", "research": "think_tank",
               "education_inst": "academic", "government": "government", "collective": "cbo"}  # fmt: skip
KINDS = ["ngo"] * 8 + ["cbo"] * 3 + ["think_tank", "network", "academic", "foundation", "youth", "women",
         "company", "company", "company", "cooperative", "faith", "indigenous"]  # fmt: skip
COUNTRIES = ["US", "GB", "DE", "FR", "IN", "CN", "KE", "NG", "BR", "MX", "ID", "PH", "BD", "ZA", "EG", "AU", "CA",
             "JP", "PK", "VN", "TH", "CO", "PE", "AR", "ES", "IT", "SE", "NP", "LK", "GH", "UG", "TZ", "ET", "SN"]  # fmt: skip
PREFIXES = ["Green", "Climate", "Community", "Youth", "Women's", "Rural", "Urban", "Coastal", "Sustainable", "Clean",
            "People's", "Global", "National", "Regional", "Indigenous", "Solar", "Just", "Resilient", "Open", "Fair"]  # fmt: skip
TOPICS = ["Energy", "Water", "Forest", "Transport", "Health", "Education", "Climate", "Food", "Oceans", "Cities",
          "Finance", "Justice", "Development", "Environment", "Agriculture", "Mobility", "Housing", "Rights"]  # fmt: skip
SUFFIXES = ["Alliance", "Network", "Foundation", "Association", "Institute", "Trust", "Coalition", "Centre",
            "Initiative", "Cooperative", "Forum", "Society", "Action", "Council", "Collective"]  # fmt: skip
ACCENTED = ["Fundação", "Asociación", "Société", "Fundación", "Associação", "Réseau", "Coopérative", "Instituto"]
PLACES = ["São Paulo", "Bogotá", "Yaoundé", "Zürich", "Córdoba", "Québec", "Brasília", "Medellín", "Nairobi",
          "Dhaka", "Kathmandu", "Jakarta", "Lagos", "Accra", "Lima", "Quito", "Manila", "Hanoi"]  # fmt: skip
CN_WORDS = [
    "绿色",
    "气候",
    "环境",
    "能源",
    "交通",
    "发展",
    "保护",
    "生态",
    "社区",
    "青年",
    "低碳",
    "自然",
    "海洋",
    "城市",
]
CN_SUFFIXES = ["协会", "基金会", "研究院", "中心", "联盟", "促进会", "研究所", "合作社"]
COMPANY_WORDS = ["Logistics", "Motors", "Power", "Solar", "Steel", "Cement", "Freight", "Energy", "Grid", "Mobility"]


def rare_words(rng: random.Random, n: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ra", "tu", "ven", "dor", "sil", "bra", "quen", "zo", "phi", "xan", "mur", "tel"]
    return sorted({"".join(rng.choice(syllables) for _ in range(3)) for _ in range(n)})


# --- building the datasets ------------------------------------------------------------------


def generated_organization(rng: random.Random, i: int, rare: list[str]) -> dict:
    kind = rng.choice(KINDS)
    country = rng.choice(COUNTRIES)
    name_local = None
    if kind == "company":
        name = f"{rng.choice(PREFIXES)} {rng.choice(COMPANY_WORDS)} {rng.choice(['Ltd', 'Group', 'Inc', 'SA', 'AG'])}"
    elif country == "CN" or rng.random() < 0.04:
        name_local = rng.choice(CN_WORDS) + rng.choice(CN_WORDS) + rng.choice(CN_SUFFIXES)
        name = f"{rng.choice(TOPICS)} {rng.choice(SUFFIXES)} of China"
    elif rng.random() < 0.12:
        name = f"{rng.choice(ACCENTED)} {rng.choice(TOPICS)} {rng.choice(PLACES)}"
    else:
        name = f"{rng.choice(PREFIXES)} {rng.choice(TOPICS)} {rng.choice(SUFFIXES)}"
        if rng.random() < 0.5:
            name += f" {rng.choice(PLACES)}"
    description = (
        f"Works on {rng.choice(TOPICS).lower()} and {rng.choice(TOPICS).lower()} with "
        f"{rng.choice(['communities', 'cities', 'farmers', 'youth', 'women', 'workers'])}; "
        f"known for the {rng.choice(rare)} programme."
    )
    return {
        "name": f"{name} {i}",
        "name_local": name_local,
        "acronym": "".join(w[0] for w in name.split()[:4]).upper() if rng.random() < 0.3 else None,
        "kind": kind,
        "country": country,
        "description": description,
        "founded": rng.choice([None, None] + list(range(1950, 2025))),
        "themes": rng.sample(THEMES, rng.randint(0, 3)),
    }


def real_organizations() -> list[dict]:
    rows = []
    with REAL_LIST.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            area = AREA_THEMES.get(row["framework_area"].strip())
            rows.append({
                "name": row["name"].strip()[:290] or f"Organisation {row['id']}",
                "name_local": None,
                "acronym": None,
                "kind": MODEL_KINDS.get(row["model_type"], "other"),
                "country": row["country_code"].strip().upper(),
                "description": row["description"].strip() or None,
                "website": row["website"].strip()[:290] or None,
                "founded": None,
                "themes": [area] if area else [],
            })  # fmt: skip
    return rows


def build_dataset(size: int, seed: int = 42) -> None:
    """Fill the (migrated, empty) database of the current app with `size` organisations."""
    from network.services.reference import load_reference_data
    from network.services.search import rebuild_index

    rng = random.Random(seed)
    session = db.session
    session.info["search_index"] = False  # bulk load; rebuild_index() afterwards
    load_reference_data()
    regions = dict(session.execute(text("SELECT code, id FROM regions WHERE level = 'country'")).all())
    themes = dict(session.execute(text("SELECT slug, id FROM themes")).all())
    # A node tree: the network, 6 regional nodes, 4 national nodes under each.
    nodes = []
    root = Network(name="Climate Action Network", slug="can", path="/", version=1)
    session.add(root)
    session.flush()
    root.path = f"/{root.id}/"
    nodes.append(root)
    for r, region in enumerate(["Africa", "Asia", "Europe", "Latin America", "North America", "Pacific"]):
        regional = Network(name=f"CAN {region}", slug=f"can-{r}", parent=root, path="/", version=1)
        session.add(regional)
        session.flush()
        regional.path = f"{root.path}{regional.id}/"
        nodes.append(regional)
        for c in range(4):
            national = Network(name=f"CAN {region} {c}", slug=f"can-{r}-{c}", parent=regional, path="/", version=1)
            session.add(national)
            session.flush()
            national.path = f"{regional.path}{national.id}/"
            nodes.append(national)
    session.flush()

    rare = rare_words(rng, 3000)
    real = real_organizations() if size >= 20_000 else []
    organizations = real[:size] + [generated_organization(rng, i, rare) for i in range(max(0, size - len(real)))]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for start in range(0, len(organizations), 5000):
        batch = organizations[start : start + 5000]
        first_id = (session.execute(text("SELECT COALESCE(MAX(id), 0) FROM organizations")).scalar() or 0) + 1
        org_rows, country_rows, theme_rows, member_rows, project_rows = [], [], [], [], []
        for offset, o in enumerate(batch):
            org_id = first_id + offset
            org_rows.append({
                "id": org_id, "slug": f"org-{org_id}", "name": o["name"], "name_local": o["name_local"],
                "acronym": o["acronym"], "kind": o["kind"], "hq_country_id": regions.get(o["country"]),
                "description": o["description"], "website": o.get("website"), "founded": o["founded"],
                "version": 1, "created_at": now,
                "updated_at": datetime(2025, rng.randint(1, 12), rng.randint(1, 28), 12, tzinfo=UTC),
            })  # fmt: skip
            for code in {rng.choice(COUNTRIES) for _ in range(rng.randint(0, 3))}:
                country_rows.append({"organization_id": org_id, "region_id": regions[code]})
            for slug in o["themes"]:
                theme_rows.append({"organization_id": org_id, "theme_id": themes[slug]})
            if rng.random() < 0.35:
                node = rng.choice(nodes)
                member_rows.append({
                    "organization_id": org_id, "network_id": node.id, "version": 1, "created_at": now,
                    "updated_at": now, "status": rng.choice(["active"] * 6 + ["applicant", "lapsed", "suspended"]),
                })  # fmt: skip
            if rng.random() < 0.2:
                project_rows.append({
                    "lead_organization_id": org_id, "version": 1, "created_at": now, "updated_at": now,
                    "title": f"{rng.choice(PREFIXES)} {rng.choice(TOPICS).lower()} project {rng.choice(rare)}",
                    "status": "active",
                })  # fmt: skip
        for model, rows in ((Organization, org_rows), (organization_countries, country_rows),
                            (organization_themes, theme_rows), (Membership, member_rows), (Project, project_rows)):  # fmt: skip
            if rows:
                session.execute(insert(getattr(model, "__table__", model)), rows)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("organizations", "projects", "memberships", "networks"):
            session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            )
    started = time.perf_counter()
    rebuild_index()
    session.commit()
    print(f"  indexed {size:,} organisations in {time.perf_counter() - started:.0f} s", flush=True)


def database_url(kind: str, size: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{WORK / f'sqlite-{size}.sqlite3'}"
    return make_url(PG_SERVER).set(database=f"network_bench_{size}").render_as_string(hide_password=False)


def prepare(kind: str, size: int, fresh: bool):
    """The app on a database holding the dataset (built once, reused by later runs)."""
    from flask_migrate import upgrade

    url = database_url(kind, size)
    exists = False
    if kind == "sqlite":
        path = WORK / f"sqlite-{size}.sqlite3"
        if fresh and path.exists():
            path.unlink()
        exists = path.exists()
    else:
        admin = create_engine(make_url(PG_SERVER), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = make_url(url).database
            exists = bool(conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar())
            if fresh and exists:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                exists = False
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(WORK / "instance"), "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost"})  # fmt: skip
    with app.app_context():
        count = 0
        if exists:
            try:
                count = db.session.execute(text("SELECT COUNT(*) FROM organizations")).scalar()
            except Exception:
                db.session.rollback()
        if count != size:
            print(f"building {kind} {size:,} …", flush=True)
            upgrade()
            build_dataset(size)
        db.session.remove()
    return app, url


# --- the query mix --------------------------------------------------------------------------


def query_mix(app) -> list[tuple[str, dict]]:
    """60 searches in 7 classes; rare words are picked from the data (in 1–5 names)."""
    from network.services.search.facets import current_index

    with app.app_context():
        index = current_index(db.session.connection())
        counts: dict[str, int] = {}
        for name in index.folded_names:
            for word in set(name.split()):
                if word.isalpha() and len(word) >= 6:
                    counts[word] = counts.get(word, 0) + 1
        rare = sorted(w for w, c in counts.items() if 1 <= c <= 5)
        db.session.remove()
    rng = random.Random(3)
    mix = [("common word", {"q": w}) for w in ["climate", "health", "education", "community", "energy", "water",
                                               "youth", "foundation", "association", "development"]]  # fmt: skip
    mix += [("rare word", {"q": w}) for w in rng.sample(rare, min(10, len(rare)))]
    mix += [("chinese word", {"q": w}) for w in ["绿色", "交通", "气候", "环境", "能源", "保护", "低碳", "海洋"]]
    mix += [("filters only", a) for a in [
        {"region": "142"}, {"country": "US"}, {"theme": "health"}, {"kind": "company"},
        {"region": "002", "theme": "water"}, {"network": "can-1"}, {"kind": "ngo", "status": "active"},
        {"founded_from": "1990", "founded_to": "1999"}, {"region": "150", "kind": "foundation"},
        {"country": "GB", "theme": "agriculture-food"},
    ]]  # fmt: skip
    mix += [("filters with words", a) for a in [
        {"q": "climate", "region": "142"}, {"q": "energy", "country": "US"}, {"q": "health", "theme": "health"},
        {"q": "cooperative", "kind": "cooperative"}, {"q": "women", "region": "002"},
        {"q": "education", "network": "can"}, {"q": "foundation", "country": "GB", "kind": "foundation"},
        {"q": "water", "theme": "water", "region": "019"},
    ]]  # fmt: skip
    mix += [("no match", {"q": w}) for w in ["xqzvwk", "zzyzxqq kkkq", "qqqqqqq", "vvbnmx", "pfffrzt", "jjjqqq"]]
    mix += [("broadest", a) for a in [{}, {"q": "the"}, {"q": "of"}, {"sort": "updated"}, {"q": "a"},
                                      {"sort": "name", "page": "50"}, {"q": "in"}, {"q": "and"}]]  # fmt: skip
    return mix


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]


def time_service(app, mix, rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall-clock and CPU milliseconds per query class (CPU shows the cost when cores are shared)."""
    from network.services.search import parse_search_params, search_organizations

    times: dict[str, list[float]] = {}
    cpu_times: dict[str, list[float]] = {}
    with app.test_request_context("/organizations"):
        search_organizations(None, parse_search_params(MultiDict()))  # builds the facet index
        for _ in range(rounds):
            for cls, args in mix:
                started, cpu = time.perf_counter(), time.process_time()
                result = search_organizations(None, parse_search_params(MultiDict(args)))
                _ = [o.hq_country for o in result.items]
                times.setdefault(cls, []).append((time.perf_counter() - started) * 1000)
                cpu_times.setdefault(cls, []).append((time.process_time() - cpu) * 1000)
                db.session.rollback()
        db.session.remove()
    return times, cpu_times


def time_http(port: int, paths: list[tuple[str, str]], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for path in dict.fromkeys(p for _c, p in paths):  # warm up every query once
        conn.request("GET", path)
        conn.getresponse().read()
    for _ in range(rounds):
        for cls, path in paths:
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")
            times.setdefault(cls, []).append((time.perf_counter() - started) * 1000)
    return times


def serve_app(url: str) -> tuple[subprocess.Popen, int]:
    env = dict(os.environ, NETWORK_DATABASE_URL=url, NETWORK_INSTANCE_PATH=str(WORK / "instance"),
               NETWORK_SECRET_KEY="bench",  # noqa: S106
               NETWORK_RATELIMIT_ENABLED="false")  # fmt: skip
    return gunicorn("network:create_app()", env, "/organizations", options=("--timeout", "600"),
                    stdout=None, stderr=None)  # fmt: skip


# --- Datasette ------------------------------------------------------------------------------


def prepare_datasette_table(url: str) -> None:
    """A denormalised copy of the facet columns (Datasette facets columns and JSON arrays only)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS search_bench_directory"))
        conn.execute(text("""
            CREATE TABLE search_bench_directory AS
            SELECT o.id, o.name, o.acronym, o.kind, c.code AS country,
                   substr(c.path, 6, 3) AS region, substr(c.path, 10, 3) AS subregion,
                   o.founded, (o.founded / 10) * 10 AS founded_decade,
                   (SELECT json_group_array(t.slug) FROM organization_themes ot JOIN themes t ON t.id = ot.theme_id
                     WHERE ot.organization_id = o.id) AS themes,
                   (SELECT json_group_array(n.slug) FROM memberships m JOIN networks n ON n.id = m.network_id
                     WHERE m.organization_id = o.id) AS networks,
                   (SELECT json_group_array(m.status) FROM memberships m WHERE m.organization_id = o.id) AS statuses
            FROM organizations o LEFT JOIN regions c ON c.id = o.hq_country_id
            WHERE o.archived_at IS NULL AND o.merged_into_id IS NULL
        """))  # fmt: skip
        for column in ("kind", "country", "region", "subregion", "founded_decade"):
            conn.execute(text(f"CREATE INDEX search_bench_directory_{column} ON search_bench_directory ({column})"))
    engine.dispose()


def datasette_path(args: dict) -> str:
    """The Datasette equivalent of a directory search: FTS (our FTS5 table) and the same facets."""
    from network.services.search.index import SQLiteBackend
    from network.services.search.text import query_tokens

    query: list[tuple[str, str]] = [("_size", "25")]
    for facet in ("region", "subregion", "country", "kind", "founded_decade"):
        query.append(("_facet", facet))
    for facet in ("themes", "networks", "statuses"):
        query.append(("_facet_array", facet))
    if args.get("q"):
        tokens = query_tokens(args["q"])
        query += [("_search", SQLiteBackend.expression(tokens)), ("_searchmode", "raw")]
    if "region" in args:
        query.append(("region", args["region"]) if args["region"] in ("142", "002", "150", "019", "009")
                     else ("subregion", args["region"]))  # fmt: skip
    for name, column in (("country", "country"), ("kind", "kind")):
        if name in args:
            query.append((column, args[name]))
    for name, column in (("theme", "themes"), ("network", "networks"), ("status", "statuses")):
        if name in args:
            query.append((f"{column}__arraycontains", args[name]))
    if "founded_from" in args:
        query += [("founded__gte", args["founded_from"]), ("founded__lte", args["founded_to"])]
    if args.get("sort") == "name":
        query.append(("_sort", "name"))
    return "/bench/search_bench_directory.json?" + urlencode(query)


def serve_datasette(path: Path, work: Path = WORK) -> tuple[subprocess.Popen, int]:
    """Datasette serving the SQLite file `path` as database "bench" (links and metadata in `work`)."""
    port = free_port()
    metadata = work / "datasette-metadata.json"
    metadata.write_text(json.dumps({"databases": {"bench": {"tables": {"search_bench_directory": {
        "fts_table": "search_organization_fts", "fts_pk": "id"}}}}}))  # fmt: skip
    link = work / "bench.db"
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(path)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "datasette"), "serve", str(link), "-p", str(port), "-h", "127.0.0.1", "-m", str(metadata),
         "--setting", "sql_time_limit_ms", "60000", "--setting", "facet_time_limit_ms", "60000",
         "--setting", "default_facet_size", "30"],
        cwd=work, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    if not wait_for(port, "/bench/search_bench_directory.json?_size=1", timeout=120):
        stop(process)
        raise RuntimeError("Datasette did not start")
    return process, port


# --- the report -----------------------------------------------------------------------------


def summary(times: dict[str, list[float]]) -> dict[str, tuple[float, float]]:
    every = [t for ts in times.values() for t in ts]
    out = {cls: (statistics.median(ts), percentile(ts, 95)) for cls, ts in times.items()}
    out["ALL"] = (statistics.median(every), percentile(every, 95))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--rounds", type=int, default=3, help="times each query of the mix runs")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--no-datasette", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="rebuild the datasets")
    options = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in options.sizes:
        for kind in options.databases:
            app, url = prepare(kind, size, options.fresh)
            mix = query_mix(app)
            print(f"\n== {kind} {size:,} organisations, {len(mix)} queries × {options.rounds} ==", flush=True)
            wall, cpu = time_service(app, mix, options.rounds)
            service, service_cpu = summary(wall), summary(cpu)
            http_times, datasette = {}, {}
            if not options.no_http:
                process, port = serve_app(url)
                try:
                    paths = [(cls, "/organizations?" + urlencode(args)) for cls, args in mix]
                    http_times = summary(time_http(port, paths, options.rounds))
                finally:
                    stop(process)
            if kind == "sqlite" and not options.no_datasette:
                prepare_datasette_table(url)
                process, port = serve_datasette(WORK / f"sqlite-{size}.sqlite3")
                try:
                    paths = [(cls, datasette_path(args)) for cls, args in mix]
                    datasette = summary(time_http(port, paths, options.rounds))
                finally:
                    stop(process)
            print(f"{'class':<20} {'service p50':>11} {'p95':>7} {'cpu p50':>7} {'p95':>7} {'HTTP p50':>9} {'p95':>7} "
                  f"{'Datasette p50':>13} {'p95':>7} {'ratio p50':>9} {'ratio p95':>9}")  # fmt: skip
            for cls in [*dict.fromkeys(c for c, _a in mix), "ALL"]:
                s, h, d = service[cls], http_times.get(cls), datasette.get(cls)
                c = service_cpu[cls]
                line = f"{cls:<20} {s[0]:>11.1f} {s[1]:>7.1f} {c[0]:>7.1f} {c[1]:>7.1f}"
                line += f" {h[0]:>9.1f} {h[1]:>7.1f}" if h else f" {'-':>9} {'-':>7}"
                line += f" {d[0]:>13.1f} {d[1]:>7.1f} {s[0] / d[0]:>9.2f} {s[1] / d[1]:>9.2f}" if d else ""
                print(line, flush=True)
                rows.append((kind, size, cls, s, c, h, d))
    (WORK / "results.json").write_text(json.dumps(rows, default=str))


if __name__ == "__main__":
    main()
