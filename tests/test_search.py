"""Directory search service: languages, typos, index sync, facets (drill-down, brute force), export."""

import random
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from werkzeug.datastructures import MultiDict

from network.errors import PermissionDenied
from network.extensions import db
from network.models import Organization, Region
from network.services import exporting, search
from tests import factories


def names(result) -> list[str]:
    return [o.name for o in result.items]


def find(q: str = "", **args) -> search.SearchResult:
    params = search.parse_search_params(MultiDict({"q": q, **args}))
    return search.search_organizations(None, params)


@pytest.fixture
def corpus(app):
    f = factories
    f.organization("Green Transport Alliance", name_local="绿色交通联盟", country="CN", themes=["transport"])
    f.organization("Full Truck Alliance", name_local="满帮集团", country="CN", kind="company")
    f.organization("China Climate Action Network", name_local="中国气候行动网络", country="CN", kind="network")
    f.organization("Instituto São Paulo Clima", country="BR", description="Políticas climáticas em São Paulo.")
    f.organization("Renewable Energy Kenya", country="KE", themes=["energy-transition"])
    f.organization("China Association for NGO Cooperation", acronym="CANGO", country="CN")
    f.organization("Environmental Defense Fund", acronym="EDF", country="US", kind="ngo")
    f.organization("Électricité de France", acronym="EDF", country="FR", kind="company")
    f.organization("Delhi Clean Air Forum", country="IN", countries=["BD", "NP"], themes=["cities", "health"])
    db.session.commit()


@pytest.mark.parametrize(
    "q, expected",
    [
        ("绿色", "Green Transport Alliance"),
        ("交通", "Green Transport Alliance"),
        ("满帮", "Full Truck Alliance"),
        ("气候", "China Climate Action Network"),
        ("manbang", "Full Truck Alliance"),
        ("man bang", "Full Truck Alliance"),
        ("lvse jiaotong", "Green Transport Alliance"),
        ("Sao Paulo", "Instituto São Paulo Clima"),
        ("SÃO PAULO", "Instituto São Paulo Clima"),
        ("politicas", "Instituto São Paulo Clima"),
        ("renew", "Renewable Energy Kenya"),
        ("CANGO", "China Association for NGO Cooperation"),
        ("cango", "China Association for NGO Cooperation"),
        ("electricite", "Électricité de France"),
    ],
)
def test_languages_accents_prefixes_and_acronyms_find_the_organisation(corpus, q, expected):
    result = find(q)
    assert expected in names(result)
    assert not result.similar_names


def test_chinese_words_do_not_match_unrelated_text(corpus):
    assert names(find("满帮")) == ["Full Truck Alliance"]
    assert find("交易").total == 0


def test_acronym_shared_by_two_organisations_finds_both(corpus):
    assert set(names(find("EDF"))) == {"Environmental Defense Fund", "Électricité de France"}


def test_misspelt_name_still_finds_it_and_suggests_the_spelling(corpus):
    result = find("Enviromental Defence Fund")
    assert "Environmental Defense Fund" in names(result)
    assert result.similar_names
    assert result.suggestions and "environmental" in result.suggestions[0]


def test_highlights_escape_html_and_mark_accent_insensitive_matches(app):
    factories.organization("<b>Bold</b> São Paulo", description="Works in Sao Paulo & <i>beyond</i>")
    db.session.commit()
    result = find("sao")
    h = result.highlights[result.items[0].id]
    assert str(h["name"]) == "&lt;b&gt;Bold&lt;/b&gt; <mark>São</mark> Paulo"
    assert "<mark>Sao</mark>" in str(h["snippet"]) and "&lt;i&gt;" in str(h["snippet"])


def test_relevance_puts_name_matches_before_description_matches(app):
    factories.organization("Aardvark Trust", description="We also do solar.")
    factories.organization("Solar Sisters")
    db.session.commit()
    assert names(find("solar")) == ["Solar Sisters", "Aardvark Trust"]
    assert names(find("solar", sort="name")) == ["Aardvark Trust", "Solar Sisters"]


