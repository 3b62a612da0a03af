"""Whole pages over HTTP: req/s and latency of the directory's pages against a bare Flask page.

    .venv/bin/python bench/pages.py --database /tmp/x/network.sqlite3            # SQLite file
    .venv/bin/python bench/pages.py --database postgresql+psycopg://postgres@127.0.0.1:5432/db
    .venv/bin/python bench/pages.py --database … --audit-rows 1000000 --connections 8 --seconds 15

(Not bench/http.py: a script named http.py in bench/ would hide the standard library's http
package from itself and from everything it imports.)

Give it a database already seeded (flask db upgrade, load-reference, seed-demo --orgs N, in an
instance folder under /tmp, never the project's instance/). With --audit-rows it first tops the audit
log up to that many rows (70% of them changes the home page never shows: people, users, tokens),
so the home page's latest changes face a long log. Then, for each page, it measures:

- server time in process: the app's test client, one request after another (p50/p95, SQL statements);
- over HTTP: gunicorn -w 2 (sync) on loopback, N client threads for S seconds (bounded), each
  request on a fresh connection as a sync worker answers; req/s, p50/p95/p99 and the ratio to a
  bare Flask "hello" page served the same way (the ceiling of this machine and load generator).

It prints the load average before and after: the machine is shared, so compare runs of one sitting.
"""

import argparse
import http.client
import os
import random
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
    engine.dispose()
    return {
        "/": "/",
        "/organizations": "/organizations",
        "/organizations?q=climate": "/organizations?q=climate",
        "organisation page": f"/organizations/{slug}",
        "/networks": "/networks",
        "/projects?q=water": "/projects?q=water",
        "project page": f"/projects/{project}",
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def in_process(url: str, instance: str, targets: dict[str, str], repeat: int) -> dict[str, tuple[float, float, int]]:
    """(p50 ms, p95 ms, SQL statements) per page, server side only (test client, no HTTP)."""
    from sqlalchemy import event

    from network import create_app
    from network.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench"})
    client = app.test_client()
    found = {}
    with app.app_context():
        engine = db.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(1))
    for name, path in targets.items():
        client.get(path)  # the first request builds this worker's in-memory indexes
        times, counts = [], []
        for _ in range(repeat):
            statements.clear()
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(statements))
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
        found[name] = (percentile(times, 50), percentile(times, 95), max(counts))
    engine.dispose()
    return found


def load(port: int, path: str, connections: int, seconds: float) -> tuple[float, list[float], int]:
    """(req/s, latencies in ms, non-200 answers) of `connections` threads asking for `path`."""
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
    return len(latencies) / (time.perf_counter() - begin), latencies, errors[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a SQLite file or a SQLAlchemy URL")
    parser.add_argument("--instance", help="instance folder for the app (default: the SQLite file's folder)")
    parser.add_argument("--audit-rows", type=int, default=0, help="top the audit log up to this many rows first")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=100, help="in-process requests per page")
    parser.add_argument("--only", nargs="*", help="page names to run (default: all)")
    args = parser.parse_args()
    url = sqlalchemy_url(args.database)
    instance = args.instance or (str(Path(args.database).resolve().parent) if "://" not in args.database else "/tmp")  # noqa: S108
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
    print(f"{make_url(url).render_as_string(hide_password=True)}: {orgs:,} organisations, {audit:,} audit rows")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)

    server = in_process(url, instance, targets, args.repeat)
    env = dict(os.environ, NETWORK_DATABASE_URL=url, NETWORK_INSTANCE_PATH=instance, NETWORK_SECRET_KEY="pages-bench")  # noqa: S106
    results = {}
    hello, port = gunicorn("pages:hello_app()", env, "/", chdir=ROOT / "bench")
    try:
        results["hello (bare Flask)"] = load(port, "/", args.connections, args.seconds)
    finally:
        stop(hello)
    app, port = gunicorn("network:create_app()", env, "/")
    try:
        for name, path in targets.items():
            load(port, path, 2, 1)  # warm both workers' in-memory indexes
            results[name] = load(port, path, args.connections, args.seconds)
    finally:
        stop(app)
    ceiling = results["hello (bare Flask)"][0]
    print(f"\n{args.connections} connections, {args.seconds:g} s per page, gunicorn -w 2 (sync)")
    print(
        f"{'page':28} {'server p50':>10} {'p95':>7} {'SQL':>4} | {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'ratio':>6} {'errors':>6}"
    )
    for name, (rate, latencies, errors) in results.items():
        p50, p95, sql = server.get(name, (float("nan"), float("nan"), 0))
        print(f"{name:28} {p50:10.1f} {p95:7.1f} {sql:4d} | {rate:7.1f} {percentile(latencies, 50):7.1f} "
              f"{percentile(latencies, 95):7.1f} {percentile(latencies, 99):7.1f} {rate / ceiling:6.3f} {errors:6d}")  # fmt: skip
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
