"""Quiz integrity (after Moodle's advisories): answers and feedback never reach the student
early — pages, API, practice or printed worksheets; nothing is accepted after the deadline and
its grace period; a replayed or out-of-order save never overwrites a newer answer; and no
request of a student can set a score. Extends tests/web/test_student.py."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Assignment, Attempt, Quiz, Response
from quizapp.models._types import utcnow
from quizapp.questions import get_type
from quizapp.quizzes import attempts as attempt_service
from tests.helpers import csrf_token
from tests.security.conftest import login_as

FORGED = {
    "score": "999",
    "max_score": "1",
    "fraction": "1",
    "state": "submitted",
    "submitted_by": "teacher",
    "student_id": "1",
    "attempt_id": "1",
    "deadline_at": "2999-01-01T00:00:00+00:00",
    "public_id": "mine",
    "is_practice": "1",
    "points": "100",
    "client_seq": "0",
}


def start(client, world, assignment_id=None) -> str:
    """Start (or resume) the assignment's quiz as the signed-in student; its public id."""
    assignment_id = assignment_id or world.assignment_id
    token = csrf_token(client, f"/learn/assignments/{assignment_id}")
    response = client.post(f"/learn/assignments/{assignment_id}/start", data={"csrf_token": token})
    assert response.status_code == 302, response.status_code
    return re.search(r"/learn/attempts/([^/?]+)", response.headers["Location"]).group(1)


def attempt_and_versions(app, public_id):
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        versions = attempt_service.versions_for(db.session, attempt)
        for version in versions.values():
            db.session.expunge(version)
        db.session.expunge(attempt)
        return attempt, versions


def stored(app, public_id) -> dict:
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        return {
            "attempt": (
                attempt.state,
                attempt.score,
                attempt.max_score,
                attempt.submitted_by,
                attempt.student_id,
                attempt.deadline_at,
                attempt.is_practice,
            ),
            "responses": {
                r.slot: (json.dumps(r.answer), r.client_seq, r.score, r.fraction)
                for r in db.session.scalars(
                    select(Response).where(Response.attempt_id == attempt.id)
                )
            },
        }


def set_assignment(app, world, **values):
    with app.app_context():
        assignment = db.session.get(Assignment, world.assignment_id)
        for key, value in values.items():
            setattr(assignment, key, value)
        db.session.commit()


def explanations(versions) -> list[str]:
    return [v.explanation[:40] for v in versions.values() if v.explanation]


# --- nothing early ----------------------------------------------------------------------------


def test_review_hides_answers_and_feedback_until_released(app, client, world):
    login_as(client, world.student)
    _, versions = attempt_and_versions(app, world.attempt)
    review = client.get(f"/learn/attempts/{world.attempt}/review").get_data(as_text=True)
    api = client.get(f"/api/attempts/{world.attempt}").get_data(as_text=True)
    for text in explanations(versions):
        assert text not in review and text not in api
    assert "Right answer" not in review
    # The API never carries correctness, not even after submission.
    for word in ("correct", "explanation", "fraction", "right_answer", "accept", '"score"'):
        assert word not in api
    # Once the due date passes, the same page shows them: the check above is meaningful.
    set_assignment(app, world, due_at=utcnow() - timedelta(minutes=1))
    released = client.get(f"/learn/attempts/{world.attempt}/review").get_data(as_text=True)
    assert "Right answer" in released
    assert any(text in released for text in explanations(versions))
    # "never" means never.
    set_assignment(app, world, review_answers="never", review_feedback="never")
    never = client.get(f"/learn/attempts/{world.attempt}/review").get_data(as_text=True)
    assert "Right answer" not in never
    assert not any(text in never for text in explanations(versions))


