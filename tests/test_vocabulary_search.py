"""Place and theme names in English or Chinese read as facets (network/services/search/vocabulary.py):
肯尼亚 finds what Kenya finds, 南亚 the organisations of South Asia, 能源 and 交通 their themes, plus
text matches; the page says how a word was read and links to the words-only search."""

import pytest
from werkzeug.datastructures import MultiDict

from network.services import search
from network.services.search.vocabulary import interpret
from tests import factories

THEMES = [("energy-transition", "Energy transition", "能源转型"), ("transport", "Transport", "交通运输")]


def org_names(**args) -> list[str]:
    result = search.search_organizations(None, search.parse_search_params(MultiDict(list(args.items()))))
    return [o.name for o in result.items]


def org_set(**args) -> set[str]:
    return set(org_names(per_page=100, **args))


@pytest.fixture
def world(app):
    """Organisations placed by HQ, operations or theme only, and some that only mention a name."""
    factories.organization("Nairobi Air", country="KE")
    factories.organization("Lake Basin Trust", country="UG", countries=["KE"])  # operates in Kenya
    factories.organization("Kenya Climate Forum", country="GB")  # the name only, based in London
    factories.organization("East Watch", country="TZ", description="Works across Kenya and Tanzania.")
    factories.organization("肯尼亚绿色联盟", country="CN")  # the Chinese name only, no country link
    factories.organization("Dhaka Solar", country="BD", themes=["energy-transition"])
    factories.organization("Lahore Buses", country="PK", themes=["transport"])
    factories.organization("Delhi Grid", country="IN", description="Energy efficiency in buildings.")
    factories.organization("Tokyo Rail", country="JP", description="Public transport and rail.")
    factories.organization("Berlin Walks", country="DE")
    factories.organization("能源研究所", country="CN")  # 能源 in its name only
    factories.db.session.commit()


def test_vocabulary_reads_english_and_chinese_names():
    for q, reading in [("肯尼亚", ("country", "KE")), ("Kenya", ("country", "KE")), ("南亚", ("region", "034")),
                       ("South Asia", ("region", "034")), ("Southern Asia", ("region", "034")),
                       ("能源", ("theme", "energy-transition")), ("交通", ("theme", "transport")),
                       ("USA", ("country", "US")), ("美国", ("country", "US")), ("United States", ("country", "US")),
                       ("英国", ("country", "GB"))]:  # fmt: skip
        terms = interpret(q, THEMES).terms
        assert [(r.facet, r.code) for r in terms[0].readings] == [reading], q
    # Narrower words are translations only: 太阳能 matches the text "solar", and no theme.
    solar = interpret("太阳能", THEMES).terms[0]
    assert solar.readings == [] and ["solar"] in solar.alternatives
    assert ["太阳", "阳能"] in interpret("solar", THEMES).terms[0].alternatives
    # Longest name first; Chinese inside a run of Chinese; quoted words and codes stay words.
    assert [r.code for r in interpret("South Africa", THEMES).terms[0].readings] == ["ZA"]
    reading = interpret("肯尼亚的太阳能 startups", THEMES)
    assert [t.word for t in reading.terms] == ["肯尼亚", "太阳能"] and reading.rest == ["startups"]
    assert interpret('"Kenya" forum', THEMES) is None
    assert interpret("and can us", THEMES) is None
    many = interpret("Kenya Uganda Ghana Peru Chile Nepal Laos Fiji", THEMES)  # six read, the rest words
    assert len(many.terms) == 6 and many.rest == ["laos", "fiji"]
    # 肯尼亚 matches the text "Kenya" too, and the other way round.
    assert ["kenya"] in interpret("肯尼亚", THEMES).terms[0].alternatives
    assert ["肯尼", "尼亚"] in interpret("Kenya", THEMES).terms[0].alternatives


def test_chinese_country_finds_what_kenya_finds(world):
    kenya = org_set(q="Kenya")
    # Based in or operating in Kenya, or naming it: the facet and the text together.
    assert {"Nairobi Air", "Lake Basin Trust", "Kenya Climate Forum", "East Watch"} <= kenya
    assert "Berlin Walks" not in kenya
    chinese = org_set(q="肯尼亚")
    assert chinese >= kenya
    assert "肯尼亚绿色联盟" in chinese  # and the text matches of 肯尼亚 itself
    # Before: 肯尼亚 found only the names containing it.
    assert org_set(q="肯尼亚", text_only="1") == {"肯尼亚绿色联盟"}


def test_region_finds_its_countries(world):
    south_asia = {"Dhaka Solar", "Lahore Buses", "Delhi Grid"}
    assert org_set(q="南亚") == south_asia == org_set(q="South Asia") == org_set(region="034")


def test_themes_in_chinese_and_english(world):
    energy = org_set(q="能源")
    assert energy >= org_set(theme="energy-transition") | {"Delhi Grid", "能源研究所"}
    assert energy == org_set(q="energy")
    assert "Tokyo Rail" not in energy
    transport = org_set(q="交通")
    assert transport >= {"Lahore Buses", "Tokyo Rail"} and "Dhaka Solar" not in transport
    assert org_set(q="太阳能") == org_set(q="solar") == {"Dhaka Solar"}


def test_other_words_still_narrow(world):
    # "Kenya forum": the name's words; Kenya by text or facet.
    assert org_set(q="forum Kenya") == {"Kenya Climate Forum"}
    assert org_set(q="Nairobi 肯尼亚") == {"Nairobi Air"}


