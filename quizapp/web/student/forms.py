"""Forms of the student blueprint."""

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class JoinClassCodeForm(FlaskForm):
    """Join one more class with its code."""

    join_code = StringField(
        "Class code",
        validators=[DataRequired(), Length(max=16)],
        render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField("Join class")


class AttemptPageForm(FlaskForm):
    """The quiz page: only its CSRF token is declared; answers are read through the registry."""
