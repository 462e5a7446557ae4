"""The message form: text, an optional wound photo, and the urgent confirmation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Length

from recovery.messages.services import BODY_MAX


class MessageForm(FlaskForm):
    """Write to the care team (or, for staff, reply)."""

    body = TextAreaField(
        _l("Your message"),
        validators=[
            Length(
                max=BODY_MAX,
                message=_l(
                    "Please keep a message under %(max)s characters.", max=BODY_MAX
                ),
            )
        ],
    )
    photo = FileField(
        _l("A photo of your wound (JPEG or PNG, up to 10 MB), if you want")
    )
    # Set once the person has seen the urgent guidance and still wants to send.
    confirmed = HiddenField()
    submit = SubmitField(_l("Send"))


class ButtonForm(FlaskForm):
    """A button that changes something: only its CSRF token."""
