"""The facet index patched from the search_changes log equals a fresh full rebuild."""

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from network.extensions import db
from network.models import Membership, Organization
from network.services import search
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


def snapshot(ix: facets.FacetIndex) -> dict:
    ids = ix.ids
    return {
        "ids": ids.tolist(),
        "kind": ix.kind.tolist(),
        "founded": ix.founded.tolist(),
        "name_rank": ix.name_rank.tolist(),
        "updated_rank": ix.updated_rank.tolist(),
        "folded_names": ix.folded_names,
        "exact": {k: sorted(int(ids[p]) for p in v) for k, v in ix.exact.items()},
        "vocabulary": ix.vocabulary,
        "sets": {name: members(b, ids) for name, b in facets._bitsets_of(ix).items()},
    }


def facet_counts() -> dict:
    result = search.search_organizations(None, search.parse_search_params(MultiDict({})))
    return {"total": result.total, "facets": result.facets, "names": [o.name for o in result.items]}


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
    conn = db.session.connection()
    patched = facets.current_index(conn)
    assert patched.generation == index.read_generation(conn)
    assert snapshot(patched) == snapshot(full_build(conn, patched.generation))


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
        assert world.orgs[1].id in seen.ids.tolist() and world.orgs[0].id not in seen.ids.tolist()


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
