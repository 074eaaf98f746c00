"""A student's whole journey in real Chromium: join, lesson check, a quiz with every type,
autosave survives a reload, submit, review; axe-core finds nothing serious."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Assignment, Attempt, Response
from tests.browser.conftest import assert_accessible
from tests.helpers import (
    decree_sections,
    gen_class,
    gen_teacher,
    import_example_lesson,
    import_examples,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def classroom(app):
    with app.app_context():
        quiz = import_examples()
        lesson = import_example_lesson(
            "lesson-decree",
            decree_sections(
                "The Presidium of the USSR Supreme Soviet issued a decree.", television=False
            ),
            title="The decree of 19 January",
            objectives=["Explain who issued the decree"],
        )
        school_class = gen_class(gen_teacher(), "9A History")
        db.session.add_all(
            [
                Assignment(
                    class_id=school_class.id,
                    kind="lesson",
                    lesson_id=lesson.id,
                    title="Read: the decree",
                ),
                Assignment(
                    class_id=school_class.id,
                    kind="quiz",
                    quiz_id=quiz.id,
                    title="Every type quiz",
                    review_answers="after_submit",
                    review_feedback="after_submit",
                ),
            ]
        )
        db.session.commit()
        return {"code": school_class.join_code}


def answer_visible_questions(page, count):
    """Answer the first ``count`` questions on the page, each in the way its type needs."""
    articles = page.locator("article.question")
    for index in range(count):
        article = articles.nth(index)
        kind = article.get_attribute("data-type")
        if kind in ("single_choice", "true_false"):
            article.locator("input[type=radio]").first.check()
        elif kind == "multiple_response":
            article.locator("input[type=checkbox]").nth(0).check()
            article.locator("input[type=checkbox]").nth(1).check()
        elif kind == "short_answer":
            article.locator("input[type=text]").fill("Bakı")
        elif kind == "numeric":
            article.locator("input[type=text]").fill("26 000")
        elif kind == "ordering":
            selects = article.locator("select")
            for n in range(selects.count()):
                selects.nth(n).select_option(str(n + 1))
        elif kind == "matching":
            selects = article.locator("select")
            for n in range(selects.count()):
                selects.nth(n).select_option(index=n + 1)
        elif kind == "cloze":
            for n in range(article.locator("input[type=text]").count()):
                article.locator("input[type=text]").nth(n).fill("National Mourning Day")
            for n in range(article.locator("select").count()):
                article.locator("select").nth(n).select_option(index=2)


def test_student_journey(page, live_server, classroom, app):
    # Join the class with its code.
    page.goto(f"{live_server}/join")
    page.get_by_label("Class code").fill(classroom["code"])
    page.get_by_label("Your name").fill("Aylin Məmmədova")
    page.get_by_label("Choose a password").fill("tea-garden-window")
    page.get_by_label("Type the password again").fill("tea-garden-window")
    page.get_by_role("button", name="Join the class").click()
    page.wait_for_url(re.compile(r"/learn/$"))
    assert "9A History" in page.content()
    assert_accessible(page, "home")

    # A lesson with an embedded check, answered by keyboard.
    page.get_by_role("link", name="Read: the decree").click()
    page.get_by_role("link", name="Read the lesson").click()
    assert_accessible(page, "lesson")
    option = page.get_by_label("The Presidium of the USSR Supreme Soviet")
    option.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Check my answer").click()
    assert "Correct" in page.locator(".feedback").inner_text()
    page.get_by_role("button", name="Finish the lesson").click()
    page.get_by_role("link", name="Back to my work").click()

    # A quiz with every question type: answer the first page, reload, answers still there.
    page.get_by_role("link", name="Every type quiz").click()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/learn/attempts/"))
    assert page.locator("article.question").count() == 5
    assert_accessible(page, "quiz")
    answer_visible_questions(page, 5)
    page.keyboard.press("Tab")  # leave the last text field
    page.locator("#save-status", has_text="Saved at").wait_for()
    public_id = re.search(r"/learn/attempts/([^/?#]+)", page.url).group(1)
    saved_slots: set[int] = set()
    for _ in range(50):  # autosave is asynchronous: wait until all five answers are stored
        with app.app_context():
            attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
            saved_slots = set(
                db.session.scalars(select(Response.slot).where(Response.attempt_id == attempt.id))
            )
        if len(saved_slots) == 5:
            break
        page.wait_for_timeout(100)
    assert saved_slots == {1, 2, 3, 4, 5}
    page.reload()
    assert page.locator("input[type=radio]:checked").count() >= 1
    assert (
        page.locator("input[type=text]").evaluate_all("els => els.filter(e => e.value).length") >= 1
    )

    # Second page without waiting for autosave: the form post saves it.
    page.get_by_role("button", name="Save and next page").click()
    answer_visible_questions(page, page.locator("article.question").count())
    page.get_by_role("button", name="Review and submit").first.click()
    assert "You answered" in page.content()
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url(re.compile(r"/review$"))
    assert "Your score" in page.content() and "Right answer:" in page.content()
    assert_accessible(page, "review")
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        assert attempt.state == "submitted" and attempt.score is not None
        assert (
            len(list(db.session.scalars(select(Response).where(Response.attempt_id == attempt.id))))
            == 9
        )
    assert not page.js_errors, page.js_errors
