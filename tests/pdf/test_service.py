"""Worksheets, keys, handouts and class sets from the database, and the cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Lesson
from quizapp.pdf import render, service
from quizapp.pdf.documents import PrintError, load_questions
from tests.pdf._factories import break_question, class_with_students, curated_quiz
from tests.pdf.conftest import (
    dark_fraction_of_first_page,
    page_sizes,
    pdf_pages_text,
    pdf_text,
)

OPTS = service.PrintOptions()


def _read(printout) -> bytes:
    return Path(printout.path).read_bytes()


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_worksheet_shows_every_question_and_no_answer(ctx):
    quiz = curated_quiz()
    questions = load_questions(quiz)
    data = _read(service.worksheet(quiz, OPTS))
    text = _squash(pdf_text(data))
    for question in questions:
        assert _squash(question.prompt)[:40] in text
        assert _squash(question.explanation)[:40] not in text
    # Typed answers of the bank never reach the student's sheet.
    for answer in ("Bakı", "26000", "National Mourning Day", "Şəhidlər Xiyabanı", "Answer key"):
        assert answer not in text
    assert page_sizes(data) == {(595, 842)}
    assert dark_fraction_of_first_page(data) > 0.01


def test_key_shows_answers_explanations_and_sources(ctx):
    quiz = curated_quiz()
    questions = load_questions(quiz)
    text = _squash(pdf_text(_read(service.answer_key(quiz, OPTS, ["A", "B"]))))
    for question in questions:
        assert _squash(question.explanation)[:40] in text
        for ref in question.source_refs:
            assert ref in text
    # Azerbaijani letters from the cloze answers come out in the extracted text.
    assert "Şəhidlər Xiyabanı" in text and "Ümumxalq Hüzn Günü" in text
    assert "Variant A" in text and "Variant B" in text


def test_letter_size_and_same_seed_byte_identical(ctx):
    quiz = curated_quiz()
    letter = service.PrintOptions("B", 42, "letter", False)
    first = _read(service.worksheet(quiz, letter))
    assert page_sizes(first) == {(612, 792)}
    # Rendered again from scratch (not the cache) the bytes are the same.
    again = render.render_class_set([service.worksheet_html(quiz, letter)])
    assert again == first
    other = _read(service.worksheet(quiz, service.PrintOptions("C", 42, "letter", False)))
    assert other != first


def test_cache_serves_an_unchanged_document_without_rendering(ctx, monkeypatch):
    quiz = curated_quiz()
    calls = []
    real = render.render_class_set

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(render, "render_class_set", counting)
    first = service.worksheet(quiz, OPTS)
    second = service.worksheet(quiz, OPTS)
    assert (first.cached, second.cached) == (False, True)
    assert first.path == second.path
    assert len(calls) == 1
    service.worksheet(quiz, service.PrintOptions("B"))  # a different document renders
    assert len(calls) == 2


def test_class_set_prints_each_name_on_its_own_worksheet(ctx):
    quiz = curated_quiz()
    names = ["Aysel Məmmədova", "Rəşad Quliyev", "Иван Петров"]
    _, school_class = class_with_students(names)
    data = _read(service.class_set(quiz, school_class, ["A", "B"], OPTS))
    pages = pdf_pages_text(data)
    single_a = len(pdf_pages_text(_read(service.worksheet(quiz, OPTS))))
    single_b = len(pdf_pages_text(_read(service.worksheet(quiz, service.PrintOptions("B")))))
    roster = sorted(names, key=str.casefold)
    assert len(pages) == (single_a + single_b + single_a if len(roster) == 3 else None)
    starts = [0, single_a, single_a + single_b]
    for start, name in zip(starts, roster, strict=True):
        assert name in pages[start]
    key = _squash(pdf_text(_read(service.class_set_key(quiz, school_class, ["A", "B"], OPTS))))
    for row, name in enumerate(roster):
        assert f"{row + 1} {name} {'AB'[row % 2]}" in key


def test_a_malformed_question_is_named(ctx):
    quiz = curated_quiz()
    _, school_class = class_with_students(["Leyla"])
    break_question("ex-match-people")
    db.session.expire_all()
    with pytest.raises(PrintError, match="ex-match-people"):
        service.class_set(quiz, school_class, ["A"], OPTS)


def test_handout_has_text_timeline_terms_and_checks_without_answers(ctx):
    curated_quiz()
    lesson = db.session.scalar(select(Lesson).order_by(Lesson.id))
    data = _read(service.handout(lesson))
    text = _squash(pdf_text(data))
    assert _squash(lesson.title) in text
    for term in lesson.key_terms:
        assert _squash(term["term"]) in text
    for entry in lesson.timeline:
        assert _squash(entry["date"]) in text
    for section in lesson.sections:
        assert _squash(section["heading"]) in text
    assert "Why" not in text.split()  # no explanations
    assert dark_fraction_of_first_page(data) > 0.01


def test_find_by_slug_or_id(ctx):
    quiz = curated_quiz()
    assert service.find_quiz("example-quiz") is quiz
    assert service.find_quiz(str(quiz.id)) is quiz
    assert service.find_quiz("no-such-quiz") is None


def test_bad_options_are_refused_clearly():
    with pytest.raises(ValueError, match="variant"):
        service.PrintOptions.parse(variant="Z")
    with pytest.raises(ValueError, match="page size"):
        service.PrintOptions.parse(size="a3")
    with pytest.raises(ValueError, match="seed"):
        service.PrintOptions.parse(seed="abc")
    assert service.parse_variants("a, b,A") == ["A", "B"]
