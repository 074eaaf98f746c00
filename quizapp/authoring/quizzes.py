"""Building quizzes: by hand, or generated from a blueprint with a seed; swaps, order, variants.

Generation is :func:`quizapp.quizzes.generation.generate_quiz` over the curated bank plus the
quiz owner's questions, so the same blueprint and seed always give the same quiz. Leaving out
"questions this class has already seen" means every question shown in any attempt by a student
enrolled in the class (read from the attempts' layouts, which pin every slot's version).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from quizapp.authoring.access import visible_clause, visible_questions
from quizapp.content.importer import question_cards_from_db
from quizapp.content.specs import Blueprint, BlueprintRow
from quizapp.models import (
    Attempt,
    Enrolment,
    Lesson,
    Question,
    QuestionVersion,
    Quiz,
    QuizItem,
    User,
)
from quizapp.quizzes.generation import (
    Generated,
    QuestionCard,
    generate_quiz,
    swap_question,
    variant_seed,
)

VARIANT_LETTERS = ("B", "C")
MAX_SEED = 999_999


class BuildError(Exception):
    """A build step that cannot be done; the message is for the teacher."""


def random_seed() -> int:
    """A fresh seed, small enough to read out and type again."""
    return 1 + secrets.randbelow(MAX_SEED)


# --- reading -----------------------------------------------------------------------------------


@dataclass
class QuizListing:
    """Quizzes a teacher can use, grouped for the quiz list."""

    own: list[Quiz] = field(default_factory=list)
    curated: list[Quiz] = field(default_factory=list)
    lesson_quizzes: list[Quiz] = field(default_factory=list)
    variants: dict[int, list[Quiz]] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)


def quiz_listing(session: Session, user: User) -> QuizListing:
    """Curated and own quizzes with their question counts and variants (two queries)."""
    quizzes = list(
        session.scalars(
            select(Quiz)
            .where(visible_clause(Quiz.owner_id, user))
            .order_by(Quiz.title, Quiz.variant, Quiz.id)
        )
    )
    listing = QuizListing()
    listing.counts = question_counts(session, [q.id for q in quizzes])
    for quiz in quizzes:
        if quiz.parent_id is not None:
            listing.variants.setdefault(quiz.parent_id, []).append(quiz)
        elif quiz.lesson_id is not None:
            listing.lesson_quizzes.append(quiz)
        elif quiz.owner_id is None:
            listing.curated.append(quiz)
        else:
            listing.own.append(quiz)
    return listing


def question_counts(session: Session, quiz_ids: list[int]) -> dict[int, int]:
    """Number of questions per quiz, in one query."""
    if not quiz_ids:
        return {}
    return dict(
        session.execute(
            select(QuizItem.quiz_id, func.count(QuizItem.id))
            .where(QuizItem.quiz_id.in_(quiz_ids))
            .group_by(QuizItem.quiz_id)
        ).all()
    )


def quiz_questions(session: Session, quiz: Quiz) -> list[QuizItem]:
    """A quiz's items with their questions, current versions and topics (no query per item)."""
    return list(
        session.scalars(
            select(QuizItem)
            .where(QuizItem.quiz_id == quiz.id)
            .options(
                selectinload(QuizItem.question)
                .selectinload(Question.current_version)
                .selectinload(QuestionVersion.topic),
                selectinload(QuizItem.question)
                .selectinload(Question.current_version)
                .selectinload(QuestionVersion.stimulus),
            )
            .order_by(QuizItem.position)
        )
    )


def variants_of(session: Session, quiz: Quiz) -> list[Quiz]:
    """The quiz's variant children, by letter."""
    return list(
        session.scalars(select(Quiz).where(Quiz.parent_id == quiz.id).order_by(Quiz.variant))
    )


def lesson_quiz(session: Session, lesson: Lesson) -> Quiz | None:
    """The quiz generated from a lesson's blueprint (``<lesson slug>-quiz``)."""
    return session.scalar(
        select(Quiz).where((Quiz.slug == f"{lesson.slug}-quiz") | (Quiz.lesson_id == lesson.id))
    )


def blueprint_rows(quiz: Quiz) -> list[dict[str, Any]]:
    """The stored blueprint's rows as plain dicts (for the form)."""
    return list((quiz.blueprint or {}).get("items", []))


def describe_row(row: dict[str, Any], topic_titles: dict[str, str]) -> str:
    """'3 × Night of 19–20 January, difficulty 2, single choice or numeric'."""
    parts = [topic_titles.get(row.get("topic"), row.get("topic")) or "any topic"]
    if row.get("difficulty"):
        parts.append(f"difficulty {row['difficulty']}")
    if row.get("types"):
        parts.append(" or ".join(t.replace("_", " ") for t in row["types"]))
    return f"{row['count']} × " + ", ".join(parts)


# --- writing -----------------------------------------------------------------------------------


