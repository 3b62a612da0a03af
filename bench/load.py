"""Mixed load against gunicorn (2 sync workers): no 5xx, no conflicts between different records,
and every acknowledged write found afterwards in the database and the audit log (not a timed test).

    .venv/bin/python bench/load.py                                      # both databases, 20 clients, 30 s
    .venv/bin/python bench/load.py --clients 50 --seconds 60 --database postgresql

Loopback only, bounded: N client threads for S seconds, then it stops by itself. Each database is
seeded with the demo network (flask seed-demo, in its own instance folder under /tmp, never the
project's instance/), gets a bench admin (flask create-user) and one read-write API token per client
(the token service), and is served by gunicorn -w 2: SQLite in the instance folder, or a PostgreSQL
database created for the run and dropped after it, with Redis for the rate limits.

The mix is 80% reads (directory search with words and facets, organisation, project and initiative
pages, API search) and 20% writes: API PATCH with If-Match and HTML forms posted with their CSRF
token from a logged-in session. Client 2k and 2k+1 each edit their own project, both led by one
organisation, which client 2k also edits as its own organisation; every client creates outcome
reports on its own project and on one shared project; all clients edit one shared organisation and
one shared project. A 409 on a record no other client edits is a false conflict, and so is a 409,
or a form shown again without saving, on a create.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

from bench.serving import gunicorn, stop  # noqa: E402

WORK = Path(os.environ.get("BENCH_WORK", "/tmp/network-bench")) / "load"  # noqa: S108  (scratch data)
PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PG_DATABASE = "network_bench_load"
EMAIL = "load-bench@example.org"
WORDS = ["climate", "energy", "solar", "women", "transport", "forest", "water", "clean", "能源", "renew"]
REGIONS = ["142", "002", "019", "150", "034", "035", "014"]  # Asia, Africa, Americas, Europe, S & SE Asia, E Africa
# operation -> weight (percent of all operations); reads first
MIX = {
    "search page": 25, "organisation page": 15, "project page": 15, "initiative page": 10, "API search": 15,
    "API PATCH own org": 4, "API PATCH own project": 4, "form: outcome on own project": 3,
    "form: outcome on shared project": 3, "form: edit own project": 2,
    "API PATCH shared org": 2, "form: edit shared project": 2,
}  # fmt: skip
BEFORE = "GET before a write"  # the form or the ETag a write starts from
SAME = {"API PATCH shared org", "form: edit shared project"}  # several clients edit these records


# --- the database and the server ---------------------------------------------------------------


def flask(env: dict, *args: str) -> str:
    result = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "network", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def environment(kind: str) -> dict:
    instance = WORK / kind
    env = dict(os.environ, NETWORK_INSTANCE_PATH=str(instance), NETWORK_SECRET_KEY="load-bench",  # noqa: S106
               NETWORK_LOGIN_RATE_LIMIT="100000 per minute", NETWORK_API_RATE_LIMIT="100000 per minute")  # fmt: skip
    if kind == "sqlite":
        env["NETWORK_DATABASE_URL"] = f"sqlite:///{instance / 'network.sqlite3'}"
    else:
        env["NETWORK_DATABASE_URL"] = make_url(PG_SERVER).set(database=PG_DATABASE).render_as_string(False)
        env["NETWORK_REDIS_URL"] = REDIS_URL
    for key in [k for k in env if k.startswith("NETWORK_") and k not in NETWORK_KEYS]:
        del env[key]  # nothing from the caller's shell (NETWORK_TEST_…, another database) leaks in
    return env


NETWORK_KEYS = {"NETWORK_INSTANCE_PATH", "NETWORK_SECRET_KEY", "NETWORK_LOGIN_RATE_LIMIT", "NETWORK_API_RATE_LIMIT",
                "NETWORK_DATABASE_URL", "NETWORK_REDIS_URL"}  # fmt: skip


def postgres_admin(statement: str) -> None:
    engine = create_engine(make_url(PG_SERVER), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def prepare(kind: str, orgs: int, clients: int) -> tuple[dict, str]:
    """A freshly seeded database, the bench admin's password; SQLite copies a seeded template."""
    env = environment(kind)
    instance = WORK / kind
    if instance.exists():
        shutil.rmtree(instance)
    instance.mkdir(parents=True)
    template = WORK / f"template-{orgs}.sqlite3"
    if kind == "sqlite" and template.exists():
        shutil.copy(template, instance / "network.sqlite3")
    else:
        if kind == "postgresql":
            postgres_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            postgres_admin(f'CREATE DATABASE "{PG_DATABASE}"')
        print(f"seeding {kind} with {orgs:,} organisations …", flush=True)
        flask(env, "db", "upgrade")
        flask(env, "load-reference")
        flask(env, "seed-demo", "--orgs", str(orgs))
        if kind == "sqlite":
            shutil.copy(instance / "network.sqlite3", template)
    password = secrets.token_urlsafe(16)
    flask(env, "create-user", EMAIL, "--role", "admin", "--name", "Load bench", "--password", password)
    return env, password


