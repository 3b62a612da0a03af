"""Mailings (#16): write to the people of selected organisations, in their language, with consent.

A mailing is a draft (editable) until it is sent, then read-only. Sending re-reads its audience,
writes one delivery row per person (recipients queued, the others excluded with their reason) and
queues the sending job (network/services/mailings/sending.py), which sends each row at most once.
"""

import csv
import io

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import selectinload

from network import permissions, tasks
from network.extensions import db
from network.models import AuditEvent, Event, Initiative, Mailing, MailingDelivery, Network, SavedSearch, utcnow
from network.models.mailing import AUDIENCE_PEOPLE, AUDIENCE_SOURCES
from network.services import NotFound, ValidationError, operation, tags
from network.services.mailings import sending
from network.services.mailings.audience import Audience, resolve
from network.services.mailings.render import Message, render
from network.services.mailings.sending import unsubscribe_url
from network.services.networks import nodes_for

__all__ = ["AlreadySent", "Audience", "Message", "sending"]


class AlreadySent(ValidationError):
    """A change or a send of a mailing that is no longer a draft (the API answers 409)."""


def visible_mailings(actor) -> list[Mailing]:
    """The mailings of the actor's nodes (admins: all), newest first."""
    permissions.require(actor, "mailing.list")
    query = select(Mailing).options(selectinload(Mailing.network)).order_by(Mailing.id.desc()).limit(200)
    scope = permissions.network_scope(actor)
    if scope is not None:
        query = query.join(Network, Network.id == Mailing.network_id).where(
            permissions.in_network_scope(actor, Network.path)
        )
    return list(db.session.scalars(query))


def get_mailing(actor, mailing_id: int, action: str = "mailing.view") -> Mailing:
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None:
        raise NotFound(_("No such mailing."))
    permissions.require(actor, action, mailing)
    return mailing


def mailing_nodes(actor) -> list[Network]:
    """The nodes the actor may send from."""
    return nodes_for(actor, "mailing.create")


def audience_choices(actor) -> dict[str, list[tuple[str, str]]]:
    """What an audience may come from, as (ref, name) options per source: the actor's nodes, tags and
    saved searches, the latest 200 live initiatives and events (resolve() checks the one chosen)."""
    permissions.require(actor, "mailing.list")
    saved = db.session.scalars(select(SavedSearch).where(SavedSearch.user_id == actor.id).order_by(SavedSearch.name))
    initiatives = db.session.scalars(
        select(Initiative).where(Initiative.archived_at.is_(None)).order_by(Initiative.id.desc()).limit(200)
    )
    events = db.session.scalars(
        select(Event).where(Event.archived_at.is_(None)).order_by(Event.starts_at.desc()).limit(200)
    )
    return {
        "node": [(str(n.id), n.name) for n in mailing_nodes(actor)],
        "tag": [(str(t.id), t.name) for t in tags.visible_tags(actor)],
        "saved_search": [(str(s.id), s.name) for s in saved],
        "initiative": [(i.slug, i.title) for i in initiatives],
        "event": [(e.slug, e.title) for e in events],
    }


def _clean(values: dict, errors: dict) -> dict:
    languages = current_app.config["LANGUAGES"]
    subject = (values.get("subject") or "").strip()
    if len(subject) > 300:
        errors["subject"] = [_("At most 300 characters.")]
    language = values.get("language") or current_app.config["BABEL_DEFAULT_LOCALE"]
    if language not in languages:
        errors["language"] = [_("Choose one of the site's languages.")]
    source = values.get("source") or "node"
    if source not in AUDIENCE_SOURCES:
        errors["source"] = [_("Choose where the organisations come from.")]
    people = values.get("people") or "primary"
    if people not in AUDIENCE_PEOPLE:
        errors["people"] = [_("Choose which people of each organisation.")]
    role = (values.get("role") or "").strip()[:100]
    if people == "role" and not role:
        errors["role"] = [_("Name the role (words of the people's title, e.g. director).")]
    ids = values.get("ids") or []
    if isinstance(ids, str):
        ids = ids.replace(",", " ").split()
    clean_ids = sorted({int(i) for i in ids if str(i).isdigit() and len(str(i)) < 10})[:20000]
    ref = str(values.get("ref") or "").strip()[:120]
    if source not in ("selection",) and not ref:
        errors["ref"] = [_("Choose the node, tag, saved search, initiative or event.")]
    if source == "selection" and not clean_ids:
        errors["ids"] = [_("Choose at least one organisation.")]
    versions = {}
    for code in languages:
        if code == language:
            continue
        other_subject = (values.get(f"subject_{code}") or "").strip()[:300]
        other_body = values.get(f"body_{code}") or ""
        if other_subject or other_body.strip():
            versions[code] = {"subject": other_subject, "body": other_body}
    audience = {"source": source, "ref": ref, "people": people, "role": role}
    if source == "selection":
        audience["ids"] = clean_ids
    return {"subject": subject, "body": values.get("body") or "", "language": language,
            "audience": audience, "versions": versions}  # fmt: skip


