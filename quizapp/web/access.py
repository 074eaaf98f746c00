"""Loading objects for the signed-in user, or 404: one place for 'may this person see it?'.

A teacher sees their own classes and what belongs to them (assignments, students, attempts);
an admin sees everything; a student sees their own attempts and their classes' assignments.
Objects outside someone's reach answer 404, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import JSON, Connection, and_, bindparam, func, literal_column, select, type_coerce

from quizapp.database import CursorStatement
from quizapp.extensions import db
from quizapp.models import (
    Assignment,
    Attempt,
    Enrolment,
    Lesson,
    Module,
    Quiz,
    Response,
    SchoolClass,
    User,
)
from quizapp.quizzes.attempts import AutosaveTarget, StoredAnswer


def class_for_staff(class_id: int) -> SchoolClass:
    """A class the current teacher teaches (any class for an admin)."""
    school_class = db.session.get(SchoolClass, class_id)
    if school_class is None or not (
        current_user.is_admin or school_class.teacher_id == current_user.id
    ):
        abort(404)
    return school_class


def assignment_for_staff(assignment_id: int) -> Assignment:
    """An assignment of one of the current teacher's classes."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    class_for_staff(assignment.class_id)
    return assignment


def student_for_staff(student_id: int, school_class: SchoolClass | None = None) -> User:
    """A student in one of the current teacher's classes (in ``school_class`` if given)."""
    student = db.session.get(User, student_id)
    if student is None or student.role != "student":
        abort(404)
    stmt = select(Enrolment.id).join(SchoolClass).where(Enrolment.student_id == student.id)
    if school_class is not None:
        stmt = stmt.where(Enrolment.class_id == school_class.id)
    elif not current_user.is_admin:
        stmt = stmt.where(SchoolClass.teacher_id == current_user.id)
    if db.session.scalar(stmt.limit(1)) is None:
        abort(404)
    return student


def _owned_content(model, object_id: int, edit: bool):
    """Curated content (no owner) is usable by every teacher; editable only by its owner or an
    admin; another teacher's own content is not found."""
    row = db.session.get(model, object_id)
    if row is None or not (
        current_user.is_admin
        or row.owner_id == current_user.id
        or (row.owner_id is None and not edit)
    ):
        abort(404)
    return row


def quiz_for_staff(quiz_id: int, *, edit: bool = False) -> Quiz:
    """A quiz the current teacher may use (curated or their own) or edit (their own)."""
    return _owned_content(Quiz, quiz_id, edit)


def lesson_for_staff(lesson_id: int, *, edit: bool = False) -> Lesson:
    """A lesson the current teacher may use or edit."""
    return _owned_content(Lesson, lesson_id, edit)


def module_for_staff(module_id: int, *, edit: bool = False) -> Module:
    """A module the current teacher may use or edit."""
    return _owned_content(Module, module_id, edit)


def student_class_ids() -> list[int]:
    """The current student's classes."""
    return list(
        db.session.scalars(
            select(Enrolment.class_id).where(Enrolment.student_id == current_user.id)
        )
    )


def assignment_for_student(assignment_id: int) -> Assignment:
    """An assignment of one of the current student's classes."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.class_id not in student_class_ids():
        abort(404)
    return assignment


def attempt_for_student(public_id: str) -> Attempt:
    """The current student's own attempt, by its unguessable public id."""
    attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
    if attempt is None or attempt.student_id != current_user.id:
        abort(404)
    return attempt


# The autosave's one query: the attempt, its owner's standing and the slot's checked mark.
_AUTOSAVE_TARGET = (
    select(
        Attempt.id,
        Attempt.state,
        Attempt.submitted_by,
        Attempt.deadline_at,
        Attempt.layout,
        Response.detail,
    )
    .join(User, User.id == Attempt.student_id)
    .outerjoin(
        Response, and_(Response.attempt_id == Attempt.id, Response.slot == bindparam("slot"))
    )
    .where(
        Attempt.public_id == bindparam("public_id"),
        User.holds_session_of_student(),
    )
)


_AUTOSAVE_TARGET_ON_CURSOR = CursorStatement(lambda dialect: _AUTOSAVE_TARGET)


