"""Whole pages over HTTP: req/s and latency of the directory's pages against a bare Flask page and
Datasette's faceted pages on the same data.

    .venv/bin/python bench/pages.py --build 20000          # builds /tmp/bench-pages-20000 once, reuses it
    .venv/bin/python bench/pages.py --build 20000 --database postgresql+psycopg://postgres@127.0.0.1:5432/db \
        --peer-sqlite /tmp/bench-pages-20000/network.sqlite3          # an empty PostgreSQL database
    .venv/bin/python bench/pages.py --database /tmp/x/network.sqlite3 --only / /networks --no-http

(Not bench/http.py: a script named http.py in bench/ would hide the standard library's http
package from itself and from everything it imports.)

--build N runs the app's own commands in an instance folder under /tmp (never the project's
instance/): db upgrade, load-reference, seed-demo, flask import of the real CommonWeave list up to N
organisations, and the audit log topped up to 200,000 rows (--audit-rows; 70% of them changes the
home page never shows: people, users, tokens). --database takes a database already built. Then, for
each page, it measures:

- server time in process: the app's test client, one request after another (p50/p95, CPU p50, SQL
  statements, and a mean request split into SQL, search, template and the rest);
- over HTTP: gunicorn -w 2 (sync) on loopback, N connections for S seconds (wrk with 2 threads when
  the machine has it, else N Python threads), each request on a fresh connection as a sync worker
  answers; req/s, p50/p95/p99 and the ratios to a
  bare Flask "hello" page served the same way (the ceiling of this machine and load generator) and
  to Datasette's faceted search page on the same SQLite file (--peer-sqlite for PostgreSQL runs).

It prints the load average before and after: the machine is shared, so compare runs of one sitting.
"""

import argparse
import http.client
import importlib
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

from bench.serving import gunicorn, stop  # noqa: E402

PUBLIC = ["organizations", "memberships", "projects", "partnerships", "outcome_reports", "project_participants"]
PRIVATE = ["people", "users", "activities", "change_requests"]


def hello_app():
    """The ceiling: a bare Flask page served by the same gunicorn."""
    from flask import Flask

    app = Flask("hello")
    app.add_url_rule("/", "hello", lambda: "hello")
    return app


