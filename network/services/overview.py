"""Read-only summaries for the home page and the network tree."""

from dataclasses import dataclass, field

from sqlalchemy import func, select

from network.extensions import db
from network.models import AuditEvent, Initiative, Membership, Network, Organization, Project


def counts() -> dict[str, int]:
    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return {
        "organizations": count(Organization, Organization.archived_at.is_(None), Organization.merged_into_id.is_(None),
                               Organization.kind != "company"),
        "companies": count(Organization, Organization.archived_at.is_(None), Organization.kind == "company"),
        "countries": db.session.scalar(
            select(func.count(func.distinct(Organization.hq_country_id))).where(Organization.archived_at.is_(None))
        ),
        "projects": count(Project, Project.archived_at.is_(None)),
        "initiatives": count(Initiative, Initiative.archived_at.is_(None)),
    }  # fmt: skip


def recent_changes(limit: int = 10) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))


@dataclass
class NetworkNode:
    network: Network
    direct_members: int
    total_members: int = 0
    children: list["NetworkNode"] = field(default_factory=list)


def network_tree() -> list[NetworkNode]:
    """Every node with its active members, directly and including the nodes below (two queries)."""
    networks = list(db.session.scalars(select(Network).where(Network.archived_at.is_(None)).order_by(Network.path)))
    direct = dict(
        db.session.execute(
            select(Membership.network_id, func.count())
            .where(Membership.status == "active")
            .group_by(Membership.network_id)
        ).all()
    )
    nodes = {n.id: NetworkNode(n, direct.get(n.id, 0)) for n in networks}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.network.parent_id)
        (parent.children if parent else roots).append(node)

    def total(node: NetworkNode) -> int:
        node.total_members = node.direct_members + sum(total(c) for c in node.children)
        return node.total_members

    for root in roots:
        total(root)
    return roots
