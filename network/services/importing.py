"""Bulk import of organisations from CSV and Excel: read, check, preview, commit, undo.

One pass streams the file in batches: each row is cleaned with the same rules as the forms
(``organizations.validate_organization``), references (countries, themes, nodes) are resolved in
memory, and the row is classified as new, updated, unchanged, possible duplicate or invalid. When
writing, new organisations go in with bulk INSERTs (the ORM unit of work is far too slow for
200,000 rows) and their audit rows are written in bulk here, because the audit session hook only
sees ORM flushes; updates go through the ORM so the hook audits them as usual. Everything happens in
one transaction: a failure anywhere leaves nothing behind.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import re
import threading
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from network import database, numbers, permissions, tasks
from network.errors import Conflict, NotFound, PermissionDenied, ValidationError
from network.extensions import db
from network.models import (
    AuditEvent,
    ImportJob,
    Membership,
    Network,
    Organization,
    OrganizationIdentifier,
    Region,
    Theme,
    utcnow,
)
from network.models.organization import (
    MEMBERSHIP_STATUSES,
    ORGANIZATION_KINDS,
    organization_countries,
    organization_themes,
)
from network.services import operation
from network.services.cleaning import IDENTIFIER
from network.services.duplicates import LIKELY, DuplicateIndex, OrgFeatures, load_features
from network.services.organizations import assign_profile, validate_organization
from network.services.reference import country_aliases
from network.slugs import slugify

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
# A cell that a spreadsheet would run as a formula (the export escapes such text with a ').
FORMULA = re.compile(r"^(?:[=@]|[+-]\S*[(|!])")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH_SIZE = 2000
MAX_REPORTED = 2000  # errors and duplicates kept in the job for the preview page
SAMPLE_BYTES = 256 * 1024
EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx"}
ROW_OUTCOMES = ("new", "updated", "unchanged", "duplicate", "invalid")


class ImportFileError(ValidationError):
    """The file as a whole cannot be read (type, size, encoding, header): one clear message."""

    def __init__(self, message: str):
        super().__init__({"file": [message]})


def _header_key(text: str) -> str:
    """Headers compare alike whatever their case, spacing, _ or -, and full-width forms (国家／地区)."""
    text = unicodedata.normalize("NFKC", str(text or "").replace("\ufeff", ""))
    return re.sub(r"[\s_\-]+", " ", text).strip().casefold()


HEADER_LOOKUP = {_header_key(alias): column for column, aliases in HEADER_ALIASES.items() for alias in aliases}
HEADER_LOOKUP.update({_header_key(c): c for c in COLUMNS})


# --- Reading files ----------------------------------------------------------------------------


@dataclass
class Table:
    """An opened spreadsheet: mapped header, and a fresh iterator of its data rows on each call."""

    kind: str  # csv / xlsx
    encoding: str | None
    columns: list[str | None]  # the field each position maps to (None: ignored)
    ignored: list[str]
    count: int  # data rows (approximate for xlsx with trailing blank rows)
    rows: Callable[[], Iterator[tuple[int, list[str]]]]


def open_table(path: Path, filename: str | None = None, *, max_bytes: int | None = None) -> Table:
    """Check the file and read its header; raises ImportFileError with a message people understand."""
    filename = filename or path.name
    size = path.stat().st_size
    limit = max_bytes or current_app.config.get("MAX_CONTENT_LENGTH") or 20 * 1024 * 1024
    if size > limit:
        raise ImportFileError(_("The file is %(size)s; the limit is %(limit)s.", size=_megabytes(size),
                                limit=_megabytes(limit)))  # fmt: skip
    if size == 0:
        raise ImportFileError(_("The file is empty."))
    extension = Path(filename).suffix.lower()
    if extension == ".xls":
        raise ImportFileError(_("Old Excel .xls files cannot be read; save it as .xlsx or CSV and upload that."))
    kind = EXTENSIONS.get(extension)
    if kind is None:
        raise ImportFileError(_("%(name)s is not a CSV or .xlsx file; upload a spreadsheet saved as CSV or Excel "
                                "(.xlsx).", name=filename))  # fmt: skip
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if kind == "xlsx":
        return _open_xlsx(path, sample)
    return _open_csv(path, sample)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


BINARY_SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive or an Excel .xlsx workbook",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\xd0\xcf\x11\xe0": "an old Office document (.xls/.doc)",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}


def detect_encoding(path: Path, sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16, GB18030 or Windows-1252, checked over the whole file."""
    if sample.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif sample[1:200:2].count(0) > 40 and sample[0:200:2].count(0) < 5:
        encoding = "utf-16-le"  # UTF-16 without a BOM: every second byte of ASCII text is NUL
    elif sample[0:200:2].count(0) > 40 and sample[1:200:2].count(0) < 5:
        encoding = "utf-16-be"
    else:
        for signature, what in BINARY_SIGNATURES.items():
            if sample.startswith(signature):
                raise ImportFileError(_("This is not a CSV file: it looks like %(what)s.", what=what))
        if b"\x00" in sample:
            raise ImportFileError(_("This is not a CSV file: it contains binary data."))
        if _decodes(path, "utf-8"):
            return "utf-8"
        from charset_normalizer import from_bytes

        best = from_bytes(sample, cp_isolation=["gb18030", "cp1252"]).best()
        candidates = [best.encoding] if best else []
        candidates += [e for e in ("gb18030", "cp1252") if e not in candidates]
        for candidate in candidates:
            if _decodes(path, candidate):
                return candidate
        raise ImportFileError(_("The file's text encoding could not be recognised; save it as CSV UTF-8."))
    if not _decodes(path, encoding):
        raise ImportFileError(_("The file is not valid %(encoding)s text; save it as CSV UTF-8.", encoding=encoding))
    return encoding


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    control = 0
    try:
        with path.open("rb") as f:
            while chunk := f.read(1024 * 1024):
                text = decoder.decode(chunk)
                control += sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return control < 10


