"""Outcomes someone else verifies (#15, 5): members report estimates and submit them with evidence;
a verifier outside the organisation (a technical participant of a linked initiative, or a coordinator
in scope) verifies or returns them; evidence is downloaded only by those who may; organisations named
on a member's project are "proposed" until they or a coordinator confirm."""

import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from network.extensions import db
from network.models import Notification, OutcomeEvidence
from network.services import PermissionDenied, ValidationError, outcomes, projects
from network.services import initiatives as initiatives_service
from tests import factories as f

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def evidence_dir(app, tmp_path):
    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    yield tmp_path / "evidence"
    app.config["EVIDENCE_DIR"] = None


@pytest.fixture
def programme(world, evidence_dir):
    """Project A linked (confirmed) to an initiative of node X where org B takes part as technical."""
    ini = f.initiative("Freight verified", network=world.x, slug="freight-verified", target_tco2e=Decimal("1000"))
    f.participant(ini, world.org_a, role="lead")
    f.participant(ini, world.org_b, role="technical")
    initiatives_service.link_project(world.users["coordinator_x"], ini, world.project_a)
    db.session.commit()
    return ini


def estimate(world, tco2e="120"):
    return projects.create_outcome(world.users["member_a"], world.project_a, {
        "period_start": "2024-01-01", "period_end": "2024-12-31", "tco2e_reduced": tco2e})  # fmt: skip


def attach(world, report, name="meter.pdf", data=PDF, who="member_a"):
    return projects.add_evidence(world.users[who], report, name, io.BytesIO(data))


def test_a_member_cannot_mark_its_own_outcome_verified(world, programme):
    member = world.users["member_a"]
    with pytest.raises(ValidationError) as raised:
        projects.create_outcome(member, world.project_a, {
            "period_start": "2024-01-01", "period_end": "2024-12-31", "tco2e_reduced": "10", "basis": "verified"})  # fmt: skip
    assert "verifier" in raised.value.errors["basis"][0]
    report = estimate(world)
    with pytest.raises(ValidationError):
        projects.update_outcome(member, report, {"basis": "verified"}, report.version)
    assert report.basis == "estimated" and report.review_status == "draft"


def test_submit_verify_and_count(world, programme, evidence_dir):
    report = estimate(world)
    with pytest.raises(ValidationError) as raised:  # no evidence, no submission
        projects.submit_outcome(world.users["member_a"], report)
    assert raised.value.errors["evidence"]
    evidence = attach(world, report)
    assert (evidence_dir / evidence.stored_name).read_bytes() == PDF
    assert evidence.content_type == "application/pdf" and evidence.filename == "meter.pdf"
    projects.submit_outcome(world.users["member_a"], report)
    db.session.commit()
    assert report.review_status == "submitted" and report.basis == "estimated"
    # the verifiers heard of it: org B's member (technical) and coordinator_x; not org A, not node Y
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "outcome_submitted")))
    assert told == {world.users["member_b"].id, world.users["coordinator_x"].id}
    assert outcomes.roll_up(programme).total.tco2e_verified == 0
    # the member cannot verify its own report; neither can outsiders
    for who in ("member_a", "coordinator_y", "viewer"):
        with pytest.raises(PermissionDenied):
            projects.verify_outcome(world.users[who], report)
    projects.verify_outcome(world.users["member_b"], report, "Checked against the fuel invoices.")
    db.session.commit()
    assert report.basis == "verified" and report.review_status == "verified"
    assert report.reviewed_by_id == world.users["member_b"].id
    assert outcomes.roll_up(programme).total.tco2e_verified == Decimal("120")
    assert outcomes.network_totals().tco2e_verified == Decimal("120")
    # evidence of a verified report stays as the verifier saw it
    with pytest.raises(ValidationError):
        attach(world, report, "late.pdf")
    # changing the verified figures makes it an estimate again
    projects.update_outcome(world.users["member_a"], report, {"tco2e_reduced": "500"}, report.version)
    assert report.basis == "estimated" and report.review_status == "draft"
    assert outcomes.roll_up(programme).total.tco2e_verified == 0


