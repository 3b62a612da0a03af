"""Input is language-independent: the importer and the API read a choice's code, its English label
and its Chinese label (a country's or theme's name in either language) whatever the UI language;
messages come back in the reader's language, and the API answers with codes."""

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from network import labels
from network.extensions import db
from network.models import Organization
from network.services.importing import ImportOptions, run_import, write_import
from tests import factories as f
from tests.test_api import bearer

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
ROWS = [
    # name, kind, country, themes, membership_status
    ("Union One", "trade union", "KE", "energy-transition", "active"),
    ("Tank One", "think tank", "Kenya", "Energy transition", "Applicant"),
    ("Base One", "Community-based organisation", "肯尼亚", "能源转型", "申请中"),
    ("Base Two", "community-based organization", "ke", "energy transition", "ACTIVE"),
    ("Tank Two", "智库", "中国", "交通运输", "suspended"),
    ("Union Two", "工会", "China", "Transport", "暂停"),
    ("Tank Three", "Think-Tank", "CN", "transport", "lapsed"),
    ("Code One", "think_tank", "IN", "", ""),
    ("Bad Kind", "spaceship", "KE", "", ""),
    ("Bad Country", "ngo", "Atlantis", "", ""),
    ("Bad Theme", "ngo", "KE", "underwater basket weaving", ""),
    ("Bad Status", "ngo", "KE", "", "sleeping"),
]
KINDS = {"Union One": "trade_union", "Tank One": "think_tank", "Base One": "cbo", "Base Two": "cbo",
         "Tank Two": "think_tank", "Union Two": "trade_union", "Tank Three": "think_tank", "Code One": "think_tank"}  # fmt: skip


@pytest.fixture
def admin(app):
    return f.user("admin")


@pytest.fixture
def node(app):
    return f.network("CAN Kenya", slug="can-kenya")


@pytest.fixture
def members(tmp_path):
    lines = ["name,kind,country,themes,membership_status"] + [",".join(row) for row in ROWS]
    path = tmp_path / "members.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_choice_lookup_reads_codes_and_both_languages_under_any_locale(app):
    for locale in ("en", "zh"):
        with force_locale(locale):
            for text in ("think_tank", "think tank", "Think-Tank", "THINK TANK", "智库", "ｔｈｉｎｋ　ｔａｎｋ"):
                assert labels.parse_choice("organization_kind", text) == "think_tank", (locale, text)
            assert labels.parse_choice("project_status", "计划中") == "planned"
            assert labels.parse_choice("participant_role", "牵头方") == "lead"
            assert labels.parse_choice("outcome_basis", "Estimated") == "estimated"
            assert labels.parse_choice("partnership_kind", "资金支持") == "funding"
            assert labels.parse_choice("country", "肯尼亚") == "KE"
            assert labels.parse_choice("theme", "Energy transition") == "energy-transition"
            assert labels.parse_choice("organization_kind", "spaceship") is None


def test_the_same_file_gives_the_same_result_in_english_and_chinese(admin, node, members):
    results = {}
    for locale in ("en", "zh"):
        with force_locale(locale):
            results[locale] = run_import(admin, members, members.name, ImportOptions(node=node))
    english, chinese = results["en"], results["zh"]
    assert english.counts == chinese.counts
    assert english.counts["new"] == 8 and english.counts["invalid"] == 4, english.errors
    assert {(e["row"], e["column"]) for e in english.errors} == {(e["row"], e["column"]) for e in chinese.errors}
    # The messages are in the reader's language.
    kind_errors = {locale: next(e for e in r.errors if e["column"] == "kind") for locale, r in results.items()}
    assert kind_errors["en"]["message"] == "Unknown kind spaceship."
    assert kind_errors["zh"]["message"] == "未知的类型 spaceship。"


def test_chinese_labels_in_a_file_import_as_their_codes(admin, node, members):
    with force_locale("zh"):
        result = write_import(admin, members, members.name, ImportOptions(node=node, write=True, skip_invalid=True))
    db.session.commit()
    assert result.counts["new"] == 8
    orgs = {o.name: o for o in db.session.scalars(select(Organization))}
    assert {name: orgs[name].kind for name in KINDS} == KINDS
    assert orgs["Base One"].hq_country.code == "KE" and [t.slug for t in orgs["Base One"].themes] == [
        "energy-transition"
    ]
    assert orgs["Union Two"].hq_country.code == "CN" and orgs["Union Two"].memberships[0].status == "suspended"
    assert orgs["Base One"].memberships[0].status == "applicant"


