"""Forms of the administration pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional

from network.models import User
from network.services.history import ACTION_LABELS, ENTITY_LABELS


class AuditFilterForm(FlaskForm):
    """Filters of the audit log, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    actor = SelectField(_l("Who"), validate_choice=True)
    entity = SelectField(_l("What"), validate_choice=True)
    action = SelectField(_l("Change"), validate_choice=True)
    since = DateField(_l("From"), validators=[Optional()], render_kw={"type": "date"})
    until = DateField(_l("Until"), validators=[Optional()], render_kw={"type": "date"})

    def __init__(self, *args, actors: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.actor.choices = [SelectChoice("", _l("Anyone"))] + [
            SelectChoice(str(u.id), f"{u.name} <{u.email}>") for u in actors
        ]
        self.entity.choices = [SelectChoice("", _l("Any record"))] + [
            SelectChoice(key, str(label)) for key, label in ENTITY_LABELS.items()
        ]
        self.action.choices = [SelectChoice("", _l("Any change"))] + [
            SelectChoice(key, str(label)) for key, label in ACTION_LABELS.items()
        ]
