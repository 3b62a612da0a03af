"""Forms for projects and their outcome reports. The services check the values (see
network.organizations.forms for how their messages come back onto the fields)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Form, FormField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import FieldList

from network import labels
from network.models.project import OUTCOME_BASES, PROJECT_ROLES, PROJECT_STATUSES
from network.org_picker import OrganizationField
from network.organizations.forms import (
    EditForm,
    LooseDateField,
    NumberField,
    Required,
    country_choices,
    theme_choices,
)

BLANK_PARTICIPANT_ROWS = 2


class ParticipantRow(Form):
    """One organisation taking part (a sub-form: the outer form carries the CSRF token)."""

    organization = OrganizationField(_l("Organisation"))
    role = SelectField(_l("Role"), validate_choice=False, coerce=labels.choice_coerce("project_role"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        role_labels = getattr(labels, "PROJECT_ROLE_LABELS", {})
        self.role.choices = [(r, labels.label(role_labels, r)) for r in PROJECT_ROLES]


class ProjectForm(EditForm):
    title = StringField(_l("Title"), validators=[Required()])
    title_local = StringField(_l("Title in the local language"))
    summary = TextAreaField(_l("Summary"), render_kw={"rows": 4})
    status = SelectField(_l("Status"), validate_choice=False, coerce=labels.choice_coerce("project_status"))
    start_date = LooseDateField(_l("Start"))
    end_date = LooseDateField(_l("End"))
    budget = NumberField(_l("Budget"), description=_l("Such as 250000.00"))
    currency = StringField(
        _l("Currency"), render_kw={"maxlength": 3}, description=_l("ISO 4217 code, such as USD, EUR or CNY.")
    )
    countries = SelectMultipleField(
        _l("Countries"), validate_choice=False, coerce=labels.choice_coerce("country"),
        render_kw={"size": 8, "data-filter": _l("Filter countries")},
    )  # fmt: skip
    themes = SelectMultipleField(
        _l("Themes"), validate_choice=False, coerce=labels.choice_coerce("theme"),
        render_kw={"size": 8, "data-filter": _l("Filter themes")},
    )  # fmt: skip
    participants = FieldList(FormField(ParticipantRow), label=_l("Other organisations taking part"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(s, labels.label(labels.PROJECT_STATUS_LABELS, s)) for s in PROJECT_STATUSES]
        self.countries.choices = country_choices()
        self.themes.choices = theme_choices()

    def add_blank_rows(self) -> None:
        for _ in range(BLANK_PARTICIPANT_ROWS):
            self.participants.append_entry({"organization": "", "role": "partner"})

    def data_for_service(self) -> dict:
        data = super().data_for_service()
        data["participants"] = [
            {"organization": row.get("organization"), "role": row.get("role")} for row in self.participants.data
        ]
        return data


def project_form_data(project) -> dict:
    return {
        "title": project.title, "title_local": project.title_local, "summary": project.summary,
        "status": project.status, "start_date": project.start_date, "end_date": project.end_date,
        "budget": project.budget, "currency": project.currency,
        "countries": [c.code for c in project.countries], "themes": [t.slug for t in project.themes],
        "participants": [{"organization": p.organization_id, "role": p.role} for p in project.participants],
        "version": project.version,
    }  # fmt: skip


class OutcomeForm(EditForm):
    """An outcome as its organisation reports it: estimated. It becomes verified only when a
    verifier outside the organisation verifies it (a coordinator in scope may enter one verified)."""

    period_start = LooseDateField(_l("Period start"), validators=[Required()])
    period_end = LooseDateField(_l("Period end"), validators=[Required()])
    tco2e_reduced = NumberField(_l("Emissions reduced (tCO2e)"))
    basis = SelectField(_l("Basis"), validate_choice=False, coerce=labels.choice_coerce("outcome_basis"))
    method = StringField(_l("Method"), description=_l("How the reduction was estimated or measured."))
    people_reached = NumberField(_l("People reached"), whole=True)
    note = TextAreaField(_l("Note"), render_kw={"rows": 3})

    def __init__(self, *args, may_verify: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        basis_labels = getattr(labels, "OUTCOME_BASIS_LABELS", {})
        if may_verify:
            self.basis.choices = [(b, labels.label(basis_labels, b)) for b in OUTCOME_BASES]
        else:  # the organisation's own word is an estimate; verification is asked for on the report's page
            del self.basis


def outcome_form_data(report) -> dict:
    return {
        "period_start": report.period_start, "period_end": report.period_end, "tco2e_reduced": report.tco2e_reduced,
        "basis": report.basis, "method": report.method, "people_reached": report.people_reached,
        "note": report.note, "version": report.version,
    }  # fmt: skip


class EvidenceForm(FlaskForm):
    file = FileField(_l("Evidence file"), description=_l("PDF, image (PNG, JPEG, WebP) or spreadsheet (XLSX, XLS, ODS, "
                                                          "CSV), up to 10 MB."))  # fmt: skip


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), render_kw={"rows": 3},
                            description=_l("Required when returning the report: say what is missing or wrong."))  # fmt: skip


class ConfirmForm(FlaskForm):
    """Empty form: carries the CSRF token of POST-only buttons."""
