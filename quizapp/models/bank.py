"""The question bank: topics, sources, stimuli, questions and their immutable versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.extensions import db
from quizapp.models._types import JSONType, UTCDateTime, utcnow


class Topic(db.Model):
    """A strand of the course, such as 'the night of 19–20 January'."""

    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Source(db.Model):
    """A cited source: a fact-sheet key such as LAT-21, or the seed article."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(1000), default="")
    paragraphs: Mapped[int | None] = mapped_column(Integer)


class Stimulus(db.Model):
    """A short source excerpt shared by several questions. Versioned by content hash."""

    __tablename__ = "stimulus"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(String(600))
    source_refs: Mapped[list[str]] = mapped_column(JSONType, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))


class Question(db.Model):
    """A question's identity. Its content lives in versions; the current one is shown to new
    attempts, while every attempt keeps the version it displayed."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_version.id", use_alter=True)
    )
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    current_version: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question",
        foreign_keys="QuestionVersion.question_id",
        order_by="QuestionVersion.number",
    )


class QuestionVersion(db.Model):
    """One immutable state of a question. Never updated after it is written."""

    __tablename__ = "question_version"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    qtype: Mapped[str] = mapped_column(String(32), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"), index=True)
    difficulty: Mapped[int] = mapped_column(Integer, index=True)
    cognitive_level: Mapped[str] = mapped_column(String(16), index=True)
    prompt: Mapped[str] = mapped_column(Text)
    # Type-specific content: options, accepted answers, tolerance, items, pairs, blanks …
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    explanation: Mapped[str] = mapped_column(Text)
    source_refs: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    stimulus_id: Mapped[int | None] = mapped_column(ForeignKey("stimulus.id"))
    points: Mapped[float] = mapped_column(default=1.0)
    # Lower-cased prompt, options and tags, for portable filtering and search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    question: Mapped[Question] = relationship(back_populates="versions", foreign_keys=[question_id])
    topic: Mapped[Topic] = relationship()
    stimulus: Mapped[Stimulus | None] = relationship()
