"""Attempts at quizzes and one row per response."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.extensions import db
from quizapp.models._types import JSONType, UTCDateTime, utcnow

ATTEMPT_STATES = ("in_progress", "submitted")


class Attempt(db.Model):
    """One student's sitting of a quiz. Its layout pins the question versions it showed."""

    __tablename__ = "attempt"
    __table_args__ = (
        Index("ix_attempt_assignment_student", "assignment_id", "student_id"),
        Index("ix_attempt_state_deadline", "state", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random public identifier used in URLs, so attempt numbers cannot be walked.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    is_practice: Mapped[bool] = mapped_column(default=False)
    number: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16), default="in_progress")
    # [{"slot": 1, "version_id": 12, "option_order": [...], "points": 1.0}]
    layout: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    seed: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(16))  # student | timer | teacher
    score: Mapped[float | None] = mapped_column()
    max_score: Mapped[float | None] = mapped_column()
    current_page: Mapped[int] = mapped_column(Integer, default=0)

    responses: Mapped[list[Response]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="Response.slot"
    )
    quiz: Mapped[Any] = relationship("Quiz")
    assignment: Mapped[Any] = relationship("Assignment")
    student: Mapped[Any] = relationship("User")

    @property
    def percent(self) -> float | None:
        """Score as a percentage, once graded."""
        if self.score is None or not self.max_score:
            return None
        return round(100.0 * self.score / self.max_score, 1)


class Response(db.Model):
    """The latest saved answer for one slot of an attempt, and its grade after submission."""

    __tablename__ = "response"
    __table_args__ = (UniqueConstraint("attempt_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_version.id"), index=True)
    answer: Mapped[Any] = mapped_column(JSONType)
    # Client-side sequence number: a save with a lower number never overwrites a newer one.
    client_seq: Mapped[int] = mapped_column(Integer, default=0)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[float | None] = mapped_column()  # points earned
    max_score: Mapped[float | None] = mapped_column()
    fraction: Mapped[float | None] = mapped_column()  # 0..1
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    attempt: Mapped[Attempt] = relationship(back_populates="responses")
    version: Mapped[Any] = relationship("QuestionVersion")


class PdfJob(db.Model):
    """A background PDF render (class sets), its progress and result path."""

    __tablename__ = "pdf_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result_path: Mapped[str | None] = mapped_column(String(1000))
    error: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
