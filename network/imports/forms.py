"""Forms of the import pages and the duplicate merge."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField


class UploadForm(FlaskForm):
    file = FileField(_l("Spreadsheet (CSV or .xlsx)"), description=_l(
        "Columns: name and country are required; see the column list below. At most 20 MB."))  # fmt: skip
    node = SelectField(_l("New members join"), coerce=str, description=_l(
        "The node for rows without a network column."))  # fmt: skip


class MergeForm(FlaskForm):
    """Per-field choices are radio inputs named choice-<field>, rendered by the template."""

    survivor_version = HiddenField()
    duplicate_version = HiddenField()
