"""Checking one row: each cell cleaned with the same rules as the forms, and countries, themes, kinds
and nodes resolved in memory by every name people write them with."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import select

from network import numbers, permissions
from network.errors import ValidationError
from network.extensions import db
from network.labels import choice_key, choice_lookup
from network.models import Network, Region, Theme
from network.models.organization import MEMBERSHIP_STATUSES
from network.services.cleaning import IDENTIFIER
from network.services.organizations import validate_organization
from network.services.spreadsheet import FORMULA, unescape

# Common words for kinds (from other directories and spreadsheets), beside the codes and labels.
KIND_SYNONYMS = {
    "nonprofit": "ngo", "non-profit": "ngo", "not for profit": "ngo", "charity": "ngo", "ngo": "ngo",
    "npo": "ngo", "非政府组织": "ngo", "社会组织": "ngo", "民间组织": "ngo", "公益组织": "ngo",
    "community": "cbo", "community group": "cbo", "mutual aid": "cbo", "mutual_aid": "cbo", "collective": "cbo",
    "社区组织": "cbo", "research": "think_tank", "智库": "think_tank", "university": "academic",
    "education_inst": "academic", "大学": "academic", "高校": "academic", "federation": "network",
    "coalition": "network", "alliance": "network", "网络": "network", "联盟": "network", "基金会": "foundation",
    "labor_union": "trade_union", "labour union": "trade_union", "union": "trade_union", "工会": "trade_union",
    "co-op": "cooperative", "coop": "cooperative", "合作社": "cooperative", "business": "company", "firm": "company",
    "corporation": "company", "企业": "company", "公司": "company", "政府": "government", "public body": "government",
    "sweat_equity_program": "other",
}  # fmt: skip
MEMBERSHIP_SYNONYMS = {"member": "active", "成员": "active", "正式会员": "active", "申请中": "applicant",
                       "暂停": "suspended", "失效": "lapsed", "过期": "lapsed"}  # fmt: skip
LIST_SEPARATOR = re.compile(r"\s*[;；]\s*")


@dataclass
class Issue:
    row: int
    column: str
    message: str
    suggestion: str | None = None
    value: str | None = None

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "suggestion": self.suggestion,
                "value": self.value}  # fmt: skip


class References:
    """Countries, themes, nodes and kinds by every name people write them with, resolved in memory."""

    def __init__(self, actor, default_node: Network | None):
        self.countries = choice_lookup("country")
        self.region_ids = dict(
            db.session.execute(select(Region.code, Region.id).where(Region.level == "country")).all()
        )
        names = db.session.execute(select(Region.code, Region.name, Region.name_zh).where(Region.level == "country"))
        self.country_names = {}
        for code, name, name_zh in names:
            self.country_names[name] = code
            if name_zh:
                self.country_names[name_zh] = code
        self.themes: dict[str, str] = {}
        self.theme_ids: dict[str, int] = {}
        for theme in db.session.scalars(select(Theme)):
            self.theme_ids[theme.slug] = theme.id
            for alias in (theme.slug, theme.name, theme.name_zh, theme.slug.replace("-", " ")):
                if alias:
                    self.themes[choice_key(alias)] = theme.slug
        self.nodes: dict[str, Network] = {}
        live_nodes = db.session.scalars(select(Network).where(Network.archived_at.is_(None))).all()
        for node in live_nodes:
            for alias in (node.slug, node.name, node.name_local):
                if alias:
                    self.nodes.setdefault(alias.casefold(), node)
        self.node_names = {n.id: n.name for n in live_nodes}
        self.allowed_nodes = {n.id for n in live_nodes if permissions.can(actor, "organization.import", n)}
        self.default_node = default_node
        # Coordinators manage organisations through memberships: what they import must join a node.
        self.node_required = not permissions.can(actor, "organization.without_node")
        # Codes and labels in every UI language (the same file reads the same under English and 中文),
        # then the common words; keys are labels.choice_key.
        self.kinds = {choice_key(k): v for k, v in KIND_SYNONYMS.items()} | choice_lookup("organization_kind")
        self.statuses = {choice_key(k): v for k, v in MEMBERSHIP_SYNONYMS.items()} | choice_lookup("membership_status")

    @staticmethod
    def suggest(value: str, choices) -> str | None:
        found = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
        if not found:
            found = difflib.get_close_matches(value.casefold(), [str(c).casefold() for c in choices], n=1, cutoff=0.6)
            if found:
                found = [next(c for c in choices if str(c).casefold() == found[0])]
        return str(found[0]) if found else None

    def country(self, value: str) -> str | None:
        return self.countries.get(choice_key(value))

    def country_suggestion(self, value: str) -> str | None:
        found = self.suggest(value, self.country_names)
        return f"{found} ({self.country_names[found]})" if found else None

    def kind_suggestion(self, value: str) -> str | None:
        found = self.suggest(choice_key(value), list(self.kinds))
        return self.kinds[found] if found else None

    def theme(self, value: str) -> str | None:
        return self.themes.get(choice_key(value))

    def node(self, value: str) -> Network | None:
        return self.nodes.get(value.strip().casefold())


@dataclass
class CleanRow:
    number: int
    values: dict  # profile values in validate_organization's plain form; only columns given
    nodes: list[tuple[int, str | None, date | None]] = field(default_factory=list)  # (network id, status, joined)
    raw: list[str] = field(default_factory=list)

    @cached_property  # asked by the in-file check, the prefetch and the match
    def key(self) -> tuple[str, str]:
        return exact_key(self.values["name"]), self.values["hq_country"]


def exact_key(name: str) -> str:
    return " ".join(name.casefold().split())


def split_list(text: str) -> list[str]:
    return [part for part in LIST_SEPARATOR.split(text.strip()) if part]


def split_aligned(text: str) -> list[str]:
    """Values that line up with the nodes: empty places are kept ("2020-01-01;;2021-05-01")."""
    return [part.strip() for part in re.split(r"[;；]", text)]


def parse_year(text: str) -> int | str:
    """1998, １９９８, 1998年, a date in the year, or any whole number as the forms read it (the
    row's check then says whether it is a year); the text itself when it is none of those."""
    plain = unicodedata.normalize("NFKC", text).strip().removesuffix("年")
    match = re.fullmatch(r"(\d{4})[-/.]\d{1,2}([-/.]\d{1,2})?", plain)
    if match:
        return int(match.group(1))
    try:
        return numbers.parse_count(plain)
    except numbers.NumberError:
        return text.strip()


def parse_date(text: str) -> date | None:
    text = text.strip()
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?", text)
    if match:
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            return None
    match = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", text)
    if match:  # day first, as everywhere but the US; an impossible day-first date is refused
        day, month, year = map(int, match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None


PROFILE_COLUMNS = {  # import column -> validate_organization field
    "name": "name", "name_local": "name_local", "acronym": "acronym", "kind": "kind", "website": "website",
    "email": "email", "phone": "phone", "description": "description", "founded": "founded",
}  # fmt: skip
FIELD_COLUMNS = {v: k for k, v in PROFILE_COLUMNS.items()} | {
    "hq_country": "country",
    "countries": "countries_of_operation",
    "themes": "themes",
    "identifiers": "identifier",
}


def clean_row(number: int, record: list[str], columns: list[str | None], refs: References
              ) -> tuple[CleanRow | None, list[Issue]]:  # fmt: skip
    """One spreadsheet row to the values validate_organization accepts, or the issues found."""
    issues: list[Issue] = []
    cells: dict[str, str] = {}
    formulas: set[str] = set()
    for column, cell in zip(columns, record, strict=False):
        if column is None:
            continue
        text = (cell or "").strip()
        if FORMULA.match(text):
            formulas.add(column)
            issues.append(Issue(number, column, _("Starts like a spreadsheet formula (%(start)s…); formulas are "
                                                  "not accepted. Put an apostrophe (') before it if it is text.",
                                                  start=text[:12]), value=text[:80]))  # fmt: skip
            continue
        text = unescape(text)
        if text:
            cells[column] = text

    profile: dict = {}
    for column, key in PROFILE_COLUMNS.items():
        if column in cells:
            profile[key] = cells[column]
    profile.setdefault("name", "")
    if "kind" in cells:
        kind = refs.kinds.get(choice_key(cells["kind"]))
        if kind is None:
            issues.append(Issue(number, "kind", _("Unknown kind %(value)s.", value=cells["kind"][:80]),
                                refs.kind_suggestion(cells["kind"]), cells["kind"][:80]))  # fmt: skip
            profile.pop("kind")
        else:
            profile["kind"] = kind
    if "founded" in cells:
        profile["founded"] = parse_year(cells["founded"])
        if isinstance(profile["founded"], str):
            issues.append(Issue(number, "founded", _("Founded must be a year such as 1998, not %(value)s.",
                                                     value=cells["founded"][:80]), value=cells["founded"][:80]))  # fmt: skip
            profile.pop("founded")
    # Same rules as the forms; partial (a stand-in record), since references are resolved below.
    try:
        cleaned = validate_organization(profile, existing=SimpleNamespace(id=None))
    except ValidationError as exc:
        cleaned = {}
        for key, messages in exc.errors.items():
            column = FIELD_COLUMNS.get(key, key)
            issues.extend(Issue(number, column, m, value=(cells.get(column) or "")[:80]) for m in messages)

    country = cells.get("country")
    if not country:
        issues.append(Issue(number, "country", _("The country is required.")))
    else:
        code = refs.country(country)
        if code is None:
            issues.append(Issue(number, "country", _("Unknown country %(value)s.", value=country[:80]),
                                refs.country_suggestion(country), country[:80]))  # fmt: skip
        cleaned["hq_country"] = code
    if "countries_of_operation" in cells:
        codes = []
        for part in split_list(cells["countries_of_operation"]):
            code = refs.country(part)
            if code is None:
                issues.append(Issue(number, "countries_of_operation", _("Unknown country %(value)s.", value=part[:80]),
                                    refs.country_suggestion(part), part[:80]))  # fmt: skip
            else:
                codes.append(code)
        cleaned["countries"] = sorted(set(codes))
    if "themes" in cells:
        slugs = []
        for part in split_list(cells["themes"]):
            slug = refs.theme(part)
            if slug is None:
                names = sorted({k for k in refs.themes if not k.isascii()} | set(refs.theme_ids))
                issues.append(Issue(number, "themes", _("Unknown theme %(value)s.", value=part[:80]),
                                    refs.suggest(part, names), part[:80]))  # fmt: skip
            else:
                slugs.append(slug)
        cleaned["themes"] = sorted(set(slugs))
    if "identifier" in cells:
        values = sorted({v.upper() for v in split_list(cells["identifier"])})
        bad = [v for v in values if not IDENTIFIER.match(v) or len(v) > 120]
        if bad:
            issues.append(Issue(number, "identifier", _("Not a valid identifier (like GB-CHC-1000003): %(values)s.",
                                                        values=", ".join(bad)[:200]), value=cells["identifier"][:80]))  # fmt: skip
        cleaned["identifiers"] = values

    nodes = _clean_nodes(number, cells, refs, issues)
    if formulas:  # one message for a formula cell, not also "required"
        issues = [i for i in issues if i.column not in formulas or "formula" in i.message]
    if issues:
        return None, issues
    return CleanRow(number, cleaned, nodes, list(record)), []


def _clean_nodes(number: int, cells: dict, refs: References, issues: list[Issue]) -> list:
    names = split_list(cells["network"]) if "network" in cells else []
    statuses = split_aligned(cells["membership_status"]) if "membership_status" in cells else []
    dates = split_aligned(cells["joined_on"]) if "joined_on" in cells else []
    if not names:
        if refs.default_node is None:
            if refs.node_required:
                issues.append(Issue(number, "network", _("Name the network node the organisation joins (a "
                                                         "network column, or the node chosen for the import).")))  # fmt: skip
            elif statuses or dates:
                issues.append(Issue(number, "network", _("A membership status or date needs a network node.")))
            return []
        names = [refs.default_node.slug]
    if len(statuses) > 1 and len(statuses) != len(names) or len(dates) > 1 and len(dates) != len(names):
        issues.append(Issue(number, "membership_status", _("Give one status and date, or one per node, in the "
                                                           "same order as the nodes.")))  # fmt: skip
        return []
    result = []
    for i, name in enumerate(names):
        node = refs.node(name)
        if node is None:
            issues.append(Issue(number, "network", _("Unknown network node %(value)s.", value=name[:80]),
                                refs.suggest(name, sorted({n.slug for n in refs.nodes.values()})), name[:80]))  # fmt: skip
            continue
        status = (statuses[i if len(statuses) > 1 else 0] if statuses else None) or None
        if status is not None:
            code = refs.statuses.get(choice_key(status))
            if code is None:
                issues.append(Issue(number, "membership_status", _("Unknown membership status %(value)s.",
                                                                   value=status[:80]),
                                    refs.suggest(status, MEMBERSHIP_STATUSES), status[:80]))  # fmt: skip
            status = code
        joined = dates[i if len(dates) > 1 else 0] if dates else None
        joined_on = None
        if joined:
            joined_on = parse_date(joined)
            if joined_on is None:
                issues.append(Issue(number, "joined_on", _("Not a date: %(value)s. Use YYYY-MM-DD, e.g. 2021-03-15.",
                                                           value=joined[:80]), value=joined[:80]))  # fmt: skip
        result.append((node.id, status, joined_on))
    return result
