"""The directory page at /organizations: filters, pagination, links, bad input."""

from tests import factories


def test_directory_lists_filters_by_country_and_kind_and_paginates(client, db_session):
    factories.organization("Green Kenya", country="KE", kind="ngo")
    factories.organization("Solar Firm", country="KE", kind="company")
    factories.organization("Delhi Air", country="IN", kind="ngo")
    db_session.commit()
    page = client.get("/organizations").get_data(as_text=True)
    assert "Green Kenya" in page and "Delhi Air" in page
    page = client.get("/organizations?country=KE&kind=company").get_data(as_text=True)
    assert "Solar Firm" in page and "Green Kenya" not in page and "Delhi Air" not in page
    page = client.get("/organizations?per_page=1&page=2").get_data(as_text=True)
    assert page.count('href="/organizations/') == 1
