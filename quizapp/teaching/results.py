"""Loading what the gradebook, a student's record and item analysis show, in a fixed number
of queries whatever the class size. The figures themselves come from ``quizapp.reports``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from quizapp.models import (
    Assignment,
    Attempt,
    Enrolment,
    Question,
    QuestionVersion,
    QuizItem,
    Response,
    SchoolClass,
    Topic,
    User,
)
from quizapp.questions import get_type, is_blank_answer
from quizapp.quizzes.progress import Outcome, load_assignments, outcomes, quiz_ids_of
from quizapp.reports.gradebook import (
    AssignmentColumn,
    Gradebook,
    StudentRow,
    TopicMastery,
    TopicResponse,
    build_gradebook,
    student_topic_mastery,
    topic_mastery,
)
from quizapp.reports.item_analysis import ItemInfo, QuizAnalysis, ResponseRow, analyse
from quizapp.teaching.classes import roster

CHOICE_TYPES = ("single_choice", "multiple_response", "true_false")


def topic_rows(
    session: Session, school_class: SchoolClass, student_ids: list[int]
) -> list[TopicResponse]:
    """Graded responses of the class's submitted, non-practice attempts, with their topics."""
    if not student_ids:
        return []
    stmt = (
        select(QuestionVersion.topic_id, Topic.title, Attempt.student_id, Response.fraction)
        .select_from(Response)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(Assignment, Assignment.id == Attempt.assignment_id)
        .join(QuestionVersion, QuestionVersion.id == Response.version_id)
        .join(Topic, Topic.id == QuestionVersion.topic_id)
        .where(
            Assignment.class_id == school_class.id,
            Attempt.state == "submitted",
            Attempt.is_practice.is_(False),
            Attempt.student_id.in_(student_ids),
            Response.fraction.is_not(None),
        )
    )
    return [TopicResponse(t, title, s, f) for t, title, s, f in session.execute(stmt)]


def student_row(user: User) -> StudentRow:
    """The gradebook's view of a student."""
    return StudentRow(user.id, user.display_name, user.username or "")


def column(assignment: Assignment) -> AssignmentColumn:
    """The gradebook's view of an assignment."""
    return AssignmentColumn(assignment.id, assignment.title, assignment.kind, assignment.due_at)


@dataclass
class GradebookData:
    """Everything the gradebook page and its CSV need."""

    gradebook: Gradebook
    assignments: list[Assignment]
    mastery: list[TopicMastery]


def load_gradebook(session: Session, school_class: SchoolClass, now: datetime) -> GradebookData:
    """The class × assignment table and the class's topic mastery."""
    students = roster(session, school_class)
    assignments = load_assignments(session, [school_class.id])
    student_ids = [s.id for s in students]
    outs = outcomes(session, assignments, student_ids, now)
    gradebook = build_gradebook(
        [student_row(s) for s in students], [column(a) for a in assignments], outs
    )
    return GradebookData(
        gradebook, assignments, topic_mastery(topic_rows(session, school_class, student_ids))
    )


@dataclass
class AnswerLine:
    """One answer of an attempt, readable."""

    slot: int
    prompt: str
    topic: str
    qtype: str
    answer: str
    correct: str
    fraction: float | None
    score: float | None
    max_score: float | None

    @property
    def verdict(self) -> str:
        """right, partly right, wrong or not graded."""
        if self.fraction is None:
            return "not graded"
        if self.fraction >= 0.999999:
            return "right"
        return "partly right" if self.fraction > 0 else "wrong"


@dataclass
class AttemptRecord:
    """An attempt and its answers."""

    attempt: Attempt
    answers: list[AnswerLine] = field(default_factory=list)


@dataclass
class AssignmentRecord:
    """One assignment of a student's record: the outcome and each attempt."""

    assignment: Assignment
    outcome: Outcome
    attempts: list[AttemptRecord]


@dataclass
class StudentRecord:
    """A student's work in one class."""

    assignments: list[AssignmentRecord]
    mastery: list[TopicMastery]


def _describe(version: QuestionVersion, answer: Any) -> str:
    try:
        return get_type(version.qtype).describe_answer(version.body, answer)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError):
        return "(answer cannot be shown)"


def _describe_correct(version: QuestionVersion) -> str:
    try:
        return get_type(version.qtype).describe_correct(version.body)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError):
        return "(cannot be shown)"


