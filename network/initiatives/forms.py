"""Forms of the initiatives feature: one per use."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired

from network import labels, numbers
from network.extensions import db
from network.models import Network, Region, Theme
from network.models.initiative import INITIATIVE_STATUSES, PARTICIPANT_ROLES
from network.org_picker import OrganizationField
from network.organizations.forms import EditForm, LooseDateField, NumberField, Required


def _choices(codes, names) -> list[tuple[str, str]]:
    return [(c, labels.label(names, c)) for c in codes]


class InitiativeForm(EditForm):
    """Parses and renders; the service checks the values (see network.organizations.forms)."""

    title = StringField(_l("Title"), validators=[Required()])
    title_local = StringField(_l("Title in the local language"))
    goal = TextAreaField(_l("Goal"))
    description = TextAreaField(_l("Description"))
    status = SelectField(_l("Status"), validate_choice=False, coerce=labels.choice_coerce("initiative_status"))
    network_id = SelectField(_l("Convened by (network node)"), validate_choice=False)
    themes = SelectMultipleField(_l("Themes"), validate_choice=False, coerce=labels.choice_coerce("theme"))
    regions = SelectMultipleField(_l("Countries and regions"), validate_choice=False,
                                  coerce=labels.choice_coerce("country"))  # fmt: skip
    start_date = LooseDateField(_l("Start date"))
    end_date = LooseDateField(_l("End date"))
    target_tco2e = NumberField(_l("Target: tCO2e to reduce"))
    target_people = NumberField(_l("Target: people to reach"), whole=True)
    custom_targets = TextAreaField(
        _l("Other targets"),
        description=_l("One per line: label; unit; target value; achieved so far (optional). "
                       "For example: Trucks retrofitted; trucks; 500; 120"),
    )  # fmt: skip
    # Form field → service field, and back for the service's messages.
    SERVICE_NAMES = {"network_id": "network", "custom_targets": "targets"}

    def __init__(self, *args, networks: list[Network] | None = None, **kwargs):
        """``networks``: the nodes to convene in, when creating; None when editing (chosen once)."""
        super().__init__(*args, **kwargs)
        self.status.choices = _choices(INITIATIVE_STATUSES, labels.INITIATIVE_STATUS_LABELS)
        locale = get_locale()  # names of nodes, themes and regions in the reader's language where known
        if networks is None:
            del self.network_id
        else:
            self.network_id.choices = [("", "—")] + [(str(n.id), labels.localized_name(n, locale)) for n in networks]
        themes = db.session.scalars(select(Theme).order_by(Theme.position))
        self.themes.choices = [(t.slug, labels.localized_name(t, locale)) for t in themes]
        regions = db.session.scalars(select(Region).where(Region.level != "world").order_by(Region.level != "country",
                                                                                              Region.name))  # fmt: skip
        self.regions.choices = [(r.code, labels.localized_name(r, locale)) for r in regions]
        if not self.is_submitted():
            self.remember_original()

    def parsed_targets(self) -> list[dict]:
        rows = []
        for line in (self.custom_targets.data or "").splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(";")] + ["", "", "", ""]
            rows.append({"label": parts[0], "unit": parts[1], "value": parts[2], "achieved": parts[3]})
        return rows

    def data_for_service(self) -> dict:
        data = super().data_for_service()
        data["custom_targets"] = self.parsed_targets()
        return {self.SERVICE_NAMES.get(name, name): value for name, value in data.items()}

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        back = {service: field for field, service in self.SERVICE_NAMES.items()}
        super().show_errors({back.get(key, key): messages for key, messages in errors.items()})


def initiative_form_data(initiative) -> dict:
    """The stored initiative as the edit form shows it."""
    plain = numbers.input_text  # text that reads back as the same value ("1.2340", not an ambiguous 1.234)
    return {
        "title": initiative.title, "title_local": initiative.title_local, "goal": initiative.goal,
        "description": initiative.description, "status": initiative.status,
        "start_date": initiative.start_date.isoformat() if initiative.start_date else "",
        "end_date": initiative.end_date.isoformat() if initiative.end_date else "",
        "target_tco2e": initiative.target_tco2e, "target_people": initiative.target_people,
        "themes": [t.slug for t in initiative.themes], "regions": [r.code for r in initiative.regions],
        "custom_targets": "\n".join(f"{t.label}; {t.unit}; {plain(t.value)}; {plain(t.achieved)}".rstrip("; ")
                                     for t in initiative.targets),
        "version": initiative.version,
    }  # fmt: skip


class InviteForm(FlaskForm):
    organization = OrganizationField(_l("Organisation or firm"), validators=[DataRequired()])
    role = SelectField(_l("Role"), default="partner", coerce=labels.choice_coerce("participant_role"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _choices(PARTICIPANT_ROLES, labels.PARTICIPANT_ROLE_LABELS)


class AddToInitiativeForm(FlaskForm):
    """From an organisation's page or search results: pick an initiative and a role."""

    initiative = SelectField(_l("Initiative"), validators=[DataRequired()])
    role = SelectField(_l("Role"), default="partner", coerce=labels.choice_coerce("participant_role"))

    def __init__(self, *args, initiatives=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.initiative.choices = [(i.slug, i.title) for i in initiatives]
        self.role.choices = _choices(PARTICIPANT_ROLES, labels.PARTICIPANT_ROLE_LABELS)


class LinkProjectForm(FlaskForm):
    project = SelectField(_l("Project"), validators=[DataRequired()])

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.project.choices = [(str(p.id), f"{p.title} — {p.lead_organization.name}") for p in projects]


class AnswerForm(FlaskForm):
    """A coordinator records the answer of an organisation without user accounts."""

    answer = SelectField(_l("Answer"))
    answered_on = StringField(_l("Date of the answer"), render_kw={"type": "date"})
    how = StringField(
        _l("How it was agreed"), render_kw={"maxlength": 300, "placeholder": _l("e.g. email from the CEO, 3 May")}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answer.choices = _choices(("accepted", "declined"), labels.INVITATION_STATUS_LABELS)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _choices(PARTICIPANT_ROLES, labels.PARTICIPANT_ROLE_LABELS)


class ConfirmForm(FlaskForm):
    """Empty form: carries the CSRF token of POST-only buttons and the shares table."""
