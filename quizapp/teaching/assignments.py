"""Assignments (a lesson, quiz or module set for a class, with its rules) and extensions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from quizapp.models import (
    ASSIGNABLE_KINDS,
    GRADING_METHODS,
    REVIEW_TIMINGS,
    Assignment,
    Attempt,
    Extension,
    Lesson,
    Module,
    Quiz,
    SchoolClass,
    User,
)

MODELS = {"lesson": Lesson, "quiz": Quiz, "module": Module}
KIND_LABELS = {"lesson": "Lessons", "quiz": "Quizzes", "module": "Modules"}
MAX_TIME_LIMIT = 600
MAX_ATTEMPTS = 20
MAX_EXTRA_MINUTES = 600
SETTINGS = (
    "title",
    "instructions",
    "open_at",
    "due_at",
    "close_at",
    "time_limit_minutes",
    "attempts_allowed",
    "grading_method",
    "shuffle_questions",
    "shuffle_options",
    "review_score",
    "review_correctness",
    "review_answers",
    "review_feedback",
)


def _usable(model, user: User):
    """Rows of ``model`` that ``user`` may assign: curated and published, or their own."""
    stmt = select(model)
    if not user.is_admin:
        stmt = stmt.where(
            or_(model.owner_id == user.id, (model.owner_id.is_(None)) & model.published.is_(True))
        )
    return stmt


def assignable_choices(session: Session, user: User) -> dict[str, list[tuple[str, str]]]:
    """What ``user`` may assign, as ("kind:id", title) pairs grouped by kind label."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for kind in ("quiz", "lesson", "module"):
        model = MODELS[kind]
        stmt = _usable(model, user)
        rows = session.scalars(stmt.order_by(func.lower(model.title), model.id))
        groups[KIND_LABELS[kind]] = [(f"{kind}:{row.id}", row.title) for row in rows]
    return groups


def resolve_target(session: Session, user: User, value: str | None):
    """The (kind, object) a "kind:id" choice names, if ``user`` may assign it; else None."""
    try:
        kind, raw_id = (value or "").split(":", 1)
        object_id = int(raw_id)
    except ValueError:
        return None
    if kind not in ASSIGNABLE_KINDS:
        return None
    model = MODELS[kind]
    row = session.scalar(_usable(model, user).where(model.id == object_id))
    return (kind, row) if row is not None else None


def target_value(assignment: Assignment) -> str:
    """The "kind:id" choice of an assignment's lesson, quiz or module."""
    object_id = {"lesson": assignment.lesson_id, "quiz": assignment.quiz_id}.get(
        assignment.kind, assignment.module_id
    )
    return f"{assignment.kind}:{object_id}"


def has_attempts(session: Session, assignment: Assignment) -> bool:
    """Whether any student has started the assignment's quizzes."""
    return (
        session.scalar(select(Attempt.id).where(Attempt.assignment_id == assignment.id).limit(1))
        is not None
    )


def _dates_problems(open_at, due_at, close_at) -> dict[str, str]:
    problems = {}
    if open_at and due_at and due_at < open_at:
        problems["due_at"] = "The due date must be on or after the opening date."
    if close_at and due_at and close_at < due_at:
        problems["close_at"] = "The closing date must be on or after the due date."
    elif close_at and open_at and close_at <= open_at:
        problems["close_at"] = "The closing date must be after the opening date."
    return problems


def assignment_problems(
    session: Session,
    user: User,
    values: dict[str, Any],
    existing: Assignment | None = None,
) -> dict[str, str]:
    """Every problem with the settings of an assignment, by field name (empty: all good)."""
    problems: dict[str, str] = {}
    target = resolve_target(session, user, values.get("target"))
    if target is None:
        problems["target"] = "Choose a lesson, quiz or module that you may assign."
    elif (
        existing is not None
        and values.get("target") != target_value(existing)
        and has_attempts(session, existing)
    ):
        problems["target"] = (
            "Students have already started this assignment, so what it sets cannot change. "
            "Make a new assignment instead."
        )
    title = (values.get("title") or "").strip()
    if len(title) > 200:
        problems["title"] = "Use at most 200 characters."
    problems.update(
        _dates_problems(values.get("open_at"), values.get("due_at"), values.get("close_at"))
    )
    limit = values.get("time_limit_minutes")
    if limit is not None and not 1 <= limit <= MAX_TIME_LIMIT:
        problems["time_limit_minutes"] = (
            f"Give a time limit from 1 to {MAX_TIME_LIMIT} minutes, or leave it empty for none."
        )
    attempts = values.get("attempts_allowed")
    if attempts is None or not 0 <= attempts <= MAX_ATTEMPTS:
        problems["attempts_allowed"] = (
            f"Allow from 1 to {MAX_ATTEMPTS} attempts, or 0 for unlimited."
        )
    if values.get("grading_method") not in GRADING_METHODS:
        problems["grading_method"] = "Choose how attempts combine into one grade."
    for name in ("review_score", "review_correctness", "review_answers", "review_feedback"):
        if values.get(name) not in REVIEW_TIMINGS:
            problems[name] = "Choose when students may see this."
    return problems


