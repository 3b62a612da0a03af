"""Events: creating with time zones, co-hosts and agenda, registering with a waitlist that moves up,
check-in, private answers, imports, invitations and reminders, notes to initiatives, the calendar
search, .ics files and the API. Service tests run on SQLite and PostgreSQL alike."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from network import permissions
from network.extensions import db
from network.models import Activity, EventInvitation, Notification, Registration
from network.services import PermissionDenied, ValidationError, archiving, tokens
from network.services import events as service
from network.services.events import invitations
from tests import factories as f
from tests.conftest import login


def soon(days=30, hour=10):
    day = datetime.now(UTC).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


def make_event(world, **values):
    data = {"title": "Cutting truck emissions", "kind": "side_event", "status": "open", "starts_at": soon(),
            "ends_at": soon(hour=12), "timezone": "Asia/Baku", "network": world.x.id, **values}  # fmt: skip
    event = service.create_event(f.SETUP, data)
    db.session.commit()
    return event


@pytest.fixture
def event(world):
    event = make_event(world, capacity=2, city="Baku", country="AZ", themes=["transport"])
    service.add_host(f.SETUP, event, world.org_a, "co_host")
    db.session.commit()
    return event


# ---------------------------------------------------------------------------------- records, time


def test_times_are_stored_in_utc_and_shown_in_the_event_zone(world):
    event = make_event(world, starts_at="2027-11-12T13:15", ends_at="2027-11-12T14:30", timezone="Asia/Baku")
    assert event.starts_at == datetime(2027, 11, 12, 9, 15, tzinfo=UTC)  # Baku is UTC+4
    assert service.local_input(event.starts_at, event.timezone) == "2027-11-12T13:15"
    assert service.utc_offset(event.starts_at, event.timezone) == "UTC+04:00"
    assert event.network == world.x and event.slug == "cutting-truck-emissions"


@pytest.mark.parametrize(("bad", "field"), [
    ({"timezone": "Mars/Olympus"}, "timezone"), ({"starts_at": "soon"}, "starts_at"),
    ({"ends_at": "2020-01-01T00:00"}, "ends_at"), ({"kind": "party"}, "kind"), ({"capacity": "-1"}, "capacity"),
    ({"initiatives": ["no-such"]}, "initiatives"), ({"title": " "}, "title"),
])  # fmt: skip
def test_invalid_values_are_reported_per_field(world, bad, field):
    with pytest.raises(ValidationError) as error:
        make_event(world, **bad)
    assert field in error.value.errors


def test_only_coordinators_of_the_node_manage_the_event(world, event):
    with pytest.raises(PermissionDenied):
        service.update_event(world.users["coordinator_y"], event, {"title": "Taken"}, event.version)
    with pytest.raises(PermissionDenied):
        service.create_event(world.users["member_a"], {"title": "Mine", "starts_at": soon(), "ends_at": soon(hour=11)})
    service.update_event(world.users["coordinator_x"], event, {"venue": "Blue Zone, room 4"}, event.version)
    db.session.commit()
    assert event.venue == "Blue Zone, room 4"


def test_archived_not_deleted_and_hidden_from_the_calendar(world, event):
    archiving.archive(world.users["coordinator_x"], event, event.version)
    db.session.commit()
    assert event.is_archived
    result = service.search_events(None, service.parse_params({}))
    assert event not in result.items
    assert not permissions.can(world.users["viewer"], "event.view", event)
    assert permissions.can(world.users["coordinator_x"], "event.view", event)


def test_co_host_members_edit_the_agenda_and_see_registrations(world, event):
    member_a, member_b = world.users["member_a"], world.users["member_b"]
    person = f.person(world.org_b, "Li Wei")
    item = service.add_agenda_item(member_a, event, {"title": "Opening", "starts_at": soon(hour=10),
                                                     "ends_at": soon(hour=10) .replace("10:00", "10:20"),
                                                     "speakers": [{"person": person.id},
                                                                  {"name": "Dr. Outsider", "organization_name": "UNECE"}]})  # fmt: skip
    db.session.commit()
    assert [(s.name, s.affiliation) for s in item.speakers] == [("Li Wei", "Organisation B"), ("Dr. Outsider", "UNECE")]
    assert service.local(item.starts_at, "Asia/Baku").hour == 10
    # The outsider is later linked to the directory
    outsider = item.speakers[1]
    service.link_speaker(member_a, event, outsider, f.person(world.org_a, "Dr. Outsider"))
    assert outsider.affiliation == "Organisation A"
    with pytest.raises(PermissionDenied):
        service.add_agenda_item(member_b, event, {"title": "Ours", "starts_at": soon()})
    assert permissions.can(member_a, "event.view_registrations", event)
    assert not permissions.can(member_b, "event.view_registrations", event)
    assert not permissions.can(member_a, "event.update", event)  # the event itself stays the coordinators'


# ------------------------------------------------------------------------------ registrations, waitlist


def test_waitlist_moves_up_when_someone_cancels(world, event):
    u = world.users
    first = service.register(u["member_a"], event, {"dietary": "vegetarian"})
    second = service.register(u["member_b"], event)
    third = service.register(u["viewer"], event, {"accessibility": "wheelchair"})
    db.session.commit()
    assert [first.status, second.status, third.status] == ["registered", "registered", "waitlisted"]
    assert event.status == "open"  # the stored status stays the coordinators' (no edit conflicts)…
    assert service.waitlist_position(third) == 1
    with pytest.raises(ValidationError):
        service.register(u["viewer"], event)  # already on the list
    service.cancel(u["member_b"], second)
    db.session.commit()
    assert second.status == "cancelled" and third.status == "registered"
    notice = db.session.scalar(select(Notification).where(Notification.user_id == u["viewer"].id))
    assert notice.kind == "event_seat" and notice.params["title"] == event.title
    # Nobody else's registration can be cancelled by a member
    with pytest.raises(PermissionDenied):
        service.cancel(u["member_a"], third)


def test_a_larger_capacity_moves_the_waitlist_up(world, event):
    for role in ("member_a", "member_b", "viewer"):
        service.register(world.users[role], event)
    service.update_event(world.users["coordinator_x"], event, {"capacity": "3"}, event.version)
    db.session.commit()
    assert service.counts(event)["registered"] == 3 and service.counts(event)["waitlisted"] == 0


def test_registration_closes_with_the_status(world, event):
    service.update_event(world.users["coordinator_x"], event, {"status": "planned"}, event.version)
    with pytest.raises(PermissionDenied):
        service.register(world.users["viewer"], event)


def test_coordinators_register_people_without_accounts_matched_by_email(world, event):
    person = f.person(world.org_b, "Zhang Min", email="zhang@example.org")
    registration = service.register_person(world.users["coordinator_x"], event, {"email": "ZHANG@example.org"})
    assert registration.person_id == person.id and registration.name == "Zhang Min"
    assert registration.affiliation == "Organisation B"
    with pytest.raises(PermissionDenied):
        service.register_person(world.users["member_a"], event, {"email": "x@example.org", "name": "X"})


def test_check_in_by_organisers(world, event):
    registration = service.register(world.users["member_b"], event)
    with pytest.raises(PermissionDenied):
        service.mark_attended(world.users["member_b"], registration)
    service.mark_attended(world.users["member_a"], registration)  # a co-host's member at the door
    db.session.commit()
    assert registration.attended and service.counts(event)["attended"] == 1


def test_answers_are_private_to_organisers_and_the_registrant(world, event):
    registration = service.register(world.users["viewer"], event, {"dietary": "halal"})
    db.session.commit()
    see = {role: permissions.may_see(user, "registration", "dietary", registration)
           for role, user in world.users.items()}  # fmt: skip
    assert see == {"admin": True, "coordinator_x": True, "coordinator_y": False, "member_a": True,
                   "member_b": False, "viewer": True}  # fmt: skip


def test_import_registrations_from_csv(world, event):
    f.person(world.org_b, "Chen Jie", email="chen@example.org")
    data = (b"name,email,organisation,dietary\n,chen@example.org,,none\nAna,ana@example.org,Unknown NGO,\n"
            b"Bad,not-an-email,,\n")  # fmt: skip
    outcome = service.import_registrations(world.users["coordinator_x"], event, data)
    db.session.commit()
    assert outcome["added"] == 2 and len(outcome["errors"]) == 1 and "Line 4" in outcome["errors"][0]
    rows = {r.email: r for r in service.registrations_of(world.users["coordinator_x"], event)}
    assert rows["chen@example.org"].name == "Chen Jie" and rows["chen@example.org"].status == "registered"
    assert rows["ana@example.org"].status == "registered" and rows["ana@example.org"].affiliation == "Unknown NGO"
    again = service.import_registrations(world.users["coordinator_x"], event, data)
    assert again["added"] == 0 and again["already"] == 2


def test_participants_export_hides_answers_from_others(world, event):
    service.register(world.users["viewer"], event, {"dietary": "=HYPERLINK(1)"})
    rows = service.participant_rows(world.users["coordinator_x"], event)
    assert rows[0][:4] == ["name", "email", "organization", "status"]
    assert rows[1][6] == "=HYPERLINK(1)"
    assert "'=HYPERLINK(1)" in service.rows_as_csv(rows)  # the formula guard
    sheet = load_workbook(io.BytesIO(service.rows_as_xlsx(rows))).active
    assert sheet.cell(2, 7).value == "'=HYPERLINK(1)"
    with pytest.raises(PermissionDenied):
        service.participant_rows(world.users["member_b"], event)


# ------------------------------------------------------------------------- invitations, reminders


def test_invitations_in_each_persons_language_and_the_signed_link(app, world, event):
    from network.services.mail import outbox_messages

    cn = f.organization("Green Transport Promotion Association", country="CN")
    people = [f.person(cn, "Wang Fang", email="wang@example.org"), f.person(world.org_b, "Bo", email="bo@example.org"),
              f.person(world.org_b, "No Mail", email=None)]  # fmt: skip
    links = []
    outcome = invitations.invite_people(world.users["coordinator_x"], event, people,
                                        lambda e, token: links.append(token) or f"http://x/{token}")  # fmt: skip
    db.session.commit()
    assert outcome == {"sent": 2, "skipped": 1}
    mails = {m["To"]: m for m in outbox_messages()}
    assert "邀请" in mails["wang@example.org"]["Subject"]
    assert mails["bo@example.org"]["Subject"].startswith("Invitation")
    again = invitations.invite_people(world.users["coordinator_x"], event, people[:1], lambda e, t: "x")
    assert again["sent"] == 0  # once per person
    registration = invitations.register_invited(event, links[0], {"dietary": "vegan"})
    db.session.commit()
    assert registration.name == "Wang Fang" and registration.organization_id == cn.id
    with pytest.raises(ValidationError):
        invitations.read_invitation(event, links[0] + "x")


def test_reminders_go_out_once_the_day_before(app, world, event):
    from network.services.mail import outbox_messages

    service.register(world.users["member_b"], event)
    db.session.commit()
    assert invitations.send_reminders(lambda e, t: "http://x") == 0  # a month ahead: not yet
    later = event.starts_at - timedelta(hours=3)
    assert invitations.send_reminders(lambda e, t: "http://x", now=later) == 1
    assert invitations.send_reminders(lambda e, t: "http://x", now=later) == 0
    db.session.commit()  # mail goes out once the transaction commits
    assert any(m["Subject"].startswith("Reminder") for m in outbox_messages() if m["To"] == "member-b@example.org")


# ---------------------------------------------------------------------------- after the event


def test_notes_go_to_the_linked_initiatives_and_attendance_to_organisation_pages(world, event):
    initiative = f.initiative("Green Freight", network=world.x)
    service.update_event(f.SETUP, event, {"initiatives": [initiative.slug]}, event.version)
    registration = service.register(world.users["member_b"], event)
    service.mark_attended(f.SETUP, registration)
    service.record_note(world.users["coordinator_x"], event, {"kind": "decision", "subject": "Pilot in Hebei"})
    db.session.commit()
    logged = db.session.scalars(select(Activity).where(Activity.initiative_id == initiative.id)).all()
    assert [(a.kind, "Pilot in Hebei" in a.subject) for a in logged] == [("decision", True)]
    assert service.events_of_organization(world.org_b)["count"] == 1  # attended
    assert service.events_of_organization(world.org_a)["count"] == 1  # co-hosted
    assert service.event_counts([world.org_a.id, world.org_b.id]) == {world.org_a.id: 1, world.org_b.id: 1}
    with pytest.raises(PermissionDenied):
        service.record_note(world.users["member_a"], event, {"kind": "note", "subject": "x"})


# ------------------------------------------------------------------------------ calendar, search


def test_ics_file_is_escaped_folded_and_in_utc(world, event):
    service.update_event(f.SETUP, event, {"description": "Trucks, tyres; 绿色货运 " * 10}, event.version)
    text = service.ics([event], "http://example.org/")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert f"DTSTART:{event.starts_at:%Y%m%dT%H%M%SZ}" in text
    assert "Trucks\\, tyres\\; " in text.replace("\r\n ", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "URL:http://example.org/events/cutting-truck-emissions" in text


def test_search_with_facets_upcoming_and_past(world, event):
    past = make_event(world, title="Workshop on tyres", kind="workshop", starts_at="2024-05-01T09:00",
                      ends_at="2024-05-01T12:00", status="held", country="CN")  # fmt: skip
    upcoming = service.search_events(None, service.parse_params({}))
    assert upcoming.items == [event]
    everything = service.search_events(None, service.parse_params({"when": "all"}))
    kinds = {v.value: v.count for v in everything.facets["kind"]}
    assert kinds == {"side_event": 1, "workshop": 1}
    assert {v.value for v in everything.facets["region"]} >= {"142", "145"}  # Asia; Western Asia (Azerbaijan)
    assert service.search_events(None, service.parse_params({"when": "all", "country": "CN"})).items == [past]
    assert service.search_events(None, service.parse_params({"when": "past", "q": "tyres"})).items == [past]
    assert service.search_events(None, service.parse_params({"when": "all", "q": "Organisation A"})).items == [event]
    dated = service.search_events(None, service.parse_params({"when": "all", "from": "2024-04-01", "to": "2024-06-01"}))
    assert dated.items == [past]


# -------------------------------------------------------------------------------------- pages, API


def test_pages_registering_and_the_ics_feed(app, world, event):
    client = app.test_client()
    assert "Cutting truck emissions" in client.get("/events").get_data(as_text=True)
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Baku" in page and "UTC+04:00" in page
    assert client.get(f"/events/{event.slug}/calendar.ics").mimetype == "text/calendar"
    feed = client.get("/events/node/node-x.ics").get_data(as_text=True)
    assert feed.count("BEGIN:VEVENT") == 1
    login(client, world.users["viewer"])
    assert client.post(f"/events/{event.slug}/register", data={"dietary": "none"}).status_code == 302
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "You are registered." in page
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


def test_api_creates_events_and_registers(app, world):
    client = app.test_client()
    coordinator = {
        "Authorization": f"Bearer {tokens.create_token(world.users['coordinator_x'], 't', scope='read-write').secret}"
    }
    viewer = {"Authorization": f"Bearer {tokens.create_token(world.users['viewer'], 't', scope='read-write').secret}"}
    db.session.commit()
    made = client.post("/api/v1/events", headers=coordinator, json={
        "title": "COP side event", "starts_at": "2027-11-12T13:15", "ends_at": "2027-11-12T14:30",
        "timezone": "Asia/Baku", "status": "open", "capacity": 1})  # fmt: skip
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["starts_at"].startswith("2027-11-12T09:15") and made.headers["Location"].endswith(
        f"/events/{body['id']}"
    )
    host = client.post(f"/api/v1/events/{body['slug']}/hosts", headers=coordinator,
                       json={"organization": world.org_b.slug, "role": "sponsor"})  # fmt: skip
    assert host.status_code == 201 and host.get_json()["role"] == "sponsor"
    agenda = client.post(f"/api/v1/events/{body['id']}/agenda", headers=coordinator, json={
        "title": "Panel", "starts_at": "2027-11-12T13:30", "speakers": [{"name": "A. Speaker", "organization_name": "UNECE"}]})  # fmt: skip
    assert agenda.status_code == 201 and agenda.get_json()["speakers"][0]["organization"] == "UNECE"
    mine = client.post(f"/api/v1/events/{body['id']}/registrations", headers=viewer, json={"dietary": "vegan"})
    assert mine.status_code == 201 and mine.get_json()["status"] == "registered"
    other = client.post(f"/api/v1/events/{body['id']}/registrations", headers=coordinator,
                        json={"name": "Guest", "email": "guest@example.org"})  # fmt: skip
    assert other.get_json()["status"] == "waitlisted"
    listed = client.get(f"/api/v1/events/{body['id']}/registrations", headers=coordinator).get_json()
    assert [r["dietary"] for r in listed["items"]] == ["vegan", None]
    assert client.get(f"/api/v1/events/{body['id']}/registrations", headers=viewer).status_code == 403
    cancelled = client.post(f"/api/v1/registrations/{mine.get_json()['id']}/cancel", headers=viewer)
    assert cancelled.get_json()["status"] == "cancelled"
    assert (
        client.get(f"/api/v1/registrations/{other.get_json()['id']}", headers=coordinator).get_json()["status"]
        == "registered"
    )
    found = client.get("/api/v1/events?when=all&q=COP").get_json()
    assert found["total"] == 1 and "kind" in found["facets"]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/events/{ref}/registrations" in spec["paths"]


def test_organisation_page_and_partner_suggestions_count_events(app, world, event):
    from network.services import suggestions

    initiative = f.initiative("Green Freight", network=world.x)
    service.update_event(f.SETUP, event, {"initiatives": [initiative.slug]}, event.version)
    service.mark_attended(f.SETUP, service.register(world.users["member_b"], event))
    db.session.commit()
    page = app.test_client().get(f"/organizations/{world.org_b.slug}").get_data(as_text=True)
    assert "Took part in 1 event." in page and "/events/cutting-truck-emissions" in page
    suggested = {s.organization.id: s for s in suggestions.suggest_partners(initiative)}
    assert world.org_a.id in suggested and world.org_b.id in suggested  # co-hosted; attended
    assert "Took part in “Cutting truck emissions”" in suggested[world.org_b.id].reasons


def test_the_reminder_command_and_the_periodic_job(app, runner, world, event):
    from network import tasks

    assert "reminders_job" in tasks.PERIODIC  # the consumer runs it every 15 minutes
    result = runner.invoke(args=["events", "send-reminders"])
    assert result.exit_code == 0 and "0 reminders sent." in result.output  # a month ahead: nothing yet


def test_demo_has_a_cop_side_event_with_the_story_cohosts_and_a_waitlist(app, runner):
    from network.models import Event

    result = runner.invoke(args=["seed-demo", "--orgs", "60", "--seed", "7"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    cop = service.find_event("cop-side-event-cutting-truck-emissions")
    hosts = {h.organization.name_local: h.role for h in cop.hosts}
    assert hosts["绿色交通促进会"] == "host" and hosts["运联货运平台"] == "co_host"
    assert {hosts["绿标认证中心"], hosts["长青商业银行"], hosts["长途轮胎有限公司"]} <= {"co_host", "sponsor"}
    assert cop.starts_at > datetime.now(UTC) and any(item.speakers for item in cop.agenda)
    counts = service.counts(cop)
    assert counts["registered"] == cop.capacity and counts["waitlisted"] >= 1
    assert [i.title for i in cop.initiatives] == ["Green Freight China"]
    past = db.session.scalars(select(Event).where(Event.ends_at < datetime.now(UTC))).all()
    assert any(service.counts(e)["attended"] for e in past)


def test_invite_the_people_of_a_tags_organisations_from_the_event_page(app, world, event):
    from network.services import tags
    from network.services.mail import outbox_messages

    f.person(world.org_b, "Bo Contact", email="bo.contact@example.org")
    tag = tags.create_tag(world.users["admin"], "COP delegation")
    tags.add_to_tag(world.users["admin"], tag, [world.org_b.id])
    db.session.commit()
    client = app.test_client()
    login(client, world.users["coordinator_x"])
    response = client.post(f"/events/{event.slug}/invite", data={"organizations": "", "tag": str(tag.id)})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(EventInvitation)) == 1
    mail = next(m for m in outbox_messages() if m["To"] == "bo.contact@example.org")
    assert "/join/" in mail.get_content()


@pytest.mark.parametrize(("q", "found"), [
    ("Azerbaijan", True), ("阿塞拜疆", True), ("Western Asia", True), ("transport", True), ("卡车", True),
    ("Organisation A", True), ("truck Azerbaijan", True), ("Kenya", False), ("tyres", False),
])  # fmt: skip
def test_words_are_read_as_places_and_themes_as_in_the_other_searches(world, event, q, found):
    service.update_event(f.SETUP, event, {"title_local": "减少卡车排放"}, event.version)
    result = service.search_events(None, service.parse_params({"q": q}))
    assert (result.items == [event]) is found


def test_place_names_read_as_facets_are_said_and_can_be_turned_off(app, world, event):
    result = service.search_events(None, service.parse_params({"q": "Azerbaijan"}))
    assert result.items == [event] and result.interpreted and result.interpreted[0].readings[0].code == "AZ"
    assert service.search_events(None, service.parse_params({"q": "Azerbaijan", "text_only": "1"})).items == []
    page = app.test_client().get("/events?q=Azerbaijan").get_data(as_text=True)
    assert 'data-testid="interpreted"' in page and "text_only=True" in page, page[page.find("event-results") :][:1500]


def test_api_search_reads_place_names_unless_text_only(app, world):
    make_event(world, country="AZ")
    client = app.test_client()
    assert client.get("/api/v1/events?q=Azerbaijan").get_json()["total"] == 1
    assert client.get("/api/v1/events?q=Azerbaijan&text_only=true").get_json()["total"] == 0


def test_api_imports_registrations_from_csv(app, world, event):
    token = tokens.create_token(world.users["coordinator_x"], "t", scope="read-write").secret
    member = tokens.create_token(world.users["member_a"], "t", scope="read-write").secret
    db.session.commit()
    client = app.test_client()
    csv_file = (io.BytesIO(b"name,email\nAna,ana@example.org\n"), "people.csv")
    answer = client.post(f"/api/v1/events/{event.slug}/registrations/import", data={"file": csv_file},
                         headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 200 and answer.get_json() == {"added": 1, "already": 0, "errors": []}
    refused = client.post(f"/api/v1/events/{event.slug}/registrations/import",
                          data={"file": (io.BytesIO(b"email\nx@example.org\n"), "p.csv")},
                          headers={"Authorization": f"Bearer {member}"}, content_type="multipart/form-data")  # fmt: skip
    assert refused.status_code == 403


def test_a_speaker_entered_by_name_is_linked_from_the_event_page(app, world, event):
    item = service.add_agenda_item(f.SETUP, event, {"title": "Panel", "starts_at": soon(),
                                                    "speakers": [{"name": "Dr. Outsider", "organization_name": "UNECE"}]})  # fmt: skip
    person = f.person(world.org_a, "Dr. Outsider")
    db.session.commit()
    client = app.test_client()
    login(client, world.users["member_a"])  # a member of the co-host
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert f"/speakers/{item.speakers[0].id}/link" in page
    client.post(
        f"/events/{event.slug}/agenda/{item.id}/speakers/{item.speakers[0].id}/link", data={"person": person.id}
    )
    db.session.expire_all()
    assert item.speakers[0].person_id == person.id and item.speakers[0].affiliation == "Organisation A"


def test_an_open_event_with_every_seat_taken_reads_as_full(app, world, event):
    client = app.test_client()
    assert "Open for registration" in client.get(f"/events/{event.slug}").get_data(as_text=True)
    service.register(world.users["member_a"], event)
    service.register(world.users["member_b"], event)
    db.session.commit()
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert '<span class="badge text-bg-secondary" data-testid="event-status">Full</span>' in page  # …the page says full


def test_the_event_history_lists_its_changes_for_organisers(app, world, event):
    service.update_event(world.users["coordinator_x"], event, {"venue": "Blue Zone"}, event.version)
    service.register(world.users["member_b"], event, {"dietary": "halal"})
    db.session.commit()
    client = app.test_client()
    login(client, world.users["member_a"])  # a co-host's member
    page = client.get(f"/events/{event.slug}/history").get_data(as_text=True)
    assert "Blue Zone" in page and "Registration" in page
    login(client, world.users["member_b"])
    assert client.get(f"/events/{event.slug}/history").status_code == 403


def test_invite_the_directory_selection_to_an_event(app, world, event):
    from network.services.mail import outbox_messages

    f.person(world.org_b, "Bo Contact", email="bo.contact@example.org")
    f.person(world.org_a, "Amina Contact", email="amina.contact@example.org")
    db.session.commit()
    client = app.test_client()
    login(client, world.users["coordinator_x"])
    chooser = client.post("/organizations/bulk", data={"action": "event", "scope": "selected",
                                                       "id": [world.org_a.id, world.org_b.id]})  # fmt: skip
    page = chooser.get_data(as_text=True)
    assert chooser.status_code == 200 and event.slug in page and "2 people with an email" in page
    done = client.post("/events/invite-selected", data={"event": event.slug, "id": [world.org_a.id, world.org_b.id]})
    assert done.status_code == 302
    invited = {m["To"] for m in outbox_messages()}
    assert {"bo.contact@example.org", "amina.contact@example.org"} <= invited
    login(client, world.users["coordinator_y"])  # another node's coordinator may not use X's event
    assert client.post("/events/invite-selected", data={"event": event.slug, "id": [world.org_b.id]}).status_code == 403
