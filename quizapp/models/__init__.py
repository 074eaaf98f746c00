"""All models, importable from one place (Alembic and the services import them here)."""

from quizapp.models.attempts import ATTEMPT_STATES, Attempt, PdfJob, Response
from quizapp.models.bank import Question, QuestionVersion, Source, Stimulus, Topic
from quizapp.models.learning import (
    ASSIGNABLE_KINDS,
    GRADING_METHODS,
    REVIEW_TIMINGS,
    Assignment,
    Extension,
    Lesson,
    LessonProgress,
    Module,
    ModuleItem,
    Quiz,
    QuizItem,
)
from quizapp.models.people import (
    ROLES,
    Enrolment,
    SchoolClass,
    SetupToken,
    SignInFailure,
    User,
)

__all__ = [
    "ASSIGNABLE_KINDS",
    "ATTEMPT_STATES",
    "GRADING_METHODS",
    "REVIEW_TIMINGS",
    "ROLES",
    "Assignment",
    "Attempt",
    "Enrolment",
    "Extension",
    "Lesson",
    "LessonProgress",
    "Module",
    "ModuleItem",
    "PdfJob",
    "Question",
    "QuestionVersion",
    "Quiz",
    "QuizItem",
    "Response",
    "SchoolClass",
    "SetupToken",
    "SignInFailure",
    "Source",
    "Stimulus",
    "Topic",
    "User",
]