def test_quiz_pages_before_submission_hold_no_answer(app, client, world):
    login_as(client, world.student)
    public_id = start(client, world)
    _attempt, versions = attempt_and_versions(app, public_id)
    pages = "".join(
        client.get(f"/learn/attempts/{public_id}?page={n}").get_data(as_text=True)
        for n in (1, 2, 3)
    )
    confirm = client.get(f"/learn/attempts/{public_id}/submit").get_data(as_text=True)
    for html in (pages, confirm):
        for text in explanations(versions):
            assert text not in html
        assert "Right answer" not in html and "data-correct" not in html
    for version in versions.values():
        if version.qtype == "short_answer":
            for accepted in version.body.get("accept", []):
                if isinstance(accepted, str) and len(accepted) > 3:
                    assert f'value="{accepted}"' not in pages


def test_practice_cannot_reveal_an_open_assignments_answers(app, client, world):
    login_as(client, world.student)
    token = csrf_token(client, "/learn/")
    home = client.get("/learn/").get_data(as_text=True)
    assert f"/learn/practice/{world.quiz_id}/start" not in home  # not offered for practice
    response = client.post(f"/learn/practice/{world.quiz_id}/start", data={"csrf_token": token})
    assert response.status_code == 302 and "/learn/attempts/" not in response.headers["Location"]
    assert "releases its answers" in client.get("/learn/").get_data(as_text=True)
    with app.app_context():
        practice = select(func.count()).select_from(Attempt).where(Attempt.is_practice.is_(True))
        assert db.session.scalar(practice) == 0
        # Once the answers are released (the due date has passed), practice opens.
        for assignment in db.session.scalars(
            select(Assignment).where(Assignment.quiz_id == world.quiz_id)
        ):
            assignment.review_answers = "after_due"
            assignment.due_at = utcnow() - timedelta(hours=1)
            assignment.close_at = None
        db.session.commit()
    opened = client.post(f"/learn/practice/{world.quiz_id}/start", data={"csrf_token": token})
    assert "/learn/attempts/" in opened.headers["Location"]


def test_printed_student_worksheet_has_no_answers(app, client, world):
    from quizapp.pdf import service

    with app.app_context():
        quiz = db.session.get(Quiz, world.quiz_id)
        options = service.PrintOptions.parse()
        sheet = service.worksheet_html(quiz, options)
        key = service.key_html(quiz, [options.variant], options)
        from quizapp.models import SchoolClass

        class_set, _, _ = service.class_set_htmls(
            quiz, db.session.get(SchoolClass, world.class_id), ["A", "B"], options
        )
        sheet = "\n".join([sheet, *class_set])
        versions = {
            item.question.current_version.id: item.question.current_version for item in quiz.items
        }
        texts = explanations(versions)
        rights = []
        for version in versions.values():
            if version.qtype == "short_answer":
                rights += [a for a in version.body.get("accept", []) if isinstance(a, str)]
    assert any(text in key for text in texts)  # the key has them: the check is meaningful
    for text in texts:
        assert text not in sheet
    assert "Answer key" not in sheet
    for word in rights:
        if len(word) > 4:
            assert f">{word}<" not in sheet
    # And the PDF a teacher downloads for students, read back as text.
    from pypdf import PdfReader

    login_as(client, world.teacher)
    pdf = client.get(f"/print/assignment/{world.assignment_id}/worksheet.pdf")
    assert pdf.status_code == 200
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf.data)).pages)
    text = " ".join(text.split())
    for explanation in texts:
        assert " ".join(explanation.split())[:30] not in text


# --- deadline and grace ------------------------------------------------------------------------


def _expire(app, public_id, seconds_ago):
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        attempt.deadline_at = utcnow() - timedelta(seconds=seconds_ago)
        db.session.commit()


def _short_answer_slot(app, public_id):
    attempt, versions = attempt_and_versions(app, public_id)
    return next(
        e["slot"] for e in attempt.layout if versions[e["version_id"]].qtype == "short_answer"
    )


