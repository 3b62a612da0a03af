"""The audit log, History tabs, notices and the import log at 1,000 and at 1,000,000 audit rows.

    .venv/bin/python bench/history.py                          # SQLite under /tmp/bench-history
    .venv/bin/python bench/history.py --database postgresql+psycopg://postgres@127.0.0.1:5432/db
    .venv/bin/python bench/history.py --rows 1000 1000000 --repeat 50

Builds (once) a small demo network (flask seed-demo --orgs 300), then for each audit log size tops
the log up (bench/pages.py's top_up_audit: 30% public changes, 70% private ones, spread over a year)
and times each page in process, logged in as the demo admin: p50/p95 ms and SQL statements of one
request after another. The pages read an index from their cursor and stop, so the figures at 1M
rows should be those at 1k. Prints the load average: the machine is shared.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

from bench.pages import loadavg, percentile, top_up_audit  # noqa: E402


def build(url: str | None) -> tuple[str, str]:
    folder = Path("/tmp/bench-history" + (f"-{make_url(url).database}" if url else ""))  # noqa: S108
    url = url or f"sqlite:///{folder}/network.sqlite3"
    env = dict(os.environ, NETWORK_DATABASE_URL=url, NETWORK_INSTANCE_PATH=str(folder), NETWORK_SECRET_KEY="bench")  # noqa: S106
    folder.mkdir(parents=True, exist_ok=True)

    def flask(*args: str) -> None:
        subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "network", *args], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    flask("db", "upgrade")
    if not (folder / "built").exists():
        print(f"building a demo network in {folder} …", flush=True)
        flask("load-reference")
        flask("seed-demo", "--orgs", "300", "--if-empty")
        (folder / "built").touch()
    return url, str(folder)


def targets(url: str) -> tuple[str, dict[str, str]]:
    """(the admin's login id, {name: path}) of the pages measured."""
    engine = create_engine(url)
    with engine.connect() as conn:
        admin = conn.execute(text("SELECT id, session_token FROM users WHERE role = 'admin' ORDER BY id LIMIT 1")).one()
        actor = conn.execute(text("SELECT id FROM users WHERE role = 'coordinator' ORDER BY id LIMIT 1")).scalar()
        slug = conn.execute(text("SELECT slug FROM organizations ORDER BY id LIMIT 1")).scalar()
        project = conn.execute(text("SELECT id FROM projects ORDER BY id LIMIT 1")).scalar()
    engine.dispose()
    return f"{admin.id}:{admin.session_token or ''}", {
        "audit log": "/admin/audit",
        "audit log, by actor": f"/admin/audit?actor={actor}",
        "audit log, by kind": "/admin/audit?entity=organizations",
        "audit log, rare change": "/admin/audit?action=merge",
        "audit log, 3rd page": "older:/admin/audit",
        "organisation history": f"/organizations/{slug}/history",
        "project history": f"/projects/{project}/history",
        "notices": "/notifications",
        "import log": "/imports",
    }


def measure(url: str, instance: str, admin_id: str, pages: dict[str, str], repeat: int) -> dict[str, dict]:
    from flask_login.utils import _create_identifier
    from sqlalchemy import event

    from network import create_app
    from network.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False})  # fmt: skip
    client = app.test_client()
    with app.test_request_context(environ_base=client.environ_base):  # "strong" session protection
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session.update({"_user_id": admin_id, "_fresh": True, "_id": identifier})
    with app.app_context():
        engine = db.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(1))
    found = {}
    for name, path in pages.items():
        if path.startswith("older:"):  # two "Older" links on from the first page
            path = path.removeprefix("older:")
            for _ in range(2):
                link = re.search(r'href="([^"]+)" rel="next"', client.get(path).get_data(as_text=True))
                path = unescape(link.group(1)) if link else path
        client.get(path)
        times, counts = [], []
        for _ in range(repeat):
            statements.clear()
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(statements))
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
        found[name] = {"p50": percentile(times, 50), "p95": percentile(times, 95), "sql": max(counts)}
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="an empty PostgreSQL URL (default: a SQLite file under /tmp)")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 1_000_000], help="audit log sizes, ascending")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    url, instance = build(args.database)
    admin, pages = targets(url)
    results = {}
    for rows in args.rows:
        top_up_audit(url, rows)
        engine = create_engine(url)
        with engine.connect() as conn:
            have = conn.execute(text("SELECT count(*) FROM audit_events")).scalar()
            if engine.dialect.name == "postgresql":
                conn.execute(text("ANALYZE audit_events"))
                conn.commit()
        engine.dispose()
        print(f"{have:,} audit rows; load average before: {loadavg()}", flush=True)
        results[have] = measure(url, instance, admin, pages, args.repeat)
        print(f"load average after: {loadavg()}", flush=True)
    sizes = list(results)
    print("\npage".ljust(26) + "".join(f"{n:>12,} rows: p50 / p95 ms, SQL".rjust(36) for n in sizes))
    for name in pages:
        cells = "".join(
            f"{results[n][name]['p50']:>8.1f} / {results[n][name]['p95']:>6.1f}, {results[n][name]['sql']:>2}".rjust(36)
            for n in sizes
        )
        print(name.ljust(25) + cells)


if __name__ == "__main__":
    main()
