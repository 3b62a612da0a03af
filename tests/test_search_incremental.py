"""The facet index patched from the search_changes log answers what a fresh full rebuild answers."""

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from network.extensions import db
from network.models import Membership, Organization
from network.services import archiving, search
from network.services.duplicates import merge_organizations
from network.services.search import facets, index
from tests import factories

COUNTRIES = ["KE", "CN", "BR", "IN", "FR", "US"]
THEMES = ["transport", "energy-transition", "cities", "health"]
KINDS = ["ngo", "company", "network"]
STATUSES = ["active", "applicant", "suspended"]
full_build = facets.build  # the comparisons' rebuilds, not counted by the `builds` fixture


def members(bitsets: facets.Bitsets, ids: np.ndarray) -> set[tuple[int, int]]:
    """(value, organisation id) for every set bit."""
    found = set()
    for row, value in enumerate(bitsets.values.tolist()):
        bits = np.unpackbits(bitsets.bits[row].view(np.uint8), bitorder="little", count=bitsets.size)
        found |= {(value, int(ids[p])) for p in np.flatnonzero(bits)}
    return found


def live_ids(ix: facets.FacetIndex) -> list[int]:
    return sorted(ix.ids[ix.live].tolist())


def snapshot(ix: facets.FacetIndex) -> dict:
    """What the index holds, by organisation id: a patched index has other slots than a rebuilt one
    (dead ones, and new ones at the end), so slots are not compared; dead ones hold nothing."""
    ids, live = ix.ids, np.flatnonzero(ix.live)

    def by_id(values) -> dict:
        return {int(ids[p]): values[p] for p in live}

    return {
        "ids": live_ids(ix),
        "kind": by_id(ix.kind.tolist()),
        "founded": by_id(ix.founded.tolist()),
        "name_order": ids[live[np.argsort(ix.name_rank[live])]].tolist(),
        "updated_order": ids[live[np.argsort(ix.updated_rank[live])]].tolist(),
        "folded_names": by_id(ix.folded_names),
        "exact": {k: sorted(int(ids[p]) for p in v) for k, v in ix.exact.items()},
        "vocabulary": ix.vocabulary,
        "sets": {name: members(b, ids) for name, b in facets._bitsets_of(ix).items()},
    }


def facet_counts() -> dict:
    result = search.search_organizations(None, search.parse_search_params(MultiDict({})))
    return {"total": result.total, "facets": result.facets, "names": [o.name for o in result.items]}


SEARCHES = [
    {}, {"sort": "updated"}, {"sort": "name", "per_page": "2", "page": "2"}, {"q": "green"},
    {"q": "org", "sort": "relevance"}, {"q": "edf"}, {"q": "gren"}, {"q": "renamed", "kind": "company"},
    {"country": "KE"}, {"region": "142", "match": "operation"}, {"theme": "health"},
    {"status": "active"}, {"founded_from": "1950", "founded_to": "1969"}, {"kind": "network", "theme": "cities"},
]  # fmt: skip


def answers() -> list[tuple]:
    found = []
    for args in SEARCHES:
        r = search.search_organizations(None, search.parse_search_params(MultiDict(args)))
        found.append((r.total, r.facets, [o.id for o in r.items], r.suggestions, r.similar_names, r.relax))
    return found


@pytest.fixture(autouse=True)
def no_compaction(monkeypatch):
    """A few dead slots are a large share of these small indexes: compaction has its own test."""
    monkeypatch.setattr(facets, "MAX_DEAD", 1.0)


@pytest.fixture
def builds(monkeypatch):
    """Counts full rebuilds (the patch path must not need one)."""
    calls = []
    real = facets.build

    def counted(conn, generation):
        calls.append(generation)
        return real(conn, generation)

    monkeypatch.setattr(facets, "build", counted)
    return calls


def assert_patched_equals_rebuilt():
    """The same contents, and the same answers to a mix of searches (totals, facets, orders, exact
    names, similar names, did-you-mean) as when a fresh index is swapped in for a moment."""
    conn = db.session.connection()
    patched = facets.current_index(conn)
    assert patched.generation == index.read_generation(conn)
    rebuilt = full_build(conn, patched.generation)
    assert snapshot(patched) == snapshot(rebuilt)
    (key,) = [k for k, v in facets._cache.items() if v is patched]
    expected = answers()
    facets._cache[key] = rebuilt
    try:
        assert answers() == expected
    finally:
        facets._cache[key] = patched


