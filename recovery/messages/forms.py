"""The message form: text, an optional wound photo, and the urgent confirmation."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Length

from recovery.messages.services import BODY_MAX


class MessageForm(FlaskForm):
    """Write to the care team (or, for staff, reply)."""

    body = TextAreaField(
        "Your message",
        validators=[
            Length(
                max=BODY_MAX,
                message=f"Please keep a message under {BODY_MAX} characters.",
            )
        ],
    )
    photo = FileField("A photo of your wound (JPEG or PNG, up to 10 MB), if you want")
    # Set once the person has seen the urgent guidance and still wants to send.
    confirmed = HiddenField()
    submit = SubmitField("Send")


class ButtonForm(FlaskForm):
    """A button that changes something: only its CSRF token."""
