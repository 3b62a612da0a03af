"""Outgoing mail: one function, two backends chosen by MAIL_BACKEND.

``send_mail`` queues the message; a job sends it once the transaction that asked for it commits,
so an operation that rolls back sends nothing, and an unreachable mail server is tried again later
instead of failing the request.

- "outbox" (the default, for development and tests): each message is written as a .eml file into
  instance/outbox/ and to the log, so someone trying the app can open the invitation link.
- "smtp": sent with smtplib to MAIL_SERVER:MAIL_PORT, with STARTTLS when MAIL_USE_TLS and a login
  when MAIL_USERNAME is set.
"""

import smtplib
import uuid
from contextlib import nullcontext
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app
from flask_babel import force_locale

from network import tasks


def in_language_of(user, *, or_current: bool = False):
    """Write a mail in its recipient's language: the one they chose (users.locale); without one,
    the site's default, or (or_current) the language of the request, when the recipient made it."""
    languages = current_app.config["LANGUAGES"]
    chosen = getattr(user, "locale", None)
    if chosen not in languages:
        chosen = None if or_current else current_app.config["BABEL_DEFAULT_LOCALE"]
    return force_locale(chosen) if chosen else nullcontext()


def outbox_folder() -> Path:
    return Path(current_app.instance_path) / "outbox"


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=current_app.config["MAIL_SENDER"].rpartition("@")[2] or None)
    message.set_content(body)
    return message


def send_mail(to: str, subject: str, body: str) -> EmailMessage:
    """Queue a plain-text message to go out after the current transaction commits; returns it."""
    backend = current_app.config.get("MAIL_BACKEND", "outbox")
    if backend not in ("outbox", "smtp"):  # a wrong setting shows where the mail is asked for
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r} (use 'outbox' or 'smtp')")
    message = build_message(to, subject, body)
    tasks.enqueue(deliver, bytes(message))
    return message


@tasks.job(retries=5)
def deliver(raw: bytes) -> None:
    """The queued sending of one message; tried again while the mail server is unreachable."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if current_app.config.get("MAIL_BACKEND", "outbox") == "smtp":
        send_smtp(message)
    else:
        write_to_outbox(message)


def write_to_outbox(message: EmailMessage) -> Path:
    folder = outbox_folder()
    folder.mkdir(parents=True, exist_ok=True)
    # Sortable names: the newest message is the last file.
    path = folder / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(message))
    current_app.logger.info(
        "Mail to %s written to %s\nSubject: %s\n\n%s", message["To"], path, message["Subject"], message.get_content()
    )
    return path


def send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def outbox_messages() -> list[EmailMessage]:
    """The messages in the outbox, oldest first (for tests and the development outbox)."""
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(outbox_folder().glob("*.eml"))]
