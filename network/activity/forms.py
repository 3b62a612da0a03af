"""The form of the CRM activity log (on initiatives and organisations)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from network.models.initiative import ACTIVITY_KINDS

ACTIVITY_KIND_LABELS = {"note": _l("Note"), "meeting": _l("Meeting"), "call": _l("Call"), "decision": _l("Decision")}


class ActivityForm(FlaskForm):
    kind = SelectField(_l("Kind"), default="note")
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=300)])
    occurred_on = DateField(_l("Date"), validators=[Optional()])
    body = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=20000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k, str(ACTIVITY_KIND_LABELS.get(k, k))) for k in ACTIVITY_KINDS]

    def values(self) -> dict:
        return {"kind": self.kind.data, "subject": self.subject.data, "body": self.body.data,
                "occurred_on": self.occurred_on.data}  # fmt: skip
