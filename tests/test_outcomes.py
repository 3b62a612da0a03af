"""Roll-up arithmetic: totals by basis, period, country and theme; shares; no double counting."""

from decimal import Decimal

import pytest

from network.extensions import db
from network.models import InitiativeProject
from network.services import initiatives as service
from network.services import outcomes
from tests import factories as f


def link(initiative, project):
    db.session.add(InitiativeProject(initiative=initiative, project=project))
    db.session.flush()


@pytest.fixture
def freight(world):
    """Lead A (project in KE+TZ, transport) and partner B (project in IN, energy), target 1,000 t."""
    ini = f.initiative("Road freight", network=world.x, target_tco2e=Decimal("1000"), target_people=400)
    lead = f.participant(ini, world.org_a, role="lead")
    partner = f.participant(ini, world.org_b, role="partner")
    project_a = f.project(world.org_a, "Trucks", countries=["KE", "TZ"], themes=["transport"])
    project_b = f.project(world.org_b, "Depots", countries=["IN"], themes=["energy-transition"])
    f.outcome(project_a, "100.5", basis="estimated", year=2023, people_reached=100)
    f.outcome(project_a, "200", basis="verified", year=2024, people_reached=50)
    f.outcome(project_b, "50.25", basis="verified", year=2024)
    link(ini, project_a)
    link(ini, project_b)
    db.session.expire(ini)
    return ini, lead, partner, project_a, project_b


def test_totals_keep_estimated_and_verified_apart(freight):
    ini, *_ = freight
    rollup = outcomes.roll_up(ini)
    assert rollup.total.tco2e_estimated == Decimal("100.5")
    assert rollup.total.tco2e_verified == Decimal("250.25")
    assert rollup.total.tco2e_total == Decimal("350.75")
    assert rollup.total.people_estimated == 100 and rollup.total.people_verified == 50
    assert rollup.tco2e_verified_percent == Decimal("25.025")
    assert rollup.tco2e_total_percent == Decimal("35.075")
    assert rollup.people_total_percent == Decimal("37.5")


def test_breakdowns_add_up_to_the_total(freight):
    ini, *_ = freight
    rollup = outcomes.roll_up(ini)
    assert list(rollup.by_period) == ["2023", "2024"]
    assert rollup.by_period["2024"].tco2e_verified == Decimal("250.25")
    assert rollup.by_period["2023"].tco2e_estimated == Decimal("100.5")
    # The Kenya+Tanzania project is split equally between its two countries.
    assert rollup.by_country["Kenya"].tco2e_total == Decimal("150.25")
    assert rollup.by_country["Tanzania"].tco2e_total == Decimal("150.25")
    assert rollup.by_country["India"].tco2e_verified == Decimal("50.25")
    for breakdown in (rollup.by_period, rollup.by_country, rollup.by_theme):
        assert sum(v.tco2e_total for v in breakdown.values()) == rollup.total.tco2e_total
    assert rollup.by_theme["Transport"].tco2e_total == Decimal("300.5")


def test_default_and_custom_shares(world, freight):
    ini, lead, partner, *_ = freight
    funder = f.participant(ini, f.organization("Green Bank", kind="company"), role="funder")
    db.session.expire(ini)
    credits = {c.participant.id: c for c in outcomes.roll_up(ini).credits}
    assert credits[lead.id].share == 50 and credits[funder.id].share == 0
    assert credits[lead.id].figures.tco2e_verified == Decimal("125.125")
    service.set_shares(world.users["coordinator_x"], ini, {lead.id: "70", partner.id: "20", funder.id: "10"})
    credits = {c.participant.id: c for c in outcomes.roll_up(ini).credits}
    assert credits[lead.id].figures.tco2e_estimated == Decimal("70.35")
    assert credits[funder.id].figures.tco2e_verified == Decimal("25.025")
    assert sum(c.figures.tco2e_total for c in credits.values()) == Decimal("350.75")


def test_projects_of_organisations_that_left_do_not_count(world, freight):
    ini, _lead, partner, _pa, project_b = freight
    service.leave_initiative(world.users["member_b"], partner)
    rollup = outcomes.roll_up(ini)
    assert rollup.total.tco2e_verified == Decimal("200")
    line = next(line for line in rollup.projects if line.project == project_b)
    assert not line.counted and line.figures.tco2e_verified == Decimal("50.25")


def test_archived_reports_do_not_count(freight):
    ini, _l, _p, project_a, _pb = freight
    from network.models import utcnow

    project_a.outcome_reports[0].archived_at = utcnow()
    assert outcomes.roll_up(ini).total.tco2e_estimated == 0


def test_network_totals_count_a_project_in_two_initiatives_once(world, freight):
    ini, _l, _p, project_a, _pb = freight
    second = f.initiative("Second initiative")
    f.participant(second, world.org_a, role="lead")
    link(second, project_a)
    totals = outcomes.network_totals()
    assert totals.projects == 2
    assert totals.tco2e_verified == Decimal("250.25") and totals.tco2e_estimated == Decimal("100.5")
    assert totals.people_reached == 150
    assert totals.projects_in_several == 1
    # Adding each initiative's own total would count project A twice.
    assert totals.tco2e_summed_per_initiative == Decimal("350.75") + Decimal("300.5")
    # Each initiative still shows the project in full.
    assert outcomes.roll_up(second).total.tco2e_total == Decimal("300.5")


def test_network_totals_skip_archived_initiatives_and_unaccepted(world, freight):
    from network.models import utcnow

    ini, *_ = freight
    pending = f.initiative("Pending")
    f.participant(pending, world.org_b, status="invited")
    link(pending, f.project(world.org_b, "Not yet"))
    assert outcomes.network_totals().projects == 2
    ini.archived_at = utcnow()
    db.session.flush()
    assert outcomes.network_totals().projects == 0


def test_progress_series_is_cumulative(freight):
    ini, *_ = freight
    series = outcomes.progress_series(outcomes.roll_up(ini))
    assert series == {"labels": ["2023", "2024"], "estimated": [100.5, 0.0], "verified": [0.0, 250.25],
                      "cumulative": [100.5, 350.75], "target": 1000.0}  # fmt: skip


def test_progress_json_and_page_show_the_totals(freight, client_as):
    ini, *_ = freight
    db.session.commit()
    client = client_as("viewer")
    assert client.get(f"/initiatives/{ini.slug}/progress.json").get_json()["cumulative"] == [100.5, 350.75]
    page = client.get(f"/initiatives/{ini.slug}").data.decode()
    assert 'data-testid="verified-tCO2e">250.2' in page or 'data-testid="verified-tCO2e">250.3' in page
    assert 'data-testid="estimated-tCO2e">100.5' in page
    report = client.get(f"/initiatives/{ini.slug}/report")
    assert report.status_code == 200 and b"Trucks" in report.data
    listing = client.get("/initiatives").data.decode()
    assert "count each project once" in listing