def create_quiz(
    session: Session, user: User, title: str, description: str = "", kind: str = "fixed"
) -> Quiz:
    """A new quiz owned by ``user``: a fixed list, or a blueprint quiz with a fresh seed."""
    if kind not in ("fixed", "blueprint"):
        raise BuildError("A quiz is either a fixed list or generated from a blueprint.")
    quiz = Quiz(
        title=title.strip(),
        description=description.strip(),
        kind=kind,
        owner_id=user.id,
        blueprint={"items": []} if kind == "blueprint" else None,
        seed=random_seed() if kind == "blueprint" else None,
    )
    session.add(quiz)
    session.flush()
    return quiz


def copy_quiz(session: Session, user: User, quiz: Quiz) -> Quiz:
    """The user's own editable copy of a quiz (curated or a lesson's), with the same questions."""
    copy = Quiz(
        title=f"{quiz.title} (my copy)",
        description=quiz.description,
        kind=quiz.kind,
        blueprint=dict(quiz.blueprint) if quiz.blueprint else None,
        seed=quiz.seed,
        owner_id=user.id,
    )
    session.add(copy)
    session.flush()
    _set_questions(
        session, copy, [item.question for item in quiz.items], [item.points for item in quiz.items]
    )
    return copy


def _set_questions(
    session: Session,
    quiz: Quiz,
    questions: Sequence[Question],
    points: Sequence[float | None] | None = None,
) -> None:
    """Make ``questions`` the quiz's items, in order, reusing item rows where possible.

    Positions are unique per quiz, so items first move to negative positions and then to
    their final ones; points set on an item stay with its question.
    """
    kept_points = {item.question_id: item.points for item in quiz.items}
    if points is not None:
        kept_points = {q.id: p for q, p in zip(questions, points, strict=True)}
    existing = {item.question_id: item for item in quiz.items}
    wanted_ids = [q.id for q in questions]
    for item in list(quiz.items):
        if item.question_id not in wanted_ids:
            quiz.items.remove(item)
    for index, item in enumerate(quiz.items):
        item.position = -1 - index
    session.flush()
    items = []
    for position, question in enumerate(questions, start=1):
        item = existing.get(question.id)
        if item is None:
            item = QuizItem(question=question, quiz=quiz, position=position)
            session.add(item)
        item.position = position
        item.points = kept_points.get(question.id)
        items.append(item)
    quiz.items[:] = items
    session.flush()


def questions_by_slug(session: Session, slugs: Iterable[str]) -> dict[str, Question]:
    """Questions by slug."""
    slugs = list(slugs)
    if not slugs:
        return {}
    return {q.slug: q for q in session.scalars(select(Question).where(Question.slug.in_(slugs)))}


def _set_slugs(session: Session, quiz: Quiz, slugs: list[str]) -> None:
    found = questions_by_slug(session, slugs)
    _set_questions(session, quiz, [found[s] for s in slugs if s in found])


def add_questions(session: Session, user: User, quiz: Quiz, question_ids: Iterable[int]) -> int:
    """Append questions the user may use (curated or own, not retired); returns how many."""
    ids = [i for i in dict.fromkeys(question_ids) if i not in {it.question_id for it in quiz.items}]
    if not ids:
        return 0
    found = {
        q.id: q
        for q in session.scalars(
            select(Question).where(
                Question.id.in_(ids),
                visible_questions(user),
                Question.retired.is_(False),
                Question.current_version_id.is_not(None),
            )
        )
    }
    added = [found[i] for i in ids if i in found]
    _set_questions(session, quiz, [item.question for item in quiz.items] + added)
    return len(added)


def remove_item(session: Session, quiz: Quiz, position: int) -> None:
    """Take the question at ``position`` (1-based) out of the quiz."""
    questions = [item.question for item in quiz.items]
    if not 1 <= position <= len(questions):
        raise BuildError("There is no question at that place in the quiz.")
    del questions[position - 1]
    _set_questions(session, quiz, questions)


def move_item(session: Session, quiz: Quiz, position: int, delta: int) -> None:
    """Move the question at ``position`` up (delta −1) or down (+1)."""
    questions = [item.question for item in quiz.items]
    target = position - 1 + delta
    if not 1 <= position <= len(questions) or not 0 <= target < len(questions):
        raise BuildError("That question cannot move further.")
    questions[position - 1], questions[target] = questions[target], questions[position - 1]
    _set_questions(session, quiz, questions)


# --- generation --------------------------------------------------------------------------------


def pool_for(session: Session, quiz: Quiz) -> list[QuestionCard]:
    """What generation may draw from: the curated bank and the quiz owner's questions."""
    return question_cards_from_db(session, owner_id=quiz.owner_id)


def seen_by_class(session: Session, class_id: int) -> set[str]:
    """Slugs of every question shown in any attempt by a student of the class."""
    students = select(Enrolment.student_id).where(Enrolment.class_id == class_id)
    version_ids: set[int] = set()
    for layout in session.scalars(select(Attempt.layout).where(Attempt.student_id.in_(students))):
        version_ids.update(slot["version_id"] for slot in layout or [])
    if not version_ids:
        return set()
    return set(
        session.scalars(
            select(Question.slug)
            .join(QuestionVersion, QuestionVersion.question_id == Question.id)
            .where(QuestionVersion.id.in_(version_ids))
        )
    )


