"""Forms shared by several blueprints, and the check behind "re-enter your password"."""

from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired

from quizapp import accounts


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for POST-only buttons."""


def own_password_field(label: str = "Confirm with your password") -> PasswordField:
    """The field where staff re-enter their own password before a sensitive change."""
    return PasswordField(
        label,
        validators=[DataRequired(message="Type your own password to confirm.")],
        render_kw={"autocomplete": "current-password"},
    )


class ConfirmPasswordForm(FlaskForm):
    """A sensitive change, confirmed with the signed-in staff member's own password."""

    password = own_password_field()
    submit = SubmitField("Confirm")


def password_confirmed(field: PasswordField) -> bool:
    """Whether ``field`` holds the signed-in user's password; if not, say so beside it."""
    if accounts.verify_password(current_user, field.data or ""):
        return True
    field.errors = [*field.errors, "This is not your password."]
    return False
