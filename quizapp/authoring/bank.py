"""Browsing the question bank: filters, full-text search, pages, usage and statistics.

Filtering is portable SQL that runs the same on SQLite and PostgreSQL: search looks through
each current version's lower-cased ``search_text`` with ``LIKE``; a tag filter looks for the
tag, JSON-quoted, in the text of the ``tags`` column. Pages load their versions and topics
with joins, and their usage with two grouped queries (no query per row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session, contains_eager

from quizapp.authoring.access import visible_clause, visible_questions
from quizapp.models import (
    Attempt,
    Question,
    QuestionVersion,
    Quiz,
    QuizItem,
    Response,
    Topic,
    User,
)

PER_PAGE = 25
OWNERSHIP = ("all", "mine", "curated")


def escape_like(text: str) -> str:
    """Text with LIKE's wildcards escaped (with a backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class BankFilters:
    """What the teacher asked for; empty values mean 'any'."""

    text: str = ""
    topic: str = ""
    qtype: str = ""
    difficulty: int | None = None
    cognitive: str = ""
    tag: str = ""
    ownership: str = "all"
    include_retired: bool = False

    @property
    def active(self) -> bool:
        """Whether any filter narrows the bank."""
        return bool(
            self.text
            or self.topic
            or self.qtype
            or self.difficulty
            or self.cognitive
            or self.tag
            or self.ownership != "all"
            or self.include_retired
        )


@dataclass
class BankRow:
    """One question on a bank page with its current version and usage."""

    question: Question
    version: QuestionVersion
    quizzes: int = 0
    answered: int = 0
    facility: float | None = None


