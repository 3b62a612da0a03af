"""Mailings (#16): audience and consent, language versions, sending thousands at most once (and after
a crash), unsubscribe through the link, bounces, scope, the record on each organisation, the report."""

import csv
import io
import re

import pytest
from sqlalchemy import func, insert, select

from network.errors import NotFound, PermissionDenied, ValidationError
from network.extensions import db
from network.models import Activity, AuditEvent, Mailing, MailingDelivery, Person, SavedSearch, utcnow
from network.models.tag import Tag, organization_tags
from network.services import mail
from network.services import mailings as service
from network.services.mailings import sending
from tests import factories as f

NO_WAIT = {"MAILING_RATE_PER_MINUTE": 0, "MAILING_STUCK_SECONDS": 0}


@pytest.fixture(autouse=True)
def no_rate(app):
    app.config.update(NO_WAIT)


def draft(actor, network, **values) -> Mailing:
    values = {"subject": "Call for the side event", "body": "Dear {{ name }} of {{ organisation }},\n\n**Join us.**",
              "source": "node", "ref": str(network.id if network else 0), "people": "all", **values}  # fmt: skip
    mailing = service.save_mailing(actor, values, network)
    db.session.commit()
    return mailing


def send(actor, mailing) -> dict:
    counts = service.send_mailing(actor, mailing, "http://localhost/")
    db.session.commit()  # the sending job runs here (JOBS_IMMEDIATE)
    return counts


def consenting(org, name=None, **values) -> Person:
    return f.person(org, name, mail_consent=True, **values)


def outbox_for(mailing) -> list:
    return [m for m in mail.outbox_messages() if m["Message-ID"].startswith(f"<mailing-{mailing.id}-")]


def test_only_people_who_agreed_get_it_the_others_are_listed_with_why(world):
    coordinator = world.users["coordinator_x"]
    org = world.org_a
    yes = consenting(org, "Yes Person", email="yes@example.org")
    consenting(org, "No Address", email=None)
    f.person(org, "Never Agreed", email="never@example.org")
    consenting(org, "Gone Person", email="gone@example.org", unsubscribed_at=utcnow())
    consenting(org, "Bounced Person", email="bounced@example.org", bounced_at=utcnow())
    consenting(org, "Same Address", email="YES@example.org")
    mailing = draft(coordinator, world.x)

    audience = service.audience_of(coordinator, mailing)
    assert [r.person_id for r in audience.recipients] == [yes.id]
    reasons = {p.name: p.reason for p in audience.excluded}
    assert reasons == {"No Address": "no_email", "Never Agreed": "no_consent", "Gone Person": "unsubscribed",
                       "Bounced Person": "bounced", "Same Address": "duplicate"}  # fmt: skip

    send(coordinator, mailing)
    rows = db.session.execute(select(MailingDelivery.name, MailingDelivery.status, MailingDelivery.reason)
                              .where(MailingDelivery.mailing_id == mailing.id)).all()  # fmt: skip
    assert len(rows) == 6  # the excluded are recorded with the mailing, never dropped
    assert {r.name: r.status for r in rows}["Yes Person"] == "sent"
    assert sorted(r.reason for r in rows if r.status == "excluded") == sorted(reasons.values())
    assert [m["To"].addresses[0].addr_spec for m in outbox_for(mailing)] == ["yes@example.org"]


def test_primary_contact_or_a_role(world):
    coordinator = world.users["coordinator_x"]
    org = world.org_a
    first = consenting(org, "First Added", title="Programme officer")
    director = consenting(org, "The Director", title="Executive Director")
    primary = draft(coordinator, world.x, people="primary")
    assert [r.person_id for r in service.audience_of(coordinator, primary).recipients] == [first.id]
    by_role = draft(coordinator, world.x, people="role", role="director")
    assert [r.person_id for r in service.audience_of(coordinator, by_role).recipients] == [director.id]
    # The person with the organisation's own address is its primary contact.
    org.email = "info@org-a.example"
    office = consenting(org, "Front Office", email="info@org-a.example")
    db.session.commit()
    assert [r.person_id for r in service.audience_of(coordinator, primary).recipients] == [office.id]