def flask(env: dict, *args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "network", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def build(n: int, url: str | None, audit_rows: int) -> tuple[str, str]:
    """(database URL, instance folder) of a database with n organisations, built once and reused.

    The app's own commands: db upgrade, load-reference, seed-demo (nodes, projects, initiatives,
    users, with max(2000, n - 19,883) organisations), then as many organisations of the real
    CommonWeave list as make n (flask import), then the audit log topped up to audit_rows.
    SQLite under /tmp by default; a PostgreSQL URL (an empty database) is built the same way.
    """
    rows_of = importlib.import_module("bench.import")  # bench/import.py: the real list, mapped to import columns

    folder = Path(f"/tmp/bench-pages-{n}" + ("-pg" if url else ""))  # noqa: S108
    url = url or f"sqlite:///{folder}/network.sqlite3"
    env = dict(os.environ, NETWORK_DATABASE_URL=url, NETWORK_INSTANCE_PATH=str(folder), NETWORK_SECRET_KEY="bench")  # noqa: S106
    if (folder / "built").exists():
        flask(env, "db", "upgrade")  # reused: brought up to the code's migrations (a no-op when current)
        return url, str(folder)
    if "sqlite" in url and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    real = rows_of.real_rows()
    demo = max(2000, n - len(real))
    print(f"building {n:,} organisations ({demo:,} demo, {n - demo:,} real) in {folder} …", flush=True)
    flask(env, "db", "upgrade")
    flask(env, "load-reference")
    flask(env, "seed-demo", "--orgs", str(demo))
    if n > demo:
        engine = create_engine(url)
        with engine.connect() as conn:
            node = conn.execute(text("SELECT slug FROM networks ORDER BY id LIMIT 1")).scalar()
        engine.dispose()
        rows = [dict(r, network=node) for r in real[: n - demo]]
        rows_of.write_csv(rows, folder / "real.csv")
        flask(env, "import", str(folder / "real.csv"), "--skip-invalid")
    top_up_audit(url, audit_rows)
    (folder / "built").touch()
    return url, str(folder)


def sqlalchemy_url(database: str) -> str:
    return database if "://" in database else f"sqlite:///{Path(database).resolve()}"


def top_up_audit(url: str, rows: int) -> None:
    """Add audit rows until there are `rows` (30% about public records, 70% private), oldest first."""
    engine = create_engine(url)
    with engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM audit_events")).scalar()
        if have >= rows:
            return
        ids = {t: conn.execute(text(f"SELECT id FROM {t} ORDER BY id LIMIT 1000")).scalars().all() for t in PUBLIC}
        rng = random.Random(1)
        start = datetime.now(UTC) - timedelta(days=365)
        step = timedelta(days=365) / (rows - have)
        print(f"adding {rows - have:,} audit rows …", flush=True)
        batch = []
        for i in range(rows - have):
            public = rng.random() < 0.3
            kind = rng.choice([t for t in PUBLIC if ids[t]]) if public else rng.choice(PRIVATE)
            entity = rng.choice(ids[kind]) if public else rng.randint(1, 50_000)
            batch.append(
                {"at": start + step * i, "action": "update", "t": kind, "e": entity, "c": '{"name": ["a", "b"]}'}
            )
            if len(batch) == 20_000:
                _insert(conn, batch)
                batch = []
        if batch:
            _insert(conn, batch)
    engine.dispose()


def _insert(conn, batch) -> None:
    conn.execute(
        text(
            "INSERT INTO audit_events (at, action, entity_type, entity_id, changes) VALUES (:at, :action, :t, :e, :c)"
        ),
        batch,
    )


def pages(url: str) -> dict[str, str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        slug = conn.execute(
            text(
                "SELECT slug FROM organizations WHERE archived_at IS NULL AND merged_into_id IS NULL ORDER BY id LIMIT 1"
            )
        ).scalar()
        project = conn.execute(text("SELECT id FROM projects WHERE archived_at IS NULL ORDER BY id LIMIT 1")).scalar()
        initiative = conn.execute(
            text(
                "SELECT i.slug FROM initiatives i WHERE i.archived_at IS NULL"
                " AND EXISTS (SELECT 1 FROM participants p WHERE p.initiative_id = i.id) ORDER BY i.id LIMIT 1"
            )
        ).scalar()
    engine.dispose()
    return {
        "/": "/",
        "/organizations": "/organizations",
        "/organizations?q=climate": "/organizations?q=climate",
        "/organizations?q=climate&kind=ngo": "/organizations?q=climate&kind=ngo",
        "organisation page": f"/organizations/{slug}",
        "/networks": "/networks",
        "/projects?q=water": "/projects?q=water",
        "project page": f"/projects/{project}",
        "initiative page": f"/initiatives/{initiative}",
        "API /organizations?q=climate": "/api/v1/organizations?q=climate",
    }


def datasette_pages() -> dict[str, str]:
    """The peer: Datasette's HTML table page on the same organisations, faceted like the directory."""
    from bench.search import datasette_path

    return {
        "Datasette faceted table": datasette_path({}).replace(".json?", "?"),
        "Datasette ?_search=climate": datasette_path({"q": "climate"}).replace(".json?", "?"),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


class Breakdown:
    """Server time split into SQL (cursor executes), search (the search services and their in-memory
    indexes), template rendering and the rest; each part exclusive of the parts nested in it."""

    PARTS = ("sql", "search", "template")

    def __init__(self) -> None:
        self.stack: list[list] = []
        self.totals = dict.fromkeys(self.PARTS, 0.0)

    def enter(self, part: str) -> None:
        self.stack.append([part, time.perf_counter(), 0.0])

    def leave(self) -> None:
        part, start, nested = self.stack.pop()
        elapsed = time.perf_counter() - start
        self.totals[part] += (elapsed - nested) * 1000
        if self.stack:
            self.stack[-1][2] += elapsed

    def reset(self) -> None:
        self.stack.clear()
        self.totals = dict.fromkeys(self.PARTS, 0.0)

    def wrap(self, module, name: str) -> None:
        """Time module.name (called through the module) as search (the bench only: a monkeypatch)."""
        inner = getattr(module, name)

        def timed(*args, **kwargs):
            self.enter("search")
            try:
                return inner(*args, **kwargs)
            finally:
                self.leave()

        setattr(module, name, timed)


def in_process(url: str, instance: str, targets: dict[str, str], repeat: int, cold: bool = False) -> dict[str, dict]:
    """Server time per page (test client, no HTTP): p50/p95 ms, SQL statements and the mean split.
    cold: what workers keep between requests (network/kept.py: rendered filter panels, facet counts,
    the node tree, the latest changes) is forgotten before each request, as for a search never made
    before; the in-memory indexes and reference names stay."""
    from flask import before_render_template, template_rendered
    from sqlalchemy import event

    from network import create_app, kept
    from network.extensions import db
    from network.services import search
    from network.services.search import facets, record_index

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False})  # fmt: skip
    client = app.test_client()
    found = {}
    with app.app_context():
        engine = db.engine
    split = Breakdown()
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: (statements.append(1), split.enter("sql")))
    event.listen(engine, "after_cursor_execute", lambda *a: split.leave())
    before_render_template.connect(lambda *a, **k: split.enter("template"), app, weak=False)
    template_rendered.connect(lambda *a, **k: split.leave(), app, weak=False)
    for name in ("search_organizations", "search_projects", "search_initiatives"):
        split.wrap(search, name)
    split.wrap(facets, "current_index")
    split.wrap(record_index, "current_index")
    for name, path in targets.items():
        client.get(path)  # the first request builds this worker's in-memory indexes
        times, cpu, counts, parts = [], [], [], dict.fromkeys(Breakdown.PARTS, 0.0)
        for _ in range(repeat):
            if cold:
                kept.forget_all()
            statements.clear()
            split.reset()
            start, cpu_start = time.perf_counter(), time.process_time()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - cpu_start) * 1000)
            counts.append(len(statements))
            for part, ms in split.totals.items():
                parts[part] += ms / repeat
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
        mean = sum(times) / len(times)
        found[name] = {"p50": percentile(times, 50), "p95": percentile(times, 95), "cpu": percentile(cpu, 50), "sql_count": max(counts),
                       **parts, "rest": mean - sum(parts.values()), "mean": mean}  # fmt: skip
    engine.dispose()
    return found


