"""Partner suggestions (ranking and reasons) and the graph JSON of initiatives and organisations."""

from network.extensions import db
from network.models import utcnow
from network.services import initiatives as service
from network.services.suggestions import suggest_partners
from tests import factories as f


def test_ranking_and_reasons(world):
    ini = f.initiative("Freight", network=world.x)
    ini.themes = [f.theme("transport")]
    ini.regions = [f.region("142")]  # Asia
    f.participant(ini, world.org_a, role="lead")
    all_three = f.organization("All three", themes=["transport"], countries=["IN"])
    f.partnership(world.org_a, all_three, kind="funding")
    theme_only = f.organization("Theme only", themes=["transport"], countries=["BR"])
    country_only = f.organization("Country only", themes=["oceans"], countries=["CN"])
    f.organization("Nothing", themes=["oceans"], countries=["BR"])
    gone = f.organization("Archived match", themes=["transport"], countries=["IN"])
    gone.archived_at = utcnow()
    declined = f.organization("Declined", themes=["transport"])
    f.participant(ini, declined, status="declined")
    db.session.flush()

    found = suggest_partners(ini)
    names = [s.organization.name for s in found]
    assert names == ["All three", "Theme only", "Country only"]
    assert [s.score for s in found] == [3 + 2 + 4, 3, 2]
    best = found[0]
    assert "Works on Transport" in best.reasons
    assert "Operates in India" in best.reasons
    assert "Funding partner of Organisation A" in best.reasons
    assert found[1].reasons == ["Works on Transport"]
    assert found[2].reasons == ["Operates in China"]
    assert theme_only not in [p.organization for p in ini.participants]
    assert country_only.id not in {p.organization_id for p in ini.participants}


def test_participants_are_not_suggested(world):
    ini = f.initiative("Freight")
    ini.themes = [f.theme("transport")]
    inside = f.organization("Inside", themes=["transport"])
    f.participant(ini, inside, status="invited")
    assert suggest_partners(ini) == []


def test_no_criteria_no_suggestions(world):
    assert suggest_partners(f.initiative("Empty")) == []


def test_initiative_graph_json(world, client_as):
    ini = f.initiative("Freight", slug="freight")
    f.participant(ini, world.org_a, role="lead")
    f.participant(ini, world.org_b, status="invited")
    f.participant(ini, f.organization("Left NGO"), status="left")
    tyres = f.organization("Tyre Maker", kind="company", slug="tyres")
    ngo_outside = f.organization("Outside NGO")
    between = f.partnership(world.org_a, world.org_b, kind="technical")
    with_firm = f.partnership(world.org_b, tyres, kind="funding")
    f.partnership(world.org_a, ngo_outside)  # not a firm, not a participant: not drawn
    f.partnership(world.org_a, f.organization("Old firm", kind="company"), status="ended")
    db.session.commit()

    graph = client_as("coordinator_x").get("/initiatives/freight/graph.json").get_json()
    nodes = {n["name"]: n for n in graph["nodes"]}
    assert set(nodes) == {"Organisation A", "Organisation B", "Tyre Maker"}
    assert nodes["Organisation A"]["role"] == "lead" and nodes["Organisation B"]["status"] == "invited"
    assert nodes["Tyre Maker"]["company"] is True and nodes["Tyre Maker"]["participant"] is False
    assert {e["id"] for e in graph["edges"]} == {f"p{between.id}", f"p{with_firm.id}"}
    assert all(e["source"] in {n["id"] for n in graph["nodes"]} for e in graph["edges"])
    # Readers outside it see only those who accepted (and their firms).
    public = client_as("anonymous").get("/initiatives/freight/graph.json").get_json()
    assert {n["name"] for n in public["nodes"]} == {"Organisation A"}


def test_organization_graph_is_one_hop(world, client_as):
    tyres = f.organization("Tyre Maker", kind="company")
    bank = f.organization("Bank", kind="company")
    far = f.organization("Two hops away")
    f.partnership(world.org_a, tyres)
    f.partnership(world.org_a, bank)
    f.partnership(tyres, bank, kind="funding")  # among the partners: drawn
    f.partnership(bank, far)  # two hops: not drawn
    ini = f.initiative("Freight")
    f.participant(ini, world.org_a)
    db.session.commit()
    graph = client_as("viewer").get("/organizations/org-a/graph.json").get_json()
    names = {n["name"] for n in graph["nodes"]}
    assert names == {"Organisation A", "Tyre Maker", "Bank", "Freight"}
    assert len(graph["edges"]) == 4  # A–tyres, A–bank, tyres–bank, A–initiative
    assert next(n for n in graph["nodes"] if n["name"] == "Organisation A")["center"] is True
    assert client_as("viewer").get("/organizations/nope/graph.json").status_code == 404


def test_graph_service_matches_endpoint(world):
    ini = f.initiative("Solo")
    f.participant(ini, world.org_a)
    graph = service.initiative_graph(ini)
    assert graph == {"nodes": [graph["nodes"][0]], "edges": []}
    assert graph["nodes"][0]["url"] == "/organizations/org-a"


def test_suggestions_fragment_and_page(world, client_as):
    ini = f.initiative("Freight", network=world.x, slug="freight")
    ini.themes = [f.theme("transport")]
    f.organization("Transport Think Tank", themes=["transport"])
    db.session.commit()
    coordinator = client_as("coordinator_x")
    fragment = coordinator.get("/initiatives/freight/suggestions", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and b"<html" not in fragment.data
    assert b"Transport Think Tank" in fragment.data and b"Works on Transport" in fragment.data
    page = coordinator.get("/initiatives/freight/suggestions")
    assert b"<html" in page.data and b"Transport Think Tank" in page.data
    assert b"/initiatives/freight/suggestions" in coordinator.get("/initiatives/freight").data
    assert client_as("member_a").get("/initiatives/freight/suggestions").status_code == 403


def test_reasons_and_graph_in_chinese(world, app, client_as):
    """Under 中文 the reasons name themes, countries and partners in Chinese, lists are joined the
    Chinese way, and graph edges carry a translated kind (the code stays for scripts)."""
    from flask_babel import force_locale

    ini = f.initiative("Freight", slug="freight")
    ini.themes = [f.theme("transport"), f.theme("energy-transition")]
    ini.regions = [f.region("142")]
    f.participant(ini, world.org_a)
    world.org_a.name_local = "绿色地球"
    match = f.organization("Match", kind="company", themes=["transport", "energy-transition"], countries=["IN", "CN"])
    f.partnership(world.org_a, match, kind="in_kind")
    db.session.flush()
    with app.test_request_context(), force_locale("zh"):
        reasons = suggest_partners(ini)[0].reasons
    assert "工作领域：能源转型和交通运输" in reasons  # theme order
    assert any("印度和中国" in r or "中国和印度" in r for r in reasons)
    assert any("绿色地球" in r and "实物" in r for r in reasons), reasons
    assert not any("Transport" in r or "India" in r or "Organisation A" in r for r in reasons)
    db.session.commit()

    graph = client_as("coordinator_x").get("/initiatives/freight/graph.json?lang=zh").get_json()
    edge = graph["edges"][0]
    assert edge["kind"] == "in_kind" and edge["kind_label"] != "in_kind" and "实物" in edge["kind_label"]
    assert "绿色地球" in {n["name"] for n in graph["nodes"]}
