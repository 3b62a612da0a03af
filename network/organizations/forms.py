"""Forms for editing organisations, their memberships, people, partnerships and change requests.

The forms parse and render; the rules live in the services (network.services.*), whose per-field
ValidationError messages are put back on the fields with ``show_errors``. So the web, the API
and the importer check the same things in one place.
"""

import json

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)  # fmt: skip
from wtforms.widgets import DateInput

from network import labels, numbers
from network.models import Network
from network.models.organization import MEMBERSHIP_STATUSES, ORGANIZATION_KINDS
from network.models.project import PARTNERSHIP_KINDS, PARTNERSHIP_STATUSES
from network.org_picker import OrganizationField
from network.services import reference


class Required:
    """Marks a field as required in the page (asterisk); the service does the checking."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        pass


class LooseDateField(StringField):
    """A date picker whose text goes to the service unparsed (it reports bad dates per field)."""

    widget = DateInput()


class NumberField(StringField):
    """A number as people type it ("1 200,5", "１２００"): the text goes to the service, which reads
    it with network.numbers as the API and the importer do. A stored value shows as text that
    reads back as the same value (100.000 tCO2e as 100)."""

    def __init__(self, label=None, validators=None, *, whole: bool = False, **kwargs):
        render_kw = {"inputmode": "numeric" if whole else "decimal", **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_data(self, value) -> None:
        self.data = numbers.input_text(value) if value is not None else None


class EditForm(FlaskForm):
    """Every edit form carries the version it was read at, so a stale save is detected, and the
    values it showed (``original``), so a conflict can tell the fields you changed from the rest."""

    version = HiddenField()
    original = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.remember_original()

    def service_fields(self) -> list[str]:
        skip = {"version", "original", "csrf_token", *getattr(self, "not_for_service", ())}
        return [name for name in self._fields if name not in skip]

    def data_for_service(self) -> dict:
        return {name: self._fields[name].data for name in self.service_fields()}

    def comparable(self) -> dict:
        """The fields' values in a form that compares equal when the person left them alone."""
        return {name: comparable_value(self._fields[name].data) for name in self.service_fields()}

    def remember_original(self) -> None:
        value = json.dumps(self.comparable(), sort_keys=True)
        self.original.data, self.original.raw_data = value, [value]

    def touched_fields(self) -> set[str] | None:
        """The fields changed since the form was shown; None when that is unknown."""
        try:
            original = json.loads(self.original.data or "")
        except ValueError:
            return None
        if not isinstance(original, dict):
            return None
        return {name for name, value in self.comparable().items() if original.get(name) != value}

    def take_changes_from(self, submitted: "EditForm", names) -> None:
        """Carry the person's own values over onto this (fresh) form: re-applying after a conflict."""
        for name in names:
            if name in self._fields and name in submitted._fields:
                self._fields[name] = submitted._fields[name]
                setattr(self, name, submitted._fields[name])

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """Put a service's per-field messages on the fields; others go above the form."""
        for key, messages in errors.items():
            target = self._fields.get(key)
            if target is not None and key != "csrf_token" and target.type != "HiddenField":
                target.errors = list(target.errors or []) + list(messages)
            else:
                self.form_errors.extend(messages)

    def set_version(self, version: int) -> None:
        """Re-arm the form against the version now stored (re-applying after a conflict)."""
        self.version.data = str(version)
        self.version.raw_data = [str(version)]


def comparable_value(value):
    if value is None or value == "":
        return ""
    if isinstance(value, list):
        rows = [comparable_value(v) for v in value]
        return sorted(
            json.dumps(r, sort_keys=True) if isinstance(r, dict) else str(r) for r in rows if r not in ("", {})
        )
    if isinstance(value, dict):  # a sub-form row (project participants): empty rows do not count
        row = {k: comparable_value(v) for k, v in value.items()}
        return row if row.get("organization", "x") else {}
    if isinstance(value, bool):
        return value
    return str(value).replace("\r\n", "\n").strip()


def kind_choices():
    return [(k, labels.label(labels.ORGANIZATION_KIND_LABELS, k)) for k in ORGANIZATION_KINDS]


def country_choices(blank: bool = False):
    choices = reference.country_names(str(get_locale()))
    return [("", _l("— none —"))] + choices if blank else choices


def theme_choices():
    return reference.theme_names(str(get_locale()))