def make_tokens(env: dict, count: int) -> list[str]:
    """Read-write tokens of the bench admin, made by the token service like the account page does."""
    from network import create_app
    from network.extensions import db
    from network.models import User
    from network.services import tokens

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["NETWORK_DATABASE_URL"], "INSTANCE_PATH": env["NETWORK_INSTANCE_PATH"],
                      "SECRET_KEY": "load-bench"})  # fmt: skip
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == EMAIL))
        secrets_ = [tokens.create_token(user, f"load client {i}", "read-write").secret for i in range(count)]
        db.session.commit()
        db.engine.dispose()
    return secrets_


@dataclass
class Plan:
    own_orgs: list[tuple[int, str]]  # per client: (id, slug)
    own_projects: list[int]  # per client; clients 2k and 2k+1 share the lead organisation
    shared_org: tuple[int, str]
    shared_project: int
    org_slugs: list[str]
    project_ids: list[int]
    initiative_slugs: list[str]


def plan(url: str, clients: int) -> Plan:
    engine = create_engine(url)
    with engine.connect() as conn:
        orgs = conn.execute(text("SELECT id, slug FROM organizations WHERE archived_at IS NULL "
                                 "AND merged_into_id IS NULL ORDER BY id")).all()  # fmt: skip
        projects = conn.execute(text("SELECT id, lead_organization_id FROM projects WHERE archived_at IS NULL "
                                     "ORDER BY id")).all()  # fmt: skip
        initiatives = conn.execute(text("SELECT slug FROM initiatives WHERE archived_at IS NULL")).scalars().all()
    engine.dispose()
    slug = dict(orgs)
    by_lead = defaultdict(list)
    for project_id, lead in projects:
        if lead in slug:
            by_lead[lead].append(project_id)
    pairs = [(lead, ids) for lead, ids in by_lead.items() if len(ids) >= 2]
    if len(pairs) < (clients + 1) // 2 + 1:
        raise SystemExit(f"the demo has {len(pairs)} organisations leading two projects; seed more (--orgs)")
    own_orgs, own_projects, used = [], [], set()
    for i in range(clients):
        lead, ids = pairs[i // 2]
        own_projects.append(ids[i % 2])
        used.add(lead)
    spare = iter(o for o in slug if o not in used and o not in {lead for lead, _ in pairs})
    for i in range(clients):
        # Client 2k edits the organisation leading its project and its partner's; 2k+1 another one.
        org_id = pairs[i // 2][0] if i % 2 == 0 else next(spare)
        own_orgs.append((org_id, slug[org_id]))
    shared_lead, shared_ids = pairs[(clients + 1) // 2]
    return Plan(own_orgs, own_projects, (shared_lead, slug[shared_lead]), shared_ids[0],
                [s for _i, s in orgs], [p for p, _l in projects], list(initiatives))  # fmt: skip


# --- one client -----------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """The forms of a page: each a list of (name, value) pairs as a browser would submit them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[list]] = []
        self.select: str | None = None
        self.option: list | None = None
        self.textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append([])
        elif not self.forms or "name" not in a or "disabled" in a:
            return
        elif tag == "input" and a.get("type", "text") not in ("submit", "button", "file", "checkbox", "radio"):
            self.forms[-1].append([a["name"], a.get("value") or ""])
        elif tag == "input" and "checked" in a:
            self.forms[-1].append([a["name"], a.get("value", "on")])
        elif tag == "textarea":
            self.textarea = [a["name"], ""]
            self.forms[-1].append(self.textarea)
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.forms[-1].append([self.select, a.get("value", "")])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data


def form_with(html: str, name: str) -> list[list] | None:
    parser = FormParser()
    parser.feed(html)
    return next((f for f in parser.forms if any(k == name for k, _v in f)), None)


def set_field(form: list[list], name: str, value: str) -> list[list]:
    return [[k, v] for k, v in form if k != name] + [[name, value]]


@dataclass
class Result:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    acknowledged: list[tuple[str, int, str]] = field(default_factory=list)  # (table, id or 0, marker)
    swallowed: int = 0  # create forms shown again (200/422) with nothing saved
    errors: Counter = field(default_factory=Counter)  # transport errors
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    def __init__(self, number: int, port: int, token: str, password: str, plan: Plan, run: str, result: Result):
        self.number, self.port, self.token, self.password = number, port, token, password
        self.plan, self.run, self.result = plan, run, result
        self.cookies: dict[str, str] = {}
        self.rng = random.Random(number)
        self.writes = 0
        self.lock = result.lock

    def request(self, method: str, path: str, body=None, headers=None, api=False) -> tuple[int, dict, str, float]:
        headers = dict(headers or {})
        if api:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if isinstance(body, list):
            body, headers["Content-Type"] = urlencode([tuple(p) for p in body]), "application/x-www-form-urlencoded"
        elif isinstance(body, dict):
            body, headers["Content-Type"] = json.dumps(body), "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text_ = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        elapsed = (time.perf_counter() - started) * 1000
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, dict(response.headers), text_, elapsed

    def timed(self, op: str, method: str, path: str, **kwargs) -> tuple[int, dict, str]:
        status, headers, body, elapsed = self.request(method, path, **kwargs)
        with self.lock:
            self.result.latencies[op].append(elapsed)
            self.result.statuses[op][status] += 1
        return status, headers, body

    def log_in(self) -> None:
        status, _h, page, _e = self.request("GET", "/login")
        form = form_with(page, "email")
        form = set_field(set_field(form, "email", EMAIL), "password", self.password)
        status, _h, _b, _e = self.request("POST", "/login", body=form)
        if status != 302:
            raise RuntimeError(f"client {self.number} could not log in ({status})")

    def marker(self) -> str:
        self.writes += 1
        return f"load-{self.run}-c{self.number}-{self.writes}"

    def acknowledge(self, table: str, record_id: int, marker: str) -> None:
        with self.lock:
            self.result.acknowledged.append((table, record_id, marker))

    # reads

    def read(self, op: str) -> None:
        rng, p = self.rng, self.plan
        if op == "search page":
            args = {"q": rng.choice(WORDS), "region": rng.choice(REGIONS)}
            if rng.random() < 0.3:
                args.pop("q")
            self.timed(op, "GET", "/organizations?" + urlencode(args))
        elif op == "organisation page":
            self.timed(op, "GET", f"/organizations/{rng.choice(p.org_slugs)}")
        elif op == "project page":
            self.timed(op, "GET", f"/projects/{rng.choice(p.project_ids)}")
        elif op == "initiative page":
            self.timed(op, "GET", f"/initiatives/{rng.choice(p.initiative_slugs)}")
        else:
            self.timed(op, "GET", "/api/v1/organizations?" + urlencode({"q": rng.choice(WORDS)}), api=True)

    # writes

    def api_patch(self, op: str, path: str, table: str, record_id: int, key: str) -> None:
        status, headers, _b = self.timed(BEFORE, "GET", path, api=True)
        if status != 200:
            return
        marker = self.marker()
        status, _h, _b = self.timed(op, "PATCH", path, body={key: f"Edited under load {marker}"}, api=True,
                                    headers={"If-Match": headers.get("ETag", "")})  # fmt: skip
        if status == 200:
            self.acknowledge(table, record_id, marker)

    def edit_project_form(self, op: str, project_id: int) -> None:
        path = f"/projects/{project_id}/edit"
        status, _h, page = self.timed(BEFORE, "GET", path)
        form = form_with(page, "summary") if status == 200 else None
        if form is None:
            return
        marker = self.marker()
        status, _h, _b = self.timed(op, "POST", path, body=set_field(form, "summary", f"Edited under load {marker}"))
        if status == 302:
            self.acknowledge("projects", project_id, marker)

    def create_outcome_form(self, op: str, project_id: int) -> None:
        path = f"/projects/{project_id}/outcomes/new"
        status, _h, page = self.timed(BEFORE, "GET", path)
        form = form_with(page, "period_start") if status == 200 else None
        if form is None:
            return
        marker = self.marker()
        values = {"period_start": "2025-01-01", "period_end": "2025-06-30", "tco2e_reduced": "1.5",
                  "basis": "estimated", "people_reached": "12", "note": marker}  # fmt: skip
        for key, value in values.items():
            form = set_field(form, key, value)
        status, _h, _b = self.timed(op, "POST", path, body=form)
        if status == 302:
            self.acknowledge("outcome_reports", 0, marker)
        elif status in (200, 422):
            with self.lock:
                self.result.swallowed += 1

    def write(self, op: str) -> None:
        p, n = self.plan, self.number
        if op == "API PATCH own org":
            self.api_patch(op, f"/api/v1/organizations/{p.own_orgs[n][1]}", "organizations", p.own_orgs[n][0],
                           "description")  # fmt: skip
        elif op == "API PATCH shared org":
            self.api_patch(op, f"/api/v1/organizations/{p.shared_org[1]}", "organizations", p.shared_org[0],
                           "description")  # fmt: skip
        elif op == "API PATCH own project":
            project = p.own_projects[n]
            self.api_patch(op, f"/api/v1/projects/{project}", "projects", project, "summary")
        elif op == "form: edit own project":
            self.edit_project_form(op, p.own_projects[n])
        elif op == "form: edit shared project":
            self.edit_project_form(op, p.shared_project)
        elif op == "form: outcome on own project":
            self.create_outcome_form(op, p.own_projects[n])
        else:
            self.create_outcome_form(op, p.shared_project)

    def run_until(self, deadline: float) -> None:
        ops, weights = list(MIX), list(MIX.values())
        while time.time() < deadline:
            op = self.rng.choices(ops, weights)[0]
            try:
                if op in ("search page", "organisation page", "project page", "initiative page", "API search"):
                    self.read(op)
                else:
                    self.write(op)
            except (OSError, http.client.HTTPException) as error:
                with self.lock:
                    self.result.errors[type(error).__name__] += 1


# --- checking and reporting -----------------------------------------------------------------------


def check(url: str, acknowledged: list[tuple[str, int, str]], plan_: Plan) -> dict[str, int]:
    """Every acknowledged write in the database and the audit log; single-writer records hold the
    last acknowledged value."""
    engine = create_engine(url)
    missing_db = missing_audit = stale = 0
    with engine.connect() as conn:
        audit = defaultdict(str)
        for table, entity_id, changes in conn.execute(text(
            "SELECT entity_type, entity_id, changes FROM audit_events "
            "WHERE entity_type IN ('organizations', 'projects', 'outcome_reports')"
        )):  # fmt: skip
            audit[(table, entity_id)] += changes if isinstance(changes, str) else json.dumps(changes)
        notes = dict(conn.execute(text("SELECT note, id FROM outcome_reports WHERE note LIKE 'load-%'")).all())
        current = {("organizations", i): v for i, v in conn.execute(text("SELECT id, description FROM organizations"))}
        current |= {("projects", i): v for i, v in conn.execute(text("SELECT id, summary FROM projects"))}
    engine.dispose()
    last = {}
    for table, record_id, marker in acknowledged:
        if table == "outcome_reports":
            report = notes.get(marker)
            missing_db += report is None
            missing_audit += report is None or marker not in audit[(table, report)]
        else:
            missing_audit += marker not in audit[(table, record_id)]
            last[(table, record_id)] = marker
    shared = {("organizations", plan_.shared_org[0]), ("projects", plan_.shared_project)}
    for key, marker in last.items():
        value = current.get(key) or ""
        if key in shared:  # the last commit wins: it must be one of the acknowledged values
            missing_db += not any(m in value for t, i, m in acknowledged if (t, i) == key)
        else:  # one writer, one write at a time: the last acknowledged value
            stale += not value.endswith(marker)
    return {"missing in database": missing_db, "missing in audit log": missing_audit, "not the last write": stale}


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))] if values else 0.0