def _open_csv(path: Path, sample: bytes) -> Table:
    encoding = detect_encoding(path, sample)
    text_sample = sample.decode(encoding, errors="ignore")
    first_lines = "\n".join(text_sample.splitlines()[:20])
    try:
        delimiter = csv.Sniffer().sniff(first_lines, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    csv.field_size_limit(64 * 1024 * 1024)  # cell lengths are checked per column, with a message

    def records():
        with path.open(encoding=encoding, newline="") as f:
            yield from csv.reader(f, delimiter=delimiter)

    try:
        iterator = records()
        header = next(iterator, None)
        while header is not None and not any(c.strip() for c in header):
            header = next(iterator, None)
        count = sum(1 for r in iterator if any(c.strip() for c in r))
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ImportFileError(_("The CSV file could not be read: %(error)s.", error=str(exc))) from exc
    if header is None:
        raise ImportFileError(_("The file has no rows."))
    columns, ignored = map_header(header)

    def rows():
        iterator = records()
        seen_header = False
        number = 0
        for record in iterator:
            number += 1
            if not any(c.strip() for c in record):
                continue
            if not seen_header:
                seen_header = True
                continue
            yield number, record

    return Table("csv", encoding, columns, ignored, count, rows)


def _open_xlsx(path: Path, sample: bytes) -> Table:
    if not sample.startswith(b"PK\x03\x04"):
        raise ImportFileError(_("This file is not a valid .xlsx workbook."))
    from openpyxl import load_workbook

    def open_sheet():
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for damaged files
            raise ImportFileError(
                _("This .xlsx workbook could not be read (%(error)s).", error=type(exc).__name__)
            ) from exc
        return workbook, workbook.worksheets[0]

    def records(sheet):
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]

    workbook, sheet = open_sheet()
    try:
        header = None
        number = 0
        for record in records(sheet):
            number += 1
            if any(c.strip() for c in record):
                header = record
                break
        count = max((sheet.max_row or number) - number, 0)
    finally:
        workbook.close()
    if header is None:
        raise ImportFileError(_("The workbook's first sheet is empty."))
    columns, ignored = map_header(header)

    def rows():
        workbook, sheet = open_sheet()
        try:
            seen_header = False
            for n, record in enumerate(records(sheet), start=1):
                if not any(c.strip() for c in record):
                    continue
                if not seen_header:
                    seen_header = True
                    continue
                yield n, record
        finally:
            workbook.close()

    return Table("xlsx", None, columns, ignored, count, rows)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def map_header(header: list[str]) -> tuple[list[str | None], list[str]]:
    """The field each column holds (None: a column the importer does not know, ignored and listed)."""
    columns: list[str | None] = []
    ignored = []
    for cell in header:
        column = HEADER_LOOKUP.get(_header_key(cell))
        if column is not None and column in columns:
            first = str(header[columns.index(column)]).strip()
            raise ImportFileError(_("The columns %(first)s and %(second)s both mean %(column)s: keep one of them.",
                                    first=first, second=str(cell).strip(), column=column))  # fmt: skip
        columns.append(column)
        if column is None and str(cell).strip():
            ignored.append(str(cell).strip())
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ImportFileError(
            _("No %(columns)s column was found. The first row must name the columns, e.g. name (or 名称) and "
              "country (or 国家).", columns=" / ".join(missing))
        )  # fmt: skip
    return columns, ignored


# --- Reference lookups ------------------------------------------------------------------------


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
        self.countries = country_aliases()
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
                    self.themes[alias.casefold()] = theme.slug
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
        self.kinds: dict[str, str] = {k: k for k in ORGANIZATION_KINDS}
        from network.labels import MEMBERSHIP_STATUS_LABELS, ORGANIZATION_KIND_LABELS

        for code, label in ORGANIZATION_KIND_LABELS.items():
            self.kinds[str(label).casefold()] = code
        self.kinds.update({k.casefold(): v for k, v in KIND_SYNONYMS.items()})
        self.statuses = {s: s for s in MEMBERSHIP_STATUSES}
        for code, label in MEMBERSHIP_STATUS_LABELS.items():
            self.statuses[str(label).casefold()] = code
        self.statuses.update(MEMBERSHIP_SYNONYMS)

    @staticmethod
    def suggest(value: str, choices) -> str | None:
        found = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
        if not found:
            found = difflib.get_close_matches(value.casefold(), [str(c).casefold() for c in choices], n=1, cutoff=0.6)
            if found:
                found = [next(c for c in choices if str(c).casefold() == found[0])]
        return str(found[0]) if found else None

    def country(self, value: str) -> str | None:
        return self.countries.get(value.strip().casefold())

    def country_suggestion(self, value: str) -> str | None:
        found = self.suggest(value, self.country_names)
        return f"{found} ({self.country_names[found]})" if found else None

    def kind_suggestion(self, value: str) -> str | None:
        found = self.suggest(value.casefold(), list(self.kinds))
        return self.kinds[found] if found else None

    def theme(self, value: str) -> str | None:
        return self.themes.get(value.strip().casefold()) or self.themes.get(value.strip().casefold().replace("_", "-"))

    def node(self, value: str) -> Network | None:
        return self.nodes.get(value.strip().casefold())


# --- Rows -------------------------------------------------------------------------------------


@dataclass
class CleanRow:
    number: int
    values: dict  # profile values in validate_organization's plain form; only columns given
    nodes: list[tuple[int, str | None, date | None]] = field(default_factory=list)  # (network id, status, joined)
    raw: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return exact_key(self.values["name"]), self.values["hq_country"]


def exact_key(name: str) -> str:
    return " ".join(name.casefold().split())


