"""Forms of the auth blueprint."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class SignInForm(FlaskForm):
    """Email (staff) or sign-in name (students) and password."""

    login = StringField(
        "Email or sign-in name",
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Sign in")


class JoinClassForm(FlaskForm):
    """A new student joins with a class code, a display name and a password."""

    join_code = StringField(
        "Class code",
        validators=[DataRequired(), Length(max=16)],
        description="Your teacher gives you this code, for example K7M-3QP.",
        render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"},
    )
    display_name = StringField(
        "Your name",
        validators=[DataRequired(), Length(min=2, max=80)],
        description="As your teacher should see it.",
        render_kw={"autocomplete": "name"},
    )
    password = PasswordField(
        "Choose a password",
        validators=[DataRequired(), Length(max=128)],
        description="At least 8 characters. A few words you will remember work well.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Join the class")


class JoinAnotherClassForm(FlaskForm):
    """A signed-in student adds a class by its code."""

    join_code = StringField(
        "Class code",
        validators=[DataRequired(), Length(max=16)],
        render_kw={"autocapitalize": "characters", "autocomplete": "off"},
    )
    submit = SubmitField("Join")


class SetPasswordForm(FlaskForm):
    """Choose a new password (setup link, forced change)."""

    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Type it again",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Save password")


class ChangePasswordForm(SetPasswordForm):
    """Change one's password, proving the current one first."""

    current = PasswordField(
        "Current password",
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    field_order = ("current", "password", "confirm")