def load_student_record(
    session: Session, school_class: SchoolClass, student: User, now: datetime
) -> StudentRecord:
    """Every assignment of the class for one student, with each attempt's answers."""
    assignments = load_assignments(session, [school_class.id])
    outs = outcomes(session, assignments, [student.id], now)
    attempts = [a for o in outs.values() for a in o.attempts]
    responses: dict[int, dict[int, Response]] = {}
    version_ids: set[int] = set()
    if attempts:
        for response in session.scalars(
            select(Response).where(Response.attempt_id.in_([a.id for a in attempts]))
        ):
            responses.setdefault(response.attempt_id, {})[response.slot] = response
        version_ids = {entry["version_id"] for a in attempts for entry in a.layout}
    versions = {}
    if version_ids:
        versions = {
            v.id: v
            for v in session.scalars(
                select(QuestionVersion)
                .where(QuestionVersion.id.in_(version_ids))
                .options(selectinload(QuestionVersion.topic))
            )
        }
    records = []
    for assignment in assignments:
        outcome = outs[(assignment.id, student.id)]
        attempt_records = []
        for attempt in outcome.attempts:
            record = AttemptRecord(attempt)
            for entry in attempt.layout:
                version = versions.get(entry["version_id"])
                if version is None:
                    continue
                response = responses.get(attempt.id, {}).get(entry["slot"])
                answer = response.answer if response else None
                record.answers.append(
                    AnswerLine(
                        slot=entry["slot"],
                        prompt=version.prompt,
                        topic=version.topic.title if version.topic else "",
                        qtype=version.qtype,
                        answer=_describe(version, answer),
                        correct=_describe_correct(version),
                        fraction=response.fraction if response else None,
                        score=response.score if response else None,
                        max_score=response.max_score if response else entry.get("points"),
                    )
                )
            attempt_records.append(record)
        records.append(AssignmentRecord(assignment, outcome, attempt_records))
    mastery = student_topic_mastery(topic_rows(session, school_class, [student.id]), student.id)
    return StudentRecord(records, mastery)


def _options(versions: list[QuestionVersion]) -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
    """Option keys and texts of a choice question over its versions (newest first wins)."""
    texts: dict[str, str] = {}
    correct: set[str] = set()
    for version in sorted(versions, key=lambda v: -v.number):
        if version.qtype == "true_false":
            pairs = [
                ("true", "True", version.body.get("answer") is True),
                ("false", "False", version.body.get("answer") is False),
            ]
        else:
            pairs = [
                (o["key"], o["text"], o.get("correct", False))
                for o in version.body.get("options", [])
            ]
        for key, text, is_correct in pairs:
            if key not in texts:
                texts[key] = text
                if is_correct:
                    correct.add(key)
    return tuple(texts.items()), frozenset(correct)


def _chosen(qtype: str, answer: Any) -> tuple[str, ...]:
    if qtype == "single_choice":
        return (answer,) if isinstance(answer, str) and answer else ()
    if qtype == "multiple_response":
        return tuple(k for k in answer if isinstance(k, str)) if isinstance(answer, list) else ()
    if qtype == "true_false":
        return (
            {True: ("true",), False: ("false",)}.get(answer, ()) if isinstance(answer, bool) else ()
        )
    return ()


def first_attempts(session: Session, assignment: Assignment, quiz_id: int) -> list[Attempt]:
    """Each student's first submitted, non-practice attempt at the assignment's quiz."""
    firsts: dict[int, Attempt] = {}
    for attempt in session.scalars(
        select(Attempt)
        .where(
            Attempt.assignment_id == assignment.id,
            Attempt.quiz_id == quiz_id,
            Attempt.state == "submitted",
            Attempt.is_practice.is_(False),
        )
        .order_by(Attempt.submitted_at, Attempt.id)
    ):
        firsts.setdefault(attempt.student_id, attempt)
    return list(firsts.values())