def unescape(text: str) -> str:
    """Our export writes text that would start a formula with a leading apostrophe; drop it."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        return text[1:]
    return text


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
        kind = refs.kinds.get(cells["kind"].casefold())
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
            code = refs.statuses.get(status.casefold())
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


# --- The import run ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    counts: dict = field(default_factory=lambda: dict.fromkeys(ROW_OUTCOMES + ("skipped",), 0))
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    warnings: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    rejected: list[tuple[int, list[str], list[Issue]]] = field(default_factory=list)
    created: list[list[int]] = field(default_factory=list)  # [org id, version]
    updated: list[dict] = field(default_factory=list)  # {"id", "version", "before"}
    memberships: list[int] = field(default_factory=list)
    total: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None

    @property
    def clean(self) -> bool:
        return self.counts["invalid"] == 0

    def summary(self) -> dict:
        return dict(self.counts)


class Existing:
    """What is already stored, for matching rows: identifiers, exact names per country, and features."""

    def __init__(self, scope_orgs: set[int] | None):
        self.by_identifier = dict(
            db.session.execute(select(OrganizationIdentifier.value, OrganizationIdentifier.organization_id)).all()
        )
        self.by_key: dict[tuple[str, str | None], list[int]] = {}
        query = (
            select(Organization.id, Organization.name, Region.code, Organization.slug)
            .outerjoin(Region, Region.id == Organization.hq_country_id)
            .where(Organization.archived_at.is_(None), Organization.merged_into_id.is_(None))
        )
        self.count = 0
        for org_id, name, code, _slug in db.session.execute(query):
            self.by_key.setdefault((exact_key(name), code), []).append(org_id)
            self.count += 1
        self.slugs = set(db.session.scalars(select(Organization.slug)))
        self.slug_next: dict[str, int] = {}
        self.manageable = scope_orgs
        self._index: DuplicateIndex | None = None

    @property
    def index(self) -> DuplicateIndex:
        if self._index is None:
            self._index = DuplicateIndex(load_features() if self.count else [])
        return self._index

    def new_slug(self, name: str) -> str:
        base = slugify(name, fallback="organisation")
        if base not in self.slugs:
            self.slugs.add(base)
            return base
        n = self.slug_next.get(base, 2)
        while f"{base}-{n}" in self.slugs:
            n += 1
        self.slug_next[base] = n + 1
        slug = f"{base}-{n}"
        self.slugs.add(slug)
        return slug


@dataclass
class ImportOptions:
    node: Network | None = None
    write: bool = False
    skip_invalid: bool = False
    decisions: dict[str, str] = field(default_factory=dict)  # row number (str) -> create / update / skip
    default_decision: str = "create"  # for possible duplicates without a decision
    progress: Callable[[int, int], None] | None = None
    max_rows: int | None = None  # more rows than this: the file is refused (uploads; the CLI has no limit)


def run_import(actor, path: Path, filename: str, options: ImportOptions) -> ImportResult:
    """Read, check and (when options.write) save; the caller commits or rolls back."""
    if not permissions.can(actor, "organization.import", options.node):
        raise PermissionDenied(_("You do not have permission to import into this node."))
    table = open_table(path, filename)
    _cache().clear()  # never compare with values read before this run
    refs = References(actor, options.node)
    existing = Existing(_manageable_organizations(actor))
    result = ImportResult(total=table.count, ignored_columns=table.ignored, encoding=table.encoding)
    writer = BatchWriter(actor, existing, result) if options.write else None
    seen_keys: dict[tuple, tuple[int, tuple]] = {}
    seen_identifiers: dict[str, int] = {}
    batch: list[tuple[str, CleanRow, int | None]] = []
    processed = 0

    def flush_batch():
        if writer and batch:
            writer.write(batch)
        batch.clear()

    for number, record in table.rows():
        processed += 1
        if options.max_rows is not None and processed > options.max_rows:
            raise too_many_rows(options.max_rows)
        row, issues = clean_row(number, record, table.columns, refs)
        if row is not None:
            issues = _check_in_file(row, seen_keys, seen_identifiers, result)
        if issues:
            result.counts["invalid"] += 1
            result.error_count += len(issues)
            for issue in issues:
                if len(result.errors) < MAX_REPORTED:
                    result.errors.append(issue.as_dict())
            if options.skip_invalid:
                result.rejected.append((number, list(record), issues))
            continue
        outcome, target = classify(row, existing, result)
        counted = outcome
        if outcome == "duplicate":
            decision = options.decisions.get(str(number), options.default_decision)
            if decision == "skip":
                result.counts["duplicate"] += 1
                result.counts["skipped"] += 1
                continue
            if decision == "update":
                outcome = "update-duplicate"
            else:
                outcome, target = "new", None
        if (
            outcome in ("updated", "update-duplicate")
            and existing.manageable is not None
            and (target not in existing.manageable)
        ):
            issue = Issue(number, "name", _("This matches %(name)s, which you may not update (it is not in your "
                                            "nodes).", name=row.values["name"]))  # fmt: skip
            result.counts["invalid"] += 1
            result.error_count += 1
            if len(result.errors) < MAX_REPORTED:
                result.errors.append(issue.as_dict())
            if options.skip_invalid:
                result.rejected.append((number, list(record), [issue]))
            continue
        refused = [n for n in _membership_writes(row, target) if n not in refs.allowed_nodes]
        if refused:
            issue = Issue(number, "network", _("You cannot import into %(node)s.",
                                               node=", ".join(refs.node_names[n] for n in refused)))  # fmt: skip
            result.counts["invalid"] += 1
            result.error_count += 1
            if len(result.errors) < MAX_REPORTED:
                result.errors.append(issue.as_dict())
            if options.skip_invalid:
                result.rejected.append((number, list(record), [issue]))
            continue
        result.counts[counted] += 1
        if outcome != "unchanged":
            batch.append((outcome, row, target))
        if len(batch) >= BATCH_SIZE:
            flush_batch()
        if options.progress and processed % 500 == 0:
            options.progress(processed, table.count)
    flush_batch()
    if options.progress:
        options.progress(processed, table.count)
    result.total = processed
    if writer:
        if result.counts["invalid"] and not options.skip_invalid:
            raise ValidationError({"file": [_("The file has %(n)d invalid rows; nothing was imported.",
                                              n=result.counts["invalid"])]})  # fmt: skip
        writer.finish()
    return result


def _membership_writes(row: CleanRow, target: int | None) -> list[int]:
    """The nodes whose membership this row would create or change."""
    if target is None:
        return [n for n, _s, _j in row.nodes]
    memberships = current_values([target])[target].get("memberships", {})
    return [
        n for n, status, joined_on in row.nodes
        if n not in memberships or (status and memberships[n][0] != status)
        or (joined_on and memberships[n][1] != joined_on.isoformat())
    ]  # fmt: skip


def _manageable_organizations(actor) -> set[int] | None:
    """Ids of the organisations the actor may update (None: all, for admins)."""
    in_scope = permissions.organizations_in_scope(actor)
    return None if in_scope is None else set(db.session.scalars(in_scope))


def _check_in_file(row: CleanRow, seen_keys: dict, seen_identifiers: dict, result: ImportResult) -> list[Issue]:
    """A row repeating an earlier one is an error; the same name with other details is a warning."""
    issues = []
    for value in row.values.get("identifiers") or ():
        if value in seen_identifiers:
            issues.append(Issue(row.number, "identifier", _("Identifier %(value)s is also on row %(row)d.",
                                                            value=value, row=seen_identifiers[value])))  # fmt: skip
        else:
            seen_identifiers[value] = row.number
    signature = (tuple(sorted((k, str(v)) for k, v in row.values.items())), tuple(row.nodes))
    earlier = seen_keys.get(row.key)
    if earlier is None:
        seen_keys[row.key] = (row.number, hash(signature))
    elif earlier[1] == hash(signature):
        issues.append(Issue(row.number, "name", _("This row repeats row %(row)d.", row=earlier[0])))
    elif len(result.warnings) < MAX_REPORTED:
        result.warnings.append({"row": row.number, "column": "name", "message": _(
            "Same name and country as row %(row)d, with other details; both will be imported.", row=earlier[0])})  # fmt: skip
    return issues


def classify(row: CleanRow, existing: Existing, result: ImportResult) -> tuple[str, int | None]:
    """new / updated / unchanged (exact match: identifier, or name and country) / duplicate (fuzzy)."""
    target = None
    for value in row.values.get("identifiers") or ():
        if value in existing.by_identifier:
            target = existing.by_identifier[value]
            break
    if target is None:
        matches = existing.by_key.get(row.key)
        if matches:
            target = matches[0] if len(matches) == 1 else _best_exact(row, matches)
    if target is not None:
        return ("unchanged" if not _differences(row, target) else "updated"), target
    if existing.count:
        features = OrgFeatures.build(
            name=row.values["name"], name_local=row.values.get("name_local"), acronym=row.values.get("acronym"),
            website=row.values.get("website"), email=row.values.get("email"), country=row.values["hq_country"],
            identifiers=row.values.get("identifiers") or (),
        )  # fmt: skip
        found = existing.index.matches(features, LIKELY, limit=1)
        if found:
            score, candidate, reasons = found[0]
            if len(result.duplicates) < MAX_REPORTED:
                result.duplicates.append({"row": row.number, "name": row.values["name"], "candidate_id": candidate,
                                          "candidate_name": existing.index.records[candidate].name,
                                          "score": score, "reasons": reasons})  # fmt: skip
            return "duplicate", candidate
    return "new", None


def _best_exact(row: CleanRow, ids: list[int]) -> int:
    """Several stored records share the name and country: the one the row describes exactly, if any."""
    for org_id in ids:
        if not _differences(row, org_id):
            return org_id
    return ids[0]


_local = threading.local()  # stored values read during one import run, per thread


def _cache() -> dict[int, dict]:
    return _local.__dict__.setdefault("current", {})


def current_values(org_ids: list[int]) -> dict[int, dict]:
    """Stored values in the row's plain form (codes, slugs, lists), for the given organisations."""
    from network.services.exporting import plain_records

    cache = _cache()
    missing = [i for i in org_ids if i not in cache]
    if missing:
        if len(cache) > 5000:
            cache.clear()
        cache.update(plain_records(missing))
    return {i: cache[i] for i in org_ids}


