"""Forms of the question bank. The authoring form is built at run time from the type registry."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional

from quizapp.authoring.bank import OWNERSHIP
from quizapp.authoring.questions import OPTION_ROWS, PAIR_ROWS
from quizapp.questions import COGNITIVE_LEVELS, QUESTION_TYPES


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


DIFFICULTY_CHOICES = [("1", "1 — recall"), ("2", "2 — understanding"), ("3", "3 — analysis")]


class BankFilterForm(FlaskForm):
    """The bank's filters (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField("Search stems and options", validators=[Optional()])
    topic = SelectField("Topic", choices=[], validators=[Optional()])
    type = SelectField(
        "Type",
        choices=select_choices(
            [("", "Any type")] + [(n, t.label) for n, t in QUESTION_TYPES.items()]
        ),
        validators=[Optional()],
    )
    difficulty = SelectField(
        "Difficulty",
        choices=select_choices([("", "Any difficulty"), *DIFFICULTY_CHOICES]),
        validators=[Optional()],
    )
    cognitive = SelectField(
        "Cognitive level",
        choices=select_choices(
            [("", "Any level")] + [(c, c.capitalize()) for c in COGNITIVE_LEVELS]
        ),
        validators=[Optional()],
    )
    tag = SelectField("Tag", choices=[], validators=[Optional()])
    owner = SelectField(
        "Whose",
        choices=select_choices(
            zip(OWNERSHIP, ("Curated and mine", "Only mine", "Only curated"), strict=True)
        ),
        default="all",
        validators=[Optional()],
    )
    retired = BooleanField("Include retired questions")


class OptionRow(Form):
    """One option of a choice question."""

    text = StringField("Option text")
    correct = BooleanField("Correct")
    feedback = StringField("Feedback when chosen (optional)")


class PairRow(Form):
    """One pair of a matching question."""

    left = StringField("Left")
    right = StringField("Right (its match)")


class QuestionFormBase(FlaskForm):
    """Fields every question type shares."""

    prompt = TextAreaField(
        "Question (stem)", description="Markdown allowed: *italics*, **bold**. Ask one thing."
    )
    topic = SelectField("Topic", choices=[])
    difficulty = SelectField("Difficulty", choices=select_choices(DIFFICULTY_CHOICES))
    cognitive = SelectField(
        "Cognitive level", choices=select_choices((c, c.capitalize()) for c in COGNITIVE_LEVELS)
    )
    stimulus = SelectField("Source excerpt (stimulus)", choices=[])
    explanation = TextAreaField(
        "Explanation", description="Shown after answering: why the answer is right, with evidence."
    )
    sources = StringField(
        "Sources", description="Keys from the source list, separated by commas: DEC, LAT-21, seed:4"
    )
    tags = StringField("Tags", description="Separated by commas: decree, television")
    points = StringField("Points", default="1", description="Between 0 and 100; usually 1.")
    submit = SubmitField("Save question")


def make_question_form(qtype: str, topics, stimuli, formdata=None, data=None) -> QuestionFormBase:
    """The authoring form for ``qtype``: common fields plus the type's own (after indico's
    ``make_survey_form``). ``topics``/``stimuli`` are (slug, title) pairs."""
    if qtype not in QUESTION_TYPES:
        raise KeyError(qtype)

    class QuestionForm(QuestionFormBase):
        pass

    fields = type_fields(qtype)
    for name, unbound in fields.items():
        setattr(QuestionForm, name, unbound)
    form = (
        QuestionForm(formdata=formdata, data=data)
        if formdata is not None
        else QuestionForm(data=data)
    )
    form.qtype = qtype
    form.type_field_names = list(fields)
    form.topic.choices = select_choices([("", "Choose a topic"), *topics])
    form.stimulus.choices = select_choices([("", "None"), *stimuli])
    return form


def type_fields(qtype: str) -> dict:
    """The type-specific fields, by name."""
    if qtype in ("single_choice", "multiple_response"):
        hint = (
            "Write 3 to 5 options and tick the one correct option."
            if qtype == "single_choice"
            else "Write 3 to 5 options and tick every correct one (at least 2, not all)."
        )
        return {
            "options": FieldList(
                FormField(OptionRow),
                label="Options",
                min_entries=OPTION_ROWS,
                max_entries=OPTION_ROWS,
                description=hint,
            )
        }
    if qtype == "true_false":
        return {
            "answer": RadioField(
                "The statement is",
                choices=select_choices([("true", "True"), ("false", "False")]),
                validate_choice=False,
            )
        }
    if qtype == "short_answer":
        return {
            "accept": TextAreaField(
                "Accepted answers", description="One per line, the best answer first."
            ),
            "case_sensitive": BooleanField("Capital letters matter"),
            "ignore_diacritics": BooleanField(
                "Accept answers without accents (Baki for Bakı)", default=True
            ),
        }
    if qtype == "numeric":
        return {
            "answer": StringField("Answer", description="A number, such as 26000 or 1.5."),
            "tolerance": StringField(
                "Tolerance", description="How far from the answer still counts (0 if blank)."
            ),
            "unit": StringField("Unit (optional)", description="Such as troops or people."),
        }
    if qtype == "ordering":
        return {
            "items": TextAreaField(
                "Items in the right order",
                description="One per line, first to last (3 to 8). Students see them shuffled.",
            )
        }
    if qtype == "matching":
        return {
            "pairs": FieldList(
                FormField(PairRow),
                label="Pairs",
                min_entries=PAIR_ROWS,
                max_entries=PAIR_ROWS,
                description="3 to 8 pairs; leave unused rows empty.",
            ),
            "distractors": TextAreaField(
                "Extra right-hand answers (distractors)",
                description="Optional, one per line: answers that match nothing.",
            ),
        }
    if qtype == "cloze":
        return {
            "text": TextAreaField(
                "Passage", description="Write each blank as {{name}}, e.g. 'at {{time}} there is…'"
            ),
            "blanks": TextAreaField(
                "Answers for the blanks",
                description=(
                    "One line per blank: 'name: answer | variant'. For a drop-down, add "
                    "'name choices: option | option | option'."
                ),
            ),
            "case_sensitive": BooleanField("Capital letters matter"),
            "ignore_diacritics": BooleanField("Accept answers without accents", default=True),
        }
    raise KeyError(qtype)


class ImportForm(FlaskForm):
    """Upload a YAML file of questions."""

    file = FileField(
        "YAML file",
        validators=[
            FileRequired("Choose a file."),
            FileAllowed(["yaml", "yml"], "Choose a .yaml file."),
        ],
        description="A file in the bank's format, such as one exported here.",
    )
    submit = SubmitField("Import questions")
