"""The autosave's fast path (quizapp/web/api/fast_autosave.py): a save is answered without
Flask's dispatch — with the same answer, the same headers and the same rules; the cookie, the
CSRF token and the attempt are verified by Flask, Flask-WTF and one query the first time a
process meets them. Whatever it may not decide goes to Flask untouched."""

from __future__ import annotations

import time

import pytest

from tests.security.conftest import login_as
from tests.security.test_integrity import short_answer_page, stored


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

    return {
        "public_id": public_id,
        "slot": slot,
        "first": first,
        "save": save,
        "flask": flask_requests,
    }


def test_a_known_save_skips_flask_and_answers_the_same(app, saving):
    later = saving["save"]("Baku", 2)
    assert later.status_code == 200 and saving["flask"] == []  # answered before Flask
    assert later.json.keys() == saving["first"].json.keys()
    assert later.json["saved"] is True and later.json["seq"] == 2
    for name in (
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Permissions-Policy",
        "Cross-Origin-Opener-Policy",
    ):
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
    from quizapp.web.api import fast_autosave

    def broken(body):
        raise RuntimeError("a bug on the fast path")

    monkeypatch.setattr(fast_autosave, "storable_json", broken)
    reply = saving["save"]("Baku", 10)
    assert reply.status_code == 200 and reply.json["saved"] is True and saving["flask"] == [1]


def _forget_everything(app) -> None:
    """As in a server process that has not met this student yet."""
    app.session_interface._verified.clear()
    app.extensions["csrf"]._verified.clear()
    app.extensions["quizapp_layouts"].clear()


def test_a_save_new_to_this_process_is_verified_once_and_skips_flask(app, client, saving):
    """Cookie, token and attempt unknown here (a student's first save in another server
    process): Flask verifies the cookie and Flask-WTF the token, the attempt is read once, the
    save is stored without Flask's dispatch — and from then on all three are remembered."""
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