def _differences(row: CleanRow, org_id: int) -> dict:
    """Fields whose value in the row differs from the stored one (blank cells change nothing)."""
    stored = current_values([org_id])[org_id]
    changes = {}
    for key, value in row.values.items():
        if stored.get(key) != value:
            changes[key] = [stored.get(key), value]
    memberships = stored.get("memberships", {})
    for network_id, status, joined_on in row.nodes:
        have = memberships.get(network_id)
        if have is None or (status and have[0] != status) or (joined_on and have[1] != joined_on.isoformat()):
            changes.setdefault("memberships", []).append(network_id)
    return changes


def bulk_insert(conn, table, rows: list[dict]) -> None:
    """executemany straight to the driver, converting values with the columns' own bind processors
    (SQLAlchemy's per-row parameter handling costs more than the database for wide batches)."""
    columns = list(rows[0])
    dialect = conn.dialect
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    values = [
        tuple(p(row[c]) if p else row[c] for c, p in zip(columns, processors, strict=True)) for row in rows
    ]  # fmt: skip
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(dialect.identifier_preparer.quote(c) for c in columns)
    # Table and column names come from the models, never from the file.
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608
    conn.exec_driver_sql(statement, values)


class BatchWriter:
    """Writes batches of classified rows in the current transaction, recording what it did for undo."""

    def __init__(self, actor, existing: Existing, result: ImportResult):
        self.actor_id = getattr(actor, "id", None)
        self.existing = existing
        self.result = result
        self.wrote = False

    def write(self, batch: list[tuple[str, CleanRow, int | None]]) -> None:
        new = [row for outcome, row, _t in batch if outcome == "new"]
        updates = [(row, target) for outcome, row, target in batch if outcome in ("updated", "update-duplicate")]
        if new:
            self.insert(new)
        if updates:
            self.update(updates)
        self.wrote = self.wrote or bool(new or updates)

    def insert(self, rows: list[CleanRow]) -> None:
        now = utcnow()
        records = []
        for row in rows:
            v = row.values
            records.append({
                "slug": self.existing.new_slug(v["name"]), "name": v["name"], "name_local": v.get("name_local"),
                "acronym": v.get("acronym"), "kind": v.get("kind") or "ngo",
                "hq_country_id": self.existing_region(v["hq_country"]), "website": v.get("website"),
                "email": v.get("email"), "phone": v.get("phone"), "description": v.get("description"),
                "founded": v.get("founded"), "version": 1, "created_at": now, "updated_at": now,
            })  # fmt: skip
        table = Organization.__table__
        # RETURNING the unique slug maps ids to rows; asking SQLAlchemy to keep the parameter order
        # instead makes it insert row by row on SQLite.
        conn = db.session.connection()
        returned = dict(conn.execute(insert(table).returning(table.c.slug, table.c.id), records).all())
        ids = [returned[record["slug"]] for record in records]
        countries, themes, identifiers, memberships, audit = [], [], [], [], []
        refs_region = self.existing_region
        for org_id, row, record in zip(ids, rows, records, strict=True):
            v = row.values
            for code in v.get("countries") or ():
                countries.append({"organization_id": org_id, "region_id": refs_region(code)})
            for slug in v.get("themes") or ():
                themes.append({"organization_id": org_id, "theme_id": self.theme_id(slug)})
            for value in v.get("identifiers") or ():
                identifiers.append({"organization_id": org_id, "value": value})
            for network_id, status, joined_on in row.nodes:
                status = status or "active"
                memberships.append({"organization_id": org_id, "network_id": network_id, "status": status,
                                    "joined_on": joined_on or (now.date() if status == "active" else None),
                                    "version": 1, "created_at": now, "updated_at": now})  # fmt: skip
            changes = {k: [None, val] for k, val in record.items()
                       if val is not None and k not in ("version", "created_at", "updated_at")}  # fmt: skip
            for key in ("countries", "themes", "identifiers"):
                if v.get(key):
                    changes[key] = [None, v[key]]
            audit.append(self.event("create", "organizations", org_id, changes, now))
            self.result.created.append([org_id, 1])
        if countries:
            bulk_insert(conn, organization_countries, countries)
        if themes:
            bulk_insert(conn, organization_themes, themes)
        if identifiers:
            bulk_insert(conn, OrganizationIdentifier.__table__, identifiers)
        if memberships:
            mtable = Membership.__table__
            returned_members = {
                (org_id, network_id): membership_id
                for membership_id, org_id, network_id in conn.execute(
                    insert(mtable).returning(mtable.c.id, mtable.c.organization_id, mtable.c.network_id), memberships
                )
            }
            member_ids = [returned_members[(m["organization_id"], m["network_id"])] for m in memberships]
            for membership_id, m in zip(member_ids, memberships, strict=True):
                self.result.memberships.append(membership_id)
                audit.append(self.event("create", "memberships", membership_id, {
                    "organization_id": [None, m["organization_id"]], "network_id": [None, m["network_id"]],
                    "status": [None, m["status"]], "joined_on": [None, m["joined_on"] and m["joined_on"].isoformat()],
                }, now))  # fmt: skip
        bulk_insert(conn, AuditEvent.__table__, audit)
        for org_id, row in zip(ids, rows, strict=True):
            for value in row.values.get("identifiers") or ():
                self.existing.by_identifier[value] = org_id

    def event(self, action: str, entity_type: str, entity_id: int, changes: dict, now) -> dict:
        return {"at": now, "actor_id": self.actor_id, "action": action, "entity_type": entity_type,
                "entity_id": entity_id, "changes": changes}  # fmt: skip

    def existing_region(self, code: str | None) -> int | None:
        if code is None:
            return None
        if not hasattr(self, "_regions"):
            self._regions = dict(db.session.execute(select(Region.code, Region.id)).all())
        return self._regions[code]

    def theme_id(self, slug: str) -> int:
        if not hasattr(self, "_themes"):
            self._themes = dict(db.session.execute(select(Theme.slug, Theme.id)).all())
        return self._themes[slug]

    def update(self, updates: list[tuple[CleanRow, int]]) -> None:
        """Changed records through the ORM, so versions bump and the audit hook records the diffs."""
        ids = [target for _row, target in updates]
        orgs = {
            o.id: o
            for o in db.session.scalars(
                select(Organization).where(Organization.id.in_(ids)).options(
                    selectinload(Organization.countries), selectinload(Organization.themes),
                    selectinload(Organization.identifiers), selectinload(Organization.hq_country),
                    selectinload(Organization.memberships),
                )
            )
        }  # fmt: skip
        before_all = current_values(ids)
        for row, target in updates:
            org = orgs[target]
            before = before_all[target]
            changes = {k: v for k, v in row.values.items() if before.get(k) != v}
            if "identifiers" in changes:  # add the file's identifiers; never drop stored ones
                changes["identifiers"] = sorted(set(before.get("identifiers") or []) | set(changes["identifiers"]))
            assign_profile(org, changes)
            added = []
            for network_id, status, joined_on in row.nodes:
                membership = next((m for m in org.memberships if m.network_id == network_id), None)
                if membership is None:
                    membership = Membership(organization=org, network_id=network_id, status=status or "active",
                                            joined_on=joined_on or utcnow().date())  # fmt: skip
                    db.session.add(membership)
                    added.append(membership)
                else:
                    if status and membership.status != status:
                        membership.status = status
                    if joined_on and membership.joined_on != joined_on:
                        membership.joined_on = joined_on
            db.session.flush()
            self.result.memberships.extend(m.id for m in added)
            self.result.updated.append({"id": org.id, "version": org.version,
                                        "before": {k: before.get(k) for k in changes}})  # fmt: skip
            _cache().pop(org.id, None)

    def finish(self) -> None:
        _cache().clear()
        if self.wrote:
            sync_search_index([org_id for org_id, _version in self.result.created])