def commit_and_check():
    db.session.commit()
    assert_patched_equals_rebuilt()


class World:
    def __init__(self):
        self.nodes = [factories.network("Root")]
        self.nodes.append(factories.network("Child", parent=self.nodes[0]))
        self.nodes.append(factories.network("Other"))
        self.orgs = [factories.organization(country="KE", themes=["health"], networks=[self.nodes[1]])]
        db.session.commit()

    def apply(self, step: tuple) -> None:
        action, a, b = step
        live = [o for o in self.orgs if o.archived_at is None and o.merged_into_id is None]
        org = self.orgs[a % len(self.orgs)]
        if action == "create":
            self.orgs.append(
                factories.organization(
                    f"{['Green', 'Clean', 'Solar'][a % 3]} Org {len(self.orgs)}",
                    country=COUNTRIES[a % len(COUNTRIES)],
                    kind=KINDS[b % len(KINDS)],
                    themes=THEMES[: b % 3],
                    countries=COUNTRIES[b % 2 : b % 2 + a % 3],
                    acronym=[None, "EDF", f"Green Org {len(self.orgs)}"][b % 3],
                )
            )
        elif action == "country":
            org.hq_country = factories.region(COUNTRIES[b % len(COUNTRIES)])
            org.countries = [factories.region(c) for c in COUNTRIES[a % 3 : a % 3 + b % 3]]
        elif action == "themes":
            org.themes = [factories.theme(t) for t in THEMES[b % 4 : b % 4 + 2]]
        elif action == "kind":
            org.kind = KINDS[b % len(KINDS)]
            org.name = f"Renamed {b} {org.id}"
            org.acronym = ["EDF", None, org.name][a % 3]  # the same as the name: one exact entry
        elif action == "founded":
            org.founded = 1950 + b if b % 3 else None
        elif action == "join" and self.nodes[b % len(self.nodes)] not in {m.network for m in org.memberships}:
            factories.membership(org, self.nodes[b % len(self.nodes)], status=STATUSES[a % len(STATUSES)])
        elif action == "membership" and org.memberships:
            m = org.memberships[b % len(org.memberships)]
            m.status = STATUSES[b % len(STATUSES)]
            if self.nodes[a % len(self.nodes)] not in {m.network for m in org.memberships}:
                m.network = self.nodes[a % len(self.nodes)]
        elif action == "archive":
            org.archived_at = datetime.now(UTC)
        elif action == "restore":
            org.archived_at = None
        elif action == "merge" and len(live) >= 2:
            duplicate, survivor = live[a % len(live)], live[b % len(live)]
            if duplicate is not survivor:
                for m in list(duplicate.memberships):
                    if m.network not in {s.network for s in survivor.memberships}:
                        m.organization = survivor
                survivor.themes = list({*survivor.themes, *duplicate.themes})
                duplicate.merged_into_id = survivor.id
        db.session.flush()


