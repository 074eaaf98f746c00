"""Authoring questions: the form's data goes through the content validator; saving versions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from quizapp.authoring.questions import (
    check_question,
    form_data_from_version,
    raw_from_form,
    save_question,
)
from quizapp.content.loader import _Collector, parse_question
from quizapp.content.specs import ContentBundle
from quizapp.extensions import db
from quizapp.models import QuestionVersion
from quizapp.questions import QUESTION_TYPES
from quizapp.quizzes.attempts import save_answer, start_attempt, submit_attempt
from tests.authoring.factories import VALID_TYPE_DATA, common, load_test_bank, option_rows
from tests.helpers import gen_student, gen_teacher


def versions() -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionVersion))


@pytest.mark.parametrize("qtype", sorted(QUESTION_TYPES))
def test_every_type_from_a_valid_form_becomes_version_1(ctx, qtype):
    load_test_bank()
    teacher = gen_teacher()
    data = common(prompt=f"A new {qtype} question about the date of the emergency?")
    data.update(VALID_TYPE_DATA[qtype])
    result, saved = save_question(db.session, teacher, qtype, data)
    assert result.problems == {}
    db.session.commit()
    question = saved.question
    assert question.owner_id == teacher.id
    assert question.slug.startswith(f"t{teacher.id}-")
    assert [v.number for v in question.versions] == [1]
    version = question.current_version
    assert version.qtype == qtype and version.author_id == teacher.id
    assert version.topic.slug == "night" and version.tags == ["decree", "dates"]
    # The form shows the saved version again unchanged: saving it makes no new version.
    again = form_data_from_version(version)
    result, unchanged = save_question(db.session, teacher, qtype, again, question)
    assert result.problems == {} and not unchanged.changed


def test_problems_are_the_content_validators_own_messages(ctx):
    load_test_bank()
    teacher = gen_teacher()
    data = common(prompt="Which heroic body issued the decree?", sources="DEC, NOPE-1", tags="")
    data["options"] = option_rows(
        ("The Presidium", True), ("All of the above", False), ("The Presidium", False)
    )
    result, _ = check_question(db.session, teacher, "single_choice", data, "t1-check")

    # The same question as a YAML mapping, through the loader alone, names the same problems.
    bundle = ContentBundle()
    raw = raw_from_form("single_choice", data, "t1-check").raw
    parse_question(raw, _Collector(bundle, "file.yaml"))
    loader_messages = {p.message for p in bundle.problems}

    assert (
        "'All of the above' combines or dodges options; write a real one"
        in result.problems["options-1-text"]
    )
    assert "repeats the option 'The Presidium'" in result.problems["options-2-text"]
    assert result.problems["prompt"] == [
        "uses the evaluative word 'heroic'; keep it to a marked stimulus excerpt"
    ]
    assert result.problems["sources"] == ["source 'NOPE-1' is not in the source list"]
    assert result.problems["tags"] == ["is empty"]
    assert {m for ms in result.problems.values() for m in ms} >= loader_messages


def test_invalid_form_writes_nothing(ctx):
    load_test_bank()
    teacher = gen_teacher()
    before = versions()
    data = common()
    data["options"] = option_rows(("20 January", True), ("21 January", True), ("22 January", False))
    result, saved = save_question(db.session, teacher, "single_choice", data)
    assert saved is None
    assert result.problems["options"] == ["marks 2 options correct; exactly 1 must be"]
    db.session.commit()
    assert versions() == before


def test_duplicate_stem_of_a_bank_question_is_reported(ctx):
    load_test_bank()
    teacher = gen_teacher()
    data = common(prompt="Which city did the troops enter?")
    data.update(VALID_TYPE_DATA["short_answer"])
    result, _ = check_question(db.session, teacher, "short_answer", data, "t1-dup")
    assert result.problems["prompt"] == ["same stem as n-city (already in the bank)"]


def test_problems_of_blank_rows_point_at_the_right_row(ctx):
    load_test_bank()
    teacher = gen_teacher()
    data = common()
    data["options"] = [
        {"text": "20 January", "correct": True},
        {"text": "", "correct": False},
        {"text": "21 January", "correct": False},
        {"text": "21 january", "correct": False},
        {"text": "", "correct": False},
    ]
    result, _ = check_question(db.session, teacher, "single_choice", data, "t1-rows")
    assert result.problems == {"options-3-text": ["repeats the option '21 january'"]}


def test_cloze_blank_lines_must_name_a_blank(ctx):
    load_test_bank()
    teacher = gen_teacher()
    data = common(prompt="Fill the blanks about the emergency's first day.")
    data.update(text="It began on {{day}} {{month}}.", blanks="day: 20\njust words")
    result, _ = check_question(db.session, teacher, "cloze", data, "t1-cloze")
    assert "Line 2: must look like 'name: answer | variant'" in result.problems["blanks"]
    assert "month: is in the text but has no answer" in result.problems["blanks"]


def test_editing_makes_version_2_and_old_attempts_keep_their_grade(ctx):
    load_test_bank()
    teacher = gen_teacher()
    data = common(prompt="When did the emergency in Baku begin?")
    data.update(VALID_TYPE_DATA["short_answer"])
    _, saved = save_question(db.session, teacher, "short_answer", data)
    question = saved.question
    from quizapp.authoring.quizzes import add_questions, create_quiz

    quiz = create_quiz(db.session, teacher, "Check")
    add_questions(db.session, teacher, quiz, [question.id])
    db.session.commit()
    student = gen_student()
    attempt = start_attempt(db.session, quiz, student)
    save_answer(db.session, attempt, 1, "20 January", None, 30)
    submit_attempt(db.session, attempt)
    db.session.commit()
    assert attempt.score == 1.0

    edited = form_data_from_version(question.current_version)
    edited["accept"] = "19 January"  # the teacher changes the accepted answer
    result, saved = save_question(db.session, teacher, "short_answer", edited, question)
    db.session.commit()
    assert result.problems == {} and saved.changed
    assert [v.number for v in question.versions] == [1, 2]
    db.session.refresh(attempt)
    response = attempt.responses[0]
    assert response.version.number == 1 and response.score == 1.0 and attempt.score == 1.0
    # A new attempt gets version 2.
    later = start_attempt(db.session, quiz, gen_student())
    assert later.layout[0]["version_id"] == question.current_version_id
