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


def test_factories_and_audit(app, db_session):
    from network.models import AuditEvent
    from tests import factories as f

    org = f.organization("Green Earth", country="CN", themes=["transport"], name_local="绿色地球")
    db_session.commit()
    org.name = "Green Earth Network"
    db_session.commit()
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == org.id, AuditEvent.entity_type == "organizations")
    ).all()
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].changes["name"] == ["Green Earth", "Green Earth Network"]
    assert events[0].changes["themes"] == [None, ["transport"]]


def test_chinese_interface_shows_a_local_name_only_when_it_is_chinese(app):
    from network.labels import localized_name
    from tests import factories as f

    chinese = f.organization("Green Transport Association", name_local="绿色交通促进会")
    bengali = f.organization("Coastal Youth Forum", name_local="উপকূলীয় যুব ফোরাম")
    assert localized_name(chinese, "zh") == "绿色交通促进会"
    assert localized_name(bengali, "zh") == "Coastal Youth Forum"
    assert localized_name(bengali, "en") == "Coastal Youth Forum"


def test_old_values_are_loaded_whatever_the_import_order():
    """The audit's diffs need old values loaded before a change, also when something configured
    the mappers before the audit module was imported (a search option built at import, say)."""
    import subprocess
    import sys

    code = ("import network.models; from sqlalchemy.orm import configure_mappers; configure_mappers(); "
            "import network.services.audit; from network.models import Organization; "
            "assert Organization.name.impl.active_history")  # fmt: skip
    subprocess.run([sys.executable, "-c", code], check=True)
