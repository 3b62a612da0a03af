"""Bulk actions on the directory's results (#15 item 3): tick rows, a whole page or every result of
the search, then add them to an initiative, tag or untag them, or export them. Plain form posts
(no JavaScript needed); large "all matching" sets in batches of SQL, not one ORM object each."""

import csv
import io
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, insert, select

from network.errors import ValidationError
from network.extensions import db
from network.models import Organization, Participant, utcnow
from network.models.tag import organization_tags
from network.services import bulk, tags
from network.services.search import rebuild_index
from tests import factories as f


@pytest.fixture
def setup(world):
    orgs = [f.organization(f"Bulk Org {n}", networks=[world.x1]) for n in range(4)]
    initiative = f.initiative("Clean Freight", slug="clean-freight", network=world.x, status="active")
    tag = tags.create_tag(world.users["coordinator_x"], "Freight list", world.x)
    db.session.commit()
    return orgs, initiative, tag


def participants(initiative) -> dict[int, tuple[str, str]]:
    rows = db.session.execute(
        select(Participant.organization_id, Participant.role, Participant.invitation_status).where(
            Participant.initiative_id == initiative.id
        )
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def test_ticked_rows_join_an_initiative_in_two_steps(world, setup, client_as):
    orgs, initiative, _tag = setup
    client = client_as("coordinator_x")
    page = client.get("/organizations?q=bulk").get_data(as_text=True)
    assert page.count('data-testid="bulk-pick"') == 4 and 'id="bulk-form"' in page
    chosen = [orgs[0].id, orgs[2].id, orgs[3].id]
    step = client.post("/organizations/bulk", data={"action": "initiative", "query": "q=bulk", "id": chosen})
    text = step.get_data(as_text=True)
    assert step.status_code == 200 and "3 organisations selected." in text and "Clean Freight" in text
    assert participants(initiative) == {}  # nothing done before the confirmation
    done = client.post("/organizations/bulk", data={"action": "initiative", "query": "q=bulk", "id": chosen,
                                                     "initiative": "clean-freight", "role": "partner", "confirm": "1"})  # fmt: skip
    assert done.status_code == 302 and done.headers["Location"].endswith("/organizations?q=bulk")
    assert participants(initiative) == dict.fromkeys(chosen, ("partner", "invited"))
    # Again with one more: the three are counted as already there, the new one is invited.
    again = client.post("/organizations/bulk", data={"action": "initiative", "query": "q=bulk", "scope": "page",
                                                      "page_id": [o.id for o in orgs], "initiative": "clean-freight",
                                                      "role": "partner", "confirm": "1"}, follow_redirects=True)  # fmt: skip
    text = again.get_data(as_text=True)
    assert "1 organisation invited to Clean Freight as partner." in text
    assert "3 were already invited or taking part" in text
    assert len(participants(initiative)) == 4


def test_invitations_are_all_or_nothing(world, setup):
    orgs, initiative, _tag = setup
    archived = f.organization("Bulk Gone", networks=[world.x1], archived_at=utcnow())
    db.session.commit()
    with pytest.raises(ValidationError):
        # The archived one is refused by invite_participant: the others are not invited either.
        bulk.invite_many(world.users["coordinator_x"], initiative, [orgs[0].id, archived.id, orgs[1].id], "partner")
    assert participants(initiative) == {}


def test_all_matching_tags_the_whole_search(world, setup, client_as):
    orgs, _initiative, tag = setup
    client = client_as("coordinator_x")
    query = urlencode({"q": "bulk", "per_page": 2})
    page = client.get("/organizations?" + query).get_data(as_text=True)
    assert "All 4 matching" in page
    response = client.post("/organizations/bulk", data={"action": "tag", "scope": "all", "query": query,
                                                         "tag": str(tag.id), "confirm": "1"}, follow_redirects=True)  # fmt: skip
    assert "4 organisations added to the tag Freight list." in response.get_data(as_text=True)
    tagged = set(db.session.scalars(select(organization_tags.c.organization_id)))
    assert tagged == {o.id for o in orgs}
    response = client.post("/organizations/bulk", data={"action": "untag", "id": [orgs[0].id, world.org_b.id],
                                                         "tag": str(tag.id), "confirm": "1"}, follow_redirects=True)  # fmt: skip
    text = response.get_data(as_text=True)
    assert "1 organisation taken out of the tag Freight list." in text and "1 did not have it." in text


def test_export_of_ticked_rows_holds_those_rows(world, setup, client_as):
    orgs, _initiative, _tag = setup
    client = client_as("coordinator_x")
    response = client.post("/organizations/bulk", data={"action": "export", "id": [orgs[1].id, orgs[3].id]})
    assert response.status_code == 302 and "/imports/export?" in response.headers["Location"]
    exported = client.get(response.headers["Location"])
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    names = [r[0] for r in rows[1:]]
    assert names == ["Bulk Org 1", "Bulk Org 3"]


@pytest.mark.parametrize("role", ["member_a", "viewer"])
def test_members_and_viewers_have_no_bulk_actions(world, setup, client_as, role):
    orgs, initiative, tag = setup
    client = client_as(role)
    assert 'id="bulk-form"' not in client.get("/organizations?q=bulk").get_data(as_text=True)
    for action, extra in (("initiative", {"initiative": "clean-freight", "role": "lead"}),
                          ("tag", {"tag": str(tag.id)}), ("export", {})):  # fmt: skip
        response = client.post(
            "/organizations/bulk", data={"action": action, "id": [orgs[0].id], "confirm": "1", **extra}
        )
        assert response.status_code == 403
    assert participants(initiative) == {}
    assert not db.session.scalars(select(organization_tags.c.organization_id)).all()


def test_a_coordinator_cannot_use_another_nodes_tag(world, setup, client_as):
    orgs, _initiative, _tag = setup
    tag_y = tags.create_tag(world.users["coordinator_y"], "Y only", world.y)
    db.session.commit()
    client = client_as("coordinator_x")
    step = client.post("/organizations/bulk", data={"action": "tag", "id": [orgs[0].id]}).get_data(as_text=True)
    assert "Y only" not in step  # not offered…
    client.post("/organizations/bulk", data={"action": "tag", "id": [orgs[0].id], "tag": str(tag_y.id), "confirm": "1"})
    assert not db.session.scalars(select(organization_tags.c.organization_id)).all()  # …nor taken


def _many(count: int, start: int) -> None:
    """Organisations inserted in SQL (the factories would take minutes), then indexed."""
    now = utcnow()
    rows = [{"slug": f"many-{start + i}", "name": f"Many {start + i}", "kind": "ngo", "version": 1,
             "created_at": now, "updated_at": now} for i in range(count)]  # fmt: skip
    db.session.execute(insert(Organization), rows)
    rebuild_index()
    db.session.commit()


def test_all_matching_works_in_batches_not_per_organisation(world, setup, count_queries):
    _orgs, _initiative, tag = setup
    coordinator = world.users["coordinator_x"]
    selection = bulk.Selection([], "q=many")

    def tag_all() -> int:
        with count_queries() as statements:
            ids = bulk.selected_ids(coordinator, selection)
            tags.add_to_tag(coordinator, tag, ids)
            db.session.commit()
        return len(statements)

    _many(300, 0)
    few = tag_all()
    db.session.execute(organization_tags.delete())
    db.session.commit()
    _many(2_700, 300)
    many = tag_all()
    assert db.session.scalar(select(func.count()).select_from(organization_tags)) == 3_000
    # 3,000 organisations: a few statements per batch of 1,000, not one per organisation.
    assert many <= few + 4 * 3 and many < 60
