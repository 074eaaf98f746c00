"""Every route guarded. The list of routes comes from the application's own URL map, and each
endpoint must have a row in ROUTE_TABLE saying what each role gets — a new route without a row
fails this test with its name. GET routes are requested as every role; routes that accept POST
are also posted to by every role that is refused (with a valid CSRF token and a password) and
must change nothing. Every HTML page served on the way is checked for inline script/style."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Lesson, Module, ModuleItem, PdfJob, Quiz, QuizItem
from tests.helpers import STAFF_PASSWORD, csrf_token
from tests.security.conftest import login_as
from tests.security.test_headers import assert_no_inline_code

OK = "allowed"  # 2xx, or a redirect that is not to the sign-in page
LOGIN = "sign in"  # redirected to sign in (pages) or 401 (API)
FORBIDDEN = "403"
NOT_FOUND = "404"
ROLES = ("anon", "student", "other_teacher", "teacher", "admin")


def row(anon=LOGIN, student=FORBIDDEN, other_teacher=NOT_FOUND, teacher=OK, admin=OK):
    return {
        "anon": anon,
        "student": student,
        "other_teacher": other_teacher,
        "teacher": teacher,
        "admin": admin,
    }


PUBLIC = row(OK, OK, OK, OK, OK)
STUDENT_ONLY = row(LOGIN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN)
ADMIN_ONLY = row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)
STAFF_ANY = row(other_teacher=OK)  # any teacher: their own lists and new things
STAFF_OWN = row()  # the class teacher (and admin); another teacher gets 404
SIGNED_IN = row(LOGIN, OK, OK, OK, OK)

ROUTE_TABLE: dict[str, dict[str, str]] = {
    # public
    "main.index": PUBLIC,
    "main.health": PUBLIC,
    # a worksheet's QR code: students reach only their own classes' quizzes; staff are sent
    # on to the builder (which does its own check)
    "main.open_quiz": row(LOGIN, NOT_FOUND, OK, OK, OK),
    "auth.login": PUBLIC,
    "auth.join": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.setup": row(NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),  # a wrong token
    "auth.change_password": SIGNED_IN,
    # students
    "student.home": STUDENT_ONLY,
    "student.join_class": STUDENT_ONLY,
    "student.assignment": STUDENT_ONLY,
    "student.start_assignment": STUDENT_ONLY,
    "student.start_practice": STUDENT_ONLY,
    "student.practise_mistakes": STUDENT_ONLY,
    "student.attempt": STUDENT_ONLY,
    "student.confirm_submit": STUDENT_ONLY,
    "student.review": STUDENT_ONLY,
    "student.lesson": STUDENT_ONLY,
    "student.lesson_done": STUDENT_ONLY,
    "student.progress": STUDENT_ONLY,
    "api.attempt_state": STUDENT_ONLY,
    "api.save_answer": STUDENT_ONLY,
    "api.submit": STUDENT_ONLY,
    # teachers: classes, roster, assignments, results
    "teacher.dashboard": STAFF_ANY,
    "teacher.class_new": STAFF_ANY,
    "teacher.class_page": STAFF_OWN,
    "teacher.class_rename": STAFF_OWN,
    "teacher.class_new_code": STAFF_OWN,
    "teacher.class_joining": STAFF_OWN,
    "teacher.class_archive": STAFF_OWN,
    "teacher.class_delete": STAFF_OWN,
    "teacher.roster_import": STAFF_OWN,
    "teacher.login_cards": STAFF_OWN,
    "teacher.login_cards_dismiss": STAFF_OWN,
    "teacher.reset_all": STAFF_OWN,
    "teacher.reset_password": STAFF_OWN,
    "teacher.remove_student": STAFF_OWN,
    "teacher.student_record": STAFF_OWN,
    "teacher.assignment_new": STAFF_OWN,
    "teacher.assignment_page": STAFF_OWN,
    "teacher.assignment_edit": STAFF_OWN,
    "teacher.assignment_delete": STAFF_OWN,
    "teacher.extension_save": STAFF_OWN,
    "teacher.extension_delete": STAFF_OWN,
    "teacher.gradebook": STAFF_OWN,
    "teacher.gradebook_download": STAFF_OWN,
    "teacher.item_analysis": STAFF_OWN,
    # question bank (a question owned by the class teacher)
    "bank.index": STAFF_ANY,
    "bank.choose_type": STAFF_ANY,
    "bank.new_question": STAFF_ANY,
    "bank.export": STAFF_ANY,
    "bank.import_questions": STAFF_ANY,
    "bank.question": STAFF_OWN,
    "bank.edit_question": STAFF_OWN,
    "bank.retire_question": STAFF_OWN,
    # builders (a quiz and a module owned by the class teacher)
    "builders.quizzes": STAFF_ANY,
    "builders.lessons": STAFF_ANY,
    "builders.modules": STAFF_ANY,
    "builders.new_quiz": STAFF_ANY,
    "builders.new_module": STAFF_ANY,
    "builders.quiz": STAFF_OWN,
    "builders.preview_quiz": STAFF_OWN,
    "builders.quiz_settings": STAFF_OWN,
    "builders.add_questions": STAFF_OWN,
    "builders.move_question": STAFF_OWN,
    "builders.remove_question": STAFF_OWN,
    "builders.swap_question": STAFF_OWN,
    "builders.generate": STAFF_OWN,
    "builders.regenerate": STAFF_OWN,
    "builders.make_variants": STAFF_OWN,
    "builders.copy_quiz": STAFF_OWN,
    "builders.module": STAFF_OWN,
    "builders.module_settings": STAFF_OWN,
    "builders.add_lesson": STAFF_OWN,
    "builders.add_quiz": STAFF_OWN,
    "builders.move_step": STAFF_OWN,
    "builders.remove_step": STAFF_OWN,
    "builders.publish_module": STAFF_OWN,
    "builders.copy_module": STAFF_OWN,
    # printouts (the teacher's own quiz, the class's assignment, a curated lesson, a job)
    "printouts.quiz_worksheet": STAFF_OWN,
    "printouts.quiz_key": STAFF_OWN,
    "printouts.lesson_handout": STAFF_ANY,
    "printouts.assignment_worksheet": STAFF_OWN,
    "printouts.assignment_key": STAFF_OWN,
    "printouts.class_set": STAFF_OWN,
    "printouts.class_set_key": STAFF_OWN,
    "printouts.job_page": STAFF_OWN,
    "printouts.job_status": STAFF_OWN,
    "printouts.job_download": STAFF_OWN,
    # admin and privacy
    "admin.index": ADMIN_ONLY,
    "admin.teacher_create": ADMIN_ONLY,
    "admin.teacher_setup_link": ADMIN_ONLY,
    "admin.teacher_active": ADMIN_ONLY,
    "admin.class_reassign": ADMIN_ONLY,
    "privacy.index": ADMIN_ONLY,
    "privacy.learner": ADMIN_ONLY,
    "privacy.export_json": ADMIN_ONLY,
    "privacy.export_csv": ADMIN_ONLY,
    "privacy.erase": ADMIN_ONLY,
}
# Routes whose POST is not exercised for the roles allowed to GET them, because the POST is the
# sign-out itself or would end the session under test.
POST_NOT_REPLAYED = {"auth.logout", "auth.login", "auth.join"}


def classify(response) -> str:
    """One response as an outcome of the table."""
    if response.status_code == 401:
        return LOGIN
    if response.status_code in (301, 302, 303, 307, 308):
        return LOGIN if "/sign-in" in response.headers.get("Location", "") else OK
    if response.status_code in (403, 404):
        return str(response.status_code)
    if response.status_code < 400:
        return OK
    return f"status {response.status_code}"


def _extra_objects(app, world, tmp_path) -> dict:
    """What the table needs beyond the shared world: the teacher's own quiz with questions,
    their module, and a finished PDF job."""
    with app.app_context():
        example = db.session.get(Quiz, world.quiz_id)
        own = db.session.get(Quiz, world.own_quiz_id)
        own.items = [
            QuizItem(position=i.position, question_id=i.question_id) for i in example.items
        ]
        lesson = db.session.get(Lesson, world.lesson_id)
        module = Module(title="My module", owner_id=world.teacher_id, published=False)
        module.items = [ModuleItem(position=1, lesson_id=lesson.id)]
        db.session.add(module)
        pdf = tmp_path / "job.pdf"
        pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
        job = PdfJob(
            public_id=secrets.token_urlsafe(16),
            owner_id=world.teacher_id,
            kind="class_set",
            params={"class_id": world.class_id, "quiz_id": world.own_quiz_id},
            state="done",
            result_path=str(pdf),
        )
        db.session.add(job)
        db.session.commit()
        return {"module_id": module.id, "job": job.public_id}


def url_values(endpoint: str, arguments: set[str], world, extra) -> dict:
    """The URL arguments of ``endpoint`` filled from the fixture world."""
    values = {}
    for name in arguments:
        if name == "public_id":
            values[name] = extra["job"] if endpoint.startswith("printouts.") else world.attempt
        elif name == "quiz_id":
            values[name] = world.quiz_id if endpoint.startswith("student.") else world.own_quiz_id
        elif name == "class_id":
            values[name] = world.class_id
        elif name == "student_id":
            values[name] = world.student_id
        elif name == "assignment_id":
            values[name] = world.assignment_id
        elif name == "lesson_id":
            values[name] = world.lesson_id
        elif name == "question_id":
            values[name] = world.own_question_id
        elif name == "module_id":
            values[name] = extra["module_id"]
        elif name == "user_id":
            values[name] = (
                world.student_id if endpoint.startswith("privacy.") else world.other_teacher_id
            )
        elif name == "ref":
            values[name] = str(world.own_quiz_id)
        elif name == "token":
            values[name] = "not-a-valid-setup-token"
        elif name == "qtype":
            values[name] = "single_choice"
        elif name == "position":
            values[name] = 1
        elif name == "direction":
            values[name] = "down"
        else:
            raise AssertionError(f"{endpoint}: no value for the URL argument <{name}>; add one")
    return values


def snapshot(app) -> dict:
    """Every row of every table, to prove a refused POST changed nothing."""
    with app.app_context():
        db.session.remove()
        with db.engine.connect() as conn:
            return {
                table.name: sorted(map(repr, conn.execute(select(table)).all()))
                for table in db.metadata.sorted_tables
                if table.name != "sign_in_failure"
            }


def test_every_route_is_in_the_table(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint != "static"}
    missing = sorted(endpoints - ROUTE_TABLE.keys())
    assert not missing, f"routes without a row in ROUTE_TABLE (say who may use them): {missing}"
    stale = sorted(ROUTE_TABLE.keys() - endpoints)
    assert not stale, f"rows in ROUTE_TABLE for routes that no longer exist: {stale}"
    for endpoint, expected in ROUTE_TABLE.items():
        assert set(expected) == set(ROLES), endpoint


def _client_for(app, world, role):
    client = app.test_client()
    login = {
        "student": world.student,
        "other_teacher": world.other_teacher,
        "teacher": world.teacher,
        "admin": world.admin,
    }.get(role)
    if login:
        login_as(client, login)
    token_page = {"anon": "/sign-in", "student": "/learn/"}.get(role, "/teach/")
    return client, csrf_token(client, token_page)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(app, world, tmp_path, role):
    extra = _extra_objects(app, world, tmp_path)
    client, token = _client_for(app, world, role)
    rules = sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule
    )
    wrong = []
    for rule in rules:
        expected = ROUTE_TABLE.get(rule.endpoint, {}).get(role)
        if expected is None:
            continue  # reported by test_every_route_is_in_the_table
        with app.test_request_context():
            from flask import url_for

            url = url_for(
                rule.endpoint, **url_values(rule.endpoint, set(rule.arguments), world, extra)
            )
        if "GET" in rule.methods:
            response = client.get(url)
            got = classify(response)
            if got != expected:
                wrong.append(
                    f"GET {url} ({rule.endpoint}) as {role}: expected {expected}, got {got}"
                )
            elif response.status_code == 200 and response.mimetype == "text/html":
                assert_no_inline_code(response.get_data(as_text=True), f"{rule.endpoint} as {role}")
        if "POST" in rule.methods and expected != OK and rule.endpoint not in POST_NOT_REPLAYED:
            before = snapshot(app)
            data = {"csrf_token": token, "password": STAFF_PASSWORD, "score": "100"}
            response = client.post(url, data=data, headers={"X-CSRFToken": token})
            got = classify(response)
            if got != expected:
                wrong.append(
                    f"POST {url} ({rule.endpoint}) as {role}: expected {expected}, got {got}"
                )
            if snapshot(app) != before:
                wrong.append(f"POST {url} ({rule.endpoint}) as {role} was refused but changed data")
    assert not wrong, "\n".join(wrong)
