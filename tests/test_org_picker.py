"""The one organisation picker (#15 item 7): a name typed in any script, matches from the directory
search, the organisation's id stored; with htmx or, without JavaScript, a "Find" step."""

import re

import pytest
from sqlalchemy import select

from network.extensions import db
from network.models import Partnership, ProjectParticipant, User
from tests import factories as f


@pytest.fixture
def green(world):
    org = f.organization("Green Earth Alliance", name_local="绿色地球联盟", acronym="GEA", networks=[world.x1])
    f.organization("Greenfield Logistics", kind="company")
    db.session.commit()
    return org


def radios(html: str, name: str) -> list[str]:
    return re.findall(rf'type="radio" name="{re.escape(name)}" id="[^"]+" value="(\d+)"', html)


def test_matches_for_a_chinese_name_a_pinyin_free_acronym_and_a_word(client, green):
    for typed in ("绿色地球", "GEA", "alliance"):
        html = client.get("/organizations/pick", query_string={"field": "partner", "partner_q": typed}).get_data(
            as_text=True
        )
        assert radios(html, "partner") == [str(green.id)], typed
        assert "绿色地球联盟" in html
    html = client.get("/organizations/pick", query_string={"field": "partner", "partner_q": "green"}).get_data(
        as_text=True
    )
    assert len(radios(html, "partner")) == 2
    nothing = client.get("/organizations/pick", query_string={"field": "partner", "partner_q": "zzqx"})
    assert "No organisation found" in nothing.get_data(as_text=True)


def test_the_chosen_one_stays_offered_while_typing_on(client, green):
    html = client.get(
        "/organizations/pick", query_string={"field": "partner", "partner_q": "logistics", "partner": green.id}
    ).get_data(as_text=True)
    assert f'value="{green.id}" checked' in html and len(radios(html, "partner")) == 2


def test_invite_form_without_javascript_find_then_pick(client_as, world, green):
    admin = client_as("admin")
    page = admin.get("/admin/users/invite").get_data(as_text=True)
    # Least privilege first and chosen: Viewer, never Administrator by default.
    options = re.findall(r'<option (selected )?value="(\w+)"', page)
    assert [v for _s, v in options][:4] == ["viewer", "member", "coordinator", "admin"]
    assert ("selected ", "viewer") in options
    assert 'name="organization_find"' in page and 'hx-get="/organizations/pick?field=organization"' in page
    form = {"email": "new@example.org", "name": "New", "role": "member", "organization_q": "绿色地球"}
    found = admin.post("/admin/users/invite", data={**form, "organization_find": "1"})
    html = found.get_data(as_text=True)
    assert found.status_code == 422 and radios(html, "organization") == [str(green.id)]
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None  # nothing sent yet
    # Typed but not picked: refused with a hint, not saved with no organisation.
    assert admin.post("/admin/users/invite", data=form).status_code == 422
    done = admin.post("/admin/users/invite", data={**form, "organization": str(green.id)})
    assert done.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert (user.role, user.organization_id) == ("member", green.id)


def test_partnership_form_uses_the_picker(client_as, world, green):
    client = client_as("member_a")
    page = client.get(f"/organizations/{world.org_a.slug}/partnerships/new").get_data(as_text=True)
    assert "organization-choices" not in page and 'name="partner_q"' in page
    response = client.post(f"/organizations/{world.org_a.slug}/partnerships/new",
                           data={"partner": str(green.id), "kind": "technical", "status": "active"})  # fmt: skip
    assert response.status_code == 302
    assert db.session.scalar(select(Partnership.org_b_id).where(Partnership.org_a_id == world.org_a.id)) == green.id


def test_project_participants_use_the_picker(client_as, world, green):
    client = client_as("member_a")
    page = client.get(f"/projects/{world.project_a.id}/edit").get_data(as_text=True)
    assert "organization-choices" not in page and 'name="participants-0-organization_q"' in page
    data = {"title": "Project A", "status": "active", "version": str(world.project_a.version),
            "participants-0-organization": str(green.id), "participants-0-role": "partner"}  # fmt: skip
    response = client.post(f"/projects/{world.project_a.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    rows = db.session.scalars(select(ProjectParticipant).where(ProjectParticipant.project_id == world.project_a.id))
    assert [p.organization_id for p in rows] == [green.id]


def test_merge_starts_by_picking_the_duplicate_by_name(client_as, world, green):
    twin = f.organization("Green Earth Alliance Kenya", name_local="绿色地球联盟肯尼亚", networks=[world.x1])
    db.session.commit()
    client = client_as("coordinator_x")
    assert "Merge a duplicate into this" in client.get(f"/organizations/{green.slug}").get_data(as_text=True)
    found = client.get(
        f"/organizations/{green.slug}/merge", query_string={"duplicate_q": "肯尼亚", "duplicate_find": "1"}
    )
    assert radios(found.get_data(as_text=True), "duplicate") == [str(twin.id)]
    picked = client.get(f"/organizations/{green.slug}/merge", query_string={"duplicate": twin.id})
    assert picked.status_code == 302
    assert picked.headers["Location"].endswith(f"/duplicates/merge?survivor={green.id}&duplicate={twin.id}")
    itself = client.get(f"/organizations/{green.slug}/merge", query_string={"duplicate": green.id})
    assert itself.status_code == 200 and "Pick another organisation than this one." in itself.get_data(as_text=True)
    assert client_as("coordinator_y").get(f"/organizations/{green.slug}/merge").status_code == 403


def test_initiative_invitations_use_the_picker(client_as, world, green):
    from network.models import Participant

    f.initiative("Clean Air", slug="clean-air", network=world.x, status="active")
    db.session.commit()
    client = client_as("coordinator_x")
    typed = client.post("/initiatives/clean-air/invite", data={"organization_q": "绿色", "organization_find": "1"})
    assert typed.status_code == 302 and "find=" in typed.headers["Location"]
    page = client.get(typed.headers["Location"]).get_data(as_text=True)
    assert radios(page, "organization") == [str(green.id)] and 'data-testid="invite-form"' in page
    done = client.post("/initiatives/clean-air/invite", data={"organization": str(green.id), "role": "observer"})
    assert done.status_code == 302
    rows = db.session.execute(select(Participant.organization_id, Participant.role)).all()
    assert (green.id, "observer") in rows