# The submission's one query: the attempt, its owner's standing and every stored answer, the
# answers as one JSON array of [slot, client_seq, answer] (a row per answer would repeat the
# attempt's columns and convert them again on each row; the array is decoded in one go).
def _stored_answers_array(dialect_name: str):
    if dialect_name == "postgresql":
        array = func.coalesce(
            func.json_agg(
                func.json_build_array(Response.slot, Response.client_seq, Response.answer)
            ),
            literal_column("'[]'::json"),
        )
    else:  # SQLite: json() keeps the stored answer as JSON inside the array, not as a string
        array = func.json_group_array(
            func.json_array(Response.slot, Response.client_seq, func.json(Response.answer))
        )
    return type_coerce(
        select(array).where(Response.attempt_id == Attempt.id).scalar_subquery(), JSON()
    ).label("answers")


_SUBMISSION_TARGET = CursorStatement(
    lambda dialect_name: (
        select(
            Attempt.id,
            Attempt.state,
            Attempt.submitted_by,
            Attempt.deadline_at,
            _stored_answers_array(dialect_name),
        )
        .join(User, User.id == Attempt.student_id)
        .where(Attempt.public_id == bindparam("public_id"), User.holds_session_of_student())
    )
)


def own_attempt_for_autosave(
    connection: Connection,
    public_id: str,
    slot: int = 0,
    sign_in: tuple[int, int] | None = None,
) -> AutosaveTarget | None:
    """The signed-in student's own attempt as an autosave needs it, in one query that also
    checks the session's sign-in (an active student, current sign-in generation) without
    loading the user: the same rule as ``attempt_for_student`` behind ``student_required``,
    for the requests every student sends every few seconds and the submission a whole class
    sends at once (``slot`` 0: no slot's checked mark). None when anything does not match;
    the caller then runs the usual checks, which answer 401, 403 or 404. ``sign_in``: the
    session's claim (user id, generation) when the caller has read it already, else this
    request's session is read."""
    from quizapp.web.security import session_sign_in

    sign_in = sign_in or session_sign_in()
    if sign_in is None:
        return None
    parameters = {
        "public_id": public_id,
        "slot": slot,
        "user_id": sign_in[0],
        "generation": sign_in[1],
    }
    row = _AUTOSAVE_TARGET_ON_CURSOR.first(connection, parameters)
    if row is None:
        return None
    return _target(row, row.layout, slot_checked=bool((row.detail or {}).get("checked")))


def own_attempt_with_answers(
    connection: Connection,
    public_id: str,
    known: tuple[int, list[dict[str, Any]]],
    sign_in: tuple[int, int],
) -> AutosaveTarget | None:
    """The signed-in student's own attempt with its stored answers, for the submission a whole
    class sends at once: one query, which checks the sign-in as ``own_attempt_for_autosave``
    does, where ``known`` (the attempt's id and layout, as this server kept them; they never
    change) saves reading the layout. None when anything does not match."""
    parameters = {"public_id": public_id, "user_id": sign_in[0], "generation": sign_in[1]}
    row = _SUBMISSION_TARGET.first(connection, parameters)
    if row is None or row.id != known[0]:
        return None
    answers = {stored[0]: StoredAnswer(*stored) for stored in row.answers or ()}
    return _target(row, known[1], slot_checked=False, answers=answers)


def _target(
    row, layout: list[dict[str, Any]], slot_checked: bool, answers: dict | None = None
) -> AutosaveTarget:
    """An ``AutosaveTarget`` of a row holding the attempt's id, state, submitted_by and
    deadline_at."""
    return AutosaveTarget(
        id=row.id,
        state=row.state,
        submitted_by=row.submitted_by,
        deadline_at=row.deadline_at,
        layout=layout,
        slot_checked=slot_checked,
        answers=answers,
    )


def attempt_for_staff(public_id: str) -> Attempt:
    """An attempt by a student of one of the current teacher's classes."""
    attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
    if attempt is None:
        abort(404)
    if attempt.assignment_id is not None:
        assignment_for_staff(attempt.assignment_id)
    else:
        student_for_staff(attempt.student_id)
    return attempt
