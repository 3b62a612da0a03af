"""The permission matrix: every route of the app × anonymous, viewer, member of A, member of B,
coordinator of X, coordinator of Y and admin, with the answer each must get.

Every (endpoint, method) in app.url_map must have a row in TABLE (test_every_route_is_in_the_table
fails otherwise), so a new page cannot ship without deciding who may use it.

Each row names the roles that get through; every other role must be refused: 401/403, or for an
anonymous visitor a redirect to the login page (a row may also accept 404 where refusing must not
reveal that a record exists). Getting through means 2xx/3xx, or 409/422/428 when the permission
check passed and the input was then judged. Rows that send a form send a plausible one; a refusal must come whatever is sent.

The world (tests/conftest.py World): node X with child X1, node Y; organisation A (member of X1),
B (member of Y). Its users: admin, coordinator_x, coordinator_y, member_a, member_b, viewer.

Speed: requests that change nothing (GET) run every role against one world. Requests that may
change data run the refused roles together against one world (and check that they wrote no audit
event: nothing changed), then each allowed role against a fresh world of its own.
"""

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, select

from network.extensions import db
from network.models import (
    AuditEvent,
    ChangeRequest,
    ExportJob,
    ImportJob,
    InitiativeProject,
    Mailing,
    MailingDelivery,
    Notification,
    ProjectParticipant,
    SavedSearch,
    UsedToken,
)
from network.models.tag import Tag
from network.services import accounts, exporting, projects, tokens
from network.services.mailings import sending
from tests import factories as f
from tests.conftest import ROLE_NAMES

EVERYONE = frozenset(ROLE_NAMES)
LOGGED_IN = EVERYONE - {"anonymous"}
ADMIN = frozenset({"admin"})
COORDINATORS = frozenset({"coordinator_x", "coordinator_y", "admin"})
A_SIDE = frozenset({"member_a", "coordinator_x", "admin"})  # rights over organisation A
B_SIDE = frozenset({"member_b", "coordinator_y", "admin"})
A_COORD = frozenset({"coordinator_x", "admin"})
B_COORD = frozenset({"coordinator_y", "admin"})
NOBODY = frozenset()

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Case:
    """One request: ``path`` is formatted with the Targets' fields (and ``me``, the acting user's
    id); ``allowed`` are the roles that get through, or ``status`` is the one answer for all."""

    path: str
    allowed: frozenset = NOBODY
    data: dict | None = None
    json: dict | None = None
    status: int | None = None
    note: str = ""
    # How refusals look: "missing" (404) where refusing must not reveal that the record exists.
    denied: tuple = ("denied",)
    # API writes: the path whose ETag goes into If-Match (PATCH/DELETE: the path itself).
    etag_from: str | None = None
    only: frozenset = field(default_factory=lambda: frozenset(ROLE_NAMES))


def row(*cases: Case) -> list[Case]:
    return list(cases)


def c(path, allowed=NOBODY, **kw) -> Case:
    return Case(path, frozenset(allowed), **kw)


ORG_FORM = {"name": "Renamed", "kind": "ngo", "hq_country": "KE", "version": "1"}
PROJECT_FORM = {"title": "Renamed project", "status": "active", "version": "1"}
PERSON_FORM = {"name": "Renamed Person", "email": "p@example.org", "version": "1"}
PARTNERSHIP_FORM = {"kind": "technical", "status": "active", "version": "1"}
OUTCOME_FORM = {"period_start": "2024-01-01", "period_end": "2024-12-31", "tco2e_reduced": "5",
                "basis": "estimated", "version": "1"}  # fmt: skip
EVENT_FORM = {"title": "Renamed", "kind": "side_event", "status": "open", "starts_at": "2030-06-01T10:00", "ends_at": "2030-06-01T12:00", "timezone": "UTC", "version": "1"}  # fmt: skip
ANSWER_FORM = {"answer": "accepted", "answered_on": datetime.now(UTC).date().isoformat(), "how": "email from CEO"}
ACTIVITY_FORM = {"kind": "meeting", "subject": "Met", "body": "Notes", "occurred_on": "2025-01-01"}

