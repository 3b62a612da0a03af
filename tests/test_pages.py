"""Read-only pages: organisation, project, home, map data and the network tree."""

from datetime import date
from decimal import Decimal

import pytest

from network.models import AuditEvent, utcnow
from tests import factories as f
from tests.conftest import login


@pytest.fixture
def green(db_session):
    """An organisation with something in every section of its page."""
    node = f.network("CAN South Asia", slug="can-sa")
    org = f.organization(
        "Green Earth", slug="green-earth", country="CN", kind="ngo", name_local="绿色地球", acronym="GE",
        themes=["transport"], countries=["CN", "IN"], networks=[node], website="https://green.example.org/",
        description="Cleaner freight in Asia.", founded=1998,
    )  # fmt: skip
    from network.models import OrganizationIdentifier

    org.identifiers.append(OrganizationIdentifier(value="CN-USCC-91110000TEST"))
    f.person(org, "Listed Li", consent_to_list=True, email="li@example.org", phone="+86 10 1234")
    f.person(org, "Hidden Hu", consent_to_list=False, email="hu@example.org")
    certifier = f.organization("Freight Certifier", slug="certifier", kind="company", country="DE")
    f.partnership(org, certifier, kind="technical", description="Certifies retrofits")
    led = f.project(org, "Truck Retrofit", budget=Decimal("250000"), currency="USD", countries=["CN"],
                    themes=["transport"], start_date=date(2023, 1, 1))  # fmt: skip
    other = f.project(certifier, "Green Label")
    from network.models import ProjectParticipant

    db_session.add(ProjectParticipant(project=other, organization=org, role="implementer"))
    ini = f.initiative("Clean Freight Asia", slug="clean-freight")
    f.participant(ini, org, role="lead")
    db_session.commit()
    return org, led, other, certifier, ini


def test_organization_page_shows_every_section(client, green):
    org, led, other, certifier, ini = green
    html = client.get("/organizations/green-earth").get_data(as_text=True)
    for text in ["Green Earth", "绿色地球", "(GE)", "China", "India", "CAN South Asia", "Listed Li",
                 "Truck Retrofit", "Green Label", "Implementer", "Freight Certifier", "Certifies retrofits",
                 "Clean Freight Asia", "CN-USCC-91110000TEST", "green.example.org", "1998"]:  # fmt: skip
        assert text in html, text
    assert 'href="/organizations/certifier"' in html
    assert f'href="/projects/{led.id}"' in html
    assert 'href="/organizations?network=can-sa"' in html


def test_people_unlisted_and_contacts_are_private(client, green):
    html = client.get("/organizations/green-earth").get_data(as_text=True)
    assert "Listed Li" in html
    assert "Hidden Hu" not in html
    assert "li@example.org" not in html and "+86 10 1234" not in html


def test_the_organisations_member_sees_unlisted_people_and_contacts(client, green, db_session):
    member = f.user("member", organization=green[0])
    db_session.commit()
    login(client, member)
    html = client.get("/organizations/green-earth").get_data(as_text=True)
    assert "Hidden Hu" in html and "li@example.org" in html and "+86 10 1234" in html


def test_other_members_do_not_see_private_contacts(client, green, db_session):
    stranger = f.user("member", organization=green[3])
    db_session.commit()
    login(client, stranger)
    html = client.get("/organizations/green-earth").get_data(as_text=True)
    assert "Listed Li" in html and "li@example.org" not in html and "Hidden Hu" not in html


def test_archived_organization_shows_a_notice(client, green, db_session):
    org = green[0]
    org.archived_at = utcnow()
    viewer = f.user("viewer")
    db_session.commit()
    # Strangers are told nothing exists there, not that they may not look.
    assert client.get("/organizations/green-earth").status_code == 404
    assert client.get("/api/v1/organizations/green-earth").status_code == 404
    login(client, viewer)
    response = client.get("/organizations/green-earth")
    assert response.status_code == 200
    assert 'data-testid="archived-notice"' in response.get_data(as_text=True)


def test_merged_organization_redirects_permanently_to_survivor(client, db_session):
    survivor = f.organization("Survivor", slug="survivor")
    middle = f.organization("Middle", slug="middle", merged_into_id=survivor.id)
    f.organization("Duplicate", slug="duplicate", merged_into_id=middle.id)
    db_session.commit()
    response = client.get("/organizations/duplicate")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/organizations/survivor")


def test_unknown_organization_and_project_are_404(client):
    for url in ["/organizations/no-such-org", "/organizations/%00x", "/organizations/" + "x" * 500,
                "/projects/999999", "/projects/abc", "/projects/-1", "/projects/0", "/projects/99999999999999999999"]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Back to the start" in response.data