def test_return_needs_a_comment_and_keeps_it_estimated(world, programme):
    report = estimate(world)
    attach(world, report)
    projects.submit_outcome(world.users["member_a"], report)
    with pytest.raises(ValidationError) as raised:
        projects.return_outcome(world.users["coordinator_x"], report, "  ")
    assert raised.value.errors["comment"]
    projects.return_outcome(world.users["coordinator_x"], report, "The invoices are for 2023.")
    assert report.review_status == "returned" and report.basis == "estimated"
    assert report.review_comment == "The invoices are for 2023."
    kinds = set(db.session.scalars(select(Notification.kind).where(
        Notification.user_id == world.users["member_a"].id)))  # fmt: skip
    assert "outcome_returned" in kinds
    with pytest.raises(ValidationError):  # only a submitted report is verified
        projects.verify_outcome(world.users["coordinator_x"], report)
    projects.submit_outcome(world.users["member_a"], report)  # again, after fixing it
    assert report.review_status == "submitted"


def test_a_technical_participant_verifies_only_through_a_confirmed_link(world, evidence_dir):
    ini = f.initiative("Unconfirmed", network=world.x, slug="unconfirmed")
    f.participant(ini, world.org_a, role="lead")
    f.participant(ini, world.org_b, role="technical")
    link = initiatives_service.link_project(world.users["member_a"], ini, world.project_a)
    assert link.status == "proposed"
    report = estimate(world)
    attach(world, report)
    projects.submit_outcome(world.users["member_a"], report)
    with pytest.raises(PermissionDenied):
        projects.verify_outcome(world.users["member_b"], report)
    initiatives_service.confirm_project_link(world.users["coordinator_x"], ini, world.project_a)
    projects.verify_outcome(world.users["member_b"], report)
    assert report.basis == "verified"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("script.html", b"<script>alert(1)</script>", "Attach a PDF"),
        ("fake.pdf", b"<html>not a pdf</html>", "do not match"),
        ("photo.png", PDF, "do not match"),
        ("empty.pdf", b"", "empty"),
        ("big.pdf", b"%PDF-" + b"0" * 2048, "larger than"),
    ],
)
def test_evidence_types_and_sizes_are_checked(app, world, programme, evidence_dir, name, data, message):
    app.config["EVIDENCE_MAX_BYTES"] = 1024
    try:
        report = estimate(world)
        with pytest.raises(ValidationError) as raised:
            attach(world, report, name, data)
        assert message in raised.value.errors["file"][0]
        assert not report.evidence and not (evidence_dir.exists() and any(evidence_dir.iterdir()))
    finally:
        app.config["EVIDENCE_MAX_BYTES"] = 10 * 1024 * 1024


def test_only_the_organisation_attaches_evidence(world, programme):
    report = estimate(world)
    for who in ("member_b", "coordinator_y"):
        with pytest.raises(PermissionDenied):
            attach(world, report, who=who)
    evidence = attach(world, report, "../../etc/passwd.csv", b"a,b\n1,2\n")
    assert evidence.filename == "passwd.csv" and evidence.content_type == "text/csv"


def test_evidence_downloads_only_for_those_who_may(world, programme, client_as):
    report = estimate(world)
    evidence = attach(world, report, "photo.png", PNG)
    db.session.commit()
    for who in ("member_a", "member_b", "coordinator_x", "admin"):
        response = client_as(who).get(f"/evidence/{evidence.id}")
        assert response.status_code == 200, who
        assert response.data == PNG
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
    for who in ("coordinator_y", "viewer"):
        assert client_as(who).get(f"/evidence/{evidence.id}").status_code == 403, who
    assert client_as("anonymous").get(f"/evidence/{evidence.id}").status_code in (302, 401)
    assert client_as("member_a").get("/evidence/999999").status_code == 404


