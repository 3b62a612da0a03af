"""Forms for logging in, invitations, password resets, the own account and the users page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from network.errors import ValidationError
from network.org_picker import OrganizationField


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class NewPasswordMixin:
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        description=_l("At least 10 characters; not your email; a passphrase of several words is good."),
    )
    confirm = PasswordField(
        _l("Repeat the password"), validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))]
    )


class AcceptInvitationForm(NewPasswordMixin, FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])


class ForgotPasswordForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice("", _l("As my browser asks")), SelectChoice("en", "English"), SelectChoice("zh", "中文")],
        validate_choice=True,
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired()], description=_l("At least 10 characters; not your email.")
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class ScopeFieldsMixin:
    """Role and scope; the view fills the choices with what the current user may grant."""

    # The choices only offer what the user may grant; the service decides (403 for the rest).
    role = SelectField(_l("Role"), validators=[DataRequired()], validate_choice=False)
    organization = OrganizationField(
        _l("Organisation"),
        validators=[Optional()],
        description=_l("For members: the organisation they speak for. Type its name in any language, then pick it."),
    )
    networks = SelectMultipleField(
        _l("Network nodes"),
        coerce=int,
        validate_choice=False,
        description=_l("For coordinators: the nodes they manage (and all below)."),
    )


class InviteUserForm(ScopeFieldsMixin, FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class ChangeRoleForm(ScopeFieldsMixin, FlaskForm):
    pass


def show_errors(form: FlaskForm, error: ValidationError) -> None:
    """Put a service's per-field messages on the form's fields (the rest above the form)."""
    form.form_errors = list(getattr(form, "form_errors", []))
    for name, messages in error.errors.items():
        field = form._fields.get(name) if name else None
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)
