"""The start page at / for signed-in users (visitors keep the overview), and the top bar's count of
what waits for the user: what each role sees, that nobody sees another scope's items, and that its
statements do not grow with the items in the queues or the audit log."""

import re
from datetime import timedelta

from sqlalchemy import insert

from network.extensions import db
from network.models import AuditEvent, ChangeRequest, ImportJob, Membership, NotDuplicate, Organization, utcnow
from network.services import organizations as orgs
from network.services import start
from tests import factories as f
from tests.conftest import login


def page(client, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def queue_count(html: str, key: str) -> str:
    card = re.search(rf'data-queue="{key}".*?data-count>([^<]+)<', html, re.S)
    assert card, key
    return card.group(1)


def waiting_count(html: str) -> int:
    found = re.search(r'data-testid="waiting-count">(\d+)<', html)
    return int(found.group(1)) if found else 0


def invite(org, title: str, node=None):
    ini = f.initiative(title, network=node)
    f.participant(ini, org, status="invited")
    return ini


def ending(org, node, days: int) -> Membership:
    membership = db.session.query(Membership).filter_by(organization_id=org.id, network_id=node.id).one()
    membership.left_on = start.today() + timedelta(days=days)
    return membership


# ------------------------------------------------------------------------------------ visitors


def test_visitors_keep_the_overview_at_the_root_and_everyone_has_it_at_overview(world, client_as):
    anonymous = page(client_as("anonymous"))
    assert "Member directory and joint initiatives" in anonymous and "Welcome" not in anonymous
    member = client_as("member_a")
    assert "Welcome, Amina Member" in page(member)
    overview = page(member, "/overview")
    assert "Member directory and joint initiatives" in overview and "Welcome" not in overview
    assert 'href="/overview"' in page(member)  # one click away


# ------------------------------------------------------------------------------------ members


def test_a_member_sees_its_organisation_invitations_reports_due_and_requests(world, client_as):
    invite(world.org_a, "Clean Ports")
    invite(world.org_b, "Secret B Initiative")
    done = f.project(world.org_a, "Reported project")
    f.outcome(done, year=start.today().year)
    f.project(world.org_b, "B project")
    orgs.propose_profile_change(world.users["member_a"], world.org_a, {"acronym": "OA"}, world.org_a.version)
    orgs.propose_profile_change(world.users["member_b"], world.org_b, {"acronym": "OB"}, world.org_b.version)
    db.session.commit()

    html = page(client_as("member_a"))
    assert 'href="/organizations/org-a"' in html  # its organisation, linked
    missing = re.search(r'data-testid="missing-fields">(.*?)</p>', html, re.S).group(1)
    assert "Description" in missing and "Themes" in missing
    assert "Clean Ports" in html and "Secret B Initiative" not in html
    reports = re.search(r'data-testid="reports-due".*?</section>', html, re.S).group(0)
    assert "Project A" in reports and "Reported project" not in reports and "B project" not in reports
    requests = re.search(r'data-testid="own-change-requests".*?</ul>', html, re.S).group(0)
    assert "Acronym" in requests and len(re.findall(r"<li>", requests)) == 1
    assert waiting_count(html) == 2  # one invitation, one report due

    # The account page and the user menu lead to the organisation.
    account = page(client_as("member_a"), "/account")
    assert 'href="/organizations/org-a"' in account and 'href="/my-organization"' in account
    response = client_as("member_a").get("/my-organization")
    assert response.status_code == 302 and response.headers["Location"].endswith("/organizations/org-a")
    assert client_as("coordinator_x").get("/my-organization").status_code == 404
    assert 'href="/my-organization"' not in page(client_as("coordinator_x"), "/account")


def test_a_complete_profile_and_answered_invitations_leave_nothing_waiting(world, client_as):
    org = world.org_a
    orgs.update_organization(world.users["admin"], org, {
        "description": "We work", "website": "https://a.example.org", "email": "a@example.org", "phone": "+254 700 000000",
        "countries": ["KE"], "themes": ["transport"], "founded": 2001,
    }, org.version)  # fmt: skip
    f.outcome(world.project_a, year=start.today().year)
    f.participant(f.initiative("Answered"), org, status="accepted")
    db.session.commit()
    html = page(client_as("member_a"))
    assert "Its profile is complete." in html and 'data-testid="missing-fields"' not in html
    assert waiting_count(html) == 0 and 'data-testid="waiting-count"' not in html


# ------------------------------------------------------------------------------------ coordinators


def build_queues(world):
    """In each queue of node X (organisation A) and of node Y (organisation B): one item."""
    for org, member in ((world.org_a, "member_a"), (world.org_b, "member_b")):
        orgs.propose_profile_change(world.users[member], org, {"acronym": org.slug.upper()}, org.version)
    invite(world.org_a, "Invited A")
    invite(world.org_b, "Invited B")
    ending(world.org_a, world.x1, 10)
    ending(world.org_b, world.y, 20)
    db.session.commit()


def test_a_coordinator_sees_the_queues_of_its_nodes_only(world, client_as):
    build_queues(world)
    html = page(client_as("coordinator_x"))
    assert queue_count(html, "changes") == "1" and queue_count(html, "invitations") == "1"
    assert queue_count(html, "ending") == "1"
    assert "Organisation A" in html and "Organisation B" not in html
    assert "Invited A" in html and "Invited B" not in html
    assert waiting_count(html) == 2  # the change request and the membership ending
    assert re.search(r'data-testid="review-count">1<', html)
    assert 'href="/networks/node-x/editing"' in html and 'href="/networks/node-y/editing"' not in html

    other = page(client_as("coordinator_y"))
    assert "Organisation B" in other and "Organisation A" not in other and "Invited A" not in other

    admin = page(client_as("admin"))
    assert queue_count(admin, "changes") == "2" and queue_count(admin, "invitations") == "2"
    assert queue_count(admin, "ending") == "2"
    assert 'href="/networks/node-x/editing"' in admin and 'href="/networks/node-y/editing"' in admin


def test_the_coordinators_latest_changes_are_those_of_its_nodes(world, client_as):
    orgs.update_organization(world.users["admin"], world.org_a, {"description": "A changed"}, world.org_a.version)
    orgs.update_organization(world.users["admin"], world.org_b, {"description": "B changed"}, world.org_b.version)
    db.session.commit()
    html = page(client_as("coordinator_x"))
    changes = re.search(r'id="changes-heading".*?</ul>', html, re.S).group(0)
    assert "Organisation A" in changes and "Organisation B" not in changes


def test_lapsed_memberships_and_unfinished_imports(world, client_as):
    membership = ending(world.org_a, world.x1, -5)
    membership.status = "lapsed"
    db.session.add(ImportJob(user_id=world.users["coordinator_x"].id, filename="members.csv", status="previewed"))
    db.session.add(ImportJob(user_id=world.users["coordinator_x"].id, filename="old.csv", status="committed"))
    db.session.commit()
    assert queue_count(page(client_as("coordinator_x")), "imports") == "1"  # its own, not finished
    assert queue_count(page(client_as("coordinator_y")), "imports") == "0"
    assert queue_count(page(client_as("admin")), "imports") == "1"
    html = page(client_as("coordinator_x"))
    assert queue_count(html, "lapsed") == "1" and queue_count(html, "ending") == "0"
    assert queue_count(page(client_as("coordinator_y")), "lapsed") == "0"


# ------------------------------------------------------------------------------------ statements


def add_audit_rows(count: int, entity_id: int) -> None:
    at = utcnow() - timedelta(days=1)
    rows = [{"at": at + timedelta(seconds=i), "action": "update", "entity_type": "organizations",
             "entity_id": entity_id, "changes": {"name": ["a", "b"]}} for i in range(count)]  # fmt: skip
    db.session.execute(insert(AuditEvent), rows)
    db.session.commit()


def more_items(world, n: int) -> None:
    """n more items in every queue of node X and of organisation A."""
    for i in range(n):
        org = f.organization(f"More {i}", networks=[world.x1])
        ending(org, world.x1, 5 + i)
        db.session.add(ChangeRequest(organization=org, organization_id=org.id, proposed_by_id=world.users["member_a"].id,
                                     changes={"acronym": [None, f"M{i}"]}, base_version=1, status="pending"))  # fmt: skip
        invite(org, f"Invitation {i}", world.x)
        invite(world.org_a, f"For A {i}")
        project = f.project(world.org_a, f"Due {i}")
        f.outcome(project, year=2020, review_status="returned")
        f.outcome(project, year=2019, review_status="submitted")
    db.session.commit()


def test_start_page_statements_do_not_grow_with_items_or_the_audit_log(world, client, count_queries):
    build_queues(world)
    f.organization("Organisation A Twin", networks=[world.x1], website="https://a.example.org")
    orgs.propose_profile_change(world.users["member_a"], world.org_a, {"name": "A 2"}, world.org_a.version)
    f.outcome(world.project_a, year=2020, review_status="returned")
    f.outcome(world.project_a, year=2019, review_status="submitted")
    db.session.commit()
    add_audit_rows(20, world.org_a.id)

    def counts() -> dict[str, int]:
        found = {}
        for role in ("member_a", "coordinator_x", "admin"):
            login(client, world.users[role])
            client.get("/")  # brings the in-memory indexes (and the duplicates' figures) up to date
            found[role] = count_queries.get(client, "/")
        return found

    few = counts()
    more_items(world, 15)
    add_audit_rows(3_000, world.org_a.id)
    many = counts()
    assert many == few, (few, many)
    login(client, world.users["coordinator_x"])
    html = page(client)
    assert int(queue_count(html, "changes")) > 15 and int(queue_count(html, "verify")) > 15  # items were there


def test_possible_duplicates_are_counted_in_the_coordinators_nodes_only(world, client_as):
    f.organization("Green Earth Kenya", networks=[world.x1], website="https://green.example.org")
    f.organization("Green Earth Kenya", networks=[world.x1], website="https://green.example.org")
    db.session.commit()
    # The card is loaded after the page (finding pairs reads every organisation in the nodes).
    assert 'hx-get="/start/duplicates"' in page(client_as("coordinator_x"))
    card = page(client_as("coordinator_x"), "/start/duplicates")
    assert duplicate_count(card) == "1" and "Green Earth Kenya / Green Earth Kenya" in card
    assert duplicate_count(page(client_as("coordinator_y"), "/start/duplicates")) == "0"
    # Marked distinct: the count follows at once (its figures are kept only while nothing changed).
    a, b = sorted(db.session.scalars(db.select(Organization.id).where(Organization.name == "Green Earth Kenya")))
    db.session.add(NotDuplicate(first_id=a, second_id=b))
    db.session.commit()
    assert duplicate_count(page(client_as("coordinator_x"), "/start/duplicates")) == "0"


def duplicate_count(html: str) -> str:
    return re.search(r"data-count>([^<]+)<", html).group(1)


def test_the_start_page_reads_in_chinese(world, client_as):
    invite(world.org_a, "Clean Ports")
    db.session.commit()
    html = page(client_as("member_a"), "/?lang=zh")
    for words in ("欢迎", "资料中尚未填写", "待回复的邀请", "待提交的成果报告", "我的组织"):
        assert words in html, words
    build_queues(world)
    html = page(client_as("coordinator_x"), "/?lang=zh")
    for words in ("待审核的修改申请", "未回复的邀请", "60 天内到期的成员资格", "您的节点中的最新变更", "编辑设置"):
        assert words in html, words


def test_outcome_reports_sent_back_and_awaiting_verification(world, client_as):
    from network.models import OutcomeReport

    returned = f.outcome(world.project_a, year=2023)
    submitted = f.outcome(world.project_a, year=2022)
    other = f.outcome(world.project_b, year=2022)
    for report, status in ((returned, "returned"), (submitted, "submitted"), (other, "submitted")):
        db.session.get(OutcomeReport, report.id).review_status = status
    db.session.commit()
    member = page(client_as("member_a"))
    assert f'href="/outcomes/{returned.id}"' in re.search(
        r'data-testid="reports-returned".*?</ul>', member, re.S
    ).group(0)
    assert waiting_count(member) == 1 + 1  # Project A's report due this year, and the one sent back
    assert 'data-testid="reports-returned"' not in page(client_as("member_b"))
    coordinator = page(client_as("coordinator_x"))
    assert queue_count(coordinator, "verify") == "1" and f'href="/outcomes/{submitted.id}"' in coordinator
    assert f'href="/outcomes/{other.id}"' not in coordinator
    assert waiting_count(coordinator) == 1
    assert queue_count(page(client_as("admin")), "verify") == "2"