@operation
def save_mailing(actor, values: dict, network: Network | None, mailing: Mailing | None = None) -> Mailing:
    """Create a draft (mailing None) or change one; network is the node it is sent from."""
    if mailing is None:
        permissions.require(actor, "mailing.create", network)
    else:
        permissions.require(actor, "mailing.update", mailing)
        if not mailing.is_draft:
            raise AlreadySent({"status": [_("A mailing is read-only once it is sent.")]})
        if network is not None and network.id != mailing.network_id:
            permissions.require(actor, "mailing.create", network)
    errors: dict = {}
    clean = _clean(values, errors)
    if errors:
        raise ValidationError(errors)
    if mailing is None:
        mailing = Mailing(created_by_id=actor.id, network=network, status="draft")
        db.session.add(mailing)
    elif network is not None:
        mailing.network = network
    for key, value in clean.items():
        setattr(mailing, key, value)
    return mailing


def values_of(mailing: Mailing) -> dict:
    """The values save_mailing takes, as the mailing holds them (a change names only what it changes)."""
    audience = mailing.audience or {}
    values = {"subject": mailing.subject, "body": mailing.body, "language": mailing.language,
              "source": audience.get("source"), "ref": audience.get("ref"), "ids": audience.get("ids") or [],
              "people": audience.get("people"), "role": audience.get("role")}  # fmt: skip
    for code, version in (mailing.versions or {}).items():
        values[f"subject_{code}"], values[f"body_{code}"] = version.get("subject", ""), version.get("body", "")
    return values


def audience_of(actor, mailing: Mailing) -> Audience:
    """Who it would go to now (for a draft) — the count and the excluded before sending."""
    permissions.require(actor, "mailing.view", mailing)
    return resolve(actor, mailing)


def node_name(mailing: Mailing) -> str:
    return mailing.network.name if mailing.network is not None else ""


def preview(actor, mailing: Mailing, audience: Audience, person_id: int | None = None) -> tuple[Message, object]:
    """The message one recipient would get (the first recipient, or person_id among them)."""
    permissions.require(actor, "mailing.view", mailing)
    recipients = audience.recipients
    chosen = next((r for r in recipients if r.person_id == person_id), recipients[0] if recipients else None)
    if chosen is None:
        values = {"organisation": _("Organisation"), "name": _("Name"), "node": node_name(mailing)}
        return render(mailing, values, None, None), None
    values = {"organisation": audience.names.get(chosen.organization_id, ""), "name": chosen.name,
              "node": node_name(mailing)}  # fmt: skip
    return render(mailing, values, chosen.language, "#unsubscribe"), chosen


def _require_ready(mailing: Mailing) -> None:
    errors = {}
    if not mailing.subject.strip():
        errors["subject"] = [_("Write a subject.")]
    if not mailing.body.strip():
        errors["body"] = [_("Write the message.")]
    if errors:
        raise ValidationError(errors)


def send_test(actor, mailing: Mailing, language: str | None = None) -> Message:
    """The message (as the first recipient would get it) to the actor's own address only."""
    permissions.require(actor, "mailing.update", mailing)
    _require_ready(mailing)
    message, _recipient = preview(actor, mailing, resolve(actor, mailing))
    if language:
        values = {"organisation": _("Organisation"), "name": actor.name, "node": node_name(mailing)}
        message = render(mailing, values, language, "#unsubscribe")
    sending.send_now(actor.email, message, test=True)
    return message


@operation
def send_mailing(actor, mailing: Mailing, base_url: str) -> dict:
    """Freeze the audience (one delivery row each) and queue the sending; returns the counts."""
    permissions.require(actor, "mailing.send", mailing)
    if not mailing.is_draft:
        raise AlreadySent({"status": [_("This mailing was already sent.")]})
    _require_ready(mailing)
    audience = resolve(actor, mailing)
    if not audience.recipients:
        raise ValidationError({"audience": [_("Nobody of this audience can receive it: see who is excluded.")]})
    # Won by one request only: a second click (or another coordinator) finds it no longer a draft.
    won = db.session.execute(update(Mailing).where(Mailing.id == mailing.id, Mailing.status == "draft")
                             .values(status="sending", sent_at=utcnow(), sent_by_id=actor.id,
                                     summary=audience.counts(), base_url=base_url.rstrip("/"))
                             .execution_options(synchronize_session=False)).rowcount  # fmt: skip
    if won != 1:
        raise AlreadySent({"status": [_("This mailing was already sent.")]})
    # Many rows: in bulk, outside the audit hook (the send is one audit event below).
    rows = [{"mailing_id": mailing.id, "person_id": p.person_id, "organization_id": p.organization_id,
             "name": p.name[:200], "email": p.email, "language": p.language, "status": p.status,
             "reason": p.reason, "attempts": 0} for p in audience.people]  # fmt: skip
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(MailingDelivery), rows[start : start + 1000])
    counts = audience.counts()
    db.session.add(AuditEvent(actor_id=actor.id, action="send", entity_type="mailings", entity_id=mailing.id,
                              changes={"subject": [None, mailing.subject],
                                       "recipients": [None, counts["recipients"]],
                                       "organizations": [None, counts["organizations"]]}))  # fmt: skip
    db.session.refresh(mailing)
    tasks.enqueue(sending.send_batch, mailing.id)
    return counts