def test_text_and_facet_together_rank_first(world):
    factories.organization("Kenya Solar Hub", country="KE")
    factories.db.session.commit()
    names = org_names(q="Kenya", per_page=100)
    assert names[0] == "Kenya Solar Hub"  # in the name, and in Kenya
    # Naming Kenya (name, description) before the organisations only placed there.
    text = [names.index(n) for n in ("Kenya Climate Forum", "East Watch")]
    facet_only = [names.index(n) for n in ("Nairobi Air", "Lake Basin Trust")]
    assert max(text) < min(facet_only)


def test_an_empty_result_suggests_no_translation(world):
    factories.organization("Nigel Trust", country="GB")  # "niger" is one letter off "nigel"
    factories.organization("Sahel Action", country="NE")  # in Niger, an NGO
    factories.db.session.commit()
    result = search.search_organizations(None, search.parse_search_params(MultiDict({"q": "Niger", "kind": "company"})))
    assert result.total == 0 and result.interpreted and result.suggestions == []
    assert result.relax  # but says which filter to drop


def test_organisation_named_like_a_place_is_found_by_text(world):
    assert "Kenya Climate Forum" in org_set(q="Kenya Climate Forum")
    assert org_names(q="Kenya Climate Forum")[0] == "Kenya Climate Forum"


def test_text_only_turns_the_reading_off(world, client):
    assert org_set(q="Kenya", text_only="1") == {"Kenya Climate Forum", "East Watch"}
    page = client.get("/organizations?q=肯尼亚").get_data(as_text=True)
    assert 'data-testid="interpreted"' in page and "Nairobi Air" in page
    assert "肯尼亚 read as country: Kenya" in page
    assert "/organizations?q=%E8%82%AF%E5%B0%BC%E4%BA%9A&amp;text_only=1" in page
    page = client.get("/organizations?q=肯尼亚&text_only=1").get_data(as_text=True)
    assert "Nairobi Air" not in page and 'data-testid="text-only-on"' in page
    # A facet click keeps it.
    result = search.search_organizations(None, search.parse_search_params(MultiDict({"q": "Kenya", "text_only": "1"})))
    assert "text_only=1" in result.params.facet_query("kind", "ngo")


def test_page_says_how_words_were_read_in_both_languages(world, client):
    page = client.get("/organizations?q=South+Asia").get_data(as_text=True)
    assert "South Asia read as region: Southern Asia" in page and "Dhaka Solar" in page
    page = client.get("/organizations?q=南亚&lang=zh").get_data(as_text=True)
    assert "“南亚”识别为地区: 南亚" in page and "只按文字查找" in page
    page = client.get("/organizations?q=太阳能&lang=en").get_data(as_text=True)
    assert "太阳能 also searched as" in page and "“solar”" in page


def test_api_reads_and_reports(world, client):
    body = client.get("/api/v1/organizations?q=肯尼亚&per_page=100").get_json()
    names = {o["name"] for o in body["items"]}
    assert {"Nairobi Air", "Lake Basin Trust"} <= names
    assert body["interpreted"] == [{"word": "肯尼亚", "words": ["Kenya"],
                                    "readings": [{"facet": "country", "code": "KE", "label": "country: Kenya"}]}]  # fmt: skip
    body = client.get("/api/v1/organizations?q=太阳能").get_json()
    assert body["interpreted"][0]["readings"] == [] and "solar" in body["interpreted"][0]["words"]
    assert [o["name"] for o in body["items"]] == ["Dhaka Solar"]
    body = client.get("/api/v1/organizations?q=肯尼亚&text_only=true").get_json()
    assert {o["name"] for o in body["items"]} == {"肯尼亚绿色联盟"} and body["interpreted"] == []


@pytest.fixture
def records(app):
    lead = factories.organization("Lead Org", country="FR")
    factories.project(lead, "Nairobi buses", countries=["KE"], themes=["transport"])
    factories.project(lead, "Kenya clean cooking", countries=["UG"])
    factories.project(lead, "Dhaka rooftops", countries=["BD"], themes=["energy-transition"])
    factories.project(lead, "Paris bikes", countries=["FR"])
    ini = factories.initiative("Sahel energy alliance")
    ini.regions = [factories.region("014")]  # Eastern Africa: Kenya is in it, but not "Kenya" itself
    ini.themes = [factories.theme("energy-transition")]
    factories.initiative("Alps walking")
    factories.db.session.commit()


def project_titles(**args) -> list[str]:
    return [
        p.title for p in search.search_projects(None, search.parse_record_params(MultiDict(list(args.items())))).items
    ]


def test_projects_and_initiatives(records, client):
    assert set(project_titles(q="肯尼亚")) == {"Nairobi buses", "Kenya clean cooking"}
    assert project_titles(q="肯尼亚", text_only="1") == []
    assert set(project_titles(q="交通")) == {"Nairobi buses"}
    assert set(project_titles(q="南亚")) == {"Dhaka rooftops"}
    initiatives = search.search_initiatives(None, search.parse_record_params(MultiDict({"q": "能源"})))
    assert [i.title for i in initiatives.items] == ["Sahel energy alliance"]
    assert [t.word for t in initiatives.interpreted] == ["能源"]
    east_africa = search.search_initiatives(None, search.parse_record_params(MultiDict({"q": "East Africa"})))
    assert [i.title for i in east_africa.items] == ["Sahel energy alliance"]
    page = client.get("/projects?q=肯尼亚").get_data(as_text=True)
    assert "Nairobi buses" in page and 'data-testid="text-only"' in page and "text_only=1" in page
    body = client.get("/api/v1/initiatives?q=能源").get_json()
    assert [i["title"] for i in body["items"]] == ["Sahel energy alliance"]
    assert body["interpreted"][0]["readings"][0]["code"] == "energy-transition"
