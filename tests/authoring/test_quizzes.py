"""Quiz building: by hand, from a blueprint with a seed, leaving out seen questions, swaps,
reordering and variants."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from quizapp.authoring import quizzes as service
from quizapp.content.specs import Blueprint, BlueprintRow
from quizapp.extensions import db
from quizapp.models import Question, Quiz
from quizapp.quizzes.attempts import start_attempt
from tests.authoring.factories import load_test_bank
from tests.helpers import gen_class, gen_student, gen_teacher

NIGHT_AND_MEMORY = Blueprint([BlueprintRow(3, "night", 1), BlueprintRow(2, "memory", None)])


def slugs(quiz: Quiz) -> list[str]:
    return [item.question.slug for item in quiz.items]


def question_ids(*slugs_: str) -> list[int]:
    rows = dict(db.session.execute(select(Question.slug, Question.id)).all())
    return [rows[s] for s in slugs_]


@pytest.fixture
def teacher(ctx):
    load_test_bank()
    return gen_teacher()


def test_fixed_quiz_add_move_remove(teacher):
    quiz = service.create_quiz(db.session, teacher, "By hand")
    added = service.add_questions(
        db.session, teacher, quiz, question_ids("n-decree", "n-city", "m-lane")
    )
    assert added == 3 and slugs(quiz) == ["n-decree", "n-city", "m-lane"]
    assert service.add_questions(db.session, teacher, quiz, question_ids("n-city")) == 0
    service.move_item(db.session, quiz, 3, -1)
    assert slugs(quiz) == ["n-decree", "m-lane", "n-city"]
    service.move_item(db.session, quiz, 1, +1)
    assert slugs(quiz) == ["m-lane", "n-decree", "n-city"]
    with pytest.raises(service.BuildError):
        service.move_item(db.session, quiz, 1, -1)
    service.remove_item(db.session, quiz, 2)
    db.session.commit()
    db.session.expire_all()
    assert slugs(db.session.get(Quiz, quiz.id)) == ["m-lane", "n-city"]
    assert [i.position for i in quiz.items] == [1, 2]


def test_generation_is_reproducible_with_a_seed(teacher):
    first = service.create_quiz(db.session, teacher, "One", kind="blueprint")
    second = service.create_quiz(db.session, teacher, "Two", kind="blueprint")
    service.generate_into(db.session, first, NIGHT_AND_MEMORY, seed=42)
    service.generate_into(db.session, second, NIGHT_AND_MEMORY, seed=42)
    assert slugs(first) == slugs(second) and len(slugs(first)) == 5
    assert first.seed == 42 and first.blueprint["items"][0] == {
        "count": 3,
        "topic": "night",
        "difficulty": 1,
    }
    night_easy = {"n-decree", "n-television", "n-saturday", "n-city"}
    assert set(slugs(first)[:3]) <= night_easy
    outcomes = {tuple(slugs(service.regenerate(db.session, first) and first)) for _ in range(6)}
    assert len(outcomes) > 1  # new seeds give other quizzes
    service.regenerate(db.session, first, seed=42)
    assert slugs(first) == slugs(second)


def test_types_filter_and_shortfall(teacher):
    quiz = service.create_quiz(db.session, teacher, "Types", kind="blueprint")
    generated = service.generate_into(
        db.session, quiz, Blueprint([BlueprintRow(5, None, None, ("true_false",))]), seed=1
    )
    assert set(slugs(quiz)) == {"n-saturday", "m-silence"}
    assert "only 2 are available" in str(generated.shortfalls[0])


def test_exclude_questions_the_class_has_seen(teacher):
    school_class = gen_class(teacher)
    student = gen_student(school_class)
    seen = service.create_quiz(db.session, teacher, "Seen")
    service.add_questions(db.session, teacher, seen, question_ids("n-decree", "n-television"))
    db.session.commit()
    start_attempt(db.session, seen, student)  # in progress still counts as seen
    gen_student(gen_class(teacher, "Other class"))
    db.session.commit()
    assert service.seen_by_class(db.session, school_class.id) == {"n-decree", "n-television"}

    quiz = service.create_quiz(db.session, teacher, "Fresh", kind="blueprint")
    generated = service.generate_into(
        db.session, quiz, Blueprint([BlueprintRow(2, "night", 1)]), 7, school_class.id
    )
    assert generated.complete and set(slugs(quiz)) == {"n-saturday", "n-city"}
    assert quiz.blueprint["exclude_seen_by_class"] == school_class.id
    # Swapping keeps to unseen questions, too: none is left of this topic and difficulty.
    with pytest.raises(service.BuildError):
        service.swap_item(db.session, quiz, 1)


def test_swap_keeps_topic_and_difficulty(teacher):
    quiz = service.create_quiz(db.session, teacher, "Swap", kind="blueprint")
    service.generate_into(db.session, quiz, Blueprint([BlueprintRow(2, "night", 1)]), 3)
    before = slugs(quiz)
    new = service.swap_item(db.session, quiz, 2, seed=5)
    after = slugs(quiz)
    assert after[0] == before[0] and after[1] == new.slug != before[1]
    assert new.slug in {"n-decree", "n-television", "n-saturday", "n-city"} - {before[0]}
    assert len(set(after)) == 2


def test_variants_share_the_blueprint_with_other_questions_or_order(teacher):
    quiz = service.create_quiz(db.session, teacher, "Main", kind="blueprint")
    service.generate_into(db.session, quiz, NIGHT_AND_MEMORY, seed=11)
    made = service.make_variants(db.session, quiz)
    db.session.commit()
    assert [v.variant for v in made] == ["B", "C"] and quiz.variant == "A"
    for variant in made:
        assert variant.parent_id == quiz.id and variant.blueprint == quiz.blueprint
        assert variant.seed == service.variant_seed(11, variant.variant)
        assert len(slugs(variant)) == 5 and slugs(variant) != slugs(quiz)
    # Refreshing updates the same children.
    again = service.make_variants(db.session, quiz)
    assert [v.id for v in again] == [v.id for v in made]

    fixed = service.create_quiz(db.session, teacher, "Fixed")
    service.add_questions(
        db.session, teacher, fixed, question_ids("n-decree", "n-city", "m-lane", "m-cloze")
    )
    b, c = service.make_variants(db.session, fixed)
    for variant in (b, c):
        assert sorted(slugs(variant)) == sorted(slugs(fixed)) and slugs(variant) != slugs(fixed)
    with pytest.raises(service.BuildError):
        service.make_variants(db.session, b)


def test_copy_of_a_curated_quiz_is_mine(teacher):
    curated = db.session.scalar(select(Quiz).where(Quiz.slug == "shared-quiz"))
    copy = service.copy_quiz(db.session, teacher, curated)
    assert copy.owner_id == teacher.id and slugs(copy) == slugs(curated)
    listing = service.quiz_listing(db.session, teacher)
    assert copy in listing.own and curated in listing.curated
    assert [q.slug for q in listing.lesson_quizzes] == ["night-lesson-quiz"]
