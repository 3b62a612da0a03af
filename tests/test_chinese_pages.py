"""Every page of the inventory (the permission matrix's readable pages) rendered in Chinese: no
English sentence from the catalogue left untranslated, no raw codes (enum values, theme slugs), no
field names, no microsecond timestamps and no Python reprs in what a reader sees.

Each page is read by the most privileged role allowed to open it (so edit links, history and
admin panels are included). What is checked is the page's visible text and the attributes a
screen reader reads out (title, aria-label, placeholder, alt); code samples are left out.
"""

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from network import labels
from network.services.history import CHANGE_REQUEST_STATUS_LABELS, IMPORT_STATUS_LABELS
from network.services.reference import read_csv
from tests.conftest import login
from tests.test_permission_matrix import MUTATING, TABLE, targets  # noqa: F401 (the fixture)
from tests.test_translations import CATALOGUE

READERS = ("admin", "coordinator_x", "member_a", "viewer", "anonymous")
SKIPPED = ("/api/", ".json", ".csv", ".xlsx", "/export", "/healthz", "/download", "/logout", "/progress")
SKIPPED += ("/organizations/pick",)  # the organisation picker's matches: an htmx fragment, not a page
SKIPPED += (".ics",)  # calendar files (events), not pages
SKIPPED += ("/evidence/",)  # an evidence file: always a download, never a page
REDIRECTS = {"/organizations/shared/{saved_a_token}"}  # a shared search opens the directory

# The start page's duplicates card (an htmx fragment) and "My organisation" (a redirect): not pages.
SKIPPED += ("/start/duplicates",)
REDIRECTS |= {"/my-organization"}
# "Merge a duplicate into this record" once the duplicate is picked: on to the merge page.
REDIRECTS |= {"/organizations/{org_a}/merge?duplicate={company_id}"}


def _catalogue():
    with CATALOGUE.open("rb") as file:
        messages = [m for m in read_po(file, locale="zh") if m.id and isinstance(m.id, str)]
    return {m.id for m in messages if m.string and m.string != m.id and "%(" not in m.id}


ENGLISH = {text for text in _catalogue() if len(text) > 3 and re.search("[a-z]", text)}
CODES = {
    str(code)
    for name in dir(labels)
    if name.endswith("_LABELS") and isinstance(getattr(labels, name), dict)
    for code, label in getattr(labels, name).items()
    if isinstance(code, str) and str(label) != code
} | {row["slug"] for row in read_csv("themes.csv")}
# Statuses labelled by the history module (imports, change requests), not network.labels.
CODES |= {code for table in (IMPORT_STATUS_LABELS, CHANGE_REQUEST_STATUS_LABELS) for code in table}
FIELD_NAME = re.compile(r"^[a-z]+(_[a-z]+)+$")
MICROSECONDS = re.compile(r"\d{2}:\d{2}:\d{2}\.\d{3,6}")
REPR = re.compile(r"<[A-Z][A-Za-z]+ [^>]*>|\bNone\b|^\{'|^\['|datetime\.")


class VisibleText(HTMLParser):
    HIDDEN = {"script", "style", "code", "pre", "textarea", "template", "mark"}  # mark: the searched words
    SPOKEN = ("title", "aria-label", "placeholder", "alt")

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        for name, value in attrs:
            if name in self.SPOKEN and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self.hidden:
            self.texts.append(text)


BRAND = re.compile(r'<a class="navbar-brand[^>]*>network</a>')  # the product's name is not translated


def faults(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(BRAND.sub("", html))
    found = []
    for text in parser.texts:
        if text in ENGLISH:
            found.append(f"English: {text!r}")
        elif text in CODES or FIELD_NAME.match(text):
            found.append(f"code or field name: {text!r}")
        elif MICROSECONDS.search(text):
            found.append(f"microseconds: {text!r}")
        elif REPR.search(text):
            found.append(f"Python repr: {text!r}")
    return sorted(set(found))


def html_pages():
    for (endpoint, method), cases in TABLE.items():
        if method in MUTATING:
            continue
        for index, case in enumerate(cases):
            if case.status is not None or any(s in case.path for s in SKIPPED):
                continue
            if case.path not in REDIRECTS and any(r in case.allowed for r in READERS):
                yield pytest.param(case, id=f"{endpoint} #{index}")


def read_in_chinese(app, targets, case) -> str:  # noqa: F811 (the fixture's value)
    """The page as the most privileged reader who gets a page (a logged-in user is sent on from
    the login form, so that one is read anonymously)."""
    for reader in (r for r in READERS if r in case.allowed):
        client = app.test_client()
        if reader != "anonymous":
            login(client, targets.world.users[reader])
        response = client.get(targets.fill(case.path, reader), headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        if response.status_code == 200 and response.mimetype == "text/html":
            return response.get_data(as_text=True)
    raise AssertionError(f"no reader got {case.path} as a page")


@pytest.mark.parametrize("case", list(html_pages()))
def test_page_reads_in_chinese(app, targets, case):  # noqa: F811 (the fixture)
    html = read_in_chinese(app, targets, case)
    assert 'lang="zh-Hans"' in html
    assert faults(html) == []


def test_an_import_page_names_its_status_by_its_label(app, targets):  # noqa: F811 (the fixture)
    """The import's page says where it stands, in the reader's language (not "previewed")."""
    client = app.test_client()
    login(client, targets.world.users["admin"])
    html = client.get(targets.fill("/imports/{job_x}", "admin"), headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True
    )
    status = re.search(r'data-testid="import-status">([^<]*)<', html).group(1)
    assert status.startswith("状态：") and not any(code in status for code in IMPORT_STATUS_LABELS), status
