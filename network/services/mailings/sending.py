"""The sending job: a mailing's queued deliveries in batches, at a rate, each at most once.

A delivery moves queued → sending (a conditional UPDATE, committed before the mail leaves, so two
workers never take the same row) → sent or failed. After a crash a row may be left "sending": on the
outbox its file (named after the delivery) tells whether it went out; over SMTP it cannot be known,
so it is marked failed (interrupted) rather than risk a second copy. A batch ends by queueing the
next one, so a restarted worker picks up where the queue left off.
"""

import hashlib
import hmac
import re
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr
from types import SimpleNamespace

from flask import current_app, g
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, insert, select, update

from network import tasks
from network.extensions import db
from network.models import Activity, Mailing, MailingDelivery, Organization, Person, utcnow
from network.services import activities, mail
from network.services.mailings.render import Message, render

# Defaults of the settings read here (config MAILING_*): messages a minute (0: no limit), rows a
# job sends before queueing the next, and how long a row may stay "sending" before it counts as interrupted.
RATE_PER_MINUTE = 600
BATCH = 200
STUCK_SECONDS = 300
PERMANENT = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def _setting(name: str, default):
    return current_app.config.get(name, default)


# ----------------------------------------------------------------------------- unsubscribe links


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="network.unsubscribe")


def unsubscribe_token(delivery) -> str:
    """Signed, without expiry: a link in an old mail still works (it only ever unsubscribes)."""
    return _serializer().dumps({"d": delivery.id, "p": delivery.person_id})


def read_unsubscribe_token(token: str) -> MailingDelivery | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), int):
        return None
    delivery = db.session.get(MailingDelivery, data["d"])
    if delivery is None or delivery.person_id != data.get("p"):
        return None
    return delivery


def unsubscribe_url(base_url: str, delivery) -> str:
    return f"{base_url.rstrip('/')}/unsubscribe/{unsubscribe_token(delivery)}"


def unsubscribe(delivery: MailingDelivery) -> Person | None:
    """The person of a delivery gets no more network mail (every later mailing excludes them)."""
    now = utcnow()
    person = db.session.get(Person, delivery.person_id) if delivery.person_id is not None else None
    if person is not None and person.unsubscribed_at is None:
        person.unsubscribed_at = now  # through the ORM: the person's History shows it
    if delivery.unsubscribed_at is None:
        delivery.unsubscribed_at = now
        if delivery.status == "sent":
            delivery.status = "unsubscribed"
    db.session.flush()
    return person


# ------------------------------------------------------------------------------------- messages


def build(to_name: str, to: str, message: Message, *, message_id: str, unsubscribe: str | None) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_SENDER"]
    email["To"] = formataddr((to_name, to)) if to_name else to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = message_id
    if unsubscribe:
        # RFC 8058: mail programs show an "Unsubscribe" button that POSTs to this address.
        email["List-Unsubscribe"] = f"<{unsubscribe}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    email["Content-Language"] = message.language  # after: making it multipart moves Content-* headers down
    return email


def _domain() -> str:
    return current_app.config["MAIL_SENDER"].rpartition("@")[2] or "localhost"


def send_now(to: str, message: Message, *, test: bool = False) -> None:
    """A test send to the coordinator: through the usual mail queue (after the request commits)."""
    subject = ("[TEST] " if test else "") + message.subject
    email = build("", to, Message(message.language, subject, message.text, message.html),
                  message_id=f"<test-{uuid.uuid4().hex}@{_domain()}>", unsubscribe=None)  # fmt: skip
    tasks.enqueue(mail.deliver, bytes(email))


def _outbox_name(delivery) -> str:
    return f"-m{delivery.mailing_id}-d{delivery.id}.eml"


def _transmit(email: EmailMessage, delivery) -> None:
    bounce_to = bounce_address(delivery)
    if current_app.config.get("MAIL_BACKEND", "outbox") == "smtp":
        _smtp().send_message(email, from_addr=bounce_to)
        return
    if bounce_to:
        email["Return-Path"] = f"<{bounce_to}>"  # what the SMTP envelope would carry
    folder = mail.outbox_folder()
    folder.mkdir(parents=True, exist_ok=True)
    # Written whole, then renamed: a file with the delivery's name means the message went out.
    final = folder / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}{_outbox_name(delivery)}"
    partial = folder / (final.name + ".part")
    partial.write_bytes(bytes(email))
    partial.rename(final)


def _smtp() -> smtplib.SMTP:
    """One connection for the whole batch (g lives as long as the job's app context)."""
    if g.get("mailing_smtp") is None:
        config = current_app.config
        smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30)
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        g.mailing_smtp = smtp
    return g.mailing_smtp


