"""Human labels for the coded values in the models, translated (forms and templates use these)."""

import re

from babel.lists import format_list
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

ORGANIZATION_KIND_LABELS = {
    "ngo": _l("NGO"),
    "cbo": _l("Community-based organisation"),
    "think_tank": _l("Think tank"),
    "network": _l("Network"),
    "academic": _l("Academic"),
    "foundation": _l("Foundation"),
    "faith": _l("Faith-based"),
    "youth": _l("Youth"),
    "women": _l("Women's organisation"),
    "indigenous": _l("Indigenous peoples' organisation"),
    "trade_union": _l("Trade union"),
    "cooperative": _l("Cooperative"),
    "company": _l("Company"),
    "government": _l("Government"),
    "other": _l("Other"),
}
MEMBERSHIP_STATUS_LABELS = {
    "applicant": _l("Applicant"),
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "lapsed": _l("Lapsed"),
}
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "coordinator": _l("Coordinator"),
    "member": _l("Member"),
    "viewer": _l("Viewer"),
}
PROJECT_STATUS_LABELS = {
    "planned": _l("Planned"),
    "active": _lp("project status", "Active"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}
INITIATIVE_STATUS_LABELS = {
    "proposed": _l("Proposed"), "active": _lp("initiative status", "Active"), "closed": _l("Closed"),
}  # fmt: skip
PARTICIPANT_ROLE_LABELS = {
    "lead": _l("Lead"), "partner": _l("Partner"), "funder": _l("Funder"), "technical": _l("Technical"), "observer": _l("Observer"),
}  # fmt: skip
INVITATION_STATUS_LABELS = {
    "invited": _l("Invited"), "accepted": _l("Accepted"), "declined": _l("Declined"), "left": _l("Left"), "removed": _l("Removed"),
}  # fmt: skip
PARTNERSHIP_KIND_LABELS = {
    "funding": _l("Funding"), "technical": _l("Technical"), "implementation": _l("Implementation"),
    "in_kind": _l("In-kind"), "advocacy": _l("Advocacy"),
}  # fmt: skip
PARTNERSHIP_STATUS_LABELS = {
    "proposed": _l("Proposed"), "active": _lp("partnership status", "Active"), "ended": _l("Ended"),
}  # fmt: skip
PROJECT_ROLE_LABELS = {
    "lead": _l("Lead"), "partner": _l("Partner"), "funder": _l("Funder"), "implementer": _l("Implementer"),
    "technical": _l("Technical"),
}  # fmt: skip
OUTCOME_BASIS_LABELS = {"estimated": _l("Estimated"), "verified": _l("Verified")}


def label(labels: dict, value) -> str:
    return str(labels.get(value, value or ""))


HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def localized_name(obj, locale: str) -> str:
    """A region's, theme's or organisation's name (a project's or initiative's title) in the reader's
    language where there is one.

    A local name counts as Chinese only when it is written in Han characters (not Bengali, Arabic…).
    """
    name = obj.title if hasattr(obj, "title") else obj.name
    if str(locale) == "zh":
        local = getattr(obj, "name_local", None) or getattr(obj, "title_local", None)
        return getattr(obj, "name_zh", None) or (local if local and HAN.search(local) else None) or name
    return name


def join_names(names: list[str]) -> str:
    """A list of names as the reader's language writes one ("A, B and C"; "A、B和C")."""
    return format_list(list(names), locale=str(get_locale() or "en")) if names else ""


def decade_label(year: int) -> str:
    return gettext("%(year)ss", year=year)  # "1990s", "1990年代"
