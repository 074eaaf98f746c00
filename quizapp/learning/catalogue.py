"""What a student may open: the lessons and quizzes set for their classes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizapp.models import Assignment, Enrolment, Lesson, ModuleItem, Quiz


@dataclass
class Catalogue:
    """Lesson and quiz ids reachable through a student's classes' assignments."""

    lesson_ids: set[int]
    quiz_ids: set[int]


def student_catalogue(session: Session, student_id: int) -> Catalogue:
    """Lessons and quizzes assigned to the student's classes, directly or through a module.

    A lesson's own quiz comes with the lesson, for practice.
    """
    class_ids = select(Enrolment.class_id).where(Enrolment.student_id == student_id)
    rows = session.execute(
        select(
            Assignment.kind, Assignment.lesson_id, Assignment.quiz_id, Assignment.module_id
        ).where(Assignment.class_id.in_(class_ids))
    ).all()
    lesson_ids = {r.lesson_id for r in rows if r.lesson_id}
    quiz_ids = {r.quiz_id for r in rows if r.quiz_id}
    module_ids = {r.module_id for r in rows if r.module_id}
    if module_ids:
        for lesson_id, quiz_id in session.execute(
            select(ModuleItem.lesson_id, ModuleItem.quiz_id).where(
                ModuleItem.module_id.in_(module_ids)
            )
        ):
            if lesson_id:
                lesson_ids.add(lesson_id)
            if quiz_id:
                quiz_ids.add(quiz_id)
    if lesson_ids:
        quiz_ids.update(session.scalars(select(Quiz.id).where(Quiz.lesson_id.in_(lesson_ids))))
    return Catalogue(lesson_ids, quiz_ids)


def practice_items(session: Session, student_id: int, now=None) -> tuple[list[Lesson], list[Quiz]]:
    """Published lessons and quizzes the student may practise, in a stable order (quizzes whose
    assignment has not released its answers yet are left out)."""
    from quizapp.models._types import utcnow

    catalogue = student_catalogue(session, student_id)
    catalogue.quiz_ids -= withheld(session, student_id, now or utcnow()).quiz_ids
    lessons = _published(session, Lesson, catalogue.lesson_ids)
    quizzes = _published(session, Quiz, catalogue.quiz_ids)
    return lessons, quizzes


@dataclass
class Withheld:
    """What a student's assignments do not release to them yet."""

    score_assignment_ids: set[int]  # scores not released
    answer_assignment_ids: set[int]  # right answers not released
    quiz_ids: set[int]  # quizzes of those assignments: not to be practised yet


def withheld(session: Session, student_id: int, now) -> Withheld:
    """Scores, answers and quizzes that the review options of the student's assignments still
    hold back (practising such a quiz would show its answers early)."""
    from quizapp.quizzes.progress import load_assignments, outcomes, quiz_ids_of
    from quizapp.quizzes.rules import review_visibility

    class_ids = list(
        session.scalars(select(Enrolment.class_id).where(Enrolment.student_id == student_id))
    )
    assignments = load_assignments(session, class_ids)
    results = outcomes(session, assignments, [student_id], now)
    held = Withheld(set(), set(), set())
    for assignment in assignments:
        visibility = review_visibility(
            results[(assignment.id, student_id)].rules, submitted=True, now=now
        )
        if not visibility.score:
            held.score_assignment_ids.add(assignment.id)
        if not visibility.answers:
            held.answer_assignment_ids.add(assignment.id)
            held.quiz_ids.update(quiz_ids_of(assignment))
    return held


def _published(session: Session, model, ids) -> list:
    """The published rows of ``model`` among ``ids``, by title."""
    if not ids:
        return []
    return list(
        session.scalars(
            select(model).where(model.id.in_(ids), model.published.is_(True)).order_by(model.title)
        )
    )