def test_each_gets_the_version_in_their_language_with_fields_and_safe_html(world):
    coordinator = world.users["coordinator_x"]
    consenting(world.org_a, "Li Wei", email="li@example.org", language="zh")
    consenting(world.org_a, "Ann Lee", email="ann@example.org")
    mailing = draft(coordinator, world.x, body="Hello {{ name }} <script>alert(1)</script> [x](javascript:alert(1))",
                    subject_zh="边会征集", body_zh="{{ name }}，您好（{{ organisation }}，{{ node }}）")  # fmt: skip
    send(coordinator, mailing)
    messages = {m["To"].addresses[0].addr_spec: m for m in outbox_for(mailing)}
    zh = messages["li@example.org"]
    assert zh["Subject"] == "边会征集" and zh["Content-Language"] == "zh"
    assert "Li Wei，您好（Organisation A，Node X）" in zh.get_body(("plain",)).get_content()
    en = messages["ann@example.org"]
    assert en["Subject"] == "Call for the side event"
    html = en.get_body(("html",)).get_content()
    assert "Hello Ann Lee" in html
    assert "<script>" not in html and "&lt;script&gt;" in html  # raw HTML is shown as text
    assert 'href="javascript:' not in html
    assert en["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_few_thousand_recipients_each_sent_once_and_recorded_on_each_organisation(world):
    coordinator = world.users["coordinator_x"]
    orgs = [f.organization(f"Transport NGO {n}", networks=[world.x1]) for n in range(20)]
    now = utcnow()
    rows = [{"organization_id": org.id, "name": f"Person {o}-{n}", "email": f"p{o}-{n}@example.org",
             "mail_consent": True, "consent_to_list": False, "version": 1, "created_at": now, "updated_at": now}
            for o, org in enumerate(orgs) for n in range(120)]  # fmt: skip
    db.session.execute(insert(Person), rows)
    db.session.commit()
    mailing = draft(coordinator, world.x)
    audits_before = db.session.scalar(select(func.count()).select_from(AuditEvent))

    counts = send(coordinator, mailing)
    assert counts["recipients"] == 2400
    db.session.expire_all()
    assert db.session.get(Mailing, mailing.id).status == "sent"
    statuses = dict(db.session.execute(select(MailingDelivery.status, func.count()).where(
        MailingDelivery.mailing_id == mailing.id).group_by(MailingDelivery.status)).all())  # fmt: skip
    assert statuses == {"sent": 2400}
    sent = outbox_for(mailing)
    assert len(sent) == 2400 and len({m["To"].addresses[0].addr_spec for m in sent}) == 2400
    # One audit event for the send, not one per delivery row.
    audits = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id).offset(audits_before)).all()
    assert [(a.action, a.entity_type) for a in audits] == [("send", "mailings")]
    notes = db.session.scalars(select(Activity.subject).where(Activity.organization_id == orgs[3].id)).all()
    assert notes == ["Mailing: Call for the side event, sent to 120 people"]


class Crash(BaseException):
    """The worker dying: not an error the job handles (SIGKILL, the machine going down)."""


@pytest.mark.app_config(JOBS_IMMEDIATE=False, MAILING_BATCH=10000, **NO_WAIT)
@pytest.mark.parametrize("when", ["before the mail left", "after the mail left"])
def test_a_crash_in_the_middle_then_a_restart_sends_nobody_a_second_copy_and_loses_nobody(world, monkeypatch, when):
    coordinator = world.users["coordinator_x"]
    now = utcnow()
    db.session.execute(insert(Person), [
        {"organization_id": world.org_a.id, "name": f"P{n}", "email": f"p{n}@example.org", "mail_consent": True,
         "consent_to_list": False, "version": 1, "created_at": now, "updated_at": now} for n in range(300)])  # fmt: skip
    db.session.commit()
    mailing = draft(coordinator, world.x)
    send(coordinator, mailing)  # queued on a real queue: no worker runs it yet

    real, calls = sending._transmit, []

    def dying(email, delivery):
        calls.append(delivery.id)
        if len(calls) == 120:
            if when == "after the mail left":
                real(email, delivery)
            raise Crash()
        real(email, delivery)

    monkeypatch.setattr(sending, "_transmit", dying)
    with pytest.raises(Crash):
        sending.send_batch(mailing.id)  # as the consumer would, until it dies
    db.session.rollback()
    left = db.session.scalar(select(func.count()).where(MailingDelivery.mailing_id == mailing.id,
                                                        MailingDelivery.status == "sending"))  # fmt: skip
    assert left == 1  # the one being sent when it died
    monkeypatch.setattr(sending, "_transmit", real)

    sending.send_batch(mailing.id)  # the restarted worker
    db.session.expire_all()
    assert db.session.get(Mailing, mailing.id).status == "sent"
    statuses = dict(db.session.execute(select(MailingDelivery.status, func.count()).where(
        MailingDelivery.mailing_id == mailing.id).group_by(MailingDelivery.status)).all())  # fmt: skip
    assert statuses == {"sent": 300}
    ids = [m["Message-ID"] for m in outbox_for(mailing)]
    assert len(ids) == 300 and len(set(ids)) == 300  # everyone once, nobody twice


