"""Import from CSV and Excel: columns and aliases, encodings, bad input, all-or-nothing, CLI."""

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from network.errors import ValidationError
from network.extensions import db
from network.models import AuditEvent, ImportJob, Membership, Organization
from network.services.importing import ImportOptions, run_import, write_import
from tests import factories as f

DATA = Path(__file__).parent / "data"


def org_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Organization))


def write(tmp_path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def admin(app):
    return f.user("admin")


@pytest.fixture
def node(app):
    return f.network("CAN Kenya", slug="can-kenya")


def test_preview_counts_and_commit_writes_everything(admin, node):
    preview = run_import(admin, DATA / "members.csv", "members.csv", ImportOptions(node=node))
    assert preview.counts["new"] == 3 and preview.counts["invalid"] == 0, preview.errors
    assert org_count() == 0

    result = write_import(admin, DATA / "members.csv", "members.csv", ImportOptions(node=node, write=True))
    db.session.commit()
    assert result.counts["new"] == 3
    kenya = db.session.scalar(select(Organization).where(Organization.name == "Green Earth Kenya"))
    assert kenya.hq_country.code == "KE" and kenya.acronym == "GEK" and kenya.founded == 1998
    assert kenya.website == "https://greenearth.ke"
    assert [c.code for c in kenya.countries] == ["KE", "UG"]
    assert {t.slug for t in kenya.themes} == {"energy-transition", "adaptation"}
    assert [i.value for i in kenya.identifiers] == ["KE-NGO-12345"]
    assert [(m.network_id, m.status, m.joined_on.isoformat()) for m in kenya.memberships] == [
        (node.id, "active", "2020-01-15")
    ]
    chinese = db.session.scalar(select(Organization).where(Organization.name_local == "北京绿色发展协会"))
    assert chinese.hq_country.code == "CN" and chinese.kind == "think_tank"
    assert [t.slug for t in chinese.themes] == ["energy-transition"]
    assert chinese.memberships[0].status == "applicant"
    # Audit rows written for the bulk-inserted records, by the importing user.
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "organizations")).all()
    assert {e.entity_id for e in events} == {o.id for o in db.session.scalars(select(Organization))}
    assert all(e.actor_id == admin.id and e.action == "create" for e in events)
    assert events[0].changes["name"][0] is None

    again = run_import(admin, DATA / "members.csv", "members.csv", ImportOptions(node=node))
    assert again.counts["unchanged"] == 3 and again.counts["new"] == 0


def test_chinese_headers_and_values(tmp_path, admin):
    path = write(tmp_path, "zh.csv", "名称,国家,类型,主题,成立年份\n绿色未来,中国,基金会,能源转型;交通运输,2010\n")
    result = write_import(admin, path, path.name, ImportOptions(write=True))
    assert result.counts["new"] == 1, result.errors
    org = db.session.scalar(select(Organization))
    assert (org.name, org.kind, org.hq_country.code, org.founded) == ("绿色未来", "foundation", "CN", 2010)
    assert {t.slug for t in org.themes} == {"energy-transition", "transport"}
    assert org.slug.isascii()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030"])
def test_encodings_are_detected_for_chinese(tmp_path, admin, encoding):
    text = "name,country,description\n绿色地球,CN,北京的环保组织，成立于二〇〇一年，致力于能源转型与公正转型。\nÉcole Verte,FR,Énergie\n"
    path = write(tmp_path, "enc.csv", text, encoding)
    result = write_import(admin, path, path.name, ImportOptions(write=True))
    assert result.counts["new"] == 2, result.errors
    names = set(db.session.scalars(select(Organization.name)))
    assert names == {"绿色地球", "École Verte"}


def test_windows_1252_is_detected(tmp_path, admin):
    text = "name,country,description\nSociété Générale Verte,FR,Café société à Zürich – “quoted” €\nNaïve Ørsted Fund,DK,Über\n"
    path = write(tmp_path, "win.csv", text, "cp1252")
    result = write_import(admin, path, path.name, ImportOptions(write=True))
    assert result.counts["new"] == 2, result.errors
    assert "Société Générale Verte" in set(db.session.scalars(select(Organization.name)))


def test_semicolon_delimited_and_header_aliases(tmp_path, admin):
    path = write(tmp_path, "semi.csv", "Organisation Name;Country Code;Type;Web site\nAlpha;KE;Charity;alpha.org\n")
    result = write_import(admin, path, path.name, ImportOptions(write=True))
    assert result.counts["new"] == 1, result.errors
    org = db.session.scalar(select(Organization))
    assert (org.name, org.kind, org.website) == ("Alpha", "ngo", "https://alpha.org")