def sync_search_index(org_ids: list[int] | None = None) -> None:
    """Bulk inserts bypass the search engine's session hook: index the organisations written (new
    ones have no partners or projects whose documents would change), or rebuild everything."""
    try:
        from network.services.search import index
    except ImportError:
        return
    conn = db.session.connection()
    if org_ids is None:
        index.rebuild_index(conn)
        return
    index.reindex(conn, "organization", org_ids)
    index.bump_generation(conn)


# --- Jobs: the web flow (the preview and the commit run on the queue), the CLI and undo ---------

# A consumer has yet to finish these: "uploaded" waits for its preview, "running" for its commit.
ACTIVE_STATUSES = ("uploaded", "running")


def heartbeat_key(job_id: int) -> str:
    return f"import-{job_id}"


def too_many_rows(limit: int) -> ImportFileError:
    return ImportFileError(_("This file has more than %(limit)d rows; split it into smaller files, or raise "
                             "IMPORT_MAX_ROWS.", limit=limit))  # fmt: skip


def mark_if_interrupted(job: ImportJob) -> ImportJob:
    """A job whose consumer is gone failed: say so instead of showing it running forever. A running
    job beats (tasks.Heartbeat); one not started yet waits for a consumer, but not past IMPORT_TIMEOUT."""
    if job.status not in ACTIVE_STATUSES:
        return job
    config = current_app.config
    pulse = tasks.pulse(heartbeat_key(job.id))
    if pulse is not None:
        gone = time.time() - pulse["at"] > config["IMPORT_HEARTBEAT_TIMEOUT"]
    else:
        gone = utcnow() - job.updated_at > timedelta(seconds=config["IMPORT_TIMEOUT"])
    if gone:
        fail_job(job, job.status, _("The import was interrupted before it finished (its worker stopped); nothing "
                                    "was saved. Upload the file again."))  # fmt: skip
    return job