def exclusions(session: Session, quiz: Quiz) -> set[str]:
    """Questions the quiz's blueprint says to leave out (seen by its chosen class)."""
    class_id = (quiz.blueprint or {}).get("exclude_seen_by_class")
    return seen_by_class(session, int(class_id)) if class_id else set()


def parse_blueprint_rows(rows: Iterable[dict[str, Any]]) -> Blueprint:
    """A blueprint from form rows; rows with a count of 0 or less are left out."""
    out = []
    for row in rows:
        count = int(row.get("count") or 0)
        if count <= 0:
            continue
        difficulty = row.get("difficulty")
        out.append(
            BlueprintRow(
                count,
                row.get("topic") or None,
                int(difficulty) if difficulty else None,
                tuple(row.get("types") or ()),
            )
        )
    return Blueprint(out)


def generate_into(
    session: Session,
    quiz: Quiz,
    blueprint: Blueprint,
    seed: int,
    exclude_class_id: int | None = None,
) -> Generated:
    """Store the blueprint and seed on the quiz and fill it with the generated questions."""
    if not blueprint.rows:
        raise BuildError("Give at least one blueprint row with a count of 1 or more.")
    quiz.kind = "blueprint"
    quiz.blueprint = {**blueprint.to_json(), "exclude_seen_by_class": exclude_class_id}
    quiz.seed = seed
    generated = generate_quiz(pool_for(session, quiz), blueprint, seed, exclusions(session, quiz))
    _set_slugs(session, quiz, generated.keys)
    return generated


def regenerate(session: Session, quiz: Quiz, seed: int | None = None) -> Generated:
    """Generate the quiz again from its stored blueprint with a new (or given) seed."""
    blueprint = Blueprint.from_json(quiz.blueprint)
    if quiz.kind != "blueprint" or not blueprint.rows:
        raise BuildError("This quiz has no blueprint to generate from.")
    new_seed = seed if seed is not None else random_seed()
    if seed is None:
        while new_seed == quiz.seed:
            new_seed = random_seed()
    class_id = (quiz.blueprint or {}).get("exclude_seen_by_class")
    return generate_into(session, quiz, blueprint, new_seed, class_id)


def swap_item(session: Session, quiz: Quiz, position: int, seed: int | None = None) -> Question:
    """Replace the question at ``position`` by another of the same topic and difficulty."""
    slugs = [item.question.slug for item in quiz.items]
    if not 1 <= position <= len(slugs):
        raise BuildError("There is no question at that place in the quiz.")
    new = swap_question(
        slugs,
        position - 1,
        pool_for(session, quiz),
        seed if seed is not None else random_seed(),
        exclusions(session, quiz),
    )
    if new is None:
        raise BuildError(
            "No other question of the same topic and difficulty is available to swap in."
        )
    _set_slugs(session, quiz, new)
    return quiz.items[position - 1].question


def make_variants(
    session: Session, quiz: Quiz, letters: Sequence[str] = VARIANT_LETTERS
) -> list[Quiz]:
    """Create or refresh variants B, C … of a quiz as child quizzes sharing its blueprint.

    A blueprint quiz's variant is generated with ``variant_seed(seed, letter)`` (other
    questions where the bank allows, in a mixed order); a fixed quiz's variant has the same
    questions in another order. The quiz itself becomes variant A.
    """
    if quiz.parent_id is not None:
        raise BuildError("This quiz is itself a variant; make variants of its parent.")
    if not quiz.items:
        raise BuildError("Add questions to the quiz before making variants.")
    quiz.variant = "A"
    base_seed = quiz.seed if quiz.seed is not None else 1990
    existing = {child.variant: child for child in variants_of(session, quiz)}
    pool = pool_for(session, quiz) if quiz.kind == "blueprint" else []
    excluded = exclusions(session, quiz) if quiz.kind == "blueprint" else set()
    parent_slugs = [item.question.slug for item in quiz.items]
    made = []
    for letter in letters:
        seed = variant_seed(base_seed, letter)
        child = existing.get(letter)
        if child is None:
            child = Quiz(parent_id=quiz.id, variant=letter, owner_id=quiz.owner_id)
            session.add(child)
        child.title = f"{quiz.title} — variant {letter}"
        child.description = quiz.description
        child.kind = quiz.kind
        child.blueprint = dict(quiz.blueprint) if quiz.blueprint else None
        child.seed = seed
        child.published = quiz.published
        session.flush()
        if quiz.kind == "blueprint":
            slugs = generate_quiz(
                pool, Blueprint.from_json(quiz.blueprint), seed, excluded, shuffle=True
            ).keys
        else:
            slugs = list(parent_slugs)
            random.Random(seed).shuffle(slugs)
        if slugs == parent_slugs and len(slugs) > 1:
            slugs = slugs[1:] + slugs[:1]  # never an exact copy of A
        _set_slugs(session, child, slugs)
        made.append(child)
    return made
