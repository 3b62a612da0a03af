"""A mailing's message for one recipient: fields filled in, Markdown rendered to safe HTML (raw HTML
in the source is shown as text, javascript: links are refused) and plain text, in their language."""

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import escape

# {{ organisation }} (or organization), {{ name }}, {{ node }}; anything else is left as written.
FIELD = re.compile(r"\{\{\s*(organisation|organization|name|node)\s*\}\}")
# CommonMark with raw HTML off: "<script>" in a body arrives as text, never as markup.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


@dataclass
class Message:
    language: str
    subject: str
    text: str
    html: str
    fragment: str = ""  # the body's HTML without the page around it (the preview shows it)


def fill(text: str, values: dict) -> str:
    def value(match) -> str:
        key = match.group(1)
        return values.get("organisation" if key == "organization" else key) or ""

    return FIELD.sub(value, text)


def version_for(mailing, language: str | None) -> tuple[str, str, str]:
    """(language, subject, body) of the version in this language, else the default one."""
    other = (mailing.versions or {}).get(language or "")
    if language and language != mailing.language and other and other.get("subject") and other.get("body"):
        return language, other["subject"], other["body"]
    return mailing.language, mailing.subject, mailing.body


def to_html(markdown: str) -> str:
    return _MARKDOWN.render(markdown)


def render(mailing, values: dict, language: str | None, unsubscribe_url: str | None) -> Message:
    """The message one recipient gets; values: organisation, name, node."""
    code, subject, body = version_for(mailing, language)
    filled = fill(body, values)
    locale = code if code in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        if unsubscribe_url:
            footer = _("You receive this as a contact of %(org)s in the network. Unsubscribe: %(url)s",
                       org=values.get("organisation") or "", url=unsubscribe_url)  # fmt: skip
            link = _("Unsubscribe from network mail")
        else:
            footer = link = ""
    text = filled.rstrip() + ("\n\n-- \n" + footer + "\n" if footer else "\n")
    html = to_html(filled)
    if unsubscribe_url:
        html += f'<hr>\n<p><a href="{escape(unsubscribe_url)}">{escape(link)}</a></p>\n'
    page = f'<!DOCTYPE html>\n<html lang="{escape(code)}"><body>\n{html}</body></html>\n'
    return Message(code, fill(subject, values).replace("\n", " ").strip(), text, page, html)
