"""The two requests a whole class sends at once — the autosave, every few seconds, and the
submission at the end — answered without Flask's request dispatch.

The session cookie and the CSRF token are taken as this process verified them before (not
expired, not due for the session's once-a-minute idle refresh); the first time a process meets
them, they are verified here, outside a request context, by the checks Flask's session and
Flask-WTF's ``validate_csrf`` make (``signatures``: the cookie's signature and age, the token's
signature of the session's token), and remembered. A cookie or token that does not verify, or
a session holding a value that cannot be shared between requests, is left to Flask. The
attempt's layout is read once per process by the query that checks the sign-in. The body must
be a JSON object that the input guard accepts. Then the same rules are applied, by the same
functions, as on the ordinary path: ``signatures`` (cookie, CSRF token, HTTPS Referer rule),
``security.idle_state`` (idle timeout), ``security.storable_json`` (what the database can
store), then for a save ``quick_save_payload`` (one statement that checks the sign-in, the
student, the attempt, its deadline and the checked mark as it writes) and for a submission
``quick_submit`` (the API view's own submission, its read checking the sign-in), and
``security.headers_to_add``. Anything else — a refusal, an error, a save that the one
statement does not store, a submission whose read finds nothing — goes to Flask untouched (the
body is handed on), which answers it as always. A first save in a process costs two signature
checks and one extra query more than the next (a whole class's first saves arrive together at
the start of an exam, half of them at a process that did not serve the quiz page). Measured in
bench/load.py and bench/request_costs.py; docs/operations.md.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

from flask import Flask
from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import parse_cookie

from quizapp.database import autocommit_connection
from quizapp.signatures import csrf_header_token, referrer_problem
from quizapp.web.api.routes import quick_save_payload, quick_submit, saved_body, submitted_body
from quizapp.web.security import (
    UnstorableInput,
    headers_to_add,
    idle_state,
    parse_sign_in,
    storable_json,
)

API_PATH = re.compile(r"/api/attempts/([A-Za-z0-9_-]{1,64})/(answers|submit)")
MAX_BODY = 64 * 1024  # a typed answer is far smaller; a larger body takes the ordinary path


class FastPath:
    """WSGI middleware in front of the Flask app (``app.wsgi_app``)."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response):
        if environ.get("REQUEST_METHOD") == "POST":
            match = API_PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match is not None:
                try:
                    answer = self._try(environ, match.group(1), match.group(2))
                except Exception:  # never an error page from here: the ordinary path decides
                    self.app.logger.exception("fast path failed; the ordinary path answers")
                    answer = None
                if answer is not None:
                    status, headers, body = answer
                    start_response(status, headers)
                    return [body]
        return self.wsgi_app(environ, start_response)

    def _try(self, environ: dict, public_id: str, action: str) -> tuple[str, list, bytes] | None:
        body = _read_body(environ)
        if body is None or environ.get("QUERY_STRING"):
            return None
        app = self.app
        with app.app_context():
            session = _verified_session(app, environ)
            if session is None or not _csrf_verified(app, environ, session):
                return None  # Flask answers what did not verify here
            return self._answer(environ, action, public_id, session, body)

    def _answer(
        self, environ: dict, action: str, public_id: str, session, body: bytes
    ) -> tuple[str, list, bytes] | None:
        """Store the save or the submission if every rule allows it (in an application
        context); None: Flask answers instead."""
        app = self.app
        config = app.config
        sign_in = parse_sign_in(session.get("_user_id"))
        if (
            sign_in is None
            or idle_state(session.get("last_seen"), int(time.time()), config) != "fresh"
        ):
            return None
        try:
            payload = storable_json(body)
        except (UnstorableInput, ValueError):
            return None
        try:
            if action == "submit":
                reply = self._submit(environ, public_id, sign_in, payload)
            else:
                with autocommit_connection() as connection:
                    result = quick_save_payload(connection, public_id, sign_in, payload)
                reply = saved_body(result) if result is not None else None
        except Exception:  # database busy or away: the ordinary path answers (JSON 503)
            app.logger.debug("fast path fell back to the ordinary path", exc_info=True)
            return None
        if reply is None:
            return None
        data = (app.json.dumps(reply, separators=(",", ":")) + "\n").encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Vary", "Cookie"),
        ]
        headers += headers_to_add({"content-type", "content-length", "vary"}, config, True)
        return "200 OK", headers, data

    def _submit(
        self, environ: dict, public_id: str, sign_in: tuple[int, int], payload
    ) -> dict | None:
        """The submission (its body, like the view's, carries nothing it needs); None when its
        read finds nothing to submit (Flask then answers 401, 403 or 404)."""
        if not isinstance(payload, dict) or not quick_submit(public_id, sign_in):
            return None
        urls = self.app.url_map.bind("", script_name=environ.get("SCRIPT_NAME") or "/")
        return submitted_body(urls.build("student.review", {"public_id": public_id}))


def _read_body(environ: dict) -> bytes | None:
    """The JSON body, read once and handed on to Flask if this path declines."""
    content_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 < length <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body if len(body) == length else None


def _verified_session(app: Flask, environ: dict) -> dict[str, Any] | None:
    cookie = parse_cookie(environ).get(app.config["SESSION_COOKIE_NAME"])
    if not cookie or not app.secret_key:
        return None
    verified = getattr(app.session_interface, "verified", None)
    return verified(app, cookie) if verified else None


def _csrf_verified(app: Flask, environ: dict, session: dict) -> bool:
    """The CSRF rules of the ordinary path's before-request step, for a JSON request: the
    header's token signs the session's token (``RememberingCSRFProtect.verified``) and, over
    HTTPS, the Referer is this site."""
    config = app.config
    csrf = app.extensions.get("csrf")
    if csrf is None or not config.get("WTF_CSRF_ENABLED", True):
        return False
    headers = EnvironHeaders(environ)
    token = csrf_header_token(config, headers.get)
    if not csrf.verified(token, session.get(config["WTF_CSRF_FIELD_NAME"])):
        return False
    secure = environ.get("wsgi.url_scheme") == "https"
    return referrer_problem(config, secure, headers.get("Referer"), headers.get("Host", "")) is None