# (endpoint, method) -> cases. Attacks are marked in the note.
TABLE: dict[tuple[str, str], list[Case]] = {
    # ------------------------------------------------------------ public pages
    ("main.home", "GET"): row(c("/", EVERYONE, note="signed in: one's start page; visitors: the overview")),
    ("main.overview_page", "GET"): row(c("/overview", EVERYONE)),
    ("main.start_duplicates", "GET"): row(c("/start/duplicates", COORDINATORS, note="pairs within one's own nodes")),
    ("main.my_organization", "GET"): row(
        c(
            "/my-organization",
            {"member_a", "member_b"},
            denied=("missing",),
            note="a redirect to one's own organisation",
        )
    ),
    ("main.member_map", "GET"): row(c("/map.json", EVERYONE)),
    ("main.networks", "GET"): row(c("/networks", EVERYONE)),
    ("health.healthz", "GET"): row(c("/healthz", EVERYONE, note="load balancers: no login, no details")),
    ("directory.index", "GET"): row(c("/organizations", EVERYONE), c("/organizations?q=Organisation", EVERYONE)),
    ("directory.export_csv", "GET"): row(c("/organizations/export.csv", LOGGED_IN)),
    ("directory.saved", "GET"): row(c("/organizations/saved", LOGGED_IN)),
    ("directory.save", "POST"): row(c("/organizations/saved", LOGGED_IN, data={"name": "Mine", "query": "q=a"})),
    ("directory.delete_saved", "POST"): row(
        c(
            "/organizations/saved/{saved_a}/delete",
            {"member_a"},
            denied=("denied", "missing"),
            note="only one's own saved searches, not even an admin deletes another's",
        ),
    ),
    ("directory.shared", "GET"): row(c("/organizations/shared/{saved_a_token}", EVERYONE)),
    # Bulk actions and tags (#15): coordinators act on many results at once; a node's tags are its
    # coordinators' (network-wide ones the admins'); members and viewers have no bulk actions.
    ("directory.bulk_action", "POST"): row(
        c(
            "/organizations/bulk",
            COORDINATORS,
            data={"action": "tag", "id": "{org_a_id}"},
            note="step one: what the action needs; attack: members and viewers",
        ),
        c(
            "/organizations/bulk",
            {"coordinator_x", "admin"},
            data={"action": "tag", "id": "{org_b_id}", "tag": "{tag_x}", "confirm": "1"},
            note="attack: coordinator Y tagging with node X's tag",
        ),
        c(
            "/organizations/bulk",
            {"coordinator_x", "admin"},
            data={
                "action": "initiative",
                "scope": "all",
                "query": "q=Organisation",
                "initiative": "{initiative_x}",
                "role": "observer",
                "confirm": "1",
            },
            note="all matching into X's initiative; attack: coordinator Y inviting into it",
        ),
        c("/organizations/bulk", COORDINATORS, data={"action": "export", "id": "{org_a_id}"}),
        c(
            "/organizations/bulk",
            COORDINATORS,
            data={"action": "mailing", "id": "{org_a_id}"},
            note="a new mailing to them (#16): the form; attack: members and viewers",
        ),
    ),  # fmt: skip
    ("directory.tag_list", "GET"): row(c("/tags", LOGGED_IN)),
    ("directory.tag_create", "POST"): row(
        c("/tags", {"coordinator_x", "admin"}, data={"name": "New list", "network": "{x1_id}"}),
        c("/tags", ADMIN, data={"name": "Everyone's", "network": ""}, note="attack: a coordinator's network-wide tag"),
    ),
    ("directory.tag_delete", "POST"): row(
        c("/tags/{tag_y}/delete", {"coordinator_y", "admin"}, note="attack: coordinator X deleting node Y's tag")
    ),
    ("directory.tag_rename", "POST"): row(
        c(
            "/tags/{tag_y}/rename",
            {"coordinator_y", "admin"},
            data={"name": "Y renamed"},
            note="attacks: coordinator X renaming node Y's tag, members, viewer",
        ),
    ),  # fmt: skip
    ("directory.tag_from_search", "POST"): row(
        c(
            "/organizations/saved/{saved_x}/tag",
            {"coordinator_x"},
            data={"name": "From search", "network": "{x1_id}"},
            denied=("denied", "missing"),
            note="one's own saved search only: others' are not found",
        ),
    ),  # fmt: skip
    # Mailings (#16): coordinators write from their own nodes (admins from anywhere); the unsubscribe
    # link of a mail works without logging in, with a signed token only.
    ("mailings.index", "GET"): row(c("/mailings", COORDINATORS, note="attack: members and viewers")),
    ("mailings.new", "GET"): row(c("/mailings/new", COORDINATORS)),
    ("mailings.new", "POST"): row(
        c(
            "/mailings/new",
            A_COORD,
            data={
                "network": "{x1_id}",
                "audience": "node:{x1_id}",
                "people": "all",
                "language": "en",
                "subject": "Call",
                "body": "Dear {{ name }}",
            },
            note="attack: coordinator Y mailing from node X1",
        ),
    ),  # fmt: skip
    ("mailings.detail", "GET"): row(
        c("/mailings/{mailing_x}", A_COORD, note="attack: coordinator Y reading X's draft"),
        c("/mailings/{sent_mailing_x}", A_COORD, note="the report of a sent one"),
    ),
    ("mailings.update", "POST"): row(
        c(
            "/mailings/{mailing_x}",
            A_COORD,
            data={"audience": "node:{x1_id}", "subject": "Changed", "body": "x"},
            note="attack: coordinator Y editing X's draft",
        ),
    ),  # fmt: skip
    ("mailings.test", "POST"): row(c("/mailings/{mailing_x}/test", A_COORD)),
    ("mailings.send", "POST"): row(c("/mailings/{mailing_x}/send", A_COORD, note="attack: coordinator Y sending X's")),
    ("mailings.resume", "POST"): row(c("/mailings/{sent_mailing_x}/resume", A_COORD)),
    ("mailings.report_csv", "GET"): row(c("/mailings/{sent_mailing_x}/report.csv", A_COORD)),
    ("mailings.bounces", "POST"): row(
        c("/mailings/{sent_mailing_x}/bounces", A_COORD, data={"emails": "nobody@example.org"})
    ),
    ("mailings.unsubscribe_page", "GET"): row(
        c("/unsubscribe/{unsubscribe_token}", EVERYONE, note="no login: the signed token"),
        c("/unsubscribe/forged-token", status=400, note="attack: forged unsubscribe token"),
    ),
    ("mailings.unsubscribe", "POST"): row(
        c("/unsubscribe/{unsubscribe_token}", EVERYONE, note="one-click, as mail programs POST (no CSRF token)"),
        c("/unsubscribe/forged-token", status=400, note="attack: forged unsubscribe token"),
    ),
    # Mailings through the API (#16): the pages' rules, through the same services.
    ("api_mailings.Mailings", "GET"): row(c("/api/v1/mailings", COORDINATORS, note="attack: members and viewers")),
    ("api_mailings.Mailings", "POST"): row(
        c(
            "/api/v1/mailings",
            A_COORD,
            json={
                "network": "{x1_id}",
                "subject": "API",
                "body": "Hi",
                "audience": {"source": "selection", "ids": [1], "people": "all"},
            },
            note="a draft from node X1; attack: coordinator Y, members, viewers",
        ),
        c(
            "/api/v1/mailings",
            ADMIN,
            json={"network": None, "subject": "API", "body": "Hi", "audience": {"source": "selection", "ids": [1]}},
            note="network-wide: admins only; attack: coordinators",
        ),
    ),  # fmt: skip
    ("api_mailings.MailingDetail", "GET"): row(
        c("/api/v1/mailings/{mailing_x}", A_COORD, note="attack: coordinator Y reading X's draft")
    ),
    ("api_mailings.MailingDetail", "PATCH"): row(
        c("/api/v1/mailings/{mailing_x}", A_COORD, json={"subject": "Changed"}, note="attack: coordinator Y"),
        c("/api/v1/mailings/{sent_mailing_x}", A_COORD, json={"subject": "Changed"}, note="sent: 409"),
    ),
    ("api_mailings.MailingAudience", "GET"): row(
        c("/api/v1/mailings/{mailing_x}/audience", A_COORD, note="who X's draft reaches; attack: coordinator Y")
    ),
    ("api_mailings.MailingSend", "POST"): row(
        c("/api/v1/mailings/{mailing_x}/send", A_COORD, note="attack: coordinator Y sending X's draft"),
        c("/api/v1/mailings/{sent_mailing_x}/send", A_COORD, note="already sent: 409 after the permission"),
    ),
    ("api_mailings.MailingReport", "GET"): row(
        c("/api/v1/mailings/{sent_mailing_x}/report", A_COORD, note="attack: coordinator Y, members, viewers")
    ),
    ("directory.pick", "GET"): row(c("/organizations/pick?field=organization&organization_q=Organisation", EVERYONE)),
    ("directory.merge_pick", "GET"): row(
        c("/organizations/{org_a}/merge", A_COORD),
        c("/organizations/{org_a}/merge?duplicate={company_id}", A_COORD, note="picked: on to the merge page"),
    ),
    ("organizations.detail", "GET"): row(
        c("/organizations/{org_a}", EVERYONE),
        c("/organizations/{org_b}", EVERYONE),
        c("/organizations/{archived_org_a}", LOGGED_IN, denied=("missing",), note="archived: not found for strangers"),
    ),
    ("organizations.history_page", "GET"): row(
        c("/organizations/{org_a}/history", A_SIDE), c("/organizations/{org_b}/history", B_SIDE)
    ),
    ("moderation.changes", "GET"): row(c("/organizations/{org_a}/changes", A_SIDE)),
    ("organizations.edit_records", "GET"): row(c("/organizations/{org_a}/records", A_SIDE)),
    ("graph.organization_graph", "GET"): row(c("/organizations/{org_a}/graph.json", EVERYONE)),
    ("projects.index", "GET"): row(c("/projects", EVERYONE), c("/projects?q=Project&theme=transport", EVERYONE)),
    ("projects.detail", "GET"): row(c("/projects/{project_a}", EVERYONE)),
    ("projects.history_page", "GET"): row(c("/projects/{project_a}/history", A_SIDE)),
    ("projects.outcomes", "GET"): row(c("/projects/{project_a}/outcomes", A_SIDE)),
    ("partnerships.history_page", "GET"): row(c("/partnerships/{partnership_a}/history", A_SIDE)),
    # ------------------------------------------------------------ accounts
    ("auth.login", "GET"): row(c("/login", EVERYONE)),
    ("auth.login", "POST"): row(c("/login", EVERYONE, data={"email": "nobody@example.org", "password": "x"})),
    ("auth.logout", "POST"): row(c("/logout", EVERYONE)),
    ("auth.account", "GET"): row(c("/account", LOGGED_IN)),
    ("auth.account", "POST"): row(c("/account", LOGGED_IN, data={"profile-name": "Renamed", "profile-locale": ""})),
    ("auth.forgot_password", "GET"): row(c("/reset", EVERYONE)),
    ("auth.forgot_password", "POST"): row(c("/reset", EVERYONE, data={"email": "nobody@example.org"})),
    ("auth.reset_password", "GET"): row(
        c("/reset/{reset_token}", EVERYONE),
        c("/reset/forged-token", status=400, note="attack: forged reset token"),
        c("/reset/{expired_reset_token}", status=400, note="attack: expired reset token"),
    ),
    ("auth.reset_password", "POST"): row(
        c("/reset/forged-token", status=400, data={"password": "x" * 12, "confirm": "x" * 12}, note="attack"),
        c(
            "/reset/{used_reset_token}",
            status=400,
            data={"password": "a long passphrase", "confirm": "a long passphrase"},
            note="attack: reused reset token",
        ),
    ),  # fmt: skip
    ("auth.accept_invitation", "GET"): row(
        c("/invitation/{invitation_token}", EVERYONE),
        c("/invitation/forged-token", status=400, note="attack: forged invitation token"),
        c("/invitation/{expired_invitation_token}", status=400, note="attack: expired invitation token"),
        c("/invitation/{used_invitation_token}", status=400, note="attack: reused invitation token"),
        c("/invitation/{reset_token}", status=400, note="attack: a reset token used as an invitation"),
    ),
    ("auth.accept_invitation", "POST"): row(
        c(
            "/invitation/forged-token",
            status=400,
            data={"name": "X", "password": "a long passphrase", "confirm": "a long passphrase"},
            note="attack: forged invitation token",
        ),
        c(
            "/invitation/{used_invitation_token}",
            status=400,
            data={"name": "X", "password": "a long passphrase", "confirm": "a long passphrase"},
            note="attack: reused invitation token",
        ),
    ),  # fmt: skip
    ("api_tokens.index", "GET"): row(c("/account/tokens", LOGGED_IN)),
    ("api_tokens.create", "POST"): row(c("/account/tokens", LOGGED_IN, data={"name": "CI", "scope": "read"})),
    ("api_tokens.revoke", "POST"): row(
        c("/account/tokens/{token_a}/revoke", {"member_a"}, denied=("missing",), note="only one's own tokens")
    ),
    # ------------------------------------------------------------ users administration
    ("admin.users", "GET"): row(c("/admin/users", COORDINATORS)),
    ("admin.invite_user", "GET"): row(c("/admin/users/invite", COORDINATORS)),
    ("admin.invite_user", "POST"): row(
        c(
            "/admin/users/invite",
            {"coordinator_x", "admin"},
            note="member of A invited by X",
            data={"email": "n@example.org", "name": "N", "role": "member", "organization": "org-a"},
        ),
        c(
            "/admin/users/invite",
            ADMIN,
            note="attack: coordinators inviting an admin",
            data={"email": "n@example.org", "name": "N", "role": "admin"},
        ),
    ),  # fmt: skip
    ("admin.change_role", "GET"): row(
        c("/admin/users/{member_a_user}/role", A_COORD), c("/admin/users/{me}/role", ADMIN, only=LOGGED_IN)
    ),
    ("admin.change_role", "POST"): row(
        c(
            "/admin/users/{me}/role",
            NOBODY,
            only=LOGGED_IN,
            data={"role": "admin"},
            note="attack: escalating one's own role",
        ),
        c(
            "/admin/users/{member_b_user}/role",
            ADMIN,
            data={"role": "viewer"},
            note="coordinators grant no viewer role, not even to their own members",
        ),
    ),  # fmt: skip
    ("admin.deactivate_user", "POST"): row(c("/admin/users/{member_a_user}/deactivate", A_COORD)),
    ("admin.reactivate_user", "POST"): row(c("/admin/users/{inactive_member_a_user}/reactivate", A_COORD)),
    ("admin.resend_invitation", "POST"): row(c("/admin/users/{invited_member_a_user}/resend", A_COORD)),
    ("admin.audit", "GET"): row(c("/admin/audit", ADMIN)),
    # ------------------------------------------------------------ editing organisations
    ("organizations.create", "GET"): row(c("/organizations/new", COORDINATORS)),
    ("organizations.create", "POST"): row(
        c("/organizations/new", COORDINATORS, data={"name": "New Org", "kind": "ngo"})
    ),
    ("organizations.edit", "GET"): row(
        c("/organizations/{org_a}/edit", A_SIDE), c("/organizations/{org_b}/edit", B_SIDE)
    ),
    ("organizations.edit", "POST"): row(
        c("/organizations/{org_b}/edit", B_SIDE, data=ORG_FORM, note="attack: coordinator X editing an org only in Y"),
    ),
    ("organizations.archive", "POST"): row(c("/organizations/{org_b}/archive", B_COORD, data={"version": "1"})),
    ("organizations.restore", "POST"): row(c("/organizations/{archived_org_a}/restore", A_COORD)),
    ("memberships.new", "GET"): row(c("/organizations/{org_a}/memberships/new", A_COORD)),
    ("memberships.new", "POST"): row(
        c(
            "/organizations/{org_b}/memberships/new",
            ADMIN,
            data={"network": "{x1_id}", "status": "active"},
            note="attack: coordinator X taking over B (a member of Y) into X1; Y may not add to X1",
        ),
        c(
            "/organizations/{company}/memberships/new",
            A_COORD,
            data={"network": "{x1_id}", "status": "active"},
            denied=("denied", "rejected"),  # Y gets the form back: X1 is not one of her nodes
            note="an organisation in no node yet joins X1",
        ),
    ),  # fmt: skip
    ("memberships.edit", "GET"): row(c("/memberships/{membership_a}/edit", A_COORD)),
    ("memberships.edit", "POST"): row(
        c("/memberships/{membership_b}/edit", B_COORD, data={"status": "suspended", "version": "1"})
    ),
    ("memberships.end", "POST"): row(c("/memberships/{membership_b}/end", B_COORD)),
    ("people.new", "GET"): row(c("/organizations/{org_a}/people/new", A_SIDE)),
    ("people.new", "POST"): row(
        c("/organizations/{org_b}/people/new", B_SIDE, data={"name": "New Person", "email": "np@example.org"})
    ),
    # People A and B are unlisted: to those without rights they do not exist (404, as for a wrong id).
    ("people.edit", "GET"): row(c("/people/{person_a}/edit", A_SIDE, denied=("missing",))),
    ("people.edit", "POST"): row(
        c(
            "/people/{person_b}/edit",
            B_SIDE,
            data=PERSON_FORM,
            denied=("missing",),
            note="attack: member of A editing B's contact",
        )
    ),  # fmt: skip
    ("people.archive", "POST"): row(c("/people/{person_b}/archive", B_SIDE, denied=("missing",))),
    ("people.restore", "POST"): row(c("/people/{archived_person_a}/restore", A_SIDE, denied=("missing",))),
    ("partnerships.new", "GET"): row(c("/organizations/{org_a}/partnerships/new", A_SIDE)),
    ("partnerships.new", "POST"): row(
        c("/organizations/{org_a}/partnerships/new", A_SIDE, data={"partner": "{company}", "kind": "technical"})
    ),
    ("partnerships.edit", "GET"): row(c("/partnerships/{partnership_a}/edit", A_SIDE)),
    ("partnerships.edit", "POST"): row(c("/partnerships/{partnership_b}/edit", B_SIDE, data=PARTNERSHIP_FORM)),
    ("partnerships.archive", "POST"): row(c("/partnerships/{partnership_b}/archive", B_SIDE)),
    ("partnerships.restore", "POST"): row(c("/partnerships/{archived_partnership_a}/restore", A_SIDE)),
    # ------------------------------------------------------------ moderated changes
    ("moderation.queue", "GET"): row(c("/changes", COORDINATORS)),
    ("moderation.node_settings", "GET"): row(c("/networks/node-x1/editing", A_COORD)),
    ("moderation.node_settings", "POST"): row(
        c("/networks/node-x1/editing", A_COORD, data={"fields": ["phone"]}, note="coordinator_y: another node")
    ),
    ("moderation.review", "GET"): row(c("/changes/{change_a}", A_SIDE, note="its member follows it")),
    ("moderation.review", "POST"): row(
        c(
            "/changes/{change_a}",
            A_COORD,
            data={"decision": "approve", "comment": "ok"},
            note="attack: the member approving its own change",
        ),
    ),  # fmt: skip
    ("moderation.withdraw", "POST"): row(c("/changes/{change_a}/withdraw", {"member_a", "admin"})),
    # ------------------------------------------------------------ projects
    ("projects.create", "GET"): row(c("/organizations/{org_a}/projects/new", A_SIDE)),
    ("projects.create", "POST"): row(
        c("/organizations/{org_b}/projects/new", B_SIDE, data={"title": "New", "status": "active"})
    ),
    ("projects.edit", "GET"): row(c("/projects/{project_b}/edit", B_SIDE)),
    ("projects.edit", "POST"): row(
        c("/projects/{project_b}/edit", B_SIDE, data=PROJECT_FORM, note="attack: member of A editing B's project by id")
    ),
    ("projects.archive", "POST"): row(c("/projects/{project_b}/archive", B_SIDE)),
    ("projects.restore", "POST"): row(c("/projects/{archived_project_a}/restore", A_SIDE)),
    ("projects.new_outcome", "GET"): row(c("/projects/{project_a}/outcomes/new", A_SIDE)),
    ("projects.new_outcome", "POST"): row(c("/projects/{project_b}/outcomes/new", B_SIDE, data=OUTCOME_FORM)),
    ("projects.edit_outcome", "GET"): row(c("/outcomes/{outcome_a}/edit", A_SIDE)),
    ("projects.edit_outcome", "POST"): row(c("/outcomes/{outcome_b}/edit", B_SIDE, data=OUTCOME_FORM)),
    ("projects.archive_outcome", "POST"): row(c("/outcomes/{outcome_b}/archive", B_SIDE)),
    ("projects.outcome", "GET"): row(c("/outcomes/{outcome_a}", EVERYONE)),
    ("projects.to_verify", "GET"): row(
        c("/outcomes/to-verify", LOGGED_IN - {"viewer"}, note="each sees only what it may verify; viewers: 403"),
    ),
    ("projects.add_evidence", "POST"): row(
        c("/outcomes/{outcome_b}/evidence", B_SIDE, data={}, note="attacks: member and coordinator of the other side"),
    ),
    ("projects.evidence_file", "GET"): row(
        c("/evidence/{evidence_a}", A_SIDE, note="attacks: member B, coordinator Y, viewer; never public"),
    ),
    ("projects.remove_evidence", "POST"): row(c("/evidence/{evidence_a}/delete", A_SIDE)),
    ("projects.submit_outcome", "POST"): row(
        c("/outcomes/{outcome_a}/submit", A_SIDE, note="attacks: the other organisation, coordinator of Y"),
    ),
    ("projects.verify_outcome", "POST"): row(
        c(
            "/outcomes/{submitted_outcome_a}/verify",
            A_COORD,
            data={"comment": "ok"},
            note="attacks: the organisation's own member (A), member B (no technical role), coordinator of Y",
        ),
    ),  # fmt: skip
    ("projects.return_outcome", "POST"): row(
        c("/outcomes/{submitted_outcome_a}/return", A_COORD, data={"comment": "The invoices are missing."}),
    ),
    ("projects.confirm_participant", "POST"): row(
        c(
            "/projects/{project_a}/participants/{proposed_company_a}/confirm",
            A_COORD,
            note="attacks: member A (who named it), coordinator of Y",
        ),
        c(
            "/projects/{project_a}/participants/{proposed_org_b_a}/confirm",
            B_SIDE | A_COORD,
            note="B confirms itself; attack: member A",
        ),
    ),  # fmt: skip
    ("projects.restore_outcome", "POST"): row(c("/outcomes/{archived_outcome_a}/restore", A_SIDE)),
    # ------------------------------------------------------------ events
    ("events.index", "GET"): row(
        c("/events", EVERYONE), c("/events?q=side&when=all&kind=side_event&country=AZ", EVERYONE)
    ),
    ("events.detail", "GET"): row(c("/events/{event_x}", EVERYONE)),
    ("events.event_ics", "GET"): row(c("/events/{event_x}/calendar.ics", EVERYONE)),
    ("events.node_ics", "GET"): row(c("/events/node/node-x.ics", EVERYONE)),
    ("events.create", "GET"): row(c("/events/new", COORDINATORS)),
    ("events.create", "POST"): row(c("/events/new", COORDINATORS, data=EVENT_FORM)),
    ("events.edit", "GET"): row(c("/events/{event_x}/edit", A_COORD)),
    ("events.edit", "POST"): row(c("/events/{event_x}/edit", A_COORD, data=EVENT_FORM)),
    ("events.archive", "POST"): row(c("/events/{event_x}/archive", A_COORD)),
    ("events.restore", "POST"): row(c("/events/{archived_event_x}/restore", A_COORD)),
    ("events.add_host", "POST"): row(
        c("/events/{event_x}/hosts", A_COORD, data={"organization": "{org_b}", "role": "sponsor"})
    ),
    ("events.remove_host", "POST"): row(c("/events/{event_x}/hosts/{host_a}/remove", A_COORD)),
    ("events.add_agenda_item", "POST"): row(
        c(
            "/events/{event_x}/agenda",
            A_SIDE,
            data={"title": "Panel", "starts_at": "2030-06-01T11:00"},
            note="members of a co-host edit the agenda",
        ),
    ),
    ("events.remove_agenda_item", "POST"): row(c("/events/{event_x}/agenda/{agenda_x}/remove", A_SIDE)),
    ("events.add_speaker", "POST"): row(
        c("/events/{event_x}/agenda/{agenda_x}/speakers", A_SIDE, data={"name": "Speaker", "organization_name": "UN"})
    ),
    ("events.link_speaker", "POST"): row(
        c("/events/{event_x}/agenda/{agenda_x}/speakers/{speaker_x}/link", A_SIDE, data={"person": "{listed_person_a}"})
    ),
    ("events.remove_speaker", "POST"): row(
        c("/events/{event_x}/agenda/{agenda_x}/speakers/{speaker_x}/remove", A_SIDE)
    ),
    ("events.register", "POST"): row(c("/events/{event_x}/register", LOGGED_IN, data={"dietary": ""})),
    ("events.register_person", "POST"): row(
        c(
            "/events/{event_x}/registrations",
            A_COORD,
            data={"person-name": "Guest", "person-email": "guest@example.org"},
        )
    ),
    ("events.cancel", "POST"): row(
        c(
            "/events/{event_x}/registrations/{registration_b}/cancel",
            {"member_b", "coordinator_x", "admin"},
            note="one's own registration, or the coordinators'",
        ),
    ),
    ("events.attend", "POST"): row(
        c("/events/{event_x}/registrations/{registration_b}/attend", A_SIDE, data={"attended": "1"})
    ),
    ("events.registrations", "GET"): row(c("/events/{event_x}/registrations", A_SIDE)),
    ("events.history_page", "GET"): row(
        c("/events/{event_x}/history", A_SIDE, note="registrations hold private answers")
    ),
    ("events.check_in", "GET"): row(c("/events/{event_x}/check-in", A_SIDE)),
    ("events.participants_export", "GET"): row(
        c("/events/{event_x}/participants.csv", A_SIDE), c("/events/{event_x}/participants.xlsx", A_SIDE)
    ),
    ("events.import_registrations", "POST"): row(c("/events/{event_x}/registrations/import", A_COORD, data={})),
    ("events.invite", "POST"): row(c("/events/{event_x}/invite", A_COORD, data={"organizations": "{org_b}"})),
    ("events.invite_selected", "POST"): row(
        c(
            "/events/invite-selected",
            A_COORD,
            data={"event": "{event_x}", "id": "{org_b_id}"},
            note="the directory's bulk action; attack: coordinator of Y with X's event",
        ),
    ),
    ("events.join", "GET"): row(
        c("/events/{event_x}/join/{event_invitation_token}", EVERYONE, note="the signed link is the permission"),
        c("/events/{event_x}/join/forged", status=400, note="attack: a forged link"),
    ),
    ("events.join", "POST"): row(c("/events/{event_x}/join/{event_invitation_token}", EVERYONE, data={"dietary": ""})),
    ("events.record_note", "POST"): row(
        c("/events/{event_x}/notes", A_COORD, data={"kind": "decision", "subject": "Agreed"})
    ),
    ("api_events.Events", "GET"): row(c("/api/v1/events", EVERYONE), c("/api/v1/events?when=all&q=side", EVERYONE)),
    ("api_events.Events", "POST"): row(
        c(
            "/api/v1/events",
            COORDINATORS,
            json={"title": "API event", "starts_at": "2030-01-01T10:00", "ends_at": "2030-01-01T11:00"},
        )
    ),
    ("api_events.EventDetail", "GET"): row(c("/api/v1/events/{event_x}", EVERYONE)),
    ("api_events.EventDetail", "PATCH"): row(c("/api/v1/events/{event_x}", A_COORD, json={"venue": "Hall 2"})),
    ("api_events.EventDetail", "DELETE"): row(c("/api/v1/events/{event_x}", A_COORD)),
    ("api_events.EventRestore", "POST"): row(
        c("/api/v1/events/{archived_event_x}/restore", A_COORD, etag_from="/api/v1/events/{archived_event_x}")
    ),
    ("api_events.EventHosts", "GET"): row(c("/api/v1/events/{event_x}/hosts", EVERYONE)),
    ("api_events.EventHosts", "POST"): row(
        c("/api/v1/events/{event_x}/hosts", A_COORD, json={"organization": "{org_b}", "role": "sponsor"})
    ),
    ("api_events.EventAgenda", "GET"): row(c("/api/v1/events/{event_x}/agenda", EVERYONE)),
    ("api_events.EventAgenda", "POST"): row(
        c("/api/v1/events/{event_x}/agenda", A_SIDE, json={"title": "Panel", "starts_at": "2030-06-01T11:00"})
    ),
    ("api_events.EventRegistrations", "GET"): row(c("/api/v1/events/{event_x}/registrations", A_SIDE)),
    ("api_events.EventRegistrations", "POST"): row(
        c("/api/v1/events/{event_x}/registrations", LOGGED_IN, json={}, note="registering oneself")
    ),
    ("api_events.EventRegistrationImport", "POST"): row(
        c(
            "/api/v1/events/{event_x}/registrations/import",
            A_COORD,
            note="without a file: judged (422) after the permission",
        )
    ),
    ("api_events.RegistrationDetail", "GET"): row(
        c(
            "/api/v1/registrations/{registration_b}",
            {"member_b", "member_a", "coordinator_x", "admin"},
            denied=("missing",),
        )
    ),
    ("api_events.RegistrationCancel", "POST"): row(
        c(
            "/api/v1/registrations/{registration_b}/cancel",
            {"member_b", "coordinator_x", "admin"},
            denied=("missing", "denied"),
        )
    ),
    ("api_events.RegistrationAttendance", "POST"): row(
        c(
            "/api/v1/registrations/{registration_b}/attendance",
            A_SIDE,
            json={"attended": True},
            denied=("missing", "denied"),
        )
    ),
    # ------------------------------------------------------------ initiatives
    ("initiatives.index", "GET"): row(c("/initiatives", EVERYONE), c("/initiatives?q=x&status=active", EVERYONE)),
    ("initiatives.detail", "GET"): row(c("/initiatives/{initiative_x}", EVERYONE)),
    ("initiatives.graph", "GET"): row(c("/initiatives/{initiative_x}/graph.json", EVERYONE)),
    ("initiatives.progress", "GET"): row(c("/initiatives/{initiative_x}/progress.json", EVERYONE)),
    ("initiatives.report", "GET"): row(c("/initiatives/{initiative_x}/report", EVERYONE)),
    ("initiatives.outcomes_csv", "GET"): row(c("/initiatives/{initiative_x}/outcomes.csv", LOGGED_IN)),
    ("initiatives.participants_csv", "GET"): row(c("/initiatives/{initiative_x}/participants.csv", LOGGED_IN)),
    ("initiatives.suggested_partners", "GET"): row(c("/initiatives/{initiative_x}/suggestions", A_COORD)),
    ("initiatives.create", "GET"): row(c("/initiatives/new", COORDINATORS)),
    ("initiatives.create", "POST"): row(
        c("/initiatives/new", COORDINATORS, data={"title": "Joint", "status": "proposed"})
    ),
    ("initiatives.add_organization", "GET"): row(c("/initiatives/add?organization={org_b}", COORDINATORS)),
    ("initiatives.add_organization", "POST"): row(
        c(
            "/initiatives/add?organization={org_b}",
            COORDINATORS,
            data={"initiative": "{initiative_x}", "role": "partner"},
            note="Y coordinates no initiative: sent to create one",
        ),
    ),
    ("initiatives.archive", "POST"): row(c("/initiatives/{initiative_x}/archive", A_COORD)),
    ("initiatives.restore", "POST"): row(c("/initiatives/{initiative_x}/restore", A_COORD)),
    ("initiatives.edit", "GET"): row(c("/initiatives/{initiative_x}/edit", A_COORD)),
    ("initiatives.edit", "POST"): row(
        c("/initiatives/{initiative_x}/edit", A_COORD, data={"title": "Renamed", "status": "active", "version": "1"})
    ),
    ("initiatives.invite", "POST"): row(
        c("/initiatives/{initiative_x}/invite", A_COORD, data={"organization": "{org_b}", "role": "partner"}),
        c("/initiatives/{initiative_x}/invite", A_COORD, data={}, note="an empty form is refused before it is judged"),
    ),
    ("initiatives.remove", "POST"): row(c("/initiatives/{initiative_x}/participants/{participant_a}/remove", A_COORD)),
    ("initiatives.accept", "POST"): row(
        c(
            "/initiatives/{initiative_x}/participants/{participant_b}/accept",
            {"member_b", "admin"},
            note="attack: member of A answering for B",
        ),
    ),  # fmt: skip
    ("initiatives.decline", "POST"): row(
        c("/initiatives/{initiative_x}/participants/{participant_b}/decline", {"member_b", "admin"})
    ),
    ("initiatives.leave", "POST"): row(
        c("/initiatives/{initiative_x}/participants/{participant_a}/leave", {"member_a", "admin"})
    ),
    ("initiatives.set_shares", "POST"): row(c("/initiatives/{initiative_x}/shares", A_COORD, data={})),
    ("initiatives.link_project", "POST"): row(
        c(
            "/initiatives/{initiative_x}/projects",
            {"member_a", "coordinator_x", "admin"},
            data={"project": "{project_a}"},
        ),
    ),  # fmt: skip
    ("initiatives.unlink_project", "POST"): row(
        c("/initiatives/{initiative_x}/projects/{linked_project_a}/unlink", {"member_a", "coordinator_x", "admin"})
    ),
    ("initiatives.answer_for", "POST"): row(
        c(
            "/initiatives/{initiative_x}/participants/{invited_company}/answer",
            A_COORD,
            data=ANSWER_FORM,
            note="attacks: another node's coordinator, the members; only for an organisation without users",
        ),
        c(
            "/initiatives/{initiative_x}/participants/{participant_b}/answer",
            A_COORD,
            data=ANSWER_FORM,
            note="B has users: the coordinator's post is judged and refused (a message), others 403",
        ),
    ),  # fmt: skip
    ("initiatives.change_role", "POST"): row(
        c(
            "/initiatives/{initiative_x}/participants/{participant_a}/role",
            A_COORD,
            data={"role": "lead"},
            note="attacks: coordinator of Y, the participant's own member",
        ),
    ),  # fmt: skip
    ("initiatives.confirm_link", "POST"): row(
        c(
            "/initiatives/{initiative_x}/projects/{proposed_link_project}/confirm",
            A_COORD,
            note="attacks: the member who linked it (B), coordinator of Y",
        ),
    ),  # fmt: skip
    ("initiatives.record_activity", "POST"): row(
        c("/initiatives/{initiative_x}/activities", A_COORD, data=ACTIVITY_FORM),
        c(
            "/initiatives/{initiative_x}/activities",
            A_COORD,
            data={},
            note="an empty form is refused before it is judged",
        ),
    ),
    ("activity.record_organization_activity", "POST"): row(
        c("/organizations/{org_b}/activities", B_SIDE, data=ACTIVITY_FORM),
        c("/organizations/{org_b}/activities", B_SIDE, data={}, note="an empty form is refused before it is judged"),
    ),
    ("notifications.index", "GET"): row(c("/notifications", LOGGED_IN)),
    ("notifications.mark_read", "POST"): row(c("/notifications/read", LOGGED_IN)),
    # each user's own choices of how notices reach them (every notice mail links here)
    ("notifications.preferences_page", "GET"): row(c("/notifications/preferences", LOGGED_IN)),
    ("notifications.preferences_page", "POST"): row(
        c("/notifications/preferences", LOGGED_IN, data={"change_approved": "app", "invitation": "digest"})
    ),
    # ------------------------------------------------------------ imports and duplicates
    ("imports.index", "GET"): row(c("/imports", COORDINATORS)),
    ("imports.index", "POST"): row(c("/imports", COORDINATORS, data={})),
    ("imports.show", "GET"): row(c("/imports/{job_x}", A_COORD)),
    ("imports.progress", "GET"): row(c("/imports/{job_x}/progress", A_COORD)),
    ("imports.commit", "POST"): row(c("/imports/{job_x}/commit", A_COORD)),
    ("imports.undo", "POST"): row(c("/imports/{job_x}/undo", A_COORD)),
    ("imports.export", "GET"): row(c("/imports/export", LOGGED_IN)),
    # a prepared export is for the user who asked for it (and admins)
    ("exports.show", "GET"): row(c("/exports/{export_a}", {"member_a", "admin"})),
    ("exports.progress", "GET"): row(c("/exports/{export_a}/progress", {"member_a", "admin"})),
    ("exports.download", "GET"): row(c("/exports/{export_a}/download", {"member_a", "admin"})),
    ("imports.template", "GET"): row(
        c("/imports/template.csv", COORDINATORS), c("/imports/template.xlsx", COORDINATORS)
    ),
    ("imports.duplicate_queue", "GET"): row(c("/duplicates", COORDINATORS)),
    ("imports.mark_distinct", "POST"): row(
        c("/duplicates/distinct", B_COORD, data={"survivor": "{org_b_id}", "duplicate": "{org_b2_id}"}),
        # attack: a pair reaching into another node's organisation
        c("/duplicates/distinct", frozenset({"admin"}), data={"survivor": "{org_a_id}", "duplicate": "{org_b_id}"}),
    ),
    ("imports.merge", "GET"): row(c("/duplicates/merge?survivor={org_b_id}&duplicate={org_b2_id}", B_COORD)),
    ("imports.merge", "POST"): row(
        c(
            "/duplicates/merge?survivor={org_b_id}&duplicate={org_b2_id}",
            B_COORD,
            data={"survivor": "{org_b_id}", "duplicate": "{org_b2_id}"},
        ),
    ),  # fmt: skip
    # ------------------------------------------------------------ API (bearer tokens; the session is ignored)
    ("api_docs.index", "GET"): row(c("/api/v1/docs", EVERYONE)),
    ("api-docs.openapi_json", "GET"): row(c("/api/v1/openapi.json", EVERYONE)),
    ("api_reference.Regions", "GET"): row(c("/api/v1/regions", EVERYONE)),
    ("api_reference.RegionDetail", "GET"): row(c("/api/v1/regions/KE", EVERYONE)),
    ("api_reference.Themes", "GET"): row(c("/api/v1/themes", EVERYONE)),
    ("api_reference.Networks", "GET"): row(c("/api/v1/networks", EVERYONE)),
    ("api_reference.NetworkDetail", "GET"): row(c("/api/v1/networks/node-x", EVERYONE)),
    ("api_organizations.Organizations", "GET"): row(c("/api/v1/organizations", EVERYONE)),
    ("api_organizations.Organizations", "POST"): row(
        c("/api/v1/organizations", COORDINATORS, json={"name": "API Org", "kind": "ngo"})
    ),
    ("api_organizations.OrganizationDetail", "GET"): row(
        c("/api/v1/organizations/{org_a}", EVERYONE),
        c("/api/v1/organizations/{archived_org_a}", LOGGED_IN, denied=("missing",), note="archived: not found"),
    ),
    ("api_organizations.OrganizationDetail", "PATCH"): row(
        c(
            "/api/v1/organizations/{org_b}",
            B_COORD,
            json={"website": "https://b.example.org"},
            note="attack: coordinator X editing an org only in Y, by the API",
        ),
    ),  # fmt: skip
    ("api_organizations.OrganizationDetail", "DELETE"): row(c("/api/v1/organizations/{org_b}", B_COORD)),
    ("api_organizations.OrganizationChangeRequests", "POST"): row(
        c(
            "/api/v1/organizations/{org_a}/change-requests",
            {"member_a", "admin"},
            json={"acronym": "OA"},
            etag_from="/api/v1/organizations/{org_a}",
            note="members propose changes to their own organisation only",
        ),
    ),  # fmt: skip
    ("api_organizations.OrganizationRestore", "POST"): row(
        c("/api/v1/organizations/{archived_org_a}/restore", A_COORD, etag_from="/api/v1/organizations/{archived_org_a}")
    ),
    ("api_organizations.OrganizationMemberships", "GET"): row(c("/api/v1/organizations/{org_a}/memberships", EVERYONE)),
    ("api_organizations.OrganizationPeople", "GET"): row(c("/api/v1/organizations/{org_a}/people", EVERYONE)),
    ("api_organizations.Memberships", "POST"): row(
        c(
            "/api/v1/memberships",
            ADMIN,
            json={"organization": "{org_b_id}", "network": "{x1_id}", "status": "active"},
            note="attack: coordinator X taking over B by the API",
        ),
        c(
            "/api/v1/memberships",
            A_COORD,
            json={"organization": "{company_id}", "network": "{x1_id}", "status": "active"},
        ),
    ),
    ("api_organizations.MembershipDetail", "GET"): row(c("/api/v1/memberships/{membership_a}", EVERYONE)),
    ("api_organizations.MembershipDetail", "PATCH"): row(
        c("/api/v1/memberships/{membership_b}", B_COORD, json={"status": "suspended"})
    ),
    ("api_organizations.MembershipDetail", "DELETE"): row(c("/api/v1/memberships/{membership_b}", B_COORD)),
    ("api_organizations.People", "POST"): row(
        c("/api/v1/people", B_SIDE, json={"organization": "{org_b_id}", "name": "API Person"})
    ),
    ("api_organizations.PersonDetail", "GET"): row(
        c("/api/v1/people/{listed_person_a}", EVERYONE),
        c("/api/v1/people/{person_a}", A_SIDE, denied=("missing",), note="unlisted: hidden from those without rights"),
    ),
    # Person B is unlisted: to those without rights over B it does not exist (404).
    ("api_organizations.PersonDetail", "PATCH"): row(
        c("/api/v1/people/{person_b}", B_SIDE, json={"title": "Chair"}, denied=("missing",))
    ),
    ("api_organizations.PersonDetail", "DELETE"): row(c("/api/v1/people/{person_b}", B_SIDE, denied=("missing",))),
    ("api_projects.Projects", "GET"): row(c("/api/v1/projects", EVERYONE)),
    ("api_projects.Projects", "POST"): row(
        c("/api/v1/projects", B_SIDE, json={"organization": "{org_b_id}", "title": "API project", "status": "active"})
    ),
    ("api_projects.ProjectDetail", "GET"): row(c("/api/v1/projects/{project_a}", EVERYONE)),
    ("api_projects.ProjectDetail", "PATCH"): row(
        c(
            "/api/v1/projects/{project_b}",
            B_SIDE,
            json={"title": "Renamed"},
            note="attack: member of A editing B's project by id, by the API",
        ),
    ),  # fmt: skip
    ("api_projects.ProjectDetail", "DELETE"): row(c("/api/v1/projects/{project_b}", B_SIDE)),
    ("api_projects.ProjectOutcomes", "GET"): row(c("/api/v1/projects/{project_a}/outcomes", EVERYONE)),
    ("api_projects.ProjectOutcomes", "POST"): row(
        c(
            "/api/v1/projects/{project_b}/outcomes",
            B_SIDE,
            json={"period_start": "2024-01-01", "period_end": "2024-12-31", "tco2e_reduced": "5", "basis": "estimated"},
        ),
    ),  # fmt: skip
    ("api_projects.OutcomeDetail", "GET"): row(c("/api/v1/outcomes/{outcome_a}", EVERYONE)),
    ("api_projects.OutcomeDetail", "PATCH"): row(c("/api/v1/outcomes/{outcome_b}", B_SIDE, json={"note": "checked"})),
    ("api_projects.OutcomeDetail", "DELETE"): row(c("/api/v1/outcomes/{outcome_b}", B_SIDE)),
    ("api_projects.Partnerships", "GET"): row(c("/api/v1/partnerships", EVERYONE)),
    ("api_projects.Partnerships", "POST"): row(
        c(
            "/api/v1/partnerships",
            B_SIDE,
            json={"organization": "{org_b_id}", "partner": "{company}", "kind": "technical"},
        )
    ),
    ("api_projects.PartnershipDetail", "GET"): row(c("/api/v1/partnerships/{partnership_a}", EVERYONE)),
    ("api_projects.PartnershipDetail", "PATCH"): row(
        c("/api/v1/partnerships/{partnership_b}", B_SIDE, json={"description": "x"})
    ),
    ("api_projects.PartnershipDetail", "DELETE"): row(c("/api/v1/partnerships/{partnership_b}", B_SIDE)),
    ("api_initiatives.Initiatives", "GET"): row(c("/api/v1/initiatives", EVERYONE)),
    ("api_initiatives.Initiatives", "POST"): row(
        c("/api/v1/initiatives", COORDINATORS, json={"title": "API initiative", "status": "proposed"})
    ),
    ("api_initiatives.InitiativeDetail", "GET"): row(c("/api/v1/initiatives/{initiative_x}", EVERYONE)),
    ("api_initiatives.InitiativeDetail", "PATCH"): row(
        c("/api/v1/initiatives/{initiative_x}", A_COORD, json={"goal": "More"})
    ),
    ("api_initiatives.InitiativeDetail", "DELETE"): row(c("/api/v1/initiatives/{initiative_x}", A_COORD)),
    ("api_initiatives.InitiativeParticipants", "GET"): row(
        c("/api/v1/initiatives/{initiative_x}/participants", EVERYONE)
    ),
    ("api_initiatives.InitiativeParticipants", "POST"): row(
        c(
            "/api/v1/initiatives/{initiative_x}/participants",
            A_COORD,
            json={"organization": "{company}", "role": "partner"},
            etag_from="/api/v1/initiatives/{initiative_x}",
        ),
    ),  # fmt: skip
    ("api_initiatives.ParticipantDetail", "GET"): row(
        c("/api/v1/participants/{participant_a}", EVERYONE),
        # B's invitation is its own, the initiative's managers' and its participants' business
        c(
            "/api/v1/participants/{participant_b}",
            LOGGED_IN - {"viewer"},
            denied=("missing",),
            note="invitation not accepted: hidden from others",
        ),
    ),  # fmt: skip
    ("api_initiatives.ParticipantDetail", "DELETE"): row(c("/api/v1/participants/{participant_a}", A_COORD)),
    ("api_initiatives.ParticipantLeave", "POST"): row(
        c(
            "/api/v1/participants/{participant_a}/leave",
            {"member_a", "admin"},
            etag_from="/api/v1/participants/{participant_a}",
        )
    ),
    ("api_initiatives.ParticipantResponse", "POST"): row(
        c(
            "/api/v1/participants/{participant_b}/response",
            {"member_b", "admin"},
            json={"accept": True},
            etag_from="/api/v1/participants/{participant_b}",
            denied=("denied", "missing"),  # the invitation is hidden from those who may not see it
            note="attack: member of A answering for B, by the API",
        ),
    ),  # fmt: skip
}


