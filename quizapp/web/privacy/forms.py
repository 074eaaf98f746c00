"""Forms of the privacy blueprint."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SearchField, SubmitField
from wtforms.validators import Length

from quizapp.web.forms import own_password_field


class SearchForm(FlaskForm):
    """Find a learner by name or sign-in name (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    q = SearchField("Name or sign-in name", validators=[Length(max=120)])
    submit = SubmitField("Search")


class EraseForm(FlaskForm):
    """Erasing a learner, confirmed with the admin's own password."""

    password = own_password_field()
    submit = SubmitField("Erase this learner")
