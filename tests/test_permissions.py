"""Unit tests for every rule in network/permissions.py, for every role of the shared world.

Each row: the action, the object it is asked about, and the roles that may do it. Admins may do
everything; every other role is checked both ways (allowed ones True, all others False).
"""

import ast
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from network import permissions
from network.errors import PermissionDenied
from network.extensions import db
from network.models import ApiToken, ChangeRequest, ExportJob, ImportJob, Notification, SavedSearch
from network.models.tag import Tag
from network.models.user import ROLES
from network.permissions import RULES, Grant, can, require
from tests import factories as f
from tests.conftest import ROLE_NAMES, freeze, thaw

EVERYONE = set(ROLE_NAMES)
LOGGED_IN = EVERYONE - {"anonymous"}
ADMIN = {"admin"}
COORDINATORS = {"coordinator_x", "coordinator_y"}
A_SIDE = {"member_a", "coordinator_x"}  # who has rights over organisation A (admin implied)
B_SIDE = {"member_b", "coordinator_y"}


class Things:
    """The objects the rules are asked about, built on the shared world."""

    def __init__(self, world):
        w = self.world = world
        self.archived_org = f.organization("Old Org", networks=[w.x1], archived_at=datetime.now(UTC))
        self.company = f.organization("Firm C", kind="company")  # no membership anywhere
        self.listed = f.person(w.org_a, "Listed Person", consent_to_list=True, phone="+254 700 000000")
        self.unlisted = f.person(w.org_a, "Unlisted Person", consent_to_list=False)
        self.membership_a = w.org_a.memberships[0]
        self.membership_b = w.org_b.memberships[0]
        self.change = ChangeRequest(
            organization=w.org_a, proposed_by=w.users["member_a"], changes={"name": ["A", "A2"]}, base_version=1
        )
        self.initiative_x = f.initiative("Convened by X", network=w.x)
        self.participant_a = f.participant(self.initiative_x, w.org_a, role="partner", status="accepted")
        self.invited_c = f.participant(self.initiative_x, self.company, role="partner", status="invited")
        self.partnership_ab = f.partnership(w.org_a, w.org_b)
        self.partnership_ac = f.partnership(w.org_a, self.company)
        # Project A linked (confirmed) to an initiative where org B is the technical partner: B verifies A
        self.initiative_v = f.initiative("Verified by B", network=w.x)
        f.participant(self.initiative_v, w.org_a, role="lead", status="accepted")
        f.participant(self.initiative_v, w.org_b, role="technical", status="accepted")
        from network.services.initiatives import link_project

        self.link_v = link_project(f.SETUP, self.initiative_v, w.project_a)
        self.notice_a = Notification(user_id=w.users["member_a"].id, message="Hello")
        self.job_x = ImportJob(user_id=w.users["coordinator_x"].id, filename="members.xlsx")
        db.session.add_all([self.change, self.notice_a, self.job_x])
        db.session.flush()
        db.session.commit()


@pytest.fixture
def things(world, snapshots):
    """Built by the first test and copied for the others (a test that changes them changes its own copy)."""
    frozen = snapshots.use(
        "permission-things", lambda: freeze({k: v for k, v in vars(Things(world)).items() if k != "world"})
    )
    made = Things.__new__(Things)
    made.world = world
    vars(made).update(thaw(frozen))
    return made


def u(world, role_name):
    return None if role_name == "anonymous" else world.users[role_name]


# (action, object builder, roles allowed besides admin; for OWNER_ONLY actions, the roles allowed,
# admin only when listed). Object builders take Things.
def _event(t, **values):
    """An event convened by node X and co-hosted by organisation A (plain values: the rules read only these)."""
    base = {"network": t.world.x, "hosts": [SimpleNamespace(organization_id=t.world.org_a.id)], "status": "open",
            "is_archived": False}  # fmt: skip
    return SimpleNamespace(**{**base, **values})


def _registration(t, role):
    return SimpleNamespace(user_id=t.world.users[role].id, event=_event(t))