def test_project_titles_and_partner_names_find_the_organisation(app):
    ngo = factories.organization("Clean Freight Kenya")
    firm = factories.organization("Zebra Logistics", kind="company")
    factories.project(ngo, "Electric matatu pilot")
    factories.partnership(ngo, firm)
    db.session.commit()
    assert names(find("matatu")) == ["Clean Freight Kenya"]
    assert "Clean Freight Kenya" in names(find("zebra"))


def test_index_follows_edit_archive_merge_and_bulk_rebuild(app):
    org = factories.organization("Old Name Society")
    other = factories.organization("Duplicate Society")
    db.session.commit()
    org.name = "Brand New Collective"
    db.session.commit()
    assert names(find("brand new")) == ["Brand New Collective"]
    assert find("old name").total == 0 or "Brand New Collective" not in names(find("old name"))

    org.archived_at = datetime.now(UTC)
    db.session.commit()
    assert find("brand").total == 0

    other.merged_into_id = org.id
    db.session.commit()
    assert find("duplicate").total == 0

    # A bulk insert bypassing the ORM is found once rebuild_index() ran.
    kenya = factories.region("KE")
    db.session.execute(insert(Organization), [{"name": "Bulk Loaded Org", "slug": "bulk-1", "kind": "ngo",
                                                "hq_country_id": kenya.id, "version": 1}])  # fmt: skip
    assert find("bulk").total == 0
    search.rebuild_index()
    db.session.commit()
    assert names(find("bulk")) == ["Bulk Loaded Org"]


def test_a_rolled_back_write_leaves_the_index_as_it_was(app):
    factories.organization("Stable Name")
    db.session.commit()
    org = db.session.scalar(select(Organization))
    org.name = "Transient Name"
    db.session.flush()
    assert names(find("transient")) == ["Transient Name"]
    db.session.rollback()
    assert names(find("stable")) == ["Stable Name"] and find("transient").total == 0


@pytest.mark.parametrize(
    "args",
    [
        {"q": "x" * 10_000},
        {"q": "a " * 5000},
        {"q": '"'},
        {"q": '"unclosed phrase'},
        {"q": "*"},
        {"q": "renew*"},
        {"q": "NEAR(a b"},
        {"q": "-"},
        {"q": "-renewable"},
        {"q": ":"},
        {"q": "names: x"},
        {"q": "{names}:x AND OR NOT ^"},
        {"q": "' OR 1=1 --"},
        {"q": "\\ % _ ;"},
        {"theme": "no-such-theme", "region": "999", "network": "nope", "country": "ZZ"},
        {"kind": "spaceship", "status": "zombie"},
        {"page": "999999"},
        {"page": "-3", "per_page": "abc"},
        {"founded_from": "-5", "founded_to": "abc"},
        {"founded_from": "1990.5", "sort": "random", "match": "everywhere"},
    ],
)
def test_bad_input_never_fails(client, corpus, args):
    response = client.get("/organizations", query_string=args)
    assert response.status_code == 200


def test_bad_input_is_explained_and_page_beyond_the_end_shows_the_last(corpus):
    result = find("", theme="no-such-theme", founded_from="abc", page="999")
    assert any("no-such-theme" in n for n in result.notices)
    assert any("abc" in n for n in result.notices)
    assert result.page == result.pages and result.items


def test_region_tree_and_match_on_hq_or_operations(corpus):
    asia = set(names(find("", region="142")))
    assert {"Full Truck Alliance", "Delhi Clean Air Forum"} <= asia and "Renewable Energy Kenya" not in asia
    # Delhi Clean Air Forum works in Bangladesh (Southern Asia, 034) with HQ in India (also 034).
    assert names(find("", country="BD", match="operation")) == ["Delhi Clean Air Forum"]
    assert find("", country="BD", match="hq").total == 0
    assert "Delhi Clean Air Forum" in names(find("", country="BD"))


