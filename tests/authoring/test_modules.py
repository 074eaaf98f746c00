"""Module building: steps, order, lesson quizzes, publishing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from quizapp.authoring import modules as service
from quizapp.authoring.quizzes import BuildError
from quizapp.extensions import db
from quizapp.models import Lesson, Module, Quiz
from tests.authoring.factories import load_test_bank
from tests.helpers import gen_teacher


def steps(module):
    return [(item.kind, (item.lesson or item.quiz).title) for item in module.items]


def test_build_reorder_and_publish_a_module(ctx):
    load_test_bank()
    teacher = gen_teacher()
    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "night-lesson"))
    shared = db.session.scalar(select(Quiz).where(Quiz.slug == "shared-quiz"))
    module = service.create_module(db.session, teacher, "Period 1")
    assert module.published is False
    with pytest.raises(BuildError):
        service.set_published(module, True)

    assert service.add_lesson(db.session, module, lesson) == 2  # the lesson and its quiz
    service.add_quiz(db.session, module, shared)
    lesson_quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "night-lesson-quiz"))
    assert steps(module) == [
        ("lesson", "The night lesson"),
        ("quiz", lesson_quiz.title),
        ("quiz", "A curated quiz"),
    ]
    service.move_step(db.session, module, 3, -1)
    assert [s[1] for s in steps(module)] == [
        "The night lesson",
        "A curated quiz",
        lesson_quiz.title,
    ]
    service.move_step(db.session, module, 1, +1)
    assert [s[1] for s in steps(module)] == [
        "A curated quiz",
        "The night lesson",
        lesson_quiz.title,
    ]
    service.move_step(db.session, module, 2, -1)
    service.remove_step(db.session, module, 3)
    service.set_published(module, True)
    db.session.commit()
    db.session.expire_all()
    module = db.session.get(Module, module.id)
    assert module.published and [i.position for i in module.items] == [1, 2]
    assert service.estimated_minutes(db.session, service.module_steps(db.session, module)) == round(
        10 + 3 * service.MINUTES_PER_QUESTION
    )
    with pytest.raises(BuildError):
        service.move_step(db.session, module, 2, +1)


def test_copy_of_a_curated_module_is_a_draft_of_mine(ctx):
    load_test_bank()
    teacher = gen_teacher()
    curated = db.session.scalar(select(Module).where(Module.slug == "shared-module"))
    copy = service.copy_module(db.session, teacher, curated)
    assert copy.owner_id == teacher.id and not copy.published
    assert steps(copy) == steps(curated)
    own, shared = service.module_listing(db.session, teacher)
    assert copy in own and curated in shared