CASES = [
    # Reading
    # Mailings: coordinators write from their nodes (and nodes below); network-wide only admins
    ("mailing.list", lambda t: None, {"coordinator_x", "coordinator_y"}),
    ("mailing.create", lambda t: t.world.x, {"coordinator_x"}),
    ("mailing.create", lambda t: t.world.x1, {"coordinator_x"}),
    ("mailing.create", lambda t: t.world.y, {"coordinator_y"}),
    ("mailing.create", lambda t: None, set()),
    ("mailing.view", lambda t: SimpleNamespace(network=t.world.x1), {"coordinator_x"}),
    ("mailing.view", lambda t: SimpleNamespace(network=None), set()),
    ("mailing.update", lambda t: SimpleNamespace(network=t.world.y), {"coordinator_y"}),
    ("mailing.send", lambda t: SimpleNamespace(network=t.world.x), {"coordinator_x"}),
    ("mailing.send", lambda t: SimpleNamespace(network=t.world.y), {"coordinator_y"}),
    # Events: coordinators of X manage; members of the co-host A organise; the registrant owns theirs
    ("event.view", lambda t: _event(t), EVERYONE),
    ("event.view", lambda t: _event(t, is_archived=True), {"coordinator_x"}),
    ("event.create", lambda t: None, COORDINATORS),
    ("event.create", lambda t: t.world.y, {"coordinator_y"}),
    ("event.update", lambda t: _event(t), {"coordinator_x"}),
    ("event.update", lambda t: _event(t, network=t.world.y), {"coordinator_y"}),
    ("event.edit_agenda", lambda t: _event(t), {"coordinator_x", "member_a"}),
    ("event.view_registrations", lambda t: _event(t), {"coordinator_x", "member_a"}),
    ("event.check_in", lambda t: _event(t), {"coordinator_x", "member_a"}),
    ("event.register", lambda t: _event(t), LOGGED_IN),
    ("event.register", lambda t: _event(t, status="full"), LOGGED_IN),
    ("event.register", lambda t: _event(t, status="planned"), set()),
    ("event.register_others", lambda t: _event(t), {"coordinator_x"}),
    ("event.invite", lambda t: _event(t), {"coordinator_x"}),
    ("event.record_note", lambda t: _event(t), {"coordinator_x"}),
    ("registration.view", lambda t: _registration(t, "member_b"), {"member_b", "coordinator_x", "member_a"}),
    ("registration.cancel", lambda t: _registration(t, "member_b"), {"member_b", "coordinator_x"}),
    ("registration.view_answers", lambda t: _registration(t, "viewer"), {"viewer", "coordinator_x", "member_a"}),
    ("directory.view", lambda t: None, EVERYONE),
    ("organization.view", lambda t: t.world.org_a, EVERYONE),
    ("organization.view", lambda t: t.archived_org, LOGGED_IN),
    ("organization.view_private", lambda t: t.world.org_a, A_SIDE),
    ("organization.view_private", lambda t: t.world.org_b, B_SIDE),
    ("organization.view_private", lambda t: t.company, set()),
    ("person.view", lambda t: t.listed, EVERYONE),
    ("person.view", lambda t: t.unlisted, A_SIDE),
    ("project.view", lambda t: t.world.project_a, EVERYONE),
    ("initiative.view", lambda t: t.initiative_x, EVERYONE),
    ("network.view", lambda t: t.world.x, EVERYONE),
    ("directory.export", lambda t: None, LOGGED_IN),
    ("search.save", lambda t: None, LOGGED_IN),
    ("export.view", lambda t: ExportJob(user_id=t.world.users["member_a"].id, format="csv"), {"member_a"}),
    # Organisations
    ("organization.create", lambda t: None, COORDINATORS),
    ("organization.create", lambda t: t.world.x1, {"coordinator_x"}),
    ("organization.create", lambda t: t.world.y, {"coordinator_y"}),
    ("organization.update", lambda t: t.world.org_a, {"coordinator_x"}),
    ("organization.update", lambda t: t.world.org_b, {"coordinator_y"}),
    ("organization.update", lambda t: t.company, set()),
    ("organization.propose_change", lambda t: t.world.org_a, {"member_a"}),
    ("organization.archive", lambda t: t.world.org_a, {"coordinator_x"}),
    ("organization.merge", lambda t: t.world.org_b, {"coordinator_y"}),
    ("organization.import", lambda t: None, COORDINATORS),
    ("organization.import", lambda t: t.world.x, {"coordinator_x"}),
    ("organization.without_node", lambda t: None, set()),
    ("duplicates.review", lambda t: None, COORDINATORS),
    ("import.undo", lambda t: t.job_x, {"coordinator_x"}),
    ("import.view", lambda t: t.job_x, {"coordinator_x"}),
    ("import.commit", lambda t: t.job_x, {"coordinator_x"}),
    ("import.view_all", lambda t: None, set()),
    # Moderated changes: the member cannot approve its own change
    ("change_request.review", lambda t: t.change, {"coordinator_x"}),
    ("change_request.view", lambda t: t.change, A_SIDE),
    ("change_request.withdraw", lambda t: t.change, {"member_a"}),
    ("change_request.queue", lambda t: None, COORDINATORS),
    ("history.view", lambda t: t.world.org_a, A_SIDE),
    ("partnership.view_history", lambda t: t.partnership_ab, A_SIDE | B_SIDE),
    ("partnership.view_history", lambda t: t.partnership_ac, A_SIDE),
    # Memberships, people, projects, outcomes, partnerships
    ("membership.manage", lambda t: t.membership_a, {"coordinator_x"}),
    ("membership.manage", lambda t: t.membership_b, {"coordinator_y"}),
    # Adding: into one's own nodes, organisations one manages or that belong to no node yet
    ("membership.add", lambda t: SimpleNamespace(network=t.world.y, organization=t.world.org_a), set()),
    ("membership.add", lambda t: SimpleNamespace(network=t.world.x1, organization=t.world.org_a), {"coordinator_x"}),
    ("membership.add", lambda t: SimpleNamespace(network=t.world.x1, organization=t.world.org_b), set()),
    ("membership.add", lambda t: SimpleNamespace(network=t.world.x1, organization=t.company), {"coordinator_x"}),
    ("person.manage", lambda t: t.world.org_a, A_SIDE),
    ("project.create", lambda t: t.world.org_b, B_SIDE),
    ("project.update", lambda t: t.world.project_a, A_SIDE),
    ("project.update", lambda t: t.world.project_b, B_SIDE),
    ("outcome.manage", lambda t: t.world.project_a, A_SIDE),
    ("partnership.manage", lambda t: t.world.org_a, A_SIDE),
    ("partnership.update", lambda t: t.partnership_ab, A_SIDE | B_SIDE),
    ("partnership.update", lambda t: t.partnership_ac, A_SIDE),
    # Initiatives
    ("initiative.create", lambda t: None, COORDINATORS),
    ("initiative.create", lambda t: t.world.x, {"coordinator_x"}),
    ("initiative.update", lambda t: t.initiative_x, {"coordinator_x"}),
    ("initiative.manage_participants", lambda t: t.initiative_x, {"coordinator_x"}),
    ("initiative.view_private", lambda t: t.initiative_x, {"coordinator_x", "member_a"}),
    ("participation.respond", lambda t: t.participant_a, {"member_a"}),
    # An accepted participant is public; an open invitation only to the initiative's own people
    ("participant.view", lambda t: t.participant_a, EVERYONE),
    ("participant.view", lambda t: t.invited_c, {"coordinator_x", "member_a"}),
    ("initiative.link_project", lambda t: (t.initiative_x, t.world.project_a), {"coordinator_x", "member_a"}),
    ("initiative.link_project", lambda t: (t.initiative_x, t.world.project_b), {"coordinator_x"}),
    ("initiative.export", lambda t: t.initiative_x, LOGGED_IN),
    # Answering for an organisation: only one without user accounts (the firm), by its initiative's coordinators
    ("participant.answer_for", lambda t: t.invited_c, {"coordinator_x"}),
    ("participant.answer_for", lambda t: t.participant_a, set()),
    ("participant.change_role", lambda t: t.participant_a, {"coordinator_x"}),
    ("initiative.confirm_link", lambda t: t.link_v, {"coordinator_x"}),
    # Verifying: never the organisation itself; its coordinators and the technical partner of a linked initiative
    ("outcome.verify", lambda t: SimpleNamespace(project=t.world.project_a), {"coordinator_x", "member_b"}),
    ("outcome.verify", lambda t: SimpleNamespace(project=t.world.project_b), {"coordinator_y"}),
    ("outcome.queue", lambda t: None, {"member_a", "member_b", "coordinator_x", "coordinator_y"}),
    ("outcome.view_evidence", lambda t: SimpleNamespace(project=t.world.project_a), A_SIDE | {"member_b"}),
    ("outcome.view_evidence", lambda t: SimpleNamespace(project=t.world.project_b), B_SIDE),
    # Confirming a participant named on a project: that organisation, or a coordinator of either side
    (
        "project_participant.confirm",
        lambda t: SimpleNamespace(organization=t.world.org_b, project=t.world.project_a),
        {"member_b", "coordinator_y", "coordinator_x"},
    ),
    (
        "project_participant.confirm",
        lambda t: SimpleNamespace(organization=t.company, project=t.world.project_a),
        {"coordinator_x"},
    ),
    ("activity.view", lambda t: t.initiative_x, {"coordinator_x", "member_a"}),
    ("activity.view", lambda t: t.world.org_b, B_SIDE),
    ("activity.record", lambda t: t.initiative_x, {"coordinator_x"}),
    ("activity.record", lambda t: t.world.org_a, A_SIDE),
    ("notification.view", lambda t: t.notice_a, {"member_a"}),
    ("notification.view", lambda t: None, LOGGED_IN),
    # Users: coordinators grant only inside their own scope; admins alone grant admin and viewer
    ("user.list", lambda t: None, COORDINATORS),
    ("user.invite", lambda t: Grant("admin"), set()),
    ("user.invite", lambda t: Grant("viewer"), set()),
    ("user.invite", lambda t: Grant("coordinator", networks=[t.world.x1]), {"coordinator_x"}),
    ("user.invite", lambda t: Grant("coordinator", networks=[t.world.x, t.world.y]), set()),
    ("user.invite", lambda t: Grant("coordinator", networks=[]), set()),
    ("user.invite", lambda t: Grant("member", organization=t.world.org_a), {"coordinator_x"}),
    ("user.invite", lambda t: Grant("member", organization=t.world.org_b), {"coordinator_y"}),
    ("user.invite", lambda t: Grant("member", organization=t.company), set()),
    ("user.grant_role", lambda t: "admin", set()),
    ("user.grant_role", lambda t: "viewer", set()),
    ("user.grant_role", lambda t: "coordinator", COORDINATORS),
    ("user.grant_role", lambda t: "member", COORDINATORS),
    ("user.manage", lambda t: t.world.users["member_a"], {"coordinator_x"}),
    ("user.manage", lambda t: t.world.users["coordinator_y"], set()),
    ("user.manage", lambda t: t.world.users["viewer"], set()),
    ("user.manage", lambda t: t.world.users["admin"], set()),
    ("user.manage", lambda t: t.world.users["coordinator_x"], set()),  # not even themselves
    ("account.update", lambda t: t.world.users["member_a"], {"member_a"}),
    ("account.update", lambda t: t.world.users["viewer"], {"viewer"}),
    ("account.tokens", lambda t: None, LOGGED_IN),
    # OWNER_ONLY: the owner alone, admins included (an admin revokes their own token only)
    ("token.revoke", lambda t: ApiToken(user_id=t.world.users["member_a"].id), {"member_a"}),
    ("token.revoke", lambda t: ApiToken(user_id=t.world.users["admin"].id), {"admin"}),
    ("saved_search.delete", lambda t: SavedSearch(user_id=t.world.users["viewer"].id), {"viewer"}),
    ("saved_search.delete", lambda t: SavedSearch(user_id=t.world.users["admin"].id), {"admin"}),
    ("audit.view_all", lambda t: None, set()),
    ("audit.view_actors", lambda t: None, LOGGED_IN),
    ("network.manage", lambda t: t.world.x1, {"coordinator_x"}),
    ("network.manage", lambda t: t.world.y, {"coordinator_y"}),
    ("network.manage", lambda t: None, set()),
    # Tags: signed-in users see them; a node's coordinators make and manage its tags, admins the
    # network-wide ones; coordinators act on many results at once
    ("tag.view", lambda t: None, LOGGED_IN),
    ("tag.create", lambda t: t.world.x1, {"coordinator_x"}),
    ("tag.create", lambda t: t.world.y, {"coordinator_y"}),
    ("tag.create", lambda t: None, set()),
    ("tag.manage", lambda t: Tag(name="X list", network=t.world.x1), {"coordinator_x"}),
    ("tag.manage", lambda t: Tag(name="Y list", network=t.world.y), {"coordinator_y"}),
    ("tag.manage", lambda t: Tag(name="Everyone's", network=None), set()),
    ("directory.bulk", lambda t: None, COORDINATORS),
]