def fail_job(job: ImportJob, status: str, message: str, wait: float = 2) -> None:
    """Record why a job ended, unless it left `status` meanwhile (finished by a consumer still alive),
    and remove its upload. Written in a short transaction of its own, so a page that finds a dead job
    neither waits long for a lock nor fails: when the write cannot be made now, the next look tries."""
    table = ImportJob.__table__
    now = utcnow()
    values = {"status": "failed", "finished_at": now, "updated_at": now,
              "details": {**(job.details or {}), "message": message}}  # fmt: skip
    statement = update(table).where(table.c.id == job.id, table.c.status == status).values(**values)
    try:
        if database.will_write():  # a unit of work that writes anyway (a POST): the update goes with it
            failed = db.session.execute(statement).rowcount
        else:
            with database.side_transaction(wait) as conn:
                failed = conn.execute(statement).rowcount
    except OperationalError:
        current_app.logger.warning("import %s: could not record it failed now", job.id, exc_info=True)
        return
    if failed:
        for key, value in values.items():  # what the page shows, without a write of the session's own
            set_committed_value(job, key, value)
        if values["details"].get("path"):
            Path(values["details"]["path"]).unlink(missing_ok=True)


def job_progress(job: ImportJob) -> dict:
    """Progress of a job: from its heartbeat while a consumer runs it, else from its row."""
    processed, total = job.processed_rows, job.total_rows
    pulse = tasks.pulse(heartbeat_key(job.id)) if job.status in ACTIVE_STATUSES else None
    if pulse:
        processed, total = pulse.get("processed", processed), pulse.get("total", total)
    percent = 100 if job.status in ("committed", "undone") else (round(processed * 100 / total) if total else 0)
    return {"status": job.status, "processed": processed, "total": total, "percent": min(percent, 100),
            "started": pulse is not None, "counts": job.counts or {},
            "message": (job.details or {}).get("message")}  # fmt: skip


def import_folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@operation
def upload_file(actor, path: Path, filename: str, node: Network | None, locale: str) -> ImportJob:
    """Check what is quick to check of an upload now, and queue its preview: the rows are read by a
    job, so a large file never holds up a web worker."""
    permissions.require(actor, "organization.import", node)
    count = quick_count(path, filename)
    limit = current_app.config["IMPORT_MAX_ROWS"]
    if count > limit:  # the job counts again while it reads
        raise too_many_rows(limit)
    job = ImportJob(user_id=actor.id, filename=filename[:255], status="uploaded", total_rows=count,
                    processed_rows=0, counts={})  # fmt: skip
    job.details = {"path": str(path), "node_id": node.id if node else None, "kind": Path(filename).suffix.lower(),
                   "locale": locale}  # fmt: skip
    db.session.add(job)
    db.session.flush()
    tasks.enqueue(preview_job, job.id)
    return job