def _close_smtp() -> None:
    smtp = g.pop("mailing_smtp", None)
    if smtp is not None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


# Bounces: with MAILING_BOUNCE_ADDRESS ("bounces@example.org") each mail's envelope sender is
# bounces+<delivery>-<signature>@example.org; the mail server hands what comes back there to
# ``flask --app network mailings bounce`` (stdin), which fails that delivery and marks the person.


def _bounce_signature(delivery_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"mailing-bounce:{delivery_id}".encode(), hashlib.sha256).hexdigest()[:12]


def bounce_address(delivery) -> str | None:
    address = current_app.config.get("MAILING_BOUNCE_ADDRESS")
    if not address or "@" not in address:
        return None
    local, _at, domain = address.partition("@")
    return f"{local}+{delivery.id}-{_bounce_signature(delivery.id)}@{domain}"


BOUNCE_TOKEN = re.compile(r"\+(\d{1,12})-([0-9a-f]{12})@")


def delivery_of_bounce(raw: bytes) -> MailingDelivery | None:
    """The delivery a returned mail is about, from the signed address it was sent back to."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    for header in ("Delivered-To", "X-Original-To", "Envelope-To", "To"):
        for value in message.get_all(header) or []:
            match = BOUNCE_TOKEN.search(str(value))
            if match and hmac.compare_digest(match.group(2), _bounce_signature(int(match.group(1)))):
                return db.session.get(MailingDelivery, int(match.group(1)))
    return None


def record_bounce(delivery: MailingDelivery) -> None:
    delivery.status, delivery.reason = "failed", "bounced"
    person = db.session.get(Person, delivery.person_id) if delivery.person_id is not None else None
    if person is not None and person.bounced_at is None:
        person.bounced_at = utcnow()  # through the ORM: audited on the person's History
    db.session.flush()


def _in_outbox(delivery: MailingDelivery) -> bool:
    return any(mail.outbox_folder().glob("*" + _outbox_name(delivery)))


# ------------------------------------------------------------------------------------------- job


def _set(delivery_id: int, expected: str, **values) -> int:
    stmt = (update(MailingDelivery).where(MailingDelivery.id == delivery_id, MailingDelivery.status == expected)
            .values(**values).execution_options(synchronize_session=False))  # fmt: skip
    changed = db.session.execute(stmt).rowcount
    db.session.commit()
    return changed


def recover(mailing: Mailing) -> None:
    """Rows a crashed worker left "sending": sent if the outbox has them, else queued again
    (outbox) or failed as interrupted (SMTP: whether it left is unknown; never a second copy)."""
    cutoff = utcnow() - timedelta(seconds=_setting("MAILING_STUCK_SECONDS", STUCK_SECONDS))
    stuck = db.session.scalars(select(MailingDelivery).where(
        MailingDelivery.mailing_id == mailing.id, MailingDelivery.status == "sending",
        MailingDelivery.claimed_at <= cutoff)).all()  # fmt: skip
    smtp = current_app.config.get("MAIL_BACKEND", "outbox") == "smtp"
    for delivery in stuck:
        if smtp:
            _set(delivery.id, "sending", status="failed", reason="interrupted",
                 error="The worker stopped while sending; it may or may not have arrived.")  # fmt: skip
        elif _in_outbox(delivery):
            _set(delivery.id, "sending", status="sent", sent_at=utcnow())
        else:
            _set(delivery.id, "sending", status="queued")
    db.session.commit()


@dataclass(frozen=True)
class _Row:
    """What sending one delivery needs, read for the whole batch in one statement."""

    id: int
    mailing_id: int
    person_id: int | None
    name: str
    email: str
    language: str | None
    organisation: str


def _send_rows(rows, text, node: str, base_url: str, domain: str, mailing_id: int, rate: float) -> None:
    for row in rows:
        if not _set(row.id, "queued", status="sending", claimed_at=utcnow(), attempts=MailingDelivery.attempts + 1):
            continue  # another worker took it
        link = unsubscribe_url(base_url, row)
        message = render(text, {"organisation": row.organisation, "name": row.name, "node": node}, row.language, link)
        email = build(row.name, row.email, message, message_id=f"<mailing-{mailing_id}-{row.id}@{domain}>",
                      unsubscribe=link)  # fmt: skip
        try:
            _transmit(email, row)
        except PERMANENT as exc:  # this address is refused: the others still go
            _set(row.id, "sending", status="failed", reason="refused", error=str(exc)[:500])
            continue
        except Exception:  # the server is unreachable: back in the queue, the job is tried again later
            _set(row.id, "sending", status="queued")
            raise
        _set(row.id, "sending", status="sent", sent_at=utcnow())
        if rate:
            time.sleep(60.0 / rate)


@tasks.job(retries=5)
def send_batch(mailing_id: int) -> None:
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or mailing.status != "sending":
        return
    recover(mailing)
    size = _setting("MAILING_BATCH", BATCH)
    rate = _setting("MAILING_RATE_PER_MINUTE", RATE_PER_MINUTE)
    # The message as plain values: each delivery commits, which expires every loaded record.
    text = SimpleNamespace(language=mailing.language, subject=mailing.subject, body=mailing.body,
                           versions=dict(mailing.versions or {}))  # fmt: skip
    node = mailing.network.name if mailing.network is not None else ""
    base_url, domain = mailing.base_url or "", _domain()
    rows = [_Row(*row) for row in db.session.execute(
        select(MailingDelivery.id, MailingDelivery.mailing_id, MailingDelivery.person_id, MailingDelivery.name,
               MailingDelivery.email, MailingDelivery.language, func.coalesce(Organization.name, ""))
        .outerjoin(Organization, Organization.id == MailingDelivery.organization_id)
        .where(MailingDelivery.mailing_id == mailing_id, MailingDelivery.status == "queued")
        .order_by(MailingDelivery.id).limit(size))]  # fmt: skip
    db.session.commit()
    try:
        _send_rows(rows, text, node, base_url, domain, mailing_id, rate)
    finally:
        _close_smtp()
    left = db.session.scalar(select(func.count()).select_from(MailingDelivery).where(
        MailingDelivery.mailing_id == mailing_id, MailingDelivery.status.in_(("queued", "sending"))))  # fmt: skip
    db.session.commit()
    if left:
        if rows:  # rows still queued (or another worker's in flight): the next batch
            tasks.enqueue(send_batch, mailing_id)
        return
    finish(mailing_id)


def finish(mailing_id: int) -> bool:
    """Mark the mailing sent (once, whoever gets here first) and note it on each organisation's activity log."""
    won = db.session.execute(update(Mailing).where(Mailing.id == mailing_id, Mailing.status == "sending")
                             .values(status="sent", finished_at=utcnow())
                             .execution_options(synchronize_session=False)).rowcount  # fmt: skip
    if won != 1:
        db.session.rollback()
        return False
    mailing = db.session.get(Mailing, mailing_id)
    sent = db.session.execute(
        select(MailingDelivery.organization_id, func.count())
        .where(MailingDelivery.mailing_id == mailing_id, MailingDelivery.status.in_(("sent", "unsubscribed")),
               MailingDelivery.organization_id.is_not(None))
        .group_by(MailingDelivery.organization_id)
    ).all()  # fmt: skip
    now = utcnow()
    # The subject in the site's default language (the job has no reader); params let each reader's
    # page write it in their own (activities.subject_of).
    rows = [{"kind": "note", "subject": activities.mailing_note(mailing.subject, number), "organization_id": org_id,
             "params": {"message": "mailing_sent", "subject": mailing.subject, "num": number, "mailing": mailing_id},
             "author_id": mailing.sent_by_id, "occurred_at": now, "created_at": now, "updated_at": now}
            for org_id, number in sent]  # fmt: skip
    for start in range(0, len(rows), 1000):  # many organisations: in bulk, the send was audited once
        db.session.execute(insert(Activity), rows[start : start + 1000])
    db.session.commit()
    return True


