"""Every edit page of a versioned record (network.editing.edit_view): the form shows the stored
version; a save with it redirects with a message; a save with a version someone else has already
saved over is the conflict page (409, both values, the form re-armed at the stored version) and
changes nothing. Organisation and project pages are also covered in test_conflicts."""

import re
from datetime import date
from decimal import Decimal

import pytest

from network import numbers
from network.extensions import db
from network.initiatives.forms import initiative_form_data
from network.organizations.forms import membership_form_data, partnership_form_data, person_form_data
from network.projects.forms import outcome_form_data
from tests import factories as f


def version_in(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def as_form(data: dict) -> dict:
    """Stored values as a browser would send them (an unticked box is not sent)."""
    sent = {}
    for key, value in data.items():
        if value is None or value is False:
            continue
        if value is True:
            sent[key] = "y"
        elif isinstance(value, date):
            sent[key] = value.isoformat()
        elif isinstance(value, Decimal):
            sent[key] = numbers.input_text(value)  # "100", not the ambiguous "100.000"
        else:
            sent[key] = value
    return sent


# kind -> (make the record, its edit URL, its form's data, a field and two values, where a save lands)
KINDS = {
    "person": (
        lambda w: f.person(w.org_a, "Ann Example"),
        lambda r: f"/people/{r.id}/edit", person_form_data, ("title", "Director", "Treasurer"),
        lambda r: "/organizations/org-a/records",
    ),
    "membership": (
        lambda w: w.org_a.memberships[0],
        lambda r: f"/memberships/{r.id}/edit", membership_form_data, ("status", "suspended", "lapsed"),
        lambda r: "/organizations/org-a/records",
    ),
    "partnership": (
        lambda w: f.partnership(w.org_a, w.org_b),
        lambda r: f"/partnerships/{r.id}/edit", partnership_form_data, ("description", "Mine", "Theirs"),
        lambda r: "/organizations/org-a#partnerships",
    ),
    "outcome": (
        lambda w: f.outcome(w.project_a),
        lambda r: f"/outcomes/{r.id}/edit", outcome_form_data, ("note", "Measured", "Estimated again"),
        lambda r: f"/projects/{r.project_id}#outcomes",
    ),
    "initiative": (
        lambda w: f.initiative("Clean cooking", network=w.x, slug="clean-cooking"),
        lambda r: "/initiatives/clean-cooking/edit", initiative_form_data, ("goal", "Stoves", "Cookers"),
        lambda r: "/initiatives/clean-cooking",
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_edit_page_saves_and_shows_a_conflict_for_a_stale_version(world, client_as, db_session, kind):
    make, url_of, form_data, (field, mine, theirs), landing = KINDS[kind]
    record = make(world)
    db.session.commit()
    url, read = url_of(record), record.version
    first, second = client_as("admin"), client_as("coordinator_x" if kind != "initiative" else "admin")
    assert version_in(first.get(url).data.decode()) == version_in(second.get(url).data.decode()) == str(read)
    stored = as_form(form_data(record))

    saved = first.post(url, data=stored | {field: theirs})
    assert saved.status_code == 302 and saved.headers["Location"] == landing(record)

    stale = second.post(url, data=stored | {field: mine})
    assert stale.status_code == 409
    page = stale.data.decode()
    assert theirs in page and mine in page
    assert version_in(page) == str(read + 1)  # saving the re-armed form re-applies mine knowingly
    db_session.expire_all()
    assert getattr(db_session.get(type(record), record.id), field) == theirs

    reapplied = second.post(url, data=stored | {field: mine, "version": str(read + 1)})
    assert reapplied.status_code == 302
    db_session.expire_all()
    assert getattr(db_session.get(type(record), record.id), field) == mine


def test_a_membership_into_a_node_not_offered_is_refused_on_the_form(world, client_as, db_session):
    """The node must be one the coordinator may add the organisation to: another is a message on
    the form (422), and nothing is added."""
    client = client_as("coordinator_x")
    before = len(world.org_a.memberships)
    response = client.post(
        "/organizations/org-a/memberships/new", data={"network": str(world.y.id), "status": "active"}
    )
    assert response.status_code == 422
    assert "Choose one of your network nodes." in response.get_data(as_text=True)
    db_session.expire_all()
    assert len(db_session.get(type(world.org_a), world.org_a.id).memberships) == before
