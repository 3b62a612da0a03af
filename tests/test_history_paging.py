"""History tabs, the audit log, notices and the import log are paged by cursor (issue #13): following
the "Older" links reaches every row exactly once, filters are kept, a bad cursor gives the first
page; and a page does not grow with the log: the same statements, each reading its index in order
(SQLite: no full scan, no sort; PostgreSQL: the rows each plan node actually read stay bounded)."""

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import event, insert, text

from network import paging
from network.extensions import db
from network.models import AuditEvent, ImportJob, Notification, utcnow
from network.paging import PER_PAGE

PAGED_TABLES = ("audit_events", "notifications", "import_jobs")


def ids_on(html: str, testid: str) -> list[int]:
    return [int(i) for i in re.findall(rf'data-testid="{testid}" data-id="(\d+)"', html)]


def older_link(html: str) -> str | None:
    found = re.search(r'<a class="page-link" href="([^"]+)" rel="next" data-testid="older-page"', html)
    return unescape(found.group(1)) if found else None


def walk(client, url: str, testid: str) -> tuple[list[int], list[str]]:
    """Every row shown following the Older links from url, and the urls visited."""
    shown, visited = [], []
    while url:
        visited.append(url)
        html = client.get(url).get_data(as_text=True)
        shown += ids_on(html, testid)
        url = older_link(html)
        assert len(visited) < 100
    return shown, visited


