"""Network nodes as choices: the live nodes an actor may act in for one action, in tree order."""

from types import SimpleNamespace

from sqlalchemy import select

from network import permissions
from network.extensions import db
from network.models import Membership, Network, Organization


def nodes_for(actor, action: str) -> list[Network]:
    """Live nodes (by path, so children follow their parent) where ``can(actor, action, node)``."""
    query = (
        select(Network)
        .where(Network.archived_at.is_(None), permissions.in_network_scope(actor, Network.path))
        .order_by(Network.path)
    )
    return [n for n in db.session.scalars(query) if permissions.can(actor, action, n)]


def nodes_to_join(actor, organization: Organization) -> list[Network]:
    """Live nodes the actor may add the organisation to, where it is not a member yet."""
    taken = set(db.session.scalars(select(Membership.network_id).where(Membership.organization_id == organization.id)))
    query = (
        select(Network)
        .where(Network.archived_at.is_(None), permissions.in_network_scope(actor, Network.path))
        .order_by(Network.path)
    )
    return [
        n
        for n in db.session.scalars(query)
        if n.id not in taken
        and permissions.can(actor, "membership.add", SimpleNamespace(network=n, organization=organization))
    ]
