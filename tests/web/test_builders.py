"""Quiz, lesson and module builders through the test client.

Requests run outside any test-held app context; the database is read in short blocks.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Module, Question, Quiz
from tests.authoring.factories import load_test_bank
from tests.helpers import (
    STAFF_PASSWORD,
    STUDENT_PASSWORD,
    csrf_token,
    gen_class,
    gen_student,
    gen_teacher,
    sign_in,
)


@pytest.fixture
def world(app):
    with app.app_context():
        load_test_bank()
        teacher, other = gen_teacher(), gen_teacher()
        school_class = gen_class(teacher)
        other_class = gen_class(other, "Not mine")
        return SimpleNamespace(
            teacher=teacher.email,
            other=other.email,
            class_id=school_class.id,
            other_class_id=other_class.id,
            shared_quiz=db.session.scalar(select(Quiz.id).where(Quiz.slug == "shared-quiz")),
            shared_module=db.session.scalar(
                select(Module.id).where(Module.slug == "shared-module")
            ),
        )


def post(client, path, data=None, form_path=None, **kwargs):
    data = {**(data or {}), "csrf_token": csrf_token(client, form_path or path)}
    return client.post(path, data=data, **kwargs)


def quiz_slugs(app, quiz_id):
    with app.app_context():
        quiz = db.session.get(Quiz, quiz_id)
        return [item.question.slug for item in quiz.items]


def new_quiz(client, kind="blueprint", title="Friday check") -> int:
    response = post(
        client, "/teach/build/quizzes/new", {"title": title, "kind": kind}, "/teach/build/quizzes"
    )
    assert response.status_code == 302
    return int(re.search(r"/quizzes/(\d+)$", response.headers["Location"]).group(1))


def blueprint_data(rows, seed="", exclude=""):
    data = {"seed": seed, "exclude_class": exclude}
    for index, (count, topic, difficulty, types) in enumerate(rows):
        data |= {
            f"rows-{index}-count": count,
            f"rows-{index}-topic": topic,
            f"rows-{index}-difficulty": difficulty,
        }
        if types:
            data[f"rows-{index}-types"] = types
    return data


def test_student_gets_403_and_another_teacher_404(app, client, world):
    with app.app_context():
        student = gen_student().username
    sign_in(client, student, STUDENT_PASSWORD)
    for path in (
        "/teach/build/quizzes",
        "/teach/build/modules",
        "/teach/build/lessons",
        f"/teach/build/quizzes/{world.shared_quiz}",
    ):
        assert client.get(path).status_code == 403, path

    mine = app.test_client()
    sign_in(mine, world.teacher, STAFF_PASSWORD)
    quiz_id = new_quiz(mine)
    module = post(mine, "/teach/build/modules/new", {"title": "Mine"}, "/teach/build/modules")
    module_id = int(module.headers["Location"].rsplit("/", 1)[1])

    other = app.test_client()
    sign_in(other, world.other, STAFF_PASSWORD)
    assert other.get(f"/teach/build/quizzes/{quiz_id}").status_code == 404
    assert other.get(f"/teach/build/quizzes/{quiz_id}/preview").status_code == 404
    assert other.get(f"/teach/build/modules/{module_id}").status_code == 404
    token = csrf_token(other, "/teach/build/quizzes")
    for path in (
        f"/teach/build/quizzes/{quiz_id}/regenerate",
        f"/teach/build/quizzes/{quiz_id}/items/1/remove",
        f"/teach/build/modules/{module_id}/publish",
        # A curated quiz or module may be used, not changed.
        f"/teach/build/quizzes/{world.shared_quiz}/items/1/remove",
        f"/teach/build/modules/{world.shared_module}/steps/1/remove",
    ):
        assert other.post(path, data={"csrf_token": token}).status_code == 404, path
    assert other.get(f"/teach/build/quizzes/{world.shared_quiz}").status_code == 200
    assert quiz_slugs(app, world.shared_quiz) == ["n-decree", "n-saturday", "m-lane"]


def test_generate_from_blueprint_reproducibly_then_regenerate_swap_reorder(app, client, world):
    sign_in(client, world.teacher, STAFF_PASSWORD)
    first, second = new_quiz(client), new_quiz(client, title="Same seed")
    rows = [("3", "night", "1", []), ("2", "memory", "", ["single_choice", "true_false"])]
    for quiz_id in (first, second):
        path = f"/teach/build/quizzes/{quiz_id}"
        response = post(client, f"{path}/blueprint", blueprint_data(rows, "77"), path)
        assert response.status_code == 302
    assert quiz_slugs(app, first) == quiz_slugs(app, second)
    slugs = quiz_slugs(app, first)
    assert len(slugs) == 5 and set(slugs[3:]) <= {"m-lane", "m-figures", "m-silence"}
    page = client.get(f"/teach/build/quizzes/{first}").get_data(as_text=True)
    assert "Seed 77" in page and "3 × The night of 19-20 January, difficulty 1" in page

    path = f"/teach/build/quizzes/{first}"
    before = quiz_slugs(app, first)
    post(client, f"{path}/items/2/move/up", form_path=path)
    assert quiz_slugs(app, first) == [before[1], before[0], *before[2:]]
    post(client, f"{path}/items/5/swap", form_path=path)
    after = quiz_slugs(app, first)
    assert after[:4] == [before[1], before[0], *before[2:4]] and after[4] != before[4]
    post(client, f"{path}/items/1/remove", form_path=path)
    assert len(quiz_slugs(app, first)) == 4

    preview = client.get(f"{path}/preview?answers=1").get_data(as_text=True)
    assert preview.count("<fieldset disabled>") == 4 and "Answer:</strong>" in preview

    # Regenerating draws again with a new seed (last: its draw is random, the steps above are not).
    post(client, f"{path}/regenerate", form_path=path)
    with app.app_context():
        assert db.session.get(Quiz, first).seed != 77


def test_blueprint_problems_rerender_beside_the_field(app, client, world):
    sign_in(client, world.teacher, STAFF_PASSWORD)
    quiz_id = new_quiz(client)
    path = f"/teach/build/quizzes/{quiz_id}"
    response = post(client, f"{path}/blueprint", blueprint_data([("99", "night", "", [])]), path)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="rows-0-count-error">\s*<li>Give a number from 0 to 50.</li>', html)
    response = post(client, f"{path}/blueprint", blueprint_data([("", "", "", [])]), path)
    assert "Give at least one blueprint row" in response.get_data(as_text=True)
    # A class that is not the teacher's cannot be used to leave questions out.
    response = post(
        client,
        f"{path}/blueprint",
        blueprint_data([("1", "night", "", [])], exclude=str(world.other_class_id)),
        path,
    )
    assert response.status_code == 404
    assert quiz_slugs(app, quiz_id) == []


def test_exclude_questions_seen_by_a_class(app, client, world):
    from quizapp.quizzes.attempts import start_attempt

    with app.app_context():
        from quizapp.models import SchoolClass

        student = gen_student(db.session.get(SchoolClass, world.class_id))
        start_attempt(db.session, db.session.get(Quiz, world.shared_quiz), student)
        db.session.commit()
    sign_in(client, world.teacher, STAFF_PASSWORD)
    quiz_id = new_quiz(client)
    path = f"/teach/build/quizzes/{quiz_id}"
    data = blueprint_data([("3", "night", "1", [])], "5", str(world.class_id))
    response = post(client, f"{path}/blueprint", data, path, follow_redirects=True)
    html = response.get_data(as_text=True)
    slugs = quiz_slugs(app, quiz_id)
    assert "n-decree" not in slugs and "n-saturday" not in slugs
    assert sorted(slugs) == ["n-city", "n-television"]
    assert "asks for 3 of topic night, difficulty 1 but only 2 are available" in html


def test_hand_picked_quiz_and_variants(app, client, world):
    sign_in(client, world.teacher, STAFF_PASSWORD)
    quiz_id = new_quiz(client, kind="fixed")
    path = f"/teach/build/quizzes/{quiz_id}"
    page = client.get(f"{path}?topic=memory").get_data(as_text=True)
    assert 'name="question_id"' in page and "n-decree" not in page
    with app.app_context():
        ids = dict(db.session.execute(select(Question.slug, Question.id)).all())
    picked = [ids[s] for s in ("m-lane", "m-cloze", "n-city", "m-match")]
    response = client.post(
        f"{path}/add", data={"csrf_token": csrf_token(client, path), "question_id": picked}
    )
    assert response.status_code == 302
    assert quiz_slugs(app, quiz_id) == ["m-lane", "m-cloze", "n-city", "m-match"]

    post(client, f"{path}/variants", form_path=path)
    with app.app_context():
        children = db.session.scalars(
            select(Quiz).where(Quiz.parent_id == quiz_id).order_by(Quiz.variant)
        ).all()
        assert [c.variant for c in children] == ["B", "C"]
        variants = {c.variant: [i.question.slug for i in c.items] for c in children}
    for slugs in variants.values():
        assert sorted(slugs) == sorted(quiz_slugs(app, quiz_id))
        assert slugs != quiz_slugs(app, quiz_id)
    page = client.get(path).get_data(as_text=True)
    assert "Variant B" in page and "Refresh variants B and C" in page


def test_copy_a_curated_quiz_to_change_it(app, client, world):
    sign_in(client, world.teacher, STAFF_PASSWORD)
    path = f"/teach/build/quizzes/{world.shared_quiz}"
    page = client.get(path).get_data(as_text=True)
    assert "Make my own copy" in page and "Move up" not in page
    response = post(client, f"{path}/copy", form_path=path)
    copy_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert quiz_slugs(app, copy_id) == quiz_slugs(app, world.shared_quiz)
    assert "Move up" in client.get(f"/teach/build/quizzes/{copy_id}").get_data(as_text=True)


def test_module_builder_add_reorder_publish(app, client, world):
    sign_in(client, world.teacher, STAFF_PASSWORD)
    response = post(
        client, "/teach/build/modules/new", {"title": "Period 1"}, "/teach/build/modules"
    )
    path = response.headers["Location"]
    assert response.status_code == 302 and "Draft" in client.get(path).get_data(as_text=True)

    response = post(client, f"{path}/publish", {"publish": "1"}, path, follow_redirects=True)
    assert "Add at least one lesson or quiz before publishing" in response.get_data(as_text=True)

    with app.app_context():
        from quizapp.models import Lesson

        lesson_id = db.session.scalar(select(Lesson.id).where(Lesson.slug == "night-lesson"))
    post(client, f"{path}/lessons", {"lesson": lesson_id, "with_quiz": "y"}, path)
    post(client, f"{path}/quizzes", {"quiz": world.shared_quiz}, path)
    module_id = int(path.rsplit("/", 1)[1])

    def steps():
        with app.app_context():
            module = db.session.get(Module, module_id)
            return [
                (i.kind, i.lesson.slug if i.lesson else i.quiz.slug) for i in module.items
            ], module.published

    assert steps()[0] == [
        ("lesson", "night-lesson"),
        ("quiz", "night-lesson-quiz"),
        ("quiz", "shared-quiz"),
    ]
    post(client, f"{path}/steps/3/move/up", form_path=path)
    post(client, f"{path}/steps/1/move/down", form_path=path)
    assert steps()[0] == [
        ("quiz", "shared-quiz"),
        ("lesson", "night-lesson"),
        ("quiz", "night-lesson-quiz"),
    ]
    post(client, f"{path}/steps/1/remove", form_path=path)
    response = post(client, f"{path}/publish", {"publish": "1"}, path, follow_redirects=True)
    assert "Module published." in response.get_data(as_text=True)
    assert steps() == ([("lesson", "night-lesson"), ("quiz", "night-lesson-quiz")], True)
    assert "Return to draft" in client.get(path).get_data(as_text=True)
    # Another teacher's quiz cannot be slipped into the module.
    other = app.test_client()
    sign_in(other, world.other, STAFF_PASSWORD)
    theirs = new_quiz(other, kind="fixed")
    response = post(client, f"{path}/quizzes", {"quiz": theirs}, path)
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_lessons_page_lists_each_lesson_with_its_blueprint_quiz(app, client, world):
    sign_in(client, world.teacher, STAFF_PASSWORD)
    html = client.get("/teach/build/lessons").get_data(as_text=True)
    assert "The night lesson" in html and "2 × The night of 19-20 January, difficulty 1" in html
    with app.app_context():
        quiz_id = db.session.scalar(select(Quiz.id).where(Quiz.slug == "night-lesson-quiz"))
    assert f"/teach/build/quizzes/{quiz_id}" in html
    lists = client.get("/teach/build/quizzes").get_data(as_text=True)
    assert "A curated quiz" in lists and "Lesson quizzes" in lists
