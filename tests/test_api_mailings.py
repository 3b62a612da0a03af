"""Mailings through the JSON API (#16): list, read, draft, change a draft, who it would reach, send,
report; people's mail consent and language; a stalled sending resumed by the periodic job; the
activity note in the reader's language."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from network.extensions import db
from network.models import Activity, Mailing, MailingDelivery, utcnow
from network.services import activities, mail, tokens
from network.services import mailings as service
from network.services.mailings import sending
from tests import factories as f

PROBLEM = "application/problem+json"
NO_WAIT = {"MAILING_RATE_PER_MINUTE": 0}


@pytest.fixture(autouse=True)
def no_rate(app):
    app.config.update(NO_WAIT)


def bearer(user, scope: str = "read-write") -> dict:
    created = tokens.create_token(user, f"test {scope}", scope, 30)
    db.session.commit()
    return {"Authorization": f"Bearer {created.secret}"}


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    return response.get_json()


def consenting(org, name=None, **values):
    return f.person(org, name, mail_consent=True, **values)


def draft_body(world, **values) -> dict:
    return {"network": world.x.id, "subject": "Call for the side event", "body": "Dear {{ name }},\n\nJoin us.",
            "audience": {"source": "node", "ref": str(world.x.id), "people": "all"}, **values}  # fmt: skip


# People: mail consent and language ------------------------------------------------------------


def test_people_carry_mail_consent_for_those_who_see_contacts_and_language_for_all(client, world):
    person = f.person(world.org_a, "Listed Person", consent_to_list=True, mail_consent=True, language="zh")
    db.session.commit()
    url = f"/api/v1/people/{person.id}"
    public = client.get(url).get_json()
    assert public["language"] == "zh"
    assert "mail_consent" not in public and "email" not in public  # private, as the address is
    assert "mail_consent" not in client.get(url, headers=bearer(world.users["member_b"], "read")).get_json()
    for role in ("member_a", "coordinator_x", "admin"):
        assert client.get(url, headers=bearer(world.users[role], "read")).get_json()["mail_consent"] is True


def test_people_are_written_with_mail_consent_and_language(client, world):
    member = bearer(world.users["member_a"])
    response = client.post("/api/v1/people", headers=member, json={
        "organization": world.org_a.id, "name": "New Person", "email": "new@example.org",
        "mail_consent": True, "language": "zh"})  # fmt: skip
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["mail_consent"] is True and body["language"] == "zh"
    url = response.headers["Location"]
    changed = client.patch(url, headers={**member, "If-Match": response.headers["ETag"]},
                           json={"mail_consent": False, "language": None})  # fmt: skip
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json()["mail_consent"] is False and changed.get_json()["language"] is None
    bad = client.patch(url, headers={**member, "If-Match": changed.headers["ETag"]}, json={"language": "fr"})
    assert [e["field"] for e in problem(bad, 422)["errors"]] == ["language"]
    # Another organisation's member may not change it.
    other = client.patch(url, headers={**bearer(world.users["member_b"]), "If-Match": changed.headers["ETag"]},
                         json={"mail_consent": True})  # fmt: skip
    assert other.status_code in (403, 404)


# Mailings ---------------------------------------------------------------------------------------


def test_a_coordinator_drafts_changes_previews_sends_and_reads_the_report(client, world):
    yes = consenting(world.org_a, "Yes Person", email="yes@example.org", language="zh")
    f.person(world.org_a, "Never Agreed", email="never@example.org")
    db.session.commit()
    coordinator = bearer(world.users["coordinator_x"])
    response = client.post("/api/v1/mailings", headers=coordinator, json=draft_body(world))
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["status"] == "draft" and created["network_id"] == world.x.id
    assert created["audience"] == {"source": "node", "ref": str(world.x.id), "people": "all", "role": ""}
    url = response.headers["Location"]
    assert url.endswith(f"/api/v1/mailings/{created['id']}")

    # A change names only what it changes; the rest of the draft stays.
    changed = client.patch(url, headers=coordinator, json={
        "subject": "Side event", "versions": {"zh": {"subject": "边会", "body": "{{ name }}，您好"}}})  # fmt: skip
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert body["subject"] == "Side event" and body["body"].startswith("Dear {{ name }}")
    assert body["versions"] == {"zh": {"subject": "边会", "body": "{{ name }}，您好"}}
    assert body["audience"]["ref"] == str(world.x.id)
    bad = client.patch(url, headers=coordinator, json={"audience": {"people": "role"}})
    errors = problem(bad, 422)["errors"]  # the service's rule, as on the page
    assert [(e["field"], e["pointer"]) for e in errors] == [("audience.role", "/audience/role")]

    preview = client.get(url + "/audience", headers=coordinator).get_json()
    assert preview["recipients"] == 1 and preview["organizations"] == 1
    assert preview["excluded"] == {"no_consent": 1}
    assert preview["excluded_people"] == [{"person_id": preview["excluded_people"][0]["person_id"],
                                           "organization_id": world.org_a.id, "organization": "Organisation A",
                                           "name": "Never Agreed", "reason": "no_consent"}]  # fmt: skip
    assert client.get(url + "/report", headers=coordinator).get_json()["counts"]["sent"] == 0

    sent = client.post(url + "/send", headers=coordinator)
    assert sent.status_code == 202, sent.get_data(as_text=True)
    assert sent.get_json()["status"] == "sending" and sent.get_json()["summary"]["recipients"] == 1
    assert sent.headers["Location"].endswith("/report")
    report = client.get(sent.headers["Location"], headers=coordinator).get_json()  # the job ran (JOBS_IMMEDIATE)
    assert report["status"] == "sent"
    assert report["counts"] | {} == {"queued": 0, "sending": 0, "sent": 1, "failed": 0, "unsubscribed": 0,
                                     "excluded": 1}  # fmt: skip
    assert report["reasons"] == {"no_consent": 1}
    delivery = db.session.scalar(select(MailingDelivery).where(MailingDelivery.status == "sent"))
    assert delivery.person_id == yes.id and delivery.language == "zh"

    # Sent: read-only, and never sent twice.
    again = problem(client.post(url + "/send", headers=coordinator), 409)
    assert again["title"] and "already sent" in again["detail"]
    problem(client.patch(url, headers=coordinator, json={"subject": "Too late"}), 409)
    assert db.session.get(Mailing, created["id"]).subject == "Side event"
    listed = client.get("/api/v1/mailings", headers=coordinator).get_json()
    assert [m["id"] for m in listed["items"]] == [created["id"]] and listed["total"] == 1


def test_only_the_coordinators_of_its_node_and_admins(client, world):
    mailing = service.save_mailing(world.users["coordinator_x"], {
        "subject": "X only", "body": "Hi", "source": "node", "ref": str(world.x.id)}, world.x)  # fmt: skip
    consenting(world.org_a)
    db.session.commit()
    url = f"/api/v1/mailings/{mailing.id}"
    for role in ("coordinator_y", "member_a", "viewer"):
        headers = bearer(world.users[role])
        for response in (client.get(url, headers=headers), client.get(url + "/audience", headers=headers),
                         client.get(url + "/report", headers=headers),
                         client.patch(url, headers=headers, json={"subject": "Taken"}),
                         client.post(url + "/send", headers=headers)):  # fmt: skip
            problem(response, 403)
        listed = client.get("/api/v1/mailings", headers=headers)
        assert listed.status_code == 403 if role != "coordinator_y" else listed.get_json()["items"] == []
    # Coordinator Y may not move it to (or write one from) a node it does not coordinate either.
    problem(client.post("/api/v1/mailings", headers=bearer(world.users["coordinator_y"]), json=draft_body(world)), 403)
    problem(client.post("/api/v1/mailings", headers=bearer(world.users["coordinator_x"]),
                        json=draft_body(world, network=None)), 403)  # network-wide: admins  # fmt: skip
    for response in (client.get("/api/v1/mailings"), client.get(url), client.post(url + "/send")):
        problem(response, 401)
    db.session.expire_all()
    assert db.session.get(Mailing, mailing.id).status == "draft" and mailing.subject == "X only"
    assert client.get(url, headers=bearer(world.users["admin"], "read")).status_code == 200


def test_a_source_naming_nothing_is_invalid_input_and_ids_beyond_range_are_not_found(client, world):
    coordinator = bearer(world.users["coordinator_x"])
    response = client.post("/api/v1/mailings", headers=coordinator, json=draft_body(
        world, audience={"source": "tag", "ref": 2**40, "people": "all"}))  # fmt: skip
    url = response.headers["Location"]
    assert response.get_json()["audience"]["ref"] == str(2**40)
    assert [e["field"] for e in problem(client.get(url + "/audience", headers=coordinator), 422)["errors"]] == [
        "audience.ref"
    ]
    problem(client.post(url + "/send", headers=coordinator), 422)
    problem(client.get(f"/api/v1/mailings/{2**40}", headers=coordinator), 404)
    no_source = client.post("/api/v1/mailings", headers=coordinator, json=draft_body(world, audience={}))
    assert [e["pointer"] for e in problem(no_source, 422)["errors"]] == ["/audience/ref"]
    unknown_node = client.post("/api/v1/mailings", headers=coordinator, json=draft_body(world, network=999999))
    assert [e["field"] for e in problem(unknown_node, 422)["errors"]] == ["network"]


# A stalled sending is resumed by the periodic job ----------------------------------------------


class Crash(BaseException):
    """The worker dying (SIGKILL, the machine going down): nothing the job can handle."""


@pytest.mark.app_config(JOBS_IMMEDIATE=False, MAILING_STUCK_SECONDS=300, **NO_WAIT)
def test_a_mailing_whose_worker_died_is_resumed_by_the_periodic_job_and_nobody_gets_two(app, world, monkeypatch):
    coordinator = world.users["coordinator_x"]
    for n in range(5):
        consenting(world.org_a, f"P{n}", email=f"p{n}@example.org")
    mailing = service.save_mailing(coordinator, {"subject": "Stalled", "body": "Hi {{ name }}", "source": "node",
                                                 "ref": str(world.x.id), "people": "all"}, world.x)  # fmt: skip
    db.session.commit()
    service.send_mailing(coordinator, mailing, "http://localhost/")
    db.session.commit()
    huey = app.extensions["huey"]
    assert huey.pending_count() == 1

    real, calls = sending._transmit, []

    def dying(email, delivery):
        calls.append(delivery.id)
        if len(calls) == 3:
            raise Crash()  # before the third mail left
        real(email, delivery)

    monkeypatch.setattr(sending, "_transmit", dying)
    with pytest.raises(Crash):
        sending.send_batch(mailing.id)
    db.session.rollback()
    monkeypatch.setattr(sending, "_transmit", real)
    huey.flush()  # the job died with its worker: nothing will run it again

    assert sending.resume_stalled() == []  # it made progress a moment ago
    hour_ago = utcnow() - timedelta(hours=1)
    db.session.execute(update(Mailing).where(Mailing.id == mailing.id).values(sent_at=hour_ago))
    db.session.execute(update(MailingDelivery).where(MailingDelivery.claimed_at.is_not(None))
                       .values(claimed_at=hour_ago))  # fmt: skip
    db.session.execute(update(MailingDelivery).where(MailingDelivery.sent_at.is_not(None)).values(sent_at=hour_ago))
    db.session.commit()
    # Another mailing being sent right now is left alone.
    busy = service.save_mailing(coordinator, {"subject": "Busy", "body": "Hi", "source": "node",
                                              "ref": str(world.x.id), "people": "all"}, world.x)  # fmt: skip
    db.session.commit()
    service.send_mailing(coordinator, busy, "http://localhost/")
    db.session.commit()
    huey.flush()

    # Twice, as two runs of the schedule before a worker gets to it: harmless.
    assert sending.resume_stalled() == [mailing.id]
    assert sending.resume_stalled() == [mailing.id]
    assert [(t.name, t.args) for t in huey.pending()] == [("send_batch", (mailing.id,))] * 2
    while (task := huey.dequeue()) is not None:
        task.execute()  # as the consumer does: in an app context of its own
    db.session.rollback()  # a new transaction, to see what the jobs committed
    assert db.session.get(Mailing, mailing.id).status == "sent"
    assert db.session.get(Mailing, busy.id).status == "sending"
    ids = [m["Message-ID"] for m in mail.outbox_messages() if m["Message-ID"].startswith(f"<mailing-{mailing.id}-")]
    assert len(ids) == 5 and len(set(ids)) == 5  # everyone once, nobody twice
    assert sending.resume_stalled() == []  # nothing left to resume
    assert huey.pending_count() == 0


def test_the_periodic_job_is_on_the_schedule(app):
    from network import tasks

    assert tasks.PERIODIC["resume_stalled"] == (sending.resume_stalled, {"minute": "*/5"})


# The activity note in the reader's language ---------------------------------------------------


def test_the_note_on_each_organisation_is_written_in_the_readers_language(world, client_as):
    consenting(world.org_a, "Reader Person")
    mailing = service.save_mailing(world.users["coordinator_x"], {"subject": "Side event", "body": "Hi",
                                   "source": "node", "ref": str(world.x.id), "people": "all"}, world.x)  # fmt: skip
    db.session.commit()
    service.send_mailing(world.users["coordinator_x"], mailing, "http://localhost/")
    db.session.commit()
    note = db.session.scalar(select(Activity).where(Activity.organization_id == world.org_a.id))
    assert note.subject == "Mailing: Side event, sent to 1 person"  # kept in the default language too
    assert note.params == {"message": "mailing_sent", "subject": "Side event", "num": 1, "mailing": mailing.id}
    client = client_as("coordinator_x")
    english = client.get("/organizations/org-a").get_data(as_text=True)
    assert "Mailing: Side event, sent to 1 person" in english
    chinese = client.get("/organizations/org-a?lang=zh").get_data(as_text=True)
    assert "群发邮件：Side event，已发送给 1 人" in chinese
    assert "sent to 1 person" not in chinese
    # Notes people write are shown as written.
    activities.record_activity(world.users["coordinator_x"], world.org_a, {"subject": "Met the board"})
    db.session.commit()
    assert "Met the board" in client.get("/organizations/org-a?lang=zh").get_data(as_text=True)
