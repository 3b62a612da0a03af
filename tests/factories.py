"""Small builders for test data. Each flushes and returns the object, ready to use.

They fill in believable defaults so a test names only what it is about, and go through the
service operations (network/services), as the setup administrator ``SETUP`` unless a factory takes
an ``actor``: a test's data is what the app would have made (validation, slugs from names, audit
rows, search documents, notices). Keywords no operation takes (``slug``, ``archived_at``, …) are set
on the new record in the flush that inserts it (see ``_preset``).

``raw=True`` builds the row directly instead, for data the services would refuse (a state no
operation produces, an invalid legacy row): say why in a comment at the call. Network nodes are
always built directly: no operation creates one (only the demo builder does).
"""

import functools
import itertools
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from network.extensions import db
from network.models import (
    Initiative,
    Membership,
    Network,
    Organization,
    OutcomeReport,
    Participant,
    Partnership,
    Person,
    Project,
    Region,
    Theme,
    User,
)  # fmt: skip

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


def region(code: str) -> Region:
    return db.session.scalar(select(Region).where(Region.code == code))


def theme(slug: str) -> Theme:
    return db.session.scalar(select(Theme).where(Theme.slug == slug))


def network(name: str | None = None, parent: Network | None = None, **values) -> Network:
    """Built directly: no service operation creates a node."""
    n = next(_seq)
    name = name or f"Node {n}"
    node = Network(name=name, slug=values.pop("slug", f"node-{n}"), parent=parent, **values)
    db.session.add(node)
    db.session.flush()
    node.path = (parent.path if parent else "/") + f"{node.id}/"
    db.session.flush()
    return node


class _Setup:
    """The actor of test setup: an administrator who is nobody. No user row (no test's count of
    users changes), so audit rows name no actor, as those of the command line do."""

    id = None
    name = "Test setup"
    role = "admin"
    is_authenticated = True
    is_active = True
    is_anonymous = False
    organization = None
    networks = ()


SETUP = _Setup()


@contextmanager
def _preset(cls, values: dict):
    """Set what no service operation takes (archived_at, a fixed slug, …) on the new ``cls`` record
    in the flush that inserts it: one row, version 1, its "create" audit row and search document
    holding those values, as if it had been made so."""
    pending = dict(values)

    def fill(session, flush_context, instances):
        for obj in session.new:
            if type(obj) is cls and pending:
                for key, value in pending.items():
                    setattr(obj, key, value)
                pending.clear()

    if not pending:
        yield
        return
    event.listen(Session, "before_flush", fill, insert=True)  # before the audit hook reads the values
    try:
        yield
    finally:
        event.remove(Session, "before_flush", fill)
    assert not pending, f"no new {cls.__name__} was flushed"


def _split(values: dict, fields) -> tuple[dict, dict]:
    """(the values the service takes, the others)"""
    return {k: v for k, v in values.items() if k in fields}, {k: v for k, v in values.items() if k not in fields}


def organization(name: str | None = None, *, country: str | None = "KE", kind: str = "ngo", themes=(),
                 countries=(), networks=(), actor: User | None = None, raw: bool = False,
                 **values) -> Organization:  # fmt: skip
    """Through ``create_organization`` (validation, slug from the name), as ``actor`` (default: the
    setup admin); a member of ``networks`` (the first through the service, joined today when
    ``actor`` is given, else on 2020-01-01 like ``membership``). Keywords the service does not take
    (``slug``, ``archived_at``, ``merged_into_id``, …) are set on the record in the flush that inserts it (see _preset). ``raw=True``: built
    directly, for records the service would refuse (say why at the call)."""
    from network.services.organizations import PROFILE_FIELDS, create_organization

    n = next(_seq)
    name = name or f"Organisation {n}"
    if raw:
        org = Organization(name=name, slug=values.pop("slug", f"org-{n}"), kind=kind, hq_country=region(country),
                           **values)  # fmt: skip
        org.themes = [theme(t) for t in themes]
        org.countries = [region(c) for c in countries]
        db.session.add(org)
        db.session.flush()
        for node in networks:
            membership(org, node)
        return org
    given, rest = _split(values, PROFILE_FIELDS)
    data = dict(given, name=name, kind=kind, hq_country=country, themes=list(themes), countries=list(countries))
    with _preset(Organization, rest):
        if actor is not None:
            org = create_organization(actor, data, networks[0] if networks else None)
            networks = networks[1:]
        else:
            org = create_organization(SETUP, data)
    for node in networks:
        membership(org, node)
    return org


