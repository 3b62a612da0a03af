"""Reading the uploaded file: its type, size, encoding and header, then its rows as text; and the
CSV of the rows an import left out."""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

from flask import current_app
from flask_babel import gettext as _

from network.errors import ValidationError
from network.services.spreadsheet import HEADER_LOOKUP, REQUIRED, header_key

SAMPLE_BYTES = 256 * 1024
EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx"}


class ImportFileError(ValidationError):
    """The file as a whole cannot be read (type, size, encoding, header): one clear message."""

    def __init__(self, message: str):
        super().__init__({"file": [message]})


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
        column = HEADER_LOOKUP.get(header_key(cell))
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


def too_many_rows(limit: int) -> ImportFileError:
    return ImportFileError(_("This file has more than %(limit)d rows; split it into smaller files, or raise "
                             "IMPORT_MAX_ROWS.", limit=limit))  # fmt: skip


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