def test_xlsx_import(tmp_path, admin):
    from datetime import datetime

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["名称", "country", "founded", "network", "joined_on"])
    node = f.network("CAN Asia", slug="can-asia")
    sheet.append(["Asia Green", "India", 1999, "CAN Asia", datetime(2019, 5, 1)])  # noqa: DTZ001 - Excel dates are naive
    sheet.append([None, None, None, None, None])
    sheet.append(["Delhi Clean Air", "IN", 2001.0, "can-asia", None])
    path = tmp_path / "orgs.xlsx"
    workbook.save(path)
    result = write_import(admin, path, path.name, ImportOptions(write=True))
    assert result.counts["new"] == 2, result.errors
    memberships = db.session.scalars(select(Membership).order_by(Membership.id)).all()
    assert [m.network_id for m in memberships] == [node.id, node.id]
    assert memberships[0].joined_on.isoformat() == "2019-05-01"


# Bad input: a clear message each, nothing written ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("report.pdf", b"%PDF-1.4 hello", "not a CSV or .xlsx"),
        ("old.xls", b"\xd0\xcf\x11\xe0", ".xls"),
        ("binary.csv", bytes(range(256)) * 20, "binary"),
        ("zip.csv", b"PK\x03\x04" + b"\x00" * 100, "ZIP"),
        ("fake.xlsx", b"name,country\nA,KE\n", "not a valid .xlsx"),
        ("noname.csv", b"title,country\nA,KE\n", "No name column"),
        ("nocountry.csv", b"name\nA\n", "No country column"),
        ("twice.csv", b"name,Organisation,country\nA,B,KE\n", "The columns name and Organisation both mean name"),
        ("header-only.csv", b"\n\n", "no rows"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(tmp_path, admin, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValidationError) as caught:
        run_import(admin, path, name, ImportOptions(write=True))
    assert message.lower() in caught.value.errors["file"][0].lower()
    assert org_count() == 0


@pytest.mark.app_config(MAX_CONTENT_LENGTH=1000)
def test_file_over_the_limit(tmp_path, admin):
    path = write(tmp_path, "big.csv", "name,country\n" + "Org,KE\n" * 500)
    with pytest.raises(ValidationError) as caught:
        run_import(admin, path, path.name, ImportOptions())
    assert "limit" in caught.value.message


def test_row_errors_with_suggestions(tmp_path, admin):
    f.network("CAN Europe", slug="can-europe")
    long_text = "x" * 100_000
    text = (
        "name,country,themes,network,founded,joined_on,kind\n"
        "Good Org,KE,,,,,\n"
        "Bad Country,Kenia,,,,,\n"
        "Bad Theme,KE,enrgy transition,,,,\n"
        "Bad Node,KE,,can-europ,,,\n"
        "Bad Year,KE,,,nineteen,,\n"
        "Bad Date,KE,,can-europe,,31/02/2020,\n"
        f"{long_text},KE,,,,,\n"
        ",KE,,,,,\n"
        "No Country,,,,,,\n"
        "Bad Kind,KE,,,,,chariti\n"
        "\"=cmd|' /C calc'!A0\",KE,,,,,\n"
        "Good Org,KE,,,,,\n"
    )
    path = write(tmp_path, "bad.csv", text)
    result = run_import(admin, path, path.name, ImportOptions())
    errors = {(e["row"], e["column"]): e for e in result.errors}
    assert errors[(3, "country")]["suggestion"] == "Kenya (KE)"
    assert errors[(4, "themes")]["suggestion"] == "energy-transition"
    assert errors[(5, "network")]["suggestion"] == "can-europe"
    assert "year" in errors[(6, "founded")]["message"]
    assert "YYYY-MM-DD" in errors[(7, "joined_on")]["message"]
    assert "300" in errors[(8, "name")]["message"] and len(errors[(8, "name")]["value"]) <= 80
    assert (9, "name") in errors and (10, "country") in errors
    assert errors[(11, "kind")]["suggestion"] is not None
    assert "formula" in errors[(12, "name")]["message"]
    assert "repeats row 2" in errors[(13, "name")]["message"]
    assert result.counts["invalid"] == 11 and result.counts["new"] == 1

    with pytest.raises(ValidationError, match="invalid rows; nothing was imported"):
        write_import(admin, path, path.name, ImportOptions(write=True))
    assert org_count() == 0


def test_escaped_formula_text_is_accepted(tmp_path, admin):
    path = write(tmp_path, "f.csv", "name,country,phone\n'=Equals Org,KE,'+254 20 123\n")
    result = write_import(admin, path, path.name, ImportOptions(write=True))
    assert result.counts["new"] == 1, result.errors
    org = db.session.scalar(select(Organization))
    assert (org.name, org.phone) == ("=Equals Org", "+254 20 123")


def test_same_name_with_other_details_is_a_warning(tmp_path, admin):
    path = write(tmp_path, "w.csv", "name,country,description\nHabitat,US,Austin\nHabitat,US,Boston\n")
    result = write_import(admin, path, path.name, ImportOptions(write=True))
    assert result.counts["new"] == 2 and "row 2" in result.warnings[0]["message"]
    assert len(set(db.session.scalars(select(Organization.slug)))) == 2


def test_killed_import_leaves_nothing_behind(tmp_path, admin, monkeypatch):
    """A database error in the second batch rolls back the first one too."""
    from network.services.importing import run, writing

    monkeypatch.setattr(run, "BATCH_SIZE", 5)
    rows = "".join(f"Org {i},KE,{1990 + i % 20}\n" for i in range(12))
    path = write(tmp_path, "k.csv", "name,country,founded\n" + rows)
    original = writing.BatchWriter.insert
    calls = []

    def failing_insert(self, batch_rows):
        calls.append(len(batch_rows))
        if len(calls) == 2:
            batch_rows[0].values["founded"] = 5000  # violates the founded_range CHECK in the database
        return original(self, batch_rows)

    monkeypatch.setattr(writing.BatchWriter, "insert", failing_insert)
    with pytest.raises(Exception):  # noqa: B017 - any database error
        write_import(admin, path, path.name, ImportOptions(write=True))
    db.session.rollback()
    assert calls == [5, 5]
    assert org_count() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_update_matches_by_identifier_and_fills_given_fields(tmp_path, admin, node):
    org = f.organization("Old Name", country="KE", description="Keep me", networks=[node])
    org.identifiers = []
    from network.models import OrganizationIdentifier

    db.session.add(OrganizationIdentifier(organization=org, value="KE-NGO-1"))
    db.session.flush()
    path = write(tmp_path, "u.csv", "name,country,identifier,website\nNew Name,KE,KE-NGO-1,new.example.org\n")
    result = write_import(admin, path, path.name, ImportOptions(write=True))
    assert result.counts["updated"] == 1, result.errors
    db.session.refresh(org)
    assert (org.name, org.website, org.description) == ("New Name", "https://new.example.org", "Keep me")
    assert org.version == 2
    assert result.updated[0]["before"]["name"] == "Old Name"


def test_coordinator_cannot_update_outside_own_nodes(tmp_path, node):
    other = f.network("Other", slug="other")
    f.organization("Theirs", country="KE", networks=[other])
    coordinator = f.user("coordinator", networks=[node])
    path = write(tmp_path, "c.csv", "name,country,website\nTheirs,KE,theirs.org\nMine,KE,\nElsewhere,KE,\n")
    path.write_text("name,country,website,network\nTheirs,KE,theirs.org,\nMine,KE,,\nElsewhere,KE,,other\n")
    result = run_import(coordinator, path, path.name, ImportOptions(node=node))
    columns = {e["row"]: e["column"] for e in result.errors}
    assert columns == {2: "name", 4: "network"}
    assert result.counts["new"] == 1


def test_viewer_cannot_import(app, tmp_path):
    viewer = f.user("viewer")
    path = write(tmp_path, "v.csv", "name,country\nA,KE\n")
    from network.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        run_import(viewer, path, path.name, ImportOptions())


# Command line ------------------------------------------------------------------------------------


def test_cli_dry_run_then_import(runner, tmp_path, admin, node):
    db.session.commit()
    path = DATA / "members.csv"
    out = runner.invoke(args=["import", str(path), "--dry-run", "--network", "can-kenya"])
    assert out.exit_code == 0, out.output
    assert "3 new" in out.output and "dry run" in out.output
    assert org_count() == 0
    out = runner.invoke(args=["import", str(path), "--network", "can-kenya", "--as", admin.email])
    assert out.exit_code == 0, out.output
    assert org_count() == 3
    job = db.session.scalar(select(ImportJob))
    assert job.status == "committed" and job.user_id == admin.id and len(job.details["created"]) == 3


def test_cli_refuses_a_file_with_errors_and_skip_invalid_writes_rejects(runner, tmp_path, admin):
    db.session.commit()
    path = write(tmp_path, "mixed.csv", "name,country\nGood,KE\nBad,Atlantis\n")
    out = runner.invoke(args=["import", str(path)])
    assert out.exit_code != 0
    assert "Atlantis" in out.output and "nothing was imported" in out.output
    assert org_count() == 0
    out = runner.invoke(args=["import", str(path), "--skip-invalid"])
    assert out.exit_code == 0, out.output
    assert org_count() == 1
    with (tmp_path / "mixed.rejected.csv").open(encoding="utf-8-sig") as rejected_file:
        rejected = list(csv.reader(rejected_file))
    assert rejected[0][:2] == ["row", "errors"] and rejected[1][0] == "3" and "Unknown country" in rejected[1][1]


@pytest.mark.app_config(MAX_CONTENT_LENGTH=100)
def test_cli_checks_size(runner, tmp_path, admin):
    db.session.commit()
    path = write(tmp_path, "big.csv", "name,country\n" + "Org,KE\n" * 50)
    out = runner.invoke(args=["import", str(path)])
    assert out.exit_code != 0 and "limit" in out.output


def test_coordinator_rows_must_join_a_node(tmp_path, node):
    coordinator = f.user("coordinator", networks=[node])
    path = write(tmp_path, "n.csv", "name,country,network\nNo Node,KE,\nWith Node,KE,can-kenya\n")
    result = run_import(coordinator, path, path.name, ImportOptions())
    assert [(e["row"], e["column"]) for e in result.errors] == [(2, "network")]
    assert result.counts["new"] == 1


# Columns the importer does not know, and the template ---------------------------------------------

COMMONWEAVE = DATA / "commonweave_sample.csv"  # ten rows of the real 26-column list, header unchanged


def test_unknown_columns_are_ignored_and_listed(tmp_path, admin):
    path = write(tmp_path, "extra.csv", "id,name,city,country,lat,lon\n7,Alpha,Nairobi,KE,-1.3,36.8\n")
    result = write_import(admin, path, path.name, ImportOptions(write=True))
    assert result.counts["new"] == 1, result.errors
    assert result.ignored_columns == ["id", "city", "lat", "lon"]
    assert db.session.scalar(select(Organization.name)) == "Alpha"


def test_the_real_26_column_list_imports_with_its_extra_columns(admin, node):
    with COMMONWEAVE.open(encoding="utf-8") as f_:
        header = next(csv.reader(f_))
    assert len(header) == 26
    preview = run_import(admin, COMMONWEAVE, COMMONWEAVE.name, ImportOptions(node=node))
    # Read: name, country_code, description, website; the other 22 columns are listed as ignored.
    assert preview.ignored_columns == [c for c in header if c not in
                                       ("name", "country_code", "description", "website")]  # fmt: skip
    # One real row is coded DG (not a country): reported, the nine others are new.
    assert preview.counts["new"] == 9 and preview.counts["invalid"] == 1
    assert [(e["row"], e["column"], e["value"]) for e in preview.errors] == [(8, "country", "DG")]
    result = write_import(admin, COMMONWEAVE, COMMONWEAVE.name,
                          ImportOptions(node=node, write=True, skip_invalid=True))  # fmt: skip
    db.session.commit()
    assert result.counts["new"] == 9 and org_count() == 9
    think_tank = db.session.scalar(select(Organization).where(Organization.hq_country.has(code="DE"),
                                                              Organization.website.is_not(None)))  # fmt: skip
    assert think_tank.name == "Foundation for the Rights of Future Generations"
    assert think_tank.website == "https://generationengerechtigkeit.info/"
    assert think_tank.description.startswith("German think tank")


@pytest.mark.parametrize(
    "header", ["名称,国家／地区,成立时间", "Ｎａｍｅ,Country　Code,Year_Founded", " NAME ,country-code,founded"]
)
def test_headers_match_in_any_case_width_and_spacing(tmp_path, admin, header):
    path = write(tmp_path, "h.csv", header + "\n绿色未来,CN,２０１０\n")
    result = write_import(admin, path, path.name, ImportOptions(write=True))
    assert result.counts["new"] == 1 and result.ignored_columns == [], (result.errors, result.ignored_columns)
    assert db.session.scalar(select(Organization.founded)) == 2010


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_template_reads_back_in_either_language(app, tmp_path, admin, lang):
    import io

    from network.services import import_template
    from network.services.importing.reading import map_header
    from network.services.spreadsheet import COLUMNS

    header = import_template.header(lang)
    assert map_header(header) == (list(COLUMNS), [])
    text = io.StringIO()
    import_template.write_csv(admin, text, lang)
    path = write(tmp_path, "template.csv", text.getvalue())
    preview = run_import(admin, path, path.name, ImportOptions())
    assert preview.counts["new"] == 1 and preview.counts["invalid"] == 0, preview.errors


def test_template_downloads(app, node):
    from openpyxl import load_workbook

    from network.services.spreadsheet import COLUMNS
    from tests.conftest import login

    other = f.network("CAN Europe", slug="can-europe")
    coordinator = f.user("coordinator", networks=[node])
    viewer = f.user("viewer")
    db.session.commit()
    client = app.test_client()
    login(client, coordinator)
    response = client.get("/imports/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io_text(response.data)))
    assert rows[0] == list(COLUMNS) and rows[1][0] == "Example organisation (delete this row)"
    assert rows[1][COLUMNS.index("phone")] == "'+254 20 123 4567"  # the formula guard of the export
    chinese = list(csv.reader(io_text(client.get("/imports/template.csv?lang=zh").data)))
    assert (chinese[0][0], chinese[0][4]) == ("名称", "国家")

    workbook = load_workbook(io_bytes(client.get("/imports/template.xlsx?lang=en").data))
    assert workbook.sheetnames == ["organisations", "allowed values"]
    sheet = list(workbook["organisations"].iter_rows(values_only=True))
    assert list(sheet[0]) == list(COLUMNS)
    allowed = {(r[0], r[1]): r[2:] for r in workbook["allowed values"].iter_rows(min_row=2, values_only=True)}
    assert allowed[("kind", "ngo")] == ("NGO", "非政府组织")
    assert allowed[("themes", "energy-transition")] == ("Energy transition", "能源转型")
    assert allowed[("country", "KE")] == ("Kenya", "肯尼亚")
    assert allowed[("membership_status", "applicant")][0] == "Applicant"
    nodes = {value for column, value in allowed if column == "network"}
    assert nodes == {"can-kenya"} and other.slug not in nodes  # only the nodes this coordinator may import into
    assert len([k for k in allowed if k[0] == "country"]) > 200
    kinds = workbook["organisations"].data_validations.dataValidation
    assert any("allowed values" in v.formula1 and "D2" in str(v.sqref) for v in kinds)  # kind drop-down

    refused = app.test_client()
    login(refused, viewer)
    assert refused.get("/imports/template.xlsx").status_code == 403
    assert client.get("/imports/template.pdf").status_code == 404


def io_text(data: bytes):
    import io

    return io.StringIO(data.decode("utf-8-sig"))


def io_bytes(data: bytes):
    import io

    return io.BytesIO(data)


def test_the_template_uploaded_unchanged_previews_its_example(app, node):
    from tests.conftest import login
    from tests.test_import_web import upload

    coordinator = f.user("coordinator", networks=[node])
    db.session.commit()
    client = app.test_client()
    login(client, coordinator)
    template = client.get("/imports/template.xlsx").data
    response = upload(client, template, filename="template.xlsx", node=str(node.id))
    assert response.status_code == 302, response.text
    job = db.session.scalar(select(ImportJob))
    assert job.status == "previewed" and job.counts["new"] == 1 and job.counts["invalid"] == 0


def test_the_preview_page_lists_the_ignored_columns(app, node):
    from tests.conftest import login
    from tests.test_import_web import upload

    coordinator = f.user("coordinator", networks=[node])
    db.session.commit()
    client = app.test_client()
    login(client, coordinator)
    response = upload(client, COMMONWEAVE.read_bytes(), filename="civil_society_orgs.csv", node=str(node.id))
    assert response.status_code == 302, response.text
    job = db.session.scalar(select(ImportJob))
    assert job.status == "previewed" and job.counts["new"] == 9
    assert "registration_id" in job.details["ignored_columns"] and len(job.details["ignored_columns"]) == 22
    page = client.get(f"/imports/{job.id}").get_data(as_text=True)
    assert "Columns not recognised, ignored: id, country_name, state_province" in page
    assert "/imports/template.xlsx" in page


def test_cli_writes_the_template(runner, tmp_path, admin, node):
    from openpyxl import load_workbook

    db.session.commit()
    out = runner.invoke(args=["import-template", str(tmp_path / "t.xlsx"), "--lang", "zh"])
    assert out.exit_code == 0, out.output
    workbook = load_workbook(tmp_path / "t.xlsx")
    assert next(workbook["organisations"].iter_rows(values_only=True))[0] == "名称"
    assert "can-kenya" in {r[1] for r in workbook["allowed values"].iter_rows(values_only=True)}
    out = runner.invoke(args=["import-template", str(tmp_path / "t.csv")])
    assert out.exit_code == 0, out.output
    out = runner.invoke(args=["import", str(tmp_path / "t.csv"), "--dry-run"])
    assert out.exit_code == 0 and "1 new" in out.output, out.output
