"""Forms of the directory."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length


class SaveSearchForm(FlaskForm):
    name = StringField(_l("Name of this search"), validators=[DataRequired(), Length(max=120)])
    query = HiddenField()
