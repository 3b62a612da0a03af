"""The form for creating a personal API token on the account pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)],
                       description=_l("What will use it, e.g. “website sync”."))  # fmt: skip
    scope = SelectField(
        _l("Access"), choices=[SelectChoice("read", _l("Read only")), SelectChoice("read-write", _l("Read and write"))]
    )
    expires_in_days = SelectField(
        _l("Expires"),
        choices=[
            SelectChoice("30", _l("in 30 days")),
            SelectChoice("90", _l("in 90 days")),
            SelectChoice("365", _l("in a year")),
            SelectChoice("never", _l("never")),
        ],
        default="90",
    )

    def expiry_days(self) -> int | None:
        return None if self.expires_in_days.data == "never" else int(self.expires_in_days.data)