def quick_count(path: Path, filename: str) -> int:
    """The rows of an upload, as far as the request checks it. A CSV is opened as the job will open
    it (type, encoding, header: under a second at the size limit). Of a workbook only the row count
    its first sheet declares is read (Excel writes one; 0 when it declares none): openpyxl reads a
    whole sheet that declares none before it gives the first row (20 s for 2,000,000 rows), so the
    header is checked by the job. (ElementTree, as openpyxl itself on the same file: expat >= 2.4
    refuses entity expansion bombs, and ElementTree resolves no external entities.)"""
    if Path(filename).suffix.lower() != ".xlsx":
        return open_table(path, filename).count
    try:
        with zipfile.ZipFile(path) as archive:
            sheet = _first_sheet(archive)
            with archive.open(sheet) as part:
                for _event, element in ElementTree.iterparse(part):  # noqa: S314
                    name = element.tag.rpartition("}")[2]
                    if name == "dimension":
                        last = re.search(r"(\d+)$", element.get("ref", ""))
                        return max(int(last.group(1)) - 1, 0) if last else 0
                    if name in ("row", "sheetData"):  # the declared range comes before the rows
                        return 0
    except (zipfile.BadZipFile, KeyError, StopIteration, ElementTree.ParseError) as exc:
        raise ImportFileError(_("This file is not a valid .xlsx workbook.")) from exc
    return 0


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The part name of a workbook's first sheet (the one the import reads)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
    sheet = next(e for e in workbook.iter() if e.tag.rpartition("}")[2] == "sheet")
    relation = next(v for k, v in sheet.attrib.items() if k.rpartition("}")[2] == "id")
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    target = next(e.get("Target") for e in relations if e.get("Id") == relation)
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def get_job(actor, job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(_("No such import."))
    if not permissions.can(actor, "import.view", job):
        raise PermissionDenied(_("This is someone else's import."))
    return mark_if_interrupted(job)


def import_log(actor, limit: int = 50) -> list[ImportJob]:
    """The imports the actor may see (admins: everyone's), newest first."""
    if not permissions.can(actor, "organization.import", None):
        raise PermissionDenied(_("Only coordinators import."))
    query = select(ImportJob).options(selectinload(ImportJob.user)).order_by(ImportJob.id.desc()).limit(limit)
    if not permissions.can(actor, "import.view_all"):
        query = query.where(ImportJob.user_id == actor.id)
    return [mark_if_interrupted(job) for job in db.session.scalars(query)]


@operation
def start_commit(actor, job: ImportJob, decisions: dict[str, str], locale: str) -> bool:
    """Queue the commit of a clean preview with the coordinator's choices for possible duplicates.

    Exactly one of several requests to commit one preview (a double click, two tabs) wins: the job
    moves from previewed to running in one conditional UPDATE. The others get False."""
    if not permissions.can(actor, "import.commit", job):
        raise PermissionDenied(_("This is someone else's import."))
    if job.status in ("running", "committed"):
        return False
    if job.status == "uploaded":
        raise ValidationError({"": [_("The file is still being checked; wait for the preview.")]})
    if job.status != "previewed":
        raise ValidationError({"": [_("This import can no longer be committed; upload the file again.")]})
    if (job.counts or {}).get("invalid"):
        raise ValidationError({"": [_("Fix the invalid rows and upload the file again; nothing was imported.")]})
    bad = [d for d in decisions.values() if d not in ("create", "update", "skip")]
    if bad:
        raise ValidationError({"": [_("Choose create, update or skip for each possible duplicate.")]})
    table = ImportJob.__table__
    details = {**job.details, "decisions": decisions, "locale": locale}
    won = db.session.execute(
        update(table).where(table.c.id == job.id, table.c.status == "previewed")
        .values(status="running", details=details, updated_at=utcnow())
    ).rowcount  # fmt: skip
    if won:
        tasks.enqueue(commit_job, job.id)
    return bool(won)


@tasks.job(retries=2)
def preview_job(job_id: int) -> None:
    """The queued check of an uploaded file: the preview is recorded in the job, or why it failed."""
    _run_job(job_id, "uploaded")


@tasks.job(retries=2)
def commit_job(job_id: int) -> None:
    """The queued import of a previewed file: everything or nothing."""
    _run_job(job_id, "running")


def _run_job(job_id: int, status: str) -> None:
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != status:  # finished, failed or removed meanwhile: a repeat does nothing
        return
    locale = (job.details or {}).get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]
    db.session.rollback()  # what follows starts its own transactions
    with force_locale(locale), tasks.Heartbeat(heartbeat_key(job_id)) as heartbeat:
        try:
            (_commit if status == "running" else _preview)(job_id, heartbeat)
        except (Conflict, OperationalError):
            db.session.rollback()
            if not tasks.last_attempt():
                raise  # the queue tries it again later
            current_app.logger.exception("import %s failed", job_id)
            _record_failure(job_id, status, _("The import failed and nothing was saved: the database was busy or "
                                              "unreachable. Upload the file again."))  # fmt: skip
        except Exception as exc:
            db.session.rollback()
            if isinstance(exc, ValidationError | PermissionDenied):
                message = exc.message
            else:
                current_app.logger.exception("import %s failed", job_id)
                message = _("The import failed and nothing was saved: %(error)s", error=str(exc)[:300])
            _record_failure(job_id, status, message)


def _record_failure(job_id: int, status: str, message: str) -> None:
    job = db.session.get(ImportJob, job_id)
    if job is not None:
        fail_job(job, status, message, wait=database.BUSY_TIMEOUT)
    db.session.rollback()


def _job_context(job: ImportJob):
    from network.models import User

    details = dict(job.details or {})
    if not details.get("path") or not Path(details["path"]).exists():
        raise ValidationError({"": [_("The uploaded file of this import is gone; upload it again.")]})
    actor = db.session.get(User, job.user_id) if job.user_id else None
    node = db.session.get(Network, details["node_id"]) if details.get("node_id") else None
    return actor, node, details


def _preview(job_id: int, heartbeat: tasks.Heartbeat) -> None:
    job = db.session.get(ImportJob, job_id)
    actor, node, details = _job_context(job)
    options = ImportOptions(node=node, progress=heartbeat.progress, max_rows=current_app.config["IMPORT_MAX_ROWS"])
    result = run_import(actor, Path(details["path"]), job.filename, options)
    db.session.rollback()  # only reads so far: the row is written in a short transaction of its own
    details |= {
        "errors": result.errors, "error_count": result.error_count, "warnings": result.warnings,
        "duplicates": result.duplicates, "ignored_columns": result.ignored_columns, "encoding": result.encoding,
    }  # fmt: skip
    table = ImportJob.__table__
    with database.writing():
        db.session.execute(
            update(table).where(table.c.id == job_id, table.c.status == "uploaded")
            .values(status="previewed", total_rows=result.total, processed_rows=0, counts=result.summary(),
                    details=details, updated_at=utcnow())
        )  # fmt: skip
        db.session.commit()


