"""Account forms; each field carries its limits so bad input is a message, not a 500."""

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


def email_field(label: str = "Email") -> EmailField:
    """An email field with the limits and messages every form shares."""
    return EmailField(
        label,
        validators=[
            DataRequired("Enter an email address."),
            Length(max=254, message="That email address is too long."),
            Email("Enter a valid email address."),
        ],
    )


class LoginForm(FlaskForm):
    """Email and password, with an opt-in to stay logged in."""

    email = email_field()
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter your password."),
            Length(max=MAX_PASSWORD_LENGTH, message="That password is too long."),
        ],
    )
    remember = BooleanField("Keep me logged in on this device for 14 days")
    submit = SubmitField("Log in")


class SetPasswordForm(FlaskForm):
    """Choose a password (first time, or after a reset)."""

    password = PasswordField(
        "New password", validators=[DataRequired("Choose a password.")]
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            DataRequired("Repeat the password."),
            EqualTo("password", message="The two passwords are not the same."),
        ],
    )
    submit = SubmitField("Set password")

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
    submit = SubmitField("Email me a link")


class LogoutForm(FlaskForm):
    """A CSRF-protected logout button."""

    submit = SubmitField("Log out")


class ApiTokenForm(FlaskForm):
    """A personal API token: what it is for and how long it lives."""

    label = StringField(
        "What it is for",
        validators=[
            DataRequired("Say what the token is for, e.g. 'EHR sync script'."),
            Length(max=100, message="Use at most 100 characters."),
        ],
    )
    days = IntegerField(
        "Valid for (days)",
        default=30,
        validators=[
            InputRequired("Say how many days the token is valid."),
            NumberRange(1, 365, message="From 1 to 365 days."),
        ],
    )
    submit = SubmitField("Create token")


class CodeForm(FlaskForm):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        validators=[
            DataRequired("Enter the 6-digit code from your authenticator app."),
            Length(max=40, message="That code is too long."),
        ],
    )
    submit = SubmitField("Continue")
