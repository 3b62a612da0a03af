"""History, the audit log and notices in the reader's language (issue #14): field labels, choice
labels, country and theme names, dates without microseconds, an import as sentences; notices
stored as a kind and parameters, put into words when shown (and mailed in the recipient's language)."""

import re

from network.extensions import db
from network.models import ImportJob, Notification
from network.services import initiatives, notifications, projects
from network.services import organizations as orgs
from network.services.mail import outbox_messages
from tests import factories as f


def section(html: str, start: str, end: str = "</main>") -> str:
    """The part of the page between two markers, as text (tags removed)."""
    part = html[html.index(start) :]
    part = part[: part.index(end)] if end in part else part
    return re.sub(r"<[^>]+>", " ", part)


RAW = [
    r"\b(reviewed_at|hq_country_id|invitation_status|proposed_by_id|reviewed_by_id)\b",  # field names
    r"\b(pending|approved|think_tank|in_kind)\b",  # coded values
    r"\d{2}:\d{2}:\d{2}\.\d+",  # microseconds
    r"\d{4}-\d{2}-\d{2}T\d{2}",  # ISO timestamps
    r"\{'|\{\"",  # Python or JSON reprs
]


def assert_no_raw_values(text: str, patterns=RAW) -> None:
    for pattern in patterns:
        found = re.search(pattern, text)
        assert not found, (pattern, text[max(0, found.start() - 200) : found.end() + 200])


def test_organisation_history_in_chinese(world, client_as, db_session):
    coordinator = world.users["coordinator_x"]
    orgs.update_organization(coordinator, world.org_a, {"hq_country": "IN", "themes": ["water"], "kind": "think_tank"},
                             world.org_a.version)  # fmt: skip
    request = orgs.propose_profile_change(world.users["member_a"], world.org_a, {"acronym": "OA"}, world.org_a.version)
    orgs.review_change_request(coordinator, request, True, "ok")
    db_session.commit()
    client = client_as("coordinator_x")

    html = client.get("/organizations/org-a/history?lang=zh").get_data(as_text=True)
    text = section(html, '<section id="history">', "</section>")
    for chinese in ("总部所在国家", "印度", "主题", "水资源", "审核日期", "已批准", "修改申请", "智库"):
        assert chinese in text, chinese
    assert not re.search(r"\bIN\b|\bwater\b", text)
    assert_no_raw_values(text)
    # The same page in English: labels, not codes, too.
    text = section(client.get("/organizations/org-a/history?lang=en").get_data(as_text=True), '<section id="history">')
    assert "Reviewed on" in text and "Approved" in text and "India" in text and "Water" in text
    assert_no_raw_values(text, [p for p in RAW if "pending" not in p])  # "approved" is also English


def test_project_history_choice_labels_in_chinese(world, client_as, db_session):
    member = world.users["member_a"]
    projects.update_project(member, world.project_a, {"status": "completed", "start_date": "2024-03-01"}, 1)
    db_session.commit()
    html = client_as("coordinator_x").get(f"/projects/{world.project_a.id}/history?lang=zh").get_data(as_text=True)
    text = section(html, '<section id="history">', "</section>")
    assert "已完成" in text and "2024年3月1日" in text, text
    assert not re.search(r"\bcompleted\b|2024-03-01", text)
    assert_no_raw_values(text)


def test_audit_log_shows_an_import_as_sentences_in_chinese(world, client_as, db_session):
    admin = world.users["admin"]
    job = ImportJob(user_id=admin.id, filename="orgs.csv", status="uploaded", total_rows=3)
    db_session.add(job)
    db_session.commit()
    job.status = "committed"
    job.counts = {"new": 2, "updated": 1, "duplicate": 0, "invalid": 0, "skipped": 0}
    job.details = {"rows": [{"name": "Green Earth", "status": "new"}], "written": {"organizations": [1, 2]}}
    db_session.commit()

    html = client_as("admin").get("/admin/audit?entity=import_jobs&lang=zh").get_data(as_text=True)
    text = section(html, 'class="list-unstyled history')
    assert "文件：orgs.csv。" in text and "文件共 3 行。" in text and "状态：已导入。" in text
    assert "新增 2 条，更新 1 条" in text
    assert "Green Earth" not in text and "written" not in text and "rows" not in text  # no diff of the details
    assert_no_raw_values(text)


