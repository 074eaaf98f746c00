"""The teacher's main path in real Chromium: build a quiz from a blueprint, assign it to a
class, a student submits it, the teacher sees the grade and the item analysis; axe-core finds
no serious or critical violation on the teacher pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Assignment, Quiz
from quizapp.questions import get_type
from quizapp.quizzes.attempts import save_answer, start_attempt, submit_attempt, versions_for
from tests.browser.conftest import assert_accessible
from tests.browser.test_student_journey import answer_visible_questions
from tests.helpers import (
    STAFF_PASSWORD,
    STUDENT_PASSWORD,
    gen_class,
    gen_student,
    gen_teacher,
    import_curated_content,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def school(app):
    with app.app_context():
        import_curated_content()
        teacher = gen_teacher("ms.aliyeva@school.example", "Ms Aliyeva")
        school_class = gen_class(teacher, "9A History")
        students = [
            gen_student(school_class, name)
            for name in (
                "Aylin Məmmədova",
                "Kamran Əliyev",
                "Nigar Hüseynova",
                "Orxan Quliyev",
                "Leyla Səfərova",
                "Tural Babayev",
            )
        ]
        return {
            "class_id": school_class.id,
            "student": students[0].username,
            "others": [s.id for s in students[1:]],
        }


def sign_in_as(page, base, login, password):
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email or sign-in name").fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def others_submit(app, assignment_id, student_ids):
    """Five classmates answer through the attempt services: some right, some wrong."""
    from quizapp.models import User

    with app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        for n, student_id in enumerate(student_ids):
            attempt = start_attempt(
                db.session, assignment.quiz, db.session.get(User, student_id), assignment
            )
            versions = versions_for(db.session, attempt)
            for entry in attempt.layout:
                version = versions[entry["version_id"]]
                if (entry["slot"] + n) % 3:  # a spread of right and missing answers
                    answer = get_type(version.qtype).correct_answer(version.body)
                    save_answer(
                        db.session, attempt, entry["slot"], answer, seq=None, grace_seconds=30
                    )
            submit_attempt(db.session, attempt)
        db.session.commit()


def test_teacher_journey(browser, live_server, school, app):
    teacher = browser.new_context(viewport={"width": 1280, "height": 900})
    page = teacher.new_page()
    page.set_default_timeout(15_000)
    sign_in_as(page, live_server, "ms.aliyeva@school.example", STAFF_PASSWORD)
    page.wait_for_url(re.compile(r"/teach/$"))
    assert_accessible(page, "dashboard")

    # Build a quiz from a blueprint with a seed.
    page.get_by_role("link", name="Quizzes").first.click()
    page.get_by_label("Title").fill("The night: check-up")
    page.get_by_label("Generate from a blueprint (topics, difficulty, types)").check()
    page.get_by_role("button", name="Create quiz").click()
    page.wait_for_url(re.compile(r"/teach/build/quizzes/\d+"))
    page.get_by_label("Number of questions").first.fill("4")
    page.get_by_label("Topic").first.select_option(label="The night of 19–20 January 1990")
    page.get_by_label("Seed", exact=True).fill("42")
    page.get_by_role("button", name="Generate quiz").click()
    assert_accessible(page, "quiz builder")
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.title == "The night: check-up"))
        assert quiz.kind == "blueprint" and quiz.seed == 42 and len(quiz.items) == 4
        quiz_id = quiz.id

    # Assign it to the class.
    page.goto(f"{live_server}/teach/classes/{school['class_id']}/assignments/new")
    page.get_by_label("What to assign").select_option(value=f"quiz:{quiz_id}")
    assert_accessible(page, "assignment form")
    page.get_by_role("button", name="Save assignment").click()
    page.wait_for_url(re.compile(r"/teach/assignments/\d+$"))
    assignment_id = int(re.search(r"/teach/assignments/(\d+)", page.url).group(1))

    # A student submits it in their own browser; classmates submit too.
    student = browser.new_context(viewport={"width": 360, "height": 740})
    spage = student.new_page()
    spage.set_default_timeout(15_000)
    sign_in_as(spage, live_server, school["student"], STUDENT_PASSWORD)
    spage.get_by_role("link", name="The night: check-up").click()
    spage.get_by_role("button", name="Start").click()
    answer_visible_questions(spage, spage.locator("article.question").count())
    spage.get_by_role("button", name="Review and submit").first.click()
    spage.get_by_role("button", name="Submit my answers").click()
    spage.wait_for_url(re.compile(r"/review$"))
    student.close()
    others_submit(app, assignment_id, school["others"])

    # The teacher sees the grade and the item analysis.
    page.goto(f"{live_server}/teach/classes/{school['class_id']}/gradebook")
    gradebook = page.content()
    assert (
        "Aylin Məmmədova" in gradebook and "The night: check-up" in gradebook and "%" in gradebook
    )
    assert_accessible(page, "gradebook")
    page.goto(f"{live_server}/teach/assignments/{assignment_id}/analysis")
    analysis = page.content()
    assert "Facility" in analysis or "facility" in analysis
    assert "KR-20" in analysis or "alpha" in analysis
    assert_accessible(page, "item analysis")
    page.goto(f"{live_server}/teach/bank/")
    assert_accessible(page, "question bank")
    teacher.close()
