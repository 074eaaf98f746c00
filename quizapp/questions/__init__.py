"""The question-type registry: every type, found by its name.

Adding a type means writing one module with a :class:`QuestionType` subclass and listing it
here; the content validator, the grader, the quiz page, the authoring form and the printout
all find it through :func:`get_type`.
"""

from __future__ import annotations

from quizapp.questions.base import Grade, Problem, QuestionType, is_blank_answer, stable_key
from quizapp.questions.cloze import Cloze
from quizapp.questions.matching import Matching
from quizapp.questions.multiple_response import MultipleResponse
from quizapp.questions.numeric import Numeric
from quizapp.questions.ordering import Ordering
from quizapp.questions.short_answer import ShortAnswer
from quizapp.questions.single_choice import SingleChoice
from quizapp.questions.true_false import TrueFalse

QUESTION_TYPES: dict[str, QuestionType] = {
    t.name: t
    for t in (
        SingleChoice(),
        MultipleResponse(),
        TrueFalse(),
        ShortAnswer(),
        Numeric(),
        Ordering(),
        Matching(),
        Cloze(),
    )
}

COGNITIVE_LEVELS = ("remember", "understand", "apply", "analyse")
DIFFICULTIES = (1, 2, 3)


def get_type(name: str) -> QuestionType:
    """The registered type called ``name``; KeyError for an unknown one."""
    return QUESTION_TYPES[name]


def grade_response(qtype: str, body: dict, answer) -> Grade:
    """Grade one answer to a question version's body with its type's grading function."""
    return get_type(qtype).grade(body, answer)


__all__ = [
    "COGNITIVE_LEVELS",
    "DIFFICULTIES",
    "QUESTION_TYPES",
    "Grade",
    "Problem",
    "QuestionType",
    "get_type",
    "grade_response",
    "is_blank_answer",
    "stable_key",
]