def short_answer_page(app, client, world) -> tuple[str, int, int, str]:
    """Start the assignment as the signed-in student: the attempt's public id, its short-answer
    slot, the page showing it and that page's CSRF token."""
    public_id = start(client, world)
    slot = _short_answer_slot(app, public_id)
    page = (slot - 1) // 5 + 1
    return public_id, slot, page, csrf_token(client, f"/learn/attempts/{public_id}?page={page}")


def test_answers_within_grace_are_kept_and_after_it_refused_api(app, client, world):
    set_assignment(app, world, time_limit_minutes=10)
    login_as(client, world.student)
    public_id = start(client, world)
    slot = _short_answer_slot(app, public_id)
    headers = {"X-CSRFToken": csrf_token(client, f"/learn/attempts/{public_id}")}
    url = f"/api/attempts/{public_id}/answers"
    grace = app.config["ATTEMPT_GRACE_SECONDS"]
    _expire(app, public_id, 1)  # past the deadline, inside the grace period
    inside = client.post(url, json={"slot": slot, "answer": "Baku", "seq": 1}, headers=headers)
    assert inside.status_code == 200 and inside.get_json()["saved"] is True
    _expire(app, public_id, grace + 2)
    late = client.post(url, json={"slot": slot, "answer": "Late", "seq": 2}, headers=headers)
    assert late.status_code == 403 and late.get_json()["error"]["code"] == "time_up"
    after = stored(app, public_id)
    assert json.loads(after["responses"][slot][0]) == "Baku"
    assert after["attempt"][0] == "submitted" and after["attempt"][3] == "timer"
    again = client.post(url, json={"slot": slot, "answer": "Later", "seq": 3}, headers=headers)
    assert again.status_code == 403
    assert stored(app, public_id) == after


def test_page_form_after_deadline_and_grace_is_refused(app, client, world):
    set_assignment(app, world, time_limit_minutes=10)
    login_as(client, world.student)
    public_id, slot, page, token = short_answer_page(app, client, world)
    _expire(app, public_id, app.config["ATTEMPT_GRACE_SECONDS"] + 2)
    response = client.post(
        f"/learn/attempts/{public_id}?page={page}",
        data={"csrf_token": token, f"a{slot}": "Too late", f"seq{slot}": "1", "go": "next"},
    )
    assert response.status_code == 302 and "/review" in response.headers["Location"]
    after = stored(app, public_id)
    assert after["attempt"][0] == "submitted"
    assert slot not in after["responses"] or json.loads(after["responses"][slot][0]) != "Too late"


def test_no_attempt_starts_after_the_close_date(app, client, world):
    set_assignment(app, world, close_at=utcnow() - timedelta(minutes=1))
    login_as(client, world.student)
    token = csrf_token(client, f"/learn/assignments/{world.assignment_id}")
    client.post(f"/learn/assignments/{world.assignment_id}/start", data={"csrf_token": token})
    with app.app_context():
        assert (
            db.session.scalar(
                select(Attempt.id).where(
                    Attempt.student_id == world.student_id, Attempt.state == "in_progress"
                )
            )
            is None
        )


# --- replays and ordering ---------------------------------------------------------------------


