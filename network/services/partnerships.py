"""Standing partnerships between two organisations (typically an NGO and a company)."""

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from network import permissions
from network.errors import NotFound
from network.extensions import db
from network.models import Organization, Partnership
from network.models.project import PARTNERSHIP_KINDS, PARTNERSHIP_STATUSES
from network.services import operation
from network.services.cleaning import Cleaner, plain_value
from network.services.organizations import check_version, is_blank
from network.services.profiles import MAX_ID

PARTNERSHIP_FIELDS = ("partner", "kind", "status", "start_date", "end_date", "description")


def validate_partnership(data: dict, *, organization: Organization | None = None,
                         existing: Partnership | None = None) -> dict:  # fmt: skip
    """``partner`` (Organization, id or slug) is the other side; only given when creating."""
    fields = PARTNERSHIP_FIELDS if existing is None else PARTNERSHIP_FIELDS[1:]
    c = Cleaner({k: v for k, v in data.items() if k in fields}, partial=existing is not None)
    for key in sorted(set(data) - set(fields)):
        c.error(key, _("Unknown field."))
    if existing is None:
        c.organization("partner", required=True)
        partner = c.cleaned.get("partner")
        if partner is not None and organization is not None and partner.id == organization.id:
            c.errors.setdefault("partner", []).append(_("A partnership needs two different organisations."))
    c.choice("kind", PARTNERSHIP_KINDS, required=True)
    if existing is None and is_blank(data.get("status")):
        c.cleaned["status"] = "active"
    else:
        c.choice("status", PARTNERSHIP_STATUSES, required=True)
    c.date("start_date")
    c.date("end_date")
    c.dates_in_order("start_date", "end_date", existing)
    c.text("description", max_length=20_000, multiline=True)
    return c.done()


@operation
def create_partnership(actor, organization: Organization, data: dict) -> Partnership:
    """A partnership of ``organization`` (which the actor manages or speaks for) with ``data["partner"]``."""
    permissions.require(actor, "partnership.manage", organization)
    cleaned = validate_partnership(data, organization=organization)
    partner = cleaned.pop("partner")
    partnership = Partnership(
        org_a=organization, org_a_id=organization.id, org_b=partner, org_b_id=partner.id, **cleaned
    )
    db.session.add(partnership)
    return partnership


@operation
def update_partnership(actor, partnership: Partnership, data: dict, expected_version) -> Partnership:
    permissions.require(actor, "partnership.update", partnership)
    cleaned = validate_partnership(data, existing=partnership)
    current = {k: plain_value(getattr(partnership, k)) for k in cleaned}
    check_version(partnership, expected_version, current, {k: plain_value(v) for k, v in cleaned.items()})
    for key, value in cleaned.items():
        setattr(partnership, key, value)
    return partnership


def find_partnership(partnership_id: int) -> Partnership:
    partnership = db.session.get(Partnership, partnership_id) if 0 < partnership_id <= MAX_ID else None
    if partnership is None:
        raise NotFound(_("No such partnership."))
    return partnership


def visible_partnership(actor, partnership_id: int) -> Partnership:
    """A partnership, for those who may read the directory (NotFound first)."""
    partnership = find_partnership(partnership_id)
    permissions.require(actor, "directory.view")
    return partnership


def live_partnerships(actor, organization_id: int | None = None) -> Select:
    """Partnerships that are not archived, optionally of one organisation (either side), by id (a
    query to page)."""
    permissions.require(actor, "directory.view")
    query = select(Partnership).where(Partnership.archived_at.is_(None)).order_by(Partnership.id)
    if organization_id is not None:
        query = query.where(or_(Partnership.org_a_id == organization_id, Partnership.org_b_id == organization_id))
    return query