class ProfileChangeForm(EditForm):
    """What a member changes about its own organisation: each field saved at once where its nodes
    allow it, or proposed to a coordinator (network.services.organizations.edit_own_profile)."""

    name = StringField(_l("Name"), validators=[Required()])
    name_local = StringField(_l("Local name"), description=_l("The name in the local language, such as Chinese."))
    acronym = StringField(_l("Acronym"))
    kind = SelectField(_l("Kind"), validate_choice=False, coerce=labels.choice_coerce("organization_kind"))
    hq_country = SelectField(_l("Headquarters country"), validate_choice=False, coerce=labels.choice_coerce("country"))
    website = StringField(_l("Website"), description=_l("Such as https://example.org"))
    email = StringField(_l("Email"))
    phone = StringField(_l("Phone"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 5})
    countries = SelectMultipleField(
        _l("Countries of operation"),
        validate_choice=False,
        coerce=labels.choice_coerce("country"),
        render_kw={"size": 8, "data-filter": _l("Filter countries")},
    )
    themes = SelectMultipleField(
        _l("Themes"),
        validate_choice=False,
        coerce=labels.choice_coerce("theme"),
        render_kw={"size": 8, "data-filter": _l("Filter themes")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = kind_choices()
        self.hq_country.choices = country_choices(blank=True)
        self.countries.choices = country_choices()
        self.themes.choices = theme_choices()


class OrganizationForm(ProfileChangeForm):
    """The whole profile, edited directly by coordinators of the organisation's nodes and admins."""

    founded = NumberField(_l("Year founded"), whole=True)
    identifiers = StringField(
        _l("Identifiers"), description=_l("org-id.guide identifiers separated by commas, such as GB-CHC-1000003.")
    )


class NewOrganizationForm(OrganizationForm):
    network = SelectField(_l("Member of network node"), validate_choice=False)
    # Set once the "this looks like …" warning was shown: a second submit creates it anyway.
    create_anyway = HiddenField()
    not_for_service = ("network", "create_anyway")

    def __init__(self, networks: list[Network], *args, allow_none: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.allow_none = allow_none
        choices = [(str(n.id), n.name) for n in networks]
        self.network.choices = [("", _l("— no membership —"))] + choices if allow_none else choices


class DirectEditForm(FlaskForm):
    """A node's choice of the profile fields its members' organisations edit without approval."""

    fields = SelectMultipleField(_l("Saved without approval"), validate_choice=False)


def organization_form_data(org) -> dict:
    """The organisation's values as the form shows them."""
    return {
        "name": org.name, "name_local": org.name_local, "acronym": org.acronym, "kind": org.kind,
        "hq_country": org.hq_country.code if org.hq_country else "", "website": org.website, "email": org.email,
        "phone": org.phone, "description": org.description, "founded": org.founded,
        "countries": [c.code for c in org.countries], "themes": [t.slug for t in org.themes],
        "identifiers": ", ".join(i.value for i in org.identifiers), "version": org.version,
    }  # fmt: skip


class MembershipForm(EditForm):
    status = SelectField(_l("Status"), validate_choice=False, coerce=labels.choice_coerce("membership_status"))
    joined_on = LooseDateField(_l("Joined on"))
    left_on = LooseDateField(_l("Left on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(s, labels.label(labels.MEMBERSHIP_STATUS_LABELS, s)) for s in MEMBERSHIP_STATUSES]


class NewMembershipForm(MembershipForm):
    network = SelectField(_l("Network node"), validate_choice=False, validators=[Required()])
    not_for_service = ("network",)

    def __init__(self, networks: list[Network], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.network.choices = [(str(n.id), n.name) for n in networks]


class PersonForm(EditForm):
    name = StringField(_l("Name"), validators=[Required()])
    title = StringField(_l("Job title"))
    email = StringField(_l("Email"))
    phone = StringField(_l("Phone"))
    consent_to_list = BooleanField(_l("Agreed to be listed publicly"))
    mail_consent = BooleanField(_l("Agreed to receive network mail (mailings)"))
    language = SelectField(
        _l("Language for network mail"),
        choices=[
            SelectChoice("", _l("The mailing's default")),
            SelectChoice("en", "English"),
            SelectChoice("zh", "中文"),
        ],
        validate_choice=False,
    )


class PartnershipForm(EditForm):
    kind = SelectField(
        _l("Kind of partnership"),
        validate_choice=False,
        validators=[Required()],
        coerce=labels.choice_coerce("partnership_kind"),
    )
    status = SelectField(_l("Status"), validate_choice=False, coerce=labels.choice_coerce("partnership_status"))
    start_date = LooseDateField(_l("Start"))
    end_date = LooseDateField(_l("End"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 3})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k, labels.label(labels.PARTNERSHIP_KIND_LABELS, k)) for k in PARTNERSHIP_KINDS]
        status_labels = getattr(labels, "PARTNERSHIP_STATUS_LABELS", {})
        self.status.choices = [(s, labels.label(status_labels, s)) for s in PARTNERSHIP_STATUSES]


class NewPartnershipForm(PartnershipForm):
    partner = OrganizationField(
        _l("Partner organisation"),
        validators=[Required()],
        description=_l("Type its name in any language, then pick it."),
    )


class ReviewForm(FlaskForm):
    """Approve or reject a change request; ``overwrite`` confirms applying over a newer edit."""

    comment = TextAreaField(_l("Comment for the member"), render_kw={"rows": 3})
    overwrite = HiddenField()


class ArchiveForm(FlaskForm):
    """Archive / restore buttons: the version guards against archiving what someone just changed."""

    version = HiddenField()


def membership_form_data(membership) -> dict:
    return {"status": membership.status, "joined_on": membership.joined_on, "left_on": membership.left_on,
            "version": membership.version}  # fmt: skip


def person_form_data(person) -> dict:
    return {"name": person.name, "title": person.title, "email": person.email, "phone": person.phone,
            "consent_to_list": person.consent_to_list, "mail_consent": person.mail_consent,
            "language": person.language or "", "version": person.version}  # fmt: skip


def partnership_form_data(partnership) -> dict:
    return {"kind": partnership.kind, "status": partnership.status, "start_date": partnership.start_date,
            "end_date": partnership.end_date, "description": partnership.description,
            "version": partnership.version}  # fmt: skip