def report(kind: str, clients: int, seconds: float, result: Result, checked: dict, log: Path) -> None:
    print(f"\n== {kind}: {clients} clients, {seconds:.0f} s, gunicorn -w 2; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} ==")  # fmt: skip
    print(f"{'operation':<32} {'requests':>8} {'p50 ms':>7} {'p95':>7} {'p99':>7}  statuses")
    every: list[float] = []
    totals: Counter = Counter()
    for op in [*MIX, BEFORE]:
        times = result.latencies.get(op, [])
        every += times
        totals.update(result.statuses[op])
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(result.statuses[op].items()))
        print(f"{op:<32} {len(times):>8} {percentile(times, 50):>7.0f} {percentile(times, 95):>7.0f} "
              f"{percentile(times, 99):>7.0f}  {statuses}")  # fmt: skip
    print(f"{'all':<32} {len(every):>8} {percentile(every, 50):>7.0f} {percentile(every, 95):>7.0f} "
          f"{percentile(every, 99):>7.0f}  " + " ".join(f"{s}:{n}" for s, n in sorted(totals.items())))  # fmt: skip
    # 409, or 412 when an If-Match did not match: the API's two ways of saying "edited since"
    same = sum(result.statuses[op][c] for op in SAME for c in (409, 412))
    different = sum(result.statuses[op][c] for op in MIX if op not in SAME for c in (409, 412))
    server_errors = sum(n for s, n in totals.items() if s >= 500)
    logged = log.read_text(errors="replace") if log.exists() else ""
    print(f"requests {len(every)}, {len(every) / seconds:.1f} req/s; 5xx {server_errors}; "
          f"409/412 same record {same}; false conflicts (different records) {different + result.swallowed}: "
          f"409/412 {different}, create forms shown again unsaved {result.swallowed}; "
          f"transport errors {dict(result.errors) or 0}")  # fmt: skip
    print(f"acknowledged writes {len(result.acknowledged)}: " + ", ".join(f"{k} {v}" for k, v in checked.items())
          + f"; server log: {logged.count('Traceback')} tracebacks, {logged.count('database is locked')} "
          f"'database is locked'")  # fmt: skip


