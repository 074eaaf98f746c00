"""The /print routes: PDFs for staff, 403 for students, 404 for others' objects, job progress."""

from __future__ import annotations

from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Assignment, Lesson
from quizapp.pdf import jobs
from tests.helpers import STAFF_PASSWORD, STUDENT_PASSWORD, csrf_token, gen_teacher, sign_in
from tests.pdf._factories import class_with_students, curated_quiz
from tests.pdf.conftest import page_sizes, pdf_text


def _setup(app):
    app.config["PDF_WORKERS"] = 1
    with app.app_context():
        quiz = curated_quiz()
        teacher, school_class = class_with_students(["Aytən Rzayeva", "Kamran Abbasov"])
        student = school_class.enrolments[0].student
        lesson = db.session.scalar(select(Lesson).order_by(Lesson.id))
        assignment = Assignment(
            class_id=school_class.id, kind="quiz", quiz_id=quiz.id, title="Homework"
        )
        db.session.add(assignment)
        db.session.commit()
        return {
            "quiz": quiz.id,
            "class": school_class.id,
            "teacher": teacher.email,
            "student": student.username,
            "lesson": lesson.id,
            "assignment": assignment.id,
        }


def test_teacher_downloads_worksheet_key_handout_and_assignment(app, client):
    ids = _setup(app)
    sign_in(client, ids["teacher"], STAFF_PASSWORD)
    response = client.get(f"/print/quiz/{ids['quiz']}/worksheet.pdf?variant=B&size=letter&qr=1")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert page_sizes(response.data) == {(612, 792)}
    assert response.headers["X-PDF-Cache"] == "miss"
    again = client.get(f"/print/quiz/{ids['quiz']}/worksheet.pdf?variant=B&size=letter&qr=1")
    assert again.headers["X-PDF-Cache"] == "hit" and again.data == response.data
    key = client.get(f"/print/quiz/{ids['quiz']}/key.pdf?variants=A,B")
    assert "Variant B" in pdf_text(key.data)
    handout = client.get(f"/print/lesson/{ids['lesson']}/handout.pdf")
    assert handout.status_code == 200 and handout.data.startswith(b"%PDF")
    sheet = client.get(f"/print/assignment/{ids['assignment']}/worksheet.pdf")
    assert "9B History" in pdf_text(sheet.data)
    bad = client.get(f"/print/quiz/{ids['quiz']}/worksheet.pdf?variant=Q")
    assert bad.status_code == 400 and b"Traceback" not in bad.data


def test_student_gets_403_and_anonymous_is_sent_to_sign_in(app, client):
    ids = _setup(app)
    assert client.get(f"/print/quiz/{ids['quiz']}/worksheet.pdf").status_code == 302
    sign_in(client, ids["student"], STUDENT_PASSWORD)
    for path in (
        f"/print/quiz/{ids['quiz']}/worksheet.pdf",
        f"/print/quiz/{ids['quiz']}/key.pdf",
        f"/print/lesson/{ids['lesson']}/handout.pdf",
        f"/print/class/{ids['class']}/quiz/{ids['quiz']}/class-set",
    ):
        assert client.get(path).status_code == 403, path


def test_other_teacher_gets_404_for_anothers_class(app, client):
    ids = _setup(app)
    with app.app_context():
        other = gen_teacher(name="Mr Other").email
    sign_in(client, other, STAFF_PASSWORD)
    for path in (
        f"/print/class/{ids['class']}/quiz/{ids['quiz']}/class-set",
        f"/print/class/{ids['class']}/quiz/{ids['quiz']}/class-set-key.pdf",
        f"/print/assignment/{ids['assignment']}/worksheet.pdf",
    ):
        assert client.get(path).status_code == 404, path
    # Curated quizzes are everybody's to print.
    assert client.get(f"/print/quiz/{ids['quiz']}/worksheet.pdf").status_code == 200


def test_class_set_job_progress_and_download(app, client):
    ids = _setup(app)
    sign_in(client, ids["teacher"], STAFF_PASSWORD)
    form = f"/print/class/{ids['class']}/quiz/{ids['quiz']}/class-set"
    page = client.get(form)
    assert page.status_code == 200 and b'name="csrf_token"' in page.data
    no_token = client.post(form, data={"variants": ["A", "B"], "size": "a4"})
    assert no_token.status_code == 400
    response = client.post(
        form, data={"variants": ["A", "B"], "size": "a4", "csrf_token": csrf_token(client, form)}
    )
    assert response.status_code == 303
    job_url = response.headers["Location"]
    jobs.wait_for_threads()
    status = client.get(job_url + "/status.json").get_json()
    assert status["state"] == "done" and status["done"] == status["total"] == 2
    html = client.get(job_url).get_data(as_text=True)
    assert "<progress" in html and 'aria-live="polite"' in html and "<script>" not in html
    pdf = client.get(status["download_url"])
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Aytən Rzayeva" in text and "Kamran Abbasov" in text
    key = client.get(
        f"/print/class/{ids['class']}/quiz/{ids['quiz']}/class-set-key.pdf?variants=A,B"
    )
    assert "Who received which variant" in pdf_text(key.data)
    # Another teacher cannot see the job.
    client.post("/sign-out", data={"csrf_token": csrf_token(client, job_url)})
    with app.app_context():
        other = gen_teacher(name="Ms Else").email
    sign_in(client, other, STAFF_PASSWORD)
    assert client.get(job_url + "/status.json").status_code == 404