def membership(org: Organization, node: Network, status: str = "active", *, raw: bool = False,
               **values) -> Membership:  # fmt: skip
    """Through ``add_membership`` (joined on 2020-01-01 unless ``joined_on`` says otherwise)."""
    from network.services.organizations import MEMBERSHIP_FIELDS, add_membership

    values.setdefault("joined_on", date(2020, 1, 1))
    if raw:
        m = Membership(organization=org, network=node, status=status, **values)
        db.session.add(m)
        db.session.flush()
        return m
    given, rest = _split(values, MEMBERSHIP_FIELDS)
    with _preset(Membership, rest):
        return add_membership(SETUP, org, node, dict(given, status=status))


def person(org: Organization, name: str | None = None, *, raw: bool = False, **values) -> Person:
    """Through ``create_person``; other keywords (``archived_at``) set in its inserting flush."""
    from network.services.organizations import PERSON_FIELDS, create_person

    n = next(_seq)
    name = name or f"Person {n}"
    values.setdefault("email", f"person{n}@example.org")
    if raw:
        p = Person(organization=org, name=name, **values)
        db.session.add(p)
        db.session.flush()
        return p
    given, rest = _split(values, PERSON_FIELDS)
    with _preset(Person, rest):
        return create_person(SETUP, org, dict(given, name=name))


def project(org: Organization, title: str | None = None, *, themes=(), countries=(), actor: User | None = None,
            raw: bool = False, **values) -> Project:  # fmt: skip
    """Through ``create_project`` as ``actor`` (default: the setup admin); other keywords
    (``archived_at``) set in its inserting flush."""
    from network.services.projects import PROJECT_FIELDS, create_project

    n = next(_seq)
    title = title or f"Project {n}"
    if raw:
        p = Project(lead_organization=org, title=title, status=values.pop("status", "active"), **values)
        p.themes = [theme(t) for t in themes]
        p.countries = [region(c) for c in countries]
        db.session.add(p)
        db.session.flush()
        return p
    given, rest = _split(values, PROJECT_FIELDS)
    data = dict(given, title=title, themes=list(themes), countries=list(countries))
    with _preset(Project, rest):
        return create_project(actor or SETUP, org, data)


def outcome(project: Project, tco2e="100", *, basis="estimated", year=2024, raw: bool = False,
            **values) -> OutcomeReport:  # fmt: skip
    """Through ``create_outcome``, for the calendar ``year``; other keywords set in its inserting flush."""
    from network.services.projects import OUTCOME_FIELDS, create_outcome

    values = {"period_start": date(year, 1, 1), "period_end": date(year, 12, 31), **values}
    if raw:
        r = OutcomeReport(project=project, tco2e_reduced=Decimal(tco2e), basis=basis, **values)
        db.session.add(r)
        db.session.flush()
        return r
    given, rest = _split(values, OUTCOME_FIELDS)
    with _preset(OutcomeReport, rest):
        return create_outcome(SETUP, project, dict(given, tco2e_reduced=Decimal(str(tco2e)), basis=basis))


