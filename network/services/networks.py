"""Network nodes as choices: the live nodes an actor may act in for one action, in tree order."""

from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import select

from network import permissions
from network.errors import ValidationError
from network.extensions import db
from network.models import Membership, Network, Organization
from network.services import lookups
from network.services.cleaning import is_empty


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


def convening_node(actor, network_id) -> Network | None:
    """The node a new initiative or event is convened by: the one sent (an id), else a coordinator's
    own (so they keep managing it); None (network-wide) for an admin who names none."""
    if is_empty(network_id):
        networks = getattr(actor, "networks", None) or []
        return networks[0] if permissions.network_scope(actor) and networks else None
    text = str(network_id)
    network = lookups.by_id(Network, int(text)) if text.isascii() and text.isdigit() and len(text) < 12 else None
    if network is None:
        raise ValidationError({"network": [_("Unknown network node.")]})
    return network
