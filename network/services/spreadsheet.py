"""What the import, the export and the import template share: the columns, the names people give
them, the guard against spreadsheet formulas, and organisations in the plain form of a row.

Text that a spreadsheet would run as a formula (starting with = + - @, tab or CR) is written with a
leading apostrophe (escape_formula); the importer drops that apostrophe again (unescape) and refuses
a cell that still looks like a formula (FORMULA).
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from network.extensions import db
from network.models import Membership, Network, Organization, OrganizationIdentifier, Region, Theme
from network.models.organization import organization_countries, organization_themes

COLUMNS = (
    "name", "name_local", "acronym", "kind", "country", "countries_of_operation", "themes", "website", "email",
    "phone", "description", "founded", "network", "membership_status", "joined_on", "identifier",
)  # fmt: skip
REQUIRED = ("name", "country")
# Header names people use, in English and Chinese; compared case- and space-insensitively.
HEADER_ALIASES = {
    "name": ["name", "organisation", "organization", "organisation name", "organization name", "名称", "机构名称",
             "组织名称", "单位名称", "名字"],
    "name_local": ["name local", "local name", "name in local language", "chinese name", "本地名称", "中文名称",
                   "中文名", "当地名称"],
    "acronym": ["acronym", "abbreviation", "short name", "简称", "缩写"],
    "kind": ["kind", "type", "organisation type", "organization type", "类型", "机构类型", "组织类型"],
    "country": ["country", "country code", "hq country", "headquarters country", "国家", "国家/地区", "国家或地区",
                "所在国家", "总部所在国"],
    "countries_of_operation": ["countries of operation", "countries", "operating countries", "工作国家", "业务国家",
                               "活动国家"],
    "themes": ["themes", "theme", "topics", "focus areas", "主题", "领域", "议题", "工作领域"],
    "website": ["website", "web", "url", "web site", "homepage", "网站", "网址", "主页"],
    "email": ["email", "e mail", "mail", "email address", "电子邮件", "电子邮箱", "邮箱", "电邮"],
    "phone": ["phone", "telephone", "tel", "phone number", "电话", "联系电话"],
    "description": ["description", "about", "summary", "简介", "描述", "介绍", "机构简介"],
    "founded": ["founded", "year founded", "founded in", "established", "成立年份", "成立时间", "成立"],
    "network": ["network", "node", "network node", "网络", "节点", "所属网络", "网络节点"],
    "membership_status": ["membership status", "status", "会员状态", "成员状态", "状态"],
    "joined_on": ["joined on", "joined", "member since", "date joined", "加入日期", "入会日期", "加入时间"],
    "identifier": ["identifier", "identifiers", "org id", "registration number", "标识符", "机构标识",
                   "统一社会信用代码"],
}  # fmt: skip
# A cell that a spreadsheet would run as a formula (the export escapes such text with a ').
FORMULA = re.compile(r"^(?:[=@]|[+-]\S*[(|!])")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000  # organisations read per round by plain_records


def header_key(text: str) -> str:
    """Headers compare alike whatever their case, spacing, _ or -, and full-width forms (国家／地区)."""
    text = unicodedata.normalize("NFKC", str(text or "").replace("\ufeff", ""))
    return re.sub(r"[\s_\-]+", " ", text).strip().casefold()


HEADER_LOOKUP = {header_key(alias): column for column, aliases in HEADER_ALIASES.items() for alias in aliases}
HEADER_LOOKUP.update({header_key(c): c for c in COLUMNS})


def escape_formula(value) -> str:
    """A cell's text (None: empty), with a leading apostrophe where a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def unescape(text: str) -> str:
    """Our export writes text that would start a formula with a leading apostrophe; drop it."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        return text[1:]
    return text


def plain_records(org_ids: list[int]) -> dict[int, dict]:
    """Stored values in the importer's plain form, in a fixed number of queries per batch."""
    records: dict[int, dict] = {}
    for start in range(0, len(org_ids), BATCH):
        chunk = org_ids[start : start + BATCH]
        query = (
            select(Organization.id, Organization.name, Organization.name_local, Organization.acronym,
                   Organization.kind, Region.code, Organization.website, Organization.email, Organization.phone,
                   Organization.description, Organization.founded)
            .outerjoin(Region, Region.id == Organization.hq_country_id)
            .where(Organization.id.in_(chunk))
        )  # fmt: skip
        for row in db.session.execute(query):
            org_id, name, local, acronym, kind, code, website, email, phone, description, founded = row
            records[org_id] = {
                "name": name, "name_local": local, "acronym": acronym, "kind": kind, "hq_country": code,
                "website": website, "email": email, "phone": phone, "description": description, "founded": founded,
                "countries": [], "themes": [], "identifiers": [], "memberships": {},
            }  # fmt: skip
        countries = db.session.execute(
            select(organization_countries.c.organization_id, Region.code)
            .join(Region, Region.id == organization_countries.c.region_id)
            .where(organization_countries.c.organization_id.in_(chunk))
        )
        for org_id, code in countries:
            records[org_id]["countries"].append(code)
        themes = db.session.execute(
            select(organization_themes.c.organization_id, Theme.slug)
            .join(Theme, Theme.id == organization_themes.c.theme_id)
            .where(organization_themes.c.organization_id.in_(chunk))
        )
        for org_id, slug in themes:
            records[org_id]["themes"].append(slug)
        identifiers = db.session.execute(
            select(OrganizationIdentifier.organization_id, OrganizationIdentifier.value).where(
                OrganizationIdentifier.organization_id.in_(chunk)
            )
        )
        for org_id, value in identifiers:
            records[org_id]["identifiers"].append(value)
        memberships = db.session.execute(
            select(Membership.organization_id, Membership.network_id, Membership.status, Membership.joined_on,
                   Network.slug)
            .join(Network, Network.id == Membership.network_id)
            .where(Membership.organization_id.in_(chunk))
        )  # fmt: skip
        for org_id, network_id, status, joined_on, slug in memberships:
            records[org_id]["memberships"][network_id] = (status, joined_on.isoformat() if joined_on else None, slug)
        for record in records.values():
            for key in ("countries", "themes", "identifiers"):
                record[key].sort()
    return records