def run(kind: str, clients: int, seconds: float, orgs: int, keep: bool) -> None:
    env, password = prepare(kind, orgs, clients)
    try:
        measure(kind, env, password, clients, seconds)
    finally:
        if kind == "postgresql" and not keep:
            postgres_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def measure(kind: str, env: dict, password: str, clients: int, seconds: float) -> None:
    url = env["NETWORK_DATABASE_URL"]
    plan_ = plan(url, clients)
    tokens = make_tokens(env, clients)
    log = WORK / f"{kind}-gunicorn.log"
    process, port = gunicorn("network:create_app()", env, "/login", until_ok=True, stdout=log.open("w"),
                             stderr=subprocess.STDOUT)  # fmt: skip
    result = Result()
    run_id = secrets.token_hex(3)
    try:
        workers = [Client(i, port, tokens[i], password, plan_, run_id, result) for i in range(clients)]
        for client in workers:
            client.log_in()
        print(f"{kind}: {clients} clients logged in; running {seconds:.0f} s …", flush=True)
        started = time.time()
        threads = [threading.Thread(target=c.run_until, args=(started + seconds,)) for c in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.time() - started
    finally:
        stop(process)
    report(kind, clients, elapsed, result, check(url, result.acknowledged, plan_), log)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--orgs", type=int, default=2000, help="demo organisations to seed")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    options = parser.parse_args()
    if options.clients < 1 or not 0 < options.seconds <= 3600:
        parser.error("--clients must be at least 1 and --seconds between 0 and 3600")
    for kind in ["sqlite", "postgresql"] if options.database == "both" else [options.database]:
        run(kind, options.clients, options.seconds, options.orgs, options.keep)


if __name__ == "__main__":
    main()