def load_item_analysis(session: Session, assignment: Assignment, quiz_id: int) -> QuizAnalysis:
    """Item analysis of one quiz of an assignment over each student's first submitted attempt."""
    if quiz_id not in quiz_ids_of(assignment):
        raise ValueError("that quiz is not part of the assignment")
    quiz_items = list(
        session.scalars(
            select(QuizItem)
            .where(QuizItem.quiz_id == quiz_id)
            .order_by(QuizItem.position)
            .options(selectinload(QuizItem.question).selectinload(Question.current_version))
        )
    )
    attempts = first_attempts(session, assignment, quiz_id)
    responses = []
    if attempts:
        responses = list(
            session.scalars(
                select(Response).where(Response.attempt_id.in_([a.id for a in attempts]))
            )
        )
    version_ids = {r.version_id for r in responses}
    versions = {}
    if version_ids:
        versions = {
            v.id: v
            for v in session.scalars(
                select(QuestionVersion).where(QuestionVersion.id.in_(version_ids))
            )
        }
    seen: dict[int, list[QuestionVersion]] = {}
    for version in versions.values():
        seen.setdefault(version.question_id, []).append(version)

    items: list[ItemInfo] = []
    order = [qi.question_id for qi in quiz_items]
    order += sorted(q for q in seen if q not in order)
    current = {qi.question_id: qi.question.current_version for qi in quiz_items}
    for number, question_id in enumerate(order, start=1):
        known = list(seen.get(question_id, []))
        if current.get(question_id) is not None and current[question_id] not in known:
            known.append(current[question_id])
        latest = max(known, key=lambda v: v.number) if known else None
        if latest is None:
            continue
        options, correct = ((), frozenset())
        if latest.qtype in CHOICE_TYPES:
            options, correct = _options([v for v in known if v.qtype == latest.qtype])
        label = f"Q{number}" if question_id in current else f"Q{number} (removed from the quiz)"
        items.append(ItemInfo(question_id, label, latest.prompt, latest.qtype, options, correct))

    rows = []
    for response in responses:
        version = versions[response.version_id]
        if response.fraction is None:
            continue
        rows.append(
            ResponseRow(
                attempt=response.attempt_id,
                item=version.question_id,
                fraction=response.fraction,
                chosen=_chosen(version.qtype, response.answer),
                blank=is_blank_answer(response.answer),
            )
        )
    return analyse(items, rows)


@dataclass(frozen=True)
class UpcomingItem:
    """An assignment due soon, with how many students have submitted."""

    assignment: Assignment
    class_name: str
    done: int
    students: int


def upcoming(session: Session, teacher: User, now: datetime, days: int = 14) -> list[UpcomingItem]:
    """Assignments of the teacher's active classes due in the next ``days`` days."""
    rows = list(
        session.execute(
            select(Assignment, SchoolClass.name)
            .join(SchoolClass, SchoolClass.id == Assignment.class_id)
            .where(
                SchoolClass.teacher_id == teacher.id,
                SchoolClass.archived.is_(False),
                Assignment.due_at.is_not(None),
                Assignment.due_at >= now,
                Assignment.due_at <= now + timedelta(days=days),
            )
            .order_by(Assignment.due_at)
            .limit(20)
        )
    )
    if not rows:
        return []
    ids = [a.id for a, _ in rows]
    class_ids = {a.class_id for a, _ in rows}
    done = dict(
        session.execute(
            select(Attempt.assignment_id, func.count(func.distinct(Attempt.student_id)))
            .where(
                Attempt.assignment_id.in_(ids),
                Attempt.state == "submitted",
                Attempt.is_practice.is_(False),
            )
            .group_by(Attempt.assignment_id)
        ).all()
    )
    sizes = dict(
        session.execute(
            select(Enrolment.class_id, func.count())
            .where(Enrolment.class_id.in_(class_ids))
            .group_by(Enrolment.class_id)
        ).all()
    )
    return [UpcomingItem(a, name, done.get(a.id, 0), sizes.get(a.class_id, 0)) for a, name in rows]


def recent_submissions(
    session: Session, teacher: User, limit: int = 10
) -> list[tuple[Attempt, Assignment, User]]:
    """The latest submitted attempts in the teacher's classes, newest first, in one query."""
    return [
        tuple(row)
        for row in session.execute(
            select(Attempt, Assignment, User)
            .join(Assignment, Assignment.id == Attempt.assignment_id)
            .join(SchoolClass, SchoolClass.id == Assignment.class_id)
            .join(User, User.id == Attempt.student_id)
            .where(
                SchoolClass.teacher_id == teacher.id,
                Attempt.state == "submitted",
                Attempt.is_practice.is_(False),
            )
            .order_by(Attempt.submitted_at.desc())
            .limit(limit)
        )
    ]
