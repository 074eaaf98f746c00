"""Admin pages: teachers with one-time setup links, deactivation, every class, reassignment."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import SchoolClass, User
from tests.helpers import (
    STAFF_PASSWORD,
    STUDENT_PASSWORD,
    csrf_token,
    gen_class,
    gen_student,
    gen_teacher,
    sign_in,
)

ADMIN = "head@school.example"


@pytest.fixture
def world(app):
    with app.app_context():
        admin = gen_teacher(email=ADMIN, name="Head", role="admin")
        teacher = gen_teacher(email="t1@school.example", name="Ms Əliyeva")
        other = gen_teacher(email="t2@school.example", name="Mr Quliyev")
        first = gen_class(teacher, name="9A Tarix")
        second = gen_class(other, name="10C History")
        gen_student(first)
        return SimpleNamespace(
            admin_id=admin.id,
            teacher_id=teacher.id,
            other_id=other.id,
            first_id=first.id,
            second_id=second.id,
        )


@pytest.fixture
def admin_client(client, world):
    sign_in(client, ADMIN, STAFF_PASSWORD)
    return client


def test_admin_sees_every_teacher_and_class(admin_client):
    html = admin_client.get("/admin/").get_data(as_text=True)
    for text in ("Ms Əliyeva", "Mr Quliyev", "9A Tarix", "10C History"):
        assert text in html


def test_create_teacher_shows_the_setup_link_once(app, admin_client, client):
    token = csrf_token(admin_client, "/admin/")
    response = admin_client.post(
        "/admin/teachers",
        data={
            "csrf_token": token,
            "display_name": "Mrs Nəbiyeva",
            "email": "New@School.example",
            "role": "teacher",
            "password": STAFF_PASSWORD,
        },
    )
    assert response.status_code == 302
    page = admin_client.get("/admin/").get_data(as_text=True)
    link = re.search(r"(http://[^<\s]+/setup/[^<\s]+)</code>", page).group(1)
    assert "Mrs Nəbiyeva" in page
    assert "/setup/" not in admin_client.get("/admin/").get_data(as_text=True)  # shown once
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@school.example"))
        assert user.role == "teacher"
    path = link.split("localhost", 1)[1]
    assert admin_client.get(path).status_code in (200, 302)


def test_duplicate_email_is_refused_beside_the_field(admin_client):
    response = admin_client.post(
        "/admin/teachers",
        data={
            "csrf_token": csrf_token(admin_client, "/admin/"),
            "display_name": "Copy",
            "email": "t1@school.example",
            "role": "teacher",
            "password": STAFF_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert 'id="email-error"' in response.get_data(as_text=True)


def test_deactivate_needs_password_and_reassign(app, admin_client, world):
    path = f"/admin/teachers/{world.teacher_id}/active"
    admin_client.post(path, data={"csrf_token": csrf_token(admin_client, path), "password": "no"})
    with app.app_context():
        assert db.session.get(User, world.teacher_id).is_active
    admin_client.post(
        path, data={"csrf_token": csrf_token(admin_client, path), "password": STAFF_PASSWORD}
    )
    with app.app_context():
        assert not db.session.get(User, world.teacher_id).is_active
    reassign = f"/admin/classes/{world.first_id}/teacher"
    token = csrf_token(admin_client, "/admin/")
    admin_client.post(
        reassign, data={"csrf_token": token, "teacher_id": world.other_id, "password": "no"}
    )
    with app.app_context():
        assert db.session.get(SchoolClass, world.first_id).teacher_id != world.other_id
    admin_client.post(
        reassign,
        data={"csrf_token": token, "teacher_id": world.other_id, "password": STAFF_PASSWORD},
    )
    with app.app_context():
        assert db.session.get(SchoolClass, world.first_id).teacher_id == world.other_id


def test_reassigned_class_moves_to_the_new_teacher(app, client, world):
    with app.app_context():
        db.session.get(SchoolClass, world.first_id).teacher_id = world.other_id
        db.session.commit()
    sign_in(client, "t1@school.example", STAFF_PASSWORD)
    assert client.get(f"/teach/classes/{world.first_id}").status_code == 404


def test_admin_may_open_any_class(admin_client, world):
    assert admin_client.get(f"/teach/classes/{world.second_id}").status_code == 200
    assert admin_client.get(f"/teach/classes/{world.second_id}/gradebook").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/admin/", "/admin/teachers/1/setup-link", "/admin/teachers/1/active"],
)
def test_teachers_and_students_cannot_reach_admin(app, client, world, path):
    sign_in(client, "t1@school.example", STAFF_PASSWORD)
    assert client.get(path).status_code == 403
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/teach/")})
    with app.app_context():
        student = db.session.scalar(select(User).where(User.role == "student"))
        username = student.username
    sign_in(client, username, STUDENT_PASSWORD)
    assert client.get(path).status_code == 403


def test_teacher_post_to_admin_is_refused(client, world):
    sign_in(client, "t1@school.example", STAFF_PASSWORD)
    response = client.post(
        f"/admin/classes/{world.second_id}/teacher",
        data={"csrf_token": csrf_token(client, "/teach/"), "teacher_id": world.teacher_id},
    )
    assert response.status_code == 403


def test_creating_staff_needs_the_admins_password(app, admin_client):
    response = admin_client.post(
        "/admin/teachers",
        data={
            "csrf_token": csrf_token(admin_client, "/admin/"),
            "display_name": "Mr New",
            "email": "mr.new@school.example",
            "role": "admin",
            "password": "not my password",
        },
    )
    assert response.status_code == 400 and "This is not your password." in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "mr.new@school.example")) is None
