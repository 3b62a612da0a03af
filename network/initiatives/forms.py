"""Forms of the initiatives feature: one per use."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from network import labels, numbers
from network.extensions import db
from network.models import Network, Region, Theme
from network.models.initiative import ACTIVITY_KINDS, INITIATIVE_STATUSES, PARTICIPANT_ROLES
from network.organizations.forms import NumberField


def _choices(codes, names) -> list[tuple[str, str]]:
    return [(c, labels.label(names, c)) for c in codes]


class InitiativeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    title_local = StringField(_l("Title in the local language"), validators=[Optional(), Length(max=300)])
    goal = TextAreaField(_l("Goal"), validators=[Optional(), Length(max=2000)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    status = SelectField(_l("Status"), default="proposed")
    network_id = SelectField(_l("Convened by (network node)"), validators=[Optional()])
    themes = SelectMultipleField(_l("Themes"), validators=[Optional()])
    regions = SelectMultipleField(_l("Countries and regions"), validators=[Optional()])
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    target_tco2e = NumberField(_l("Target: tCO2e to reduce"), validators=[Optional()])
    target_people = NumberField(_l("Target: people to reach"), validators=[Optional()], whole=True)
    custom_targets = TextAreaField(
        _l("Other targets"),
        validators=[Optional()],
        description=_l("One per line: label; unit; target value; achieved so far (optional). "
                       "For example: Trucks retrofitted; trucks; 500; 120"),
    )  # fmt: skip
    version = HiddenField()

    def __init__(self, *args, networks: list[Network] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = _choices(INITIATIVE_STATUSES, labels.INITIATIVE_STATUS_LABELS)
        locale = get_locale()  # names of nodes, themes and regions in the reader's language where known
        self.network_id.choices = [("", "—")] + [(str(n.id), labels.localized_name(n, locale)) for n in networks or []]
        themes = db.session.scalars(select(Theme).order_by(Theme.position))
        self.themes.choices = [(t.slug, labels.localized_name(t, locale)) for t in themes]
        regions = db.session.scalars(select(Region).where(Region.level != "world").order_by(Region.level != "country",
                                                                                              Region.name))  # fmt: skip
        self.regions.choices = [(r.code, labels.localized_name(r, locale)) for r in regions]

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date must not be before the start date."))

    def parsed_targets(self) -> list[dict]:
        rows = []
        for line in (self.custom_targets.data or "").splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(";")] + ["", "", "", ""]
            rows.append({"label": parts[0], "unit": parts[1], "value": parts[2], "achieved": parts[3]})
        return rows

    def values(self) -> dict:
        names = ("title", "title_local", "goal", "description", "status", "network_id", "themes", "regions",
                 "start_date", "end_date", "target_tco2e", "target_people")  # fmt: skip
        data = {name: self[name].data for name in names if name in self}
        data["custom_targets"] = self.parsed_targets()
        return data

    @staticmethod
    def targets_text(initiative) -> str:
        plain = numbers.input_text  # text that reads back as the same value ("1.2340", not an ambiguous 1.234)
        return "\n".join(f"{t.label}; {t.unit}; {plain(t.value)}; {plain(t.achieved)}".rstrip("; ")
                         for t in initiative.targets)  # fmt: skip


class InviteForm(FlaskForm):
    organization = HiddenField(validators=[DataRequired()])
    role = SelectField(_l("Role"), default="partner")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _choices(PARTICIPANT_ROLES, labels.PARTICIPANT_ROLE_LABELS)


class AddToInitiativeForm(FlaskForm):
    """From an organisation's page or search results: pick an initiative and a role."""

    initiative = SelectField(_l("Initiative"), validators=[DataRequired()])
    role = SelectField(_l("Role"), default="partner")

    def __init__(self, *args, initiatives=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.initiative.choices = [(i.slug, i.title) for i in initiatives]
        self.role.choices = _choices(PARTICIPANT_ROLES, labels.PARTICIPANT_ROLE_LABELS)


class LinkProjectForm(FlaskForm):
    project = SelectField(_l("Project"), validators=[DataRequired()])

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.project.choices = [(str(p.id), f"{p.title} — {p.lead_organization.name}") for p in projects]


class ActivityForm(FlaskForm):
    kind = SelectField(_l("Kind"), default="note")
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=300)])
    occurred_on = DateField(_l("Date"), validators=[Optional()])
    body = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=20000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(ACTIVITY_KINDS, ACTIVITY_KIND_LABELS)


ACTIVITY_KIND_LABELS = {"note": _l("Note"), "meeting": _l("Meeting"), "call": _l("Call"), "decision": _l("Decision")}


class ConfirmForm(FlaskForm):
    """Empty form: carries the CSRF token of POST-only buttons and the shares table."""
