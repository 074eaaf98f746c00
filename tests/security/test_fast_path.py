"""The fast path (quizapp/web/api/fast_path.py): an autosave or a submission is answered
without Flask's dispatch — with the same answer, the same headers and the same rules; the
cookie and the CSRF token are verified by the checks Flask and Flask-WTF make, and the attempt
by one query, the first time a process meets them. Whatever it may not decide goes to Flask
untouched."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from quizapp.extensions import db
from tests.security.conftest import login_as
from tests.security.test_integrity import short_answer_page, stored

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
)


@pytest.fixture
def saving(app, client, world):
    """A student in an attempt with one answer saved (so the cookie, the token and the attempt
    are known to this process), and a counter of the requests Flask itself handles from here
    on."""
    login_as(client, world.student)
    public_id, slot, _page, token = short_answer_page(app, client, world)
    url = f"/api/attempts/{public_id}/answers"
    first = client.post(
        url, json={"slot": slot, "answer": "Ganja", "seq": 1}, headers={"X-CSRFToken": token}
    )
    assert first.status_code == 200 and first.json["saved"] is True
    flask_requests = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: flask_requests.append(1))

    def save(answer: str, seq: int, **kwargs):
        headers = {"X-CSRFToken": token, **kwargs.pop("headers", {})}
        body = {"slot": slot, "answer": answer, "seq": seq}
        return client.post(url, json=body, headers=headers, **kwargs)

    def submit(public_id: str = public_id, **kwargs):
        headers = {"X-CSRFToken": token, **kwargs.pop("headers", {})}
        return client.post(f"/api/attempts/{public_id}/submit", json={}, headers=headers, **kwargs)

    return {
        "public_id": public_id,
        "slot": slot,
        "first": first,
        "save": save,
        "submit": submit,
        "flask": flask_requests,
        "token": token,
    }


def test_a_known_save_skips_flask_and_answers_the_same(app, saving):
    later = saving["save"]("Baku", 2)
    assert later.status_code == 200 and saving["flask"] == []  # answered before Flask
    assert later.json.keys() == saving["first"].json.keys()
    assert later.json["saved"] is True and later.json["seq"] == 2
    for name in SECURITY_HEADERS:
        assert later.headers[name] == saving["first"].headers[name], name
    assert later.headers["Cache-Control"] == "no-store"
    assert later.headers["Content-Type"] == "application/json"
    assert "Cookie" in later.headers["Vary"]
    # A replay: the one statement stores nothing, so Flask answers — from the body the fast
    # path had already read and handed on.
    stale = saving["save"]("Ganja", 2)
    assert stale.status_code == 200 and stale.json["stale"] is True and saving["flask"] == [1]


def test_over_https_a_known_save_still_needs_the_referrer(app, saving):
    https = {"base_url": "https://localhost"}
    refused = saving["save"]("Baku", 5, **https)
    assert refused.status_code == 400 and refused.is_json
    elsewhere = saving["save"](
        "Baku", 6, headers={"Referer": "https://elsewhere.example/"}, **https
    )
    assert elsewhere.status_code == 400
    own = saving["save"]("Baku", 7, headers={"Referer": "https://localhost/learn/"}, **https)
    assert own.status_code == 200 and own.json["seq"] == 7
    assert saving["flask"] == [1, 1]  # the two refusals were Flask's; the good save was not


def test_the_once_a_minute_idle_refresh_goes_through_flask(app, saving, monkeypatch):
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    refreshed = saving["save"]("Baku", 3)
    assert refreshed.status_code == 200 and saving["flask"] == [1]
    assert "session=" in refreshed.headers.get("Set-Cookie", "")


def test_an_idle_session_is_refused(app, saving, monkeypatch):
    later = time.time() + app.config["IDLE_TIMEOUT"].total_seconds() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert saving["save"]("Baku", 3).status_code == 401


def test_what_the_database_cannot_store_is_refused(app, saving):
    before = stored(app, saving["public_id"])
    refused = saving["save"]("Bak\u0000u", 4)
    assert refused.status_code == 400 and refused.is_json
    assert stored(app, saving["public_id"]) == before


def test_a_wrong_or_missing_csrf_token_is_refused(app, saving):
    before = stored(app, saving["public_id"])
    for headers in ({"X-CSRFToken": "not-a-token"}, {"X-CSRFToken": ""}):
        refused = saving["save"]("Baku", 9, headers=headers)
        assert refused.status_code == 400 and refused.is_json
    assert stored(app, saving["public_id"]) == before


def test_an_error_on_the_fast_path_leaves_the_answer_to_flask(app, saving, monkeypatch):
    from quizapp.web.api import fast_path

    def broken(body):
        raise RuntimeError("a bug on the fast path")

    monkeypatch.setattr(fast_path, "storable_json", broken)
    reply = saving["save"]("Baku", 10)
    assert reply.status_code == 200 and reply.json["saved"] is True and saving["flask"] == [1]


def _forget_everything(app) -> None:
    """As in a server process that has not met this student yet."""
    app.session_interface._verified.clear()
    app.extensions["csrf"]._verified.clear()
    app.extensions["quizapp_layouts"].clear()


def test_a_save_new_to_this_process_is_verified_once_and_skips_flask(app, client, saving):
    """Cookie, token and attempt unknown here (a student's first save in another server
    process): the cookie's and the token's signatures are checked, the attempt is read once,
    the save is stored without Flask — and from then on all three are remembered."""
    _forget_everything(app)
    first_here = saving["save"]("Baku", 2)
    assert first_here.status_code == 200 and first_here.json["saved"] is True
    assert saving["flask"] == []
    assert saving["public_id"] in app.extensions["quizapp_layouts"]
    assert app.session_interface._verified and app.extensions["csrf"]._verified
    assert first_here.headers["Cache-Control"] == "no-store"
    assert saving["save"]("Lankaran", 3).json["seq"] == 3 and saving["flask"] == []


def test_a_bad_cookie_or_token_new_to_this_process_goes_to_flask(app, client, saving):
    """What Flask or Flask-WTF refuse on first sight is answered by Flask, and nothing is
    stored or remembered."""
    before = stored(app, saving["public_id"])
    _forget_everything(app)
    forged = saving["save"]("Baku", 4, headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 400 and forged.is_json and saving["flask"] == [1]
    assert not app.extensions["csrf"]._verified
    cookie = client.get_cookie("session").value
    client.set_cookie("session", cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB"))
    tampered = saving["save"]("Baku", 5)
    assert tampered.status_code in (400, 401) and tampered.is_json
    assert saving["flask"] == [1, 1]
    assert stored(app, saving["public_id"]) == before
    assert not app.extensions["quizapp_layouts"]


def test_a_known_submission_skips_flask_grades_and_answers_as_flask_does(app, saving, monkeypatch):
    submitted = saving["submit"]()
    assert submitted.status_code == 200 and saving["flask"] == []  # answered before Flask
    review = f"/learn/attempts/{saving['public_id']}/review"
    assert submitted.json == {"state": "submitted", "review_url": review}
    state, score, max_score, by = stored(app, saving["public_id"])["attempt"][:4]
    assert (state, by) == ("submitted", "student") and max_score > 0
    graded = stored(app, saving["public_id"])["responses"][saving["slot"]]
    assert json.loads(graded[0]) == "Ganja" and score is not None
    for name in SECURITY_HEADERS:
        assert submitted.headers[name] == saving["first"].headers[name], name
    assert submitted.headers["Cache-Control"] == "no-store"
    # Again, a minute later: the idle refresh sends it to Flask, whose answer is the same,
    # and nothing is written twice.
    before = stored(app, saving["public_id"])
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    again = saving["submit"]()
    assert again.status_code == 200 and saving["flask"] == [1]
    assert again.json == submitted.json
    assert stored(app, saving["public_id"]) == before


def test_a_submission_the_fast_path_may_not_make_is_refused_by_flask(app, saving, world):
    """Another student's attempt, a wrong token, an idle session: Flask answers, and nothing
    is written."""
    classmates = stored(app, world.classmate_attempt)
    other = saving["submit"](world.classmate_attempt)
    assert other.status_code == 404 and other.is_json and saving["flask"] == [1]
    assert stored(app, world.classmate_attempt) == classmates
    own = stored(app, saving["public_id"])
    forged = saving["submit"](headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 400 and forged.is_json and saving["flask"] == [1, 1]
    assert stored(app, saving["public_id"]) == own


def test_a_known_layout_does_not_let_another_student_submit(app, saving, world):
    """The one query that reads an attempt with its answers (once this process keeps the
    attempt's layout) checks the sign-in too: a classmate's attempt is refused by Flask."""
    from quizapp.models import Attempt
    from quizapp.quizzes import attempts

    with app.app_context():
        other = db.session.scalar(
            select(Attempt).where(Attempt.public_id == world.classmate_attempt)
        )
        with app.test_request_context():
            attempts.remember_layout(other.public_id, other.id, other.layout)
    classmates = stored(app, world.classmate_attempt)
    refused = saving["submit"](world.classmate_attempt)
    assert refused.status_code == 404 and refused.is_json and saving["flask"] == [1]
    assert stored(app, world.classmate_attempt) == classmates


def test_an_idle_session_cannot_submit(app, saving, monkeypatch):
    own = stored(app, saving["public_id"])
    later = time.time() + app.config["IDLE_TIMEOUT"].total_seconds() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert saving["submit"]().status_code == 401
    assert stored(app, saving["public_id"]) == own


def test_an_error_in_a_fast_submission_leaves_it_to_flask(app, saving, monkeypatch):
    """The database away for a moment (or a bug) on the fast path: Flask submits instead."""
    from quizapp.web.api import routes

    calls = []
    real = routes.attempt_service.submit_as_read

    def fails_once(read, by="student"):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real(read, by)

    monkeypatch.setattr(routes.attempt_service, "submit_as_read", fails_once)
    reply = saving["submit"]()
    assert reply.status_code == 200 and reply.json["state"] == "submitted"
    assert saving["flask"] == [1] and len(calls) == 2
    assert stored(app, saving["public_id"])["attempt"][0] == "submitted"


def test_a_first_submission_in_a_new_process_is_verified_and_skips_flask(app, saving):
    _forget_everything(app)
    submitted = saving["submit"]()
    assert submitted.status_code == 200 and submitted.json["state"] == "submitted"
    assert saving["flask"] == []
    assert stored(app, saving["public_id"])["attempt"][0] == "submitted"


def test_the_page_that_served_the_quiz_prepares_its_first_autosave(app, client, world, monkeypatch):
    """The quiz page keeps the attempt's layout and its own CSRF token (signed by this process
    for this session, so good by construction): the page's first save, usually sent to the
    same process, is answered without verifying anything again. Another token is still
    verified in full."""
    csrf = app.extensions["csrf"]
    verified = []
    real = type(csrf)._signs
    monkeypatch.setattr(csrf, "_signs", lambda *args: verified.append(1) or real(*args))
    login_as(client, world.student)
    public_id, slot, _page, token = short_answer_page(app, client, world)
    assert public_id in app.extensions["quizapp_layouts"]
    url = f"/api/attempts/{public_id}/answers"
    first = client.post(
        url, json={"slot": slot, "answer": "Ganja", "seq": 1}, headers={"X-CSRFToken": token}
    )
    assert first.status_code == 200 and first.json["saved"] is True and verified == []
    forged = client.post(
        url, json={"slot": slot, "answer": "Baku", "seq": 2}, headers={"X-CSRFToken": "forged"}
    )
    assert forged.status_code == 400 and verified == [1]


def test_a_session_that_cannot_be_shared_is_left_to_flask(app, client, saving):
    """A session holding a value that may change in place (a flashed message's list) is never
    remembered: its save, new to this process, is answered by Flask, and stored."""
    _forget_everything(app)
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "Welcome back")]
    reply = saving["save"]("Baku", 6)
    assert reply.status_code == 200 and reply.json["saved"] is True and saving["flask"] == [1]
    remembered = app.session_interface._verified.values()
    assert all("_flashes" not in data for _signed_at, data in remembered)


def test_a_token_signed_with_another_key_is_refused(app, client, saving):
    """A token that signs the session's token, but with another secret key, is Flask-WTF's to
    refuse, and nothing is remembered or stored."""
    from itsdangerous import URLSafeTimedSerializer

    before = stored(app, saving["public_id"])
    _forget_everything(app)
    with client.session_transaction() as session:
        session_token = session["csrf_token"]
    other = URLSafeTimedSerializer("another key", salt="wtf-csrf-token").dumps(session_token)
    reply = saving["save"]("Baku", 7, headers={"X-CSRFToken": other})
    assert reply.status_code == 400 and saving["flask"] == [1]
    assert not app.extensions["csrf"]._verified
    assert stored(app, saving["public_id"]) == before


def test_a_server_with_a_thread_per_request_keeps_saving(app, client, saving):
    """Werkzeug's server (``make run``) starts a thread per request: more saves than the
    connection pool holds are each answered at once, and every connection goes back."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    from quizapp.database import autocommit_engine

    threads_before = set(threading.enumerate())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{server.server_port}/api/attempts/{saving['public_id']}/answers"
    headers = {
        "Content-Type": "application/json",
        "Cookie": f"session={client.get_cookie('session').value}",
        "X-CSRFToken": saving["token"],
    }
    with app.app_context():
        engine = db.engine
        pool = (engine if engine.dialect.name == "sqlite" else autocommit_engine(engine)).pool
    saves = pool.size() + pool._max_overflow + 5
    kept_here = pool.checkedout()  # this thread's own, from the fixture's first save
    try:
        for seq in range(2, 2 + saves):
            body = json.dumps({"slot": saving["slot"], "answer": f"Baku {seq}", "seq": seq})
            request = urllib.request.Request(url, body.encode(), headers, method="POST")
            with urllib.request.urlopen(request, timeout=10) as reply:
                assert json.load(reply)["saved"] is True
    finally:
        server.shutdown()
    # A request's thread may still be ending after its reply arrived (Werkzeug does not wait
    # for them): wait until each has.
    for thread in set(threading.enumerate()) - threads_before:
        thread.join(timeout=10)
    answer, seq, _score, _fraction = stored(app, saving["public_id"])["responses"][saving["slot"]]
    assert (json.loads(answer), seq) == (f"Baku {1 + saves}", 1 + saves)
    assert pool.checkedout() == kept_here