# ---------------------------------------------------------------- the world the requests act on


class Targets:
    """Records of every kind on both sides (A in X1, B in Y), archived ones to restore, tokens."""

    def __init__(self, app, world):
        w = self.world = world
        now = datetime.now(UTC)
        company = f.organization("Firm C", slug="firm-c", kind="company")
        org_b2 = f.organization("Organisation B Duplicate", slug="org-b2", networks=[w.y])
        archived_org_a = f.organization("Old A", slug="old-a", networks=[w.x1], archived_at=now)
        person_a, person_b = f.person(w.org_a, "Pat A"), f.person(w.org_b, "Pat B")
        listed_person_a = f.person(w.org_a, "Listed Pat", consent_to_list=True)
        archived_person_a = f.person(w.org_a, "Old Pat", archived_at=now)
        partnership_a = f.partnership(w.org_a, company)
        partnership_b = f.partnership(w.org_b, company)
        company_d = f.organization("Firm D", slug="firm-d", kind="company")
        archived_partnership_a = f.partnership(w.org_a, company_d, archived_at=now)
        archived_project_a = f.project(w.org_a, "Old project", archived_at=now)
        outcome_a, outcome_b = f.outcome(w.project_a), f.outcome(w.project_b)
        archived_outcome_a = f.outcome(w.project_a, year=2023, archived_at=now)
        initiative_x = f.initiative("Convened by X", slug="convened-by-x", network=w.x, status="active")
        participant_a = f.participant(initiative_x, w.org_a, role="partner", status="accepted")
        participant_b = f.participant(initiative_x, w.org_b, role="partner", status="invited")

        db.session.add(InitiativeProject(initiative=initiative_x, project=w.project_a))
        invited_company = f.participant(initiative_x, company, role="technical", status="invited")
        # Linked by B's member and not confirmed yet; named on A's project by A's member, not confirmed yet
        proposed_link = InitiativeProject(initiative=initiative_x, project=w.project_b, status="proposed")
        proposed_company_a = ProjectParticipant(
            project=w.project_a, organization=company, role="funder", status="proposed"
        )
        proposed_org_b_a = ProjectParticipant(
            project=w.project_a, organization=w.org_b, role="partner", status="proposed"
        )
        db.session.add_all([proposed_link, proposed_company_a, proposed_org_b_a])
        evidence_a = projects.add_evidence(f.SETUP, outcome_a, "meter.pdf", io.BytesIO(b"%PDF-1.4 evidence"))
        submitted_outcome_a = f.outcome(w.project_a, year=2022)
        projects.add_evidence(f.SETUP, submitted_outcome_a, "invoice.pdf", io.BytesIO(b"%PDF-1.4 invoice"))
        projects.submit_outcome(f.SETUP, submitted_outcome_a)
        change_a = ChangeRequest(organization=w.org_a, proposed_by=w.users["member_a"],
                                 changes={"acronym": [None, "OA"]}, base_version=w.org_a.version)  # fmt: skip
        job_x = ImportJob(user_id=w.users["coordinator_x"].id, filename="members.csv", status="previewed")
        saved_a = SavedSearch(user_id=w.users["member_a"].id, name="Mine", query="q=a", share_token="s" * 32)
        notice = Notification(user_id=w.users["member_a"].id, message="Hello")
        export_a = ExportJob(user_id=w.users["member_a"].id, format="csv", params={}, status="done", row_count=2,
                             file_name="export-matrix.csv", finished_at=now)  # fmt: skip
        (exporting.export_folder() / "export-matrix.csv").write_text("name\n")
        db.session.add_all([change_a, job_x, saved_a, notice, export_a])
        inactive = f.user("member", organization=w.org_a, active=False)
        invited = accounts.invite_user(w.users["admin"], email="invited@example.org", name="Inv", role="member",
                                       organization=w.org_a, link_to=lambda token: token)  # fmt: skip
        # Tokens: bearer tokens for the API, one per role; member A's to revoke.
        self.bearer = {
            role: tokens.create_token(user, "matrix", scope="read-write").secret for role, user in w.users.items()
        }
        token_a = tokens.create_token(w.users["member_a"], "spare", scope="read").token
        used_invited = accounts.invite_user(w.users["admin"], email="used@example.org", name="Used", role="viewer",
                                            link_to=lambda token: token)  # fmt: skip
        db.session.flush()
        # Used links: their nonce is recorded, as accepting would (without slow password hashing).
        used_invitation_token = accounts.make_token("invitation", used_invited)
        used_reset_token = accounts.make_token("reset", w.users["viewer"])
        for purpose, token in (("invitation", used_invitation_token), ("reset", used_reset_token)):
            db.session.add(UsedToken(nonce=accounts.read_token(purpose, token, 3600)[1]))
        db.session.flush()
        real = TimestampSigner.get_timestamp
        TimestampSigner.get_timestamp = lambda self: real(self) - 30 * 86400
        try:
            expired_invitation_token = accounts.make_token("invitation", invited)
            expired_reset_token = accounts.make_token("reset", w.users["member_b"])
        finally:
            TimestampSigner.get_timestamp = real
        # Events convened by X, co-hosted by A; B's member registered; one archived
        from network.services import archiving, events
        from network.services.events import invitations

        event_x = events.create_event(f.SETUP, {"title": "Side event X", "status": "open", "capacity": 10,
                                                "starts_at": "2030-06-01T10:00", "ends_at": "2030-06-01T12:00",
                                                "timezone": "Asia/Baku", "network": w.x.id})  # fmt: skip
        host_a = events.add_host(f.SETUP, event_x, w.org_a, "co_host")
        agenda_x = events.add_agenda_item(f.SETUP, event_x, {"title": "Opening", "starts_at": "2030-06-01T10:00",
                                                             "speakers": [{"name": "Guest Speaker"}]})  # fmt: skip
        registration_b = events.register(w.users["member_b"], event_x)
        archived_event_x = events.create_event(f.SETUP, {"title": "Old event X", "starts_at": "2024-06-01T10:00",
                                                         "ends_at": "2024-06-01T12:00", "network": w.x.id})  # fmt: skip
        archiving.archive(f.SETUP, archived_event_x)
        invited_person = f.person(w.org_b, "Invited Person", email="invited.person@example.org")
        invitation_tokens = []
        invitations.invite_people(f.SETUP, event_x, [invited_person],
                                  lambda e, token: invitation_tokens.append(token) or token)  # fmt: skip
        self.values = {
            "org_a": w.org_a.slug, "org_a_id": w.org_a.id, "org_b": w.org_b.slug, "org_b_id": w.org_b.id, "org_b2_id": org_b2.id,
            "archived_org_a": archived_org_a.slug, "company": company.slug, "company_id": company.id,
            "x1_id": w.x1.id, "project_a": w.project_a.id, "project_b": w.project_b.id,
            "archived_project_a": archived_project_a.id, "linked_project_a": w.project_a.id,
            "person_a": person_a.id, "person_b": person_b.id, "listed_person_a": listed_person_a.id, "archived_person_a": archived_person_a.id,
            "membership_a": w.org_a.memberships[0].id, "membership_b": w.org_b.memberships[0].id,
            "partnership_a": partnership_a.id, "partnership_b": partnership_b.id,
            "archived_partnership_a": archived_partnership_a.id,
            "outcome_a": outcome_a.id, "outcome_b": outcome_b.id, "archived_outcome_a": archived_outcome_a.id,
            "initiative_x": initiative_x.slug, "participant_a": participant_a.id, "participant_b": participant_b.id,
            "invited_company": invited_company.id, "proposed_link_project": w.project_b.id,
            "proposed_company_a": proposed_company_a.id, "proposed_org_b_a": proposed_org_b_a.id,
            "evidence_a": evidence_a.id, "evidence_a_stored": evidence_a.stored_name,
            "submitted_outcome_a": submitted_outcome_a.id,
            "change_a": None, "job_x": None, "saved_a": None, "saved_a_token": saved_a.share_token,
            "token_a": token_a.id, "member_a_user": w.users["member_a"].id, "member_b_user": w.users["member_b"].id,
            "inactive_member_a_user": inactive.id, "invited_member_a_user": invited.id,
            "invitation_token": accounts.make_token("invitation", invited),
            "used_invitation_token": used_invitation_token, "expired_invitation_token": expired_invitation_token,
            "reset_token": accounts.make_token("reset", w.users["member_a"]),
            "used_reset_token": used_reset_token, "expired_reset_token": expired_reset_token,
            "event_x": event_x.slug, "event_x_id": event_x.id, "host_a": host_a.id, "agenda_x": agenda_x.id,
            "speaker_x": agenda_x.speakers[0].id, "registration_b": registration_b.id,
            "archived_event_x": archived_event_x.slug, "event_invitation_token": invitation_tokens[0],
        }  # fmt: skip
        # Tags of node X and node Y, and coordinator X's saved search (bulk actions and tags).
        tag_x, tag_y = Tag(name="X list", network_id=w.x.id), Tag(name="Y list", network_id=w.y.id)
        saved_x = SavedSearch(user_id=w.users["coordinator_x"].id, name="X search", query="q=organisation",
                              share_token="x" * 32)  # fmt: skip
        db.session.add_all([tag_x, tag_y, saved_x])
        db.session.flush()
        self.values |= {"tag_x": tag_x.id, "tag_y": tag_y.id, "saved_x": saved_x.id}
        # Mailings of node X: a draft, and a sent one with a delivery to person A (its unsubscribe link).
        mailing_x = Mailing(network_id=w.x.id, subject="Draft X", body="Hello {{ name }}",
                            audience={"source": "node", "ref": str(w.x1.id), "people": "all"})  # fmt: skip
        sent_mailing_x = Mailing(network_id=w.x.id, subject="Sent X", body="Hi", status="sent", sent_at=now,
                                 audience={"source": "node", "ref": str(w.x1.id), "people": "all"})  # fmt: skip
        db.session.add_all([mailing_x, sent_mailing_x])
        db.session.flush()
        delivery_a = MailingDelivery(mailing_id=sent_mailing_x.id, person_id=person_a.id, organization_id=w.org_a.id,
                                     name="Pat A", email="pat@example.org", status="sent", sent_at=now)  # fmt: skip
        db.session.add(delivery_a)
        db.session.flush()
        self.values |= {"mailing_x": mailing_x.id, "sent_mailing_x": sent_mailing_x.id,
                        "unsubscribe_token": sending.unsubscribe_token(delivery_a)}  # fmt: skip
        db.session.flush()
        self.values.update(change_a=change_a.id, job_x=job_x.id, saved_a=saved_a.id, export_a=export_a.id)
        db.session.commit()

    def fill(self, template, role: str):
        """The template (a path, or a form/JSON dict) with the targets' values filled in."""
        values = {**self.values, "me": self.world.users[role].id if role != "anonymous" else 0}
        if isinstance(template, str):
            name = template[1:-1]
            if template.startswith("{") and template.endswith("}") and name in values:
                return values[name]  # a lone placeholder keeps its type (ids stay numbers in JSON)
            return template.format(**values)
        return {k: self.fill(v, role) if isinstance(v, str) else v for k, v in template.items()}