@pytest.mark.parametrize("action,build,allowed", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule(things, action, build, allowed):
    obj = build(things)
    answers = {role: can(u(things.world, role), action, obj) for role in ROLE_NAMES}
    implied = set() if action in permissions.OWNER_ONLY else ADMIN
    expected = {role: role in allowed | implied for role in ROLE_NAMES}
    assert answers == expected


def test_owner_only_actions_are_rules_with_an_admin_row_each_way():
    """The admin shortcut is lifted only for known rules, and each has rows where an admin is
    refused (someone else's) and allowed (their own), so neither half can silently change."""
    assert permissions.OWNER_ONLY - set(RULES) == set()
    for action in permissions.OWNER_ONLY:
        admin_answers = {"admin" in allowed for name, _build, allowed in CASES if name == action}
        assert admin_answers == {True, False}, action


def test_every_rule_has_cases():
    tested = {case[0] for case in CASES}
    assert set(RULES) - tested == set(), "add rows to CASES for the new rules"


@pytest.mark.app_config(PUBLIC_DIRECTORY=False)
@pytest.mark.parametrize("action", ["directory.view", "organization.view", "project.view", "network.view"])
def test_private_directory_is_closed_to_anonymous_visitors(things, action):
    obj = {"organization.view": things.world.org_a, "project.view": things.world.project_a}.get(action)
    assert not can(None, action, obj)
    assert can(things.world.users["viewer"], action, obj)


@pytest.mark.app_config(PUBLIC_DIRECTORY=False)
def test_private_directory_hides_listed_people_from_anonymous(things):
    assert not can(None, "person.view", things.listed)
    assert can(things.world.users["viewer"], "person.view", things.listed)


def test_deactivated_users_have_no_rights(things):
    admin = things.world.users["admin"]
    coordinator = things.world.users["coordinator_x"]
    admin.active = coordinator.active = False
    assert permissions.role_of(admin) is None
    assert not can(admin, "audit.view_all")
    assert not can(coordinator, "organization.update", things.world.org_a)
    assert can(coordinator, "organization.view", things.world.org_a)  # reads like anyone (public directory)


def test_coordinator_of_a_parent_node_covers_the_whole_subtree(things):
    w = things.world
    deep = f.network("Node X1a", parent=w.x1)
    org = f.organization("Deep Org", networks=[deep])
    assert permissions.manages_network(w.users["coordinator_x"], deep)
    assert can(w.users["coordinator_x"], "organization.update", org)
    assert not can(w.users["coordinator_y"], "organization.update", org)
    # A coordinator of the child does not manage the parent.
    child_coordinator = f.user("coordinator", networks=[w.x1])
    assert not permissions.manages_network(child_coordinator, w.x)
    assert not can(child_coordinator, "user.invite", Grant("coordinator", networks=[w.x]))


def test_node_paths_are_prefixes_not_substrings(app, world):
    """Node /1/ must not cover node /11/: paths end with a slash, so prefixes are whole ids."""
    nodes = [f.network(f"N{i}") for i in range(12)]
    node_1 = next(n for n in nodes + [world.x, world.x1, world.y] if n.path == "/1/")
    node_11 = next((n for n in nodes if n.path == "/11/"), None)
    assert node_11 is not None
    coordinator = f.user("coordinator", networks=[node_1])
    assert not permissions.manages_network(coordinator, node_11)


def test_member_of_an_organisation_in_several_nodes(things):
    w = things.world
    f.membership(w.org_b, w.x1)  # B joins X1 as well: coordinator X now manages B too
    assert can(w.users["coordinator_x"], "organization.update", w.org_b)
    assert can(w.users["coordinator_x"], "user.manage", w.users["member_b"])


def test_unknown_action_is_a_programming_error(world):
    with pytest.raises(KeyError):
        can(world.users["admin"], "organisation.update", world.org_a)


def test_require_raises_permission_denied(world):
    with pytest.raises(PermissionDenied):
        require(world.users["member_a"], "organization.update", world.org_b)
    require(world.users["member_a"], "organization.propose_change", world.org_a)


# ---------------------------------------------------------------- the scope of a user's nodes


def test_network_scope(things):
    w = things.world
    assert permissions.network_scope(w.users["admin"]) is None  # every node
    assert permissions.network_scope(w.users["coordinator_x"]) == [w.x.path]
    for role in ("viewer", "member_a", "anonymous"):
        assert permissions.network_scope(u(w, role)) == []


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_organizations_in_scope_are_those_the_user_manages(things, role):
    """The SQL form of the scope answers as manages_organization does, organisation by organisation."""
    user = u(things.world, role)
    query = permissions.organizations_in_scope(user)
    orgs = [things.world.org_a, things.world.org_b, things.company, things.archived_org]
    in_scope = {o.id for o in orgs} if query is None else set(db.session.scalars(query))
    assert {o.id for o in orgs if o.id in in_scope} == {o.id for o in orgs if permissions.manages_organization(user, o)}


def test_speaking_for_selects_the_users_speaks_for_answers_yes(things):
    from sqlalchemy import select

    from network.models import User

    w = things.world
    chosen = set(db.session.scalars(select(User.id).where(permissions.speaking_for(w.org_a))))
    assert chosen == {user.id for user in w.users.values() if permissions.speaks_for(user, w.org_a)} != set()


# ---------------------------------------------------------------- rules live here and nowhere else

NETWORK = Path(permissions.__file__).parent
USER_ROLES = "|".join(ROLES)
# `.role` or role_of(...) compared with a user role name, either way round (== != in, not in).
ROLE_COMPARISON = re.compile(
    rf"""(\.role\b|role_of\([^()]*\))\s*(==|!=|\bin\b|\bnot\s+in\b)\s*[(\[{{]?\s*(['"])({USER_ROLES})\3"""
    rf"""|(['"])({USER_ROLES})\5\s*(==|!=)\s*[\w.]*\.role\b"""
)


def test_permissions_module_does_not_import_services():
    tree = ast.parse(Path(permissions.__file__).read_text(encoding="utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert imported and [m for m in imported if m.startswith("network.services")] == []


# Lines that compare roles without deciding anyone's rights, each with its reason.
NOT_RULES = {
    # the demo's seed logins: a member login gets the demo organisation (data, not a right)
    ("network/demo/builder.py", 'member_org if login.role == "member"'),
}
# A rule still decided outside permissions.py, being moved by the initiatives work (issue #12);
# test_outstanding_rules_are_still_there fails once they are gone: then empty this set.
OUTSTANDING: set[tuple[str, str]] = set()


def role_comparisons() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(NETWORK.rglob("*.py")):
        if path == Path(permissions.__file__):
            continue
        source = path.read_text(encoding="utf-8")
        # A role taken from role_of into a variable, then compared, is the same rule in two steps.
        names = set(re.findall(r"\b(\w+)\s*=\s*(?:permissions\.)?role_of\(", source))
        compared = [
            re.compile(rf"\b{n}\s*(==|!=|\bin\b|\bnot\s+in\b)\s*[(\[]?\s*['\"]({USER_ROLES})['\"]") for n in names
        ]
        for number, line in enumerate(source.splitlines(), 1):
            if ROLE_COMPARISON.search(line) or any(c.search(line) for c in compared):
                found.append((str(path.relative_to(NETWORK.parent)), number, line.strip()))
    return found


def excused(path: str, line: str, excuses: set[tuple[str, str]]) -> bool:
    return any(path == where and text in line for where, text in excuses)


def test_no_module_outside_permissions_compares_a_role():
    found = [f"{path}:{number}: {line}" for path, number, line in role_comparisons()
             if not excused(path, line, NOT_RULES | OUTSTANDING)]  # fmt: skip
    assert found == [], "decide these in network/permissions.py:\n" + "\n".join(found)


def test_outstanding_rules_are_still_there():
    found = role_comparisons()
    gone = [e for e in NOT_RULES | OUTSTANDING if not any(excused(p, line, {e}) for p, _n, line in found)]
    assert gone == [], "these lines no longer compare roles: remove them from NOT_RULES or OUTSTANDING"


def test_the_role_comparison_pattern_finds_what_it_should():
    for line in ('if user.role == "admin":', "x = role_of(u) != 'coordinator'", 'r.role in ("member", "viewer")',
                 'if "admin" == actor.role:', 'if permissions.role_of(actor) not in ("admin", "coordinator"):'):  # fmt: skip
        assert ROLE_COMPARISON.search(line), line
    for line in ('p.role == "lead"', 'grant.role == "coordinator_count"', "role_of(user) is None"):
        assert not ROLE_COMPARISON.search(line), line
