"""What clients and people type: JSON the API must refuse cleanly, text that is not valid Unicode,
numbers written in every locale's style (one parser for forms, API and importer)."""

import dataclasses
from decimal import Decimal

import numpy as np
import pytest
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from network import numbers
from network.extensions import db
from network.models import Initiative, Organization, OutcomeReport, Person, Project
from network.services import search
from network.services.importing import rows
from tests import factories as f
from tests.conftest import login
from tests.test_api import assert_problem, bearer

# --- Search results are plain Python (they become JSON) --------------------------------------


def plain(value, path="result") -> None:
    """Fail on any numpy scalar or array anywhere in a result (json cannot encode them)."""
    assert not isinstance(value, np.generic | np.ndarray), f"{path} is {type(value).__name__}"
    if dataclasses.is_dataclass(value):
        for item in dataclasses.fields(value):
            plain(getattr(value, item.name), f"{path}.{item.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            plain(key, f"{path} key")
            plain(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            plain(item, f"{path}[{n}]")


def test_founded_filter_in_the_api_is_json(client, world):
    f.organization("Old Friends", founded=1985)
    f.organization("New Friends", founded=1995)
    db.session.commit()
    response = client.get("/api/v1/organizations?founded_from=1990&founded_to=1999")
    assert response.status_code == 200
    body = response.get_json()
    assert [i["name"] for i in body["items"]] == ["New Friends"]
    decades = {v["value"]: v["selected"] for v in body["facets"]["founded"]}
    assert decades == {"1980": False, "1990": True}


def test_search_results_hold_no_numpy_values(app, world):
    f.organization("Solar Sisters", country="IN", kind="cbo", founded=1995, themes=["energy-transition"],
                   networks=[world.x1])  # fmt: skip
    db.session.commit()
    args = {"q": "solar", "region": ["142"], "country": ["IN"], "theme": ["energy-transition"], "kind": ["cbo"],
            "network": ["node-x"], "status": ["active"], "founded_from": "1990", "founded_to": "1999"}  # fmt: skip
    for drop in [None, *args]:  # every filter alone missing, so each facet counts with the others applied
        params = search.parse_search_params({k: v for k, v in args.items() if k != drop})
        plain(search.search_organizations(world.users["admin"], params))
    plain(search.search_organizations(world.users["admin"], search.parse_search_params({"q": "nothing-like-it"})))


# --- Bodies the API cannot use are 400 problems ----------------------------------------------

NESTED = "[" * 100_000
BAD_BODIES = {
    "nested": NESTED,
    "nested in a field": '{"name": ' + "[" * 5000 + "]" * 5000 + "}",
    "deep but balanced": '{"name": ' + "[" * 40 + "]" * 40 + "}",
    "lone surrogate": '{"name": "\\ud800"}',
    "low surrogate in a list": '{"name": "x", "themes": ["\\udfff"]}',
    "lone surrogate as a key": '{"\\ud800": "x"}',
    "lone surrogate alone": '"\\udc00"',
    "invalid UTF-8": b'{"name": "\xed\xa0\x80"}',
}


def write_requests(world):
    return [
        ("patch", "/api/v1/organizations/org-a", {"If-Match": f'"{world.org_a.version}"'}),
        ("post", "/api/v1/organizations", {}),
        ("post", "/api/v1/people", {}),
        ("patch", f"/api/v1/projects/{world.project_a.id}", {"If-Match": f'"{world.project_a.version}"'}),
    ]


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bodies_that_python_decodes_badly_are_400_problems(client, world, body):
    headers = bearer(world.users["admin"])
    before = db.session.scalar(select(Organization.version).where(Organization.id == world.org_a.id))
    for method, url, extra in write_requests(world):
        response = getattr(client, method)(url, data=body, content_type="application/json",
                                           headers={**headers, **extra})  # fmt: skip
        problem = assert_problem(response, 400)
        assert "JSON" in problem["detail"], (url, problem)
    db.session.expire_all()
    assert db.session.scalar(select(Organization.version).where(Organization.id == world.org_a.id)) == before
    assert db.session.scalars(select(Person)).all() == []


def test_the_problem_says_where_the_bad_text_is(client, world):
    response = client.post("/api/v1/people", data='{"organization": 1, "name": "A\\ud800"}',
                           content_type="application/json", headers=bearer(world.users["admin"]))  # fmt: skip
    assert "/name" in assert_problem(response, 400)["detail"]


def test_paired_surrogates_are_one_character_and_welcome(client, world):
    # "\ud83c\udf31" is how JSON escapes U+1F331 (a seedling): valid, and stored as that character.
    response = client.patch("/api/v1/organizations/org-a", data='{"name": "Seedling \\ud83c\\udf31"}',
                            content_type="application/json",
                            headers={**bearer(world.users["admin"]), "If-Match": f'"{world.org_a.version}"'})  # fmt: skip
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["name"] == "Seedling \U0001f331"


def test_moderately_nested_values_get_the_usual_field_errors(client, world):
    response = client.post("/api/v1/people", json={"organization": world.org_a.id, "name": [[["x"]]]},
                           headers=bearer(world.users["admin"]))  # fmt: skip
    assert assert_problem(response, 422)["errors"][0]["field"] == "name"


# --- Text that is not valid Unicode in URLs and forms ----------------------------------------

# The UTF-8 form of the lone surrogate U+D800 (which UTF-8 forbids), percent-encoded and raw (as
# WSGI hands a raw byte on: one latin-1 character each; curl sends such bytes unescaped).
SURROGATE_QUERY = ["q=%ED%A0%80", "q=\xed\xa0\x80", "q=solar%ED%A0%80&country=KE"]
SEARCH_URLS = ["/organizations", "/projects", "/initiatives", "/api/v1/organizations", "/api/v1/projects",
               "/api/v1/initiatives"]  # fmt: skip


@pytest.mark.parametrize("query", SURROGATE_QUERY)
def test_searches_with_a_surrogate_in_the_query_string(client, world, query):
    for url in SEARCH_URLS:
        response = client.get(url, environ_overrides={"QUERY_STRING": query})
        assert response.status_code == 200, (url, query, response.status_code)


def test_a_raw_surrogate_in_the_query_string_keeps_the_page_working(client, world):
    """The login link repeats the page's address (request.full_path): it must not fail either."""
    response = client.get("/organizations", environ_overrides={"QUERY_STRING": "q=\xed\xa0\x80"})
    assert response.status_code == 200
    assert "%25ED%25A0%2580" in response.get_data(as_text=True)  # the bytes, kept percent-encoded in next=


def test_form_posts_with_a_surrogate_are_answered(client, world):
    login(client, world.users["admin"])
    raw = "\ud800".encode("utf-8", "surrogatepass")
    # urlencoded, percent-escaped and raw, and multipart: werkzeug keeps or replaces the bytes
    for body, content_type in [
        (b"name=%ED%A0%80&country=KE&kind=ngo&network=" + str(world.x1.id).encode(), "application/x-www-form-urlencoded"),
        (b"name=" + raw + b"&country=KE&kind=ngo", "application/x-www-form-urlencoded"),
        (b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\n' + raw + b"\r\n--b--\r\n",
         "multipart/form-data; boundary=b"),
    ]:  # fmt: skip
        for url in ("/organizations/new", "/organizations/org-a/people/new",
                    "/organizations/org-a/edit"):  # fmt: skip
            response = client.post(url, data=body, content_type=content_type)
            assert response.status_code < 500, (url, body, response.status_code)


# --- Numbers: one reading everywhere (network.numbers) ----------------------------------------

READ_AS = {  # text -> (as a decimal, as a count); None: refused
    "1,5": (Decimal("1.5"), None),
    "1.5": (Decimal("1.5"), None),
    "1,200": (None, 1200),  # English thousands or European decimal: a decimal asks, a count cannot be 1.2
    "1.200": (None, 1200),
    "50,000": (None, 50000),
    "1,200.50": (Decimal("1200.5"), None),
    "1.200,50": (Decimal("1200.5"), None),
    "1,200,000": (Decimal("1200000"), 1200000),
    "1.200.000": (Decimal("1200000"), 1200000),
    "12,34,567": (Decimal("1234567"), 1234567),  # Indian lakh grouping
    "1 200": (Decimal("1200"), 1200),
    "1\u00a0200,5": (Decimal("1200.5"), None),  # no-break space (French)
    "1\u202f234\u202f567,89": (Decimal("1234567.89"), None),  # narrow no-break space (French, Babel)
    "1\u2009200": (Decimal("1200"), 1200),  # thin space
    "1'200.5": (Decimal("1200.5"), None),  # Swiss
    "１，２００．５": (Decimal("1200.5"), None),  # full-width (Chinese input methods)
    "１２００": (Decimal("1200"), 1200),
    "0,125": (Decimal("0.125"), None),  # a group never starts with 0
    "1234,567": (Decimal("1234.567"), None),  # nor has four digits
    "12.0": (Decimal("12"), 12),
    "1,200.00": (Decimal("1200"), 1200),
    "-1,5": (Decimal("-1.5"), None),
    "\u22122.5": (Decimal("-2.5"), None),
    "1.5E+06": (Decimal("1500000"), 1500000),
    "1,0000": (Decimal("1"), None),
    "1,2,3": (None, None),
    "1,,2": (None, None),
    "5.": (None, None),
    "1,200.000,5": (None, None),
    "12 5": (None, None),
    "$50": (None, None),
    "NaN": (None, None),
    "": (None, None),
}


@pytest.mark.parametrize("text", READ_AS)
def test_how_numbers_are_read(text):
    as_decimal, as_count = READ_AS[text]
    for parse, expected in ((numbers.parse_decimal, as_decimal), (numbers.parse_count, as_count)):
        if expected is None:
            with pytest.raises(numbers.NumberError):
                parse(text)
        else:
            assert parse(text) == expected, (parse.__name__, text)


def test_an_ambiguous_decimal_says_what_to_write():
    with pytest.raises(numbers.NumberError) as refused:
        numbers.parse_decimal("1,200")
    assert refused.value.message == "1,200 could mean 1200 or 1.2; write 1200 or 1.2."


def test_the_api_reads_its_own_decimal_strings_as_written():
    assert numbers.parse_decimal("100.000", canonical=True) == 100
    assert numbers.parse_decimal("1.200", canonical=True) == Decimal("1.2")
    assert numbers.parse_decimal("1,5", canonical=True) == Decimal("1.5")
    with pytest.raises(numbers.NumberError):
        numbers.parse_decimal("1,200", canonical=True)


@pytest.mark.parametrize("stored", ["100.000", "1.234", "12.345", "0.125", "1234.567", "250000.50", "-1.5", "7"])
def test_a_stored_value_shows_as_text_that_reads_back_the_same(stored):
    text = numbers.input_text(Decimal(stored))
    assert numbers.parse_decimal(text) == Decimal(stored), text


# Number styles of locales that write them differently (Babel's CLDR patterns): decimal comma or
# point, groups by point, comma, space, no-break space, apostrophe; Indian grouping; Arabic digits.
LOCALES = ["en_US", "de_DE", "fr_FR", "de_CH", "es_ES", "pt_BR", "it_IT", "ru_RU", "hi_IN", "zh_CN", "ar_EG", "en_IN"]
PATTERNS = ["#,##0.###", "#,##0.00", "#,##0.000", "0.###", "#,##0", "#,##,##0.##"]


def styles(value: Decimal, patterns=PATTERNS):
    for locale in LOCALES:
        for pattern in patterns:
            text = format_decimal(value, format=pattern, locale=locale, decimal_quantization=False)
            yield f"{locale} {pattern}", text
            yield f"{locale} {pattern} full-width", text.translate(FULL_WIDTH)


FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


@settings(max_examples=300, deadline=None, database=None)
@given(st.decimals(min_value=-(10**12), max_value=10**12, places=3, allow_nan=False, allow_infinity=False))
def test_every_locale_style_reads_back_the_same_or_is_refused(value):
    for style, text in styles(value):
        try:
            read = numbers.parse_decimal(text)
        except numbers.NumberError:
            continue
        assert read == value, f"{style}: {text!r} read as {read}, written from {value}"


@settings(max_examples=300, deadline=None, database=None)
@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_every_locale_style_of_a_count_reads_back_the_same_or_is_refused(value):
    # Counts are written whole (or with a money-like .00); "1.000" for one person is read as a thousand.
    for style, text in styles(Decimal(value), [p for p in PATTERNS if not p.endswith(".000")]):
        try:
            read = numbers.parse_count(text)
        except numbers.NumberError:
            continue
        assert read == value, f"{style}: {text!r} read as {read}, written from {value}"


def test_common_styles_are_read_not_refused():
    """The property above holds trivially if everything is refused: the usual styles must be read."""
    value = Decimal("1234567.89")
    read = {style: text for style, text in styles(value) if "#,##0.00" in style and "full" not in style}
    for style, text in read.items():
        if not style.startswith("ar_"):
            assert numbers.parse_decimal(text) == value, (style, text)
    assert numbers.parse_count(format_decimal(1234567, locale="de_DE")) == 1234567


# Forms, the API and the importer read numbers alike ------------------------------------------


def test_outcome_form_reads_a_decimal_comma_and_a_grouped_count(world, client_as):
    client = client_as("member_a")
    form = {"period_start": "2024-01-01", "period_end": "2024-12-31", "basis": "estimated",
            "tco2e_reduced": "1,5", "people_reached": "1,200"}  # fmt: skip
    response = client.post(f"/projects/{world.project_a.id}/outcomes/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    report = db.session.scalar(select(OutcomeReport))
    assert (report.tco2e_reduced, report.people_reached) == (Decimal("1.5"), 1200)


def test_forms_ask_about_an_ambiguous_decimal(world, client_as):
    client = client_as("member_a")
    response = client.post("/organizations/org-a/projects/new",
                           data={"title": "Solar", "budget": "50,000", "currency": "USD", "status": "active"})  # fmt: skip
    assert response.status_code == 422
    assert "50,000 could mean 50000 or 50; write 50000 or 50." in response.get_data(as_text=True)
    response = client.post("/organizations/org-a/projects/new",
                           data={"title": "Solar", "budget": "1.250.000,50", "currency": "EUR", "status": "active"})  # fmt: skip
    assert response.status_code == 302
    assert db.session.scalar(select(Project).where(Project.title == "Solar")).budget == Decimal("1250000.50")


def test_a_stored_outcome_saves_again_unchanged(world, client_as):
    report = f.outcome(world.project_a, tco2e="1.234", people_reached=1200)
    db.session.commit()
    client = client_as("member_a")
    page = client.get(f"/outcomes/{report.id}/edit").get_data(as_text=True)
    assert 'value="1.2340"' in page and 'value="1200"' in page
    form = {"period_start": "2024-01-01", "period_end": "2024-12-31", "basis": "estimated", "tco2e_reduced": "1.2340",
            "people_reached": "1200", "version": str(report.version), "note": "checked"}  # fmt: skip
    assert client.post(f"/outcomes/{report.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert (report.tco2e_reduced, report.people_reached, report.note) == (Decimal("1.234"), 1200, "checked")


def test_initiative_targets_read_like_every_other_number(world, client_as):
    client = client_as("coordinator_x")
    response = client.post("/initiatives/new", data={"title": "Cold chain", "status": "active", "target_tco2e": "2,5",
                                                     "target_people": "12 000", "custom_targets": "Fridges; units; 1,5"})  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    created = db.session.scalar(select(Initiative))
    assert (created.target_tco2e, created.target_people) == (Decimal("2.5"), 12000)
    assert created.targets[0].value == Decimal("1.5")
    response = client.post("/initiatives/new", data={"title": "Heat", "status": "active", "target_tco2e": "2,500"})
    assert response.status_code == 422 and "2,500 could mean 2500 or 2.5" in response.get_data(as_text=True)


def test_the_api_reads_numbers_as_the_forms_do(client, world):
    headers = bearer(world.users["admin"])
    url = f"/api/v1/projects/{world.project_a.id}/outcomes"
    base = {"period_start": "2024-01-01", "period_end": "2024-12-31"}
    created = client.post(url, json={**base, "tco2e_reduced": "1,5", "people_reached": "1,200"}, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert (Decimal(created.get_json()["tco2e_reduced"]), created.get_json()["people_reached"]) == (
        Decimal("1.5"),
        1200,
    )
    refused = client.post(url, json={**base, "tco2e_reduced": "1,200"}, headers=headers)
    problem = assert_problem(refused, 422)
    assert (
        problem["errors"][0]["field"] == "tco2e_reduced" and "could mean 1200 or 1.2" in problem["errors"][0]["detail"]
    )
    numbers_ok = client.post(url, json={**base, "tco2e_reduced": 2.25, "people_reached": 30.0}, headers=headers)
    assert numbers_ok.status_code == 201 and Decimal(numbers_ok.get_json()["tco2e_reduced"]) == Decimal("2.25")
    for bad in ({"people_reached": "1,5"}, {"people_reached": True}, {"tco2e_reduced": True}, {"people_reached": 1.5}):
        assert_problem(client.post(url, json={**base, **bad}, headers=headers), 422)


def test_what_the_api_writes_it_reads_back(client, world):
    """The API writes tCO2e with three places ("100.000"): sent back, that is 100, not a question."""
    report = f.outcome(world.project_a, tco2e="100")
    db.session.commit()
    headers = bearer(world.users["admin"])
    body = client.get(f"/api/v1/outcomes/{report.id}").get_json()
    assert body["tco2e_reduced"] == "100.000"
    response = client.patch(f"/api/v1/outcomes/{report.id}", json={"tco2e_reduced": body["tco2e_reduced"]},
                            headers={**headers, "If-Match": f'"{report.version}"'})  # fmt: skip
    assert response.status_code == 200 and response.get_json()["tco2e_reduced"] == "100.000"


def test_the_importer_reads_founding_years_like_the_forms(app, world):
    for text, year in [("１９９８", 1998), ("1998.0", 1998), ("1998年", 1998), ("1998-05-01", 1998), ("1 998", 1998)]:
        assert rows.parse_year(text) == year, text
    assert rows.parse_year("nineteen") == "nineteen"  # left for the row's check to report