def outcome_of(response, role: str, api: bool) -> str:
    """ok (got through), denied, invalid (400: a bad link or form), missing (404) or error (5xx)."""
    status = response.status_code
    location = response.headers.get("Location", "")
    if status >= 500:
        return "error"
    if status in (401, 403):
        return "denied"
    if status in (301, 302, 303) and "/login?next=" in location:
        # Sent to log in: a refusal for visitors; for a logged-in user the session was lost.
        return "denied" if role == "anonymous" else "error"
    if status == 404:
        return "missing"
    if status == 400:
        return "invalid"
    if status in (409, 422, 428):
        return "rejected"  # the input was judged (conflict, invalid, no If-Match)
    return "ok"


def expected_outcome(case: Case, role: str) -> frozenset:
    """The outcomes this role may get."""
    if case.status is not None:
        return frozenset({{400: "invalid", 404: "missing"}.get(case.status, "ok" if case.status < 400 else "denied")})
    if role in case.allowed:
        return frozenset({"ok", "rejected"})
    denied = {case.denied} if isinstance(case.denied, str) else set(case.denied)
    return frozenset(denied | ({"denied"} if role == "anonymous" else set()))


def send(app, targets: Targets, method: str, case: Case, role: str):
    from tests.conftest import login

    client = app.test_client()
    path = targets.fill(case.path, role)
    api = path.startswith("/api/")
    headers = {}
    if api and role != "anonymous":
        headers["Authorization"] = f"Bearer {targets.bearer[role]}"
    elif role != "anonymous":
        login(client, targets.world.users[role])
    kwargs = {"headers": headers}
    if case.json is not None or (api and method in MUTATING):
        kwargs["json"] = targets.fill(case.json or {}, role)
    etag_path = case.etag_from or (case.path if method in ("PATCH", "DELETE") else None)
    if api and etag_path:
        # The record's current version, as anyone who may read it would send it.
        read = app.test_client().get(
            targets.fill(etag_path, role), headers={"Authorization": f"Bearer {targets.bearer['admin']}"}
        )
        headers["If-Match"] = read.headers.get("ETag", '"1"')
    elif case.data is not None:
        kwargs["data"] = targets.fill(case.data, role)
    response = client.open(path, method=method, **kwargs)
    return outcome_of(response, role, api), response