def test_unsubscribe_through_the_link_without_logging_in_is_honoured_by_later_mailings(world, client):
    coordinator = world.users["coordinator_x"]
    person = consenting(world.org_a, "Una Sub", email="una@example.org")
    consenting(world.org_a, "Stays On", email="stays@example.org")
    first = draft(coordinator, world.x)
    send(coordinator, first)
    message = next(m for m in outbox_for(first) if m["To"].addresses[0].addr_spec == "una@example.org")
    url = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert url in message.get_body(("plain",)).get_content()
    path = url.removeprefix("http://localhost")

    assert client.get(path).status_code == 200  # a page with a button: link scanners unsubscribe nobody
    assert db.session.get(Person, person.id).unsubscribed_at is None
    assert client.post(path.replace("/unsubscribe/", "/unsubscribe/x")).status_code == 400  # forged
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})  # as a mail program does, no CSRF token
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Person, person.id).unsubscribed_at is not None
    assert service.report(coordinator, first)["unsubscribed"] == 1

    second = draft(coordinator, world.x, subject="The verified figures are in")
    send(coordinator, second)
    assert [m["To"].addresses[0].addr_spec for m in outbox_for(second)] == ["stays@example.org"]
    reasons = db.session.execute(select(MailingDelivery.name, MailingDelivery.reason).where(
        MailingDelivery.mailing_id == second.id, MailingDelivery.status == "excluded")).all()  # fmt: skip
    assert [tuple(r) for r in reasons] == [("Una Sub", "unsubscribed")]


def test_bounces_from_a_csv_fail_the_delivery_and_stop_later_mail(world):
    coordinator = world.users["coordinator_x"]
    person = consenting(world.org_a, "Bo Unce", email="bounce@example.org")
    mailing = draft(coordinator, world.x)
    send(coordinator, mailing)
    assert service.record_bounces(coordinator, mailing, "email,reason\nBOUNCE@example.org,550 no such user\n") == 1
    db.session.commit()
    assert service.report(coordinator, mailing)["failed"] == 1
    assert db.session.get(Person, person.id).bounced_at is not None
    later = draft(coordinator, world.x)
    assert [p.reason for p in service.audience_of(coordinator, later).excluded] == ["bounced"]


def test_scope_a_coordinator_mails_inside_its_nodes_only(world):
    coordinator_x, coordinator_y = world.users["coordinator_x"], world.users["coordinator_y"]
    consenting(world.org_a, "In A")
    consenting(world.org_b, "In B")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        draft(coordinator_y, world.x)
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        draft(world.users["member_a"], world.x)
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        draft(coordinator_x, None)  # network-wide: admins alone
    db.session.rollback()
    # A tag holding A and B: from node X only A is written to; B is counted as outside the node.
    tag = Tag(name="Both", network_id=world.x.id)
    db.session.add(tag)
    db.session.flush()
    db.session.execute(insert(organization_tags), [{"organization_id": world.org_a.id, "tag_id": tag.id},
                                                   {"organization_id": world.org_b.id, "tag_id": tag.id}])  # fmt: skip
    db.session.commit()
    mailing = draft(coordinator_x, world.x, source="tag", ref=str(tag.id))
    audience = service.audience_of(coordinator_x, mailing)
    assert [r.name for r in audience.recipients] == ["In A"] and audience.outside_node == 1
    with pytest.raises(PermissionDenied):
        service.get_mailing(coordinator_y, mailing.id)
    with pytest.raises(PermissionDenied):
        service.send_mailing(coordinator_y, mailing, "http://localhost/")
    db.session.rollback()
    admin_wide = draft(world.users["admin"], None, source="selection", ids=[world.org_a.id, world.org_b.id])
    assert sorted(r.name for r in service.audience_of(world.users["admin"], admin_wide).recipients) == ["In A", "In B"]
    assert [m.id for m in service.visible_mailings(coordinator_y)] == []