def add_audit_rows(count: int, *, start=None, same_time_every: int = 1, **values) -> None:
    """Bulk audit rows (one executemany), oldest first; groups of same_time_every rows share a time
    (the cursor must tell them apart by id)."""
    start = start or utcnow() - timedelta(days=10)
    base = {"action": "update", "entity_type": "people", "entity_id": 999_999, "changes": {"name": ["a", "b"]}}
    rows = [{**base, "at": start + timedelta(seconds=i // same_time_every), **values} for i in range(count)]
    db.session.execute(insert(AuditEvent), rows)
    db.session.commit()


# ------------------------------------------------------------------------------------------- paging


def test_audit_actor_choices_are_the_users_in_the_trail(world, db_session):
    """The actor filter offers every user with a row in the trail, by name, and no one else; rows
    without an actor (the system's) and the gaps between user ids are stepped over."""
    from network.services import history

    users = world.users
    admin = users["admin"]
    db_session.execute(db.delete(AuditEvent))
    add_audit_rows(5)  # no actor
    add_audit_rows(3, actor_id=users["member_b"].id)
    add_audit_rows(2, actor_id=users["coordinator_y"].id)
    add_audit_rows(1, actor_id=users["member_b"].id)
    assert [u.name for u in history.audit_actors(admin)] == sorted(
        [users["coordinator_y"].name, users["member_b"].name]
    )

    db_session.execute(db.delete(AuditEvent))
    add_audit_rows(4)
    assert history.audit_actors(admin) == []


def test_audit_log_pages_reach_every_event_once_with_filters_kept(world, client_as, db_session):
    coordinator, member = world.users["coordinator_x"], world.users["member_a"]
    add_audit_rows(130, same_time_every=7, actor_id=coordinator.id)  # page ends fall inside equal times
    add_audit_rows(40, actor_id=member.id)
    admin = client_as("admin")

    shown, visited = walk(admin, f"/admin/audit?actor={coordinator.id}", "history-event")
    expected = db_session.scalars(
        db.select(AuditEvent.id)
        .where(AuditEvent.actor_id == coordinator.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    assert shown == expected and len(shown) == 130  # each once, newest first
    assert len(visited) == 3 and all(f"actor={coordinator.id}" in url for url in visited)

    everything, _ = walk(admin, "/admin/audit", "history-event")
    assert sorted(everything) == sorted(db_session.scalars(db.select(AuditEvent.id)).all())
    html = admin.get(visited[1]).get_data(as_text=True)
    newest = re.search(r'href="([^"]+)" data-testid="newest-page"', html)
    assert newest and "before=" not in newest.group(1) and f"actor={coordinator.id}" in unescape(newest.group(1))
    assert 'data-testid="newest-page"' not in admin.get("/admin/audit").get_data(as_text=True)


def test_history_tab_pages(world, client_as, db_session):
    org_id = world.org_a.id
    add_audit_rows(120, entity_type="organizations", entity_id=org_id, same_time_every=3)
    add_audit_rows(80, entity_type="organizations", entity_id=world.org_b.id)  # another organisation's
    shown, visited = walk(client_as("coordinator_x"), "/organizations/org-a/history", "history-event")
    mine = db_session.scalars(
        db.select(AuditEvent.id).where(AuditEvent.entity_type == "organizations", AuditEvent.entity_id == org_id)
    ).all()
    others = db_session.scalars(db.select(AuditEvent.id).where(AuditEvent.entity_id == world.org_b.id)).all()
    assert len(visited) == 3 and len(shown) == len(set(shown)) and set(shown) >= set(mine)
    assert not set(shown) & set(others)


def test_notices_and_import_log_pages(world, client_as, db_session):
    member, other = world.users["member_a"], world.users["member_b"]
    start = utcnow() - timedelta(days=3)
    notice = {"kind": "participant_left", "params": {"org": "Org", "title": "Plan"}, "link": "/"}
    db.session.execute(insert(Notification), [
        {**notice, "user_id": u.id, "created_at": start + timedelta(seconds=i // 4)} for i in range(75) for u in (member, other)
    ])  # fmt: skip
    coordinator = world.users["coordinator_x"]
    job = {"filename": "orgs.csv", "status": "committed", "counts": {}, "details": {}}
    db.session.execute(insert(ImportJob), [{**job, "user_id": u.id} for _ in range(60) for u in (coordinator, other)])
    db.session.commit()

    shown, visited = walk(client_as("member_a"), "/notifications", "notice")
    own = db_session.scalars(db.select(Notification.id).where(Notification.user_id == member.id)).all()
    assert sorted(shown) == sorted(own) and len(shown) == 75 and len(visited) == 2

    shown, visited = walk(client_as("coordinator_x"), "/imports", "import-job")
    own = db_session.scalars(db.select(ImportJob.id).where(ImportJob.user_id == coordinator.id)).all()
    assert shown == sorted(own, reverse=True) and len(visited) == 2


BAD_CURSORS = ["abc", "1.2.3", "99999999999999999999999999.1", "-5.3", "1.", ".7", "１２.３", "1" * 41, "%00"]


@pytest.mark.parametrize("path", ["/admin/audit", "/organizations/org-a/history", "/notifications", "/imports"])
def test_a_bad_cursor_gives_the_first_page(world, client_as, db_session, path):
    add_audit_rows(60, entity_type="organizations", entity_id=world.org_a.id)
    role = {"/notifications": "member_a", "/imports": "coordinator_x"}.get(path, "admin")
    client = client_as(role)
    first = client.get(path).get_data(as_text=True)
    for cursor in BAD_CURSORS:
        response = client.get(f"{path}?before={cursor}")
        assert response.status_code == 200, cursor
        assert older_link(response.get_data(as_text=True)) == older_link(first), cursor


# ------------------------------------------------------------------------------ not growing with N


def page_statements(client, path: str) -> list[tuple[str, object]]:
    client.get(path)  # brings in-memory indexes up to date: the page's own statements are the next request's
    db.session.expire_all()
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def read_from_paged_tables(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("SELECT", "WITH")) and any(
        re.search(rf"\bFROM {t}\b|\bJOIN {t}\b", statement) for t in PAGED_TABLES
    )


def check_plan(statement: str, parameters, *, sorted_ok: bool) -> None:
    """The statement reads an index of the paged tables and stops: never a full scan (SQLite) and
    never more than a few pages of rows per plan node (PostgreSQL, measured with EXPLAIN ANALYZE)."""
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics, and no index entries of rows earlier tests deleted (they would count as read).
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
            for table in PAGED_TABLES:
                admin.exec_driver_sql(f"VACUUM ANALYZE {table}")
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        plan = "\n".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
        for table in PAGED_TABLES:
            assert not re.search(rf"SCAN {table}(?! USING)", plan), plan
        ordered = re.search(r"ORDER BY (audit_events|notifications|import_jobs)\.", statement)
        # Read in (at, id) order: no sort of what was found. The actor choices (WITH RECURSIVE)
        # step through the actor index in order and sort users, not the log.
        if ordered and not sorted_ok and not statement.lstrip().startswith("WITH RECURSIVE"):
            assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
        return
    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()
    nodes = [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes += node.get("Plans", [])
        on_paged = node.get("Relation Name") in PAGED_TABLES or str(node.get("Index Name", "")).startswith(
            ("ix_audit_events", "ix_notifications", "ix_import_jobs", "audit_events", "notifications", "import_jobs")
        )
        if on_paged:
            read = node["Actual Rows"] * node["Actual Loops"] + node.get("Rows Removed by Filter", 0)
            assert read <= 4 * (PER_PAGE + 1), (node["Node Type"], read, statement, json.dumps(plan))


CASES = {
    # path, role, may sort (several records' events merged: a sort of that record's own events only)
    "audit log": ("/admin/audit", "admin", False),
    "audit log by actor": ("/admin/audit?actor={coordinator}", "admin", False),
    "audit log by kind": ("/admin/audit?entity=partnerships", "admin", False),
    "audit log by change": ("/admin/audit?action=merge", "admin", False),
    "audit log, an older page": ("/admin/audit?actor={coordinator}&before={cursor}", "admin", False),
    "audit log by date": ("/admin/audit?since=2020-01-01&until=2020-01-02", "admin", False),
    "organisation history": ("/organizations/org-a/history", "coordinator_x", True),
    "partnership history": ("/partnerships/{partnership}/history", "member_a", False),
    "notices": ("/notifications", "member_a", False),
    "notices, an older page": ("/notifications?before={cursor}", "member_a", False),
    "import log": ("/imports", "coordinator_x", False),
}


@pytest.mark.parametrize("case", CASES)
def test_pages_do_not_grow_with_the_logs(world, client_as, db_session, case):
    from network.services import partnerships

    partnership = partnerships.create_partnership(
        world.users["member_a"], world.org_a, {"partner": "org-b", "kind": "funding"}
    )
    db_session.commit()
    path, role, sorted_ok = CASES[case]
    # A cursor between the rows added first (two days old) and the thousands added after (one day old).
    cursor = paging.encode(utcnow() - timedelta(hours=36), 2**62)
    path = path.format(coordinator=world.users["coordinator_x"].id, partnership=partnership.id, cursor=cursor)
    client = client_as(role)
    member, coordinator, other = world.users["member_a"], world.users["coordinator_x"], world.users["member_b"]

    def add(count: int, start) -> None:
        # Rows of every kind the pages read, nearly all unrelated to the page (others' records and notices).
        add_audit_rows(count, start=start, actor_id=other.id)
        add_audit_rows(count // 10, start=start, actor_id=coordinator.id, entity_type="partnerships")
        notice = {"kind": "participant_left", "params": {"org": "O", "title": "T"}, "created_at": start}
        db.session.execute(insert(Notification), [{**notice, "user_id": other.id} for _ in range(count)])
        db.session.execute(insert(Notification), [{**notice, "user_id": member.id} for _ in range(count // 10)])
        job = {"filename": "x.csv", "status": "committed", "counts": {}, "details": {}}
        db.session.execute(insert(ImportJob), [{**job, "user_id": other.id} for _ in range(count)])
        db.session.execute(insert(ImportJob), [{**job, "user_id": coordinator.id} for _ in range(count // 10)])
        db.session.commit()

    add(60, utcnow() - timedelta(days=2))
    few = page_statements(client, path)
    add(5_000, utcnow() - timedelta(days=1))
    many = page_statements(client, path)
    assert len(many) == len(few), [s for s, _ in many]
    paged = [(s, p) for s, p in many if read_from_paged_tables(s)]
    assert paged
    for statement, parameters in paged:
        check_plan(statement, parameters, sorted_ok=sorted_ok)


def test_the_unread_badge_counts_at_most_a_hundred(world, client_as, db_session):
    member = world.users["member_a"]
    notice = {"kind": "participant_left", "params": {"org": "O", "title": "T"}, "user_id": member.id}
    db.session.execute(insert(Notification), [notice] * 150)
    db.session.commit()
    client = client_as("member_a")
    html = client.get("/notifications").get_data(as_text=True)
    assert re.search(r'data-testid="unread-count">99\+<', html)
    statements = [s for s, _ in page_statements(client, "/notifications") if "count(" in s.lower()]
    assert statements and all("LIMIT" in s.upper() for s in statements)
    db.session.execute(text("UPDATE notifications SET read_at = created_at WHERE id > 10"))
    db.session.commit()
    assert 'data-testid="unread-count">10<' in client.get("/notifications").get_data(as_text=True)