@dataclass
class BankPage:
    """One page of results."""

    rows: list[BankRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """1-based index of the first row shown."""
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        """1-based index of the last row shown."""
        return min(self.total, self.page * self.per_page)


def tag_pattern(tag: str, dialect: str) -> str:
    """LIKE pattern that finds ``tag`` in a JSON list stored as text on ``dialect``."""
    quoted = json.dumps(tag.strip(), ensure_ascii=dialect == "sqlite")
    return f"%{escape_like(quoted)}%"


def bank_query(session: Session, user: User, filters: BankFilters):
    """SELECT of (Question with its current version and topic) matching ``filters``."""
    stmt = (
        select(Question)
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .join(Topic, QuestionVersion.topic_id == Topic.id)
        .where(visible_questions(user))
    )
    if not filters.include_retired:
        stmt = stmt.where(Question.retired.is_(False))
    if filters.ownership == "mine":
        stmt = stmt.where(Question.owner_id == user.id)
    elif filters.ownership == "curated":
        stmt = stmt.where(Question.owner_id.is_(None))
    if filters.topic:
        stmt = stmt.where(Topic.slug == filters.topic)
    if filters.qtype:
        stmt = stmt.where(QuestionVersion.qtype == filters.qtype)
    if filters.difficulty:
        stmt = stmt.where(QuestionVersion.difficulty == filters.difficulty)
    if filters.cognitive:
        stmt = stmt.where(QuestionVersion.cognitive_level == filters.cognitive)
    if filters.tag:
        dialect = session.get_bind().dialect.name
        stmt = stmt.where(
            cast(QuestionVersion.tags, String).like(tag_pattern(filters.tag, dialect), escape="\\")
        )
    for word in filters.text.casefold().split()[:10]:
        stmt = stmt.where(QuestionVersion.search_text.like(f"%{escape_like(word)}%", escape="\\"))
    return stmt


def search_bank(
    session: Session, user: User, filters: BankFilters, page: int = 1, per_page: int = PER_PAGE
) -> BankPage:
    """One page of the bank for ``user``, in teaching order (topic, difficulty, id)."""
    stmt = bank_query(session, user, filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    questions = session.scalars(
        stmt.options(
            contains_eager(Question.current_version).contains_eager(QuestionVersion.topic),
            contains_eager(Question.current_version).selectinload(QuestionVersion.stimulus),
        )
        .order_by(Topic.position, QuestionVersion.difficulty, Question.slug)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).unique()
    rows = [BankRow(q, q.current_version) for q in questions]
    _add_usage(session, user, rows)
    return BankPage(rows, total, page, per_page)


def _add_usage(session: Session, user: User, rows: list[BankRow]) -> None:
    ids = [row.question.id for row in rows]
    if not ids:
        return
    in_quizzes = dict(
        session.execute(
            select(QuizItem.question_id, func.count(func.distinct(QuizItem.quiz_id)))
            .join(Quiz, QuizItem.quiz_id == Quiz.id)
            .where(QuizItem.question_id.in_(ids), visible_clause(Quiz.owner_id, user))
            .group_by(QuizItem.question_id)
        ).all()
    )
    answered = {
        qid: (count, mean)
        for qid, count, mean in session.execute(
            select(
                QuestionVersion.question_id, func.count(Response.id), func.avg(Response.fraction)
            )
            .join(Response, Response.version_id == QuestionVersion.id)
            .join(Attempt, Response.attempt_id == Attempt.id)
            .where(
                QuestionVersion.question_id.in_(ids),
                Attempt.state == "submitted",
                Response.fraction.is_not(None),
            )
            .group_by(QuestionVersion.question_id)
        )
    }
    for row in rows:
        row.quizzes = in_quizzes.get(row.question.id, 0)
        count, mean = answered.get(row.question.id, (0, None))
        row.answered = count
        row.facility = float(mean) if mean is not None else None


def bank_tags(session: Session, user: User) -> list[str]:
    """Every tag on a live question the user can see, sorted, for the tag filter."""
    tags: set[str] = set()
    for value in session.scalars(
        select(QuestionVersion.tags)
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .where(visible_questions(user), Question.retired.is_(False))
    ):
        tags.update(value or [])
    return sorted(tags, key=str.casefold)


def topics(session: Session) -> list[Topic]:
    """All topics in teaching order."""
    return list(session.scalars(select(Topic).order_by(Topic.position, Topic.slug)))


@dataclass
class VersionStats:
    """How one version of a question fared: submitted answers and mean fraction (facility)."""

    version: QuestionVersion
    answered: int = 0
    facility: float | None = None
    full_marks: int = 0


@dataclass
class QuestionUsage:
    """Where a question is used and how it was answered, per version and overall."""

    quizzes: list[Quiz] = field(default_factory=list)
    other_quizzes: int = 0
    versions: list[VersionStats] = field(default_factory=list)
    attempts: int = 0

    @property
    def answered(self) -> int:
        """Submitted answers over every version."""
        return sum(v.answered for v in self.versions)

    @property
    def facility(self) -> float | None:
        """Mean fraction over every version (None before any answer)."""
        total = sum(v.facility * v.answered for v in self.versions if v.facility is not None)
        return total / self.answered if self.answered else None


def question_usage(session: Session, user: User, question: Question) -> QuestionUsage:
    """Quizzes using ``question`` (those the user may see, and a count of others) and its
    statistics per version from submitted attempts."""
    usage = QuestionUsage()
    quizzes = list(
        session.scalars(
            select(Quiz)
            .join(QuizItem, QuizItem.quiz_id == Quiz.id)
            .where(QuizItem.question_id == question.id)
            .distinct()
            .order_by(Quiz.title)
        )
    )
    usage.quizzes = [q for q in quizzes if user.is_admin or q.owner_id in (None, user.id)]
    usage.other_quizzes = len(quizzes) - len(usage.quizzes)
    stats: dict[int, Any] = {
        vid: (count, mean, full)
        for vid, count, mean, full in session.execute(
            select(
                Response.version_id,
                func.count(Response.id),
                func.avg(Response.fraction),
                func.sum(case((Response.fraction >= 0.999999, 1), else_=0)),
            )
            .join(Attempt, Response.attempt_id == Attempt.id)
            .join(QuestionVersion, Response.version_id == QuestionVersion.id)
            .where(
                QuestionVersion.question_id == question.id,
                Attempt.state == "submitted",
                Response.fraction.is_not(None),
            )
            .group_by(Response.version_id)
        )
    }
    for version in sorted(question.versions, key=lambda v: v.number, reverse=True):
        count, mean, full = stats.get(version.id, (0, None, 0))
        usage.versions.append(
            VersionStats(version, count, float(mean) if mean is not None else None, full or 0)
        )
    usage.attempts = (
        session.scalar(
            select(func.count(func.distinct(Response.attempt_id)))
            .join(Attempt, Response.attempt_id == Attempt.id)
            .join(QuestionVersion, Response.version_id == QuestionVersion.id)
            .where(QuestionVersion.question_id == question.id, Attempt.state == "submitted")
        )
        or 0
    )
    return usage
