"""What is taught and set: lessons, quizzes, modules, assignments and extensions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.extensions import db
from quizapp.models._types import JSONType, UTCDateTime, utcnow

GRADING_METHODS = ("highest", "first", "last", "average")
# When a piece of review information becomes visible to the student.
REVIEW_TIMINGS = ("during", "after_submit", "after_due", "never")
ASSIGNABLE_KINDS = ("lesson", "quiz", "module")


class Lesson(db.Model):
    """A reading lesson in sections, with embedded check questions and a quiz blueprint."""

    __tablename__ = "lesson"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    summary: Mapped[str] = mapped_column(Text, default="")
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=15)
    objectives: Mapped[list[str]] = mapped_column(JSONType, default=list)
    key_terms: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    timeline: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    # [{"heading": str, "body": markdown, "checks": [question slug, ...], "sources": [...]}]
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    blueprint: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    source_refs: Mapped[list[str]] = mapped_column(JSONType, default=list)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published: Mapped[bool] = mapped_column(default=True)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    topic: Mapped[Any] = relationship("Topic")


class Quiz(db.Model):
    """A quiz: a fixed list of questions, or one generated from a blueprint with a seed."""

    __tablename__ = "quiz"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="fixed")  # fixed | blueprint
    # {"items": [{"topic": slug, "difficulty": 1, "count": 2, "types": [...]}],
    #  "exclude_seen_by_class": id | None}
    blueprint: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    seed: Mapped[int | None] = mapped_column(Integer)
    variant: Mapped[str | None] = mapped_column(String(4))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("quiz.id"))
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    published: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[QuizItem]] = relationship(
        back_populates="quiz", cascade="all, delete-orphan", order_by="QuizItem.position"
    )


class QuizItem(db.Model):
    """One question's place in a quiz. The version is chosen when an attempt starts."""

    __tablename__ = "quiz_item"
    __table_args__ = (UniqueConstraint("quiz_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    points: Mapped[float | None] = mapped_column()

    quiz: Mapped[Quiz] = relationship(back_populates="items")
    question: Mapped[Any] = relationship("Question")


class Module(db.Model):
    """An ordered sequence of lessons and quizzes, such as a course or one class period."""

    __tablename__ = "module"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published: Mapped[bool] = mapped_column(default=True)
    content_hash: Mapped[str] = mapped_column(String(64), default="")

    items: Mapped[list[ModuleItem]] = relationship(
        back_populates="module", cascade="all, delete-orphan", order_by="ModuleItem.position"
    )


class ModuleItem(db.Model):
    """One step of a module: a lesson or a quiz."""

    __tablename__ = "module_item"
    __table_args__ = (UniqueConstraint("module_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"))
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quiz.id"))

    module: Mapped[Module] = relationship(back_populates="items")
    lesson: Mapped[Lesson | None] = relationship()
    quiz: Mapped[Quiz | None] = relationship()

    @property
    def kind(self) -> str:
        """'lesson' or 'quiz'."""
        return "lesson" if self.lesson_id else "quiz"


class Assignment(db.Model):
    """A lesson, quiz or module set for a class, with dates and the rules of the attempt."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"))
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quiz.id"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id"))
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    open_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    attempts_allowed: Mapped[int] = mapped_column(Integer, default=1)  # 0 = unlimited
    grading_method: Mapped[str] = mapped_column(String(16), default="highest")
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    review_score: Mapped[str] = mapped_column(String(16), default="after_submit")
    review_correctness: Mapped[str] = mapped_column(String(16), default="after_submit")
    review_answers: Mapped[str] = mapped_column(String(16), default="after_due")
    review_feedback: Mapped[str] = mapped_column(String(16), default="after_due")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    school_class: Mapped[Any] = relationship("SchoolClass")
    lesson: Mapped[Lesson | None] = relationship()
    quiz: Mapped[Quiz | None] = relationship()
    module: Mapped[Module | None] = relationship()
    extensions: Mapped[list[Extension]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan"
    )


class Extension(db.Model):
    """A later due/close date or extra time for one student on one assignment."""

    __tablename__ = "extension"
    __table_args__ = (UniqueConstraint("assignment_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)

    assignment: Mapped[Assignment] = relationship(back_populates="extensions")


class LessonProgress(db.Model):
    """Where a student is in a lesson, their check answers, and when they completed it."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("student_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    current_section: Mapped[int] = mapped_column(Integer, default=0)
    # {question slug: {"answer": ..., "score": float}}
    check_answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