WRK_REPORT = """
done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format("RESULT %d %d %d", summary.requests, summary.duration, bad))
  for _, p in ipairs({50, 95, 99}) do io.write(string.format(" %d", latency:percentile(p))) end
  io.write("\\n")
end
"""


def load(port: int, path: str, connections: int, seconds: float) -> tuple[float, tuple, int]:
    """(req/s, p50/p95/p99 latency in ms, non-2xx answers) of `connections` connections asking for `path`: wrk when
    the machine has it (a C load generator leaves the CPU to the server), Python threads otherwise."""
    wrk = shutil.which("wrk")
    return load_wrk(wrk, port, path, connections, seconds) if wrk else load_python(port, path, connections, seconds)


def load_wrk(wrk: str, port: int, path: str, connections: int, seconds: float) -> tuple[float, tuple, int]:
    """wrk with 2 threads; its summary printed by a Lua done() hook."""
    script = Path("/tmp/bench-pages-wrk.lua")  # noqa: S108
    script.write_text(WRK_REPORT)
    out = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "60s", "-s", str(script),
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout  # fmt: skip
    fields = next(line for line in out.splitlines() if line.startswith("RESULT")).split()[1:]
    requests, duration_us, bad, p50, p95, p99 = (int(x) for x in fields)
    return requests / (duration_us / 1e6), (p50 / 1000, p95 / 1000, p99 / 1000), bad


