"""Export in the import columns (CSV, XLSX, CLI, web): escaping, search filters, and the round trip."""

import csv
import io
from datetime import date

from sqlalchemy import func, select

from network.extensions import db
from network.models import AuditEvent, Organization, OrganizationIdentifier
from network.services.exporting import export_rows, export_to_file
from network.services.importing import ImportOptions, run_import, write_import
from network.services.spreadsheet import COLUMNS
from tests import factories as f
from tests.conftest import login


def world():
    europe = f.network("CAN Europe", slug="can-europe")
    asia = f.network("CAN Asia", slug="can-asia")
    a = f.organization("Green Earth", country="KE", themes=["energy-transition", "water"], countries=["KE", "UG"],
                       acronym="GE", website="https://greenearth.example.org", email="info@greenearth.example.org",
                       phone="+254 20 1234", description="Line one\nline two, with comma", founded=1998,
                       name_local="绿色地球", networks=[europe])  # fmt: skip
    f.membership(a, asia, status="applicant", joined_on=date(2021, 3, 1))
    db.session.add(OrganizationIdentifier(organization=a, value="KE-NGO-1"))
    f.organization("=SUM(A1:A2)", country="CN", kind="company", description="-minus first")
    f.organization("Plain Org", country="BR", networks=[asia])
    db.session.flush()
    return a


def test_rows_are_in_import_columns_and_escaped(app):
    world()
    admin = f.user("admin")
    rows = {r["name"]: r for r in export_rows(admin)}
    green = rows["Green Earth"]
    assert list(green) == list(COLUMNS)
    assert green["country"] == "KE" and green["countries_of_operation"] == "KE;UG"
    assert green["themes"] == "energy-transition;water" and green["identifier"] == "KE-NGO-1"
    assert green["network"] == "can-asia;can-europe" and green["membership_status"] == "applicant;active"
    assert green["joined_on"] == "2021-03-01;2020-01-01"
    assert green["phone"] == "'+254 20 1234"
    assert "'=SUM(A1:A2)" in rows and rows["'=SUM(A1:A2)"]["description"] == "'-minus first"


def snapshot():
    return [
        (o.name, o.name_local, o.acronym, o.kind, o.hq_country_id, o.website, o.email, o.phone, o.description,
         o.founded, o.version, sorted(c.code for c in o.countries), sorted(t.slug for t in o.themes),
         sorted((m.network_id, m.status, m.joined_on) for m in o.memberships), sorted(i.value for i in o.identifiers))
        for o in db.session.scalars(select(Organization).order_by(Organization.id))
    ]  # fmt: skip


def test_round_trip_csv_and_xlsx_changes_nothing(app, tmp_path):
    world()
    admin = f.user("admin")
    db.session.commit()
    before = snapshot()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for fmt in ("csv", "xlsx"):
        path = tmp_path / f"all.{fmt}"
        assert export_to_file(admin, path, fmt) == 3
        preview = run_import(admin, path, path.name, ImportOptions())
        assert preview.counts["unchanged"] == 3, (fmt, preview.counts, preview.errors)
        write_import(admin, path, path.name, ImportOptions(write=True))
        db.session.commit()
        db.session.expire_all()
        assert snapshot() == before
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_export_of_a_search(app, tmp_path):
    world()
    admin = f.user("admin")
    db.session.commit()
    path = tmp_path / "ke.csv"
    assert export_to_file(admin, path, "csv", {"country": ["KE"]}) == 1
    with path.open(encoding="utf-8-sig") as handle:
        assert [r["name"] for r in csv.DictReader(handle)] == ["Green Earth"]


def test_cli_export(runner, app, tmp_path):
    world()
    f.user("admin")
    db.session.commit()
    path = tmp_path / "out.xlsx"
    result = runner.invoke(args=["export", str(path), "--country", "BR"])
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("name", "name_local") and values[1][0] == "Plain Org" and len(values) == 2


def test_web_export_button_route(client, app):
    world()
    viewer = f.user("viewer")
    db.session.commit()
    assert client.get("/imports/export").status_code in (302, 401)
    login(client, viewer)
    response = client.get("/imports/export?country=KE&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["Green Earth"]
    xlsx = client.get("/imports/export?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get("/imports/export?format=pdf").status_code == 404
    page = client.get("/organizations")
    assert "/imports/export?format=csv" in page.text or "imports/export" in page.text
