"""Forms of the teacher blueprint."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from quizapp.models import GRADING_METHODS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
GRADING_LABELS = {
    "highest": "Highest attempt",
    "first": "First attempt",
    "last": "Last attempt",
    "average": "Average of all attempts",
}
TIMING_LABELS = [
    SelectChoice("during", "During the attempt"),
    SelectChoice("after_submit", "Right after submitting"),
    SelectChoice("after_due", "After the due date"),
    SelectChoice("never", "Never"),
]


def aware(value: datetime | None) -> datetime | None:
    """A date from a form (entered in UTC) as an aware UTC datetime."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(label: str, description: str) -> DateTimeLocalField:
    return DateTimeLocalField(
        label, format=DATETIME_FORMAT, validators=[Optional()], description=description
    )


class ClassForm(FlaskForm):
    """Create or rename a class."""

    name = StringField(
        "Class name",
        validators=[DataRequired(message="Give the class a name."), Length(max=120)],
        description="As you and your students call it, for example “9A History”.",
    )
    submit = SubmitField("Save")


class RosterUploadForm(FlaskForm):
    """A CSV file of student names."""

    file = FileField(
        "CSV file of names",
        validators=[
            FileRequired(message="Choose a CSV file."),
            FileAllowed(["csv", "txt"], "Choose a .csv or .txt file."),
        ],
        description="One student per row. A header row with a “name” column (and optionally a "
        "“username” column) is read if present; without one, the first column is the name. "
        "Save from Excel as “CSV UTF-8”. At most 60 students per file.",
        render_kw={"accept": ".csv,.txt,text/csv"},
    )
    submit = SubmitField("Check and add students")


class AssignmentForm(FlaskForm):
    """Everything about an assignment. Choices of ``target`` are set by the view."""

    target = SelectField(
        "What to assign", validators=[DataRequired(message="Choose what to assign.")]
    )
    title = StringField(
        "Title",
        validators=[Length(max=200)],
        description="Leave empty to use the lesson, quiz or module title.",
    )
    instructions = TextAreaField("Instructions for students", validators=[Length(max=4000)])
    open_at = _when("Opens", "Empty: open at once. Times are in UTC.")
    due_at = _when("Due", "Empty: no due date. Work after it is marked overdue.")
    close_at = _when("Closes", "Empty: never closes. No new answers after this time.")
    time_limit_minutes = IntegerField(
        "Time limit (minutes)",
        validators=[Optional()],
        description="1 to 600 minutes; empty for no limit.",
        render_kw={"min": 1, "max": 600, "inputmode": "numeric"},
    )
    attempts_allowed = IntegerField(
        "Attempts allowed",
        default=1,
        validators=[Optional()],
        description="0 for unlimited, up to 20.",
        render_kw={"min": 0, "max": 20, "inputmode": "numeric"},
    )
    grading_method = SelectField(
        "Grade from",
        choices=[SelectChoice(m, GRADING_LABELS[m]) for m in GRADING_METHODS],
        default="highest",
    )
    shuffle_questions = BooleanField("Shuffle the order of questions")
    shuffle_options = BooleanField("Shuffle the options of choice questions", default=True)
    review_score = SelectField(
        "Students see their score", choices=TIMING_LABELS, default="after_submit"
    )
    review_correctness = SelectField(
        "Students see which answers were right", choices=TIMING_LABELS, default="after_submit"
    )
    review_answers = SelectField(
        "Students see the right answers", choices=TIMING_LABELS, default="after_due"
    )
    review_feedback = SelectField(
        "Students see feedback", choices=TIMING_LABELS, default="after_due"
    )
    submit = SubmitField("Save assignment")

    def values(self) -> dict:
        """The settings as the assignment service takes them."""
        return {
            "target": self.target.data,
            "title": self.title.data or "",
            "instructions": self.instructions.data or "",
            "open_at": aware(self.open_at.data),
            "due_at": aware(self.due_at.data),
            "close_at": aware(self.close_at.data),
            "time_limit_minutes": self.time_limit_minutes.data,
            "attempts_allowed": self.attempts_allowed.data,
            "grading_method": self.grading_method.data,
            "shuffle_questions": bool(self.shuffle_questions.data),
            "shuffle_options": bool(self.shuffle_options.data),
            "review_score": self.review_score.data,
            "review_correctness": self.review_correctness.data,
            "review_answers": self.review_answers.data,
            "review_feedback": self.review_feedback.data,
        }


class ExtensionForm(FlaskForm):
    """A later due or closing date, or extra minutes, for one student."""

    student = SelectField(
        "Student", coerce=int, validators=[DataRequired(message="Choose a student.")]
    )
    due_at = _when("New due date", "Empty: keep the class's due date.")
    close_at = _when("New closing date", "Empty: keep the class's closing date.")
    extra_minutes = IntegerField(
        "Extra minutes",
        validators=[Optional()],
        description="Added to the time limit of each attempt.",
        render_kw={"min": 0, "max": 600, "inputmode": "numeric"},
    )
    submit = SubmitField("Save extension")