def load_python(port: int, path: str, connections: int, seconds: float) -> tuple[float, tuple, int]:
    """`connections` Python threads asking for `path`."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        mine, bad = [], 0
        while time.perf_counter() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            start = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - start) * 1000)
            bad += response.status != 200
            conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client) for _ in range(connections)]
    begin = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spread = tuple(percentile(latencies, p) for p in (50, 95, 99))
    return len(latencies) / (time.perf_counter() - begin), spread, errors[0]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_reference() -> str:
    """A fixed pure-Python loop, best of 5 (ms): on a shared virtual machine the same code runs up to
    twice as slowly at times, which the load average does not show; compare runs at similar values."""
    import timeit

    best = min(timeit.repeat("sum(i * i for i in range(100_000))", number=20, repeat=5)) / 20
    return f"{best * 1000:.2f} ms"


def datasette_peer(sqlite_file: Path, connections: int, seconds: float) -> dict[str, tuple]:
    """Datasette's faceted pages on `sqlite_file` (its denormalised facet table added first)."""
    from bench.search import prepare_datasette_table, serve_datasette

    prepare_datasette_table(f"sqlite:///{sqlite_file}")
    work = sqlite_file.parent / "datasette"
    work.mkdir(exist_ok=True)
    results = {}
    process, port = serve_datasette(sqlite_file, work)
    try:
        for name, path in datasette_pages().items():
            load(port, path, 2, 1)
            results[name] = load(port, path, connections, seconds)
    finally:
        stop(process)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="a SQLite file or a SQLAlchemy URL (with --build: an empty PostgreSQL one)")
    parser.add_argument("--build", type=int, metavar="N", help="build (or reuse) a database of N organisations")
    parser.add_argument("--instance", help="instance folder for the app (default: the SQLite file's folder)")
    parser.add_argument("--audit-rows", type=int, default=0, help="top the audit log up to this many rows first")
    parser.add_argument("--peer-sqlite", type=Path, help="for a PostgreSQL run: the SQLite file Datasette serves")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=100, help="in-process requests per page")
    parser.add_argument("--only", nargs="*", help="page names to run (default: all)")
    parser.add_argument("--no-http", action="store_true", help="server time only")
    parser.add_argument("--cold", action="store_true", help="in process: forget what workers keep before each request")
    args = parser.parse_args()
    if args.build:
        url, instance = build(args.build, args.database, args.audit_rows or 200_000)
    elif args.database:
        url = sqlalchemy_url(args.database)
        default = "/tmp" if "://" in args.database else str(Path(args.database).resolve().parent)  # noqa: S108
        instance = args.instance or default
    else:
        parser.error("give --database or --build N")
    if args.audit_rows:
        top_up_audit(url, args.audit_rows)
    targets = pages(url)
    if args.only:
        targets = {k: v for k, v in targets.items() if k in args.only}
    engine = create_engine(url)
    with engine.connect() as conn:
        orgs = conn.execute(text("SELECT count(*) FROM organizations")).scalar()
        audit = conn.execute(text("SELECT count(*) FROM audit_events")).scalar()
    engine.dispose()
    peer = args.peer_sqlite or (Path(make_url(url).database) if url.startswith("sqlite") else None)
    print(f"{make_url(url).render_as_string(hide_password=True)}: {orgs:,} organisations, {audit:,} audit rows")
    print(f"load average before: {loadavg()}; CPU reference loop {cpu_reference()}", flush=True)

    server = in_process(url, instance, targets, args.repeat, args.cold)
    results = {}
    if not args.no_http:
        env = dict(os.environ, NETWORK_DATABASE_URL=url, NETWORK_INSTANCE_PATH=instance,
                   NETWORK_SECRET_KEY="pages-bench", NETWORK_RATELIMIT_ENABLED="false")  # fmt: skip  # noqa: S106
        hello, port = gunicorn("pages:hello_app()", env, "/", chdir=ROOT / "bench")
        try:
            results["hello (bare Flask)"] = load(port, "/", args.connections, args.seconds)
        finally:
            stop(hello)
        if peer:
            results.update(datasette_peer(peer.resolve(), args.connections, args.seconds))
        app, port = gunicorn("network:create_app()", env, "/")
        try:
            for name, path in targets.items():
                load(port, path, 2, 1)  # warm both workers' in-memory indexes
                results[name] = load(port, path, args.connections, args.seconds)
        finally:
            stop(app)
    report(server, results, args, peer)


def report(server: dict, results: dict, args, peer: Path | None) -> None:
    nan, inf = float("nan"), float("inf")
    ceiling = results.get("hello (bare Flask)", (nan,))[0]
    table = results.get("Datasette faceted table", (nan,))[0]
    search = results.get("Datasette ?_search=climate", (nan,))[0]
    print("\nserver time in process (ms): p50, p95, CPU p50, SQL statements of one request; mean split of a request")
    print(f"{'page':32} {'p50':>6} {'p95':>6} {'cpu':>5} {'SQL#':>4} | {'sql':>5} {'search':>6} {'tmpl':>5} "
          f"{'rest':>5} {'mean':>5}")  # fmt: skip
    for name, t in server.items():
        print(f"{name:32} {t['p50']:6.1f} {t['p95']:6.1f} {t['cpu']:5.1f} {t['sql_count']:4d} | {t['sql']:5.1f} "
              f"{t['search']:6.1f} {t['template']:5.1f} {t['rest']:5.1f} {t['mean']:5.1f}")  # fmt: skip
    if not results:
        return
    print(f"\nover HTTP ({'wrk' if shutil.which('wrk') else 'Python threads'}): {args.connections} connections, "
          f"{args.seconds:g} s per page, gunicorn -w 2 (sync); "
          f"ratios of req/s to the bare page and to Datasette's faceted table and faceted search pages "
          f"({'on ' + str(peer) if peer else 'no peer'})")  # fmt: skip
    print(f"{'page':32} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'÷bare':>6} {'÷table':>7} {'÷search':>7} "
          f"{'errors':>6}")  # fmt: skip

    def ratio(rate: float, peer: float) -> float:
        return rate / peer if peer else inf  # a peer that answered nothing in the time given

    for name, (rate, (p50, p95, p99), errors) in results.items():
        print(f"{name:32} {rate:7.1f} {p50:7.1f} {p95:7.1f} {p99:7.1f} {ratio(rate, ceiling):6.3f} "
              f"{ratio(rate, table):7.1f} {ratio(rate, search):7.1f} {errors:6d}")  # fmt: skip
    print(f"load average after: {loadavg()}; CPU reference loop {cpu_reference()}")


if __name__ == "__main__":
    main()