def cases_of(kind: str):
    """(id, endpoint, method, case[, role]) for pytest: 'read' rows, 'refused' and 'allowed' runs."""
    for (endpoint, method), cases in TABLE.items():
        for index, case in enumerate(cases):
            ident = f"{method} {endpoint} #{index}"
            if (kind == "read") == (method not in MUTATING) and kind in ("read", "refused"):
                yield pytest.param(method, case, id=ident)
            elif kind == "allowed" and method in MUTATING:
                for role in sorted(ROLE_NAMES):
                    if role in case.only and "ok" in expected_outcome(case, role):
                        yield pytest.param(method, case, role, id=f"{ident} as {role}")


@pytest.fixture
def targets(app, world, snapshots):
    """Built by the first test, copied into the database of each other one (each may write to its own)."""

    def build():
        made = Targets(app, world)
        return {"values": made.values, "bearer": made.bearer}

    kept = snapshots.use("permission-matrix", build)
    targets = Targets.__new__(Targets)
    targets.world, targets.values, targets.bearer = world, dict(kept["values"]), kept["bearer"]
    (exporting.export_folder() / "export-matrix.csv").write_text("name\n")  # the instance folder is the test's own
    (projects.evidence_dir() / targets.values["evidence_a_stored"]).write_bytes(b"%PDF-1.4 evidence")
    return targets


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("method,case", list(cases_of("read")))
def test_reading(app, targets, method, case):
    roles = [r for r in ROLE_NAMES if r in case.only]
    got = {role: send(app, targets, method, case, role)[0] for role in roles}
    expected = {role: expected_outcome(case, role) for role in roles}
    assert differences(got, expected) == {}, case.note


