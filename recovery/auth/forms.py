"""Account forms; each field carries its limits so bad input is a message, not a 500."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)

from recovery.auth.services import MAX_PASSWORD_LENGTH, password_problem
from recovery.validation import EMAIL_MAX, LABEL_MAX, at_most


def email_field(label: str = _l("Email")) -> EmailField:
    """An email field with the limits and messages every form shares."""
    return EmailField(
        label,
        validators=[
            DataRequired(_l("Enter an email address.")),
            Length(max=EMAIL_MAX, message=_l("That email address is too long.")),
            Email(_l("Enter a valid email address.")),
        ],
    )


class LoginForm(FlaskForm):
    """Email and password, with an opt-in to stay logged in."""

    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Enter your password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("That password is too long.")),
        ],
    )
    remember = BooleanField(_l("Keep me logged in on this device for 14 days"))
    submit = SubmitField(_l("Log in"))


class SetPasswordForm(FlaskForm):
    """Choose a password (first time, or after a reset)."""

    password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Choose a password."))]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )
    submit = SubmitField(_l("Set password"))

    def __init__(self, *args, email: str = "", **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_password(self, field: PasswordField) -> None:
        """Length and not the email address."""
        problem = password_problem(field.data or "", self._email)
        if problem:
            raise ValidationError(problem)


class ResetRequestForm(FlaskForm):
    """Ask for a password reset link by email."""

    email = email_field()
    submit = SubmitField(_l("Email me a link"))


class LogoutForm(FlaskForm):
    """A CSRF-protected logout button."""

    submit = SubmitField(_l("Log out"))


class ApiTokenForm(FlaskForm):
    """A personal API token: what it is for and how long it lives."""

    label = StringField(
        _l("What it is for"),
        validators=[
            DataRequired(_l("Say what the token is for, e.g. 'EHR sync script'.")),
            at_most(LABEL_MAX),
        ],
    )
    days = IntegerField(
        _l("Valid for (days)"),
        default=30,
        validators=[
            InputRequired(_l("Say how many days the token is valid.")),
            NumberRange(1, 365, message=_l("From 1 to 365 days.")),
        ],
    )
    submit = SubmitField(_l("Create token"))


class CodeForm(FlaskForm):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(_l("Enter the 6-digit code from your authenticator app.")),
            Length(max=40, message=_l("That code is too long.")),
        ],
    )
    submit = SubmitField(_l("Continue"))
