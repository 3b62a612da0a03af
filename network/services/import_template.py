"""The import template: the columns the importer reads, an example row, and the values it accepts.

The header is in the reader's language (the column names in English, the first Chinese name of
each column in Chinese); the importer recognises both (spreadsheet.HEADER_ALIASES). The .xlsx has a
second sheet, "allowed values": kinds, membership statuses, themes, countries and the network
nodes the reader may import into, each with its English and Chinese name.
"""

import csv
from typing import IO

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from network import labels, permissions
from network.extensions import db
from network.models import Network, Region, Theme
from network.models.organization import MEMBERSHIP_STATUSES, ORGANIZATION_KINDS
from network.services.spreadsheet import COLUMNS, HEADER_ALIASES, escape_formula

ALLOWED_SHEET = "allowed values"
EXAMPLE = {  # valid as it stands, so a template uploaded unchanged previews one new organisation
    "name": "Example organisation (delete this row)", "name_local": "示例机构", "acronym": "EX", "kind": "ngo",
    "country": "KE", "countries_of_operation": "KE;UG", "themes": "energy-transition;water",
    "website": "https://example.org", "email": "info@example.org", "phone": "+254 20 123 4567",
    "description": "What the organisation does, in a few sentences.", "founded": "1998", "network": "",
    "membership_status": "", "joined_on": "", "identifier": "",
}  # fmt: skip


def header(locale: str) -> list[str]:
    """Column names in the reader's language: the names in English, Chinese ones in Chinese."""
    if locale.startswith("zh"):
        return [next(a for a in HEADER_ALIASES[c] if not a.isascii()) for c in COLUMNS]
    return list(COLUMNS)


def example_row() -> list[str]:
    return [escape_formula(EXAMPLE[c]) for c in COLUMNS]


def _in_both_languages(text) -> tuple[str, str]:
    with force_locale("en"):
        english = str(text)
    with force_locale("zh"):
        chinese = str(text)
    return english, chinese


def allowed_values(actor) -> list[tuple[str, str, str, str]]:
    """(column, value to write, English name, Chinese name) for every column with a fixed set of values."""
    permissions.require(actor, "organization.import", None)
    rows = [("kind", k, *_in_both_languages(labels.ORGANIZATION_KIND_LABELS.get(k, k))) for k in ORGANIZATION_KINDS]
    rows += [("membership_status", s, *_in_both_languages(labels.MEMBERSHIP_STATUS_LABELS[s]))
             for s in MEMBERSHIP_STATUSES]  # fmt: skip
    themes = db.session.scalars(select(Theme).order_by(Theme.position))
    rows += [("themes", t.slug, t.name, t.name_zh or "") for t in themes]
    countries = db.session.scalars(select(Region).where(Region.level == "country").order_by(Region.code))
    rows += [("country", c.code, c.name, c.name_zh or "") for c in countries]
    nodes = db.session.scalars(select(Network).where(Network.archived_at.is_(None)).order_by(Network.path))
    rows += [("network", n.slug, n.name, n.name_local or "") for n in nodes
             if permissions.can(actor, "organization.import", n)]  # fmt: skip
    return rows


def write_csv(actor, target: IO[str], locale: str) -> None:
    """The header and the example row (the allowed values are in the .xlsx and on the import page)."""
    permissions.require(actor, "organization.import", None)
    writer = csv.writer(target)
    writer.writerow(header(locale))
    writer.writerow(example_row())


def write_xlsx(actor, target, locale: str) -> None:
    """The header and the example row, with drop-down lists of kinds, countries and statuses, and
    the "allowed values" sheet they come from."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    values = allowed_values(actor)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "organisations"
    sheet.append(header(locale))
    sheet.append(example_row())
    sheet.freeze_panes = "A2"
    allowed = workbook.create_sheet(ALLOWED_SHEET)
    allowed.append([_("Column"), _("Value to write"), "English", "中文"])
    for row in values:
        allowed.append([escape_formula(value) for value in row])  # node names are anyone's text
    for column in ("kind", "country", "membership_status"):
        positions = [n for n, row in enumerate(values, start=2) if row[0] == column]
        letter = chr(ord("A") + COLUMNS.index(column))
        check = DataValidation(type="list", formula1=f"'{ALLOWED_SHEET}'!$B${positions[0]}:$B${positions[-1]}",
                               allow_blank=True, showErrorMessage=False)  # fmt: skip
        check.add(f"{letter}2:{letter}100000")
        sheet.add_data_validation(check)
    workbook.save(target)
