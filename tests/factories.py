"""Small builders for test data. Each flushes and returns the object, ready to use.

They fill in believable defaults so a test names only what it is about.
"""

import functools
import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy import select

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
    n = next(_seq)
    name = name or f"Node {n}"
    node = Network(name=name, slug=values.pop("slug", f"node-{n}"), parent=parent, **values)
    db.session.add(node)
    db.session.flush()
    node.path = (parent.path if parent else "/") + f"{node.id}/"
    db.session.flush()
    return node


def organization(name: str | None = None, *, country: str = "KE", kind: str = "ngo", themes=(),
                 countries=(), networks=(), actor: User | None = None, **values) -> Organization:  # fmt: skip
    """With ``actor``, built through the service (validation, slug from the name, permission)."""
    n = next(_seq)
    name = name or f"Organisation {n}"
    if actor is not None:
        from network.services.organizations import create_organization

        data = dict(values, name=name, kind=kind, hq_country=country, themes=list(themes), countries=list(countries))
        org = create_organization(actor, data, networks[0] if networks else None)
        for node in networks[1:]:
            membership(org, node)
        return org
    org = Organization(name=name, slug=values.pop("slug", f"org-{n}"), kind=kind, hq_country=region(country), **values)
    org.themes = [theme(t) for t in themes]
    org.countries = [region(c) for c in countries]
    db.session.add(org)
    db.session.flush()
    for node in networks:
        membership(org, node)
    return org


def membership(org: Organization, node: Network, status: str = "active", **values) -> Membership:
    m = Membership(organization=org, network=node, status=status, joined_on=values.pop("joined_on", date(2020, 1, 1)),
                   **values)  # fmt: skip
    db.session.add(m)
    db.session.flush()
    return m


def person(org: Organization, name: str | None = None, **values) -> Person:
    n = next(_seq)
    p = Person(
        organization=org, name=name or f"Person {n}", email=values.pop("email", f"person{n}@example.org"), **values
    )
    db.session.add(p)
    db.session.flush()
    return p


def project(org: Organization, title: str | None = None, *, themes=(), countries=(), actor: User | None = None,
            **values) -> Project:  # fmt: skip
    """With ``actor``, built through the service (validation, permission)."""
    n = next(_seq)
    if actor is not None:
        from network.services.projects import create_project

        data = dict(values, title=title or f"Project {n}", themes=list(themes), countries=list(countries))
        return create_project(actor, org, data)
    p = Project(lead_organization=org, title=title or f"Project {n}", status=values.pop("status", "active"), **values)
    p.themes = [theme(t) for t in themes]
    p.countries = [region(c) for c in countries]
    db.session.add(p)
    db.session.flush()
    return p


def outcome(project: Project, tco2e="100", *, basis="estimated", year=2024, **values) -> OutcomeReport:
    r = OutcomeReport(project=project, period_start=date(year, 1, 1), period_end=date(year, 12, 31),
                      tco2e_reduced=Decimal(tco2e), basis=basis, **values)  # fmt: skip
    db.session.add(r)
    db.session.flush()
    return r


def partnership(a: Organization, b: Organization, kind: str = "technical", **values) -> Partnership:
    p = Partnership(org_a=a, org_b=b, kind=kind, status=values.pop("status", "active"), **values)
    db.session.add(p)
    db.session.flush()
    return p


def initiative(title: str | None = None, *, network: Network | None = None, **values) -> Initiative:
    n = next(_seq)
    i = Initiative(title=title or f"Initiative {n}", slug=values.pop("slug", f"initiative-{n}"), network=network,
                   status=values.pop("status", "active"), **values)  # fmt: skip
    db.session.add(i)
    db.session.flush()
    return i


def participant(ini: Initiative, org: Organization, role: str = "partner", status: str = "accepted", **values):
    p = Participant(initiative=ini, organization=org, role=role, invitation_status=status, **values)
    db.session.add(p)
    db.session.flush()
    return p


@functools.cache
def password_hash(password: str) -> str:
    """Hashed once per password: scrypt takes about half a second, and the world has six users."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password)


def user(role: str = "viewer", *, email: str | None = None, organization: Organization | None = None,
         networks=(), password: str = PASSWORD, **values) -> User:  # fmt: skip
    n = next(_seq)
    u = User(email=email or f"user{n}@example.org", name=values.pop("name", f"User {n}"), role=role,
             organization=organization, password_hash=password_hash(password), **values)  # fmt: skip
    u.networks = list(networks)
    db.session.add(u)
    db.session.flush()
    return u
