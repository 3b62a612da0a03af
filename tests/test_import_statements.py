"""The importer's SQL does not grow with the rows: new rows go in with batched INSERTs (their audit
rows and search documents too), and rows matching stored records are compared with values read for
the whole batch, not with five queries per row."""

import pytest
from sqlalchemy import func, select

from network.extensions import db
from network.models import AuditEvent, Membership, Organization
from network.services import search
from network.services.importing import ImportOptions, record_job, undo_import, write_import
from tests import factories as f


@pytest.fixture
def admin(app):
    return f.user("admin")


@pytest.fixture
def node(app):
    return f.network("CAN Kenya", slug="can-kenya")


def members(tmp_path, n: int, description: str = "Works on water") -> object:
    lines = ["name,country,themes,countries_of_operation,identifier,description"]
    lines += [f"Water Alliance {i},KE,water;energy-transition,KE;UG,KE-NGO-{1000 + i},{description}" for i in range(n)]
    path = tmp_path / f"members-{n}-{len(description)}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def statements_of(count_queries, admin, node, path) -> tuple[int, object]:
    db.session.expire_all()
    with count_queries() as statements:
        result = write_import(admin, path, path.name, ImportOptions(node=node, write=True))
    db.session.commit()
    return len(statements), result


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def renamed(path, name: str, scheme: str):
    out = path.with_name(f"{name}-{path.name}")
    out.write_text(path.read_text().replace("Water Alliance", name).replace("KE-NGO", scheme), encoding="utf-8")
    return out


def test_new_rows_are_written_in_batches(tmp_path, admin, node, count_queries):
    write_import(admin, members(tmp_path, 5), "first.csv", ImportOptions(node=node, write=True))  # records to match
    db.session.commit()
    assert search.search_organizations(admin, search.SearchParams(country=["KE"])).total == 5  # index in memory
    few, _ = statements_of(count_queries, admin, node, renamed(members(tmp_path, 20), "Forest Fund", "KE-FF"))
    assert search.search_organizations(admin, search.SearchParams(country=["KE"])).total == 25
    many, result = statements_of(count_queries, admin, node, renamed(members(tmp_path, 320), "River Trust", "KE-RT"))

    assert result.counts["new"] == 320
    assert many == few  # 16 times the rows, not one more statement
    # Still everything a single create writes: audit rows, memberships, search documents.
    assert count(Organization) == 345 and count(Membership) == 345
    assert count(AuditEvent, AuditEvent.entity_type == "organizations", AuditEvent.action == "create") == 345
    assert count(AuditEvent, AuditEvent.entity_type == "memberships", AuditEvent.action == "create") == 345
    found = search.search_organizations(admin, search.SearchParams(q="River Trust 319"))
    assert "River Trust 319" in [o.name for o in found.items]
    assert search.search_organizations(admin, search.SearchParams(country=["KE"])).total == 345


def test_rows_matching_stored_records_are_compared_in_batches(tmp_path, admin, node, count_queries):
    write_import(admin, members(tmp_path, 300), "all.csv", ImportOptions(node=node, write=True))
    db.session.commit()

    few, _ = statements_of(count_queries, admin, node, members(tmp_path, 20))
    many, result = statements_of(count_queries, admin, node, members(tmp_path, 300))

    assert result.counts["unchanged"] == 300
    assert many == few  # 15 times the rows matched and compared, the same statements

    # Changed descriptions: bulk UPDATEs checking versions, and every record audited with its diff.
    few, _ = statements_of(count_queries, admin, node, members(tmp_path, 20, "Works on lakes"))
    many, result = statements_of(count_queries, admin, node, members(tmp_path, 300, "Works on rivers"))
    assert result.counts["updated"] == 300
    assert many == few
    updates = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "organizations", AuditEvent.action == "update")
        .order_by(AuditEvent.id.desc()).limit(300)
    ).all()  # fmt: skip
    assert {e.actor_id for e in updates} == {admin.id}
    assert sorted(e.changes["description"][0] for e in updates) == ["Works on lakes"] * 20 + ["Works on water"] * 280
    assert {tuple(e.changes) for e in updates} == {("description",)}
    assert {e.changes["description"][1] for e in updates} == {"Works on rivers"}
    versions = dict(db.session.execute(select(Organization.name, Organization.version)).all())
    assert versions["Water Alliance 0"] == 3 and versions["Water Alliance 299"] == 2
    found = search.search_organizations(admin, search.SearchParams(q="rivers"))
    assert found.total == 300

    # Undone: the descriptions as they were, through the ORM and its audit hook.
    job = record_job(admin, "rivers.csv", result, node, tmp_path / "rivers.csv")
    undo_import(admin, job)
    db.session.commit()
    descriptions = dict(db.session.execute(select(Organization.name, Organization.description)).all())
    assert descriptions["Water Alliance 0"] == "Works on lakes"
    assert descriptions["Water Alliance 299"] == "Works on water"