def test_sent_mailings_are_read_only_and_sent_once(world):
    coordinator = world.users["coordinator_x"]
    consenting(world.org_a, "Only Once")
    mailing = draft(coordinator, world.x)
    send(coordinator, mailing)
    with pytest.raises(ValidationError):
        service.save_mailing(coordinator, {"subject": "Changed", "body": "x", "source": "node",
                                           "ref": str(world.x.id)}, world.x, mailing)  # fmt: skip
    db.session.rollback()
    with pytest.raises(ValidationError):
        send(coordinator, mailing)
    db.session.rollback()
    assert len(outbox_for(mailing)) == 1


def test_a_saved_search_is_run_again_when_sending_and_an_initiative_s_participants(world):
    coordinator = world.users["coordinator_x"]
    consenting(world.org_a, "Anna Alpha")
    saved = SavedSearch(user_id=coordinator.id, name="A", query="q=Organisation+A", share_token="m" * 32)
    db.session.add(saved)
    db.session.commit()
    mailing = draft(coordinator, world.x, source="saved_search", ref=str(saved.id))
    assert [r.name for r in service.audience_of(coordinator, mailing).recipients] == ["Anna Alpha"]
    # Another user's saved search is not found.
    other = draft(world.users["admin"], world.x, source="saved_search", ref=str(saved.id))
    with pytest.raises(NotFound):
        service.audience_of(world.users["admin"], other)
    db.session.rollback()
    initiative = f.initiative("Green Freight", network=world.x)
    f.participant(initiative, world.org_a, status="accepted")
    by_initiative = draft(coordinator, world.x, source="initiative", ref=initiative.slug)
    assert [r.name for r in service.audience_of(coordinator, by_initiative).recipients] == ["Anna Alpha"]


def test_pages_draft_preview_test_send_report_and_csv(world, client_as):
    consenting(world.org_a, "Page Person", email="page@example.org")
    client = client_as("coordinator_x")
    response = client.post("/mailings/new", data={"network": world.x.id, "audience": f"node:{world.x.id}",
                                                  "people": "all", "language": "en", "subject": "Hello network",
                                                  "body": "Dear {{ name }}"})  # fmt: skip
    assert response.status_code == 302
    mailing_id = int(re.search(r"/mailings/(\d+)", response.headers["Location"]).group(1))
    page = client.get(f"/mailings/{mailing_id}").get_data(as_text=True)
    assert "1 person will receive it" in page and "Dear Page Person" in page.replace("&lt;", "<")
    assert client.post(f"/mailings/{mailing_id}/test").status_code == 302
    assert [m["To"] for m in mail.outbox_messages()] == ["coord-x@example.org"]
    assert client.post(f"/mailings/{mailing_id}/send").status_code == 302
    report = client.get(f"/mailings/{mailing_id}").get_data(as_text=True)
    assert 'data-testid="count-sent">1<' in report
    rows = list(csv.DictReader(io.StringIO(client.get(f"/mailings/{mailing_id}/report.csv").get_data(as_text=True))))
    assert [(r["name"], r["status"]) for r in rows] == [("Page Person", "sent")]
    assert client_as("coordinator_y").get(f"/mailings/{mailing_id}").status_code == 403
    assert client_as("member_a").get("/mailings").status_code == 403


def test_the_person_form_records_mail_consent_and_language(world, client_as):
    client = client_as("coordinator_x")
    response = client.post(f"/organizations/{world.org_a.slug}/people/new",
                           data={"name": "Form Person", "email": "form@example.org", "mail_consent": "y",
                                 "language": "zh"})  # fmt: skip
    assert response.status_code == 302
    person = db.session.scalar(select(Person).where(Person.name == "Form Person"))
    assert person.mail_consent is True and person.language == "zh"
    page = client.get(f"/people/{person.id}/edit").get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value="zh"|<option[^>]*value="zh"[^>]*selected', page)


