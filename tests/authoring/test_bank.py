"""Browsing the bank: filters and search find the right questions; usage and statistics."""

from __future__ import annotations

import pytest

from quizapp.authoring.bank import BankFilters, bank_tags, question_usage, search_bank
from quizapp.authoring.questions import save_question
from quizapp.extensions import db
from quizapp.models import Question, Quiz
from quizapp.quizzes.attempts import save_answer, start_attempt, submit_attempt
from tests.authoring.factories import VALID_TYPE_DATA, common, load_test_bank
from tests.helpers import gen_student, gen_teacher


def slugs(teacher, **filters) -> set[str]:
    page = search_bank(db.session, teacher, BankFilters(**filters), per_page=100)
    assert page.total == len(page.rows)
    return {row.question.slug for row in page.rows}


@pytest.fixture
def bank(ctx):
    load_test_bank()
    mine, other = gen_teacher(), gen_teacher()
    data = common(prompt="My own question about the Ümumxalq day_of_mourning?", tags="mine, 100%")
    data.update(VALID_TYPE_DATA["true_false"])
    _, saved = save_question(db.session, mine, "true_false", data)
    data = common(prompt="Another teacher's private question?", tags="theirs")
    data.update(VALID_TYPE_DATA["true_false"])
    _, theirs = save_question(db.session, other, "true_false", data)
    db.session.commit()
    return mine, saved.question.slug, theirs.question.slug


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"topic": "memory"}, {"m-cloze", "m-match", "m-lane", "m-figures", "m-silence"}),
        ({"qtype": "true_false", "ownership": "curated"}, {"n-saturday", "m-silence"}),
        ({"difficulty": 2, "topic": "night"}, {"n-facts", "n-troops", "n-order"}),
        ({"cognitive": "analyse"}, {"m-figures"}),
        ({"tag": "television"}, {"n-television", "n-facts"}),
        ({"tag": "places", "topic": "memory"}, {"m-match"}),
        # Search looks through stems, options and answers, every word, any case.
        ({"text": "POWER unit"}, {"n-television"}),
        ({"text": "martyrs"}, {"m-match", "m-lane"}),
        ({"text": "Presidium"}, {"n-decree"}),
        ({"text": "nothing-like-this"}, set()),
    ],
)
def test_filters_and_search_find_the_right_questions(bank, filters, expected):
    teacher, _, _ = bank
    assert slugs(teacher, **filters) == expected


def test_own_questions_only_for_their_author_and_like_wildcards_are_literal(bank):
    teacher, mine, theirs = bank
    everything = slugs(teacher)
    assert mine in everything and theirs not in everything
    assert slugs(teacher, ownership="mine") == {mine}
    assert slugs(teacher, text="day_of") == {mine}
    assert slugs(teacher, text="day%of") == set()
    assert slugs(teacher, text="ümumxalq") == {mine}
    assert slugs(teacher, tag="100%") == {mine}
    assert slugs(teacher, tag="100") == set()
    assert "theirs" not in bank_tags(db.session, teacher)


def test_retired_questions_are_hidden_unless_asked_for(bank):
    teacher, _, _ = bank
    question = db.session.query(Question).filter_by(slug="n-city").one()
    question.retired = True
    db.session.commit()
    assert "n-city" not in slugs(teacher)
    assert "n-city" in slugs(teacher, include_retired=True)


def test_pages(bank):
    teacher, _, _ = bank
    first = search_bank(db.session, teacher, BankFilters(), page=1, per_page=5)
    last = search_bank(db.session, teacher, BankFilters(), page=99, per_page=5)
    assert first.total == 13 and first.pages == 3 and len(first.rows) == 5
    assert last.page == 3 and len(last.rows) == 3 and (last.first, last.last) == (11, 13)


def test_usage_and_facility_per_version(bank):
    teacher, _, _ = bank
    quiz = db.session.query(Quiz).filter_by(slug="shared-quiz").one()
    for answer in ("true", "false"):
        attempt = start_attempt(db.session, quiz, gen_student())
        slot = next(
            s["slot"] for s in attempt.layout if s["version_id"] == _version_id("n-saturday")
        )
        save_answer(db.session, attempt, slot, answer, None, 30)
        submit_attempt(db.session, attempt)
    db.session.commit()
    question = db.session.query(Question).filter_by(slug="n-saturday").one()
    usage = question_usage(db.session, teacher, question)
    in_quizzes = {q.slug for q in usage.quizzes}
    assert "shared-quiz" in in_quizzes and in_quizzes <= {"shared-quiz", "night-lesson-quiz"}
    assert usage.answered == 2 and usage.attempts == 2 and usage.facility == pytest.approx(0.5)
    assert usage.versions[0].full_marks == 1
    row = next(
        r
        for r in search_bank(db.session, teacher, BankFilters(text="saturday")).rows
        if r.question.slug == "n-saturday"
    )
    assert (row.quizzes, row.answered, row.facility) == (len(in_quizzes), 2, pytest.approx(0.5))


def _version_id(slug: str) -> int:
    return db.session.query(Question).filter_by(slug=slug).one().current_version_id
