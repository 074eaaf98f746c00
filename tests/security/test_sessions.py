"""Sessions and passwords (ASVS V2, V3): cookie flags, a new session at sign-in, sign-out and
password changes that end copied sessions, idle timeout, password policy, throttling, and
staff re-entering their password before sensitive changes."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from quizapp import accounts
from quizapp import config as app_config
from quizapp.extensions import db
from quizapp.models import Assignment, Enrolment, SchoolClass, User
from tests.helpers import STAFF_PASSWORD, STUDENT_PASSWORD, csrf_token, sign_in
from tests.security.conftest import login_as, sign_out


def _set_cookie_headers(response) -> list[str]:
    return [v for k, v in response.headers.items() if k.lower() == "set-cookie"]


def _session_cookie_header(response) -> str:
    [header] = [h for h in _set_cookie_headers(response) if h.startswith("session=")]
    return header


def set_active(app, user_id: int, active: bool) -> None:
    """Deactivate or reactivate an account, as an admin would."""
    with app.app_context():
        db.session.get(User, user_id).is_active = active
        db.session.commit()


def test_session_cookie_is_httponly_and_samesite_lax(client, world):
    response = sign_in(client, world.student, STUDENT_PASSWORD)
    header = _session_cookie_header(response)
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # plain HTTP in development and tests


def test_session_cookie_is_secure_when_configured(monkeypatch, tmp_path):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("QUIZAPP_INSTANCE_PATH", str(tmp_path))
    from quizapp import create_app

    app = create_app(
        {
            "CONFIG_CLASS": app_config.TestConfig,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "SECRET_KEY": "test-secret",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/sign-in", base_url="https://localhost")
    header = _session_cookie_header(response)
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_sign_in_starts_a_new_session(app, client, world):
    client.get("/sign-in")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"  # session fixation: a value set before sign-in
    before = client.get_cookie("session").value
    sign_in(client, world.student, STUDENT_PASSWORD)
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as sess:
        assert "planted" not in sess and "_user_id" in sess
    # The pre-sign-in cookie, replayed, is not a signed-in session.
    replay = app.test_client()
    replay.set_cookie("session", before)
    assert replay.get("/learn/").status_code == 302


def test_sign_out_invalidates_a_copied_cookie(app, client, world):
    login_as(client, world.student)
    stolen = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/learn/").status_code == 200
    assert sign_out(client).status_code == 302
    assert client.get("/learn/").status_code == 302
    assert thief.get("/learn/").status_code == 302  # the copy died with the sign-out
    assert thief.get("/api/attempts/" + world.attempt).status_code == 401


def test_password_change_ends_other_sessions(app, client, world):
    login_as(client, world.student)
    other_device = app.test_client()
    login_as(other_device, world.student)
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": STUDENT_PASSWORD,
            "password": "orchard-lamp-violin",
            "confirm": "orchard-lamp-violin",
        },
    )
    assert response.status_code == 302
    assert client.get("/learn/").status_code == 200  # this device carries on
    assert other_device.get("/learn/").status_code == 302


def test_idle_timeout_signs_out(app, client, world):
    login_as(client, world.student)
    assert client.get("/learn/").status_code == 200
    idle = int(app.config["IDLE_TIMEOUT"].total_seconds())
    with client.session_transaction() as sess:
        sess["last_seen"] = int(time.time()) - idle + 120
    assert client.get("/learn/").status_code == 200  # just inside the limit
    with client.session_transaction() as sess:
        sess["last_seen"] = int(time.time()) - idle - 5
    response = client.get("/learn/")
    assert response.status_code == 302 and "expired=1" in response.headers["Location"]
    assert client.get("/learn/").status_code == 302  # and it stays signed out


def test_idle_timeout_with_the_clock_moved(app, client, world, monkeypatch):
    login_as(client, world.student)
    assert client.get(f"/api/attempts/{world.attempt}").status_code == 200
    import quizapp.web.security as security

    later = time.time() + app.config["IDLE_TIMEOUT"].total_seconds() + 60
    monkeypatch.setattr(security.time, "time", lambda: later)
    response = client.get(f"/api/attempts/{world.attempt}")
    assert response.status_code == 401 and response.is_json


def test_autosave_checks_the_sign_in_as_every_route_does(app, client, world, monkeypatch):
    """The autosave checks the session's sign-in in its own query (it loads no user): a copy
    of a signed-out cookie, a deactivated account, an idle session, a teacher and another
    student are turned away exactly as on the other routes."""
    url = f"/api/attempts/{world.attempt}/answers"
    body = {"slot": 1, "answer": "x", "seq": 50}
    login_as(client, world.student)
    headers = {"X-CSRFToken": csrf_token(client, "/account/password")}
    owner = client.post(url, json=body, headers=headers)
    assert owner.status_code == 409 and owner.json["error"]["code"] == "submitted"
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.post(url, json=body, headers=headers).status_code == 409
    sign_out(client)
    stale = thief.post(url, json=body, headers=headers)
    assert stale.status_code == 401 and stale.is_json

    login_as(client, world.student)
    headers = {"X-CSRFToken": csrf_token(client, "/account/password")}
    set_active(app, world.student_id, False)
    assert client.post(url, json=body, headers=headers).status_code == 401
    set_active(app, world.student_id, True)
    assert client.post(url, json=body, headers=headers).status_code == 409  # back in

    import quizapp.web.security as security

    later = time.time() + app.config["IDLE_TIMEOUT"].total_seconds() + 60
    with monkeypatch.context() as clock:
        clock.setattr(security.time, "time", lambda: later)
        assert client.post(url, json=body, headers=headers).status_code == 401

    for other in (world.teacher, world.other_student):
        visitor = app.test_client()
        login_as(visitor, other)
        token = {"X-CSRFToken": csrf_token(visitor, "/account/password")}
        refused = visitor.post(url, json=body, headers=token)
        assert refused.status_code == (403 if other == world.teacher else 404), other
        assert refused.is_json


def test_submission_checks_the_sign_in_as_every_route_does(app, client, world):
    """The API submission reads the attempt in the autosave's one query (no user loaded): a
    copy of a signed-out cookie, a deactivated account, a teacher, a classmate and a student of
    another class submit nothing; the owner submits once, and again is the same answer."""
    from quizapp.models import Attempt, Quiz
    from quizapp.quizzes import attempts as attempt_service

    with app.app_context():
        student = db.session.get(User, world.student_id)
        attempt = attempt_service.start_attempt(
            db.session,
            db.session.get(Quiz, world.quiz_id),
            student,
            db.session.get(Assignment, world.assignment_id),
        )
        db.session.commit()
        public_id = attempt.public_id

    def state() -> str:
        with app.app_context():
            return db.session.scalar(select(Attempt.state).where(Attempt.public_id == public_id))

    url = f"/api/attempts/{public_id}/submit"
    login_as(client, world.student)
    headers = {"X-CSRFToken": csrf_token(client, "/account/password")}
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    sign_out(client)
    stale = thief.post(url, json={}, headers=headers)
    assert stale.status_code == 401 and stale.is_json

    login_as(client, world.student)
    headers = {"X-CSRFToken": csrf_token(client, "/account/password")}
    set_active(app, world.student_id, False)
    assert client.post(url, json={}, headers=headers).status_code == 401
    set_active(app, world.student_id, True)

    for other in (world.teacher, world.classmate, world.other_student):
        visitor = app.test_client()
        login_as(visitor, other)
        token = {"X-CSRFToken": csrf_token(visitor, "/account/password")}
        refused = visitor.post(url, json={}, headers=token)
        assert refused.status_code == (403 if other == world.teacher else 404), other
        assert refused.is_json
    assert state() == "in_progress"

    first = client.post(url, json={}, headers=headers)  # the owner, active again
    assert first.status_code == 200 and first.json["state"] == "submitted"
    assert state() == "submitted"
    again = client.post(url, json={}, headers=headers)
    assert again.status_code == 200 and again.json == first.json


@pytest.mark.parametrize(
    ("role", "password", "ok"),
    [
        ("student", "x" * 7 + "q", True),  # 8 characters, no composition rules
        ("student", "kqzvbnw", False),  # 7 characters
        ("student", "kqzvbnwt", True),
        ("teacher", "kqzvbnwtplm", False),  # 11 characters
        ("teacher", "kqzvbnwtplmr", True),
        ("admin", "kqzvbnwtplmr", True),
        ("student", "password", False),
        ("student", "Password2024!", False),
        ("student", "qwertyuiop", False),
        ("teacher", "baseball1234", False),
        ("student", "teacher123", False),
        ("teacher", "iloveyou2024", False),
        ("student", "all lower case words", True),
        ("student", "ÇƏŞĞÜÖİ çəşğ", True),
        ("teacher", "x" * 129, False),
    ],
)
def test_password_policy(role, password, ok):
    assert (accounts.password_problems(password, role) == []) is ok


def test_common_password_list_is_substantial():
    common = accounts.common_passwords()
    assert len(common) >= 3000
    assert all(p == p.casefold() for p in common)
    for word in ("password", "123456789", "qwerty123", "iloveyou", "school", "teacher", "baku"):
        assert word in common


def test_password_must_not_contain_the_name():
    assert accounts.password_problems("aylin-river-cedar", "student", names=("Aylin",))
    assert not accounts.password_problems("river-cedar-lake", "student", names=("Aylin",))


def test_change_password_page_applies_the_policy_for_staff(client, world):
    login_as(client, world.teacher)
    token = csrf_token(client, "/account/password")
    short = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": STAFF_PASSWORD,
            "password": "elevenchars",
            "confirm": "elevenchars",
        },
    )
    assert short.status_code == 200 and "at least 12 characters" in short.get_data(as_text=True)
    wrong = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": "not the password",
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert "not your current password" in wrong.get_data(as_text=True)


def test_throttling_per_account(app, client, world):
    free = app.config["LOGIN_THROTTLE_FREE_FAILURES"]
    statuses = [sign_in(client, world.student, "wrong guess").status_code for _ in range(free + 1)]
    assert statuses == [200] * (free + 1)
    blocked = sign_in(client, world.student, "wrong guess")
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.get_data(as_text=True)
    # Even the right password waits: guessing cannot be sped up.
    assert sign_in(client, world.student, STUDENT_PASSWORD).status_code == 429
    # Other accounts from another address are not slowed down.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.50"
    assert sign_in(elsewhere, world.classmate, STUDENT_PASSWORD).status_code == 302


def test_throttling_per_address(app, world):
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    free = app.config["LOGIN_THROTTLE_FREE_FAILURES"]
    statuses = [
        sign_in(guesser, f"nobody{n}", "wrong guess").status_code for n in range(4 * free + 12)
    ]
    assert 429 not in statuses[: 4 * free]  # a school's shared address gets more leeway
    assert 429 in statuses[4 * free :]
    # A real user behind a different address is unaffected.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    assert sign_in(other, world.student, STUDENT_PASSWORD).status_code == 302


def test_inactive_account_cannot_sign_in(app, client, world):
    with app.app_context():
        db.session.get(User, world.student_id).is_active = False
        db.session.commit()
    response = sign_in(client, world.student, STUDENT_PASSWORD)
    assert response.status_code == 200 and "do not match" in response.get_data(as_text=True)


def test_open_redirect_after_sign_in_is_refused(client, world):
    token = csrf_token(client, "/sign-in")
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(
            "/sign-in?next=" + target,
            data={"login": world.student, "password": STUDENT_PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
        assert "evil.example" not in response.headers["Location"]
        assert "javascript" not in response.headers["Location"]
        sign_out(client)
        token = csrf_token(client, "/sign-in")


# --- staff re-enter their password before sensitive changes ------------------------------------


def _state(app, world):
    with app.app_context():
        student = db.session.get(User, world.student_id)
        other_teacher = db.session.get(User, world.other_teacher_id)
        return {
            "student_hash": student.password_hash,
            "enrolled": db.session.scalar(
                select(func.count()).where(
                    Enrolment.student_id == world.student_id, Enrolment.class_id == world.class_id
                )
            ),
            "class": db.session.get(SchoolClass, world.class_id) is not None,
            "assignment": db.session.get(Assignment, world.assignment_id) is not None,
            "teacher_active": other_teacher.is_active,
            "student_name": student.display_name,
        }


SENSITIVE = [
    ("teacher", "/teach/classes/{class_id}/students/{student_id}/reset-password", "student_hash"),
    ("teacher", "/teach/classes/{class_id}/reset-all", "student_hash"),
    ("teacher", "/teach/classes/{class_id}/students/{student_id}/remove", "enrolled"),
    ("teacher", "/teach/assignments/{assignment_id}/delete", "assignment"),
    ("teacher", "/teach/classes/{class_id}/delete", "class"),
    ("admin", "/admin/teachers/{other_teacher_id}/active", "teacher_active"),
    ("admin", "/admin/privacy/learners/{student_id}/erase", "student_name"),
]


@pytest.mark.parametrize(("who", "path", "key"), SENSITIVE)
def test_sensitive_changes_need_the_staff_password(app, client, world, who, path, key):
    url = path.format(**vars(world))
    login_as(client, world.teacher if who == "teacher" else world.admin)
    page = client.get(url)
    assert page.status_code == 200 and 'type="password"' in page.get_data(as_text=True)
    token = csrf_token(client, url)
    before = _state(app, world)
    for data in ({"csrf_token": token}, {"csrf_token": token, "password": "not my password"}):
        response = client.post(url, data=data)
        assert response.status_code in (200, 400), response.status_code
        assert _state(app, world) == before
    done = client.post(url, data={"csrf_token": token, "password": STAFF_PASSWORD})
    assert done.status_code == 302
    assert _state(app, world)[key] != before[key]


def test_admin_setup_link_needs_the_admin_password(app, client, world):
    login_as(client, world.admin)
    url = f"/admin/teachers/{world.other_teacher_id}/setup-link"
    token = csrf_token(client, url)
    with app.app_context():
        from quizapp.models import SetupToken

        count = lambda: db.session.scalar(select(func.count()).select_from(SetupToken))  # noqa: E731
        before = count()
        client.post(url, data={"csrf_token": token, "password": "wrong"})
        assert count() == before
        assert (
            client.post(url, data={"csrf_token": token, "password": STAFF_PASSWORD}).status_code
            == 302
        )
        db.session.expire_all()
        assert count() == before + 1