def _apply(session: Session, user: User, assignment: Assignment, values: dict[str, Any]) -> None:
    kind, target = resolve_target(session, user, values["target"])
    assignment.kind = kind
    assignment.lesson_id = target.id if kind == "lesson" else None
    assignment.quiz_id = target.id if kind == "quiz" else None
    assignment.module_id = target.id if kind == "module" else None
    for name in SETTINGS:
        if name in values:
            setattr(assignment, name, values[name])
    assignment.title = (values.get("title") or "").strip() or target.title
    assignment.instructions = (values.get("instructions") or "").strip()


def create_assignment(
    session: Session, school_class: SchoolClass, user: User, values: dict[str, Any]
) -> Assignment:
    """A new assignment from checked values (see :func:`assignment_problems`)."""
    assignment = Assignment(class_id=school_class.id, created_by_id=user.id)
    _apply(session, user, assignment, values)
    session.add(assignment)
    session.flush()
    return assignment


def update_assignment(
    session: Session, assignment: Assignment, user: User, values: dict[str, Any]
) -> None:
    """Change an assignment's settings (checked values)."""
    _apply(session, user, assignment, values)
    session.flush()


def delete_assignment(session: Session, assignment: Assignment) -> int:
    """Delete an assignment with its attempts and extensions; returns how many attempts went."""
    attempts = list(session.scalars(select(Attempt).where(Attempt.assignment_id == assignment.id)))
    for attempt in attempts:
        session.delete(attempt)
    session.delete(assignment)
    session.flush()
    return len(attempts)


def extension_problems(
    assignment: Assignment,
    due_at: datetime | None,
    close_at: datetime | None,
    extra_minutes: int | None,
) -> dict[str, str]:
    """Problems with an extension, by field name."""
    problems = {}
    if not due_at and not close_at and not extra_minutes:
        problems["due_at"] = "Give a new due date, a new closing date or extra minutes."
    if due_at and assignment.open_at and due_at < assignment.open_at:
        problems["due_at"] = "The new due date must be after the assignment opens."
    effective_due = due_at or assignment.due_at
    if close_at and effective_due and close_at < effective_due:
        problems["close_at"] = "The new closing date must be on or after the due date."
    if extra_minutes is not None and not 0 <= extra_minutes <= MAX_EXTRA_MINUTES:
        problems["extra_minutes"] = f"Give from 0 to {MAX_EXTRA_MINUTES} extra minutes."
    elif extra_minutes and not assignment.time_limit_minutes:
        problems["extra_minutes"] = (
            "This assignment has no time limit, so extra minutes change nothing."
        )
    return problems


def set_extension(
    session: Session,
    assignment: Assignment,
    student: User,
    due_at: datetime | None,
    close_at: datetime | None,
    extra_minutes: int | None,
) -> Extension:
    """Give (or change) one student's extension."""
    extension = session.scalar(
        select(Extension).where(
            Extension.assignment_id == assignment.id, Extension.student_id == student.id
        )
    )
    if extension is None:
        extension = Extension(assignment_id=assignment.id, student_id=student.id)
        session.add(extension)
    extension.due_at = due_at
    extension.close_at = close_at
    extension.extra_minutes = extra_minutes or 0
    session.flush()
    return extension


def remove_extension(session: Session, assignment: Assignment, student_id: int) -> bool:
    """Withdraw a student's extension; False if there was none."""
    extension = session.scalar(
        select(Extension).where(
            Extension.assignment_id == assignment.id, Extension.student_id == student_id
        )
    )
    if extension is None:
        return False
    session.delete(extension)
    session.flush()
    return True