def resume(actor, mailing: Mailing) -> None:
    """Queue the sending again (after a crash of the worker): only rows not sent yet go out."""
    permissions.require(actor, "mailing.send", mailing)
    if mailing.status != "sending":
        raise ValidationError({"status": [_("Only a mailing being sent can be resumed.")]})
    tasks.enqueue(sending.send_batch, mailing.id)


def report(actor, mailing: Mailing) -> dict:
    """Deliveries by status (and the excluded by reason)."""
    permissions.require(actor, "mailing.view", mailing)
    rows = db.session.execute(
        select(MailingDelivery.status, MailingDelivery.reason, func.count())
        .where(MailingDelivery.mailing_id == mailing.id)
        .group_by(MailingDelivery.status, MailingDelivery.reason)
    ).all()
    counts: dict = {"queued": 0, "sending": 0, "sent": 0, "failed": 0, "unsubscribed": 0, "excluded": 0}
    reasons: dict = {}
    for status, reason, number in rows:
        counts[status] += number
        if status == "excluded":
            reasons[reason] = reasons.get(reason, 0) + number
    counts["reasons"] = reasons
    return counts


def deliveries(actor, mailing: Mailing, status: str | None = None, limit: int = 500) -> list[MailingDelivery]:
    permissions.require(actor, "mailing.view", mailing)
    query = select(MailingDelivery).where(MailingDelivery.mailing_id == mailing.id)
    if status:
        query = query.where(MailingDelivery.status == status)
    return list(db.session.scalars(query.order_by(MailingDelivery.id).limit(limit)))


def report_csv(actor, mailing: Mailing) -> str:
    """Every delivery row: who, which organisation, status, reason, when sent."""
    permissions.require(actor, "mailing.view", mailing)
    from network.models import Organization

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["organisation", "name", "email", "language", "status", "reason", "sent_at", "unsubscribed_at"])
    query = (select(MailingDelivery, Organization.name).outerjoin(Organization, Organization.id ==
             MailingDelivery.organization_id).where(MailingDelivery.mailing_id == mailing.id)
             .order_by(MailingDelivery.id))  # fmt: skip
    for delivery, org_name in db.session.execute(query):
        writer.writerow([_safe(org_name or ""), _safe(delivery.name), _safe(delivery.email or ""),
                         delivery.language or "", delivery.status, delivery.reason or "",
                         delivery.sent_at.isoformat() if delivery.sent_at else "",
                         delivery.unsubscribed_at.isoformat() if delivery.unsubscribed_at else ""])  # fmt: skip
    return out.getvalue()


def _safe(value: str) -> str:
    """No spreadsheet formulas from names people typed."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


@operation
def record_bounces(actor, mailing: Mailing, text: str) -> int:
    """Bounced addresses (a CSV or one per line; the first column holding an @): the mailing's
    deliveries to them fail, and those people get no later mailing until their address is changed."""
    permissions.require(actor, "mailing.send", mailing)
    emails = set()
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if "@" in cell:
                emails.add(cell.strip().lower())
                break
    if not emails:
        raise ValidationError({"file": [_("No email addresses found in the file.")]})
    found = db.session.scalars(select(MailingDelivery).where(
        MailingDelivery.mailing_id == mailing.id, func.lower(MailingDelivery.email).in_(list(emails)[:5000]))).all()  # fmt: skip
    for delivery in found:
        sending.record_bounce(delivery)
    return len(found)


def record_bounce_message(raw: bytes) -> MailingDelivery | None:
    """A returned mail the server hands over (see sending.bounce_address): its delivery fails and
    the person gets no later mailing. None when it names no delivery of ours."""
    delivery = sending.delivery_of_bounce(raw)
    if delivery is not None:
        sending.record_bounce(delivery)
    return delivery


__all__ += ["unsubscribe_url"]