STEPS = st.tuples(
    st.sampled_from(
        ["create", "country", "themes", "kind", "founded", "join", "membership", "archive", "restore", "merge"]
    ),
    st.integers(0, 20),
    st.integers(0, 20),
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(steps=st.lists(st.lists(STEPS, min_size=1, max_size=3), min_size=1, max_size=5))
def test_random_writes_patch_to_what_a_rebuild_gives(app, builds, steps):
    world = World()
    facets.current_index(db.session.connection())
    builds.clear()
    for transaction in steps:
        for step in transaction:
            world.apply(step)
        before = facet_counts()
        commit_and_check()
        assert facet_counts() == before
    assert builds == []  # every refresh was a patch


def test_a_second_worker_patches_its_own_index_from_committed_changes(app, builds, monkeypatch):
    world = World()
    worker_a, worker_b = {}, {}
    with db.engine.connect() as conn:
        monkeypatch.setattr(facets, "_cache", worker_b)
        facets.current_index(conn)
    monkeypatch.setattr(facets, "_cache", worker_a)
    for step in [("create", 1, 2), ("country", 0, 3), ("join", 1, 1), ("archive", 0, 0)]:
        world.apply(step)
    db.session.commit()
    facets.current_index(db.session.connection())
    builds.clear()
    with db.engine.connect() as conn:
        monkeypatch.setattr(facets, "_cache", worker_b)
        seen = facets.current_index(conn)
        assert builds == []
        assert snapshot(seen) == snapshot(full_build(conn, seen.generation))
        assert world.orgs[1].id in live_ids(seen) and world.orgs[0].id not in live_ids(seen)


def test_a_search_in_the_writing_transaction_sees_its_writes_and_not_after_rollback(app):
    world = World()
    org = world.orgs[0]
    assert facet_counts()["facets"]["kind"] == facet_counts()["facets"]["kind"]
    before = facet_counts()
    org.kind = "company"
    org.name = "Uncommitted Name"
    db.session.flush()
    during = facet_counts()
    assert during["names"] == ["Uncommitted Name"] and during != before
    assert_patched_equals_rebuilt()
    db.session.rollback()
    assert facet_counts() == before
    assert_patched_equals_rebuilt()


def test_large_change_sets_and_other_changes_rebuild_in_full(app, builds, monkeypatch):
    world = World()
    facets.current_index(db.session.connection())
    monkeypatch.setattr(facets, "MAX_PATCHED", 2)
    for n in range(3):
        world.apply(("create", n, n))
    builds.clear()
    commit_and_check()
    assert len(builds) == 1
    # A network change can move any organisation's facets: logged as "everything".
    builds.clear()
    world.nodes[2].name = "Renamed node"
    commit_and_check()
    assert len(builds) == 1
    builds.clear()
    world.apply(("kind", 0, 1))
    commit_and_check()
    assert builds == []  # back to patching


def test_the_log_is_pruned_and_a_worker_further_behind_rebuilds(app, builds, monkeypatch):
    world = World()
    monkeypatch.setattr(index, "KEEP_GENERATIONS", 3)
    monkeypatch.setattr(index, "PRUNE_EVERY", 1)
    facets.current_index(db.session.connection())
    builds.clear()
    generations = []
    for n in range(8):
        world.apply(("founded", 0, n + 1))
        db.session.commit()
        generations.append(index.read_generation(db.session.connection()))
    assert generations == sorted(generations)  # the sequence part orders them
    logged = db.session.execute(text("SELECT DISTINCT generation FROM search_changes")).scalars().all()
    assert len(logged) <= 4
    commit_and_check()
    assert len(builds) == 1  # the cached index's generation was pruned: rebuilt


def test_changes_are_logged_per_organisation_in_the_writing_transaction(app):
    world = World()
    org = world.orgs[0]
    org.founded = 1999
    db.session.flush()
    generation = index.read_generation(db.session.connection())
    rows = db.session.execute(
        text("SELECT organization_id FROM search_changes WHERE generation = :g"), {"g": generation}
    ).all()
    assert rows == [(org.id,)]
    moved = Membership(organization=org, network=world.nodes[2], status="active")
    db.session.add(moved)
    db.session.flush()
    other = factories.organization("Other Org")
    moved.organization = other
    db.session.flush()
    generation = index.read_generation(db.session.connection())
    rows = db.session.execute(
        text("SELECT organization_id FROM search_changes WHERE generation = :g ORDER BY 1"), {"g": generation}
    ).all()
    assert rows == sorted([(org.id,), (other.id,)])
    assert db.session.get(Organization, org.id) is org


def test_an_acronym_equal_to_the_name_is_patched_like_a_rebuild(app, builds):
    world = World()
    org = factories.organization("EDF", acronym="EDF")
    commit_and_check()
    builds.clear()
    org.founded = 1946
    world.apply(("archive", 0, 0))  # and another organisation leaves: positions shift
    commit_and_check()
    org.name = "Electricite de France"
    commit_and_check()
    assert builds == []
    assert search.search_organizations(None, search.parse_search_params(MultiDict({"q": "EDF"}))).total == 1


def slots(ix: facets.FacetIndex) -> dict[int, int]:
    return {int(i): p for p, i in enumerate(ix.ids.tolist())}


def test_archive_restore_and_merge_keep_every_slot(app, builds):
    """Shifting writes are patched without moving any organisation: the bit sets are not re-laid."""
    admin = factories.user("admin")
    world = World()
    for n in range(6):
        world.apply(("create", n, n))
    long_archived = factories.organization("Long Archived", themes=["cities"])
    long_archived.archived_at = datetime.now(UTC)
    db.session.commit()
    conn = db.session.connection()
    before = facets.current_index(conn)
    builds.clear()
    first, second, third = world.orgs[1], world.orgs[2], world.orgs[3]

    def check(live: set[int], dead: set[int]):
        db.session.commit()
        assert_patched_equals_rebuilt()
        now = facets.current_index(db.session.connection())
        assert {i: p for i, p in slots(now).items() if p < before.size} == slots(before)
        assert live <= set(live_ids(now)) and not dead & set(live_ids(now))
        assert not dead - set(slots(now))  # a dead organisation keeps its slot
        assert builds == []

    archiving.archive(admin, first)
    check(set(), {first.id})
    archiving.restore(admin, first)
    check({first.id}, set())
    merge_organizations(admin, second, third, choices={}, survivor_version=second.version,
                        duplicate_version=third.version)  # fmt: skip
    check({second.id}, {third.id})
    archiving.restore(admin, long_archived)  # archived before the index was built: appended
    check({long_archived.id}, {third.id})
    assert slots(facets.current_index(db.session.connection()))[long_archived.id] == before.size
    world.apply(("create", 1, 2))
    archiving.archive(admin, second)
    archiving.restore(admin, first) if first.archived_at else archiving.archive(admin, first)
    check({world.orgs[-1].id}, {first.id, second.id, third.id})
    assert search.search_organizations(None, search.parse_search_params(MultiDict({"q": "Long Archived"}))).total == 1


def test_dead_slots_beyond_the_limit_are_compacted_by_a_rebuild(app, builds, monkeypatch):
    monkeypatch.setattr(facets, "MAX_DEAD", 0.25)
    world = World()
    for n in range(7):
        world.apply(("create", n, n))
    commit_and_check()
    builds.clear()
    world.apply(("archive", 1, 0))
    world.apply(("archive", 2, 0))
    commit_and_check()  # 2 dead of 8: patched
    assert builds == [] and facets.current_index(db.session.connection()).dead == 2
    world.apply(("archive", 3, 0))
    commit_and_check()  # still patched from an index under the limit
    assert builds == [] and facets.current_index(db.session.connection()).dead == 3
    world.apply(("founded", 4, 7))
    commit_and_check()  # 3 dead of 8: compacted
    assert len(builds) == 1 and facets.current_index(db.session.connection()).dead == 0


def test_slots_of_ids_by_table_and_by_binary_search_agree_after_patches(app, db_session):
    """found() reads a table of slots by id when ids are dense (and binary search otherwise): both give
    each id's slot, none for ids it never held, below 1 or past the largest, also in a patched index."""

    def check(ix: facets.FacetIndex) -> None:
        slot = {int(i): s for s, i in enumerate(ix.ids.tolist())}
        asked = np.array([0, -5, 10**9, *slot, max(slot) + 1, *slot][::-1], dtype=np.int64)
        expected_hit = np.array([int(i) in slot for i in asked])
        expected_slots = np.array([slot[int(i)] for i in asked if int(i) in slot], dtype=np.int64)
        by_table = ix.found(asked)
        assert ix.slot_table is not None
        sparse = facets.FacetIndex(**{**ix.__dict__, "slot_table": None})
        sparse._slots_by_id = lambda: None  # as for ids too sparse for a table
        for hit, slots in (by_table, sparse.found(asked)):
            assert hit.tolist() == expected_hit.tolist() and slots.tolist() == expected_slots.tolist()

    orgs = [factories.organization(country="KE") for _ in range(5)]
    db.session.commit()
    conn = db.session.connection()
    check(facets.current_index(conn))
    archiving.archive(factories.SETUP, orgs[0])
    factories.organization(country="CN")  # a new id past the old table
    db.session.commit()
    patched = facets.current_index(db.session.connection())
    assert len(patched.ids) == 6  # the new id appended
    check(patched)
