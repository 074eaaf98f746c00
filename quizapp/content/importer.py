"""Writing validated content into the database, idempotently.

Importing unchanged content changes nothing. A question whose content changed gets a new
version (the old one stays, so attempts that showed it keep grading against it). Lessons,
stimuli, quizzes and modules are updated in place.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from quizapp.content.specs import Blueprint, ContentBundle, QuestionSpec
from quizapp.models import (
    Lesson,
    Module,
    ModuleItem,
    Question,
    QuestionVersion,
    Quiz,
    QuizItem,
    Source,
    Stimulus,
    Topic,
)
from quizapp.questions import get_type
from quizapp.quizzes.generation import QuestionCard, generate_quiz


def content_hash(payload: Any) -> str:
    """A stable hash of JSON-able content."""
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


@dataclass
class ImportReport:
    """What an import did, per kind: created, updated (or new version), unchanged."""

    counts: Counter = field(default_factory=Counter)

    def note(self, kind: str, outcome: str) -> None:
        self.counts[f"{kind}.{outcome}"] += 1

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return any(n for key, n in self.counts.items() if not key.endswith(".unchanged"))

    def summary(self) -> str:
        """One line per kind, for the CLI."""
        kinds = sorted({key.split(".")[0] for key in self.counts})
        lines = []
        for kind in kinds:
            parts = [
                f"{outcome} {self.counts[f'{kind}.{outcome}']}"
                for outcome in ("created", "new_version", "updated", "unchanged")
                if self.counts[f"{kind}.{outcome}"]
            ]
            lines.append(f"{kind}: {', '.join(parts)}")
        return "\n".join(lines)


def version_payload(spec: QuestionSpec) -> dict[str, Any]:
    """The content of a question version that, when it changes, makes a new version."""
    return {
        "type": spec.type,
        "topic": spec.topic,
        "difficulty": spec.difficulty,
        "cognitive": spec.cognitive,
        "prompt": spec.prompt,
        "body": spec.body,
        "explanation": spec.explanation,
        "sources": spec.sources,
        "tags": spec.tags,
        "stimulus": spec.stimulus,
        "points": spec.points,
    }


def search_text_for(prompt: str, qtype: str, body: dict, tags: list[str]) -> str:
    """The lower-cased text that bank search looks through."""
    words = [prompt, *get_type(qtype).search_words(body), *tags]
    return " \n".join(w.casefold() for w in words)


def write_question_version(
    session: Session,
    question: Question,
    spec: QuestionSpec,
    topic: Topic,
    stimulus: Stimulus | None,
    author_id: int | None = None,
) -> QuestionVersion:
    """Append a new immutable version to ``question`` and make it current."""
    payload = version_payload(spec)
    number = 1 + max((v.number for v in question.versions), default=0)
    version = QuestionVersion(
        question=question,
        number=number,
        qtype=spec.type,
        topic=topic,
        difficulty=spec.difficulty,
        cognitive_level=spec.cognitive,
        prompt=spec.prompt,
        body=spec.body,
        explanation=spec.explanation,
        source_refs=list(spec.sources),
        tags=list(spec.tags),
        stimulus=stimulus,
        points=spec.points,
        content_hash=content_hash(payload),
        search_text=search_text_for(spec.prompt, spec.type, spec.body, spec.tags),
        author_id=author_id,
    )
    session.add(version)
    session.flush()
    question.current_version = version
    return version


def _bank_fingerprint(session: Session) -> tuple:
    """A cheap summary that changes whenever a card would: a question added, edited (a new
    current version) or retired."""
    return tuple(
        session.execute(
            select(
                func.count(Question.id),
                func.max(Question.id),
                func.max(Question.current_version_id),
                func.sum(case((Question.retired.is_(True), Question.id), else_=0)),
            )
        ).one()
    )


def question_cards_from_db(session: Session, owner_id: int | None = None) -> list[QuestionCard]:
    """Generation cards for every live question in the curated bank (and an owner's own).

    Cards are kept per application and owner until the bank's fingerprint changes, so
    generating a quiz does not re-read thousands of rows each time.
    """
    from flask import current_app, has_app_context

    cache = current_app.extensions.setdefault("quizapp_cards", {}) if has_app_context() else None
    fingerprint = _bank_fingerprint(session) if cache is not None else None
    if cache is not None and (hit := cache.get(owner_id)) and hit[0] == fingerprint:
        return list(hit[1])
    stmt = (
        select(
            Question.slug,
            Topic.slug,
            QuestionVersion.difficulty,
            QuestionVersion.qtype,
            QuestionVersion.tags,
        )
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .join(Topic, QuestionVersion.topic_id == Topic.id)
        .where(Question.retired.is_(False))
    )
    stmt = (
        stmt.where(Question.owner_id.is_(None) | (Question.owner_id == owner_id))
        if owner_id
        else stmt.where(Question.owner_id.is_(None))
    )
    cards = [
        QuestionCard(slug, topic, difficulty, qtype, tuple(tags or ()))
        for slug, topic, difficulty, qtype, tags in session.execute(stmt)
    ]
    if cache is not None:
        cache[owner_id] = (fingerprint, tuple(cards))
    return cards


def set_quiz_questions(session: Session, quiz: Quiz, slugs: list[str]) -> bool:
    """Replace a quiz's items with the questions ``slugs``, in order; True if anything changed."""
    current = [item.question.slug for item in quiz.items]
    if current == slugs:
        return False
    by_slug = {q.slug: q for q in session.scalars(select(Question).where(Question.slug.in_(slugs)))}
    quiz.items.clear()
    session.flush()
    for position, slug in enumerate(slugs, start=1):
        quiz.items.append(QuizItem(position=position, question=by_slug[slug]))
    return True


def import_bundle(session: Session, bundle: ContentBundle) -> ImportReport:
    """Write a validated bundle into the database; the caller commits."""
    report = ImportReport()
    topics = _upsert_topics(session, bundle, report)
    _upsert_sources(session, bundle, report)
    stimuli = _upsert_stimuli(session, bundle, report)
    _upsert_questions(session, bundle, topics, stimuli, report)
    session.flush()
    cards = question_cards_from_db(session)
    lessons = _upsert_lessons(session, bundle, topics, cards, report)
    quizzes = _upsert_quizzes(session, bundle, cards, report)
    quizzes.update(
        {
            q.slug: q
            for q in session.scalars(
                select(Quiz).where(Quiz.lesson_id.in_([lesson.id for lesson in lessons.values()]))
            )
        }
    )
    _upsert_modules(session, bundle, lessons, quizzes, report)
    session.flush()
    return report


def _upsert_by_key(session, model, key_column: str, items, report, kind: str) -> dict:
    """Create or update rows of ``model`` from (key, values) pairs; note each outcome."""
    existing = {getattr(row, key_column): row for row in session.scalars(select(model))}
    for key, values in items:
        row = existing.get(key)
        if row is None:
            row = existing[key] = model(**{key_column: key}, **values)
            session.add(row)
            report.note(kind, "created")
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            report.note(kind, "updated")
        else:
            report.note(kind, "unchanged")
    session.flush()
    return existing


def _upsert_topics(session, bundle, report) -> dict[str, Topic]:
    items = [
        (spec.id, {"title": spec.title, "description": spec.description, "position": spec.position})
        for spec in bundle.topics
    ]
    return _upsert_by_key(session, Topic, "slug", items, report, "topics")


def _upsert_sources(session, bundle, report) -> None:
    items = [
        (
            spec.key,
            {
                "title": spec.title,
                "kind": spec.kind,
                "url": spec.url,
                "paragraphs": spec.paragraphs,
            },
        )
        for spec in bundle.sources
    ]
    _upsert_by_key(session, Source, "key", items, report, "sources")


def _upsert_stimuli(session, bundle, report) -> dict[str, Stimulus]:
    existing = {s.slug: s for s in session.scalars(select(Stimulus))}
    for spec in bundle.stimuli:
        values = {
            "title": spec.title,
            "body": spec.text,
            "citation": spec.citation,
            "source_refs": spec.sources,
        }
        digest = content_hash(values)
        stimulus = existing.get(spec.id)
        if stimulus is None:
            stimulus = existing[spec.id] = Stimulus(slug=spec.id, content_hash=digest, **values)
            session.add(stimulus)
            report.note("stimuli", "created")
        elif stimulus.content_hash != digest:
            for k, v in values.items():
                setattr(stimulus, k, v)
            stimulus.content_hash = digest
            report.note("stimuli", "updated")
        else:
            report.note("stimuli", "unchanged")
    session.flush()
    return existing


def _upsert_questions(session, bundle, topics, stimuli, report) -> None:
    slugs = [spec.id for spec in bundle.questions]
    existing = (
        {q.slug: q for q in session.scalars(select(Question).where(Question.slug.in_(slugs)))}
        if slugs
        else {}
    )
    current_hashes = {
        qid: digest
        for qid, digest in session.execute(
            select(Question.id, QuestionVersion.content_hash).join(
                QuestionVersion, Question.current_version_id == QuestionVersion.id
            )
        )
    }
    for spec in bundle.questions:
        question = existing.get(spec.id)
        digest = content_hash(version_payload(spec))
        topic, stimulus = topics[spec.topic], stimuli.get(spec.stimulus) if spec.stimulus else None
        if question is None:
            question = Question(slug=spec.id)
            session.add(question)
            session.flush()
            write_question_version(session, question, spec, topic, stimulus)
            report.note("questions", "created")
        elif current_hashes.get(question.id) != digest:
            write_question_version(session, question, spec, topic, stimulus)
            report.note("questions", "new_version")
        else:
            report.note("questions", "unchanged")


def _lesson_values(spec, topics) -> dict[str, Any]:
    return {
        "title": spec.title,
        "topic_id": topics[spec.topic].id if spec.topic in topics else None,
        "summary": spec.summary,
        "estimated_minutes": spec.minutes,
        "objectives": spec.objectives,
        "key_terms": spec.key_terms,
        "timeline": spec.timeline,
        "sections": [
            {"heading": s.heading, "body": s.body, "checks": s.checks, "sources": s.sources}
            for s in spec.sections
        ],
        "blueprint": spec.blueprint.to_json(),
        "source_refs": spec.sources,
    }


def _upsert_lessons(session, bundle, topics, cards, report) -> dict[str, Lesson]:
    existing = {lesson.slug: lesson for lesson in session.scalars(select(Lesson))}
    for spec in bundle.lessons:
        values = _lesson_values(spec, topics)
        digest = content_hash(
            {**values, "topic": spec.topic, "quiz": [spec.quiz_title, spec.quiz_seed]}
        )
        lesson = existing.get(spec.id)
        if lesson is None:
            lesson = existing[spec.id] = Lesson(slug=spec.id, content_hash=digest, **values)
            session.add(lesson)
            report.note("lessons", "created")
        elif lesson.content_hash != digest:
            for k, v in values.items():
                setattr(lesson, k, v)
            lesson.content_hash = digest
            report.note("lessons", "updated")
        else:
            report.note("lessons", "unchanged")
        session.flush()
        quiz = session.scalar(select(Quiz).where(Quiz.slug == spec.quiz_id))
        blueprint_json = spec.blueprint.to_json()
        if quiz is None:
            quiz = Quiz(slug=spec.quiz_id, kind="blueprint", lesson_id=lesson.id)
            session.add(quiz)
        quiz.title, quiz.blueprint, quiz.seed = spec.quiz_title, blueprint_json, spec.quiz_seed
        generated = generate_quiz(cards, spec.blueprint, spec.quiz_seed)
        set_quiz_questions(session, quiz, generated.keys)
    return existing


def _upsert_quizzes(session, bundle, cards, report) -> dict[str, Quiz]:
    existing = {q.slug: q for q in session.scalars(select(Quiz).where(Quiz.slug.is_not(None)))}
    for spec in bundle.quizzes:
        quiz = existing.get(spec.id)
        created = quiz is None
        if created:
            quiz = existing[spec.id] = Quiz(slug=spec.id)
            session.add(quiz)
        if spec.blueprint is not None:
            slugs = generate_quiz(cards, spec.blueprint, spec.seed).keys
            values = {
                "title": spec.title,
                "description": spec.description,
                "kind": "blueprint",
                "blueprint": spec.blueprint.to_json(),
                "seed": spec.seed,
            }
        else:
            slugs = spec.questions
            values = {
                "title": spec.title,
                "description": spec.description,
                "kind": "fixed",
                "blueprint": None,
                "seed": None,
            }
        changed = any(getattr(quiz, k) != v for k, v in values.items())
        for k, v in values.items():
            setattr(quiz, k, v)
        session.flush()
        changed = set_quiz_questions(session, quiz, slugs) or changed
        report.note("quizzes", "created" if created else "updated" if changed else "unchanged")
    return existing


def _upsert_modules(session, bundle, lessons, quizzes, report) -> None:
    existing = {m.slug: m for m in session.scalars(select(Module).where(Module.slug.is_not(None)))}
    for spec in bundle.modules:
        values = {
            "title": spec.title,
            "description": spec.description,
            "estimated_minutes": spec.minutes,
        }
        digest = content_hash({**values, "items": spec.items})
        module = existing.get(spec.id)
        if module is not None and module.content_hash == digest:
            report.note("modules", "unchanged")
            continue
        if module is None:
            module = Module(slug=spec.id)
            session.add(module)
            report.note("modules", "created")
        else:
            report.note("modules", "updated")
        for k, v in values.items():
            setattr(module, k, v)
        module.content_hash = digest
        module.items.clear()
        session.flush()
        for position, (kind, ref) in enumerate(spec.items, start=1):
            item = ModuleItem(position=position)
            if kind == "lesson":
                item.lesson = lessons[ref]
            else:
                item.quiz = quizzes[ref]
            module.items.append(item)


def blueprint_of(quiz: Quiz) -> Blueprint:
    """A stored quiz's blueprint as a dataclass."""
    return Blueprint.from_json(quiz.blueprint)