def test_network_node_includes_the_nodes_below_and_membership_status(app):
    top = factories.network("CAN International", slug="can-int")
    asia = factories.network("CAN South Asia", parent=top, slug="can-sa")
    org = factories.organization("Bangla Climate", networks=[asia])
    factories.organization("Outsider")
    lapsed = factories.organization("Lapsed Member")
    factories.membership(lapsed, top, status="lapsed")
    db.session.commit()
    assert set(names(find("", network="can-int"))) == {"Bangla Climate", "Lapsed Member"}
    assert names(find("", network="can-sa")) == [org.name]
    assert names(find("", status="lapsed")) == ["Lapsed Member"]
    counts = {v.value: v.count for v in find("").facets["network"]}
    assert counts == {"can-int": 2, "can-sa": 1}


def test_facet_counts_use_drill_down_semantics(corpus):
    result = find("", country="CN")
    kinds = {v.value: v.count for v in result.facets["kind"]}
    assert kinds == {"ngo": 2, "company": 1, "network": 1}
    # The country facet ignores its own filter, so other countries stay selectable with counts.
    countries = {v.value: (v.count, v.selected) for v in result.facets["country"]}
    assert countries["CN"] == (4, True) and countries["KE"] == (1, False)
    assert result.total == 4


def test_founding_year_range_and_decade_facet(app):
    factories.organization("Old Guard", founded=1975)
    factories.organization("Nineties Kids", founded=1994)
    factories.organization("Unknown Age")
    db.session.commit()
    result = find("", founded_from="1990", founded_to="1999")
    assert names(result) == ["Nineties Kids"]
    assert {v.value: v.count for v in result.facets["founded"]} == {"1970": 1, "1990": 1}


def test_empty_results_suggest_relaxing_a_filter(corpus):
    result = find("renewable", country="CN")
    assert result.total == 0
    assert result.relax and {h[0] for h in result.relax} >= {"place"}
    assert {h[0]: h[1] for h in result.relax}["place"] == 1
    assert ("place", 1, {"q": "renewable"}) in result.relax


# --- facet counts equal brute force for generated filter combinations -------------------------

REGIONS = ["142", "002", "150", "019", "034", "030"]
COUNTRIES = ["CN", "IN", "KE", "BR", "DE", "US", "BD"]
THEMES = ["transport", "energy-transition", "cities", "health"]
KINDS = ["ngo", "company", "think_tank"]
WORDS = ["alpha", "beta", "gamma"]