def resume_stalled() -> list[int]:
    """Periodic: a mailing left "sending" with no progress for MAILING_STUCK_SECONDS (its worker was
    killed and its job lost) is queued again, as the report's Resume button does. Safe to repeat
    or to overlap a live worker: every row still goes out at most once (claimed by a conditional
    UPDATE; recover() settles the rows a dead worker left "sending")."""
    cutoff = utcnow() - timedelta(seconds=_setting("MAILING_STUCK_SECONDS", STUCK_SECONDS))
    # The last sign of life: the send itself, a row claimed, a row sent.
    progress = db.session.execute(
        select(Mailing.id, Mailing.sent_at, func.max(MailingDelivery.claimed_at), func.max(MailingDelivery.sent_at))
        .outerjoin(MailingDelivery, MailingDelivery.mailing_id == Mailing.id)
        .where(Mailing.status == "sending").group_by(Mailing.id, Mailing.sent_at)
    ).all()  # fmt: skip
    stalled = [row[0] for row in progress if max((t for t in row[1:] if t is not None), default=cutoff) <= cutoff]
    for mailing_id in stalled:
        current_app.logger.warning("Mailing %s made no progress for a while: sending resumed", mailing_id)
        tasks.enqueue(send_batch, mailing_id)
    db.session.commit()  # the jobs reach the queue now
    return stalled
