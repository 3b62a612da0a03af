from sqlalchemy import func, select

from network.models import Region, Theme


def test_reference_data_is_loaded(app, db_session):
    assert db_session.scalar(select(func.count()).select_from(Theme)) == 15
    india = db_session.scalar(select(Region).where(Region.code == "IN"))
    assert india.path == "/001/142/034/IN/"
    assert india.name_zh == "印度"


def test_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Recent changes" in response.data
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_unknown_page_is_the_apps_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Back to the start" in response.data
