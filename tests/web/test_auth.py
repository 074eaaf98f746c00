"""Signing in and out, first-time setup, password changes and sign-in throttling."""

from __future__ import annotations

import re

from sqlalchemy import select

from quizapp import accounts
from quizapp.extensions import db
from quizapp.models import User
from tests.helpers import (
    STAFF_PASSWORD,
    STUDENT_PASSWORD,
    csrf_token,
    gen_student,
    gen_teacher,
    sign_in,
)


def test_staff_sign_in_by_email_and_student_by_username(client, app):
    with app.app_context():
        email = gen_teacher("Teacher@School.example").email
        username = gen_student(None, "Kamran Əliyev").username
    response = sign_in(client, "teacher@school.example", STAFF_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/", follow_redirects=False).headers["Location"].endswith("/teach/")
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/teach/")})
    assert sign_in(client, username, STUDENT_PASSWORD).status_code == 302
    assert client.get("/learn/").status_code == 200
    assert email == "teacher@school.example"


def test_wrong_password_re_renders_with_message(client, app):
    with app.app_context():
        gen_teacher("t@school.example")
    response = sign_in(client, "t@school.example", "wrong password here")
    assert response.status_code == 200 and "do not match" in response.get_data(as_text=True)


def test_repeated_failures_are_slowed_down(client, app):
    with app.app_context():
        gen_teacher("t@school.example")
    statuses = [
        sign_in(client, "t@school.example", f"wrong {n}").status_code
        for n in range(app.config["LOGIN_THROTTLE_FREE_FAILURES"] + 2)
    ]
    assert (
        statuses[: app.config["LOGIN_THROTTLE_FREE_FAILURES"]]
        == [200] * app.config["LOGIN_THROTTLE_FREE_FAILURES"]
    )
    assert 429 in statuses
    blocked = sign_in(client, "t@school.example", STAFF_PASSWORD)  # even the right password waits
    assert blocked.status_code == 429 and "Wait" in blocked.get_data(as_text=True)


def test_sign_out_ends_the_session_everywhere(client, app):
    with app.app_context():
        gen_teacher("t@school.example")
    sign_in(client, "t@school.example", STAFF_PASSWORD)
    stolen = client.get_cookie("session").value
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/teach/")})
    other = app.test_client()
    other.set_cookie("session", stolen)
    assert other.get("/teach/").status_code == 302  # the copied cookie no longer signs anyone in


def test_sign_out_requires_post_with_csrf(client, app):
    with app.app_context():
        gen_teacher("t@school.example")
    sign_in(client, "t@school.example", STAFF_PASSWORD)
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 400
    assert client.get("/teach/").status_code == 200


def test_setup_link_sets_password_once(client, app):
    with app.app_context():
        admin = accounts.create_staff(db.session, "admin@school.example", "Admin", role="admin")
        token = accounts.create_setup_token(db.session, admin)
        db.session.commit()
    page = client.get(f"/setup/{token}")
    assert page.status_code == 200 and "admin@school.example" in page.get_data(as_text=True)
    form_token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    ).group(1)
    short = client.post(
        f"/setup/{token}",
        data={"csrf_token": form_token, "password": "short pass", "confirm": "short pass"},
    )
    assert "at least 12 characters" in short.get_data(as_text=True)
    good = client.post(
        f"/setup/{token}",
        data={
            "csrf_token": form_token,
            "password": "a calm river at dawn",
            "confirm": "a calm river at dawn",
        },
    )
    assert good.status_code == 302
    assert client.get(f"/setup/{token}").status_code == 404  # used once
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@school.example"))
        assert accounts.verify_password(admin, "a calm river at dawn")


def test_teacher_reset_password_must_be_changed(client, app):
    with app.app_context():
        student = gen_student(None, "Nigar")
        student.must_change_password = True
        db.session.commit()
        username = student.username
    response = sign_in(client, username, STUDENT_PASSWORD)
    assert response.headers["Location"].endswith("/account/password")
    token = csrf_token(client, "/account/password")
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": STUDENT_PASSWORD,
            "password": "mountain-song-44",
            "confirm": "mountain-song-44",
        },
    )
    assert changed.status_code == 302
    with app.app_context():
        student = db.session.scalar(select(User).where(User.username == username))
        assert not student.must_change_password and accounts.verify_password(
            student, "mountain-song-44"
        )


def test_open_redirect_is_refused(client, app):
    with app.app_context():
        gen_teacher("t@school.example")
    token = csrf_token(client, "/sign-in")
    response = client.post(
        "/sign-in?next=//evil.example/x",
        data={"login": "t@school.example", "password": STAFF_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"