def differences(got: dict, expected: dict) -> dict:
    return {role: f"{got[role]} (expected {'/'.join(sorted(expected[role]))})" for role in got
            if got[role] not in expected[role]}  # fmt: skip


@pytest.mark.parametrize("method,case", list(cases_of("refused")))
def test_refused_writes_change_nothing(app, targets, method, case):
    roles = [r for r in ROLE_NAMES if r in case.only and "ok" not in expected_outcome(case, r)]
    before = audit_count()
    got = {role: send(app, targets, method, case, role)[0] for role in roles}
    expected = {role: expected_outcome(case, role) for role in roles}
    assert differences(got, expected) == {}, case.note
    db.session.expire_all()
    assert audit_count() == before, "a refused request changed data"


@pytest.mark.parametrize("method,case,role", list(cases_of("allowed")))
def test_allowed_write(app, targets, method, case, role):
    got, response = send(app, targets, method, case, role)
    assert got in expected_outcome(case, role), (case.note, response.status_code, response.data[:300])


def test_every_route_is_in_the_table(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(routes - set(TABLE))
    assert missing == [], "routes without a row in TABLE (decide who may use them): " + ", ".join(map(str, missing))
    stale = sorted(set(TABLE) - routes)
    assert stale == [], "rows for routes that no longer exist: " + ", ".join(map(str, stale))


def test_matrix_size():
    """The matrix covers every route × the seven roles (reported in the issue note)."""
    requests = sum(len(cases) for cases in TABLE.values()) * len(ROLE_NAMES)
    assert len(TABLE) >= 100 and requests >= 700
