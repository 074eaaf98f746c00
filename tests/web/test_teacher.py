"""Teacher pages: classes, roster import and cards, assignments, gradebook, item analysis.

Requests run outside any test-held app context (a shared context would share ``g`` between
requests, and with it the signed-in user and the CSRF token); the database is set up and
checked inside short ``with app.app_context()`` blocks.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select

from quizapp import accounts
from quizapp.extensions import db
from quizapp.models import Assignment, Enrolment, Quiz, SchoolClass, User
from quizapp.models._types import utcnow
from quizapp.questions import get_type
from quizapp.quizzes.attempts import save_answer, start_attempt, submit_attempt, versions_for
from tests.helpers import (
    STAFF_PASSWORD,
    STUDENT_PASSWORD,
    csrf_token,
    gen_class,
    gen_student,
    gen_teacher,
    import_curated_content,
    sign_in,
)

EMAIL = "teacher@school.example"


@pytest.fixture
def world(app):
    with app.app_context():
        teacher = gen_teacher(email=EMAIL, name="Ms Həsənova")
        school_class = gen_class(teacher, name="9A Tarix")
        return SimpleNamespace(
            app=app, teacher_id=teacher.id, class_id=school_class.id, code=school_class.join_code
        )


@pytest.fixture
def signed_in(client, world):
    sign_in(client, EMAIL, STAFF_PASSWORD)
    return client


def post(client, path, data, form_path=None, **kwargs):
    data = {**data, "csrf_token": csrf_token(client, form_path or path)}
    return client.post(path, data=data, **kwargs)


def add_student(app, class_id, name=None):
    with app.app_context():
        school_class = db.session.get(SchoolClass, class_id) if class_id else None
        student = gen_student(school_class, name=name)
        return SimpleNamespace(id=student.id, username=student.username)


def add_quiz_assignment(app, class_id, **kwargs):
    with app.app_context():
        if db.session.scalar(select(Quiz.id).where(Quiz.slug == "example-quiz")) is None:
            import_curated_content()
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "example-quiz"))
        assignment = Assignment(
            class_id=class_id, kind="quiz", quiz_id=quiz.id, title="Example quiz", **kwargs
        )
        db.session.add(assignment)
        db.session.commit()
        return assignment.id


def take(app, student_id, assignment_id, right):
    """A submitted attempt with the first ``right`` slots answered correctly; its percent."""
    when = utcnow() - timedelta(minutes=10)
    with app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        student = db.session.get(User, student_id)
        attempt = start_attempt(db.session, assignment.quiz, student, assignment, now=when)
        versions = versions_for(db.session, attempt)
        for entry in attempt.layout[:right]:
            version = versions[entry["version_id"]]
            answer = get_type(version.qtype).correct_answer(version.body)
            save_answer(
                db.session, attempt, entry["slot"], answer, seq=None, grace_seconds=5, now=when
            )
        submitted = submit_attempt(db.session, attempt, now=when + timedelta(minutes=1))
        db.session.commit()
        return submitted.percent


def test_dashboard_lists_only_own_classes(app, signed_in, world):
    with app.app_context():
        gen_class(gen_teacher(), name="Someone else's class")
    html = signed_in.get("/teach/").get_data(as_text=True)
    assert "9A Tarix" in html and world.code in html
    assert "Someone else" not in html


def test_create_class_gives_a_join_code(app, signed_in, world):
    response = post(signed_in, "/teach/classes/new", {"name": "10B History"})
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "10B History"))
        assert created.teacher_id == world.teacher_id
        assert re.fullmatch(r"[A-Z2-9]{3}-[A-Z2-9]{3}", created.join_code)
    empty = post(signed_in, "/teach/classes/new", {"name": ""})
    assert empty.status_code == 200 and 'id="name-error"' in empty.get_data(as_text=True)


def test_code_management(app, signed_in, world):
    path = f"/teach/classes/{world.class_id}"
    post(signed_in, f"{path}/code", {}, form_path=path)
    post(signed_in, f"{path}/joining", {}, form_path=path)
    with app.app_context():
        school_class = db.session.get(SchoolClass, world.class_id)
        assert school_class.join_code != world.code and not school_class.joining_open


def upload(client, class_id, text: str):
    path = f"/teach/classes/{class_id}/import"
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "file": (io.BytesIO(text.encode("utf-8-sig")), "roster.csv"),
        },
        content_type="multipart/form-data",
    )


def test_csv_import_prints_cards_once_and_keeps_diacritics(app, signed_in, world):
    response = upload(signed_in, world.class_id, "name\nAylin Məmmədova\nŞəhla Əliyeva\n")
    assert response.status_code == 302
    assert response.location.endswith(f"/classes/{world.class_id}/cards")
    cards = signed_in.get(response.location).get_data(as_text=True)
    assert "Aylin Məmmədova" in cards and "Şəhla Əliyeva" in cards
    password = re.search(r"<dt>Password</dt><dd><code>([^<]+)</code>", cards).group(1)
    with app.app_context():
        aylin = db.session.scalar(select(User).where(User.display_name == "Aylin Məmmədova"))
        assert accounts.verify_password(aylin, password) and aylin.must_change_password
        assert aylin.username in cards
    # The session cookie does not carry the password readably.
    assert password not in signed_in.get_cookie("session").value
    roster = signed_in.get(f"/teach/classes/{world.class_id}").get_data(as_text=True)
    assert "Aylin Məmmədova" in roster and "Şəhla Əliyeva" in roster
    post(
        signed_in, f"/teach/classes/{world.class_id}/cards/dismiss", {}, form_path=response.location
    )
    again = signed_in.get(response.location).get_data(as_text=True)
    assert password not in again and "no new passwords" in again


def test_bad_csv_names_every_row_and_writes_nothing(app, signed_in, world):
    response = upload(
        signed_in, world.class_id, "name,username\nAylin Məmmədova,\n,\nA,\naylin məmmədova,\n"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Row 4: the name" in html and "Row 5:" in html and "already on row 2" in html
    assert "Nothing was added" in html
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.role == "student")) is None


def test_reset_password_needs_the_teachers_password(app, signed_in, world):
    student = add_student(app, world.class_id, "Tural Həsənov")
    path = f"/teach/classes/{world.class_id}/students/{student.id}/reset-password"
    wrong = post(signed_in, path, {"password": "not my password"})
    assert wrong.status_code == 200 and 'id="password-error"' in wrong.get_data(as_text=True)
    with app.app_context():
        assert accounts.verify_password(db.session.get(User, student.id), STUDENT_PASSWORD)
    right = post(signed_in, path, {"password": STAFF_PASSWORD})
    assert right.status_code == 302
    with app.app_context():
        user = db.session.get(User, student.id)
        assert user.must_change_password and not accounts.verify_password(user, STUDENT_PASSWORD)
    assert "Tural Həsənov" in signed_in.get(right.location).get_data(as_text=True)


def test_remove_student_needs_the_password(app, signed_in, world):
    student = add_student(app, world.class_id)
    path = f"/teach/classes/{world.class_id}/students/{student.id}/remove"

    def enrolled():
        with app.app_context():
            return db.session.scalar(select(Enrolment.id).where(Enrolment.student_id == student.id))

    post(signed_in, path, {"password": "wrong"})
    assert enrolled()
    post(signed_in, path, {"password": STAFF_PASSWORD})
    assert enrolled() is None
    with app.app_context():
        assert db.session.get(User, student.id) is not None


def test_assignment_errors_render_beside_fields(app, signed_in, world):
    with app.app_context():
        import_curated_content()
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "example-quiz"))
        quiz_id, quiz_title = quiz.id, quiz.title
    path = f"/teach/classes/{world.class_id}/assignments/new"
    form = {
        "target": f"quiz:{quiz_id}",
        "title": "",
        "open_at": "2030-01-10T09:00",
        "due_at": "2030-01-09T09:00",
        "close_at": "",
        "time_limit_minutes": "900",
        "attempts_allowed": "1",
        "grading_method": "highest",
        "review_score": "after_submit",
        "review_correctness": "after_submit",
        "review_answers": "after_due",
        "review_feedback": "after_due",
    }
    response = post(signed_in, path, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="due_at-error"' in html and "on or after the opening date" in html
    assert 'id="time_limit_minutes-error"' in html
    with app.app_context():
        assert db.session.scalar(select(Assignment.id)) is None
    ok = post(signed_in, path, {**form, "due_at": "2030-01-12T09:00", "time_limit_minutes": "30"})
    assert ok.status_code == 302
    with app.app_context():
        assignment = db.session.scalar(select(Assignment))
        assert assignment.title == quiz_title and assignment.time_limit_minutes == 30
        assert assignment.due_at.isoformat().startswith("2030-01-12T09:00")
    assert "30 minutes" in signed_in.get(ok.location).get_data(as_text=True)


def test_extension_form(app, signed_in, world):
    assignment_id = add_quiz_assignment(app, world.class_id, due_at=utcnow() + timedelta(days=1))
    student = add_student(app, world.class_id)
    path = f"/teach/assignments/{assignment_id}"
    bad = post(signed_in, f"{path}/extensions", {"student": student.id}, form_path=path)
    assert bad.status_code == 400 and 'id="due_at-error"' in bad.get_data(as_text=True)
    good = post(
        signed_in,
        f"{path}/extensions",
        {"student": student.id, "due_at": "2040-05-01T12:00"},
        form_path=path,
    )
    assert good.status_code == 302
    assert "01 May 2040" in signed_in.get(path).get_data(as_text=True)


def test_gradebook_drilldown_and_csv(app, signed_in, world):
    assignment_id = add_quiz_assignment(app, world.class_id)
    aylin = add_student(app, world.class_id, "Aylin Məmmədova")
    add_student(app, world.class_id, "Şəhla Əliyeva")
    percent = take(app, aylin.id, assignment_id, 3)
    html = signed_in.get(f"/teach/classes/{world.class_id}/gradebook").get_data(as_text=True)
    assert "Aylin Məmmədova" in html and f"{percent:g}&nbsp;%" in html
    assert "Not started" in html and "Mastery by topic" in html
    record = signed_in.get(f"/teach/classes/{world.class_id}/students/{aylin.id}")
    assert "✔ right" in record.get_data(as_text=True) and "✘ wrong" in record.get_data(as_text=True)
    response = signed_in.get(f"/teach/classes/{world.class_id}/gradebook.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.data
    assert data.startswith(b"\xef\xbb\xbf")
    assert "Aylin Məmmədova".encode() in data and "Şəhla Əliyeva".encode() in data
    assert data.count(b"\r\n") == 3
    semi = signed_in.get(f"/teach/classes/{world.class_id}/gradebook.csv?sep=semicolon").data
    assert semi.decode("utf-8-sig").startswith("Student;")


def test_item_analysis_page(app, signed_in, world):
    assignment_id = add_quiz_assignment(app, world.class_id)
    take(app, add_student(app, world.class_id).id, assignment_id, 2)
    html = signed_in.get(f"/teach/assignments/{assignment_id}/analysis").get_data(as_text=True)
    assert "Not enough data yet" in html and "first submitted attempt" in html
    for right in (9, 7, 5, 1):
        take(app, add_student(app, world.class_id).id, assignment_id, right)
    html = signed_in.get(f"/teach/assignments/{assignment_id}/analysis").get_data(as_text=True)
    assert "KR-20" in html or "Cronbach" in html
    assert "Not enough data yet" not in html


def count_statements(app, client, path):
    counter = []

    def count(*args, **kwargs):
        counter.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(counter)


def test_gradebook_and_analysis_queries_do_not_grow_with_the_class(app, signed_in, world):
    assignment_id = add_quiz_assignment(app, world.class_id)
    take(app, add_student(app, world.class_id).id, assignment_id, 2)
    paths = [
        f"/teach/classes/{world.class_id}/gradebook",
        f"/teach/classes/{world.class_id}/gradebook.csv",
        f"/teach/assignments/{assignment_id}/analysis",
        f"/teach/classes/{world.class_id}",
        "/teach/",
    ]
    small = [count_statements(app, signed_in, p) for p in paths]
    for right in (9, 7, 5, 1, 4, 6):
        take(app, add_student(app, world.class_id).id, assignment_id, right)
    large = [count_statements(app, signed_in, p) for p in paths]
    assert large == small


OTHER_PATHS = [
    "/teach/classes/{c}",
    "/teach/classes/{c}/gradebook",
    "/teach/classes/{c}/gradebook.csv",
    "/teach/classes/{c}/import",
    "/teach/classes/{c}/cards",
    "/teach/classes/{c}/students/{s}",
    "/teach/classes/{c}/students/{s}/reset-password",
    "/teach/assignments/{a}",
    "/teach/assignments/{a}/edit",
    "/teach/assignments/{a}/analysis",
]


@pytest.mark.parametrize("template", OTHER_PATHS)
def test_another_teachers_class_is_404_and_students_get_403(app, client, template):
    with app.app_context():
        other_class = gen_class(gen_teacher())
        class_id = other_class.id
        gen_teacher(email="nosy@school.example")
    student = add_student(app, class_id)
    assignment_id = add_quiz_assignment(app, class_id)
    path = template.format(c=class_id, s=student.id, a=assignment_id)
    sign_in(client, "nosy@school.example", STAFF_PASSWORD)
    assert client.get(path).status_code == 404
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/teach/")})
    sign_in(client, student.username, STUDENT_PASSWORD)
    assert client.get(path).status_code == 403


def test_student_of_another_class_is_404(app, signed_in, world):
    with app.app_context():
        other_class_id = gen_class(gen_teacher()).id
    stranger = add_student(app, other_class_id)
    path = f"/teach/classes/{world.class_id}/students/{stranger.id}"
    assert signed_in.get(path).status_code == 404


def test_delete_class_needs_password(app, signed_in, world):
    path = f"/teach/classes/{world.class_id}/delete"
    post(signed_in, path, {"password": "nope"})
    with app.app_context():
        assert db.session.get(SchoolClass, world.class_id) is not None
    response = post(signed_in, path, {"password": STAFF_PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(SchoolClass, world.class_id) is None


def test_class_and_lesson_pages_offer_printouts(app, signed_in, world):
    add_student(app, world.class_id, "Aylin Məmmədova")
    add_quiz_assignment(app, world.class_id)
    page = signed_in.get(f"/teach/classes/{world.class_id}").get_data(as_text=True)
    assert "Print for this class" in page and f"/print/class/{world.class_id}/quiz/" in page
    lessons = signed_in.get("/teach/build/lessons").get_data(as_text=True)
    assert "Handout (PDF, A4)" in lessons and "/print/lesson/" in lessons
