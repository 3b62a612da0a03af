"""The home page does not grow with the data: its statements and the rows its latest changes read
stay the same however long the audit log and the directory; its figures and changes stay right."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, text

from network.extensions import db
from network.models import AuditEvent, utcnow
from network.models.audit import PUBLIC_ENTITY_TYPES
from network.services import overview
from tests import factories as f
from tests.conftest import login

PRIVATE_TYPES = ("people", "users", "api_tokens", "change_requests", "activities")


def add_audit_rows(public: int, private: int, *, entity_id: int = 1) -> None:
    """Bulk audit rows, oldest first, public and private interleaved (then the private ones last)."""
    start = utcnow() - timedelta(days=30)
    rows = [
        {"at": start + timedelta(seconds=i), "action": "update", "entity_id": entity_id, "changes": {"name": ["a", "b"]},
         "entity_type": PUBLIC_ENTITY_TYPES[i % 3] if i < public else PRIVATE_TYPES[i % len(PRIVATE_TYPES)]}
        for i in range(public + private)
    ]  # fmt: skip
    db.session.execute(insert(AuditEvent), rows)
    db.session.commit()


def warm_count(client, count_queries, path: str) -> int:
    # The first request after a write brings this process's in-memory facet indexes up to date
    # (the directory's own cost, paid by whichever page asks first); the page's statements are the next.
    client.get(path)
    return count_queries.get(client, path)


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_home_statements_do_not_grow_with_the_audit_log_or_the_directory(client, db_session, count_queries, role):
    path = "/"  # the overview, for visitors
    if role == "admin":
        login(client, f.user("admin"))
        path = "/overview"  # "/" is the admin's start page (tests/test_start_page.py)
    org = f.organization(country="KE")
    f.project(org)
    db.session.commit()
    add_audit_rows(public=30, private=30, entity_id=org.id)  # the same kinds of change listed both times
    few = warm_count(client, count_queries, path)
    for n in range(30):
        f.organization(country=["IN", "BR", "CN"][n % 3], kind="company" if n % 4 == 0 else "ngo")
    db.session.commit()
    add_audit_rows(public=3_000, private=3_000, entity_id=org.id)
    many = warm_count(client, count_queries, path)
    assert many == few, (few, many)
    client.get("/map.json")
    with count_queries() as statements:
        client.get("/map.json")
    # Only the search generation is read: the figures are kept beside the index they came from.
    assert not [s for s in statements if re.search(r"\b(organizations|regions)\b", s)], statements


def explain(statement: str, parameters) -> str:
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        return "\n".join(str(r[-1]) for r in rows)
    conn.exec_driver_sql("ANALYZE audit_events")
    return "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters).all())


def test_latest_changes_read_the_public_index_backwards_and_stop(app, db_session):
    add_audit_rows(public=5_000, private=15_000)
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "FROM audit_events" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with app.test_request_context():
            overview.recent_changes(limit=10)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(seen) == 1
    plan = explain(*seen[0])
    assert "ix_audit_events_public" in plan, plan
    # No sort: the index is read in id order and the scan stops at the limit.
    assert not re.search(r"TEMP B-TREE|Sort", plan), plan


def test_latest_changes_are_the_newest_public_ones_newest_first(client, db_session):
    f.user("admin", name="Ada Admin")
    org = f.organization("Green Earth")
    f.person(org, name="Private Person")
    db.session.commit()
    add_audit_rows(public=30, private=0, entity_id=org.id)
    # Newer than every public change: private changes only, more of them than the page lists.
    add_audit_rows(public=0, private=25, entity_id=org.id)
    newest_public = db.session.scalars(
        db.select(AuditEvent.id)
        .where(AuditEvent.entity_type.in_(PUBLIC_ENTITY_TYPES))
        .order_by(AuditEvent.id.desc())
        .limit(10)
    ).all()
    with client.application.test_request_context():
        shown = [change.event for change in overview.recent_changes(limit=10)]
    assert [e.id for e in shown] == newest_public
    assert all(e.entity_type in PUBLIC_ENTITY_TYPES for e in shown)

    html = client.get("/").get_data(as_text=True)
    items = re.findall(r'<li class="list-group-item d-flex.*?</li>', html, re.S)
    assert len(items) == 10
    times = re.findall(r'<time datetime="([^"]+)"', "".join(items))
    assert times == sorted(times, reverse=True)
    for word in ("Private Person", "person", "user", "token"):
        assert word not in "".join(items), word
    assert "Ada Admin" not in html  # who changed what is for signed-in users only

    # A new public change comes first at once, for visitors too.
    org.description = "Just changed"
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    first = re.search(r'<li class="list-group-item d-flex.*?</li>', html, re.S).group(0)
    assert "Green Earth" in first and "Updated" in first


def test_home_figures_follow_every_write_at_once(client, db_session):
    def figures() -> dict[str, int]:
        html = client.get("/").get_data(as_text=True)
        return {k: int(v.replace(",", "")) for k, v in re.findall(r'data-count="(\w+)">([\d,]+)<', html)}

    before = figures()
    org = f.organization(country="NP")
    company = f.organization(country="NP", kind="company")
    project = f.project(org)
    db.session.commit()
    after = figures()
    assert after["organizations"] == before["organizations"] + 1
    assert after["companies"] == before["companies"] + 1
    assert after["countries"] == before["countries"] + 1
    assert after["projects"] == before["projects"] + 1
    nepal = client.get("/map.json").get_json()["countries"]["524"]
    assert nepal["count"] == 2

    org.archived_at = utcnow()
    company.archived_at = utcnow()
    project.archived_at = utcnow()
    db.session.commit()
    assert figures() == before
    assert "524" not in client.get("/map.json").get_json()["countries"]


def test_the_public_index_matches_the_model(app, db_session):
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'ix_audit_events_public'")).scalar()
    else:
        sql = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_audit_events_public'")).scalar()
    assert sql is not None
    for entity_type in PUBLIC_ENTITY_TYPES:  # the migration wrote the same list as the model's
        assert f"'{entity_type}'" in sql, entity_type
    assert sql.count("'") == 2 * len(PUBLIC_ENTITY_TYPES)


def test_network_tree_totals_follow_every_write_at_once(client, db_session):
    def totals() -> dict[str, int]:
        html = client.get("/networks").get_data(as_text=True)
        return {k: int(v) for k, v in re.findall(r'data-members="([\w-]+)">(\d+)<', html)}

    root = f.network("CAN International", slug="can-int")
    asia = f.network("CAN South Asia", slug="can-sa", parent=root)
    both = f.organization("In two nodes", networks=[root, asia])
    db.session.commit()
    assert totals() == {"can-int": 1, "can-sa": 1}
    other = f.organization("Second", networks=[asia])
    db.session.commit()
    assert totals() == {"can-int": 2, "can-sa": 2}
    other.memberships[0].status = "lapsed"
    db.session.commit()
    assert totals() == {"can-int": 1, "can-sa": 1}
    both.archived_at = utcnow()
    db.session.commit()
    assert totals() == {"can-int": 0, "can-sa": 0}