@database.writing()
def _commit(job_id: int, heartbeat: tasks.Heartbeat) -> None:
    table = ImportJob.__table__
    # The first statement of the import's transaction: it keeps the job's row locked to the end, so
    # a second delivery of this job waits, then finds it no longer running.
    claimed = db.session.execute(
        update(table).where(table.c.id == job_id, table.c.status == "running").values(updated_at=utcnow())
    ).rowcount
    if not claimed:
        db.session.rollback()
        return
    job = db.session.get(ImportJob, job_id)
    actor, node, details = _job_context(job)
    options = ImportOptions(node=node, write=True, decisions=details.get("decisions") or {},
                            progress=heartbeat.progress)  # fmt: skip
    result = _write_import(actor, Path(details["path"]), job.filename, options)
    job.status, job.finished_at = "committed", utcnow()
    job.processed_rows, job.total_rows, job.counts = result.total, result.total, result.summary()
    job.details = {**details, "created": result.created, "updated": result.updated,
                   "memberships": result.memberships}  # fmt: skip
    db.session.commit()


@operation
def _write_import(actor, path: Path, filename: str, options: ImportOptions) -> ImportResult:
    return run_import(actor, path, filename, options)


def write_import(actor, path: Path, filename: str, options: ImportOptions) -> ImportResult:
    """Import in one savepoint (everything or nothing) for the CLI and tests; the caller commits."""
    return _write_import(actor, path, filename, options)


def record_job(actor, filename: str, result: ImportResult, node: Network | None, path: Path) -> ImportJob:
    """The log entry of an import done in one go (the CLI)."""
    job = ImportJob(user_id=getattr(actor, "id", None), filename=filename[:255], status="committed",
                    total_rows=result.total, processed_rows=result.total, counts=result.summary(),
                    finished_at=utcnow())  # fmt: skip
    job.details = {"path": str(path), "node_id": node.id if node else None, "created": result.created,
                   "updated": result.updated, "memberships": result.memberships, "errors": result.errors[:200],
                   "error_count": result.error_count}  # fmt: skip
    db.session.add(job)
    db.session.flush()
    return job


@operation
def undo_import(actor, job: ImportJob) -> ImportJob:
    """Archive what an import created and put back what it changed, if none of it changed since."""
    if not permissions.can(actor, "import.undo", job):
        raise PermissionDenied(_("Only the coordinator who imported (or an admin) can undo an import."))
    if job.status != "committed":
        raise ValidationError({"": [_("Only a committed import can be undone.")]})
    created = dict(job.details.get("created", []))
    updated = {entry["id"]: entry for entry in job.details.get("updated", [])}
    changed = []
    ids = list(created) + list(updated)
    versions: dict[int, tuple[int, object]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        query = select(Organization.id, Organization.version, Organization.archived_at).where(
            Organization.id.in_(chunk)
        )
        versions.update({i: (v, a) for i, v, a in db.session.execute(query)})
    for org_id, version in created.items():
        if org_id not in versions or versions[org_id] != (version, None):
            changed.append(org_id)
    for org_id, entry in updated.items():
        if org_id not in versions or versions[org_id][0] != entry["version"]:
            changed.append(org_id)
    if changed:
        names = db.session.scalars(select(Organization.name).where(Organization.id.in_(changed[:5]))).all()
        raise ValidationError({"": [_("%(n)d records were changed since the import (%(names)s…); it can no longer "
                                      "be undone as a whole.", n=len(changed), names=", ".join(names))]})  # fmt: skip
    now = utcnow()
    created_ids = list(created)
    membership_ids = job.details.get("memberships", [])
    audit = []
    for start in range(0, len(membership_ids), 1000):
        chunk = membership_ids[start : start + 1000]
        db.session.execute(Membership.__table__.delete().where(Membership.__table__.c.id.in_(chunk)))
        audit += [{"at": now, "actor_id": actor.id, "action": "delete", "entity_type": "memberships",
                   "entity_id": m, "changes": {}} for m in chunk]  # fmt: skip
    table = Organization.__table__
    for start in range(0, len(created_ids), 1000):
        chunk = created_ids[start : start + 1000]
        db.session.execute(
            OrganizationIdentifier.__table__.delete().where(
                OrganizationIdentifier.__table__.c.organization_id.in_(chunk)
            )
        )
        db.session.execute(
            update(table)
            .where(table.c.id.in_(chunk))
            .values(archived_at=now, version=table.c.version + 1, updated_at=now)  # fmt: skip
        )
        audit += [{"at": now, "actor_id": actor.id, "action": "archive", "entity_type": "organizations",
                   "entity_id": i, "changes": {"archived_at": [None, now.isoformat()]}} for i in chunk]  # fmt: skip
    if audit:
        db.session.execute(insert(AuditEvent.__table__), audit)
    if updated:
        orgs = db.session.scalars(
            select(Organization).where(Organization.id.in_(list(updated))).options(
                selectinload(Organization.countries), selectinload(Organization.themes),
                selectinload(Organization.identifiers),
            )
        )  # fmt: skip
        for org in orgs:
            assign_profile(org, updated[org.id]["before"])
    db.session.expire_all()
    job = db.session.get(ImportJob, job.id)
    job.status = "undone"
    job.details = {**job.details, "undone_at": now.isoformat(), "undone_by": actor.id}
    db.session.flush()
    if created_ids or updated:
        sync_search_index(created_ids)
    return job


def write_rejected(path: Path, table_columns: list[str | None], rejected: list) -> Path:
    """The rows --skip-invalid left out, with the reasons, in a CSV beside the input."""
    out = path.with_name(path.stem + ".rejected.csv")
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["row", "errors", *[c or "" for c in table_columns]])
        for number, record, issues in rejected:
            reasons = "; ".join(f"{i.column}: {i.message}" + (f" ({i.suggestion}?)" if i.suggestion else "")
                                for i in issues)  # fmt: skip
            writer.writerow([number, reasons, *record])
    return out
