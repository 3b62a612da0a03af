"""Human labels for the coded values in the models, translated (forms and templates use these)."""

import re
import unicodedata
from functools import lru_cache

from babel.lists import format_list
from flask import current_app, has_app_context
from flask_babel import force_locale, get_locale, gettext
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
OUTCOME_REVIEW_LABELS = {
    "draft": _l("Not submitted"), "submitted": _l("Awaiting verification"), "verified": _l("Verified"),
    "returned": _l("Returned"),
}  # fmt: skip
# A project participant or a project's link to an initiative: a claim until someone confirms it.
CLAIM_STATUS_LABELS = {"proposed": _l("Proposed"), "confirmed": _l("Confirmed")}


# {(locale, id of one of this module's *_LABELS): {value: its label, translated}}: a label was looked
# up through flask-babel's whole chain each time (about 45 a search page: facet values, a badge per
# row). Only this module's dicts, which live as long as the process: another dict's id may be reused.
_translated: dict[tuple[str, int], dict[str, str]] = {}


def label(labels: dict, value) -> str:
    if id(labels) not in _KEPT:
        return str(labels.get(value, value or ""))
    table = _translated.get(key := (str(get_locale()), id(labels)))
    if table is None:
        table = _translated[key] = {code: str(text) for code, text in labels.items()}
    return table.get(value, value or "")


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


# --- Reading a choice, whatever the reader's language ----------------------------------------
# Input is language-independent: the importer and the API take a choice's code, English label or
# Chinese label (and a country's or theme's name in either language) under any UI language.

CHOICES = {
    "organization_kind": ORGANIZATION_KIND_LABELS,
    "membership_status": MEMBERSHIP_STATUS_LABELS,
    "user_role": ROLE_LABELS,
    "project_status": PROJECT_STATUS_LABELS,
    "initiative_status": INITIATIVE_STATUS_LABELS,
    "participant_role": PARTICIPANT_ROLE_LABELS,
    "project_role": PROJECT_ROLE_LABELS,
    "partnership_kind": PARTNERSHIP_KIND_LABELS,
    "partnership_status": PARTNERSHIP_STATUS_LABELS,
    "outcome_basis": OUTCOME_BASIS_LABELS,
}
_lookups: dict[str, dict[str, str]] = {}


@lru_cache(maxsize=4096)  # an import asks for the same few kinds, countries and themes on every row
def choice_key(value) -> str:
    """What spellings of one choice share: case, width, spaces, "_" and "-" (and -ise/-ize of
    "organisation") ignored. "Think-tank", "think_tank" and "THINK TANK" are one key."""
    text = unicodedata.normalize("NFKC", str(value)).casefold().replace("_", " ").replace("-", " ")
    return " ".join(text.replace("organization", "organisation").split())


def choice_lookup(vocabulary: str) -> dict[str, str]:
    """choice_key of every code and label of a vocabulary, in every UI language, -> its code.

    Built once per process, in an app context (where the translations are); "country" and "theme"
    come from the reference data (codes and slugs, English and Chinese names, aliases)."""
    lookup = _lookups.get(vocabulary)
    if lookup is not None:
        return lookup
    lookup = {}
    if vocabulary in ("country", "theme"):
        from network.services.reference import country_aliases, read_csv

        if vocabulary == "country":
            names = country_aliases().items()
        else:
            names = [
                (n, row["slug"]) for row in read_csv("themes.csv") for n in (row["slug"], row["name"], row["name_zh"])
            ]
        lookup = {choice_key(name): code for name, code in names if name}
    else:
        labels = CHOICES[vocabulary]
        for locale in current_app.config["LANGUAGES"] if has_app_context() else ():
            with force_locale(locale):
                lookup.update({choice_key(str(text)): code for code, text in labels.items()})
        lookup.update({choice_key(code): code for code in labels})  # a code wins over a label
    if has_app_context() or vocabulary in ("country", "theme"):
        _lookups[vocabulary] = lookup
    return lookup


def parse_choice(vocabulary: str, value) -> str | None:
    """The code a value names (code, English or Chinese label, any case), or None."""
    if value is None:
        return None
    return choice_lookup(vocabulary).get(choice_key(value))


def choice_coerce(vocabulary: str):
    """A form field's coerce: a label posted in either language becomes its code (a select posts
    codes; a script or an autofill may post the label); other text is kept for the service to refuse."""

    def coerce(value):
        return (parse_choice(vocabulary, value) or value) if isinstance(value, str) else value

    return coerce


_KEPT = {id(value) for name, value in list(globals().items()) if name.endswith("_LABELS") and isinstance(value, dict)}
