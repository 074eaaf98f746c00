"""Classes and their rosters: create, join codes, archive, remove, reset passwords, delete."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from quizapp import accounts
from quizapp.models import Assignment, Attempt, Enrolment, SchoolClass, User

MAX_CLASS_NAME = 120


def create_class(session: Session, teacher: User, name: str) -> SchoolClass:
    """A new class of ``teacher`` with a fresh join code, open for joining."""
    school_class = SchoolClass(
        name=name.strip()[:MAX_CLASS_NAME],
        teacher_id=teacher.id,
        join_code=accounts.generate_join_code(session),
        joining_open=True,
    )
    session.add(school_class)
    session.flush()
    return school_class


def regenerate_code(session: Session, school_class: SchoolClass) -> str:
    """Give the class a new join code (the old one stops working at once)."""
    school_class.join_code = accounts.generate_join_code(session)
    session.flush()
    return school_class.join_code


def set_joining(school_class: SchoolClass, open_: bool) -> None:
    """Open or close joining by code."""
    school_class.joining_open = open_


def set_archived(school_class: SchoolClass, archived: bool) -> None:
    """Archive a class (hidden from the dashboard, closed for joining) or bring it back."""
    school_class.archived = archived
    if archived:
        school_class.joining_open = False


def roster(session: Session, school_class: SchoolClass) -> list[User]:
    """The students of a class, by name."""
    return list(
        session.scalars(
            select(User)
            .join(Enrolment, Enrolment.student_id == User.id)
            .where(Enrolment.class_id == school_class.id)
            .order_by(func.lower(User.display_name), User.id)
        )
    )


def remove_student(session: Session, school_class: SchoolClass, student: User) -> None:
    """Take a student off the roster. Their account and past attempts stay."""
    session.execute(
        delete(Enrolment).where(
            Enrolment.class_id == school_class.id, Enrolment.student_id == student.id
        )
    )


def reset_password(student: User) -> str:
    """Give a student a new generated password, which they must change at their next sign-in.

    Every session of the student ends. Returns the password, to be shown once.
    """
    password = accounts.generate_password()
    accounts.set_password(student, password)
    student.must_change_password = True
    return password


def reset_passwords(students: list[User]) -> list[tuple[User, str]]:
    """Reset several students' passwords (for a fresh set of login cards)."""
    return [(student, reset_password(student)) for student in students]


def delete_class(session: Session, school_class: SchoolClass) -> None:
    """Delete a class with its assignments, their attempts and its enrolments.

    Student accounts stay (they may belong to other classes).
    """
    assignment_ids = list(
        session.scalars(select(Assignment.id).where(Assignment.class_id == school_class.id))
    )
    if assignment_ids:
        for attempt in session.scalars(
            select(Attempt).where(Attempt.assignment_id.in_(assignment_ids))
        ):
            session.delete(attempt)
        for assignment in session.scalars(
            select(Assignment).where(Assignment.id.in_(assignment_ids))
        ):
            session.delete(assignment)
    session.delete(school_class)
    session.flush()


@dataclass(frozen=True)
class ClassSummary:
    """A class on the dashboard, with its counts."""

    school_class: SchoolClass
    students: int
    assignments: int


def class_summaries(
    session: Session, teacher: User | None, include_archived: bool = True
) -> list[ClassSummary]:
    """The classes of ``teacher`` (every class when None) with counts, in three queries."""
    stmt = select(SchoolClass).order_by(SchoolClass.archived, func.lower(SchoolClass.name))
    if teacher is not None:
        stmt = stmt.where(SchoolClass.teacher_id == teacher.id)
    if not include_archived:
        stmt = stmt.where(SchoolClass.archived.is_(False))
    classes = list(session.scalars(stmt))
    ids = [c.id for c in classes]
    if not ids:
        return []
    students = dict(
        session.execute(
            select(Enrolment.class_id, func.count())
            .where(Enrolment.class_id.in_(ids))
            .group_by(Enrolment.class_id)
        ).all()
    )
    assignments = dict(
        session.execute(
            select(Assignment.class_id, func.count())
            .where(Assignment.class_id.in_(ids))
            .group_by(Assignment.class_id)
        ).all()
    )
    return [ClassSummary(c, students.get(c.id, 0), assignments.get(c.id, 0)) for c in classes]