def test_notices_are_stored_as_kind_and_shown_in_the_readers_language(world, client_as, db_session):
    coordinator, member_b, member_a = world.users["coordinator_x"], world.users["member_b"], world.users["member_a"]
    member_b.locale = "zh"
    initiative = f.initiative("Road freight programme", network=world.x)
    db_session.commit()
    initiatives.invite_participant(coordinator, initiative, world.org_b, "partner")
    initiatives.invite_participant(coordinator, initiative, world.org_a, "funder")
    db_session.commit()

    notice = db_session.scalar(db.select(Notification).where(Notification.user_id == member_b.id))
    assert (notice.kind, notice.message) == ("invitation", None)
    assert notice.params["role"] == "partner" and notice.params["title"] == "Road freight programme"

    # Shown in the reader's language, whatever language it was made in.
    zh = section(client_as("member_b").get("/notifications?lang=zh").get_data(as_text=True), 'data-testid="notices"')
    assert "受邀以合作方身份加入联合行动“Road freight programme”" in zh
    assert "is invited" not in zh and "partner" not in zh
    assert_no_raw_values(zh)
    en = section(client_as("member_b").get("/notifications?lang=en").get_data(as_text=True), 'data-testid="notices"')
    assert "is invited to join the initiative “Road freight programme” as Partner." in en

    # Mail in each recipient's own language: member B chose Chinese, member A did not (the default).
    mails = {m["To"]: m for m in outbox_messages()}
    assert mails[member_b.email]["Subject"] == "邀请：Road freight programme"
    assert "受邀以合作方身份" in mails[member_b.email].get_content()
    assert mails[member_a.email]["Subject"] == "Invitation: Road freight programme"
    assert "as Funder." in mails[member_a.email].get_content()

    # An answer reaches the inviter as a kind too.
    participant = next(p for p in initiative.participants if p.organization_id == world.org_b.id)
    initiatives.respond_to_invitation(member_b, participant, accept=True)
    db_session.commit()
    zh = section(
        client_as("coordinator_x").get("/notifications?lang=zh").get_data(as_text=True), 'data-testid="notices"'
    )
    assert "接受了加入“Road freight programme”的邀请" in zh


def test_an_old_notice_keeps_its_stored_message(world, client_as, db_session):
    db_session.add(Notification(user_id=world.users["member_a"].id, message="Written before kinds existed", link="/"))
    db_session.add(Notification(user_id=world.users["member_a"].id, kind="change_rejected", params={}, link="/"))
    db_session.commit()
    html = client_as("member_a").get("/notifications?lang=zh").get_data(as_text=True)
    assert "Written before kinds existed" in html
    assert "您对 — 提出的修改已被驳回。" in html and "%(" not in html  # a parameter missing: a dash
    assert notifications.text_of(Notification(kind="no such kind", message="fallback")) == "fallback"


def test_a_password_reset_mail_is_in_the_users_language(world, client_as, db_session):
    from network.services import accounts

    member = world.users["member_a"]
    member.locale = "zh"
    db_session.commit()
    with client_as("anonymous").application.test_request_context("/?lang=en"):
        accounts.request_password_reset(member.email, link_to=lambda token: f"/reset/{token}")
    db_session.commit()
    mail = [m for m in outbox_messages() if m["To"] == member.email][-1]
    assert mail["Subject"] != "Reset your password" and "Hello" not in mail.get_content()


def test_audit_log_names_a_users_nodes_and_role(world, client_as):
    text = section(client_as("admin").get("/admin/audit?entity=users&lang=zh").get_data(as_text=True),
                   'class="list-unstyled history')  # fmt: skip
    assert "Node X" in text and "协调员" in text and "账户启用" in text
    assert not re.search(r"\bnode-x\b|\bcoordinator\b", text)
    assert_no_raw_values(text)
