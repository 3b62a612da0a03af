"""The network graphs drawn on an initiative's page and an organisation's: participants, their
partnerships, and the firms and initiatives one hop away."""

from flask_babel import get_locale
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from network import labels
from network.extensions import db
from network.models import Initiative, Organization, Partnership
from network.services.initiatives.participation import ACTIVE_STATUSES, initiatives_of_organization

# Labels are in the reader's language (a Chinese name where one is recorded, translated kinds);
# ids and codes stay as they are for scripts.


def _org_node(org: Organization, **extra) -> dict:
    name = labels.localized_name(org, get_locale())
    return {"id": f"o{org.id}", "label": org.acronym or name, "name": name, "kind": org.kind,
            "company": org.kind == "company", "url": f"/organizations/{org.slug}", **extra}  # fmt: skip


def _edge(p: Partnership) -> dict:
    return {"id": f"p{p.id}", "source": f"o{p.org_a_id}", "target": f"o{p.org_b_id}", "kind": p.kind,
            "kind_label": labels.label(labels.PARTNERSHIP_KIND_LABELS, p.kind), "status": p.status}  # fmt: skip


def _partnerships_touching(org_ids: set[int]) -> list[Partnership]:
    if not org_ids:
        return []
    return list(
        db.session.scalars(
            select(Partnership)
            .where(Partnership.archived_at.is_(None), Partnership.status != "ended")
            .where(or_(Partnership.org_a_id.in_(org_ids), Partnership.org_b_id.in_(org_ids)))
            .options(selectinload(Partnership.org_a), selectinload(Partnership.org_b))
            .order_by(Partnership.id)
        )
    )


def initiative_graph(initiative: Initiative, include_invited: bool = True) -> dict:
    """Participants (invited or in), their partnerships with each other, and with firms outside."""
    statuses = ACTIVE_STATUSES if include_invited else ("accepted",)
    members = {p.organization_id: p for p in initiative.participants if p.invitation_status in statuses}
    nodes = {
        f"o{p.organization.id}": _org_node(p.organization, role=p.role, status=p.invitation_status, participant=True)
        for p in members.values()
    }
    edges = []
    for partnership in _partnerships_touching(set(members)):
        a, b = partnership.org_a, partnership.org_b
        inside_a, inside_b = a.id in members, b.id in members
        if not (inside_a and inside_b):
            outside = b if inside_a else a
            if outside.kind != "company" or outside.is_archived:
                continue  # beyond participants, only their firms are drawn
            nodes.setdefault(f"o{outside.id}", _org_node(outside, participant=False))
        edges.append(_edge(partnership))
    return {"nodes": list(nodes.values()), "edges": edges}


def organization_graph(organization: Organization) -> dict:
    """One hop around an organisation: its partners, the partnerships among them, its initiatives."""
    around = _partnerships_touching({organization.id})
    nodes = {f"o{organization.id}": _org_node(organization, center=True)}
    for p in around:
        other = p.other(organization)
        if not other.is_archived:
            nodes.setdefault(f"o{other.id}", _org_node(other))
    ids = {int(k[1:]) for k in nodes}
    edges = [
        _edge(p) for p in _partnerships_touching(ids)
        if p.org_a_id in ids and p.org_b_id in ids
    ]  # fmt: skip
    for participant in initiatives_of_organization(organization):
        if participant.invitation_status not in ACTIVE_STATUSES:
            continue
        ini = participant.initiative
        title = labels.localized_name(ini, get_locale())
        nodes[f"i{ini.id}"] = {"id": f"i{ini.id}", "label": title, "name": title, "kind": "initiative",
                               "initiative": True, "url": f"/initiatives/{ini.slug}"}  # fmt: skip
        edges.append({"id": f"x{participant.id}", "source": f"o{organization.id}", "target": f"i{ini.id}",
                      "kind": "participant", "kind_label": "", "status": participant.invitation_status})  # fmt: skip
    return {"nodes": list(nodes.values()), "edges": edges}
