"""The one organisation picker: type a name in any script (English, Chinese, pinyin, acronym), pick
from the directory search's matches. The field stores the organisation's id.

With JavaScript, typing asks /organizations/pick (htmx) for a short list of matches as radio
buttons. Without it, the "Find" button submits the form, which comes back with the same list (the
field refuses to validate while a search is pending) — one macro, templates/_org_picker.html,
draws both.
"""

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import Field
from wtforms.validators import StopValidation

from network.extensions import db
from network.models import Organization

MATCHES = 8


def picker_matches(actor, query: str | None) -> list[Organization]:
    """Up to MATCHES organisations for what was typed, best first (names only: no place or theme
    reading, so "Kenya" finds the Kenya Climate Network, not everything in Kenya)."""
    from network.services.search import parse_search_params, search_organizations

    query = (query or "").strip()[:200]
    if not query:
        return []
    params = parse_search_params(MultiDict({"q": query, "text_only": "1", "per_page": str(MATCHES)}))
    return search_organizations(actor, params).items


def organization_by_id(value) -> Organization | None:
    """The organisation of an id (what the picker sends) or of an address name (older links, scripts)."""
    value = str(value or "").strip()[:120]
    if not value:
        return None
    if not value.isdigit():
        return db.session.scalar(select(Organization).where(Organization.slug == value))
    org_id = int(value)
    return db.session.get(Organization, org_id) if 0 < org_id <= 2**31 - 1 else None


class OrganizationPickerWidget:
    def __call__(self, field: "OrganizationField", **kwargs) -> Markup:
        chosen = field.organization
        matches = picker_matches(current_user, field.query) if field.query and field.searching else []
        # A rendered template: its values were escaped by Jinja.
        return Markup(  # noqa: S704
            render_template("_org_picker_field.html", field=field, chosen=chosen, matches=matches,
                            css=kwargs.get("class", ""), describedby=kwargs.get("aria-describedby"))
        )  # fmt: skip


class OrganizationField(Field):
    """An organisation chosen by name: .data is its id (None if none), .organization the record.

    The form sends <name> (the id picked), <name>_q (the words typed) and <name>_find (the
    "Find" button, without JavaScript)."""

    widget = OrganizationPickerWidget()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.query = ""
        self.searching = False
        self._organization = None
        self.unknown = ""  # a value sent that names no organisation

    def process(self, formdata, data=None, extra_filters=None):
        if isinstance(data, Organization):
            data = data.id
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.query = (formdata.get(f"{self.name}_q") or "").strip()[:200]
            self.searching = bool(formdata.get(f"{self.name}_find"))

    def process_formdata(self, valuelist):
        organization = organization_by_id(valuelist[0]) if valuelist else None
        self.data = organization.id if organization is not None else None
        self._organization = organization
        if organization is None and valuelist and str(valuelist[0]).strip():
            self.unknown = str(valuelist[0]).strip()[:120]

    @property
    def organization(self) -> Organization | None:
        if self._organization is None and self.data is not None:
            self._organization = organization_by_id(self.data)
        return self._organization

    def pre_validate(self, form):
        if self.searching:
            # "Find" was pressed: the form comes back with the matches to pick from, nothing saved.
            self.errors = []
            raise StopValidation(_l("Pick one of the organisations found, then send the form."))
        if self.unknown:
            raise StopValidation(_l("No organisation has the address name %(slug)s.", slug=self.unknown))
        if self.query and self.data is None:
            raise StopValidation(_l("Press Find and pick one of the organisations found."))

    def _value(self) -> str:
        return str(self.data) if self.data is not None else ""
