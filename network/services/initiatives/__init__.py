"""Joint initiatives: the records (.records), who takes part in them (.participation) and the
graphs drawn around them (.graph). Callers import what they use from here."""

from network.services.initiatives.graph import initiative_graph, organization_graph
from network.services.initiatives.participation import (
    effective_shares,
    find_organizations_to_invite,
    find_participant,
    invite_participant,
    leave_initiative,
    own_participation,
    participant_history,
    remove_participant,
    respond_to_invitation,
    set_shares,
    visible_participant,
    visible_participants,
)
from network.services.initiatives.records import (
    create_initiative,
    find_initiative,
    link_project,
    linkable_projects,
    manageable_initiatives,
    networks_to_convene,
    organization_named,
    participant_counts,
    project_numbered,
    unlink_project,
    update_initiative,
)

__all__ = [
    "create_initiative",
    "effective_shares",
    "find_initiative",
    "find_organizations_to_invite",
    "find_participant",
    "initiative_graph",
    "invite_participant",
    "leave_initiative",
    "link_project",
    "linkable_projects",
    "manageable_initiatives",
    "networks_to_convene",
    "organization_graph",
    "organization_named",
    "own_participation",
    "participant_counts",
    "participant_history",
    "project_numbered",
    "remove_participant",
    "respond_to_invitation",
    "set_shares",
    "unlink_project",
    "update_initiative",
    "visible_participant",
    "visible_participants",
]
