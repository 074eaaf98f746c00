"""Ids cannot be guessed into access: attempts by random public id, and sequential class,
student, assignment, question and quiz ids of someone else answer 404 (pages and API)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Attempt, Enrolment, Extension, PdfJob, Response, SchoolClass, User
from tests.helpers import csrf_token
from tests.security.conftest import login_as


def _attempt_rows(app):
    with app.app_context():
        return {
            a.public_id: (a.state, a.score, a.submitted_by, a.submitted_at)
            for a in db.session.scalars(select(Attempt))
        } | {
            "responses": sorted(
                (r.attempt_id, r.slot, json.dumps(r.answer), r.score, r.client_seq)
                for r in db.session.scalars(select(Response))
            )
        }


def test_attempt_public_ids_are_random_and_unguessable(app, world):
    with app.app_context():
        ids = list(db.session.scalars(select(Attempt.public_id)))
    assert len(set(ids)) == len(ids) >= 3
    for public_id in ids:
        assert len(public_id) >= 20 and not public_id.isdigit()
    assert len({p[:4] for p in ids}) == len(ids)  # no shared, predictable prefix


def test_student_cannot_reach_another_students_attempt(app, client, world):
    with app.app_context():
        # An attempt in progress of the classmate, which could still be changed.
        from quizapp.models import Assignment, Quiz
        from quizapp.quizzes import attempts as attempt_service

        assignment = db.session.get(Assignment, world.assignment_id)
        classmate = db.session.get(User, world.classmate_id)
        open_attempt = attempt_service.start_attempt(
            db.session, db.session.get(Quiz, world.quiz_id), classmate, assignment
        )
        db.session.commit()
        open_id = open_attempt.public_id
    before = _attempt_rows(app)
    login_as(client, world.student)
    token = csrf_token(client, "/learn/")
    headers = {"X-CSRFToken": token}
    for public_id in (world.classmate_attempt, world.other_attempt, open_id, "x" * 22, "1"):
        assert client.get(f"/learn/attempts/{public_id}").status_code == 404
        assert client.get(f"/learn/attempts/{public_id}/review").status_code == 404
        assert client.get(f"/learn/attempts/{public_id}/submit").status_code == 404
        assert (
            client.post(
                f"/learn/attempts/{public_id}", data={"csrf_token": token, "a1": "x"}
            ).status_code
            == 404
        )
        assert (
            client.post(
                f"/learn/attempts/{public_id}/submit", data={"csrf_token": token}
            ).status_code
            == 404
        )
        api = client.get(f"/api/attempts/{public_id}")
        assert api.status_code == 404 and api.is_json
        save = client.post(
            f"/api/attempts/{public_id}/answers",
            json={"slot": 1, "answer": "hacked", "seq": 999},
            headers=headers,
        )
        assert save.status_code == 404 and save.is_json
        submit = client.post(f"/api/attempts/{public_id}/submit", headers=headers)
        assert submit.status_code == 404
    for path in ("/learn/attempts/%00", "/api/attempts/%00", "/learn/attempts/a%00b/review"):
        assert client.get(path).status_code in (400, 404)  # never a 500 (NUL on PostgreSQL)
    assert _attempt_rows(app) == before


def test_student_cannot_reach_other_classes_assignments_lessons_or_quizzes(app, client, world):
    login_as(client, world.other_student)
    token = csrf_token(client, "/learn/")
    for assignment_id in (world.assignment_id, world.lesson_assignment_id, 9999):
        assert client.get(f"/learn/assignments/{assignment_id}").status_code == 404
        assert (
            client.post(
                f"/learn/assignments/{assignment_id}/start", data={"csrf_token": token}
            ).status_code
            == 404
        )
    assert client.get(f"/learn/lessons/{world.lesson_id}").status_code == 404
    assert client.get(f"/learn/lessons/{world.lesson_id}/done").status_code == 404
    for quiz_id in (world.own_quiz_id, world.other_quiz_id, 9999):
        response = client.post(f"/learn/practice/{quiz_id}/start", data={"csrf_token": token})
        assert response.status_code == 404, quiz_id
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(Attempt.student_id == world.other_student_id)
            )
            == 1
        )


def test_teacher_cannot_walk_into_another_class(app, client, world):
    login_as(client, world.other_teacher)
    c, s, a = world.class_id, world.student_id, world.assignment_id
    pages = [
        f"/teach/classes/{c}",
        f"/teach/classes/{c}/gradebook",
        f"/teach/classes/{c}/gradebook.csv",
        f"/teach/classes/{c}/students/{s}",
        f"/teach/classes/{c}/students/{s}/reset-password",
        f"/teach/classes/{c}/students/{s}/remove",
        f"/teach/classes/{c}/reset-all",
        f"/teach/classes/{c}/delete",
        f"/teach/classes/{c}/rename",
        f"/teach/classes/{c}/import",
        f"/teach/classes/{c}/cards",
        f"/teach/classes/{c}/assignments/new",
        f"/teach/assignments/{a}",
        f"/teach/assignments/{a}/edit",
        f"/teach/assignments/{a}/delete",
        f"/teach/assignments/{a}/analysis",
        f"/print/assignment/{a}/worksheet.pdf",
        f"/print/assignment/{a}/key.pdf",
        f"/print/class/{c}/quiz/{world.quiz_id}/class-set",
        f"/print/class/{c}/quiz/{world.quiz_id}/class-set-key.pdf",
        f"/teach/bank/questions/{world.own_question_id}",
        f"/teach/bank/questions/{world.own_question_id}/edit",
        f"/teach/build/quizzes/{world.own_quiz_id}",
        f"/teach/build/quizzes/{world.own_quiz_id}/preview",
        f"/print/quiz/{world.own_quiz_id}/worksheet.pdf",
        f"/print/quiz/{world.own_quiz_id}/key.pdf",
    ]
    for path in pages:
        assert client.get(path).status_code == 404, path
    # Someone else's student through one's own class id is no better.
    assert client.get(f"/teach/classes/{world.other_class_id}/students/{s}").status_code == 404
    token = csrf_token(client, "/teach/")
    posts = [
        f"/teach/classes/{c}/code",
        f"/teach/classes/{c}/joining",
        f"/teach/classes/{c}/archive",
        f"/teach/classes/{c}/cards/dismiss",
        f"/teach/assignments/{a}/extensions",
        f"/teach/assignments/{a}/extensions/{s}/delete",
        f"/teach/bank/questions/{world.own_question_id}/retire",
        f"/teach/build/quizzes/{world.own_quiz_id}/settings",
        f"/teach/build/quizzes/{world.own_quiz_id}/copy",
    ]
    with app.app_context():
        school_class = db.session.get(SchoolClass, c)
        before = (school_class.join_code, school_class.joining_open, school_class.archived)
    for path in posts:
        response = client.post(
            path, data={"csrf_token": token, "password": "a long teacher passphrase"}
        )
        assert response.status_code == 404, path
    with app.app_context():
        school_class = db.session.get(SchoolClass, c)
        assert (school_class.join_code, school_class.joining_open, school_class.archived) == before


def test_sequential_ids_reveal_only_ones_own(app, client, world):
    """Walk every class and student id: a teacher sees exactly their own."""
    with app.app_context():
        max_class = db.session.scalar(select(func.max(SchoolClass.id)))
        max_user = db.session.scalar(select(func.max(User.id)))
        own_students = set(
            db.session.scalars(
                select(Enrolment.student_id).where(Enrolment.class_id == world.other_class_id)
            )
        )
    login_as(client, world.other_teacher)
    for class_id in range(1, max_class + 3):
        expected = 200 if class_id == world.other_class_id else 404
        assert client.get(f"/teach/classes/{class_id}/gradebook").status_code == expected
    for user_id in range(1, max_user + 3):
        expected = 200 if user_id in own_students else 404
        path = f"/teach/classes/{world.other_class_id}/students/{user_id}"
        assert client.get(path).status_code == expected, path


def test_extension_for_a_student_of_another_class_is_refused(app, client, world):
    login_as(client, world.teacher)
    url = f"/teach/assignments/{world.assignment_id}/extensions"
    token = csrf_token(client, f"/teach/assignments/{world.assignment_id}")
    response = client.post(
        url,
        data={"csrf_token": token, "student": str(world.other_student_id), "extra_minutes": "30"},
    )
    assert response.status_code in (400, 404)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Extension)) == 0


def test_pdf_jobs_of_another_teacher_are_not_found(app, client, world):
    with app.app_context():
        job = PdfJob(
            public_id="job" + "q" * 20, owner_id=world.teacher_id, kind="class_set", params={}
        )
        db.session.add(job)
        db.session.commit()
        public_id = job.public_id
    login_as(client, world.other_teacher)
    for suffix in ("", "/status.json", "/download.pdf"):
        assert client.get(f"/print/jobs/{public_id}{suffix}").status_code == 404


def test_admin_reaches_every_class(client, world):
    login_as(client, world.admin)
    for class_id in (world.class_id, world.other_class_id):
        assert client.get(f"/teach/classes/{class_id}/gradebook").status_code == 200
    assert (
        client.get(f"/teach/classes/{world.class_id}/students/{world.student_id}").status_code
        == 200
    )