def test_the_directory_s_bulk_action_opens_a_mailing_to_the_ticked_organisations(world, client_as):
    consenting(world.org_a, "Ticked Person")
    client = client_as("coordinator_x")
    page = client.post("/organizations/bulk", data={"action": "mailing", "id": [str(world.org_a.id)]})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'name="ids" value="{world.org_a.id}"' in html
    assert 'value="selection:" selected' in html
    response = client.post("/mailings/new", data={"network": world.x.id, "audience": "selection:",
                                                  "ids": [str(world.org_a.id)], "people": "all",
                                                  "subject": "Picked", "body": "Hi"})  # fmt: skip
    mailing = db.session.get(Mailing, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert mailing.audience["source"] == "selection" and mailing.audience["ids"] == [world.org_a.id]
    assert [r.name for r in service.audience_of(world.users["coordinator_x"], mailing).recipients] == ["Ticked Person"]


def test_an_event_s_participants_its_hosts_and_registered_organisations(world):
    from network.services import events

    coordinator = world.users["coordinator_x"]
    consenting(world.org_a, "Host Person")
    event = events.create_event(f.SETUP, {"title": "COP side event", "status": "open", "network": world.x.id,
                                          "starts_at": "2030-06-01T10:00", "ends_at": "2030-06-01T12:00"})  # fmt: skip
    events.add_host(f.SETUP, event, world.org_a, "co_host")
    db.session.commit()
    mailing = draft(coordinator, world.x, source="event", ref=event.slug)
    assert [r.name for r in service.audience_of(coordinator, mailing).recipients] == ["Host Person"]


def test_a_mail_returned_to_the_bounce_address_is_recorded_from_the_cli(world, app, runner):
    app.config["MAILING_BOUNCE_ADDRESS"] = "bounces@network.example"
    coordinator = world.users["coordinator_x"]
    person = consenting(world.org_a, "Re Turned", email="returned@example.org")
    mailing = draft(coordinator, world.x)
    send(coordinator, mailing)
    (sent,) = outbox_for(mailing)
    return_path = str(sent["Return-Path"]).strip("<> ")
    assert re.fullmatch(r"bounces\+\d+-[0-9a-f]{12}@network\.example", return_path)
    forged = re.sub(r"-[0-9a-f]{12}@", "-000000000000@", return_path)
    dsn = "From: MAILER-DAEMON@mx.example\nTo: {}\nSubject: Undelivered Mail\n\n550 5.1.1 no such user\n"
    result = runner.invoke(args=["mailings", "bounce"], input=dsn.format(forged).encode())
    assert "No delivery" in result.output
    result = runner.invoke(args=["mailings", "bounce"], input=dsn.format(return_path).encode())
    assert "recorded as bounced" in result.output, result.output
    db.session.expire_all()
    assert service.report(coordinator, mailing)["failed"] == 1
    assert db.session.get(Person, person.id).bounced_at is not None


def test_over_smtp_a_refused_connection_is_tried_again_and_a_batch_uses_one_connection(world, app):
    from tests.test_jobs import FlakySMTP

    server = FlakySMTP(refuse=1)
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, JOBS_RETRY_DELAY=0)
    try:
        coordinator = world.users["coordinator_x"]
        for n in range(3):
            consenting(world.org_a, f"Smtp {n}", email=f"smtp{n}@example.org")
        mailing = draft(coordinator, world.x)
        send(coordinator, mailing)  # the server turns the job away: the rows go back to the queue
        assert service.report(coordinator, mailing)["queued"] == 3
        sending.send_batch(mailing.id)  # the queue's retry
    finally:
        server.close()
    db.session.expire_all()
    assert service.report(coordinator, mailing)["sent"] == 3
    assert len(server.received) == 3  # nobody twice, though the first try failed
    assert server.connections == 2  # the refused one, then one for the whole batch


def test_the_records_page_shows_who_gets_network_mail(world, client_as):
    consenting(world.org_a, "Mail Yes")
    consenting(world.org_a, "Mail Gone", unsubscribed_at=utcnow())
    db.session.commit()
    page = client_as("coordinator_x").get(f"/organizations/{world.org_a.slug}/records").get_data(as_text=True)
    assert "Network mail" in page
    gone = page[page.index("Mail Gone") :]
    assert "Unsubscribed" in gone[: gone.index("</tr>")]
