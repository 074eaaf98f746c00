"""A small school for the security tests: two teachers with a class each, students with
submitted attempts, a lesson with answered checks, and an admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.learning import lessons as lesson_service
from quizapp.models import Assignment, QuestionVersion, Quiz
from quizapp.models._types import utcnow
from quizapp.questions import get_type
from quizapp.quizzes import attempts as attempt_service
from tests.helpers import (
    STAFF_PASSWORD,
    STUDENT_PASSWORD,
    csrf_token,
    gen_class,
    gen_student,
    gen_teacher,
    sign_in,
)


@dataclass
class World:
    """Ids and sign-in names of the fixture school."""

    quiz_id: int
    lesson_id: int
    lesson_quiz_id: int | None
    teacher: str
    teacher_id: int
    other_teacher: str
    other_teacher_id: int
    admin: str
    admin_id: int
    class_id: int
    other_class_id: int
    assignment_id: int
    lesson_assignment_id: int
    other_assignment_id: int
    student: str
    student_id: int
    classmate: str
    classmate_id: int
    other_student: str
    other_student_id: int
    attempt: str  # public id of the student's submitted attempt
    classmate_attempt: str
    other_attempt: str
    own_question_id: int  # a question owned by the teacher
    other_question_id: int  # a question owned by the other teacher
    own_quiz_id: int  # a quiz owned by the teacher
    other_quiz_id: int  # a quiz owned by the other teacher


def login_as(client, role_login: str, password: str | None = None):
    """Sign in (students by sign-in name, staff by email) with the fixture passwords."""
    if password is None:
        password = STAFF_PASSWORD if "@" in role_login else STUDENT_PASSWORD
    response = sign_in(client, role_login, password)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def sign_out(client, page: str = "/account/password"):
    """Sign out through the form."""
    return client.post("/sign-out", data={"csrf_token": csrf_token(client, page)})


def answer_and_submit(student, assignment, quiz, right_slots=None) -> str:
    """Start, answer (right on ``right_slots``, blank elsewhere) and submit; the public id."""
    attempt = attempt_service.start_attempt(db.session, quiz, student, assignment)
    versions = attempt_service.versions_for(db.session, attempt)
    for entry in attempt.layout:
        if right_slots is not None and entry["slot"] not in right_slots:
            continue
        version = versions[entry["version_id"]]
        right = get_type(version.qtype).correct_answer(version.body)
        attempt_service.save_answer(db.session, attempt, entry["slot"], right, None, 30)
    attempt_service.submit_attempt(db.session, attempt)
    db.session.commit()
    return attempt.public_id


def build_world() -> World:
    """Create the fixture school in the current app context."""
    from tests.helpers import decree_sections, import_example_lesson, import_examples

    quiz = import_examples()
    lesson = import_example_lesson("lesson-security", decree_sections())
    lesson_quiz = db.session.scalar(select(Quiz).where(Quiz.lesson_id == lesson.id))
    teacher = gen_teacher("teacher@school.example", "Ms Teacher")
    other_teacher = gen_teacher("other@school.example", "Mr Other")
    admin = gen_teacher("admin@school.example", "Ada Admin", role="admin")
    school_class = gen_class(teacher, "9A History")
    other_class = gen_class(other_teacher, "9B History")
    student = gen_student(school_class, "Aylin Məmmədova")
    classmate = gen_student(school_class, "Bahruz Quliyev")
    other_student = gen_student(other_class, "Zaur Otherclass")
    due = utcnow() + timedelta(days=2)

    def assign(class_id, **kw):
        row = Assignment(
            class_id=class_id, title="Quiz on the night", due_at=due, attempts_allowed=2, **kw
        )
        db.session.add(row)
        db.session.commit()
        return row

    assignment = assign(school_class.id, kind="quiz", quiz_id=quiz.id)
    lesson_assignment = assign(school_class.id, kind="lesson", lesson_id=lesson.id)
    other_assignment = assign(other_class.id, kind="quiz", quiz_id=quiz.id)
    slots = range(1, len(quiz.items) + 1)
    attempt = answer_and_submit(student, assignment, quiz, right_slots=[s for s in slots if s % 2])
    classmate_attempt = answer_and_submit(classmate, assignment, quiz)
    other_attempt = answer_and_submit(other_student, other_assignment, quiz)
    # The student answered a lesson check.
    progress = lesson_service.progress_for(db.session, student.id, lesson, create=True)
    version = db.session.scalar(
        select(QuestionVersion).where(QuestionVersion.prompt.like("Which body issued%"))
    )
    lesson_service.answer_check(
        progress, "ex-decree-body", version, get_type(version.qtype).correct_answer(version.body)
    )
    db.session.commit()
    own_question, other_question = _owned_questions(teacher, other_teacher)
    own_quiz = Quiz(title="My own quiz", owner_id=teacher.id, published=False)
    other_quiz = Quiz(title="Their own quiz", owner_id=other_teacher.id, published=False)
    db.session.add_all([own_quiz, other_quiz])
    db.session.commit()
    return World(
        quiz_id=quiz.id,
        lesson_id=lesson.id,
        lesson_quiz_id=lesson_quiz.id if lesson_quiz else None,
        teacher=teacher.email,
        teacher_id=teacher.id,
        other_teacher=other_teacher.email,
        other_teacher_id=other_teacher.id,
        admin=admin.email,
        admin_id=admin.id,
        class_id=school_class.id,
        other_class_id=other_class.id,
        assignment_id=assignment.id,
        lesson_assignment_id=lesson_assignment.id,
        other_assignment_id=other_assignment.id,
        student=student.username,
        student_id=student.id,
        classmate=classmate.username,
        classmate_id=classmate.id,
        other_student=other_student.username,
        other_student_id=other_student.id,
        attempt=attempt,
        classmate_attempt=classmate_attempt,
        other_attempt=other_attempt,
        own_question_id=own_question,
        other_question_id=other_question,
        own_quiz_id=own_quiz.id,
        other_quiz_id=other_quiz.id,
    )


def _owned_questions(teacher, other_teacher) -> tuple[int, int]:
    """Copies of an example question owned by each teacher (authoring's own data shape)."""
    from quizapp.models import Question

    template = db.session.scalar(
        select(QuestionVersion).where(QuestionVersion.prompt.like("Which body issued%"))
    )
    ids = []
    for owner in (teacher, other_teacher):
        question = Question(slug=f"own-{owner.id}", owner_id=owner.id)
        db.session.add(question)
        db.session.flush()
        version = QuestionVersion(
            question_id=question.id,
            number=1,
            qtype=template.qtype,
            topic_id=template.topic_id,
            difficulty=template.difficulty,
            cognitive_level=template.cognitive_level,
            prompt=f"Owned question of {owner.display_name}?",
            body=template.body,
            explanation="Owned explanation.",
            source_refs=template.source_refs,
            tags=[],
            points=1.0,
            search_text="owned question",
            content_hash=f"owned-{owner.id}",
            author_id=owner.id,
        )
        db.session.add(version)
        db.session.flush()
        question.current_version_id = version.id
        ids.append(question.id)
    db.session.commit()
    return ids[0], ids[1]


@pytest.fixture
def world(app) -> World:
    """The fixture school, built in the app's database."""
    with app.app_context():
        return build_world()
