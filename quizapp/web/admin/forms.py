"""Forms of the admin blueprint."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from quizapp.web.forms import own_password_field


class TeacherForm(FlaskForm):
    """A new teacher (or admin), who sets a password through a one-time link."""

    display_name = StringField(
        "Name", validators=[DataRequired(message="Give the teacher's name."), Length(max=120)]
    )
    email = StringField(
        "Email",
        validators=[
            DataRequired(message="Give an email address: teachers sign in with it."),
            Length(max=254),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="This does not look like an email address."
            ),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "type": "email"},
    )
    role = SelectField(
        "Role",
        choices=[
            SelectChoice("teacher", "Teacher"),
            SelectChoice("admin", "Administrator (manages teachers and every class)"),
        ],
        default="teacher",
    )
    password = own_password_field()
    submit = SubmitField("Create and show the setup link")


class ReassignForm(FlaskForm):
    """Give a class to another teacher."""

    teacher_id = SelectField("New teacher", coerce=int)
    password = own_password_field("Your password")
    submit = SubmitField("Reassign")