def test_replayed_and_out_of_order_saves_never_overwrite(app, client, world):
    login_as(client, world.student)
    public_id = start(client, world)
    slot = _short_answer_slot(app, public_id)
    page = (slot - 1) // 5 + 1
    url = f"/api/attempts/{public_id}/answers"
    headers = {"X-CSRFToken": csrf_token(client, f"/learn/attempts/{public_id}")}
    assert client.post(
        url, json={"slot": slot, "answer": "Baku", "seq": 5}, headers=headers
    ).get_json()["saved"]
    # Same number replayed with a different answer, and an older number: both ignored.
    for seq in (5, 4, 1):
        replay = client.post(url, json={"slot": slot, "answer": "Old", "seq": seq}, headers=headers)
        assert replay.status_code == 200 and replay.get_json()["saved"] is False
    # The no-JavaScript page form carries the number it was rendered with: an old tab loses too.
    token = csrf_token(client, f"/learn/attempts/{public_id}?page={page}")
    client.post(
        f"/learn/attempts/{public_id}?page={page}",
        data={"csrf_token": token, f"a{slot}": "From an old tab", f"seq{slot}": "3", "go": "next"},
    )
    for bad_seq in (-1, 0, 2**31, "7", 1.5, True, None):
        client.post(url, json={"slot": slot, "answer": "Odd", "seq": bad_seq}, headers=headers)
    answer, seq, *_ = stored(app, public_id)["responses"][slot]
    if json.loads(answer) != "Baku":  # seq None means "after the stored one": allowed on purpose
        assert json.loads(answer) == "Odd" and seq == 6
    # After submission, no save of any kind changes anything.
    client.post(f"/learn/attempts/{public_id}/submit", data={"csrf_token": token})
    after = stored(app, public_id)
    late = client.post(url, json={"slot": slot, "answer": "After", "seq": 99}, headers=headers)
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "submitted"
    client.post(
        f"/learn/attempts/{public_id}?page={page}",
        data={"csrf_token": token, f"a{slot}": "After", f"seq{slot}": "100"},
    )
    client.post(f"/api/attempts/{public_id}/submit", headers=headers)
    assert stored(app, public_id) == after


def test_checked_answer_in_instant_feedback_mode_is_final(app, client, world):
    set_assignment(app, world, review_correctness="during", review_feedback="during")
    login_as(client, world.student)
    public_id, slot, page, token = short_answer_page(app, client, world)
    client.post(
        f"/learn/attempts/{public_id}?page={page}",
        data={"csrf_token": token, f"a{slot}": "Ganja", f"seq{slot}": "1", "go": f"check-{slot}"},
    )
    checked = stored(app, public_id)["responses"][slot]
    headers = {"X-CSRFToken": token}
    retry = client.post(
        f"/api/attempts/{public_id}/answers",
        json={"slot": slot, "answer": "Baku", "seq": 50},
        headers=headers,
    )
    assert retry.status_code == 409
    client.post(
        f"/learn/attempts/{public_id}?page={page}",
        data={"csrf_token": token, f"a{slot}": "Baku", f"seq{slot}": "60", "go": "next"},
    )
    assert stored(app, public_id)["responses"][slot] == checked


def test_a_remembered_attempt_refuses_what_a_new_one_refuses(app, client, world):
    """After its first save an attempt's saves are one statement that checks the sign-in, the
    owner and the checked mark itself (``attempts.quick_save``). What it refuses is refused as
    before: a copied cookie after sign-out, a teacher, another student, a checked answer —
    and nothing is stored."""
    from tests.security.conftest import sign_out

    set_assignment(app, world, review_correctness="during", review_feedback="during")
    login_as(client, world.student)
    public_id, slot, page, token = short_answer_page(app, client, world)
    url = f"/api/attempts/{public_id}/answers"
    headers = {"X-CSRFToken": token}
    first = client.post(url, json={"slot": slot, "answer": "Ganja", "seq": 1}, headers=headers)
    assert first.status_code == 200 and first.json["saved"] is True  # now remembered
    before = stored(app, public_id)

    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    sign_out(client)
    copied = thief.post(url, json={"slot": slot, "answer": "Baku", "seq": 2}, headers=headers)
    assert copied.status_code == 401
    for other, status in ((world.teacher, 403), (world.other_student, 404), (world.classmate, 404)):
        visitor = app.test_client()
        login_as(visitor, other)
        token_other = {"X-CSRFToken": csrf_token(visitor, "/account/password")}
        body = {"slot": slot, "answer": "Baku", "seq": 3}
        assert visitor.post(url, json=body, headers=token_other).status_code == status, other
    assert stored(app, public_id) == before

    login_as(client, world.student)
    token = csrf_token(client, f"/learn/attempts/{public_id}?page={page}")
    client.post(
        f"/learn/attempts/{public_id}?page={page}",
        data={"csrf_token": token, f"a{slot}": "Ganja", f"seq{slot}": "4", "go": f"check-{slot}"},
    )
    checked = stored(app, public_id)
    retry = client.post(
        url, json={"slot": slot, "answer": "Baku", "seq": 50}, headers={"X-CSRFToken": token}
    )
    assert retry.status_code == 409 and retry.json["error"]["code"] == "checked"
    assert stored(app, public_id) == checked


