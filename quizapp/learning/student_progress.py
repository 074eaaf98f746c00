"""A student's progress: scores over time, mastery per topic, questions to review next.

Pure computations over rows loaded by :func:`load_history`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizapp.models import Attempt, Question, QuestionVersion, Quiz, Response, Topic


@dataclass(frozen=True)
class ResponseRow:
    """One graded response with what progress needs."""

    question_id: int
    version_id: int
    topic: str
    fraction: float
    when: datetime
    prompt: str
    assignment_id: int | None = None


@dataclass(frozen=True)
class AttemptRow:
    """One submitted attempt."""

    when: datetime
    title: str
    percent: float | None
    practice: bool
    assignment_id: int | None = None


def load_history(session: Session, student_id: int) -> tuple[list[AttemptRow], list[ResponseRow]]:
    """All the student's submitted attempts and graded responses, in two queries."""
    attempts = [
        AttemptRow(a.submitted_at, title, a.percent, a.is_practice)
        for a, title in session.execute(
            select(Attempt, Quiz.title)
            .join(Quiz, Attempt.quiz_id == Quiz.id)
            .where(Attempt.student_id == student_id, Attempt.state == "submitted")
            .order_by(Attempt.submitted_at)
        )
    ]
    responses = [
        ResponseRow(qv.question_id, qv.id, topic, r.fraction, a.submitted_at, qv.prompt)
        for r, a, qv, topic in session.execute(
            select(Response, Attempt, QuestionVersion, Topic.title)
            .join(Attempt, Response.attempt_id == Attempt.id)
            .join(QuestionVersion, Response.version_id == QuestionVersion.id)
            .join(Topic, QuestionVersion.topic_id == Topic.id)
            .where(
                Attempt.student_id == student_id,
                Attempt.state == "submitted",
                Response.fraction.is_not(None),
            )
        )
    ]
    return attempts, responses


@dataclass(frozen=True)
class TopicMastery:
    """Mean score on a topic's questions, and how many answers it rests on."""

    topic: str
    percent: int
    answers: int

    @property
    def band(self) -> str:
        """A word for the level, so the chart reads without colour."""
        return (
            "secure" if self.percent >= 80 else "developing" if self.percent >= 50 else "needs work"
        )


def mastery_by_topic(responses: list[ResponseRow]) -> list[TopicMastery]:
    """Mastery per topic, weakest first."""
    sums: dict[str, list[float]] = defaultdict(list)
    for row in responses:
        sums[row.topic].append(row.fraction)
    result = [
        TopicMastery(topic, round(100 * sum(v) / len(v)), len(v)) for topic, v in sums.items()
    ]
    return sorted(result, key=lambda m: (m.percent, m.topic))


def questions_to_review(responses: list[ResponseRow], limit: int = 10) -> list[ResponseRow]:
    """Questions whose latest answer was not fully right, most recent first."""
    latest: dict[int, ResponseRow] = {}
    for row in sorted(responses, key=lambda r: r.when):
        latest[row.question_id] = row
    wrong = [row for row in latest.values() if row.fraction < 0.999999]
    return sorted(wrong, key=lambda r: (r.fraction, -r.when.timestamp()))[:limit]


def review_question_ids(session: Session, rows: list[ResponseRow]) -> list[int]:
    """Live question ids (not retired) for a review practice quiz."""
    ids = [r.question_id for r in rows]
    if not ids:
        return []
    live = set(
        session.scalars(
            select(Question.id).where(Question.id.in_(ids), Question.retired.is_(False))
        )
    )
    return [i for i in ids if i in live]


def visible_history(
    attempts: list[AttemptRow],
    responses: list[ResponseRow],
    no_score: set[int],
    no_answers: set[int],
) -> tuple[list[AttemptRow], list[ResponseRow], list[ResponseRow]]:
    """What the student may see now: attempts with released scores, responses for mastery
    (released scores) and responses for 'to review' (released answers)."""
    shown = [a for a in attempts if a.assignment_id not in no_score]
    mastery_rows = [r for r in responses if r.assignment_id not in no_score]
    review_rows = [r for r in responses if r.assignment_id not in no_answers]
    return shown, mastery_rows, review_rows
