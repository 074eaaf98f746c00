"""Session cookies and CSRF tokens verified once per process (quizapp/signatures.py): the same
rules as Flask and Flask-WTF apply to every request, only the repeated work is skipped.

The API's save route answers 400 when the CSRF check fails and 404 for an attempt that does not
exist, so a post to a made-up attempt tells which of the two a request got past."""

from __future__ import annotations

import time

import pytest
from flask import Flask, session
from itsdangerous import URLSafeTimedSerializer

from quizapp.extensions import db
from quizapp.signatures import RememberingSessionInterface
from tests.helpers import STUDENT_PASSWORD, csrf_token, gen_class, gen_student, gen_teacher, sign_in

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # no database rule here

SAVE = "/api/attempts/no-such-attempt/answers"
BODY = {"slot": 1, "answer": "Bakı", "seq": 1}


@pytest.fixture
def students(app):
    """Two students of one class: their sign-in names."""
    with app.app_context():
        school_class = gen_class(gen_teacher())
        names = [gen_student(school_class).username for _ in range(2)]
        db.session.commit()
    return names


def signed_in(app, name: str):
    """A client signed in as ``name`` and the CSRF token its pages carry."""
    client = app.test_client()
    assert sign_in(client, name, STUDENT_PASSWORD).status_code == 302
    return client, csrf_token(client, "/account/password")


def save(client, token: str):
    return client.post(SAVE, json=BODY, headers={"X-CSRFToken": token})


def csrf_refused(response) -> bool:
    return response.status_code == 400 and response.is_json


@SQLITE_ONLY
def test_a_verified_cookie_and_token_are_not_verified_again(app, students, monkeypatch):
    client, token = signed_in(app, students[0])
    verifications = []
    real_loads = URLSafeTimedSerializer.loads

    def counting_loads(self, *args, **kwargs):
        verifications.append(self.salt)
        return real_loads(self, *args, **kwargs)

    monkeypatch.setattr(URLSafeTimedSerializer, "loads", counting_loads)
    app.extensions["csrf"]._verified.clear()  # the page's token, as if another process sent it
    assert save(client, token).status_code == 404  # past the CSRF check
    assert set(verifications) == {b"cookie-session", b"wtf-csrf-token"}
    verifications.clear()
    for _ in range(3):
        assert save(client, token).status_code == 404
    assert verifications == []


@SQLITE_ONLY
def test_a_token_is_good_only_with_the_session_it_was_made_for(app, students):
    owner, token = signed_in(app, students[0])
    other, other_token = signed_in(app, students[1])
    assert save(owner, token).status_code == 404
    assert save(other, other_token).status_code == 404
    assert csrf_refused(save(other, token))
    assert csrf_refused(save(owner, other_token))


@SQLITE_ONLY
def test_a_tampered_token_or_cookie_is_refused_after_a_good_one(app, students):
    client, token = signed_in(app, students[0])
    assert save(client, token).status_code == 404
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert csrf_refused(save(client, tampered))
    cookie = client.get_cookie("session").value
    forged = app.test_client()
    forged.set_cookie("session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert csrf_refused(save(forged, token))  # an unreadable cookie is an empty session
    assert save(client, token).status_code == 404


@SQLITE_ONLY
def test_a_remembered_session_still_expires(app, students, monkeypatch):
    client, token = signed_in(app, students[0])
    assert save(client, token).status_code == 404
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert csrf_refused(save(client, token))


@SQLITE_ONLY
def test_a_new_secret_key_voids_what_was_verified_with_the_old_one(app, students):
    client, token = signed_in(app, students[0])
    assert save(client, token).status_code == 404
    app.secret_key = "a different secret"
    assert csrf_refused(save(client, token))


@SQLITE_ONLY
def test_a_token_time_limit_still_applies_to_a_token_used_before(app, students, monkeypatch):
    app.config["WTF_CSRF_TIME_LIMIT"] = 600
    client, token = signed_in(app, students[0])
    assert save(client, token).status_code == 404
    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)
    refused = save(client, token)
    assert csrf_refused(refused) and "expired" in refused.get_data(as_text=True)


def test_a_cached_session_never_shares_a_list_between_requests():
    """Sessions holding lists or dicts (flashed messages, say) are decoded each time: a request
    that changes one cannot change what the next request with the same cookie reads."""
    app = Flask(__name__)
    app.secret_key = "test"
    app.session_interface = RememberingSessionInterface()

    @app.post("/start")
    def start():
        session["items"] = ["first"]
        return {}

    @app.post("/append")
    def append():
        session.get("items", []).append("appended")
        return {"items": session.get("items")}

    client = app.test_client()
    client.post("/start")
    cookie = client.get_cookie("session").value
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.post("/append").json == {"items": ["first", "appended"]}
    replay.set_cookie("session", cookie)
    assert replay.post("/append").json == {"items": ["first", "appended"]}


@SQLITE_ONLY
def test_over_https_a_remembered_token_still_needs_a_same_site_referrer(app, students):
    """Flask-WTF's strict HTTPS rule (the Referer must be this site) is applied to every
    request, remembered token or not."""
    client = app.test_client()
    https = {"base_url": "https://school.example"}
    own_page = {"Referer": "https://school.example/account/password"}
    token = csrf_token_over(client, "/sign-in", https)
    form = {"login": students[0], "password": STUDENT_PASSWORD, "csrf_token": token}
    assert client.post("/sign-in", data=form, headers=own_page, **https).status_code == 302
    token = csrf_token_over(client, "/account/password", https)

    def save_from(headers):
        return client.post(SAVE, json=BODY, headers={"X-CSRFToken": token, **headers}, **https)

    assert save_from(own_page).status_code == 404
    assert save_from(own_page).status_code == 404  # remembered
    assert csrf_refused(save_from({}))  # no Referer
    assert csrf_refused(save_from({"Referer": "https://elsewhere.example/"}))
    assert save_from(own_page).status_code == 404


def csrf_token_over(client, path: str, https: dict) -> str:
    import re

    html = client.get(path, **https).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