def test_facet_counts_equal_brute_force_counts(app):
    rng = random.Random(7)
    top = factories.network("Top", slug="top")
    nodes = [top, factories.network("Child", parent=top, slug="child"), factories.network("Other", slug="other")]
    nodes.append(factories.network("Grandchild", parent=nodes[1], slug="grandchild"))
    for i in range(45):
        org = factories.organization(
            f"{rng.choice(WORDS)} {rng.choice(WORDS)} org {i}",
            country=rng.choice(COUNTRIES),
            countries=rng.sample(COUNTRIES, rng.randint(0, 2)),
            themes=rng.sample(THEMES, rng.randint(0, 2)),
            kind=rng.choice(KINDS),
            founded=rng.choice([None, 1968, 1985, 1992, 2004, 2015]),
        )
        for node in rng.sample(nodes, rng.randint(0, 2)):
            factories.membership(org, node, status=rng.choice(["active", "lapsed"]))
    db.session.commit()
    orgs = db.session.scalars(select(Organization)).all()
    paths = {r.code: r.path for r in db.session.scalars(select(Region))}

    def facts(org):
        hq = {org.hq_country.code}
        operation = {c.code for c in org.countries}
        return {
            "hq": hq,
            "operation": operation,
            "theme": {t.slug for t in org.themes},
            "kind": org.kind,
            "network": {m.network.path for m in org.memberships},
            "status": {m.status for m in org.memberships},
            "founded": org.founded,
            "words": org.name.split(),
        }

    table = {org.id: facts(org) for org in orgs}
    node_paths = {n.slug: n.path for n in nodes}

    def satisfies(f, filters, skip=None):
        countries = (
            f["hq"]
            if filters["match"] == "hq"
            else f["operation"]
            if filters["match"] == "operation"
            else f["hq"] | f["operation"]
        )
        checks = {
            "q": lambda: filters["q"] is None or filters["q"] in f["words"],
            # one "where" facet: any region or country picked matches
            "where": lambda: (not filters["region"] and not filters["country"])
            or any(f"/{r}/" in paths[c] for r in filters["region"] for c in countries)
            or bool(countries & set(filters["country"])),
            "theme": lambda: not filters["theme"] or bool(f["theme"] & set(filters["theme"])),
            "kind": lambda: not filters["kind"] or f["kind"] in filters["kind"],
            "network": lambda: not filters["network"] or any(p.startswith(node_paths[n]) for n in filters["network"] for p in f["network"]),
            "status": lambda: not filters["status"] or bool(f["status"] & set(filters["status"])),
            "founded": lambda: filters["decade"] is None or (f["founded"] or 0) // 10 * 10 == filters["decade"],
        }  # fmt: skip
        skip = "where" if skip in ("region", "country") else skip
        return all(check() for name, check in checks.items() if name != skip)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(
        st.fixed_dictionaries({
            "q": st.sampled_from([None, *WORDS]),
            "region": st.lists(st.sampled_from(REGIONS), max_size=2, unique=True),
            "country": st.lists(st.sampled_from(COUNTRIES), max_size=2, unique=True),
            "theme": st.lists(st.sampled_from(THEMES), max_size=2, unique=True),
            "kind": st.lists(st.sampled_from(KINDS), max_size=2, unique=True),
            "network": st.lists(st.sampled_from([n.slug for n in nodes]), max_size=2, unique=True),
            "status": st.lists(st.sampled_from(["active", "lapsed"]), max_size=1),
            "decade": st.sampled_from([None, 1960, 1990, 2000]),
            "match": st.sampled_from(["any", "hq", "operation"]),
        })
    )  # fmt: skip
    def check(filters):
        args = MultiDict(
            [(k, v) for k in ("region", "country", "theme", "kind", "network", "status") for v in filters[k]]
        )
        args["match"] = filters["match"]
        if filters["q"]:
            args["q"] = filters["q"]
        if filters["decade"]:
            args["founded_from"], args["founded_to"] = str(filters["decade"]), str(filters["decade"] + 9)
        result = search.search_organizations(None, search.parse_search_params(args))
        assert result.total == sum(satisfies(f, filters) for f in table.values())
        for facet, value_of in {
            "theme": lambda f: f["theme"],
            "kind": lambda f: {f["kind"]},
            "status": lambda f: f["status"],
            "country": lambda f: f["hq"] if filters["match"] == "hq" else f["operation"] if filters["match"] == "operation" else f["hq"] | f["operation"],
            "founded": lambda f: {str(f["founded"] // 10 * 10)} if f["founded"] else set(),
        }.items():  # fmt: skip
            expected: dict[str, int] = {}
            for f in table.values():
                if satisfies(f, filters, skip=facet):
                    for value in value_of(f):
                        expected[value] = expected.get(value, 0) + 1
            got = {v.value: v.count for v in result.facets[facet] if v.count}
            assert got == expected, facet
        for region in REGIONS:
            got = {v.value: v.count for v in result.facets["region"]}.get(region, 0)
            # a place's count: the other filters with that place alone (the "where" choice left out)
            want = sum(satisfies(f, {**filters, "region": [region], "country": []}) for f in table.values())
            assert got == want, region
        for node in nodes:
            got = {v.value: v.count for v in result.facets["network"]}.get(node.slug, 0)
            assert got == sum(satisfies(f, {**filters, "network": [node.slug]}) for f in table.values()), node.slug

    check()


# --- export ------------------------------------------------------------------------------------


def test_export_returns_every_match_not_just_a_page(app):
    kenya = factories.region("KE")
    rows = [{"name": f"Export Org {i:04d}", "slug": f"export-{i}", "kind": "ngo", "hq_country_id": kenya.id,
             "version": 1} for i in range(1200)]  # fmt: skip
    rows.append({"name": "=HYPERLINK(evil)", "slug": "evil", "kind": "ngo", "hq_country_id": kenya.id, "version": 1})
    db.session.execute(insert(Organization), rows)
    search.rebuild_index()
    db.session.commit()
    viewer = factories.user("viewer")
    exported = list(exporting.export_rows(viewer, MultiDict({"q": "export"})))
    assert len(exported) == 1200
    assert exported[0]["name"] == "Export Org 0000" and exported[-1]["name"] == "Export Org 1199"


def test_export_needs_a_login(app):
    with pytest.raises(PermissionDenied):
        list(exporting.export_rows(None, MultiDict()))


# --- projects and initiatives ------------------------------------------------------------------


def test_projects_and_initiatives_search_by_text_theme_country_status(app):
    org = factories.organization("Lead Org")
    factories.project(org, "Solar schools Nairobi", themes=["energy-transition"], countries=["KE"])
    factories.project(org, "Bus rapid transit", themes=["transport"], countries=["IN"], status="completed")
    factories.initiative("Clean Cooking Coalition", status="active")
    factories.initiative("Urban Heat Alliance", status="proposed")
    db.session.commit()

    def projects(**args):
        return [p.title for p in search.search_projects(None, search.parse_record_params(MultiDict(args))).items]

    assert projects(q="solar") == ["Solar schools Nairobi"]
    assert projects(theme="transport") == ["Bus rapid transit"]
    assert projects(country="KE") == ["Solar schools Nairobi"]
    assert projects(status="completed") == ["Bus rapid transit"]
    assert projects(q='NEAR( "') == []
    result = search.search_initiatives(None, search.parse_record_params(MultiDict({"q": "cooking"})))
    assert [i.title for i in result.items] == ["Clean Cooking Coalition"]
    result = search.search_initiatives(None, search.parse_record_params(MultiDict({"status": "proposed"})))
    assert [i.title for i in result.items] == ["Urban Heat Alliance"]


def test_regions_and_countries_are_one_where_facet(app):
    """South Asia or Kenya: any place picked matches, and each place counts on its own."""
    factories.organization("Dhaka Climate", country="BD")
    factories.organization("Nairobi Green", country="KE")
    factories.organization("Lima Forest", country="PE")
    db.session.commit()
    params = search.parse_search_params(MultiDict([("region", "034"), ("country", "KE")]))
    result = search.search_organizations(None, params)
    assert sorted(names(result)) == ["Dhaka Climate", "Nairobi Green"]
    countries = {v.value: v.count for v in result.facets["country"]}
    assert countries["PE"] == 1 and countries["KE"] == 1  # counted as if picked alone


def test_where_can_match_through_network_membership(app):
    """match=membership: a place matches the organisations that belong to a node of that region (or
    country), wherever they are based or work; the facet counts follow; a new membership is seen at
    once (the index is patched for that organisation)."""
    south_asia = factories.network("CAN South Asia", region=factories.region("034"))
    kenya_node = factories.network("CAN Kenya", region=factories.region("KE"))
    factories.organization("London Member", country="GB", networks=[south_asia])
    factories.organization("Dhaka Local", country="BD")  # based in South Asia, member of no node
    nairobi = factories.organization("Nairobi Member", country="KE", networks=[kenya_node])
    db.session.commit()
    result = find("", region="034", match="membership")
    assert names(result) == ["London Member"]
    assert sorted(names(find("", region="034", country="KE", match="membership"))) == [
        "London Member",
        "Nairobi Member",
    ]
    assert names(find("", region="034", match="hq")) == ["Dhaka Local"]
    countries = {v.value: v.count for v in find("", match="membership").facets["country"]}
    assert countries == {"KE": 1}
    factories.membership(nairobi, south_asia)
    db.session.commit()
    assert sorted(names(find("", region="034", match="membership"))) == ["London Member", "Nairobi Member"]
