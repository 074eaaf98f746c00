"""Importing content: idempotent, and an edited question becomes a new version."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select

from quizapp.content import load_content
from quizapp.content.importer import import_bundle
from quizapp.extensions import db
from quizapp.models import Lesson, Module, Question, QuestionVersion, Quiz, Stimulus, Topic
from quizapp.resources import content_paths, resource_path


def counts():
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Topic, Stimulus, Question, QuestionVersion, Lesson, Quiz, Module)
    }


def test_import_twice_changes_nothing(ctx):
    first = import_bundle(db.session, load_content(content_paths()))
    db.session.commit()
    assert first.changed
    before = counts()
    items_before = {
        q.slug: [i.question_id for i in q.items] for q in db.session.scalars(select(Quiz))
    }
    second = import_bundle(db.session, load_content(content_paths()))
    db.session.commit()
    assert not second.changed, second.summary()
    assert counts() == before
    assert {
        q.slug: [i.question_id for i in q.items] for q in db.session.scalars(select(Quiz))
    } == items_before


def test_changed_question_becomes_a_new_version(ctx, tmp_path):
    bank = tmp_path / "bank"
    shutil.copytree(resource_path("question_bank"), bank)
    import_bundle(db.session, load_content([bank]))
    db.session.commit()
    question = db.session.scalar(select(Question).where(Question.slug == "ex-saturday"))
    old_version_id = question.current_version_id
    path = bank / "examples.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            '"True or false: 20 January 1990 was a Saturday."',
            '"True or false: 20 January 1990 fell on a Saturday."',
        ),
        encoding="utf-8",
    )
    report = import_bundle(db.session, load_content([bank]))
    db.session.commit()
    assert report.counts["questions.new_version"] == 1
    db.session.refresh(question)
    assert [v.number for v in question.versions] == [1, 2]
    assert question.current_version_id != old_version_id
    old = db.session.get(QuestionVersion, old_version_id)
    assert old.prompt == "True or false: 20 January 1990 was a Saturday."
    assert question.current_version.prompt.endswith("fell on a Saturday.")


def test_lesson_quiz_generated_from_blueprint(ctx):
    import_bundle(db.session, load_content(content_paths()))
    db.session.commit()
    for lesson in db.session.scalars(select(Lesson)):
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == f"{lesson.slug}-quiz"))
        expected = sum(row["count"] for row in lesson.blueprint["items"])
        assert quiz is not None and len(quiz.items) == expected
    modules = list(db.session.scalars(select(Module)))
    assert modules and all(module.items for module in modules)
    for module in modules:
        for item in module.items:
            assert (item.lesson is None) != (item.quiz is None)


def test_unicode_survives_the_database(ctx):
    import_bundle(db.session, load_content(content_paths()))
    db.session.commit()
    version = db.session.scalar(
        select(Question).where(Question.slug == "ex-cloze-mourning")
    ).current_version
    assert "Ümumxalq Hüzn Günü" in str(version.body) and "Şəhidlər Xiyabanı" in str(version.body)


def test_generation_cards_follow_bank_changes(ctx):
    from quizapp.content.importer import question_cards_from_db

    import_bundle(db.session, load_content(content_paths()))
    db.session.commit()
    first = question_cards_from_db(db.session)
    assert question_cards_from_db(db.session) == first  # served again (cached per app)
    question = db.session.scalar(select(Question).where(Question.slug == "ex-saturday"))
    question.retired = True
    db.session.commit()
    after = question_cards_from_db(db.session)
    assert "ex-saturday" in {c.key for c in first} and "ex-saturday" not in {c.key for c in after}
