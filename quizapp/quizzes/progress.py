"""Where each student stands on each assignment: status, attempts and combined score.

Read-side helpers shared by the student home and the teacher's gradebook. They load
everything for many students and assignments in a handful of queries (no N+1) and leave the
decisions to the pure rules in ``quizapp.quizzes.rules``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import mean

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from quizapp.models import Assignment, Attempt, Extension, LessonProgress, Module, ModuleItem
from quizapp.quizzes.rules import (
    AttemptSummary,
    Rules,
    assignment_status,
    attempts_left,
    combine_scores,
    review_visibility,
    rules_for,
)


@dataclass
class Outcome:
    """One student's standing on one assignment."""

    assignment: Assignment
    rules: Rules
    status: str
    percent: float | None = None  # the combined grade, whatever the student may see
    score_visible: bool = False  # may the student see ``percent`` now?
    attempts_used: int = 0
    attempts_left: int | None = None
    open_attempt_id: str | None = None  # public id of an attempt in progress
    attempts: list[Attempt] = field(default_factory=list)
    steps_done: int = 0
    steps_total: int = 0


def quiz_ids_of(assignment: Assignment) -> list[int]:
    """The quizzes whose attempts count for an assignment (a module's quiz steps)."""
    if assignment.kind == "quiz" and assignment.quiz_id:
        return [assignment.quiz_id]
    if assignment.kind == "module" and assignment.module is not None:
        return [item.quiz_id for item in assignment.module.items if item.quiz_id]
    return []


def lesson_ids_of(assignment: Assignment) -> list[int]:
    """The lessons a student reads for an assignment."""
    if assignment.kind == "lesson" and assignment.lesson_id:
        return [assignment.lesson_id]
    if assignment.kind == "module" and assignment.module is not None:
        return [item.lesson_id for item in assignment.module.items if item.lesson_id]
    return []


def load_assignments(session: Session, class_ids: list[int]) -> list[Assignment]:
    """Assignments of the classes, with their module steps, newest due first."""
    if not class_ids:
        return []
    stmt = (
        select(Assignment)
        .where(Assignment.class_id.in_(class_ids))
        .options(
            selectinload(Assignment.module)
            .selectinload(Module.items)
            .selectinload(ModuleItem.lesson),
            selectinload(Assignment.module)
            .selectinload(Module.items)
            .selectinload(ModuleItem.quiz),
            selectinload(Assignment.quiz),
            selectinload(Assignment.lesson),
            selectinload(Assignment.school_class),
        )
        .order_by(Assignment.due_at.is_(None), Assignment.due_at, Assignment.id)
    )
    return list(session.scalars(stmt))


def outcomes(
    session: Session, assignments: list[Assignment], student_ids: list[int], now: datetime
) -> dict[tuple[int, int], Outcome]:
    """Outcome per (assignment id, student id), in four queries whatever the numbers."""
    if not assignments or not student_ids:
        return {}
    assignment_ids = [a.id for a in assignments]
    attempts_by = defaultdict(list)
    for attempt in session.scalars(
        select(Attempt)
        .where(
            Attempt.assignment_id.in_(assignment_ids),
            Attempt.student_id.in_(student_ids),
            Attempt.is_practice.is_(False),
        )
        .order_by(Attempt.started_at)
    ):
        attempts_by[(attempt.assignment_id, attempt.student_id)].append(attempt)
    extensions = {
        (e.assignment_id, e.student_id): e
        for e in session.scalars(
            select(Extension).where(
                Extension.assignment_id.in_(assignment_ids), Extension.student_id.in_(student_ids)
            )
        )
    }
    lesson_ids = {lid for a in assignments for lid in lesson_ids_of(a)}
    completed: set[tuple[int, int]] = set()
    started: set[tuple[int, int]] = set()
    if lesson_ids:
        for progress in session.scalars(
            select(LessonProgress).where(
                LessonProgress.lesson_id.in_(lesson_ids), LessonProgress.student_id.in_(student_ids)
            )
        ):
            started.add((progress.lesson_id, progress.student_id))
            if progress.completed_at is not None:
                completed.add((progress.lesson_id, progress.student_id))
    result = {}
    for assignment in assignments:
        for student_id in student_ids:
            rules = rules_for(assignment, extensions.get((assignment.id, student_id)))
            result[(assignment.id, student_id)] = _outcome(
                assignment,
                rules,
                attempts_by[(assignment.id, student_id)],
                student_id,
                completed,
                started,
                now,
            )
    return result


def _summary(attempt: Attempt) -> AttemptSummary:
    return AttemptSummary(attempt.state, attempt.started_at, attempt.submitted_at, attempt.percent)


def _outcome(assignment, rules, attempts, student_id, completed, started, now) -> Outcome:
    lessons = lesson_ids_of(assignment)
    quizzes = quiz_ids_of(assignment)
    lessons_done = sum((lid, student_id) in completed for lid in lessons)
    per_quiz = {qid: [a for a in attempts if a.quiz_id == qid] for qid in quizzes}
    quizzes_done = sum(any(a.state == "submitted" for a in per_quiz[qid]) for qid in quizzes)
    scores = [
        combine_scores(rules.grading_method, [_summary(a) for a in per_quiz[qid]])
        for qid in quizzes
    ]
    graded = [s for s in scores if s is not None]
    # A module's grade is the mean of its quizzes' grades, once every quiz has one.
    percent = round(mean(graded), 1) if quizzes and len(graded) == len(quizzes) else None
    summaries = [_summary(a) for a in attempts]
    status = assignment_status(rules, summaries, now)
    total = len(lessons) + len(quizzes)
    done = lessons_done + quizzes_done
    if assignment.kind == "lesson":
        status = (
            "completed"
            if done == total
            else (
                "in_progress"
                if any((lid, student_id) in started for lid in lessons)
                else assignment_status(rules, [], now)
            )
        )
    elif assignment.kind == "module":
        if done == total:
            status = "completed"
        elif (
            done
            or any(a.state == "in_progress" for a in attempts)
            or any((lid, student_id) in started for lid in lessons)
        ):
            status = (
                "in_progress"
                if rules.is_open(now) or any(a.state == "in_progress" for a in attempts)
                else assignment_status(rules, [], now)
            )
    open_attempt = next((a for a in attempts if a.state == "in_progress"), None)
    used_by_quiz = max((len(v) for v in per_quiz.values()), default=0)
    visibility = review_visibility(rules, submitted=True, now=now)
    return Outcome(
        assignment=assignment,
        rules=rules,
        status=status,
        percent=percent,
        score_visible=visibility.score,
        attempts_used=used_by_quiz,
        attempts_left=attempts_left(rules, used_by_quiz),
        open_attempt_id=open_attempt.public_id if open_attempt else None,
        attempts=attempts,
        steps_done=done,
        steps_total=total,
    )
