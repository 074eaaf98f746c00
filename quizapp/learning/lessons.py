"""Reading a lesson: where the student is, their embedded-check answers, completion."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizapp.models import Lesson, LessonProgress, Question, QuestionVersion
from quizapp.models._types import utcnow
from quizapp.questions import get_type


def progress_for(
    session: Session, student_id: int, lesson: Lesson, create: bool = False
) -> LessonProgress | None:
    """The student's progress in a lesson (created on first visit when ``create``)."""
    progress = session.scalar(
        select(LessonProgress).where(
            LessonProgress.student_id == student_id, LessonProgress.lesson_id == lesson.id
        )
    )
    if progress is None and create:
        progress = LessonProgress(
            student_id=student_id, lesson_id=lesson.id, current_section=0, check_answers={}
        )
        session.add(progress)
        session.flush()
    return progress


def check_versions(session: Session, lesson: Lesson, section_index: int) -> list[QuestionVersion]:
    """The current versions of a section's embedded check questions, in order."""
    slugs = lesson.sections[section_index].get("checks", [])
    if not slugs:
        return []
    rows = session.execute(
        select(Question.slug, QuestionVersion)
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .where(Question.slug.in_(slugs))
    ).all()
    by_slug = {slug: version for slug, version in rows}
    return [by_slug[s] for s in slugs if s in by_slug]


def answer_check(
    progress: LessonProgress, slug: str, version: QuestionVersion, answer: Any
) -> dict[str, Any]:
    """Grade an embedded check at once (checks are practice: feedback is always shown)."""
    qtype = get_type(version.qtype)
    grade = qtype.grade(version.body, answer)
    record = {"answer": answer, "fraction": grade.fraction, "version_id": version.id}
    answers = dict(progress.check_answers or {})
    answers[slug] = record
    progress.check_answers = answers  # reassign: JSON columns track assignment, not mutation
    return record


def move_to_section(progress: LessonProgress, index: int, lesson: Lesson) -> None:
    """Remember the section the student is reading."""
    progress.current_section = max(0, min(index, len(lesson.sections) - 1))


def complete_lesson(progress: LessonProgress) -> None:
    """Record that the student finished the lesson (the first time only)."""
    if progress.completed_at is None:
        progress.completed_at = utcnow()
