"""The class-set form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, SelectMultipleField
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from quizapp.quizzes.generation import VARIANT_LETTERS


class ClassSetForm(FlaskForm):
    """Options of a class set: which variants to deal out, page size, QR code, seed."""

    variants = SelectMultipleField(
        "Variants (dealt out in turn)",
        choices=[SelectChoice(v, f"Variant {v}") for v in VARIANT_LETTERS[:5]],
        default=["A"],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    size = SelectField(
        "Page size",
        choices=[SelectChoice("a4", "A4"), SelectChoice("letter", "US Letter")],
        default="a4",
    )
    qr = BooleanField("Print a QR code that opens the quiz online")
    seed = IntegerField(
        "Shuffle seed (optional)",
        validators=[Optional(), NumberRange(min=0, max=2**31 - 1)],
        description="The same seed prints the same worksheets again.",
    )