def test_project_page(client, green, db_session):
    org, led, other, certifier, ini = green
    from network.models import InitiativeProject, ProjectParticipant

    db_session.add(ProjectParticipant(project=led, organization=certifier, role="technical"))
    db_session.add(InitiativeProject(initiative=ini, project=led))
    f.outcome(led, "120.5", basis="estimated", method="GHG Protocol", people_reached=300, year=2023)
    f.outcome(led, "80", basis="verified", method="Gold Standard", people_reached=200, year=2024)
    f.outcome(led, "999", basis="verified", year=2022, archived_at=utcnow())
    db_session.commit()
    html = client.get(f"/projects/{led.id}").get_data(as_text=True)
    for text in ["Truck Retrofit", "Green Earth", "Freight Certifier", "Technical", "$250,000.00", "China",
                 "GHG Protocol", "Gold Standard", "Clean Freight Asia"]:  # fmt: skip
        assert text in html, text
    # Estimated and verified are kept apart; the archived report counts nowhere.
    assert 'data-total="verified">80<' in html
    assert 'data-total="estimated">120.5<' in html
    assert 'data-total="people">500<' in html
    assert "999" not in html


def test_home_counts_recent_changes_and_map_links(client, green, db_session):
    admin = f.user("admin", name="Ada Admin")
    db_session.commit()
    org = green[0]
    login(client, admin)
    org.description = "Changed"
    db_session.add(AuditEvent(actor_id=admin.id, action="update", entity_type="organizations", entity_id=org.id,
                              changes={"description": ["a", "b"]}))  # fmt: skip
    db_session.commit()
    html = client.get("/overview").get_data(as_text=True)  # "/" is the admin's start page
    assert 'data-count="organizations">1<' in html
    assert 'data-count="companies">1<' in html
    assert "Ada Admin" in html
    assert 'href="/organizations/green-earth"' in html
    assert 'data-map-url="/map.json"' in html


def test_map_json_counts_organizations_per_country(client, green, db_session):
    f.organization("Another", country="CN")
    f.organization("Gone", country="CN", archived_at=utcnow())
    db_session.commit()
    data = client.get("/map.json").get_json()
    china = data["countries"]["156"]
    assert china == {"code": "CN", "name": "China", "count": 2, "url": "/organizations?country=CN&match=hq"}
    assert "276" in data["countries"]  # the certifier in Germany counts as an organisation too
    assert data["max"] == 2


def test_network_tree_counts_distinct_members_below(client, db_session):
    root = f.network("CAN International", slug="can-int")
    asia = f.network("CAN South Asia", slug="can-sa", parent=root)
    bd = f.network("CAN Bangladesh", slug="can-bd", parent=asia)
    both = f.organization("In two nodes", networks=[asia, bd])
    f.organization("Only Bangladesh", networks=[bd])
    f.membership(f.organization("Lapsed"), bd, status="lapsed")
    f.organization("Archived", networks=[bd], archived_at=utcnow())
    assert both
    db_session.commit()
    html = client.get("/networks").get_data(as_text=True)
    assert 'href="/organizations?network=can-bd"' in html
    assert 'data-members="can-int">2<' in html
    assert 'data-members="can-sa">2<' in html
    assert 'data-members="can-bd">2<' in html
    # Each count links to the directory's list of the same organisations, with the same number.
    assert 'href="/organizations?network=can-bd&amp;status=active"' in html
    for slug in ("can-int", "can-sa", "can-bd"):
        listed = client.get(f"/api/v1/organizations?network={slug}&status=active").get_json()
        assert listed["total"] == 2, slug


def test_map_counts_equal_the_directory_it_links_to(client, db_session):
    """A country on the map (its tooltip and the list beside it) counts what its link lists:
    organisations headquartered there; one working there from elsewhere is not in either."""
    f.organization("Nairobi HQ", country="KE")
    f.organization("Works in Kenya", country="TZ", countries=["KE"])
    f.organization("Kenyan firm", country="KE", kind="company")
    db_session.commit()
    kenya = client.get("/map.json").get_json()["countries"]["404"]
    listed = client.get(kenya["url"].replace("/organizations", "/api/v1/organizations")).get_json()
    assert kenya["count"] == listed["total"] == 2
    assert f'href="{kenya["url"].replace("&", "&amp;")}"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("query", ["?page=abc", "?page=-1", "?page=99999999999999999999", "?lang=%00%01", "?x=%0d%0a"])
@pytest.mark.parametrize("path", ["/", "/networks", "/organizations/green-earth", "/map.json"])
def test_bad_query_parameters_never_500(client, green, path, query):
    assert client.get(path + query).status_code in (200, 400)


def test_project_page_bad_query_parameters(client, green):
    led = green[1]
    assert client.get(f"/projects/{led.id}?page=abc&x=%00").status_code == 200


def test_pages_in_chinese_show_chinese_names(client, green):
    html = client.get("/organizations/green-earth?lang=zh").get_data(as_text=True)
    assert "中国" in html and "绿色地球" in html
    assert client.get("/map.json?lang=zh").get_json()["countries"]["156"]["name"] == "中国"
    assert client.get("/?lang=zh").status_code == 200
    assert client.get(f"/projects/{green[1].id}?lang=zh").status_code == 200