# --- no score from the client -----------------------------------------------------------------


def test_student_cannot_set_scores_through_any_request(app, client, world):
    login_as(client, world.student)
    public_id, slot, page, token = short_answer_page(app, client, world)
    _attempt, versions = attempt_and_versions(app, public_id)
    headers = {"X-CSRFToken": token}
    before = stored(app, public_id)
    # Forged fields on every student endpoint that writes.
    client.post(
        f"/api/attempts/{public_id}/answers",
        json={"slot": slot, "answer": "Wrong town", "seq": 1, **FORGED, "score": 999},
        headers=headers,
    )
    client.post(
        f"/learn/attempts/{public_id}?page={page}",
        data={
            "csrf_token": token,
            "go": "next",
            f"a{slot}": "Wrong town",
            f"seq{slot}": "2",
            **FORGED,
        },
    )
    during = stored(app, public_id)
    assert during["attempt"] == before["attempt"]  # still in progress, nothing graded
    assert all(
        score is None and fraction is None for _, _, score, fraction in during["responses"].values()
    )
    client.post(f"/learn/attempts/{public_id}/submit", data={"csrf_token": token, **FORGED})
    client.post(f"/api/attempts/{public_id}/submit", json=FORGED, headers=headers)
    for path in (
        f"/learn/assignments/{world.assignment_id}/start",
        f"/learn/practice/{world.quiz_id}/start",
        "/learn/practice/review",
        f"/learn/lessons/{world.lesson_id}?section=1",
    ):
        client.post(path, data={"csrf_token": token, **FORGED})
    # The grade is the server's own: regrade from the stored answers and compare.
    with app.app_context():
        graded = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        responses = {
            r.slot: r
            for r in db.session.scalars(select(Response).where(Response.attempt_id == graded.id))
        }
        expected = 0.0
        for entry in graded.layout:
            version = versions[entry["version_id"]]
            answer = responses[entry["slot"]].answer if entry["slot"] in responses else None
            expected += (
                get_type(version.qtype).grade(version.body, answer).fraction * entry["points"]
            )
        assert graded.state == "submitted" and graded.submitted_by == "student"
        assert graded.score == pytest.approx(expected) and graded.score < 999
        assert graded.student_id == world.student_id and graded.is_practice is False
        assert graded.max_score == pytest.approx(sum(e["points"] for e in graded.layout))
        assert responses[slot].fraction == 0.0
        others = db.session.scalar(
            select(Attempt).where(Attempt.public_id == world.classmate_attempt)
        )
        assert others.submitted_by == "student"


def test_lesson_check_score_comes_from_the_server(app, client, world):
    login_as(client, world.student)
    token = csrf_token(client, f"/learn/lessons/{world.lesson_id}")
    client.post(
        f"/learn/lessons/{world.lesson_id}?section=1",
        data={
            "csrf_token": token,
            "go": "check-ex-decree-body",
            "c-ex-decree-body": "zzz",
            "fraction": "1",
            "score": "1",
        },
    )
    with app.app_context():
        from quizapp.models import LessonProgress

        progress = db.session.scalar(
            select(LessonProgress).where(LessonProgress.student_id == world.student_id)
        )
        assert progress.check_answers["ex-decree-body"]["fraction"] == 0.0