@pytest.mark.parametrize("kind", ["智库", "think tank", "think_tank", "Think Tank"])
@pytest.mark.parametrize("language", [{}, ZH])
def test_the_api_takes_a_label_or_a_code_and_answers_with_the_code(client, world, kind, language):
    response = client.post(
        "/api/v1/organizations",
        json={"name": f"Tank {kind}", "kind": kind, "hq_country": "肯尼亚", "themes": ["能源转型"],
              "network": world.x1.id, "membership_status": "申请中"},
        headers=bearer(world.users["coordinator_x"]) | language,
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["kind"], body["hq_country"], body["themes"]) == ("think_tank", "KE", ["energy-transition"])
    assert body["memberships"][0]["status"] == "applicant"


def test_the_api_refuses_an_unknown_choice_in_the_readers_language(client, world):
    payload = {"name": "Spaceship Org", "kind": "spaceship", "hq_country": "KE", "network": world.x1.id}
    headers = bearer(world.users["coordinator_x"])
    english = client.post("/api/v1/organizations", json=payload, headers=headers)
    chinese = client.post("/api/v1/organizations", json=payload, headers=headers | ZH)
    assert english.status_code == chinese.status_code == 422
    assert english.get_json() != chinese.get_json()  # the same error, each in its reader's language


def test_forms_take_a_label_in_either_language(world, client_as, db_session):
    """A select posts codes; a label posted instead (a script, an autofill) is read the same way."""
    from network.organizations.forms import membership_form_data, partnership_form_data

    membership = world.org_a.memberships[0]
    partnership = f.partnership(world.org_a, world.org_b)
    db.session.commit()
    with force_locale("zh"):
        lapsed = str(labels.MEMBERSHIP_STATUS_LABELS["lapsed"])
    client = client_as("admin")  # an English UI
    data = {k: v for k, v in membership_form_data(membership).items() if v is not None}
    response = client.post(f"/memberships/{membership.id}/edit", data=data | {"status": lapsed})
    assert response.status_code == 302, response.get_data(as_text=True)
    data = {k: v for k, v in partnership_form_data(partnership).items() if v is not None}
    response = client.post(f"/partnerships/{partnership.id}/edit", data=data | {"kind": "In-kind"}, headers=ZH)
    assert response.status_code == 302, response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(type(membership), membership.id).status == "lapsed"
    assert db_session.get(type(partnership), partnership.id).kind == "in_kind"


def test_search_parameters_take_labels_in_either_language(client, db_session):
    """kind=智库, country=肯尼亚, theme=Transport: the directory, the projects search and the API read a
    label as its code, whatever the page's language; an unknown value is still ignored with a notice."""
    tank = f.organization("Nairobi Tank", kind="think_tank", country="KE", themes=["transport"])
    f.organization("Delhi NGO", kind="ngo", country="IN", themes=["transport"])
    f.project(tank, "Bus lanes", themes=["transport"], countries=["KE"])
    db_session.commit()
    for query in ("kind=智库&country=肯尼亚", "kind=Think+tank&country=Kenya", "kind=think_tank&country=ke"):
        body = client.get(f"/api/v1/organizations?{query}").get_json()
        assert [o["name"] for o in body["items"]] == ["Nairobi Tank"], query
    page = client.get("/organizations?theme=交通运输&kind=Think+tank", headers=ZH).get_data(as_text=True)
    assert "Nairobi Tank" in page and "Delhi NGO" not in page
    assert 'data-chip="kind:think_tank"' in page  # the chip names the code's label, not the words sent
    projects = client.get("/api/v1/projects?country=肯尼亚&theme=Transport").get_json()
    assert [p["title"] for p in projects["items"]] == ["Bus lanes"]
    unknown = client.get("/organizations?kind=spaceship").get_data(as_text=True)
    assert "spaceship" in unknown and "Nairobi Tank" in unknown  # ignored, and said so
