"""The service reads that list where a user may act agree with the rules, node by node.

They filter in SQL by permissions.network_scope before asking the rule of each node, so a node
the scope's SQL left out by mistake would be missing here though the rule allows it.
"""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from network import permissions
from network.extensions import db
from network.models import Network
from network.services import accounts, networks
from tests import factories as f
from tests.conftest import ROLE_NAMES


def user(world, role):
    return None if role == "anonymous" else world.users[role]


@pytest.fixture
def live_nodes(world) -> list[Network]:
    f.network("Node X1a", parent=world.x1)  # a grandchild: covered by coordinator X's node
    f.network("Old node", parent=world.x, archived_at=datetime.now(UTC))  # archived: offered to no one
    f.network("Node Z")  # a root of its own: in no coordinator's scope
    return list(db.session.scalars(select(Network).where(Network.archived_at.is_(None)).order_by(Network.path)))


@pytest.mark.parametrize("role", ROLE_NAMES)
@pytest.mark.parametrize("action", ["organization.create", "organization.import", "initiative.create"])
def test_nodes_for_are_the_live_nodes_the_rule_allows(world, live_nodes, role, action):
    actor = user(world, role)
    assert networks.nodes_for(actor, action) == [n for n in live_nodes if permissions.can(actor, action, n)]
    assert len(networks.nodes_for(world.users["admin"], action)) == len(live_nodes) > 4


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_nodes_to_join_are_the_nodes_the_rule_allows_where_it_is_not_a_member(world, live_nodes, role):
    actor = user(world, role)
    loose = f.organization("Firm C", kind="company")  # in no node: any coordinator may add it
    for org in (world.org_a, world.org_b, loose):
        taken = {m.network_id for m in org.memberships}
        expected = [
            n for n in live_nodes
            if n.id not in taken and permissions.can(actor, "membership.add", SimpleNamespace(network=n, organization=org))
        ]  # fmt: skip
        assert networks.nodes_to_join(actor, org) == expected


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_grantable_networks_are_the_nodes_in_scope(world, live_nodes, role):
    actor = user(world, role)
    scope = permissions.network_scope(actor)
    expected = [n for n in live_nodes if scope is None or permissions.manages_network(actor, n)]
    assert accounts.grantable_networks(actor) == expected
    assert (scope is None) == (role == "admin") and (scope == []) == (
        role not in ("admin", "coordinator_x", "coordinator_y")
    )
