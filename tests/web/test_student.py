"""The student's path through the test client: join, home, lesson, quiz without JavaScript,
autosave API, submit once, review, progress — and what must never leak or be reachable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import (
    Assignment,
    Attempt,
    Enrolment,
    LessonProgress,
    QuestionVersion,
    Response,
    User,
)
from quizapp.models._types import utcnow
from quizapp.questions import get_type
from quizapp.quizzes.attempts import versions_for
from tests.helpers import (
    STUDENT_PASSWORD,
    csrf_token,
    decree_sections,
    gen_class,
    gen_student,
    gen_teacher,
    import_example_lesson,
    import_examples,
    sign_in,
)


@pytest.fixture
def world(app):
    with app.app_context():
        quiz = import_examples()
        teacher = gen_teacher()
        school_class = gen_class(teacher, "9A History")
        other_class = gen_class(gen_teacher(), "9B History")
        student = gen_student(school_class, "Aylin Məmmədova")
        other = gen_student(other_class, "Other Student")
        assignment = Assignment(
            class_id=school_class.id,
            kind="quiz",
            quiz_id=quiz.id,
            title="Quiz on the night",
            due_at=utcnow() + timedelta(days=2),
            attempts_allowed=2,
            review_answers="after_due",
            review_feedback="after_due",
        )
        db.session.add(assignment)
        db.session.commit()
        return {
            "student": student.username,
            "other": other.username,
            "assignment": assignment.id,
            "quiz": quiz.id,
            "class_code": school_class.join_code,
            "class_id": school_class.id,
            "other_class_id": other_class.id,
        }


def start(client, world) -> str:
    token = csrf_token(client, f"/learn/assignments/{world['assignment']}")
    response = client.post(
        f"/learn/assignments/{world['assignment']}/start", data={"csrf_token": token}
    )
    assert response.status_code == 302
    return re.search(r"/learn/attempts/([^/?]+)", response.headers["Location"]).group(1)


def attempt_row(app, public_id):
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        versions = versions_for(db.session, attempt)
        return attempt, versions


def test_join_with_code_creates_account_and_enrolment(client, world, app):
    token = csrf_token(client, "/join")
    response = client.post(
        "/join",
        data={
            "csrf_token": token,
            "join_code": world["class_code"].lower().replace("-", ""),
            "display_name": "Şəhla Əliyeva",
            "password": "tea-garden-window",
            "confirm": "tea-garden-window",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/learn/")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.display_name == "Şəhla Əliyeva"))
        assert user.username == "sehla.eliyeva" and user.password_hash.startswith("scrypt:")
        assert (
            db.session.scalar(select(Enrolment).where(Enrolment.student_id == user.id)).class_id
            == world["class_id"]
        )
    assert "Quiz on the night" in client.get("/learn/").get_data(as_text=True)


def test_join_with_bad_code_or_weak_password_re_renders(client, world):
    token = csrf_token(client, "/join")
    bad_code = client.post(
        "/join",
        data={
            "csrf_token": token,
            "join_code": "ZZZ-ZZZ",
            "display_name": "A B",
            "password": "tea-garden-window",
            "confirm": "tea-garden-window",
        },
    )
    assert (
        bad_code.status_code == 200
        and "No class is open for joining with this code" in bad_code.get_data(as_text=True)
    )
    weak = client.post(
        "/join",
        data={
            "csrf_token": token,
            "join_code": world["class_code"],
            "display_name": "A B",
            "password": "password",
            "confirm": "password",
        },
    )
    assert "list of common passwords" in weak.get_data(as_text=True)


def test_home_lists_assignment_with_status(client, world):
    sign_in(client, world["student"], STUDENT_PASSWORD)
    page = client.get("/learn/").get_data(as_text=True)
    assert "9A History" in page and "Quiz on the night" in page and "Not started" in page
    assert "9B History" not in page


def test_take_quiz_without_javascript_answers_kept_and_graded_once(client, world, app):
    sign_in(client, world["student"], STUDENT_PASSWORD)
    public_id = start(client, world)
    attempt, versions = attempt_row(app, public_id)
    page1 = client.get(f"/learn/attempts/{public_id}?page=1").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page1).group(1)
    form = {"csrf_token": token, "go": "next"}
    expected = {}
    for entry in attempt.layout[:5]:
        version = versions[entry["version_id"]]
        right = get_type(version.qtype).correct_answer(version.body)
        form.update(_as_form(f"a{entry['slot']}", version, right))
        form[f"seq{entry['slot']}"] = "1"
        expected[entry["slot"]] = right
    response = client.post(f"/learn/attempts/{public_id}?page=1", data=form)
    assert response.status_code == 302 and "page=2" in response.headers["Location"]
    with app.app_context():
        saved = {
            r.slot: r.answer
            for r in db.session.scalars(select(Response).where(Response.attempt_id == attempt.id))
        }
    assert saved == expected
    # A new session (closed browser) resumes with every saved answer shown.
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/learn/")})
    sign_in(client, world["student"], STUDENT_PASSWORD)
    public_again = start(client, world)
    assert public_again == public_id
    again = client.get(f"/learn/attempts/{public_id}?page=1").get_data(as_text=True)
    assert again.count(" checked") + again.count(" selected") >= 3
    token = csrf_token(client, f"/learn/attempts/{public_id}/submit")
    first = client.post(f"/learn/attempts/{public_id}/submit", data={"csrf_token": token})
    second = client.post(f"/learn/attempts/{public_id}/submit", data={"csrf_token": token})
    assert first.status_code == second.status_code == 302
    with app.app_context():
        graded = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        assert graded.state == "submitted" and graded.score == 5.0
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
    review = client.get(f"/learn/attempts/{public_id}/review").get_data(as_text=True)
    assert "Your score" in review and "5 of 9" in review
    assert "Right answer:" not in review  # answers are released after the due date


def _as_form(prefix, version, answer):
    if version.qtype in ("single_choice", "short_answer", "numeric"):
        return {prefix: answer}
    if version.qtype == "true_false":
        return {prefix: "true" if answer else "false"}
    if version.qtype == "multiple_response":
        return {prefix: answer}
    if version.qtype in ("ordering", "matching", "cloze"):
        return {f"{prefix}-{key}": str(value) for key, value in answer.items()}
    raise AssertionError(version.qtype)


def test_quiz_page_and_api_never_contain_answers_before_submission(client, world, app):
    sign_in(client, world["student"], STUDENT_PASSWORD)
    public_id = start(client, world)
    _attempt, versions = attempt_row(app, public_id)
    html = "".join(
        client.get(f"/learn/attempts/{public_id}?page={n}").get_data(as_text=True) for n in (1, 2)
    )
    api = client.get(f"/api/attempts/{public_id}").get_data(as_text=True)
    for version in versions.values():
        assert version.explanation[:40] not in html and version.explanation[:40] not in api
    forbidden = ["National Mourning Day", "26000", "correct", "explanation", "accept", "right_key"]
    for word in forbidden:
        assert word not in api
    assert (
        "National Mourning Day" not in html and "Right answer" not in html and "26000" not in html
    )
    for version in versions.values():
        if version.qtype == "ordering":
            right_order = [item["key"] for item in version.body["items"]]
            shown = re.findall(r'name="a\d+-([0-9a-f]{8})"', html)
            assert [k for k in shown if k in right_order] != right_order


def test_autosave_api_orders_saves_and_refuses_others(client, world, app):
    sign_in(client, world["student"], STUDENT_PASSWORD)
    public_id = start(client, world)
    attempt, versions = attempt_row(app, public_id)
    slot = next(
        e["slot"] for e in attempt.layout if versions[e["version_id"]].qtype == "short_answer"
    )
    token = csrf_token(client, f"/learn/attempts/{public_id}")
    headers = {"X-CSRFToken": token}
    url = f"/api/attempts/{public_id}/answers"
    newer = client.post(url, json={"slot": slot, "answer": "Baku", "seq": 3}, headers=headers)
    older = client.post(url, json={"slot": slot, "answer": "Ganja", "seq": 2}, headers=headers)
    assert newer.get_json()["saved"] is True and older.get_json()["saved"] is False
    fields = client.post(
        url, json={"slot": slot, "fields": {f"a{slot}": "Bakı"}, "seq": 4}, headers=headers
    )
    assert fields.get_json()["saved"] is True
    bad = client.post(url, json={"slot": 999, "answer": "x", "seq": 5}, headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "no_such_question"
    no_csrf = client.post(url, json={"slot": slot, "answer": "x", "seq": 6})
    assert no_csrf.status_code == 400
    with app.app_context():
        stored = db.session.scalar(
            select(Response).where(Response.attempt_id == attempt.id, Response.slot == slot)
        )
        assert stored.answer == "Bakı" and stored.client_seq == 4
    # Another student can neither read nor change this attempt.
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/learn/")})
    sign_in(client, world["other"], STUDENT_PASSWORD)
    other_token = csrf_token(client, "/learn/")
    assert client.get(f"/learn/attempts/{public_id}").status_code == 404
    assert client.get(f"/api/attempts/{public_id}").status_code == 404
    assert (
        client.post(
            url,
            json={"slot": slot, "answer": "hacked", "seq": 99},
            headers={"X-CSRFToken": other_token},
        ).status_code
        == 404
    )
    assert client.get(f"/learn/assignments/{world['assignment']}").status_code == 404


def test_time_limit_enforced_on_the_server(client, world, app):
    with app.app_context():
        assignment = db.session.get(Assignment, world["assignment"])
        assignment.time_limit_minutes = 5
        db.session.commit()
    sign_in(client, world["student"], STUDENT_PASSWORD)
    public_id = start(client, world)
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        attempt.started_at = utcnow() - timedelta(minutes=10)
        attempt.deadline_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    token = csrf_token(client, "/learn/")
    late = client.post(
        f"/api/attempts/{public_id}/answers",
        json={"slot": 1, "answer": "x", "seq": 1},
        headers={"X-CSRFToken": token},
    )
    assert late.status_code == 403 and late.get_json()["error"]["code"] == "time_up", (
        late.get_json()
    )
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        assert attempt.state == "submitted" and attempt.submitted_by == "timer"


def test_lesson_checks_feedback_resume_and_completion(client, world, app):
    with app.app_context():
        lesson = import_example_lesson("lesson-test", decree_sections())
        db.session.add(
            Assignment(
                class_id=world["class_id"],
                kind="lesson",
                lesson_id=lesson.id,
                title="Read: the decree",
            )
        )
        db.session.commit()
        lesson_id = lesson.id
        version = db.session.scalar(
            select(QuestionVersion).where(QuestionVersion.prompt.like("Which body issued%"))
        )
        right_key = get_type("single_choice").correct_answer(version.body)
    sign_in(client, world["student"], STUDENT_PASSWORD)
    page = client.get(f"/learn/lessons/{lesson_id}").get_data(as_text=True)
    assert "<strong>Presidium</strong>" in page and "Check my answer" in page
    assert version.explanation[:30] not in page
    token = csrf_token(client, f"/learn/lessons/{lesson_id}")
    client.post(
        f"/learn/lessons/{lesson_id}?section=1",
        data={"csrf_token": token, "go": "check-ex-decree-body", "c-ex-decree-body": right_key},
    )
    checked = client.get(f"/learn/lessons/{lesson_id}?section=1").get_data(as_text=True)
    assert "Correct" in checked and version.explanation[:30] in checked
    client.post(f"/learn/lessons/{lesson_id}?section=1", data={"csrf_token": token, "go": "next"})
    resumed = client.get(f"/learn/lessons/{lesson_id}").get_data(as_text=True)
    assert "Section 2 of 2" in resumed
    client.post(f"/learn/lessons/{lesson_id}?section=2", data={"csrf_token": token, "go": "finish"})
    with app.app_context():
        progress = db.session.scalar(
            select(LessonProgress).where(LessonProgress.lesson_id == lesson_id)
        )
        assert (
            progress.completed_at is not None
            and progress.check_answers["ex-decree-body"]["fraction"] == 1.0
        )
    assert "Completed" in client.get("/learn/").get_data(as_text=True)


def test_practice_does_not_touch_the_gradebook_and_progress_shows_mastery(client, world, app):
    with app.app_context():  # practice opens once the assignment's answers are released
        assignment = db.session.get(Assignment, world["assignment"])
        assignment.review_answers = assignment.review_feedback = "after_submit"
        db.session.commit()
    sign_in(client, world["student"], STUDENT_PASSWORD)
    token = csrf_token(client, "/learn/")
    response = client.post(f"/learn/practice/{world['quiz']}/start", data={"csrf_token": token})
    public_id = re.search(r"/learn/attempts/([^/?]+)", response.headers["Location"]).group(1)
    client.post(f"/learn/attempts/{public_id}/submit", data={"csrf_token": token})
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        assert (
            attempt.is_practice and attempt.assignment_id is None and attempt.state == "submitted"
        )
    progress = client.get("/learn/progress").get_data(as_text=True)
    assert "Mastery by topic" in progress and "The night of 19–20 January 1990" in progress
    assert "Practise these questions" in progress
    review_quiz = client.post("/learn/practice/review", data={"csrf_token": token})
    assert review_quiz.status_code == 302 and "/learn/attempts/" in review_quiz.headers["Location"]


@pytest.mark.parametrize("path", ["/learn/", "/learn/progress", "/api/attempts/nope"])
def test_anonymous_is_sent_to_sign_in_or_gets_401(client, path):
    response = client.get(path)
    if path.startswith("/api/"):
        assert response.status_code == 401 and response.get_json()["error"]["status"] == 401
    else:
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_teacher_cannot_use_student_pages(client, world, app):
    with app.app_context():
        gen_teacher("t@school.example")
    sign_in(client, "t@school.example", "a long teacher passphrase")
    assert client.get("/learn/").status_code == 403


def test_worksheet_qr_link_opens_the_quiz_online(client, world, app):
    with app.app_context():
        slug = db.session.get(Assignment, world["assignment"]).quiz.slug
    assert "/sign-in" in client.get(f"/quizzes/{slug}").headers["Location"]
    sign_in(client, world["student"], STUDENT_PASSWORD)
    response = client.get(f"/quizzes/{slug}")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/learn/assignments/{world['assignment']}"
    )
    assert client.get("/quizzes/no-such-quiz").status_code == 404