def test_outcome_page_verify_through_the_form(world, programme, client_as):
    report = estimate(world)
    attach(world, report)
    db.session.commit()
    member = client_as("member_a")
    assert member.post(f"/outcomes/{report.id}/submit").status_code == 302
    page = client_as("member_b").get(f"/outcomes/{report.id}").get_data(as_text=True)
    assert 'data-testid="review-form"' in page and "meter.pdf" in page
    # a reader who may not see the evidence sees no file names
    page = client_as("viewer").get(f"/outcomes/{report.id}").get_data(as_text=True)
    assert "meter.pdf" not in page and 'data-testid="review-form"' not in page
    assert client_as("coordinator_y").post(f"/outcomes/{report.id}/verify").status_code == 403
    response = client_as("member_b").post(f"/outcomes/{report.id}/verify", data={"comment": "Fine."})
    assert response.status_code == 302
    db.session.expire_all()
    assert report.basis == "verified" and report.review_comment == "Fine."
    # the outcome form offers the organisation no "verified" basis any more
    form = member.get(f"/projects/{world.project_a.id}/outcomes/new").get_data(as_text=True)
    assert 'name="basis"' not in form


# ------------------------------------------------------------------------- project participants


def test_a_firm_named_by_a_member_is_proposed_until_confirmed(world):
    firm = f.organization("Tyre Maker", kind="company")
    project = projects.update_project(world.users["member_a"], world.project_a, {
        "participants": [{"organization": firm, "role": "funder"}, {"organization": world.org_b, "role": "partner"}],
    }, world.project_a.version)  # fmt: skip
    rows = {p.organization.name: p for p in project.participants}
    assert rows["Tyre Maker"].status == "proposed" and rows["Organisation B"].status == "proposed"
    told = set(
        db.session.scalars(select(Notification.user_id).where(Notification.kind == "project_participant_proposed"))
    )
    assert told == {world.users["member_b"].id}
    # org B confirms itself; nobody else's word counts for the firm but a coordinator's
    projects.confirm_project_participant(world.users["member_b"], rows["Organisation B"])
    assert rows["Organisation B"].status == "confirmed"
    for who in ("member_a", "member_b", "coordinator_y"):
        with pytest.raises(PermissionDenied):
            projects.confirm_project_participant(world.users[who], rows["Tyre Maker"])
    projects.confirm_project_participant(world.users["coordinator_x"], rows["Tyre Maker"])
    assert rows["Tyre Maker"].status == "confirmed"
    # changing its role is a new claim
    projects.update_project(world.users["member_a"], project, {
        "participants": [{"organization": firm, "role": "partner"}, {"organization": world.org_b, "role": "partner"}],
    }, project.version)  # fmt: skip
    assert rows["Tyre Maker"].status == "proposed" and rows["Organisation B"].status == "confirmed"


def test_a_coordinator_naming_a_participant_confirms_it(world):
    firm = f.organization("Bank", kind="company")
    project = projects.update_project(world.users["coordinator_x"], world.project_a, {
        "participants": [{"organization": firm, "role": "funder"}]}, world.project_a.version)  # fmt: skip
    assert project.participants[0].status == "confirmed"


def test_project_page_shows_proposed_and_its_confirm_button(world, client_as):
    firm = f.organization("Tyre Maker", kind="company")
    projects.update_project(world.users["member_a"], world.project_a, {
        "participants": [{"organization": firm, "role": "funder"}]}, world.project_a.version)  # fmt: skip
    db.session.commit()
    row = world.project_a.participants[0]
    page = client_as("viewer").get(f"/projects/{world.project_a.id}").get_data(as_text=True)
    assert 'data-testid="proposed"' in page and f"/participants/{row.id}/confirm" not in page
    page = client_as("coordinator_x").get(f"/projects/{world.project_a.id}").get_data(as_text=True)
    assert f"/participants/{row.id}/confirm" in page
    assert (
        client_as("member_a").post(f"/projects/{world.project_a.id}/participants/{row.id}/confirm").status_code == 403
    )
    response = client_as("coordinator_x").post(f"/projects/{world.project_a.id}/participants/{row.id}/confirm")
    assert response.status_code == 302
    db.session.expire_all()
    assert row.status == "confirmed"


def test_evidence_rows_cascade_with_nothing_left_behind(world, programme, evidence_dir):
    report = estimate(world)
    evidence = attach(world, report, "sheet.xlsx", b"PK\x03\x04" + b"\x00" * 20)
    path = evidence_dir / evidence.stored_name
    projects.remove_evidence(world.users["member_a"], evidence)
    assert not path.exists()
    assert db.session.scalar(select(OutcomeEvidence).where(OutcomeEvidence.id == evidence.id)) is None
