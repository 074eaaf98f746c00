"""Forms of the quiz, lesson and module builders."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from quizapp.authoring.quizzes import MAX_SEED
from quizapp.questions import QUESTION_TYPES
from quizapp.web.bank.forms import select_choices


class QuizForm(FlaskForm):
    """Create a quiz."""

    title = StringField(
        "Title", validators=[DataRequired("Give the quiz a title."), Length(max=200)]
    )
    description = TextAreaField("Description (optional)", validators=[Length(max=2000)])
    kind = RadioField(
        "How to choose its questions",
        choices=select_choices(
            [
                ("fixed", "Pick questions by hand"),
                ("blueprint", "Generate from a blueprint (topics, difficulty, types)"),
            ]
        ),
        default="blueprint",
    )
    submit = SubmitField("Create quiz")


class QuizSettingsForm(FlaskForm):
    """Rename a quiz."""

    title = StringField(
        "Title", validators=[DataRequired("Give the quiz a title."), Length(max=200)]
    )
    description = TextAreaField("Description (optional)", validators=[Length(max=2000)])
    submit = SubmitField("Save title and description")


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes in a list (inside a fieldset with a legend)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BlueprintRowForm(Form):
    """One row of a blueprint: how many questions of which topic, difficulty and types."""

    count = IntegerField(
        "Number of questions",
        validators=[Optional(), NumberRange(0, 50, "Give a number from 0 to 50.")],
    )
    topic = SelectField("Topic", choices=[], validate_choice=False)
    difficulty = SelectField(
        "Difficulty", choices=select_choices([("", "Any"), ("1", "1"), ("2", "2"), ("3", "3")])
    )
    types = MultiCheckboxField(
        "Types (none ticked: any type)",
        choices=select_choices((n, t.label) for n, t in QUESTION_TYPES.items()),
    )


class BlueprintForm(FlaskForm):
    """A quiz's blueprint, its seed and the class whose seen questions to leave out."""

    rows = FieldList(FormField(BlueprintRowForm), min_entries=1, max_entries=20)
    seed = IntegerField(
        "Seed",
        description="The same blueprint and seed always give the same quiz. Leave blank for a new one.",
        validators=[
            Optional(),
            NumberRange(1, MAX_SEED, f"Give a whole number from 1 to {MAX_SEED}."),
        ],
    )
    exclude_class = SelectField(
        "Leave out questions already seen by", choices=[], validate_choice=False
    )
    submit = SubmitField("Generate quiz")


class ModuleForm(FlaskForm):
    """Create or rename a module."""

    title = StringField(
        "Title", validators=[DataRequired("Give the module a title."), Length(max=200)]
    )
    description = TextAreaField("Description (optional)", validators=[Length(max=2000)])
    minutes = IntegerField(
        "Planned minutes (optional)",
        validators=[Optional(), NumberRange(1, 600, "Give a number of minutes from 1 to 600.")],
    )
    submit = SubmitField("Save module")


class AddLessonForm(FlaskForm):
    """Add a lesson step."""

    lesson = SelectField("Lesson", coerce=int, choices=[])
    with_quiz = BooleanField("Also add the lesson's quiz after it", default=True)
    submit = SubmitField("Add lesson")


class AddQuizForm(FlaskForm):
    """Add a quiz step."""

    quiz = SelectField("Quiz", coerce=int, choices=[])
    submit = SubmitField("Add quiz")