def partnership(a: Organization, b: Organization, kind: str = "technical", *, raw: bool = False,
                **values) -> Partnership:  # fmt: skip
    """Through ``create_partnership`` (``a`` is the side that records it); other keywords set in its inserting flush."""
    from network.services.partnerships import PARTNERSHIP_FIELDS, create_partnership

    if raw:
        p = Partnership(org_a=a, org_b=b, kind=kind, status=values.pop("status", "active"), **values)
        db.session.add(p)
        db.session.flush()
        return p
    given, rest = _split(values, PARTNERSHIP_FIELDS)
    with _preset(Partnership, rest):
        return create_partnership(SETUP, a, dict(given, partner=b, kind=kind))


def initiative(title: str | None = None, *, network: Network | None = None, raw: bool = False,
               **values) -> Initiative:  # fmt: skip
    """Through ``create_initiative`` (convened by ``network``), ``status`` "active" unless given;
    other keywords (``slug``, ``archived_at``) set in its inserting flush."""
    from network.services.initiatives.records import INITIATIVE_FIELDS, create_initiative

    n = next(_seq)
    title = title or f"Initiative {n}"
    values.setdefault("status", "active")
    if raw:
        i = Initiative(title=title, slug=values.pop("slug", f"initiative-{n}"), network=network, **values)
        db.session.add(i)
        db.session.flush()
        return i
    given, rest = _split(values, INITIATIVE_FIELDS)
    data = dict(given, title=title, network=network.id if network is not None else None)
    with _preset(Initiative, rest):
        return create_initiative(SETUP, data)


def participant(ini: Initiative, org: Organization, role: str = "partner", status: str = "accepted", *,
                raw: bool = False, **values) -> Participant:  # fmt: skip
    """Through ``invite_participant``, then answered (``status`` "accepted" or "declined"), or
    ended ("left", "removed"), as the setup admin: the notices and mails the app sends go out too.
    Other keywords (``share``) are set afterwards."""
    from network.services.initiatives import participation as p

    if raw:
        row = Participant(initiative=ini, organization=org, role=role, invitation_status=status, **values)
        db.session.add(row)
        db.session.flush()
        return row
    row = p.invite_participant(SETUP, ini, org, role)
    if status in ("accepted", "declined", "left"):
        p.respond_to_invitation(SETUP, row, status != "declined")
    if status == "left":
        p.leave_initiative(SETUP, row)
    elif status == "removed":
        p.remove_participant(SETUP, row)
    elif status not in ("invited", "accepted", "declined"):
        raise ValueError(f"no operation makes a participant {status!r}: use raw=True")
    for key, value in values.items():
        setattr(row, key, value)
    db.session.flush()
    return row


@functools.cache
def password_hash(password: str) -> str:
    """Hashed once per password: scrypt takes about half a second, and the world has six users."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password)


@contextmanager
def _hashing_once(accounts):
    """``create_user`` hashes with scrypt (about half a second); here each password is hashed once
    per process (``password_hash``): the same kind of hash, made once."""
    real = accounts.generate_password_hash
    accounts.generate_password_hash = password_hash
    try:
        yield
    finally:
        accounts.generate_password_hash = real


def user(role: str = "viewer", *, email: str | None = None, organization: Organization | None = None,
         networks=(), password: str = PASSWORD, raw: bool = False, **values) -> User:  # fmt: skip
    """Through ``create_user`` (a consistent role and scope, a unique email, a good password).
    Other keywords (``active``, ``locale``) are set in its inserting flush."""
    from network.services import accounts

    n = next(_seq)
    email = email or f"user{n}@example.org"
    name = values.pop("name", f"User {n}")
    if raw:
        u = User(email=email, name=name, role=role, organization=organization, password_hash=password_hash(password),
                 **values)  # fmt: skip
        u.networks = list(networks)
        db.session.add(u)
        db.session.flush()
        return u
    with _preset(User, values), _hashing_once(accounts):
        return accounts.create_user(SETUP, email=email, name=name, role=role, password=password,
                                    organization=organization, networks=networks)  # fmt: skip
