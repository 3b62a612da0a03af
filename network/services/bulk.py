"""Acting on many directory results at once: which organisations a bulk form means (the rows ticked,
or every result of the search it was sent from), and inviting them to an initiative."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from network import permissions
from network.extensions import db
from network.models import Initiative, Organization, Participant
from network.services import ValidationError, operation
from network.services.initiatives.participation import ACTIVE_STATUSES, invite_participant
from network.services.tags import BATCH, _batches, _live_ids

# Invitations notify each organisation's users and mail them: a larger set is a mistake, not a list.
MAX_INVITED = 500


@dataclass
class Selection:
    """What a bulk form names: ticked ids, or every result of a search (its query string)."""

    ids: list[int]
    query: str | None = None  # set when "all N matching" was chosen

    @property
    def everything(self) -> bool:
        return self.query is not None


def read_selection(form: MultiDict) -> Selection:
    """From the posted form: scope=all with the search's query string, or the ticked id values."""
    scope = form.get("scope")
    if scope == "all":
        return Selection([], form.get("query") or "")
    ids = []
    for raw in form.getlist("page_id" if scope == "page" else "id")[:BATCH]:
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    return Selection(sorted(set(ids)))


def selected_ids(actor, selection: Selection) -> list[int]:
    """The live organisations the selection means (a whole search: from the facet index, no ORM rows)."""
    permissions.require(actor, "directory.bulk")
    if selection.everything:
        from urllib.parse import parse_qsl

        from network.services.search import organization_id_set, parse_search_params

        params = parse_search_params(MultiDict(parse_qsl(selection.query)))
        return sorted(organization_id_set(actor, params))
    return _live_ids(selection.ids)


@dataclass
class Invited:
    added: list[str]  # names of the organisations invited
    already: list[str]  # names of those already invited or taking part


@operation
def invite_many(actor, initiative: Initiative, organization_ids: list[int], role: str) -> Invited:
    """Invite each organisation through invite_participant, all or none (one savepoint for all: a
    refusal of one undoes the others); those already invited or taking part are counted apart."""
    permissions.require(actor, "initiative.manage_participants", initiative)
    if len(organization_ids) > MAX_INVITED:
        raise ValidationError({"": [_("At most %(n)d organisations can be invited at once; narrow the selection.",
                                      n=MAX_INVITED)]})  # fmt: skip
    taken = set(
        db.session.scalars(
            select(Participant.organization_id).where(
                Participant.initiative_id == initiative.id, Participant.invitation_status.in_(ACTIVE_STATUSES)
            )
        )
    )
    organizations = []
    for batch in _batches(organization_ids):
        organizations += db.session.scalars(select(Organization).where(Organization.id.in_(batch)))
    organizations.sort(key=lambda o: o.name.lower())
    result = Invited([], [])
    for organization in organizations:
        if organization.id in taken:
            result.already.append(organization.name)
        else:
            invite_participant(actor, initiative, organization, role)
            result.added.append(organization.name)
    return result
