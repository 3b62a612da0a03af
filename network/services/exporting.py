"""Export of organisations in the import columns, as CSV or Excel, so a re-import changes nothing.

Text that a spreadsheet would run as a formula (starting with = + - @, tab or CR) is written with
a leading apostrophe; the importer drops that apostrophe again.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import select

from network import permissions
from network.extensions import db
from network.models import Membership, Network, Organization, OrganizationIdentifier, Region, Theme
from network.models.organization import organization_countries, organization_themes
from network.services.importing import COLUMNS, FORMULA_START

BATCH = 1000
FORMATS = ("csv", "xlsx")


def escape_cell(value: str) -> str:
    return "'" + value if value and value[0] in FORMULA_START else value


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


def export_row(record: dict) -> dict[str, str]:
    """One organisation as a row of the import columns."""
    memberships = sorted(record["memberships"].values(), key=lambda m: m[2])
    values = {
        "name": record["name"], "name_local": record["name_local"], "acronym": record["acronym"],
        "kind": record["kind"], "country": record["hq_country"],
        "countries_of_operation": ";".join(record["countries"]), "themes": ";".join(record["themes"]),
        "website": record["website"], "email": record["email"], "phone": record["phone"],
        "description": record["description"], "founded": record["founded"],
        "network": ";".join(m[2] for m in memberships),
        "membership_status": ";".join(m[0] for m in memberships),
        "joined_on": ";".join(m[1] or "" for m in memberships) if any(m[1] for m in memberships) else "",
        "identifier": ";".join(record["identifiers"]),
    }  # fmt: skip
    return {key: escape_cell("" if value is None else str(value)) for key, value in values.items()}


def organization_ids(actor, params=None) -> list[int]:
    """The organisations of the whole directory or of a search (request args or a dict), by name."""
    permissions.require(actor, "directory.export")
    query = select(Organization.id).where(Organization.archived_at.is_(None), Organization.merged_into_id.is_(None))
    if params:
        from network.services.search import organization_id_set, parse_search_params

        search = params if hasattr(params, "filters_active") else parse_search_params(params)
        if search.q or search.filters_active:
            matched = organization_id_set(actor, search)
            return [i for i in db.session.scalars(query.order_by(Organization.name, Organization.id)) if i in matched]
    return list(db.session.scalars(query.order_by(Organization.name, Organization.id)))


def export_rows(actor, params: dict | None = None) -> Iterator[dict[str, str]]:
    ids = organization_ids(actor, params)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        records = plain_records(chunk)
        for org_id in chunk:
            yield export_row(records[org_id])


def write_csv(rows: Iterable[dict], target) -> None:
    """CSV with a BOM, so Excel opens UTF-8 (Chinese names) correctly."""
    writer = csv.DictWriter(target, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)


def write_xlsx(rows: Iterable[dict], path_or_stream) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("organisations")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    workbook.save(path_or_stream)


def export_to_file(actor, path: Path, fmt: str, params: dict | None = None) -> int:
    """Write the export to path; returns the number of organisations written."""
    count = 0

    def counted():
        nonlocal count
        for row in export_rows(actor, params):
            count += 1
            yield row

    if fmt == "xlsx":
        write_xlsx(counted(), path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            write_csv(counted(), f)
    return count
